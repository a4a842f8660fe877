"""glibc's allocator, told to give freed memory back: ``limit_retention`` (``glasses`` calls it
at startup) and ``release_free_memory`` (before and after the largest transient, a Whisper
decode).

By default glibc gives each thread that contends for the heap an arena of its own (up to 8 per
core), and it raises its ``mmap`` threshold (128 kB at first) to the size of each large block
freed, up to 32 MB, and its trim threshold to twice that. The buffers of a session's short
work (a frame's detector input and activations, a rendered scene, a Whisper window's features)
then stay in the heap of whichever thread freed them, another thread's work cannot reuse them,
and up to 64 MB free at the heap's top is kept. ``limit_retention`` sets:

* ``M_ARENA_MAX`` = ``ARENA_MAX`` (1): every thread allocates from the one heap, so what one
  frees another reuses;
* ``M_MMAP_THRESHOLD`` = ``MMAP_THRESHOLD_BYTES`` (32 MB, glibc's own ceiling), fixed from the
  start, which also keeps the trim threshold at 128 kB. (A lower threshold returns more, but
  CTranslate2 allocates and frees Whisper's activations, 2–12 MB each, many times a decode:
  at 2 MB the soak took 3.9 M page faults instead of 1.9 M and 13 % more CPU time.)

``release_free_memory`` calls the ``on_release`` callbacks (the OCR reader's arena lets its
free regions go) and ``malloc_trim(0)``, which returns the pages of every free block. A Whisper
decode calls it before it starts, so that its ~100 MB come on top of what is in use rather than
of what merely was, and after it ends.

``MALLOC_ARENA_MAX``, ``MALLOC_MMAP_THRESHOLD_`` or ``GLIBC_TUNABLES`` in the environment win:
``limit_retention`` changes nothing then. Elsewhere than on glibc both do nothing (but the
callbacks run).
"""

from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import Callable
from typing import Any

ARENA_MAX = 1
MMAP_THRESHOLD_BYTES = 32 << 20
# mallopt parameters (glibc's malloc.h).
_M_MMAP_THRESHOLD = -3
_M_ARENA_MAX = -8
_USER_SETTINGS = ("MALLOC_ARENA_MAX", "MALLOC_MMAP_THRESHOLD_", "GLIBC_TUNABLES")


def limit_retention() -> bool:
    """Apply the settings above; True when glibc took them (False: not glibc, or the user's
    environment sets malloc up). Idempotent; call it before the threads start."""
    if not sys.platform.startswith("linux") or any(os.environ.get(v) for v in _USER_SETTINGS):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt  # this process's C library
    except (OSError, AttributeError):  # no mallopt (musl): leave its allocator be
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    arenas = mallopt(_M_ARENA_MAX, ARENA_MAX) == 1
    threshold = mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES) == 1
    return arenas and threshold


_trim: Any = None
_RELEASERS: list[Callable[[], None]] = []


def on_release(release: Callable[[], None]) -> None:
    """Have ``release_free_memory`` call ``release`` first: a component that keeps scratch
    memory of its own between uses (an onnxruntime arena) lets it go then."""
    if release not in _RELEASERS:
        _RELEASERS.append(release)


def release_free_memory() -> None:
    """Give free memory back to the system before (or after) a large, short-lived piece of
    work, a Whisper decode: the ``on_release`` callbacks release their components' scratch,
    then glibc's ``malloc_trim(0)`` returns the pages of the heap's free blocks (elsewhere than
    on glibc, only the callbacks run). Thread-safe as its callbacks are."""
    global _trim
    for release in list(_RELEASERS):
        release()
    if _trim is None:
        try:
            _trim = ctypes.CDLL(None).malloc_trim if sys.platform.startswith("linux") else False
        except (OSError, AttributeError):
            _trim = False
        if _trim:
            _trim.argtypes = [ctypes.c_size_t]
            _trim.restype = ctypes.c_int
    if _trim:
        _trim(0)
