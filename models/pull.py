"""``glasses models pull ID``: download a ``url:`` manifest entry into the user cache directory.

The file is streamed into a temporary file next to its destination, hashed on the way, and
renamed into place only when its sha256 matches the manifest, so a failed or interrupted pull
never leaves a half-written model behind. A file already present with the right sha256 is not
downloaded again. An archive entry (``archive = "zip"``) is then extracted into a temporary
directory beside it and its ``unpacked`` directory renamed into place, so that directory exists
only when it is complete.

Progress goes to a text stream (stderr from the command): one self-rewriting bar on a terminal,
plain lines every 10 % otherwise or when ``CI=true``. Every failure (network, HTTP status,
sha256 mismatch, a bad archive) is a ``PullError`` with a one-line message.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import os
import shutil
import tempfile
import time
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, Any, TextIO

from models.registry import ModelEntry, ModelError, Registry, sha256_of

_CHUNK_BYTES = 256 * 1024
_TIMEOUT_S = 30.0
_USER_AGENT = "glasses-models-pull/1"
# Terminal bar: redrawn at most this often (s). Plain lines: one per this fraction of the file,
# or (size unknown) one per this many bytes.
_REDRAW_S = 0.1
_PLAIN_STEP = 0.1
_PLAIN_STEP_BYTES = 10_000_000
_HASH_SHOWN = 12

Opener = Callable[..., Any]


class PullError(ModelError):
    """A pull failed (network, HTTP status, sha256 mismatch, bad archive); nothing was kept."""


@dataclass(frozen=True, slots=True)
class PullResult:
    """``path``: the verified model (file, or unpacked directory for an archive entry).
    ``downloaded``: False when an intact copy was already in the cache.
    ``size_bytes``: size of the downloaded (or already present) file."""

    entry: ModelEntry
    path: Path
    downloaded: bool
    size_bytes: int


class Progress:
    """Download progress on ``stream``: bytes, percentage and MB/s.

    ``plain``: print whole lines (every 10 %) instead of redrawing one line; the default is
    plain unless ``stream`` is a terminal and ``CI`` is not ``true``.
    """

    def __init__(
        self,
        stream: TextIO,
        label: str,
        total: int,
        *,
        plain: bool | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if plain is None:
            ci = os.environ.get("CI", "").lower() in ("1", "true", "yes")
            plain = ci or not _isatty(stream)
        self.stream, self.label, self.total, self.plain = stream, label, total, plain
        self._clock = clock
        self._start = clock()
        self._last_draw = float("-inf")
        self._next_plain = 0
        self.done = 0

    def update(self, n: int) -> None:
        """``n`` more bytes arrived."""
        self.done += n
        if self.plain:
            if self.done >= self._next_plain:
                self._line()
                step = (
                    max(1, int(self.total * _PLAIN_STEP)) if self.total > 0 else _PLAIN_STEP_BYTES
                )
                self._next_plain = (self.done // step + 1) * step
        elif self._clock() - self._last_draw >= _REDRAW_S:
            self._last_draw = self._clock()
            self.stream.write(f"\r{self._text()}\033[K")
            self.stream.flush()

    def finish(self) -> None:
        """The last line: total size, time and mean speed."""
        elapsed = max(self._clock() - self._start, 1e-9)
        line = (
            f"{self.label}: {self.done / 1e6:.1f} MB in {elapsed:.1f} s "
            f"({self.done / 1e6 / elapsed:.1f} MB/s)"
        )
        self.stream.write(line + "\n" if self.plain else f"\r{line}\033[K\n")
        self.stream.flush()

    def _line(self) -> None:
        self.stream.write(self._text() + "\n")
        self.stream.flush()

    def _text(self) -> str:
        elapsed = max(self._clock() - self._start, 1e-9)
        rate = self.done / 1e6 / elapsed
        if self.total > 0:
            pct = min(100.0, 100.0 * self.done / self.total)
            if not self.plain:
                filled = int(pct / 5)
                bar = "#" * filled + "-" * (20 - filled)
                return (
                    f"{self.label} [{bar}] {self.done / 1e6:.1f}/{self.total / 1e6:.1f} MB "
                    f"{pct:3.0f}% {rate:.1f} MB/s"
                )
            return (
                f"{self.label}: {self.done / 1e6:.1f}/{self.total / 1e6:.1f} MB ({pct:.0f}%) "
                f"{rate:.1f} MB/s"
            )
        return f"{self.label}: {self.done / 1e6:.1f} MB {rate:.1f} MB/s"


def pull(
    entry: ModelEntry,
    registry: Registry,
    *,
    progress: TextIO | None = None,
    plain: bool | None = None,
    opener: Opener = urllib.request.urlopen,
    timeout_s: float = _TIMEOUT_S,
) -> PullResult:
    """Make ``entry``'s model present and verified in ``registry.cache_dir``.

    Downloads only when no intact copy is there; extracts an archive entry whose directory is
    missing. ``progress``: where the progress bar goes (None: silent). ``opener``: stands in
    for ``urllib.request.urlopen`` in tests. Raises ``PullError`` (one line) on failure, with
    nothing half-written left behind; ``ModelError`` for a package entry.
    """
    if not entry.is_pulled:
        raise ModelError(
            f"model {entry.id} ships in a pip package ({entry.source}), there is nothing to "
            "pull; check it with: glasses models verify"
        )
    url = entry.url
    if not url.startswith(("https://", "http://")):
        raise PullError(f"model {entry.id}: cannot download {url!r}: only http(s) addresses")
    dest = registry.download_path(entry)
    downloaded = False
    if not (dest.is_file() and sha256_of(dest) == entry.sha256):
        _download(entry, url, dest, progress, plain, opener, timeout_s)
        downloaded = True
    path = dest
    if entry.archive:
        path = registry.resolve(entry)
        if downloaded or not path.is_dir():
            _unpack(entry, dest, path)
    return PullResult(entry, path, downloaded, dest.stat().st_size)


def _download(
    entry: ModelEntry,
    url: str,
    dest: Path,
    progress: TextIO | None,
    plain: bool | None,
    opener: Opener,
    timeout_s: float,
) -> None:
    """Stream ``url`` to a temporary file beside ``dest``; rename it into place when its
    sha256 is the manifest's. The temporary file is removed on every failure."""
    fail = f"model {entry.id}: download of {url} failed"
    retry = f"fix: check the network and run glasses models pull {entry.id} again"
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise PullError(f"model {entry.id}: cannot create {dest.parent}: {_reason(exc)}") from exc
    fd, tmp_name = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
    tmp = Path(tmp_name)
    bar: Progress | None = None
    try:
        digest = hashlib.sha256()
        request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT})
        with os.fdopen(fd, "wb") as out:
            try:
                response = opener(request, timeout=timeout_s)
            except urllib.error.HTTPError as exc:
                raise PullError(f"{fail}: HTTP {exc.code} {exc.reason}; {retry}") from None
            except (OSError, http.client.HTTPException, ValueError) as exc:  # URLError too
                raise PullError(f"{fail}: {_reason(exc)}; {retry}") from None
            with contextlib.closing(response):
                announced = _content_length(response)
                total = announced or entry.size_bytes
                bar = Progress(progress, entry.id, total, plain=plain) if progress else None
                got = _copy(response, out, digest, bar, fail, retry)
        if announced and got != announced:  # http.client ends a short body quietly
            raise PullError(
                f"{fail} part-way: the connection closed after {got} of {announced} bytes; {retry}"
            )
        if bar is not None:
            bar.finish()
        actual = digest.hexdigest()
        if actual != entry.sha256:
            raise PullError(
                f"model {entry.id}: sha256 mismatch for the download of {url} (expected "
                f"{entry.sha256[:_HASH_SHOWN]}…, got {actual[:_HASH_SHOWN]}…); nothing was "
                "kept; fix: try again later, or correct the manifest entry if the file changed"
            )
        os.replace(tmp, dest)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _copy(
    response: IO[bytes],
    out: IO[bytes],
    digest: Any,
    bar: Progress | None,
    fail: str,
    retry: str,
) -> int:
    """Copy the body to ``out``, hashing it; returns the number of bytes."""
    done = 0
    while True:
        try:
            chunk = response.read(_CHUNK_BYTES)
        except (OSError, http.client.HTTPException) as exc:  # reset, timeout, truncated body
            raise PullError(f"{fail} part-way: {_reason(exc)}; {retry}") from None
        if not chunk:
            return done
        done += len(chunk)
        digest.update(chunk)
        try:
            out.write(chunk)
        except OSError as exc:
            raise PullError(f"{fail}: cannot write the file: {_reason(exc)}") from None
        if bar is not None:
            bar.update(len(chunk))


def _unpack(entry: ModelEntry, archive: Path, target: Path) -> None:
    """Extract ``archive`` into a temporary directory beside ``target`` and rename its
    ``entry.unpacked`` directory to ``target`` (replacing an old one)."""
    work = Path(tempfile.mkdtemp(dir=archive.parent, prefix=f".{entry.id}.unpack."))
    try:
        try:
            with zipfile.ZipFile(archive) as zf:
                for name in zf.namelist():
                    parts = PurePosixPath(name.replace("\\", "/")).parts
                    if name.startswith(("/", "\\")) or ".." in parts:
                        raise PullError(
                            f"model {entry.id}: archive {archive} holds an unsafe path {name!r}; "
                            "nothing was extracted"
                        )
                zf.extractall(work)
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise PullError(
                f"model {entry.id}: cannot extract {archive}: {_reason(exc)}; fix: delete it "
                f"and run glasses models pull {entry.id} again"
            ) from None
        inner = work / entry.unpacked
        if not inner.is_dir():
            raise PullError(
                f"model {entry.id}: archive {archive} has no directory {entry.unpacked!r}; "
                "fix: correct the manifest entry's unpacked field"
            )
        if target.exists():
            shutil.rmtree(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(inner, target)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _content_length(response: Any) -> int:
    headers = getattr(response, "headers", None)
    value = headers.get("Content-Length") if headers is not None else None
    try:
        return max(0, int(value)) if value is not None else 0
    except ValueError:
        return 0


def _reason(exc: BaseException) -> str:
    reason = getattr(exc, "reason", None)
    text = str(reason if reason is not None else exc).strip() or type(exc).__name__
    return text.splitlines()[0][:200]


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
