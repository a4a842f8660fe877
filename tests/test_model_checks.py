"""Every model file the runtime loads is hash-checked: the int8 files of ``glasses models
quantize`` against their reports, and the files other wheels ship (Silero VAD, OpenCV's Haar
cascades, PocketSphinx's en-US model) against the manifest."""

from __future__ import annotations

import json
import logging
import shutil
import wave
from pathlib import Path

import pytest

import models.registry
from glasses.app.pipeline import SPEECH_MODELS, check_speech_models
from glasses.cli.main import main
from glasses.perception.faces import FaceDetector, FaceModelError
from glasses.perception.ocr import DET_MODEL, OcrReader
from models import quantize
from models.registry import ModelError, Registry, sha256_of

RUNTIME_PACKAGE_MODELS = ("silero-vad", "haar-frontalface", "haar-profileface", *SPEECH_MODELS)


def flip_a_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF  # one bit-rotted byte in the middle
    path.write_bytes(bytes(data))


def package_copy(tmp_path: Path, package: str) -> Path:
    """A copy of an installed package's directory, to alter without harm."""
    root = Registry().package_root(package)
    assert root is not None, f"{package} is not installed"
    copy = tmp_path / package
    shutil.copytree(root, copy, ignore=shutil.ignore_patterns("*.so", "__pycache__"))
    return copy


@pytest.mark.parametrize("model_id", sorted(set(RUNTIME_PACKAGE_MODELS)))
def test_the_bundled_files_the_runtime_loads_are_in_the_manifest_and_intact(
    model_id: str,
) -> None:
    registry = Registry()
    entry = registry.get(model_id)
    assert entry.is_package and entry.licence and len(entry.sha256) == 64
    result = registry.verify(entry)
    assert result.ok, result.message()
    assert registry.check(model_id) == result.path


def test_pocketsphinx_is_checked_file_by_file(tmp_path: Path) -> None:
    entry = Registry().get("pocketsphinx-en-us")
    names = [f.name.rsplit("/", 1)[-1] for f in entry.model_files()]
    assert names[:3] == ["en-us.lm.bin", "cmudict-en-us.dict", "en-us-phone.lm.bin"]
    assert {"mdef", "means", "variances", "sendump", "feat.params"} <= set(names)
    copy = package_copy(tmp_path, "pocketsphinx")
    flip_a_byte(copy / "model" / "en-us" / "en-us" / "mdef")
    registry = Registry(package_roots={"pocketsphinx": copy})
    with pytest.raises(ModelError) as info:
        check_speech_models(registry)
    message = str(info.value)
    assert "\n" not in message and message.startswith("model pocketsphinx-en-us: sha256 mismatch")
    assert str(copy / "model" / "en-us" / "en-us" / "mdef") in message
    assert message.endswith("fix: pip install --force-reinstall 'pocketsphinx>=5,<6'")


def test_an_altered_silero_model_is_refused_with_its_fix(tmp_path: Path) -> None:
    copy = tmp_path / "silero_vad"
    (copy / "data").mkdir(parents=True)
    installed = Registry().check("silero-vad")
    shutil.copy(installed, copy / "data" / "silero_vad.onnx")
    registry = Registry(package_roots={"silero_vad": copy})
    assert registry.check("silero-vad") == copy / "data" / "silero_vad.onnx"
    (copy / "data" / "silero_vad.onnx").write_bytes(installed.read_bytes()[:1000])  # truncated
    with pytest.raises(ModelError) as info:
        registry.check("silero-vad")  # changed since the last check: read again
    assert str(info.value).endswith(
        "fix: pip install --force-reinstall --no-deps 'silero-vad==6.2.3'"
    )


def test_an_altered_haar_cascade_is_a_one_line_error_naming_the_fix(tmp_path: Path) -> None:
    copy = tmp_path / "cv2"
    (copy / "data").mkdir(parents=True)
    for model_id in ("haar-frontalface", "haar-profileface"):
        installed = Registry().check(model_id)
        shutil.copy(installed, copy / "data" / installed.name)
    registry = Registry(package_roots={"cv2": copy})
    assert FaceDetector(registry=registry)  # intact copies load
    flip_a_byte(copy / "data" / "haarcascade_profileface.xml")
    with pytest.raises(FaceModelError) as info:
        FaceDetector(registry=registry)
    message = str(info.value)
    assert "\n" not in message and "model haar-profileface: sha256 mismatch" in message
    assert message.endswith("fix: pip install --force-reinstall 'opencv-python-headless>=4.9,<5'")
    assert FaceDetector(registry=registry, profile=False)  # the frontal cascade is intact


@pytest.fixture
def int8_cache(tmp_path: Path) -> Path:
    """A cache holding a stand-in int8 detector (the fp32 file: it loads and reads) and the
    report ``glasses models quantize`` would write for it, accepted."""
    cache = tmp_path / "models"
    int8 = quantize.int8_path(DET_MODEL, cache)
    int8.parent.mkdir(parents=True)
    shutil.copy(Registry().check(DET_MODEL), int8)
    report = {field: 0 for field in quantize.REPORT_FIELDS}
    report |= {"model_id": DET_MODEL, "int8_path": str(int8), "accepted": True}
    report["int8_sha256"] = sha256_of(int8)
    quantize.report_path(DET_MODEL, cache).write_text(json.dumps(report))
    return cache


def test_an_intact_accepted_int8_file_is_used(int8_cache: Path) -> None:
    check = quantize.check_int8(DET_MODEL, int8_cache)
    assert check.status == "ok" and check.accepted and not check.fault
    reader = OcrReader(registry=Registry(cache_dir=int8_cache))
    assert reader.model_paths[DET_MODEL] == quantize.int8_path(DET_MODEL, int8_cache)


def test_an_altered_int8_file_falls_back_to_fp32_with_a_warning(
    int8_cache: Path, caplog: pytest.LogCaptureFixture
) -> None:
    int8 = quantize.int8_path(DET_MODEL, int8_cache)
    flip_a_byte(int8)
    registry = Registry(cache_dir=int8_cache)
    with caplog.at_level(logging.WARNING, logger="glasses.perception.ocr"):
        reader = OcrReader(registry=registry)
    assert reader.model_paths[DET_MODEL] == registry.check(DET_MODEL)  # the checked fp32 file
    assert not quantize.int8_accepted(DET_MODEL, int8_cache)
    (warning,) = [r.getMessage() for r in caplog.records]
    assert warning.startswith(f"model {DET_MODEL}: int8 file {int8}: sha256 mismatch")
    assert warning.endswith(
        f"fix: glasses models quantize {DET_MODEL}; using the checked fp32 model instead"
    )
    with pytest.raises(ModelError, match=f"sha256 mismatch.*glasses models quantize {DET_MODEL}"):
        OcrReader(registry=registry, precision="int8")  # asked for int8: no silent swap


def test_an_int8_file_whose_report_recorded_no_hash_is_not_used(int8_cache: Path) -> None:
    report = quantize.report_path(DET_MODEL, int8_cache)
    data = json.loads(report.read_text())
    del data["int8_sha256"]  # a report from before hashes were recorded
    report.write_text(json.dumps(data))
    check = quantize.check_int8(DET_MODEL, int8_cache)
    assert check.status == "unrecorded" and check.fault
    registry = Registry(cache_dir=int8_cache)
    assert OcrReader(registry=registry).model_paths[DET_MODEL] == registry.check(DET_MODEL)


def test_models_verify_reports_an_altered_int8_file(
    int8_cache: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GLASSES_MODELS_DIR", str(int8_cache))
    assert main(["models", "verify"]) == 0
    assert f"[int8] {DET_MODEL}: ok" in capsys.readouterr().out
    flip_a_byte(quantize.int8_path(DET_MODEL, int8_cache))
    assert main(["models", "verify"]) == 1
    out = capsys.readouterr().out
    assert f"[int8] {DET_MODEL}: sha256 mismatch (the runtime uses fp32 instead)" in out
    assert f"fix: glasses models quantize {DET_MODEL}" in out


@pytest.mark.parametrize("command", [["transcribe", "--backend", "pocketsphinx"], ["listen"]])
def test_speech_commands_refuse_an_altered_pocketsphinx_model_in_one_line(
    command: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    copy = package_copy(tmp_path, "pocketsphinx")
    flip_a_byte(copy / "model" / "en-us" / "cmudict-en-us.dict")
    monkeypatch.setattr(models.registry, "_DEFAULT", Registry(package_roots={"pocketsphinx": copy}))
    wav = tmp_path / "quiet.wav"
    with wave.open(str(wav), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16_000)
        out.writeframes(bytes(16_000))
    name, *options = command
    assert main([name, str(wav), *options]) == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "model pocketsphinx-en-us: sha256 mismatch" in err
    assert err.rstrip().endswith("fix: pip install --force-reinstall 'pocketsphinx>=5,<6'")
