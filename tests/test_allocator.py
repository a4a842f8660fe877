"""glasses.allocator: glibc's malloc told to give memory back, and the release before a large
piece of work. Measured in child processes, whose heaps are their own."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from glasses import allocator

ROOT = Path(__file__).resolve().parent.parent

_CHILD = """
import ctypes, sys
from glasses.allocator import limit_retention, on_release, release_free_memory

def rss_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS"):
            return int(line.split()[1]) / 1024

print(limit_retention(), limit_retention())
# 200 MB in 64 kB blocks (heap, not mappings), then every block freed but the last: the heap's
# top stays in use, so only a trim can give the rest back.
blocks = [ctypes.create_string_buffer(64 * 1024) for _ in range(3200)]
for b in blocks:
    ctypes.memset(b, 1, len(b))
full = rss_mb()
del blocks[:-1]
kept = rss_mb()
calls = []
def release():
    calls.append(1)
on_release(release)
on_release(release)  # once is enough
release_free_memory()
print(round(full - kept), round(kept - rss_mb()), len(calls))
"""


def _child(env: dict[str, str] | None = None) -> list[str]:
    out = subprocess.run(
        [sys.executable, "-c", _CHILD],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        cwd=ROOT,
        env=env,
    )
    return out.stdout.split("\n")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc")
def test_freed_heap_memory_is_given_back_on_release() -> None:
    applied, freed = _child(env={"PATH": "/usr/bin:/bin"})[:2]
    assert applied == "True True"
    kept_after_free, given_back, callbacks = (int(v) for v in freed.split())
    assert kept_after_free < 50  # freed blocks stay in the heap...
    assert given_back > 150  # ...until release_free_memory trims it
    assert callbacks == 1


def test_the_users_malloc_settings_win(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    assert allocator.limit_retention() is False
