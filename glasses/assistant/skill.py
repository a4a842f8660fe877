"""What a skill is: the intents it answers and an async ``handle`` that returns a reply."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from glasses.runtime.clock import Clock
from glasses.runtime.events import Card, Intent, VideoFrame


@dataclass(frozen=True, slots=True)
class Reply:
    """A skill's answer: an optional HUD card (``None`` leaves the HUD alone) and speech."""

    card: Card | None = None
    say: str = ""
    clear: bool = False  # clear the HUD (``card`` must then be None)


@dataclass(frozen=True, slots=True)
class SkillContext:
    """What a skill may use: the runtime clock (blocking work through ``clock.run_blocking``)
    and the newest camera frame (None before the first)."""

    clock: Clock
    latest_frame: Callable[[], VideoFrame | None]


class Skill:
    """Subclass: set ``name`` and ``intents`` (and ``phrases`` for speech); implement ``handle``.

    ``handle`` runs on the event loop: blocking work goes through ``ctx.clock.run_blocking``.
    If it raises, the dispatcher shows a short error card and the loop goes on.
    """

    name: ClassVar[str] = "skill"
    intents: ClassVar[tuple[str, ...]] = ()
    phrases: ClassVar[tuple[str, ...]] = ()

    async def handle(self, intent: Intent, ctx: SkillContext) -> Reply:
        raise NotImplementedError
