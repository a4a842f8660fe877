"""An int8 copy of a CTranslate2 Whisper model, made once, so that loading it costs no more
memory than the loaded model.

The Whisper weights ship as float16 (``whisper-base``: 145 MB). Asked for ``int8``, CTranslate2
reads the whole float16 file into memory, then quantizes each weight, making a float32 copy of
it first: loading whisper-base that way peaks 150 MB above what the loaded model keeps (the
token embedding alone is 26.5 M values: 106 MB as float32). Loading a file whose weights are
already int8 reads what it keeps and nothing more.

``quantize_whisper(source, target)`` writes that file the way CTranslate2 quantizes at load
(``Model::ensure_dtype`` and its CPU ``quantize_s8`` kernel): every variable whose name ends in
``weight``, except the convolutions (``WhisperModel::is_quantizable``), is quantized per row of
its last dimension, ``scale = 127 / max|row|`` (1 for a row of zeros), ``round(x · scale)``
with ties to even, stored as int8 beside a float32 ``<name>_scale``; the other float16 arrays
become float32 (the float type of the ``int8`` compute type); scalars and the aliases are
copied. The result decodes bit for bit as the float16 file loaded as ``int8`` does (the
encoder's outputs and the decoder's scores compared on speech, in
``tests/test_whisper_backend.py``). It streams 1 MB of rows at a time, never the whole model:
whisper-base takes 0.5 s of CPU and ~10 MB.

``int8_dir(model_id, registry)`` is the copy of a manifest model in the cache
(``cache_dir/<id>.int8/``: ``model.bin`` and the source's other files), made on first use from
the checked source. Its ``int8.json`` records the source's sha256 and every file's; each load
checks them (once per process while the files stay unchanged). A copy that fails its check (bit
rot, a half-written file, another source) is made again from the checked source, with a warning;
one that cannot be made (a read-only cache) leaves the float16 source to be quantized at load.
"""

from __future__ import annotations

import json
import logging
import shutil
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

from glasses.atomic import atomic_writer, write_text
from models.registry import HASH_SHOWN, ModelError, Registry, sha256_of

log = logging.getLogger(__name__)

REPORT = "int8.json"
FORMAT = 1
"""Bumped whenever the conversion changes: a copy made by another version is made again."""
SPEC = "WhisperSpec"
_MODEL = "model.bin"
_ROWS_BYTES = 1 << 20  # float16 rows read at a time
# CTranslate2's DataType ids (include/ctranslate2/types.h), in order: float32, int8, int16,
# int32, float16, bfloat16; their item sizes.
_ITEMSIZE = (4, 1, 2, 4, 2, 2)
_FLOAT16, _FLOAT32, _INT8 = 4, 0, 1


class Int8Error(ModelError):
    """A model file this converter cannot read or write (one line)."""


@dataclass(frozen=True, slots=True)
class _Header:
    name: str
    shape: tuple[int, ...]
    dtype: int
    nbytes: int


def _read(f: BinaryIO, n: int) -> bytes:
    data = f.read(n)
    if len(data) != n:
        raise Int8Error(f"{f.name}: truncated (wanted {n} bytes at {f.tell() - len(data)})")
    return data


def _unpack(f: BinaryIO, fmt: str) -> tuple[int, ...]:
    return struct.unpack(fmt, _read(f, struct.calcsize(fmt)))


def _read_str(f: BinaryIO) -> str:
    (n,) = _unpack(f, "<H")
    return _read(f, n).rstrip(b"\0").decode("utf-8")


def _write_str(out: BinaryIO, text: str) -> None:
    data = text.encode("utf-8")
    out.write(struct.pack("<H", len(data) + 1) + data + b"\0")


def _read_header(f: BinaryIO) -> _Header:
    name = _read_str(f)
    (rank,) = _unpack(f, "<B")
    shape = _unpack(f, f"<{rank}I") if rank else ()
    dtype, nbytes = _unpack(f, "<BI")
    if dtype >= len(_ITEMSIZE):
        raise Int8Error(f"{f.name}: variable {name} has an unknown data type {dtype}")
    return _Header(name, tuple(shape), dtype, nbytes)


def _write_header(out: BinaryIO, name: str, shape: tuple[int, ...], dtype: int) -> None:
    _write_str(out, name)
    out.write(struct.pack(f"<B{len(shape)}I", len(shape), *shape))
    size = int(np.prod(shape, dtype=np.int64)) if shape else 1
    out.write(struct.pack("<BI", dtype, size * _ITEMSIZE[dtype]))


def _quantizable(h: _Header) -> bool:
    """CTranslate2 4.x's ``WhisperModel::is_quantizable``, for a float16 array."""
    return (
        h.dtype == _FLOAT16
        and bool(h.shape)
        and h.name.endswith("weight")
        and ("conv" not in h.name)
    )


def _row_blocks(f: BinaryIO, h: _Header) -> Iterator[np.ndarray]:
    """The float16 rows (last dimension) of ``h``'s data, as float32, a few MB at a time."""
    depth = h.shape[-1]
    rows = h.nbytes // (2 * depth)
    step = max(1, _ROWS_BYTES // (2 * depth))
    for start in range(0, rows, step):
        n = min(step, rows - start)
        yield np.frombuffer(_read(f, 2 * depth * n), np.float16).reshape(n, depth)


def quantize_rows(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``x`` (rows × depth) as int8 and per-row float32 scales, as CTranslate2's CPU kernel:
    ``scale = 127 / max|row|`` (1 for zeros), each value ``x · scale`` rounded half to even."""
    x = np.asarray(x, np.float32)
    amax = np.abs(x).max(axis=1)
    scale = np.float32(127.0) / np.where(amax != 0, amax, np.float32(127.0))
    scale = scale.astype(np.float32)
    return np.rint(x * scale[:, np.newaxis]).astype(np.int8), scale


def quantize_whisper(source: Path, target: Path) -> None:
    """Write ``source`` (a CTranslate2 Whisper ``model.bin``) to ``target`` with its weights in
    int8, as CTranslate2 would hold them after loading ``source`` as ``int8`` (module
    docstring). Atomic: ``target`` is complete or untouched. Raises ``Int8Error``."""
    try:
        with source.open("rb") as f, atomic_writer(target) as out:
            _convert(f, out)
    except OSError as exc:
        raise Int8Error(f"cannot write an int8 copy of {source} to {target}: {exc}") from exc


def _convert(f: BinaryIO, out: BinaryIO) -> None:
    (version,) = _unpack(f, "<I")
    if version < 5:
        raise Int8Error(f"{f.name}: CTranslate2 binary version {version} (5 or later wanted)")
    spec = _read_str(f)
    if spec != SPEC:
        raise Int8Error(f"{f.name}: a {spec or 'model'} model, not a Whisper model")
    (revision, count) = _unpack(f, "<II")
    headers: list[tuple[_Header, bool]] = []
    # The variable count grows by one scale per quantized weight: count them first.
    start = f.tell()
    for _ in range(count):
        h = _read_header(f)
        f.seek(h.nbytes, 1)
        headers.append((h, _quantizable(h)))
    f.seek(start)
    out.write(struct.pack("<I", version))
    _write_str(out, spec)
    out.write(struct.pack("<II", revision, count + sum(q for _, q in headers)))
    for expected, quantized in headers:
        h = _read_header(f)
        if h != expected:  # the file changed under us
            raise Int8Error(f"{f.name}: changed while it was read")
        if quantized:
            _write_header(out, h.name, h.shape, _INT8)
            scales = [_write_rows(out, *quantize_rows(rows)) for rows in _row_blocks(f, h)]
            scale = np.concatenate(scales) if scales else np.zeros(0, np.float32)
            _write_header(out, f"{h.name}_scale", (len(scale),), _FLOAT32)
            out.write(scale.astype("<f4").tobytes())
        elif h.dtype == _FLOAT16 and h.shape:
            _write_header(out, h.name, h.shape, _FLOAT32)
            for rows in _row_blocks(f, h):
                out.write(rows.astype("<f4").tobytes())
        else:
            _write_header(out, h.name, h.shape, h.dtype)
            out.write(_read(f, h.nbytes))
    shutil.copyfileobj(f, out)  # the aliases


def _write_rows(out: BinaryIO, q: np.ndarray, scale: np.ndarray) -> np.ndarray:
    out.write(q.tobytes())
    return scale


def int8_dir(model_id: str, source: Path, registry: Registry) -> Path:
    """The checked int8 copy of the Whisper model ``model_id`` whose checked directory is
    ``source``, made on first use (see the module docstring); its files are hashed again only
    when they change (``sha256_of(cached=True)``). Returns ``source`` itself, with a warning,
    when no copy can be made."""
    expected = registry.get(model_id).sha256
    target = registry.cache_dir / f"{model_id}.int8"
    problem = _problem(target, expected)
    if problem is None:
        return target
    if target.exists():
        log.warning("%s; making it again from the checked model", problem)
    try:
        make_int8_dir(source, target, expected)
    except Int8Error as exc:
        log.warning("%s; loading the float16 model instead (CTranslate2 quantizes it)", exc)
        return source
    problem = _problem(target, expected)
    if problem is not None:  # pragma: no cover - written, then read back altered
        log.warning("%s; loading the float16 model instead", problem)
        return source
    return target


def check_int8_dir(model_id: str, registry: Registry) -> tuple[Path, str | None]:
    """(where ``model_id``'s int8 copy is, why it cannot be used or None): for ``glasses models
    verify``. A copy never made is not checked (``(path, None)`` with no such directory)."""
    target = registry.cache_dir / f"{model_id}.int8"
    if not target.exists():
        return target, None
    return target, _problem(target, registry.get(model_id).sha256)


def make_int8_dir(source: Path, target: Path, source_sha256: str) -> None:
    """Write ``target``: the int8 ``model.bin`` of ``source``'s, its other files copied, then
    ``int8.json`` (last: a copy without it, or with a file it does not describe, is made
    again)."""
    try:
        target.mkdir(parents=True, exist_ok=True)
        (target / REPORT).unlink(missing_ok=True)
        quantize_whisper(source / _MODEL, target / _MODEL)
        files = {_MODEL: sha256_of(target / _MODEL)}
        for path in sorted(source.iterdir()):
            if path.is_file() and path.name != _MODEL and not path.name.startswith("."):
                with path.open("rb") as f, atomic_writer(target / path.name) as out:
                    shutil.copyfileobj(f, out)
                files[path.name] = sha256_of(target / path.name)
        report = {"format": FORMAT, "source_sha256": source_sha256, "files": files}
        write_text(target / REPORT, json.dumps(report, indent=2, sort_keys=True) + "\n")
    except OSError as exc:
        raise Int8Error(f"cannot make the int8 copy {target}: {exc}") from exc


def _problem(target: Path, source_sha256: str) -> str | None:
    """Why the int8 copy at ``target`` cannot be used (None: it is intact)."""
    try:
        report = json.loads((target / REPORT).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return f"int8 copy {target} is missing or unfinished"
    except (OSError, ValueError) as exc:
        return f"int8 copy {target}: unreadable {REPORT} ({exc})"
    if not isinstance(report, dict) or report.get("format") != FORMAT:
        return f"int8 copy {target} was made by another version"
    if report.get("source_sha256") != source_sha256:
        return f"int8 copy {target} was made from another model file"
    files = report.get("files")
    if not isinstance(files, dict) or _MODEL not in files:
        return f"int8 copy {target}: {REPORT} lists no {_MODEL}"
    for name, expected in sorted(files.items()):
        path = target / str(name)
        try:
            actual = sha256_of(path, cached=True)
        except OSError:
            return f"int8 copy {target}: {name} is missing"
        if actual != expected:
            return (
                f"int8 copy {target}: {name} has sha256 {actual[:HASH_SHOWN]}…, its report "
                f"recorded {str(expected)[:HASH_SHOWN]}…"
            )
    return None
