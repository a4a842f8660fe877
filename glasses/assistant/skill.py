"""What a skill is: the intents it answers and an async ``handle`` that returns a reply."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from glasses.runtime.events import Card, Intent


@dataclass(frozen=True, slots=True)
class Reply:
    """A skill's answer: an optional HUD card (``None`` leaves the HUD alone) and speech."""

    card: Card | None = None
    say: str = ""
    clear: bool = False  # clear the HUD (``card`` must then be None)


class Skill:
    """Subclass: set ``name`` and ``intents`` (and ``phrases`` for speech); implement ``handle``.

    ``handle`` runs on the event loop: blocking work goes through the clock's ``run_blocking``.
    If it raises, the dispatcher shows a short error card and the loop goes on.
    """

    name: ClassVar[str] = "skill"
    intents: ClassVar[tuple[str, ...]] = ()
    phrases: ClassVar[tuple[str, ...]] = ()

    async def handle(self, intent: Intent) -> Reply:
        raise NotImplementedError
