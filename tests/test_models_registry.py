"""The model registry: the manifest, verified files, and one-line errors that name the fix."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

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


def _copy_rapidocr_models(tmp_path: Path) -> Path:
    """A stand-in for the rapidocr package holding copies of its model files."""
    root = tmp_path / "rapidocr"
    for entry in load_manifest():
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
    for e in entries:
        assert e.source.startswith("package:rapidocr/models/") and e.source.endswith(".onnx")
        assert len(e.sha256) == 64 and e.licence == "Apache-2.0" and e.task and e.input


def test_manifest_ships_inside_the_models_package() -> None:
    # hatch packages every file of the `models` package directory, the .toml included.
    assert (
        MANIFEST_PATH.parent.name == "models" and (MANIFEST_PATH.parent / "__init__.py").is_file()
    )


@pytest.mark.parametrize("entry", load_manifest(), ids=lambda e: e.id)
def test_every_installed_model_verifies(entry: ModelEntry) -> None:
    result = verify(entry)
    assert result.ok, result.message()
    assert result.path.is_file() and result.status == "ok" and result.message() == ""


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
    good = resolve(load_manifest()[0]).read_bytes()
    bad.write_bytes(good[: len(good) // 3])  # truncated download
    with pytest.raises(ModelError) as info:
        open_session(bad)
    assert str(bad) in str(info.value) and "\n" not in str(info.value)


def test_models_list_and_verify_cli(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "list"]) == 0
    out = capsys.readouterr().out
    assert "ppocr-det" in out and "text-recognition" in out and "present" in out
    assert main(["models", "verify"]) == 0
    out = capsys.readouterr().out
    assert out.count(" ok (") == len(load_manifest())
    assert f"{len(load_manifest())}/{len(load_manifest())} models verified" in out


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
    assert f"{len(registry.entries) - 1}/{len(registry.entries)} models verified" in out
