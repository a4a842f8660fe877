"""int8 quantization of a model, its report, and the check that decides whether the runtime uses it.

``quantize(model_id, calibration=…, evaluation=…)`` follows the manifest's ``[model.quantize]``
recipe (static QDQ, int8 per-channel weights, uint8 activations calibrated with MinMax):

1. convert the shipped model to the recipe's opset (13),
2. ``quant_pre_process`` with symbolic shape inference skipped,
3. collect calibration inputs (``calibration``: the model's input tensors from its task's data),
4. ``quantize_static`` on the recipe's operator types, keeping its first ``keep_fp32_convs``
   Conv nodes in fp32 (the OCR recogniser's first three: its accuracy collapses otherwise),
5. compare fp32 with this model in int8 (``evaluation``), and save the report.

This layer knows no task's data: the OCR models' calibration and evaluation (the OCR reader on
the simulator's generated OCR set) live a layer up, in :mod:`glasses.bench.ocr_quantize`, which
``glasses models quantize`` runs. Dynamic QInt8 is not offered: it destroyed the recogniser.
Artefacts go to the user cache directory (``$GLASSES_MODELS_DIR`` or ``~/.cache/glasses/models``),
``<id>/<id>.int8.onnx`` with ``<id>.int8.report.json`` beside it, never into git; both are
written atomically. The runtime uses an int8 file by default only when its report's
``accepted`` is true (line-exact rate within ``ACCEPT_POINTS`` of fp32) and the file still has
the sha256 the report recorded (``check_int8``): an altered or truncated one falls back to the
checked fp32 model with a warning, and ``glasses models verify`` reports it.
"""

from __future__ import annotations

import json
import tempfile
import time
import tomllib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

from glasses.atomic import replace_durably, write_text
from models.registry import (
    HASH_SHOWN,
    MANIFEST_PATH,
    ModelError,
    Registry,
    default_cache_dir,
    sha256_of,
)

if TYPE_CHECKING:
    import numpy as np

ACCEPT_POINTS = 1.0  # int8 is the default when its line-exact rate is within this of fp32 (%)
REPORT_FIELDS = (
    "model_id",
    "int8_path",
    "validation_frames",
    "calibration_frames",
    "line_exact_fp32",
    "line_exact_int8",
    "cer_fp32",
    "cer_int8",
    "ms_p50_fp32",
    "ms_p50_int8",
    "speedup",
    "accepted",
    "int8_sha256",
)

Progress = Callable[[str], None]
# (model id, frames, registry) -> the model's input tensors from that many calibration frames.
Calibration: TypeAlias = "Callable[[str, int, Registry], list[np.ndarray]]"
# (model id, int8 file, validation frames, calibration frames, registry) -> fp32 versus int8.
Evaluation: TypeAlias = "Callable[[str, Path, int, int, Registry], Report]"


@dataclass(frozen=True, slots=True)
class Recipe:
    """A model's quantization recipe (``[model.quantize]`` in the manifest).

    ``opset``: converted to before quantizing. ``op_types``: operator types quantized (empty:
    onnxruntime's default set). ``keep_fp32_convs``: the first this many Conv nodes stay fp32.
    ``per_channel``: per-channel weight scales. ``calibration_frames`` and
    ``validation_frames``: default sizes of the generated calibration and validation sets.
    """

    opset: int = 13
    op_types: tuple[str, ...] = ()
    keep_fp32_convs: int = 0
    per_channel: bool = True
    calibration_frames: int = 16
    validation_frames: int = 30


@dataclass(frozen=True, slots=True)
class Report:
    """fp32 versus int8 on the validation split: rates in %, CER as a fraction, times in ms per
    frame (the whole read). ``accepted``: line-exact within ``ACCEPT_POINTS`` of fp32.
    ``int8_sha256``: of the int8 file as written, checked whenever it is loaded."""

    model_id: str
    int8_path: str
    validation_frames: int
    calibration_frames: int
    line_exact_fp32: float
    line_exact_int8: float
    cer_fp32: float
    cer_int8: float
    ms_p50_fp32: float
    ms_p50_int8: float
    speedup: float
    accepted: bool
    int8_sha256: str = ""


def int8_path(model_id: str, cache_dir: Path | None = None) -> Path:
    """Where ``model_id``'s int8 file is (or would be) written."""
    return (cache_dir or default_cache_dir()) / model_id / f"{model_id}.int8.onnx"


def report_path(model_id: str, cache_dir: Path | None = None) -> Path:
    """The JSON report saved next to the int8 file."""
    return int8_path(model_id, cache_dir).with_suffix(".report.json")


def load_report(model_id: str, cache_dir: Path | None = None) -> dict[str, Any] | None:
    """The saved report, or None when there is none or it is unreadable."""
    path = report_path(model_id, cache_dir)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


Int8Status = Literal["absent", "ok", "unrecorded", "sha256 mismatch"]


@dataclass(frozen=True, slots=True)
class Int8Check:
    """What ``check_int8`` found of one model's int8 file.

    ``status``: ``absent`` (never quantized: not a fault), ``ok`` (its sha256 is the one its
    report recorded), ``unrecorded`` (no readable report, or one from before hashes were
    recorded: nothing to check it against) or ``sha256 mismatch`` (altered since it was
    written: bit rot, a truncated copy). ``accepted``: the report accepts int8 for the runtime.
    """

    model_id: str
    path: Path
    status: Int8Status
    accepted: bool = False
    expected_sha256: str = ""
    actual_sha256: str = ""

    @property
    def fault(self) -> bool:
        """An int8 file is there but cannot be trusted."""
        return self.status in ("unrecorded", "sha256 mismatch")

    def message(self) -> str:
        """One line: what is wrong with the int8 file, and the fix ("" when ``ok``)."""
        fix = f"fix: glasses models quantize {self.model_id}"
        where = f"model {self.model_id}: int8 file {self.path}"
        if self.status == "absent":
            return f"{where} is missing; {fix}"
        if self.status == "unrecorded":
            return f"{where} has no sha256 in its report to be checked against; {fix}"
        if self.status == "sha256 mismatch":
            return (
                f"{where}: sha256 mismatch (expected {self.expected_sha256[:HASH_SHOWN]}…, "
                f"got {self.actual_sha256[:HASH_SHOWN]}…); {fix}"
            )
        return ""


def check_int8(model_id: str, cache_dir: Path | None = None, *, cached: bool = False) -> Int8Check:
    """Check ``model_id``'s int8 file against the sha256 its report recorded (reads the file;
    ``cached``: not again in this process while it is unchanged, see ``sha256_of``)."""
    path = int8_path(model_id, cache_dir)
    if not path.is_file():
        return Int8Check(model_id, path, "absent")
    report = load_report(model_id, cache_dir) or {}
    expected = report.get("int8_sha256")
    if not isinstance(expected, str) or not expected:
        return Int8Check(model_id, path, "unrecorded")
    actual = sha256_of(path, cached=cached)
    if actual != expected:
        return Int8Check(model_id, path, "sha256 mismatch", False, expected, actual)
    return Int8Check(model_id, path, "ok", report.get("accepted") is True, expected, actual)


def _model_tables(manifest: Path) -> list[Any]:
    """The manifest's ``[[model]]`` tables as parsed (``ModelError`` if it cannot be read)."""
    try:
        data = tomllib.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ModelError(f"cannot read model manifest {manifest}: {exc}") from exc
    tables = data.get("model", [])
    return tables if isinstance(tables, list) else []


def quantized_models(manifest: Path = MANIFEST_PATH) -> list[str]:
    """The ids of the manifest's models that have a ``[model.quantize]`` recipe."""
    return [
        str(t["id"])
        for t in _model_tables(manifest)
        if isinstance(t, dict) and "id" in t and isinstance(t.get("quantize"), dict)
    ]


def int8_accepted(model_id: str, cache_dir: Path | None = None) -> bool:
    """True when the int8 file exists, is intact (``check_int8``) and its report accepted it
    (see ``ACCEPT_POINTS``)."""
    check = check_int8(model_id, cache_dir)
    return check.status == "ok" and check.accepted


def recipe(model_id: str, manifest: Path = MANIFEST_PATH) -> Recipe:
    """``model_id``'s recipe; ``ModelError`` when the manifest gives it none."""
    for table in _model_tables(manifest):
        if isinstance(table, dict) and table.get("id") == model_id:
            spec = table.get("quantize")
            if not isinstance(spec, dict):
                break
            method = spec.get("method", "static-qdq")
            if method != "static-qdq":
                raise ModelError(
                    f"model manifest {manifest}, {model_id}: quantize.method {method!r} is "
                    "not supported (static-qdq only)"
                )
            try:
                return Recipe(
                    opset=int(spec.get("opset", 13)),
                    op_types=tuple(str(t) for t in spec.get("op_types", ())),
                    keep_fp32_convs=int(spec.get("keep_fp32_convs", 0)),
                    per_channel=bool(spec.get("per_channel", True)),
                    calibration_frames=int(spec.get("calibration_frames", 16)),
                    validation_frames=int(spec.get("validation_frames", 30)),
                )
            except (TypeError, ValueError) as exc:
                raise ModelError(
                    f"model manifest {manifest}, {model_id}: bad quantize field ({exc})"
                ) from exc
    raise ModelError(f"model {model_id!r} has no [model.quantize] recipe in {manifest}")


def quantize(
    model_id: str,
    *,
    calibration: Calibration,
    evaluation: Evaluation,
    registry: Registry | None = None,
    calibration_frames: int | None = None,
    validation_frames: int | None = None,
    progress: Progress = print,
) -> Report:
    """Quantize ``model_id`` to int8, validate it against fp32, save both; see the module doc.

    ``calibration`` gives the input tensors of ``calibration_frames`` frames, ``evaluation``
    the report of fp32 against the int8 file on ``validation_frames`` frames (the recipe's
    sizes by default); ``validation_frames=0`` skips validation (the report is then not
    ``accepted``). The report is saved with the int8 file's sha256.
    """
    registry = registry or Registry()
    rec = recipe(model_id, registry.manifest)
    n_cal = rec.calibration_frames if calibration_frames is None else calibration_frames
    n_val = rec.validation_frames if validation_frames is None else validation_frames
    if n_cal < 1 or n_val < 0:
        raise ValueError(f"need >= 1 calibration and >= 0 validation frames, got {n_cal}, {n_val}")
    source = registry.path(model_id)
    out = int8_path(model_id, registry.cache_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    steps = 5
    with tempfile.TemporaryDirectory(prefix=f"{model_id}-", dir=out.parent) as tmp_dir:
        tmp = Path(tmp_dir)
        t0 = time.perf_counter()
        progress(f"[1/{steps}] {model_id}: converting to opset {rec.opset} …")
        converted = _convert(source, tmp / "opset.onnx", rec.opset)
        progress(f"[2/{steps}] {model_id}: pre-processing (symbolic shape inference skipped) …")
        prepared = tmp / "prepared.onnx"
        _pre_process(converted, prepared)
        progress(f"[3/{steps}] {model_id}: calibration inputs from {n_cal} frames …")
        inputs = calibration(model_id, n_cal, registry)
        progress(
            f"[4/{steps}] {model_id}: static QDQ int8 ({len(inputs)} calibration tensors, "
            f"per-channel={rec.per_channel}, ops={','.join(rec.op_types) or 'default'}, "
            f"first {rec.keep_fp32_convs} Conv kept fp32) …"
        )
        _quantize_static(prepared, tmp / "int8.onnx", inputs, rec)
        replace_durably(tmp / "int8.onnx", out)
        progress(
            f"    wrote {out} ({out.stat().st_size / 1e6:.1f} MB, {time.perf_counter() - t0:.0f} s)"
        )
    progress(f"[5/{steps}] {model_id}: fp32 vs int8 on {n_val} validation frames …")
    report = replace(evaluation(model_id, out, n_val, n_cal, registry), int8_sha256=sha256_of(out))
    path = report_path(model_id, registry.cache_dir)
    write_text(path, json.dumps(asdict(report), indent=2) + "\n")
    progress(format_report(report))
    progress(f"    wrote {path}")
    return report


def format_report(r: Report) -> str:
    verdict = "accepted: the runtime uses int8" if r.accepted else "not accepted: fp32 stays"
    return (
        f"    {r.model_id} on {r.validation_frames} frames: line-exact fp32 "
        f"{r.line_exact_fp32:.1f} % / int8 {r.line_exact_int8:.1f} %, CER fp32 "
        f"{r.cer_fp32:.4f} / int8 {r.cer_int8:.4f}, p50 fp32 {r.ms_p50_fp32:.0f} ms / int8 "
        f"{r.ms_p50_int8:.0f} ms ({r.speedup:.2f}×); {verdict}"
    )


# --------------------------------------------------------------------------------------------
# Steps


def _convert(source: Path, target: Path, opset: int) -> Path:
    import onnx
    from onnx import version_converter

    model = onnx.load(str(source))
    current = max((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), default=0)
    if current != opset:
        model = version_converter.convert_version(model, opset)
    onnx.save(model, str(target))
    return target


def _pre_process(source: Path, target: Path) -> None:
    from onnxruntime.quantization.shape_inference import quant_pre_process

    quant_pre_process(str(source), str(target), skip_symbolic_shape=True)


class _Inputs:
    """onnxruntime's CalibrationDataReader over a list of tensors for one input."""

    def __init__(self, name: str, tensors: Sequence[np.ndarray]) -> None:
        self._iter: Iterator[np.ndarray] = iter(tensors)
        self._name = name

    def get_next(self) -> dict[str, np.ndarray] | None:
        tensor = next(self._iter, None)
        return None if tensor is None else {self._name: tensor}

    def rewind(self) -> None:  # not needed for MinMax; part of the reader protocol
        pass


def _quantize_static(source: Path, target: Path, inputs: list[np.ndarray], rec: Recipe) -> None:
    import onnx
    from onnxruntime.quantization import (
        CalibrationDataReader,
        CalibrationMethod,
        QuantFormat,
        QuantType,
        quantize_static,
    )

    model = onnx.load(str(source))
    input_name = model.graph.input[0].name
    convs = [n.name for n in model.graph.node if n.op_type == "Conv"]
    exclude = convs[: rec.keep_fp32_convs]
    reader = _Inputs(input_name, inputs)
    CalibrationDataReader.register(_Inputs)
    quantize_static(
        str(source),
        str(target),
        reader,
        quant_format=QuantFormat.QDQ,
        per_channel=rec.per_channel,
        weight_type=QuantType.QInt8,
        activation_type=QuantType.QUInt8,
        op_types_to_quantize=list(rec.op_types) or None,
        nodes_to_exclude=exclude,
        calibrate_method=CalibrationMethod.MinMax,
    )
