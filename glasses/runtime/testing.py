"""A stage harness in the package: drive real stages with events on virtual time.

``drive(stages, events, until_ns)`` wires the stages on a fresh ``Runtime``, publishes each
event at its own ``t_ns`` (in order), lets virtual time run to ``until_ns``, stops the runtime
and returns what was published on the bus. Tests, scenarios and benchmarks use it instead of
copying the wiring (as Pipecat ships ``run_test``).

``ComputeClock`` is a ``VirtualClock`` for measuring latency: idle waits are skipped as usual,
but while the loop computes, time runs at wall-clock speed, and blocking calls run inline and
cost what they really cost (their nominal ``cost_ns`` is ignored). An event's ``t_ns`` is then
the audio's own time plus the real compute of every stage on the way (on one core: nothing runs
in parallel), so "end of speech → HUD drawn" read from event times is what a device as fast as
this machine would show.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from collections.abc import Callable, Coroutine, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from glasses.runtime.clock import NS_PER_S, VirtualClock
from glasses.runtime.events import AudioChunk, Event, StageCrashed, VideoFrame
from glasses.runtime.metrics import MAX_TURNS
from glasses.runtime.runtime import Runtime
from glasses.runtime.stage import Stage, StageContext

T = TypeVar("T")
E = TypeVar("E", bound=Event)


class ComputeClock(VirtualClock):
    """Virtual time that skips idle waits but runs at wall speed while the loop computes.

    ``record``: keep, per task name (a stage's consumer task is named after the stage), each
    blocking call's (end time on this clock, wall ns) in ``calls``.
    """

    def __init__(self, start_ns: int = 0, *, record: bool = True) -> None:
        super().__init__(start_ns)
        self.record = record
        self.calls: defaultdict[str, list[tuple[int, int]]] = defaultdict(list)
        self._mark = time.perf_counter_ns()  # wall time already counted into ``_now_ns``

    def now_ns(self) -> int:
        return self._now_ns + (time.perf_counter_ns() - self._mark)

    def _settle(self) -> None:
        """Count the compute since the last mark into the virtual time."""
        wall = time.perf_counter_ns()
        self._now_ns += wall - self._mark
        self._mark = wall

    def _advance(self, delta_ns: int) -> None:
        # Called by the virtual loop when every task waits: first the compute that led here,
        # then the jump to the next timer.
        self._settle()
        super()._advance(delta_ns)

    async def sleep_until(self, t_ns: int) -> None:
        if t_ns <= self.now_ns():
            await asyncio.sleep(0)
            return
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[None] = loop.create_future()
        handle = loop.call_at(t_ns / NS_PER_S, _resolve, fut)
        try:
            await fut
        finally:
            handle.cancel()
        self._settle()
        if self._now_ns < t_ns:  # float rounding of call_at's target; snap to the target
            self._now_ns = t_ns

    async def run_blocking(self, fn: Callable[[], T], *, cost_ns: int = 0) -> T:
        start = time.perf_counter_ns()
        result = fn()
        if self.record:
            task = asyncio.current_task()
            name = task.get_name() if task is not None else ""
            self.calls[name].append((self.now_ns(), time.perf_counter_ns() - start))
        await asyncio.sleep(0)  # as an executor would: other tasks may run
        return result

    def run(self, main: Coroutine[Any, Any, T]) -> T:
        self._mark = time.perf_counter_ns()  # time spent before the run is nobody's compute
        return super().run(main)

    def wall_ms(self, task: str) -> list[float]:
        """Wall time of each blocking call made by ``task`` (a stage's name), in ms."""
        return [wall / 1e6 for _, wall in self.calls.get(task, [])]


def _resolve(fut: asyncio.Future[None]) -> None:
    if not fut.done():
        fut.set_result(None)


class StageFailed(RuntimeError):
    """A stage crashed while being driven (``Driven.raise_on_crash``); the message names it and
    its error."""


@dataclass
class Driven:
    """What ``drive`` saw: the published ``events`` it kept (fed and emitted, in publish
    order) and the ``runtime`` (its ``timelines`` and ``metrics()``)."""

    events: list[Event]
    runtime: Runtime

    def of(self, kind: type[E]) -> list[E]:
        """The kept events of type ``kind``, in order."""
        return [e for e in self.events if isinstance(e, kind)]

    def turn_start_ns(self, turn_id: int | None) -> int | None:
        """When turn ``turn_id`` started (its first timeline mark), or None."""
        marks = self.runtime.timelines.turns().get(turn_id) if turn_id is not None else None
        return marks[0].t_ns if marks else None

    def raise_on_crash(self) -> None:
        """Raise ``StageFailed`` naming the first stage that crashed, if one did (kept events
        only: keep ``StageCrashed``)."""
        crashes = self.of(StageCrashed)
        if crashes:
            c = crashes[0]
            raise StageFailed(f"stage {c.stage} crashed ({c.error}); {len(crashes)} crash(es)")


def drive(
    stages: Sequence[Stage],
    events: Iterable[Event],
    until_ns: int,
    *,
    clock: VirtualClock | None = None,
    keep: Callable[[Event], bool] | None = None,
    observers: Sequence[Callable[[Event], None]] = (),
    at: Callable[[Event], int] | None = None,
    max_turns: int = MAX_TURNS,
) -> Driven:
    """Run ``stages`` on ``clock`` (default a fresh ``VirtualClock``), publish each of
    ``events`` at its ``t_ns``, stop at ``until_ns``, and return what was published.

    ``events`` may be a generator (hours of audio are never held in memory); their times must
    not decrease (``ValueError``), and those after ``until_ns`` are not published. ``keep``
    picks the events to return (default: all; pass a filter for long runs). A stage that
    raises is reported as a ``StageCrashed`` event, as in the runtime (see
    ``Driven.raise_on_crash``). ``observers`` see every published event before any stage
    does (as the assistant pipeline wires ``SkillStage.see``: the newest frame, the card shown).
    ``at`` says when each event is published, if not at its ``t_ns`` (``at_chunk_end``: as a
    microphone does, once the chunk's last sample is captured); the order and ``until_ns``
    rules then apply to those times. ``max_turns``: the turn timelines the runtime keeps (the
    newest); ``Driven.turn_start_ns`` knows nothing of older turns.
    """
    clock = clock if clock is not None else VirtualClock()
    runtime = Runtime(clock, max_turns=max_turns)
    for stage in stages:
        runtime.add_stage(stage)
    for observer in observers:
        runtime.observe(observer)
    kept: list[Event] = []
    if keep is None:
        runtime.observe(kept.append)
    else:
        runtime.observe(lambda e: kept.append(e) if keep(e) else None)

    async def main() -> None:
        await runtime.start()
        last_ns: int | None = None
        try:
            for event in events:
                t_ns = event.t_ns if at is None else at(event)
                if last_ns is not None and t_ns < last_ns:
                    raise ValueError(
                        f"drive: events must come in time order; {event.type_name} at "
                        f"{t_ns} ns follows one at {last_ns} ns"
                    )
                if t_ns > until_ns:
                    break
                last_ns = t_ns
                await clock.sleep_until(t_ns)
                runtime.publish(event)
            await clock.sleep_until(until_ns)
        finally:
            await runtime.stop(reason="drive: until")

    clock.run(main())
    return Driven(kept, runtime)


def at_chunk_end(event: Event) -> int:
    """When a microphone publishes ``event``: an ``AudioChunk`` once its last sample is
    captured (its ``t_ns`` is its first sample's), anything else at its ``t_ns``. For
    ``drive(at=...)``."""
    if isinstance(event, AudioChunk):
        return event.t_ns + event.duration_ns
    return event.t_ns


class SensorProbe(Stage):
    """A stage that keeps every camera frame and audio chunk the pipeline is given, in
    order: add it beside the assistant (``run_scenario(stages=[probe])``) to check what a
    replay or a device fed it."""

    name = "probe"
    accepts = (VideoFrame, AudioChunk)
    queue_size = 100_000

    def __init__(self) -> None:
        self.frames: list[VideoFrame] = []
        self.chunks: list[AudioChunk] = []

    async def process(self, event: Event, ctx: StageContext) -> None:
        if isinstance(event, VideoFrame):
            self.frames.append(event)
        elif isinstance(event, AudioChunk):
            self.chunks.append(event)
