"""The project's cache of what it can regenerate (synthesised speech, wake-word features):
where it lives, and how an entry is written so that a crash never leaves half a file."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from glasses.atomic import atomic_writer


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
