"""Files written whole or not at all, and directories that are safe to write into.

Every file glasses produces (photos, ``blur`` outputs, reports, cache entries, model files) is
written through :func:`atomic_writer`: a temporary file in the target's own directory, flushed to
the disk (``fsync``), renamed over the target (``os.replace``, atomic on POSIX), then the
directory synced so the rename itself survives a power cut. A reader, a crash or a full disk
leaves the old file or the complete new one under the final name, never half a file; the
temporary file is removed on every failure.

:func:`output_problem` checks an output path before a long run, so that a typo in ``--report``
fails at once rather than after the work. :func:`open_private_dir` creates a directory only its
owner can enter (0700) and refuses one that is a symbolic link, for the user's photos.

It imports nothing else of ours: every layer may use it.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

_TMP_SUFFIX = ".tmp"


def _sync_dir(path: Path | None, dir_fd: int | None) -> None:
    """Flush a directory entry (a rename) to the disk; a filesystem that cannot is left be."""
    try:
        if dir_fd is not None:
            os.fsync(dir_fd)
            return
        fd = os.open(path or ".", os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:  # some filesystems (and platforms) do not sync directories
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_writer(
    path: str | os.PathLike[str], *, mode: int = 0o666, dir_fd: int | None = None
) -> Iterator[BinaryIO]:
    """Yield a binary file; when the block ends without an exception it replaces ``path``.

    ``mode`` is the new file's permission bits before the umask (``0o600``: private).
    ``dir_fd``: ``path`` is a plain name inside the directory open as ``dir_fd`` (see
    :func:`open_private_dir`), which no symbolic link can redirect. If the block raises, the
    temporary file is removed and ``path`` is untouched. A symbolic link at ``path`` is replaced
    by the file, not followed. The parent directory must exist.
    """
    target = Path(path)
    if dir_fd is not None and target.name != str(target):
        raise ValueError(f"with dir_fd, path must be a plain file name, got {target}")
    directory = None if dir_fd is not None else target.parent
    while True:
        tmp_name = f".{target.name}.{secrets.token_hex(4)}{_TMP_SUFFIX}"
        tmp = tmp_name if directory is None else str(directory / tmp_name)
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode, dir_fd=dir_fd)
        except FileExistsError:  # pragma: no cover - 32 random bits collided
            continue
        break
    done = False
    try:
        with os.fdopen(fd, "wb") as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        final = target.name if directory is None else str(target)
        os.replace(tmp, final, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
        done = True
    finally:
        if not done:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp, dir_fd=dir_fd)
    _sync_dir(directory, dir_fd)


def replace_durably(tmp: str | os.PathLike[str], target: str | os.PathLike[str]) -> None:
    """Move ``tmp`` (a finished file written beside ``target``, in the same folder) over
    ``target`` as :func:`atomic_writer` does: its data synced to the disk first, the rename
    after, then the folder. For writers that make their own temporary file (a download
    hashed on the way, a converter that only takes a file name)."""
    fd = os.open(tmp, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, target)
    _sync_dir(Path(target).parent, None)


def write_bytes(
    path: str | os.PathLike[str], data: bytes, *, mode: int = 0o666, dir_fd: int | None = None
) -> None:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_writer`)."""
    with atomic_writer(path, mode=mode, dir_fd=dir_fd) as out:
        out.write(data)


def write_text(
    path: str | os.PathLike[str], text: str, *, encoding: str = "utf-8", mode: int = 0o666
) -> None:
    """Write ``text`` to ``path`` atomically (see :func:`atomic_writer`)."""
    write_bytes(path, text.encode(encoding), mode=mode)


def output_problem(path: str | os.PathLike[str]) -> str:
    """Why ``path`` cannot be written as an output file ("" if it can): its directory is
    missing or not writable, or ``path`` is a directory or a file we may not replace.

    A check before the work, not a promise: the disk can still fill up meanwhile (which the
    atomic write then reports, leaving no half file behind).
    """
    target = Path(path)
    if not target.name or target.name in (".", ".."):
        return "is a directory, not a file name"
    parent = target.parent
    if not parent.exists():
        return f"directory {parent} does not exist"
    if not parent.is_dir():
        return f"{parent} is not a directory"
    if not os.access(parent, os.W_OK | os.X_OK):
        return f"directory {parent} is not writable"
    if target.is_dir():
        return "is a directory"
    return ""


class UnsafeDirectory(OSError):
    """A directory that must be private is a symbolic link, or not a directory we own."""


def open_private_dir(path: str | os.PathLike[str]) -> int:
    """Create ``path`` (and its missing parents) for its owner only (0700) unless it exists,
    and return a file descriptor of it, opened without following a symbolic link.

    Raises :class:`UnsafeDirectory` when ``path`` is a symbolic link (someone may have planted
    it to divert the files), not a directory, or owned by another user; ``OSError`` otherwise.
    Files written with ``dir_fd=`` that descriptor land in this very directory. Close it with
    ``os.close``.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with contextlib.suppress(FileExistsError):  # an existing folder is checked below
        os.mkdir(target, 0o700)
    try:
        fd = os.open(target, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except OSError as exc:
        if target.is_symlink():
            raise UnsafeDirectory(
                errno.ELOOP,
                f"{target} is a symbolic link (to {os.readlink(target)}); refusing to write "
                "through it: remove the link, or set another directory",
            ) from None
        if exc.errno == errno.ENOTDIR:
            raise UnsafeDirectory(exc.errno, f"{target} is not a directory") from None
        raise
    info = os.fstat(fd)
    if not stat.S_ISDIR(info.st_mode) or (hasattr(os, "getuid") and info.st_uid != os.getuid()):
        os.close(fd)
        raise UnsafeDirectory(
            errno.EPERM, f"{target} belongs to another user; refusing to write into it"
        )
    return fd
