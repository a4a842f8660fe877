"""What a skill is: the intents it answers, the triggers that start it, and an async ``handle``.

A skill declares everything about when it runs (class attributes, checked at start by
``TriggerTable``): ``intents`` (constants, e.g. ``glasses.assistant.intents.READ``), ``phrases``
(spoken forms feeding the command grammar; a bare string means the first intent) and
``triggers`` (taps, head gestures, codes in view). ``handle`` returns a ``Reply``; a skill with
``streaming = True`` writes its answer progressively through ``ctx.answer(...)`` instead and is
cancelled by a barge-in (the wake phrase, a tap, "stop").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import ClassVar

from glasses.assistant.services import Services
from glasses.assistant.triggers import Phrase, Trigger
from glasses.runtime.clock import Clock
from glasses.runtime.events import Card, DecodedCode, Event, Intent, VideoFrame


@dataclass(frozen=True, slots=True)
class Reply:
    """A skill's answer: an optional HUD card (``None`` leaves the HUD alone) and speech."""

    card: Card | None = None
    say: str = ""
    clear: bool = False  # clear the HUD (``card`` must then be None)


@dataclass(frozen=True, slots=True)
class Seen:
    """What perception last reported: codes and text lines in view, and the frame times (ns,
    runtime clock) they were read from (0: never)."""

    codes: tuple[DecodedCode, ...] = ()
    codes_t_ns: int = 0
    text: tuple[str, ...] = ()
    text_t_ns: int = 0


def _drop(event: Event) -> None:
    """The default ``emit`` of a context built outside a runtime (unit tests of one skill)."""


def _nothing_seen() -> Seen:
    return Seen()


def _nothing_shown() -> Card | None:
    return None


@dataclass(frozen=True, slots=True)
class SkillContext:
    """What a skill may use: the runtime clock (blocking work through ``clock.run_blocking``),
    the newest camera frame (None before the first), what perception last reported, the
    services (language model, memory, catalogue, device state, conversation), for the turn
    it answers, ``emit`` onto the bus (progressive answers: ``glasses.assistant.answer``), and
    ``hud``: the card the HUD was last asked to show (None: cleared), so that a skill updating
    its card later (a timer's countdown) leaves another skill's card alone."""

    clock: Clock
    latest_frame: Callable[[], VideoFrame | None]
    seen: Callable[[], Seen] = _nothing_seen
    services: Services = field(default_factory=Services)
    emit: Callable[[Event], None] = _drop
    turn_id: int | None = None
    hud: Callable[[], Card | None] = _nothing_shown


class Skill:
    """Subclass: set ``name``, ``intents`` (and ``phrases`` / ``triggers``); implement ``handle``.

    ``handle`` runs on the event loop: blocking work goes through ``ctx.clock.run_blocking``.
    If it raises, the dispatcher shows a short error card and the loop goes on.
    """

    name: ClassVar[str] = "skill"
    intents: ClassVar[tuple[str, ...]] = ()
    phrases: ClassVar[tuple[str | Phrase, ...]] = ()
    triggers: ClassVar[tuple[Trigger, ...]] = ()
    # A streaming skill's turn runs as its own task, cancelled by a barge-in; others run inline.
    streaming: ClassVar[bool] = False

    async def handle(self, intent: Intent, ctx: SkillContext) -> Reply:
        raise NotImplementedError
