"""The runtime: a clock, a bus, supervised stages and sources, and their metrics.

Backpressure: FIFO inboxes never drop an event (see :mod:`glasses.runtime.inbox`); they are kept
near their ``queue_size`` by their producers. A stage that emits a data event (audio) into an
inbox that is then full waits, before it takes its next event, until that inbox has room again;
a source awaits ``wait_room`` before it reads more. The data path (microphone → VAD → listen,
captions) has no cycle, so these waits always end: the pipeline lags, it never loses audio.
How long each stage and source was held back is in ``metrics()["held_back_ms"]``.

Every control and system event a stage emits is a decision of that stage; at DEBUG level this
module's logger writes one line for each (``glasses -vv``): the time since ``start()``, the
stage, and the event's ``describe()``; a stage repeating its last line (the same code seen
frame after frame) is not logged again.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from glasses.runtime.bus import Bus
from glasses.runtime.clock import Clock
from glasses.runtime.events import Event, EventKind, QueueOverflow, Shutdown
from glasses.runtime.inbox import Inbox
from glasses.runtime.metrics import MAX_TURNS, StageStats, Timelines
from glasses.runtime.stage import Stage, StageContext
from glasses.runtime.supervisor import RestartPolicy, Supervisor

log = logging.getLogger(__name__)


class Runtime:
    """Wire stages with ``add_stage``; ``await start()`` them; ``await stop()`` at the end.

    Sources (devices, the scenario player) are supervised tasks started with ``spawn`` that
    ``publish`` events; stages consume from their inboxes and ``emit`` through the same bus.
    """

    def __init__(self, clock: Clock, *, max_turns: int = MAX_TURNS) -> None:
        """``max_turns``: the turn timelines kept (the newest; see ``Timelines``)."""
        self.clock = clock
        self.bus = Bus()
        self.timelines = Timelines(max_turns=max_turns)
        self.supervisor = Supervisor(clock, self.publish, on_give_up=self._gave_up)
        self.stage_stats: dict[str, StageStats] = {}
        self.inboxes: dict[str, Inbox] = {}
        self._stages: list[Stage] = []
        self.ctx = StageContext(
            clock=clock,
            emit=self.publish,
            new_turn=self.timelines.new_turn,
            turn_start=self.timelines.start_ns,
        )
        self.bus.observe(self.timelines.observe)
        # Per stage: the inboxes its data events filled up, to wait on before its next event.
        self._filled: dict[str, set[Inbox]] = {}
        self.held_back_ns: dict[str, int] = {}  # stage or source -> time spent waiting for room
        self.started_ns = clock.now_ns()  # set again by ``start()``: the origin of logged times

    def publish(self, event: Event) -> None:
        self.bus.publish(event)

    def _stage_context(self, name: str) -> StageContext:
        filled = self._filled.setdefault(name, set())
        bus = self.bus
        said = ""  # the stage's last logged decision

        def emit(event: Event) -> None:
            delivered = bus.publish(event)
            if event.kind is EventKind.DATA:
                filled.update(inbox for inbox in delivered if inbox.full)
            elif log.isEnabledFor(logging.DEBUG):
                nonlocal said
                line = event.describe()
                if line != said:
                    said = line
                    log.debug("%.3f s %s: %s", (event.t_ns - self.started_ns) / 1e9, name, line)

        return StageContext(
            clock=self.clock,
            emit=emit,
            new_turn=self.timelines.new_turn,
            turn_start=self.timelines.start_ns,
        )

    async def wait_room(self, event_type: type[Event], producer: str) -> None:
        """Backpressure for a source: return once every inbox that takes ``event_type`` (FIFO,
        not latest-wins) has room; the time waited is added to ``held_back_ns[producer]``."""
        for inbox in self.bus.inboxes_for(event_type):
            if not issubclass(event_type, inbox.latest_wins):
                await self._hold(inbox, producer)

    async def _hold(self, inbox: Inbox, producer: str) -> None:
        if not inbox.full:
            return
        start = self.clock.now_ns()
        await inbox.wait_room()
        waited = self.clock.now_ns() - start
        self.held_back_ns[producer] = self.held_back_ns.get(producer, 0) + waited

    def _gave_up(self, name: str) -> None:
        inbox = self.inboxes.get(name)
        if inbox is not None:
            inbox.close()  # nobody will drain it: producers must not wait on it

    def observe(self, observer: Callable[[Event], None]) -> None:
        self.bus.observe(observer)

    def add_stage(self, stage: Stage) -> Inbox:
        if stage.name in self.inboxes:
            raise ValueError(f"two stages are named {stage.name!r}")
        inbox = Inbox(
            stage.name,
            maxsize=stage.queue_size,
            latest_wins=stage.latest_wins,
            on_overflow=self._report_overflow,
        )
        self.bus.subscribe(stage.accepts, inbox)
        self.inboxes[stage.name] = inbox
        self.stage_stats[stage.name] = StageStats()
        self._stages.append(stage)
        return inbox

    def _report_overflow(self, inbox: Inbox, newest: Event) -> None:
        self.publish(
            QueueOverflow(
                t_ns=self.clock.now_ns(),
                source=inbox.name,
                queue=inbox.name,
                depth=len(inbox),
                size=inbox.maxsize,
                total=inbox.stats.overflowed,
                turn_id=newest.turn_id,
            )
        )

    def spawn(
        self, name: str, factory: Callable[[], Awaitable[None]], policy: RestartPolicy | None = None
    ) -> None:
        self.supervisor.spawn(name, factory, policy)

    async def start(self) -> None:
        self.started_ns = self.clock.now_ns()
        for stage in self._stages:
            ctx = self._stage_context(stage.name)
            await stage.start(ctx)
            self.supervisor.spawn(stage.name, self._consumer(stage, ctx))

    def _consumer(self, stage: Stage, ctx: StageContext) -> Callable[[], Awaitable[None]]:
        inbox = self.inboxes[stage.name]
        stats = self.stage_stats[stage.name]
        clock = self.clock
        filled = self._filled[stage.name]

        async def consume() -> None:
            while True:
                while filled:  # backpressure: let what this stage's audio filled drain first
                    await self._hold(filled.pop(), stage.name)
                event = await inbox.get()
                start = clock.now_ns()
                try:
                    if stage.skip(event, ctx):
                        stats.skipped += 1
                        stats.processed += 1
                        continue
                    await stage.process(event, ctx)
                except Exception:
                    stats.crashes += 1
                    stage.reset()
                    raise  # the supervisor reports it and restarts this loop
                end = clock.now_ns()
                stats.record(end - start, end - event.t_ns)

        return consume

    async def stop(self, reason: str = "") -> None:
        self.publish(Shutdown(t_ns=self.clock.now_ns(), source="runtime", reason=reason))
        await self.supervisor.stop()
        for stage in self._stages:
            await stage.stop()

    def idle(self) -> bool:
        """True when no stage has an event queued or in hand (stages that gave up excepted).

        Stages emit while they process, so once every stage is idle nothing is left to happen
        but timers (a HUD update held back for the display's interval, a skill's timer) and new
        input from the sources: a caller waits for this instead of sleeping a guessed time.
        """
        for name, inbox in self.inboxes.items():
            if name in self.supervisor.failed:
                continue
            taken = inbox.stats.received - inbox.stats.dropped - len(inbox)
            stats = self.stage_stats[name]
            if len(inbox) or taken != stats.processed + stats.crashes:
                return False
        return True

    def metrics(self) -> dict[str, Any]:
        stages: dict[str, Any] = {}
        for name, stats in self.stage_stats.items():
            inbox = self.inboxes[name].stats
            stages[name] = stats.summary() | {
                "received": inbox.received,
                "dropped": inbox.dropped,
                "overflowed": inbox.overflowed,
                "queue_high_water": inbox.high_water,
            }
        held = {name: round(ns / 1e6, 3) for name, ns in self.held_back_ns.items()}
        return {
            "stages": stages,
            "restarts": dict(self.supervisor.restarts),
            "failed": dict(self.supervisor.failed),  # gave up for good: task -> last error
            "held_back_ms": held,
        }
