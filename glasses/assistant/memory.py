"""The wearer's memory: "remember …" entries in SQLite, found again by their words (FTS5).

``SqliteMemory`` implements :class:`glasses.assistant.services.MemoryStore`. One file,
``memory.sqlite3`` in the user's data directory (``$XDG_DATA_HOME/glasses``, by default
``~/.local/share/glasses``, created for its owner only), holds every entry: the words, the
wall-clock time, the text read in view and a small JPEG thumbnail (none while the capture
indicator was off: the skill decides, the store keeps what it is given).

Durability: the database runs in WAL mode with ``synchronous=FULL``, so an entry is on the
disk when :meth:`SqliteMemory.add` returns; a process killed mid-write loses at most the entry
it was writing, never one already committed, and the file opens cleanly afterwards (SQLite
rolls a torn WAL tail back by its checksums). Deleted entries are overwritten
(``secure_delete``) and the WAL is checkpointed, so "forget" leaves no copy in the file.

Search: the query's words, each quoted (no FTS5 syntax from the wearer's words reaches the
query language), the ones that carry meaning kept ("where are my keys" searches "keys"),
stemmed (``porter``: "keys" finds "key", "parked" finds "park"). Entries holding all of them
come first; if none does, entries holding any of them. Newest first either way.

Every failure is a :class:`MemoryStoreError` whose message is one line naming the file and,
for a damaged database, the fix.
"""

from __future__ import annotations

import os
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from glasses.assistant.services import MemoryEntry
from glasses.atomic import open_private_dir

MEMORY_FILE = "memory.sqlite3"
SCHEMA_VERSION = 1
IN_MEMORY = ":memory:"
# How long a writer waits for another process's transaction (the CLI beside a running session).
BUSY_TIMEOUT_S = 5.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: a forgotten id names nothing else
    text TEXT NOT NULL,
    t_unix_s REAL NOT NULL,
    seen_text TEXT NOT NULL DEFAULT '',
    thumbnail_jpeg BLOB
);
CREATE INDEX IF NOT EXISTS entries_by_time ON entries (t_unix_s);
CREATE VIRTUAL TABLE IF NOT EXISTS entries_fts USING fts5(
    text, seen_text, content='entries', content_rowid='id',
    tokenize='porter unicode61 remove_diacritics 2'
);
CREATE TRIGGER IF NOT EXISTS entries_added AFTER INSERT ON entries BEGIN
    INSERT INTO entries_fts (rowid, text, seen_text) VALUES (new.id, new.text, new.seen_text);
END;
CREATE TRIGGER IF NOT EXISTS entries_deleted AFTER DELETE ON entries BEGIN
    INSERT INTO entries_fts (entries_fts, rowid, text, seen_text)
        VALUES ('delete', old.id, old.text, old.seen_text);
END;
"""

_COLUMNS = "e.id, e.text, e.t_unix_s, e.seen_text, e.thumbnail_jpeg"
_NEWEST_FIRST = "ORDER BY e.t_unix_s DESC, e.id DESC"

# Words that say how the wearer asks, not what about: dropped from a search unless nothing else
# is left ("where are my keys" → "keys").
STOP_WORDS = frozenset(
    {
        "a", "about", "am", "an", "and", "any", "anything", "are", "at", "be", "by", "can", "could",
        "did", "do", "does", "for", "from", "had", "has", "have", "i", "i'd", "i'll", "i'm", "i've",
        "in", "into", "is", "it", "it's", "its", "me", "my", "myself", "of", "on", "or", "our",
        "put", "say", "said", "tell", "that", "the", "their", "them", "there", "these", "they",
        "this", "those", "to", "was", "we", "were", "what", "what's", "when", "where", "where's",
        "which", "who", "why", "will", "with", "you", "your",
    }
)  # fmt: skip

# SQLite's primary result codes for a file that is not (or no longer) a database.
_SQLITE_CORRUPT = 11
_SQLITE_NOTADB = 26


class MemoryStoreError(RuntimeError):
    """The memory database cannot be used; the message is one line naming the file and fix."""


def default_data_dir() -> Path:
    """``$XDG_DATA_HOME/glasses``, else ``~/.local/share/glasses`` (an ``XDG_DATA_HOME`` that
    is not absolute is ignored, as the XDG base directory specification says)."""
    data = os.environ.get("XDG_DATA_HOME", "")
    base = Path(data) if data and Path(data).is_absolute() else Path.home() / ".local" / "share"
    return base / "glasses"


def default_memory_path() -> Path:
    """The wearer's memory database: ``default_data_dir() / memory.sqlite3``."""
    return default_data_dir() / MEMORY_FILE


def how_long_ago(seconds: float) -> str:
    """``seconds`` as the HUD says it: "just now", "40 s ago", "5 min ago", "3 h ago",
    "2 days ago"."""
    s = max(0.0, seconds)
    if s < 10:
        return "just now"
    if s < 60:
        return f"{int(s)} s ago"
    if s < 3600:
        return f"{int(s // 60)} min ago"
    if s < 86400:
        return f"{int(s // 3600)} h ago"
    days = int(s // 86400)
    return f"{days} day{'' if days == 1 else 's'} ago"


def query_words(query: str) -> list[str]:
    """The words of ``query`` a search looks for: lower-case, stop words dropped unless only
    stop words are left, each once, in order."""
    words = list(dict.fromkeys(re.findall(r"[\w']+", query.lower())))
    words = [w.strip("'") for w in words if w.strip("'")]
    content = [w for w in words if w not in STOP_WORDS]
    return content or words


def fts_query(words: Sequence[str], *, any_word: bool = False) -> str:
    """An FTS5 query for ``words``: each one a quoted string (a word holding a double quote
    has it doubled, as FTS5 wants), joined by AND (all) or OR (``any_word``)."""
    quoted = ['"' + w.replace('"', '""') + '"' for w in words]
    return (" OR " if any_word else " AND ").join(quoted)


class SqliteMemory:
    """A :class:`~glasses.assistant.services.MemoryStore` in the SQLite file ``path``
    (``":memory:"``: kept in RAM for this process only, as the simulator's is).

    The file and its folder are created on first use (the folder 0700, the file 0600), not
    when the object is made: a session that never remembers anything touches nothing.
    ``now`` gives the wall-clock time entries are stamped with (Unix seconds; the simulator's
    follows its virtual clock). Safe to share between threads (one connection, one lock);
    other processes may use the same file at the same time (SQLite's own locking).
    """

    def __init__(self, path: str | os.PathLike[str], *, now: Callable[[], float] = time.time):
        self.path = Path(path) if str(path) != IN_MEMORY else None
        self.now = now
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return str(self.path) if self.path is not None else IN_MEMORY

    # -- the MemoryStore protocol ------------------------------------------------------------

    def add(self, text: str, *, seen_text: str = "", thumbnail_jpeg: bytes | None = None) -> int:
        """Store an entry; it is committed (on the disk) when this returns its id."""
        text = " ".join(text.split())
        if not text:
            raise ValueError("a memory needs words")
        with self._transaction() as conn:
            cursor = conn.execute(
                "INSERT INTO entries (text, t_unix_s, seen_text, thumbnail_jpeg) "
                "VALUES (?, ?, ?, ?)",
                (text, float(self.now()), seen_text, thumbnail_jpeg),
            )
            entry_id = cursor.lastrowid
        if entry_id is None:  # pragma: no cover - an INSERT always sets it
            raise MemoryStoreError(f"{self.name}: the entry got no id")
        return entry_id

    def search(self, query: str, *, limit: int = 5) -> list[MemoryEntry]:
        """Entries holding every meaningful word of ``query``, else any of them; newest first.
        Punctuation, quotes and FTS5 operators in ``query`` are words like any other."""
        words = query_words(query)
        if not words or limit <= 0:
            return []
        sql = (
            f"SELECT {_COLUMNS} FROM entries_fts JOIN entries e ON e.id = entries_fts.rowid "
            f"WHERE entries_fts MATCH ? {_NEWEST_FIRST} LIMIT ?"
        )
        with self._reading() as conn:
            rows = conn.execute(sql, (fts_query(words), limit)).fetchall()
            if not rows and len(words) > 1:
                rows = conn.execute(sql, (fts_query(words, any_word=True), limit)).fetchall()
        return [_entry(row) for row in rows]

    def recent(self, *, limit: int = 20) -> list[MemoryEntry]:
        """The newest ``limit`` entries, newest first."""
        with self._reading() as conn:
            rows = conn.execute(
                f"SELECT {_COLUMNS} FROM entries e {_NEWEST_FIRST} LIMIT ?", (max(0, limit),)
            ).fetchall()
        return [_entry(row) for row in rows]

    def forget(self, entry_id: int) -> bool:
        """Delete entry ``entry_id`` (its words overwritten in the file); False if none."""
        with self._transaction() as conn:
            deleted = conn.execute("DELETE FROM entries WHERE id = ?", (entry_id,)).rowcount
            if deleted:  # merge the index's segments: the old ones still hold the words
                conn.execute("INSERT INTO entries_fts (entries_fts) VALUES ('optimize')")
        if deleted and self.path is not None:
            with self._reading() as conn:  # move the change out of the WAL into the file
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return bool(deleted)

    # -- more than the protocol --------------------------------------------------------------

    def get(self, entry_id: int) -> MemoryEntry | None:
        with self._reading() as conn:
            row = conn.execute(
                f"SELECT {_COLUMNS} FROM entries e WHERE e.id = ?", (entry_id,)
            ).fetchone()
        return _entry(row) if row is not None else None

    def count(self) -> int:
        with self._reading() as conn:
            (n,) = conn.execute("SELECT count(*) FROM entries").fetchone()
        return int(n)

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def __enter__(self) -> SqliteMemory:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the connection ----------------------------------------------------------------------

    @contextmanager
    def _reading(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                yield self._connection()
            except sqlite3.Error as exc:
                raise self._error(exc) from None

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction, committed (fsynced) when the block ends, rolled back if it
        raises."""
        with self._lock:
            try:
                conn = self._connection()
                conn.execute("BEGIN IMMEDIATE")
                try:
                    yield conn
                except BaseException:
                    conn.rollback()
                    raise
                conn.execute("COMMIT")
            except sqlite3.Error as exc:
                raise self._error(exc) from None

    def _connection(self) -> sqlite3.Connection:
        if self._conn is not None:
            return self._conn
        if self.path is not None:
            self._create_file(self.path)
        conn = sqlite3.connect(
            self.name, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
        )
        try:
            mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if self.path is not None and str(mode).lower() != "wal":
                raise MemoryStoreError(f"{self.name}: cannot use WAL mode (got {mode})")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA secure_delete=ON")
            (version,) = conn.execute("PRAGMA user_version").fetchone()
            if version > SCHEMA_VERSION:
                raise MemoryStoreError(
                    f"{self.name}: written by a newer glasses (schema {version}, this one knows "
                    f"{SCHEMA_VERSION}); upgrade glasses to use it"
                )
            if version < SCHEMA_VERSION:  # a new file (the statements are idempotent)
                conn.executescript(
                    f"BEGIN IMMEDIATE; {_SCHEMA} PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;"
                )
        except BaseException:
            conn.close()
            raise
        self._conn = conn
        return conn

    def _create_file(self, path: Path) -> None:
        """The folder (0700, no symbolic link) and an empty file (0600) unless they exist:
        SQLite gives its WAL and shared-memory files the database file's permissions."""
        try:
            os.close(open_private_dir(path.parent))
            flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)
            os.close(os.open(path, flags | getattr(os, "O_CLOEXEC", 0), 0o600))
        except OSError as exc:
            raise MemoryStoreError(f"{path}: {exc.strerror or exc}") from None

    def _error(self, exc: sqlite3.Error) -> MemoryStoreError:
        code = getattr(exc, "sqlite_errorcode", 0) & 0xFF
        if code in (_SQLITE_CORRUPT, _SQLITE_NOTADB) or "malformed" in str(exc):
            return MemoryStoreError(
                f"{self.name}: not a readable memory database ({exc}); move it aside "
                f"(mv {self.name} {self.name}.damaged) and a new one is started"
            )
        return MemoryStoreError(f"{self.name}: {exc}")


def _entry(row: Any) -> MemoryEntry:
    entry_id, text, t_unix_s, seen_text, thumbnail = row
    return MemoryEntry(
        id=int(entry_id),
        text=str(text),
        t_unix_s=float(t_unix_s),
        seen_text=str(seen_text or ""),
        thumbnail_jpeg=bytes(thumbnail) if thumbnail is not None else None,
    )
