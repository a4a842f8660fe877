"""The project's cache of what it can regenerate (synthesised speech, wake-word features):
where it lives, and how an entry is written so that a crash never leaves half a file."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np

from glasses.atomic import atomic_writer

log = logging.getLogger(__name__)


def cache_dir(name: str) -> Path:
    """``$GLASSES_CACHE_DIR/<name>``, else ``$XDG_CACHE_HOME/glasses/<name>`` (default
    ``~/.cache``). Not created here."""
    root = os.environ.get("GLASSES_CACHE_DIR")
    if root:
        return Path(root) / name
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "glasses" / name


def save_npz(path: Path, **arrays: np.ndarray) -> None:
    """Write ``arrays`` to ``path`` (``.npz``) atomically (:func:`glasses.atomic.atomic_writer`),
    so readers see the old entry or the whole new one; the parent directory is created."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_writer(path) as out:
        np.savez(out, **arrays)  # type: ignore[arg-type]  # numpy stubs type **kwds as allow_pickle


def load_npz(path: Path, *names: str) -> dict[str, np.ndarray] | None:
    """The arrays ``names`` of the cache entry ``path``, or None when there is none. An entry
    that cannot be read (damaged on disk, or from an older layout without one of ``names``)
    is reported in a warning naming it and why, and is None too: the caller makes it again
    and ``save_npz`` replaces it."""
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as npz:
            return {name: np.asarray(npz[name]) for name in names}
    except (OSError, ValueError, KeyError) as exc:
        log.warning("cache entry %s unreadable (%s); making it again", path, exc)
        return None
