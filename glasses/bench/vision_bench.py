"""``glasses bench vision``: OCR (fp32, int8, raw rapidocr), codes, and the camera path at 30 fps.

All OCR readers see the same frames of the generated OCR set (``simulator.ocr_set``, the
validation split): line-exact rate, character error rate, and wall-clock ms per frame. The
int8 models come from the user cache directory; when absent they are quantized first (a
progress line says so). Raw ``rapidocr`` 3.x runs with its defaults (angle classifier on,
detector limit side 736) on the bundled model files, passed by path so it never downloads;
it loads lazily, so it is warmed up before timing.

Codes: ``CodeReader`` (zxing-cpp) on generated QR and EAN-13 frames (rotated, noisy), and on
the harder set of ``simulator.code_set`` (seven symbologies; two of blur, small, rotated up to
45°, perspective, low contrast and glare per frame) and its noise frames (no code: false
positives). The OpenCV reader it replaced (``glasses.bench.opencv_codes``) reads the same
frames; its figures carry ``_opencv`` in their keys. Camera path: a ``CodeStage`` on the real
clock fed QR frames at 30 fps; the age of each frame when the model starts on it (capture →
model), and how many frames were dropped by the stage's latest-wins inbox.

Units: ``code_decode_rate`` (and ``_opencv``) is a percentage, as it always was; the hard set's
``code_decode_rate_hard`` (and ``_opencv``) a fraction, as issue 15 states its target (≥ 0.97).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal, Protocol

import numpy as np

from glasses.runtime.metrics import percentile

if TYPE_CHECKING:
    from glasses.runtime.events import DecodedCode
    from models.registry import Registry

Progress = Callable[[str], None]
CAMERA_FPS = 30
KEYS = (
    "ocr_ms_p50_int8",
    "ocr_ms_p50_fp32",
    "ocr_line_exact_int8",
    "ocr_line_exact_fp32",
    "ocr_cer_int8",
    "raw_rapidocr_ms_p50",
    "raw_rapidocr_line_exact",
    "speedup_vs_raw",
    "int8_speedup",
    "code_decode_rate",
    "code_ms_p50",
    "camera_frame_age_ms_p95",
    "ocr_ms_p50_auto",
    "ocr_line_exact_auto",
    "code_decode_rate_hard",
    "code_ms_p50_hard",
    "code_noise_false_positives",
    "code_noise_ms_p50",
    "code_decode_rate_opencv",
    "code_ms_p50_opencv",
    "code_decode_rate_hard_opencv",
    "code_ms_p50_hard_opencv",
    "code_noise_false_positives_opencv",
    "code_noise_ms_p50_opencv",
)


class Reader(Protocol):
    def read(self, image: np.ndarray) -> list[DecodedCode]: ...


def run(
    frames: int = 40,
    *,
    code_frames: int = 100,
    hard_code_frames: int = 200,
    camera_seconds: float = 4.0,
    raw: bool = True,
    registry: Registry | None = None,
    progress: Progress = print,
) -> dict[str, dict[str, float]]:
    """Figures by section: ``fp32``, ``int8``, ``raw`` (OCR), ``codes``, ``codes_opencv``,
    ``codes_hard``, ``codes_hard_opencv``, ``camera``.

    OCR sections: ``ms_p50``, ``ms_p95`` (per frame), ``line_exact`` (%), ``cer``. The hard
    code set has ``hard_code_frames`` frames and a quarter as many noise frames.
    ``registry``: where the models and the int8 artefacts are (default: a fresh ``Registry``,
    so ``$GLASSES_MODELS_DIR`` is honoured).
    """
    from glasses.bench import ocr_quantize
    from glasses.perception.ocr import DET_MODEL, REC_MODEL, OcrReader
    from models import quantize
    from models.registry import Registry
    from simulator.ocr_set import validation_set

    registry = registry or Registry()
    for model_id in (DET_MODEL, REC_MODEL):
        if not quantize.int8_path(model_id, registry.cache_dir).is_file():
            progress(f"int8 {model_id} missing in {registry.cache_dir}: quantizing it first …")
            ocr_quantize.quantize(model_id, registry=registry, progress=progress)

    progress(f"generating {frames} OCR frames …")
    samples = validation_set(frames)
    # "auto" is what the runtime runs: int8 only for the models whose report accepts it.
    readers: dict[str, ocr_quantize.Reader] = {
        name: OcrReader(registry=registry, precision=name) for name in ("fp32", "int8", "auto")
    }
    if raw:
        progress("loading raw rapidocr (its defaults, bundled model files) …")
        readers["raw"] = raw_rapidocr(registry)
    progress(f"OCR: {frames} frames, each read by {', '.join(readers)} in turn …")
    results = ocr_quantize.read_sets(readers, samples)
    out = {name: _ocr_figures(result) for name, result in results.items()}
    from glasses.bench.opencv_codes import OpenCvCodeReader
    from glasses.perception.codes import CodeReader

    progress(f"codes: {code_frames} generated QR/EAN-13 frames, zxing-cpp and OpenCV …")
    out["codes"] = code_figures(code_frames, CodeReader())
    out["codes_opencv"] = code_figures(code_frames, OpenCvCodeReader())
    noise = max(1, hard_code_frames // 4)
    progress(f"codes, hard set: {hard_code_frames} frames and {noise} noise frames, both …")
    out["codes_hard"] = hard_code_figures(hard_code_frames, noise, CodeReader())
    out["codes_hard_opencv"] = hard_code_figures(hard_code_frames, noise, OpenCvCodeReader())
    progress(f"camera path: CodeStage on the real clock at {CAMERA_FPS} fps, {camera_seconds} s …")
    out["camera"] = camera_figures(camera_seconds)
    return out


def _ocr_figures(result: Any) -> dict[str, float]:
    return {
        "ms_p50": round(result.ms_p50, 1),
        "ms_p95": round(percentile(list(result.ms), 95), 1),
        "line_exact": round(100 * result.line_exact, 2),
        "cer": round(result.cer, 5),
    }


def raw_rapidocr(registry: Registry) -> Callable[[np.ndarray], list[str]]:
    """``rapidocr.RapidOCR`` with its defaults on the bundled model files; warmed up."""
    from rapidocr import RapidOCR

    engine = RapidOCR(
        params={
            "Det.model_path": str(registry.path("ppocr-det")),
            "Rec.model_path": str(registry.path("ppocr-rec")),
            "Cls.model_path": str(registry.path("ppocr-cls")),
            "Global.log_level": "error",
        }
    )

    def read(image: np.ndarray) -> list[str]:
        result = engine(image)
        txts = getattr(result, "txts", None)  # a RapidOCROutput; None when nothing was found
        return [str(t) for t in txts] if txts else []

    warm = np.full((480, 640, 3), 255, np.uint8)
    import cv2

    cv2.putText(warm, "warm up", (40, 240), cv2.FONT_HERSHEY_SIMPLEX, 2.0, (0, 0, 0), 4)
    read(warm)
    return read


def code_frames(n: int) -> list[tuple[np.ndarray, str]]:
    """``n`` generated frames, alternately QR and EAN-13, with the value each encodes."""
    from simulator.scenes import SceneSpec, ean13_checksum, render_scene

    out: list[tuple[np.ndarray, str]] = []
    for i in range(n):
        rng = np.random.default_rng([7, i])
        rotate = float(rng.uniform(-12, 12))
        noise = float(rng.uniform(3, 10))
        center = (float(rng.uniform(0.4, 0.6)), float(rng.uniform(0.4, 0.6)))
        if i % 2 == 0:
            kind: Literal["qr", "ean13"] = "qr"
            value = f"https://example.com/item/{int(rng.integers(10_000))}"
            scale = float(rng.uniform(0.25, 0.45))
        else:
            kind = "ean13"
            digits = "4" + "".join(str(int(d)) for d in rng.integers(0, 10, 11))
            value = digits + str(ean13_checksum(digits))
            scale = float(rng.uniform(0.45, 0.7))
        spec = SceneSpec(
            kind, value, scale=scale, rotate_deg=rotate, noise_sigma=noise, center=center, seed=i
        )
        out.append((render_scene(spec), value))
    return out


def code_figures(n: int, reader: Reader | None = None) -> dict[str, float]:
    """Decode rate (%) and p50 ms of ``reader`` (default ``CodeReader``) over ``code_frames(n)``."""
    if reader is None:
        from glasses.perception.codes import CodeReader

        reader = CodeReader()
    ok, ms = _read_all(reader, code_frames(n))
    return {
        "decode_rate": round(100 * ok / n, 2) if n else 0.0,
        "ms_p50": round(statistics.median(ms), 2) if ms else 0.0,
    }


def hard_code_figures(n: int, noise: int, reader: Reader) -> dict[str, float]:
    """``reader`` on the first ``n`` frames of ``simulator.code_set`` and ``noise`` noise frames:
    decode rate (a fraction), p50 and p95 ms, then false positives (codes reported on frames
    with none) and p50 ms on the noise frames."""
    from simulator.code_set import hard_set, noise_frame

    ok, ms = _read_all(reader, [(s.image, s.value) for s in hard_set(n)])
    false_positives = 0
    noise_ms: list[float] = []
    for i in range(noise):
        image = noise_frame(i)
        t = time.perf_counter()
        false_positives += len(reader.read(image))
        noise_ms.append((time.perf_counter() - t) * 1000)
    return {
        "decode_rate": round(ok / n, 3) if n else 0.0,
        "ms_p50": round(statistics.median(ms), 2) if ms else 0.0,
        "ms_p95": round(float(np.percentile(ms, 95)), 2) if ms else 0.0,
        "noise_false_positives": float(false_positives),
        "noise_ms_p50": round(statistics.median(noise_ms), 2) if noise_ms else 0.0,
    }


def _read_all(reader: Reader, frames: list[tuple[np.ndarray, str]]) -> tuple[int, list[float]]:
    """Frames whose value ``reader`` reported, and ms per frame (after one warm-up read)."""
    if frames:
        reader.read(frames[0][0])
    ok = 0
    ms: list[float] = []
    for image, value in frames:
        t = time.perf_counter()
        codes = reader.read(image)
        ms.append((time.perf_counter() - t) * 1000)
        ok += any(c.value == value for c in codes)
    return ok, ms


def camera_figures(seconds: float) -> dict[str, float]:
    """A ``CodeStage`` on the real clock fed QR frames at ``CAMERA_FPS``: frame age p95 (ms,
    capture → the model starting on it) and frames dropped."""
    from glasses.perception.code_stage import CodeStage
    from glasses.perception.codes import CodeReader
    from glasses.runtime import RealClock, Runtime
    from glasses.runtime.events import VideoFrame

    clock = RealClock()
    captured_ns: dict[int, int] = {}
    ages_ns: list[int] = []

    class _Timed(CodeReader):
        def read(self, image: np.ndarray) -> list[DecodedCode]:
            t = captured_ns.get(id(image))
            if t is not None:
                ages_ns.append(clock.now_ns() - t)
            return super().read(image)

    frames = [image for image, _ in code_frames(6)[::2]]
    n = max(1, round(seconds * CAMERA_FPS))

    async def main() -> None:
        runtime = Runtime(clock)
        runtime.add_stage(CodeStage(_Timed()))
        await runtime.start()
        start = clock.now_ns()
        for i in range(n):
            await clock.sleep_until(start + round(i * 1e9 / CAMERA_FPS))
            image = frames[i % len(frames)].copy()  # a new array per frame, as a camera gives
            t = clock.now_ns()
            captured_ns[id(image)] = t
            runtime.publish(VideoFrame(t_ns=t, source="camera", image=image, index=i))
        await clock.sleep(0.2)
        await runtime.stop()

    clock.run(main())
    return {
        "frames": float(n),
        "processed": float(len(ages_ns)),
        "dropped": float(n - len(ages_ns)),
        "frame_age_ms_p50": round(percentile(ages_ns, 50) / 1e6, 2),
        "frame_age_ms_p95": round(percentile(ages_ns, 95) / 1e6, 2),
    }


def flat(figures: dict[str, dict[str, float]]) -> dict[str, float | None]:
    """The ``--json`` object: exactly ``KEYS`` (None where a section was not measured).
    ``speedup_vs_raw`` and ``int8_speedup`` compare p50s with the int8 reader's."""
    fp32, int8, auto = figures.get("fp32", {}), figures.get("int8", {}), figures.get("auto", {})
    raw, codes, camera = figures.get("raw", {}), figures.get("codes", {}), figures.get("camera", {})
    hard, codes_cv = figures.get("codes_hard", {}), figures.get("codes_opencv", {})
    hard_cv = figures.get("codes_hard_opencv", {})

    def ratio(a: float | None, b: float | None) -> float | None:
        return round(a / b, 3) if a and b else None

    out: dict[str, float | None] = {
        "ocr_ms_p50_int8": int8.get("ms_p50"),
        "ocr_ms_p50_fp32": fp32.get("ms_p50"),
        "ocr_line_exact_int8": int8.get("line_exact"),
        "ocr_line_exact_fp32": fp32.get("line_exact"),
        "ocr_cer_int8": int8.get("cer"),
        "raw_rapidocr_ms_p50": raw.get("ms_p50"),
        "raw_rapidocr_line_exact": raw.get("line_exact"),
        "speedup_vs_raw": ratio(raw.get("ms_p50"), int8.get("ms_p50")),
        "int8_speedup": ratio(fp32.get("ms_p50"), int8.get("ms_p50")),
        "code_decode_rate": codes.get("decode_rate"),
        "code_ms_p50": codes.get("ms_p50"),
        "camera_frame_age_ms_p95": camera.get("frame_age_ms_p95"),
        "ocr_ms_p50_auto": auto.get("ms_p50"),
        "ocr_line_exact_auto": auto.get("line_exact"),
        "code_decode_rate_hard": hard.get("decode_rate"),
        "code_ms_p50_hard": hard.get("ms_p50"),
        "code_noise_false_positives": hard.get("noise_false_positives"),
        "code_noise_ms_p50": hard.get("noise_ms_p50"),
        "code_decode_rate_opencv": codes_cv.get("decode_rate"),
        "code_ms_p50_opencv": codes_cv.get("ms_p50"),
        "code_decode_rate_hard_opencv": hard_cv.get("decode_rate"),
        "code_ms_p50_hard_opencv": hard_cv.get("ms_p50"),
        "code_noise_false_positives_opencv": hard_cv.get("noise_false_positives"),
        "code_noise_ms_p50_opencv": hard_cv.get("noise_ms_p50"),
    }
    return out
