"""The memory loses no committed entry when its process is killed (SIGKILL) mid-write.

A child process adds entries as fast as it can, each with a 24 kB thumbnail (so that most of
its time is spent inside ``add``: writing and syncing the WAL), and prints an entry's id once
``add`` has returned. The test kills it with SIGKILL at a different point in each round, then
checks that every printed id is in the database with its words and thumbnail, that the file
passes SQLite's integrity check and opens and takes new entries cleanly, and that a search
still finds the entries (the full-text index survived too).

What a SIGKILL proves: nothing the process had committed is lost, since the operating system
keeps what was written. A power cut is the WAL's ``synchronous=FULL`` fsync's business, which
no test here can cut the power to check.
"""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

from glasses.assistant.memory import MEMORY_FILE, SqliteMemory

ROOT = Path(__file__).resolve().parent.parent

WRITER = textwrap.dedent(
    """
    import sys
    from glasses.assistant.memory import SqliteMemory

    store = SqliteMemory(sys.argv[1])
    tag = sys.argv[2]
    thumbnail = bytes(range(256)) * 96  # 24 kB
    i = 0
    while True:
        i += 1
        entry_id = store.add(f"round {tag} entry {i} umbrella", thumbnail_jpeg=thumbnail)
        print(entry_id, tag, i, flush=True)
    """
)


def _kill_mid_write(db: Path, tag: str, after: int) -> list[tuple[int, str, int]]:
    """Run the writer until it has reported ``after`` commits, SIGKILL it; every (id, tag, i)
    it reported, including lines still in the pipe."""
    child = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(db), tag],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert child.stdout is not None
    reported: list[tuple[int, str, int]] = []
    try:
        for line in child.stdout:
            entry_id, t, i = line.split()
            reported.append((int(entry_id), t, int(i)))
            if len(reported) >= after:
                child.send_signal(signal.SIGKILL)
                break
        # What it printed between our read and the kill is committed too.
        reported += [(int(a), b, int(c)) for a, b, c in (ln.split() for ln in child.stdout)]
    finally:
        child.kill()
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL, "the writer died on its own"
    return reported


# Kill after this many reported commits, one round each, on the same file.
ROUNDS = (37, 150, 9)


def test_no_committed_entry_is_lost_when_the_writer_is_killed(tmp_path: Path) -> None:
    db = tmp_path / "data" / MEMORY_FILE
    committed: list[tuple[int, str, int]] = []
    for n, after in enumerate(ROUNDS):
        committed += _kill_mid_write(db, str(n), after)

        with sqlite3.connect(db) as conn:  # opens cleanly: the torn tail is rolled back
            assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            # Raises if the full-text index disagrees with the rows.
            conn.execute("INSERT INTO entries_fts (entries_fts) VALUES ('integrity-check')")
        with SqliteMemory(db) as store:
            for entry_id, tag, i in committed:
                entry = store.get(entry_id)
                assert entry is not None, f"entry {entry_id} was committed and is gone"
                assert entry.text == f"round {tag} entry {i} umbrella"
                assert entry.thumbnail_jpeg == bytes(range(256)) * 96
            # Beyond those: at most the entry each killed writer had committed but not reported.
            assert len(committed) <= store.count() <= len(committed) + n + 1
            assert len(store.search("umbrella", limit=10_000)) == store.count()

    with SqliteMemory(db) as store:  # and it goes on taking entries
        new = store.add("after the crashes")
        assert new > max(entry_id for entry_id, _, _ in committed)
        assert store.search("crashes")[0].id == new
