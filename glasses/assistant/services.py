"""What skills share beyond the runtime: the language model, memory, the product catalogue, the
device's state and the conversation so far. Each is optional: a skill that needs one that is not
configured says so on the HUD.

The memory store and the catalogue are described here as protocols so that skills depend on
what they do, not on SQLite: ``glasses.assistant.memory`` and ``glasses.assistant.catalogue``
hold the implementations.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from glasses.assistant.llm.base import LanguageModel


@dataclass(frozen=True, slots=True)
class MemoryEntry:
    """One remembered thing: ``text`` (the wearer's words), when (``t_unix_s``, wall-clock
    seconds: memories outlive sessions), the text read in view then, and a thumbnail (JPEG
    bytes, or None when the capture indicator was off)."""

    id: int
    text: str
    t_unix_s: float
    seen_text: str = ""
    thumbnail_jpeg: bytes | None = None


class MemoryStore(Protocol):
    def add(self, text: str, *, seen_text: str = "", thumbnail_jpeg: bytes | None = None) -> int:
        """Store an entry (committed when this returns); its id."""
        ...

    def search(self, query: str, *, limit: int = 5) -> list[MemoryEntry]:
        """Entries matching the words of ``query``, newest first."""
        ...

    def recent(self, *, limit: int = 20) -> list[MemoryEntry]: ...

    def forget(self, entry_id: int) -> bool: ...


@dataclass(frozen=True, slots=True)
class Product:
    """A catalogue entry: ``code`` (EAN/UPC digits), ``name``, ``price`` in ``currency``."""

    code: str
    name: str
    price: float
    currency: str = "EUR"
    shop: str = ""


class Catalogue(Protocol):
    def lookup(self, code: str) -> Product | None: ...

    def search(self, words: str, *, limit: int = 3) -> list[Product]: ...


@dataclass(slots=True)
class Conversation:
    """The last few turns of the conversation, oldest first, for the language model's prompt:
    ``(question, answer)`` pairs; ``last_said`` is the last thing spoken (for "repeat")."""

    max_turns: int = 3
    turns: deque[tuple[str, str]] = field(default_factory=deque)
    last_said: str = ""

    def add(self, question: str, answer: str) -> None:
        self.turns.append((question, answer))
        while len(self.turns) > self.max_turns:
            self.turns.popleft()

    def history(self) -> Sequence[tuple[str, str]]:
        return tuple(self.turns)


def _unknown_battery() -> float | None:
    return None


def _capture_off() -> bool:
    return False


@dataclass(slots=True)
class Services:
    """Shared by every skill of one session. ``battery`` returns the charge 0..1 (None:
    unknown, e.g. no device reports it); ``capturing`` whether the camera's capture indicator
    is on (the wearer and bystanders can see the camera is in use); ``wall_time`` the
    wall-clock time in Unix seconds (what memories are dated by; the simulator's follows its
    virtual clock, so "how long ago" is the same on every run)."""

    llm: LanguageModel | None = None
    memory: MemoryStore | None = None
    catalogue: Catalogue | None = None
    battery: Callable[[], float | None] = _unknown_battery
    capturing: Callable[[], bool] = _capture_off
    wall_time: Callable[[], float] = time.time
    conversation: Conversation = field(default_factory=Conversation)
