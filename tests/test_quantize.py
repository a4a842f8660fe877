"""`glasses models quantize`: recipe, static QDQ int8 on a small calibration set, the report,
and the reader's choice between int8 and fp32."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from glasses.bench import ocr_quantize
from glasses.cli.main import main
from glasses.perception.ocr import DET_MODEL, REC_MODEL, OcrReader
from models import quantize
from models.registry import ModelError, Registry, open_session, sha256_of
from simulator import ocr_set
from simulator.scenes import SceneSpec, render_scene


def _fonts_or_skip() -> None:
    try:
        ocr_set.font_paths()
    except ocr_set.FontsMissing as exc:
        pytest.skip(str(exc))


def sign(text: str) -> np.ndarray:
    return render_scene(SceneSpec("text", text, scale=0.7, noise_sigma=3, seed=1))


def test_recipes_come_from_the_manifest() -> None:
    rec = quantize.recipe(REC_MODEL)
    assert rec.op_types == ("Conv",) and rec.keep_fp32_convs == 3 and rec.per_channel
    assert rec.opset == 13
    det = quantize.recipe(DET_MODEL)
    assert det.op_types == ("Conv",) and det.keep_fp32_convs == 0
    with pytest.raises(ModelError, match=r"no \[model\.quantize\] recipe"):
        quantize.recipe("ppocr-cls")


def test_dynamic_quantization_is_refused(tmp_path: Path) -> None:
    manifest = tmp_path / "manifest.toml"
    manifest.write_text(
        '[[model]]\nid = "m"\n[model.quantize]\nmethod = "dynamic-qint8"\n', encoding="utf-8"
    )
    with pytest.raises(ModelError, match="static-qdq only"):
        quantize.recipe("m", manifest)


@pytest.fixture(scope="module")
def det_int8(tmp_path_factory: pytest.TempPathFactory) -> tuple[Registry, quantize.Report]:
    """The detector quantized on 2 calibration frames, validated on 3 (~20 s)."""
    _fonts_or_skip()
    registry = Registry(cache_dir=tmp_path_factory.mktemp("models"))
    lines: list[str] = []
    report = ocr_quantize.quantize(
        DET_MODEL, registry=registry, calibration_frames=2, validation_frames=3,
        progress=lines.append,
    )  # fmt: skip
    assert [line[:5] for line in lines if line.startswith("[")] == [f"[{i}/5]" for i in range(1, 6)]
    return registry, report


def test_quantized_detector_loads_and_reads_a_sign(
    det_int8: tuple[Registry, quantize.Report],
) -> None:
    registry, _ = det_int8
    path = quantize.int8_path(DET_MODEL, registry.cache_dir)
    assert path.is_file() and path.parent.parent == registry.cache_dir
    session = open_session(path)
    ops = _op_types(path)
    assert "QuantizeLinear" in ops and "DequantizeLinear" in ops
    assert session.get_inputs()[0].name
    reader = OcrReader(
        registry=registry, verify=False, precision="fp32", overrides={DET_MODEL: path}
    )
    assert reader.model_paths[DET_MODEL] == path
    assert [line.text for line in reader.read(sign("EXIT\nPlatform 4"))] == ["EXIT", "Platform 4"]


def test_the_report_is_saved_next_to_the_model(det_int8: tuple[Registry, quantize.Report]) -> None:
    registry, report = det_int8
    saved = json.loads(quantize.report_path(DET_MODEL, registry.cache_dir).read_text())
    assert tuple(saved) == quantize.REPORT_FIELDS
    assert saved["validation_frames"] == 3 and saved["calibration_frames"] == 2
    assert saved["ms_p50_fp32"] > 0 and saved["ms_p50_int8"] > 0
    assert saved["accepted"] == (saved["line_exact_int8"] >= saved["line_exact_fp32"] - 1.0)
    # The int8 file's sha256, checked whenever the runtime loads it.
    assert saved["int8_sha256"] == sha256_of(quantize.int8_path(DET_MODEL, registry.cache_dir))
    assert quantize.check_int8(DET_MODEL, registry.cache_dir).status == "ok"
    assert quantize.format_report(report).startswith(f"    {DET_MODEL} on 3 frames")


def test_the_reader_uses_int8_only_where_the_report_accepts_it(
    det_int8: tuple[Registry, quantize.Report], tmp_path: Path
) -> None:
    registry, _ = det_int8
    cache = tmp_path / "cache"
    shutil.copytree(registry.cache_dir, cache)
    reg = Registry(cache_dir=cache)
    int8 = quantize.int8_path(DET_MODEL, cache)
    report = quantize.report_path(DET_MODEL, cache)
    fp32_det = reg.path(DET_MODEL, check=False)

    data = json.loads(report.read_text())
    report.write_text(json.dumps(data | {"accepted": True}))
    assert OcrReader(registry=reg, verify=False).model_paths[DET_MODEL] == int8
    report.write_text(json.dumps(data | {"accepted": False}))
    assert OcrReader(registry=reg, verify=False).model_paths[DET_MODEL] == fp32_det
    report.write_text("not json")
    assert not quantize.int8_accepted(DET_MODEL, cache)
    assert (
        OcrReader(registry=reg, verify=False, precision="fp32").model_paths[DET_MODEL] == fp32_det
    )
    # No int8 recogniser here: asking for int8 says how to make it.
    report.write_text(json.dumps(data))
    with pytest.raises(ModelError, match=f"glasses models quantize {REC_MODEL}"):
        OcrReader(registry=reg, verify=False, precision="int8")


def test_quantize_command_rejects_an_unknown_model(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "quantize", "nope"]) == 3
    assert "unknown model 'nope'" in capsys.readouterr().err


@pytest.mark.slow
def test_quantized_recogniser_reads_a_sign(tmp_path: Path) -> None:
    """The recogniser's recipe (Conv only, first three Convs fp32) on 3 calibration frames."""
    _fonts_or_skip()
    registry = Registry(cache_dir=tmp_path)
    report = ocr_quantize.quantize(
        REC_MODEL, registry=registry, calibration_frames=3, validation_frames=4,
        progress=lambda _: None,
    )  # fmt: skip
    assert report.line_exact_int8 >= report.line_exact_fp32 - 25
    path = quantize.int8_path(REC_MODEL, registry.cache_dir)
    reader = OcrReader(
        registry=registry, verify=False, precision="fp32", overrides={REC_MODEL: path}
    )
    assert [line.text for line in reader.read(sign("Way out"))] == ["Way out"]


def _op_types(path: Path) -> set[str]:
    import onnx

    return {n.op_type for n in onnx.load(str(path)).graph.node}
