"""``glasses models pull``: downloads from a local HTTP server on 127.0.0.1, never the internet."""

from __future__ import annotations

import hashlib
import io
import os
import socket
import threading
import zipfile
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from glasses.cli.main import main
from glasses.cli.models_cmd import list_models, pull_models, verify_models
from models.pull import Progress, PullError, pull
from models.registry import ModelError, Registry, load_manifest

BLOB = os.urandom(300_000)


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


MODEL_ZIP = _zip({"tiny-model/am/final.mdl": b"acoustic", "tiny-model/conf/model.conf": b"--x"})


class _Server:
    """Serves ``files`` (path → bytes); ``/truncated`` promises more bytes than it sends."""

    def __init__(self, files: dict[str, bytes]) -> None:
        self.files = files
        self.requests: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests.append(self.path)
                if self.path == "/truncated":
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(BLOB) * 2))
                    self.end_headers()
                    self.wfile.write(BLOB)
                    self.close_connection = True
                    return
                body = server.files.get(self.path)
                if body is None:
                    self.send_error(404, "Not Found")
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, name="test-http"
        )

    def downloads(self, path: str) -> int:
        return self.requests.count(path)


@pytest.fixture
def server() -> Iterator[_Server]:
    s = _Server({"/m/blob.bin": BLOB, "/m/model.zip": MODEL_ZIP, "/m/bad.zip": b"not a zip"})
    s.thread.start()
    yield s
    s.httpd.shutdown()
    s.httpd.server_close()
    s.thread.join(timeout=5)


def _entry(model_id: str, url: str, data: bytes, extra: str = "") -> str:
    return (
        f'[[model]]\nid = "{model_id}"\ntask = "test"\nsource = "url:{url}"\n'
        f'sha256 = "{hashlib.sha256(data).hexdigest()}"\nsize_bytes = {len(data)}\n'
        f'licence = "MIT"\ninput = "bytes"\n{extra}\n'
    )


@pytest.fixture
def registry(server: _Server, tmp_path: Path) -> Registry:
    base = server.url
    manifest = tmp_path / "manifest.toml"
    manifest.write_text(
        _entry("blob", f"{base}/m/blob.bin", BLOB)
        + _entry("wrong-hash", f"{base}/m/blob.bin", b"something else")
        + _entry("gone", f"{base}/m/missing.bin", BLOB)
        + _entry("cut", f"{base}/truncated", BLOB)
        + _entry(
            "tiny", f"{base}/m/model.zip", MODEL_ZIP, 'archive = "zip"\nunpacked = "tiny-model"'
        )
        + _entry("bad-zip", f"{base}/m/bad.zip", b"not a zip", 'archive = "zip"\nunpacked = "x"')
        + _entry("no-dir", f"{base}/m/model.zip", MODEL_ZIP, 'archive = "zip"\nunpacked = "other"')
        + '[[model]]\nid = "pkg"\ntask = "t"\nsource = "package:rapidocr/models/x.onnx"\n'
        + f'sha256 = "{"0" * 64}"\nlicence = "MIT"\ninput = "x"\n',
        encoding="utf-8",
    )
    return Registry(manifest, cache_dir=tmp_path / "cache")


def _leftovers(registry: Registry) -> list[Path]:
    return sorted(registry.cache_dir.rglob("*")) if registry.cache_dir.exists() else []


def test_pull_downloads_verifies_and_shows_progress(registry: Registry) -> None:
    entry = registry.get("blob")
    progress = io.StringIO()
    result = pull(entry, registry, progress=progress)
    dest = registry.cache_dir / "blob" / "blob.bin"
    assert result.downloaded and result.path == dest and dest.read_bytes() == BLOB
    assert registry.verify(entry).ok and registry.path("blob") == dest
    # StringIO is no terminal: plain lines with bytes, percentage and speed, then a summary.
    lines = progress.getvalue().splitlines()
    assert len(lines) >= 3 and "\r" not in progress.getvalue()
    assert "(100%)" in progress.getvalue() and "/0.3 MB" in lines[0] and "MB/s" in lines[0]
    assert lines[-1].startswith("blob: 0.3 MB in ") and lines[-1].endswith("MB/s)")
    assert [p.name for p in _leftovers(registry)] == ["blob", "blob.bin"]  # no temp file


def test_second_pull_is_a_no_op(registry: Registry, server: _Server) -> None:
    entry = registry.get("blob")
    assert pull(entry, registry).downloaded
    again = pull(entry, registry, progress=io.StringIO())
    assert not again.downloaded and again.path.read_bytes() == BLOB
    assert server.downloads("/m/blob.bin") == 1
    # A damaged copy is downloaded again and replaced.
    again.path.write_bytes(b"damaged")
    assert pull(entry, registry).downloaded and again.path.read_bytes() == BLOB
    assert server.downloads("/m/blob.bin") == 2


def test_sha256_mismatch_keeps_nothing(registry: Registry) -> None:
    with pytest.raises(PullError) as info:
        pull(registry.get("wrong-hash"), registry, progress=io.StringIO())
    message = str(info.value)
    assert "\n" not in message and "sha256 mismatch" in message and "nothing was kept" in message
    assert "/m/blob.bin" in message
    assert not any(p.is_file() for p in _leftovers(registry))


def test_http_404_is_one_clear_line(registry: Registry) -> None:
    with pytest.raises(PullError) as info:
        pull(registry.get("gone"), registry)
    message = str(info.value)
    assert "\n" not in message and "HTTP 404" in message and "/m/missing.bin" in message
    assert "glasses models pull gone" in message
    assert not any(p.is_file() for p in _leftovers(registry))


def test_connection_cut_short_keeps_nothing(registry: Registry) -> None:
    with pytest.raises(PullError, match="failed part-way") as info:
        pull(registry.get("cut"), registry, progress=io.StringIO())
    assert "\n" not in str(info.value)
    assert not any(p.is_file() for p in _leftovers(registry))


def test_unreachable_server_is_one_clear_line(tmp_path: Path) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    manifest = tmp_path / "manifest.toml"
    manifest.write_text(_entry("far", f"http://127.0.0.1:{port}/x.bin", BLOB))
    registry = Registry(manifest, cache_dir=tmp_path / "cache")
    with pytest.raises(PullError, match=r"download of .*x\.bin failed: .*refused") as info:
        pull(registry.get("far"), registry, timeout_s=5)
    assert "\n" not in str(info.value)
    assert not any(p.is_file() for p in _leftovers(registry))


def test_zip_archive_is_unpacked_and_verified(registry: Registry, server: _Server) -> None:
    entry = registry.get("tiny")
    result = pull(entry, registry)
    model_dir = registry.cache_dir / "tiny" / "tiny-model"
    assert result.path == model_dir and (model_dir / "am" / "final.mdl").read_bytes() == b"acoustic"
    archive = registry.cache_dir / "tiny" / "model.zip"
    assert archive.read_bytes() == MODEL_ZIP  # kept, so verify can check its sha256
    assert sorted(p.name for p in (registry.cache_dir / "tiny").iterdir()) == [
        "model.zip",
        "tiny-model",
    ]  # no temporary extraction directory left
    check = registry.verify(entry)
    assert check.ok and check.path == archive and check.unpacked == model_dir
    assert registry.path("tiny") == model_dir
    # The directory deleted: "not unpacked", and pulling again extracts without downloading.
    for p in sorted(model_dir.rglob("*"), reverse=True):
        p.unlink() if p.is_file() else p.rmdir()
    model_dir.rmdir()
    check = registry.verify(entry)
    assert check.intact and not check.ok and check.status == "not unpacked"
    assert "glasses models pull tiny" in check.message()
    again = pull(entry, registry)
    assert not again.downloaded and (model_dir / "conf" / "model.conf").is_file()
    assert server.downloads("/m/model.zip") == 1


def test_bad_archives_are_errors_and_leave_no_directory(registry: Registry) -> None:
    with pytest.raises(PullError, match="cannot extract"):
        pull(registry.get("bad-zip"), registry)
    with pytest.raises(PullError, match="has no directory 'other'"):
        pull(registry.get("no-dir"), registry)
    assert not (registry.cache_dir / "no-dir" / "other").exists()
    assert [p.name for p in (registry.cache_dir / "no-dir").iterdir()] == ["model.zip"]


def test_unsafe_archive_paths_are_refused(tmp_path: Path) -> None:
    evil = _zip({"tiny-model/ok.txt": b"ok", "../evil.txt": b"gotcha"})
    archive = tmp_path / "cache" / "evil" / "evil.zip"
    archive.parent.mkdir(parents=True)
    archive.write_bytes(evil)
    manifest = tmp_path / "manifest.toml"
    extra = 'archive = "zip"\nunpacked = "tiny-model"'
    manifest.write_text(_entry("evil", "http://127.0.0.1:9/evil.zip", evil, extra))
    registry = Registry(manifest, cache_dir=tmp_path / "cache")
    # The archive is already present and intact, so nothing is downloaded: only extracted.
    with pytest.raises(PullError, match=r"unsafe path '\.\./evil\.txt'"):
        pull(registry.get("evil"), registry)
    assert not (tmp_path / "cache" / "evil.txt").exists()
    assert not (tmp_path / "cache" / "evil" / "tiny-model").exists()


def test_package_entries_are_not_pulled(registry: Registry) -> None:
    with pytest.raises(ModelError, match="nothing to pull"):
        pull(registry.get("pkg"), registry)


def test_progress_redraws_one_line_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    ticks = iter(float(i) for i in range(100))
    monkeypatch.delenv("CI", raising=False)
    out = Tty()
    bar = Progress(out, "vosk", 4_000_000, clock=lambda: next(ticks))
    assert not bar.plain
    for _ in range(4):
        bar.update(1_000_000)
    bar.finish()
    text = out.getvalue()
    assert text.count("\n") == 1 and text.count("\r") == 5
    assert "[##########----------] 2.0/4.0 MB  50%" in text and "MB/s" in text
    assert text.rstrip().rsplit("\r", 1)[-1].startswith("vosk: 4.0 MB in ")
    # CI=true: plain lines even on a terminal.
    monkeypatch.setenv("CI", "true")
    assert Progress(Tty(), "vosk", 1).plain


def test_pull_command_output_and_exit_codes(
    registry: Registry, capsys: pytest.CaptureFixture[str]
) -> None:
    assert pull_models(registry, ["blob", "tiny"]) == 0
    captured = capsys.readouterr()
    assert "blob: downloading http://127.0.0.1:" in captured.out
    assert (
        "blob: ok, sha256 verified" in captured.out and "tiny: ok, sha256 verified" in captured.out
    )
    assert "blob: 0.3 MB in " in captured.err  # progress goes to stderr
    assert pull_models(registry, ["blob"]) == 0
    assert "blob: already pulled, sha256 ok" in capsys.readouterr().out

    assert pull_models(registry, ["gone"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("glasses models: model gone: download of") and err.count("\n") == 1
    assert pull_models(registry, ["pkg"]) == 2
    assert "nothing to pull" in capsys.readouterr().err
    with pytest.raises(ModelError, match="unknown model 'nope'"):
        pull_models(registry, ["nope"])
    assert main(["models", "pull", "nope"]) == 3
    assert "unknown model 'nope'" in capsys.readouterr().err


def test_list_and_verify_report_not_pulled_without_failing(
    registry: Registry, capsys: pytest.CaptureFixture[str]
) -> None:
    manifest = registry.manifest.with_name("pulled-only.toml")
    manifest.write_text(
        _entry("blob", registry.get("blob").url, BLOB)
        + _entry(
            "tiny", registry.get("tiny").url, MODEL_ZIP, 'archive = "zip"\nunpacked = "tiny-model"'
        )
    )
    reg = Registry(manifest, cache_dir=registry.cache_dir)
    assert verify_models(reg) == 0
    out = capsys.readouterr().out
    assert out.count("not pulled (optional; fetch it with: glasses models pull ") == 2
    assert "0/0 models verified; 2 optional not pulled (not a failure)" in out
    assert list_models(reg) == 0
    out = capsys.readouterr().out
    assert out.count("not pulled") >= 2 and "glasses models pull ID" in out

    pull(reg.get("blob"), reg)
    pull(reg.get("tiny"), reg)
    assert verify_models(reg) == 0
    out = capsys.readouterr().out
    assert "2/2 models verified" in out and str(reg.cache_dir / "tiny" / "tiny-model") in out
    assert list_models(reg) == 0
    assert capsys.readouterr().out.count("present") == 2

    # A pulled file that was altered fails verify.
    path = reg.download_path(reg.get("blob"))
    path.write_bytes(path.read_bytes()[:-1])
    assert verify_models(reg) == 1
    out = capsys.readouterr().out
    assert "sha256 mismatch for" in out and "fix: glasses models pull blob" in out
    assert "1/2 models verified" in out


def test_bundled_manifest_has_the_pulled_models() -> None:
    entries = {e.id: e for e in load_manifest()}
    yunet, vosk = entries["face-yunet"], entries["vosk-small-en"]
    assert yunet.url.endswith("/face_detection_yunet_2023mar.onnx") and yunet.licence == "MIT"
    assert not yunet.archive and yunet.size_bytes == 232589
    assert vosk.url == "https://alphacephei.com/vosk/models/vosk-model-small-en-us-0.15.zip"
    assert vosk.archive == "zip" and vosk.unpacked == "vosk-model-small-en-us-0.15"
    assert vosk.licence == "Apache-2.0" and vosk.size_bytes == 41205931
    from glasses.perception import faces

    assert yunet.url == faces.YUNET_URL and yunet.sha256 == faces.YUNET_SHA256


@pytest.mark.parametrize(
    ("extra", "error"),
    [
        ('archive = "zip"', "archive and unpacked"),
        ('unpacked = "d"', "archive and unpacked"),
        ('archive = "tar"\nunpacked = "d"', "archive must be one of zip"),
        ('archive = "zip"\nunpacked = "../up"', "relative directory"),
    ],
)
def test_malformed_archive_fields_are_manifest_errors(
    tmp_path: Path, extra: str, error: str
) -> None:
    manifest = tmp_path / "manifest.toml"
    manifest.write_text(_entry("x", "https://example.org/x.zip", b"x", extra))
    with pytest.raises(ModelError, match=error):
        load_manifest(manifest)
