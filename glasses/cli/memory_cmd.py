"""``glasses memory list|search WORDS|forget ID``: what the glasses remember, found and forgotten.

The memory is what the wearer asked the glasses to remember ("hey glasses, remember I parked on
level 3"), in ``$XDG_DATA_HOME/glasses/memory.sqlite3`` (by default
``~/.local/share/glasses/memory.sqlite3``; ``--db`` names another file). Each line: the entry's
id, when it was said (local time) and how long ago, the words, and what else was kept: the text
read in view and whether a thumbnail of the view was stored (never while the capture indicator
was off). ``list`` and ``search`` never create the file; ``forget`` deletes an entry for good
(its words are overwritten in the file, not only unlinked).

exit codes: 0 done (``search`` also when nothing matched); 1 ``forget``: no entry with that id;
3 the database cannot be used (damaged, unreadable, written by a newer glasses: one line that
names the file and the fix).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from glasses.cli.arg_types import whole_number

if TYPE_CHECKING:  # imported when the command runs
    from glasses.assistant.services import MemoryEntry

EXIT_OK = 0
EXIT_NOT_FOUND = 1
EXIT_STORE = 3
MAX_ID = 2**63 - 1  # SQLite's largest rowid
MAX_LIMIT = 1_000_000


# 0 or less would list nothing and say that nothing is remembered; an id past SQLite's
# largest rowid cannot be looked up.
_limit = whole_number(1, MAX_LIMIT, "the limit")
_entry_id = whole_number(1, MAX_ID, "an entry id")


def add_parser(sub: Any) -> None:
    p = sub.add_parser("memory", help="list, search and forget what the glasses remember")
    db = argparse.ArgumentParser(add_help=False)
    db.add_argument(
        "--db", type=Path, default=None, metavar="PATH",
        help="the memory database (default: $XDG_DATA_HOME/glasses/memory.sqlite3)",
    )  # fmt: skip
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    listing = actions.add_parser("list", parents=[db], help="the newest entries, newest first")
    listing.add_argument(
        "-n", "--limit", type=_limit, default=20, metavar="N", help="at most N entries (20)"
    )
    search = actions.add_parser(
        "search", parents=[db], help="entries holding the words, newest first"
    )
    search.add_argument("words", nargs="+", metavar="WORD", help="words to look for")
    search.add_argument(
        "-n", "--limit", type=_limit, default=10, metavar="N", help="at most N entries (10)"
    )
    forget = actions.add_parser("forget", parents=[db], help="delete an entry for good")
    forget.add_argument("id", type=_entry_id, metavar="ID", help="the entry's id (see list)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from glasses.assistant.memory import MemoryStoreError, SqliteMemory, default_memory_path

    path: Path = args.db if args.db is not None else default_memory_path()
    if not path.exists():  # never create the file just to say it is empty
        if args.action == "forget":
            print(f"glasses memory: no entry #{args.id} (no memory yet: {path})", file=sys.stderr)
            return EXIT_NOT_FOUND
        print(f"nothing remembered yet ({path} does not exist)")
        return EXIT_OK
    if args.action != "forget" and path.is_file() and path.stat().st_size == 0:
        # An empty file is an empty store (created, never written): opening it would write
        # the schema into it, and list and search change nothing.
        print(f"nothing remembered yet ({path} is empty)")
        return EXIT_OK
    try:
        with SqliteMemory(path) as store:
            if args.action == "forget":
                entry = store.get(args.id)
                if entry is None or not store.forget(args.id):
                    print(f"glasses memory: no entry #{args.id} in {path}", file=sys.stderr)
                    return EXIT_NOT_FOUND
                print(f"forgot #{entry.id}: {entry.text}")
                return EXIT_OK
            if args.action == "search":
                entries = store.search(" ".join(args.words), limit=args.limit)
                if not entries:
                    print(f"nothing remembered about {' '.join(args.words)!r}")
            else:
                entries = store.recent(limit=args.limit)
                if not entries:
                    print(f"nothing remembered yet ({path})")
    except MemoryStoreError as exc:
        print(f"glasses memory: {exc}", file=sys.stderr)
        return EXIT_STORE
    now = time.time()
    for entry in entries:
        print(format_entry(entry, now))
    return EXIT_OK


def format_entry(entry: MemoryEntry, now: float) -> str:
    """``#ID  YYYY-MM-DD HH:MM (how long ago)  words  [seen: …; thumbnail]``."""
    from glasses.assistant.memory import how_long_ago

    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(entry.t_unix_s))
    extra = []
    if entry.seen_text:
        extra.append("seen: " + " / ".join(entry.seen_text.splitlines()))
    if entry.thumbnail_jpeg:
        extra.append(f"thumbnail {len(entry.thumbnail_jpeg) / 1000:.1f} kB")
    tail = f"  [{'; '.join(extra)}]" if extra else ""
    return f"#{entry.id}  {when} ({how_long_ago(now - entry.t_unix_s)})  {entry.text}{tail}"
