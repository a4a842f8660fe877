"""int8 quantization of the OCR models: calibrated and validated on the generated OCR set.

The generic steps, the report and the hash checks are :mod:`models.quantize`'s; this module
gives them what only a layer above the model registry may know: calibration inputs are frames
of the simulator's generated OCR set (``simulator.ocr_set``, its calibration split) fed through
``OcrReader``'s own preprocessing (the fp32 reader: the detector's whole frames, the
recogniser's batches of the line crops the fp32 detector finds), and the evaluation reads the
validation split with all-fp32 and with the new int8 file. ``glasses models quantize`` and
``glasses bench vision`` run it; the simulator is imported lazily, as the top layer may.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias

from models.quantize import ACCEPT_POINTS, Progress, Report
from models.quantize import quantize as quantize_model
from models.registry import ModelError, Registry

if TYPE_CHECKING:
    import numpy as np

    from glasses.perception.ocr import OcrReader
    from simulator.ocr_set import OcrSample

# What reads a frame: our reader, or any function from a BGR image to its text lines.
Reader: TypeAlias = "OcrReader | Callable[[np.ndarray], list[str]]"


def quantize(
    model_id: str,
    *,
    registry: Registry | None = None,
    calibration_frames: int | None = None,
    validation_frames: int | None = None,
    progress: Progress = print,
) -> Report:
    """Quantize the OCR model ``model_id`` to int8 and validate it against fp32 on generated
    frames (``models.quantize.quantize`` with this module's calibration and evaluation)."""
    return quantize_model(
        model_id,
        calibration=calibration_inputs,
        evaluation=evaluate,
        registry=registry,
        calibration_frames=calibration_frames,
        validation_frames=validation_frames,
        progress=progress,
    )


def calibration_inputs(model_id: str, frames: int, registry: Registry) -> list[np.ndarray]:
    """Input tensors for ``model_id`` from the calibration split, through ``OcrReader``'s own
    preprocessing (the fp32 reader: the detector's frames, the recogniser's crop batches)."""
    from glasses.perception.ocr import DET_MODEL, REC_MODEL, OcrReader
    from simulator.ocr_set import calibration_set

    reader = OcrReader(registry=registry, verify=False, precision="fp32")
    samples = calibration_set(frames)
    if model_id == DET_MODEL:
        return [reader.detector_input(s.image) for s in samples]
    if model_id == REC_MODEL:
        crops = [crop for s in samples for crop in reader.crops(s.image)]
        return [batch for _, batch in reader.recogniser_batches(crops)]
    raise ModelError(f"model {model_id!r}: no calibration data source (OCR models only)")


def evaluate(
    model_id: str, int8_file: Path, frames: int, calibration_frames: int, registry: Registry
) -> Report:
    """Read ``frames`` validation frames with all-fp32 and with ``int8_file`` for ``model_id``."""
    from glasses.perception.ocr import OcrReader

    fp32 = OcrReader(registry=registry, verify=False, precision="fp32")
    int8 = OcrReader(
        registry=registry, verify=False, precision="fp32", overrides={model_id: int8_file}
    )
    if frames == 0:
        return Report(model_id, str(int8_file), 0, calibration_frames, 0, 0, 0, 0, 0, 0, 0, False)
    from simulator.ocr_set import validation_set

    samples = validation_set(frames)
    results = read_sets({"fp32": fp32, "int8": int8}, samples)
    a, b = results["fp32"], results["int8"]
    exact_a, exact_b = 100 * a.line_exact, 100 * b.line_exact
    return Report(
        model_id=model_id,
        int8_path=str(int8_file),
        validation_frames=frames,
        calibration_frames=calibration_frames,
        line_exact_fp32=round(exact_a, 2),
        line_exact_int8=round(exact_b, 2),
        cer_fp32=round(a.cer, 5),
        cer_int8=round(b.cer, 5),
        ms_p50_fp32=round(a.ms_p50, 1),
        ms_p50_int8=round(b.ms_p50, 1),
        speedup=round(a.ms_p50 / b.ms_p50, 3) if b.ms_p50 else 0.0,
        accepted=exact_b >= exact_a - ACCEPT_POINTS,
    )


@dataclass(frozen=True, slots=True)
class SetResult:
    """One reader over a set: line-exact (0..1), CER, and per-frame wall time in ms."""

    line_exact: float
    cer: float
    ms: tuple[float, ...]

    @property
    def ms_p50(self) -> float:
        return statistics.median(self.ms) if self.ms else 0.0


def read_set(reader: Reader, samples: Sequence[OcrSample]) -> SetResult:
    """Read every sample (timed, wall clock) and score it against its ground truth."""
    return read_sets({"": reader}, samples)[""]


def read_sets(readers: Mapping[str, Reader], samples: Sequence[OcrSample]) -> dict[str, SetResult]:
    """``read_set`` for several readers, interleaved frame by frame, so that a machine busy
    with other work slows every reader alike and their latency ratios stay fair."""
    from glasses.perception.ocr import OcrReader
    from simulator.ocr_set import OcrScore, score

    totals = {name: OcrScore() for name in readers}
    ms: dict[str, list[float]] = {name: [] for name in readers}
    for s in samples:
        for name, reader in readers.items():
            t = time.perf_counter()
            if isinstance(reader, OcrReader):
                lines = [line.text for line in reader.read(s.image)]
            else:
                lines = reader(s.image)
            ms[name].append((time.perf_counter() - t) * 1000)
            totals[name] = totals[name] + score(s.lines, lines)
    return {
        name: SetResult(totals[name].line_exact, totals[name].cer, tuple(ms[name]))
        for name in readers
    }
