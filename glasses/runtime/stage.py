"""A stage: one entry point, ``process(event, ctx)``, fed from its own bounded inbox."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar, TypeVar

from glasses.runtime.clock import Clock
from glasses.runtime.events import Event

T = TypeVar("T")


def _no_turns(turn_id: int) -> int | None:
    return None


@dataclass(frozen=True, slots=True)
class StageContext:
    """What a stage may use: the clock, ``emit`` onto the bus, new turn ids, and when a turn
    opened (``turn_start``: the time of its cue, e.g. where the speech that asked ended on the
    microphone's clock; None if unknown)."""

    clock: Clock
    emit: Callable[[Event], None]
    new_turn: Callable[[int, str], int]
    turn_start: Callable[[int], int | None] = _no_turns

    def now_ns(self) -> int:
        return self.clock.now_ns()


class Stage:
    """Subclass and set ``name`` and ``accepts``; override ``process``.

    ``latest_wins`` lists event types (camera frames) kept latest-wins while the stage is busy;
    everything else queues FIFO up to ``queue_size``. ``process`` is called for one event at a
    time. If it raises, the runtime reports the crash, calls ``reset`` and carries on with the
    next event. ``skip`` is asked first: an event it takes needs no ``process`` (a duty cycle).
    """

    name: ClassVar[str] = "stage"
    accepts: ClassVar[tuple[type[Event], ...]] = ()
    latest_wins: ClassVar[tuple[type[Event], ...]] = ()
    queue_size: ClassVar[int] = 64

    async def start(self, ctx: StageContext) -> None:
        """Called once before the first event (load models here, off the hot path)."""

    async def process(self, event: Event, ctx: StageContext) -> None:
        raise NotImplementedError

    def skip(self, event: Event, ctx: StageContext) -> bool:
        """Called before ``process``; True when ``event`` needs no work: it is done with (the
        stage may emit what it already knows, at once and at no cost) and ``process`` is not
        called. Skipped events count as processed and as ``skipped`` in the stage's metrics,
        not in its latency figures. The default skips nothing."""
        return False

    def reset(self) -> None:
        """Called after ``process`` raised, before the stage takes its next event."""

    async def stop(self) -> None:
        """Called once when the runtime stops: cancel timers, release models."""
