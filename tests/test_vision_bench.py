"""`glasses bench vision`: the flat JSON object, on fake figures and on one tiny real run."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from glasses.bench import vision_bench
from glasses.cli.main import main
from models import quantize
from models.registry import Registry, sha256_of
from simulator import ocr_set


def test_flat_has_exactly_the_issue_keys() -> None:
    ocr = {"ms_p50": 100.0, "ms_p95": 150.0, "line_exact": 97.5, "cer": 0.01}
    figures = {
        "fp32": ocr | {"ms_p50": 160.0, "line_exact": 98.0},
        "int8": ocr,
        "raw": ocr | {"ms_p50": 300.0, "line_exact": 96.0},
        "codes": {"decode_rate": 99.0, "ms_p50": 9.0},
        "codes_opencv": {"decode_rate": 98.0, "ms_p50": 8.0},
        "codes_hard": {"decode_rate": 0.97, "ms_p50": 3.0, "noise_false_positives": 0.0},
        "codes_hard_opencv": {"decode_rate": 0.5, "ms_p50": 13.0, "noise_ms_p50": 8.0},
        "camera": {"frame_age_ms_p95": 12.5},
    }
    flat = vision_bench.flat(figures)
    assert tuple(flat) == vision_bench.KEYS
    assert flat["code_decode_rate_hard"] == 0.97 and flat["code_ms_p50_hard"] == 3.0
    assert flat["code_decode_rate_hard_opencv"] == 0.5 and flat["code_ms_p50_opencv"] == 8.0
    assert flat["code_noise_false_positives"] == 0.0 and flat["code_noise_ms_p50_opencv"] == 8.0
    assert flat["speedup_vs_raw"] == 3.0 and flat["int8_speedup"] == 1.6
    assert flat["ocr_line_exact_fp32"] == 98.0 and flat["raw_rapidocr_line_exact"] == 96.0
    assert flat["camera_frame_age_ms_p95"] == 12.5
    missing = vision_bench.flat({"fp32": ocr})
    assert tuple(missing) == vision_bench.KEYS and missing["int8_speedup"] is None


def test_generated_codes_are_decoded() -> None:
    figures = vision_bench.code_figures(6)
    assert figures["decode_rate"] >= 80 and figures["ms_p50"] > 0


def test_hard_code_set_side_by_side() -> None:
    # The first 20 frames of the hard set hold every symbology twice; OpenCV reads no
    # DataMatrix, Code 128 or PDF417 (6 of them), zxing-cpp all but at most one.
    from glasses.bench.opencv_codes import OpenCvCodeReader
    from glasses.perception.codes import CodeReader

    ours = vision_bench.hard_code_figures(20, 4, CodeReader())
    before = vision_bench.hard_code_figures(20, 4, OpenCvCodeReader())
    assert ours["decode_rate"] >= 0.95 and before["decode_rate"] <= 0.7
    assert ours["noise_false_positives"] == before["noise_false_positives"] == 0
    assert ours["ms_p50"] > 0 and ours["noise_ms_p50"] > 0


def test_a_tiny_real_run_writes_the_json(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """One frame through every reader; the "int8" files are fp32 copies (quantizing is tested
    in test_quantize.py), so this checks the plumbing and the output, not the speed-up."""
    try:
        ocr_set.font_paths()
    except ocr_set.FontsMissing as exc:
        pytest.skip(str(exc))
    cache = tmp_path / "models"
    registry = Registry(cache_dir=cache)
    for model_id in ("ppocr-det", "ppocr-rec"):
        target = quantize.int8_path(model_id, cache)
        target.parent.mkdir(parents=True)
        shutil.copy(registry.path(model_id, check=False), target)
        # As quantize writes it: accepted, with the int8 file's sha256 checked at load.
        quantize.report_path(model_id, cache).write_text(
            json.dumps({"accepted": True, "int8_sha256": sha256_of(target)})
        )
    monkeypatch.setenv("GLASSES_MODELS_DIR", str(cache))
    out = tmp_path / "vision.json"
    assert main(["bench", "vision", "--frames", "1", "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "raw rapidocr" in printed and "camera at 30 fps" in printed
    data = json.loads(out.read_text())
    assert tuple(data) == vision_bench.KEYS
    assert all(isinstance(data[k], float) for k in vision_bench.KEYS)
    assert data["ocr_ms_p50_int8"] > 0 and data["raw_rapidocr_ms_p50"] > 0
    assert data["code_decode_rate"] >= 80
    assert data["code_decode_rate_hard"] >= 0.8 and data["code_noise_false_positives"] == 0
    assert "OpenCV (until issue 15)" in printed
