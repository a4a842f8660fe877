"""``glasses models list|verify|quantize``: the on-device models, their files and their checks.

``quantize ID`` writes ``ID``'s int8 model and its fp32-versus-int8 report into the user cache
directory (``$GLASSES_MODELS_DIR`` or ``~/.cache/glasses/models``); ``ID`` may be ``ocr`` for
both OCR models.

exit codes: 0 every model is fine (``quantize``: the int8 files and reports were written, whether
or not a report accepted its model; the verdict is printed); 1 ``verify`` found a missing or
altered file; 3 the manifest itself, a model's package or the fonts are unusable (one line).
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # imported when the command runs
    from models.registry import Registry

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_MODEL = 3


def add_parser(sub: Any) -> None:
    p = sub.add_parser("models", help="list and verify the on-device models")
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    actions.add_parser("list", help="id, task, source, size and status of every model")
    actions.add_parser("verify", help="check every model file's sha256 (exit 1 if any fails)")
    q = actions.add_parser(
        "quantize", help="static int8 quantization and an fp32-vs-int8 report (user cache dir)"
    )
    q.add_argument("id", metavar="ID", help="model id (ppocr-det, ppocr-rec) or 'ocr' for both")
    q.add_argument(
        "--calibration", type=int, default=None, metavar="N",
        help="generated calibration frames (default: the manifest's recipe)",
    )  # fmt: skip
    q.add_argument(
        "--validation", type=int, default=None, metavar="N",
        help="generated validation frames for the report (default: the recipe's; 0 skips)",
    )  # fmt: skip
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from models.registry import ModelError, Registry

    try:
        registry = Registry()
        if args.action == "list":
            return list_models(registry)
        if args.action == "quantize":
            return quantize_models(registry, args.id, args.calibration, args.validation)
        return verify_models(registry)
    except ModelError as exc:
        print(f"glasses models: {exc}", file=sys.stderr)
        return EXIT_MODEL


def list_models(registry: Registry) -> int:
    """Print id, task, source, size and whether the file is present, one model a line."""
    from models.registry import ModelError

    rows = [("id", "task", "source", "size", "status")]
    for entry in registry.entries:
        try:
            path = registry.resolve(entry)
            status = "present" if path.is_file() else "missing"
            size = path.stat().st_size if path.is_file() else entry.size_bytes
        except ModelError:
            status, size = "package missing", entry.size_bytes
        rows.append((entry.id, entry.task, entry.source, _mb(size), status))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
    print("(status checks that each file exists; `glasses models verify` checks its sha256)")
    return EXIT_OK


def verify_models(registry: Registry) -> int:
    """Check every model's sha256, one progress line per file; 1 if any failed, else 0."""
    failed = 0
    total = len(registry.entries)
    for n, entry in enumerate(registry.entries, start=1):
        print(f"[{n}/{total}] {entry.id}: checking {_mb(entry.size_bytes)} …", end="", flush=True)
        result = registry.verify(entry)
        if result.ok:
            print(f" ok ({result.path})")
        else:
            failed += 1
            print(f" {result.status}")
            print(f"  {result.message()}")
    print(f"{total - failed}/{total} models verified")
    return EXIT_FAILED if failed else EXIT_OK


def quantize_models(
    registry: Registry, model_id: str, calibration: int | None, validation: int | None
) -> int:
    """Quantize one model (or both OCR models for ``ocr``), printing each step and each
    report's verdict (a model whose report does not accept int8 stays fp32 at run time)."""
    from models.quantize import quantize
    from simulator.ocr_set import FontsMissing

    ids = ["ppocr-det", "ppocr-rec"] if model_id == "ocr" else [model_id]
    for i in ids:
        registry.get(i)  # unknown ids fail before any work
    if (calibration is not None and calibration < 1) or (validation is not None and validation < 0):
        print("glasses models: --calibration must be >= 1 and --validation >= 0", file=sys.stderr)
        return 2
    for i in ids:
        try:
            quantize(
                i,
                registry=registry,
                calibration_frames=calibration,
                validation_frames=validation,
                progress=lambda line: print(line, flush=True),
            )
        except FontsMissing as exc:
            print(f"glasses models: {exc}", file=sys.stderr)
            return EXIT_MODEL
    return EXIT_OK


def _mb(size_bytes: int) -> str:
    return f"{size_bytes / 1e6:.1f} MB"
