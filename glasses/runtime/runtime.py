"""The runtime: a clock, a bus, supervised stages and sources, and their metrics."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from glasses.runtime.bus import Bus
from glasses.runtime.clock import Clock
from glasses.runtime.events import Event, QueueOverflow, Shutdown
from glasses.runtime.inbox import Inbox
from glasses.runtime.metrics import StageStats, Timelines
from glasses.runtime.stage import Stage, StageContext
from glasses.runtime.supervisor import RestartPolicy, Supervisor


class Runtime:
    """Wire stages with ``add_stage``; ``await start()`` them; ``await stop()`` at the end.

    Sources (devices, the scenario player) are supervised tasks started with ``spawn`` that
    ``publish`` events; stages consume from their inboxes and ``emit`` through the same bus.
    """

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.bus = Bus()
        self.timelines = Timelines()
        self.supervisor = Supervisor(clock, self.publish)
        self.stage_stats: dict[str, StageStats] = {}
        self.inboxes: dict[str, Inbox] = {}
        self._stages: list[Stage] = []
        self.ctx = StageContext(clock=clock, emit=self.publish, new_turn=self.timelines.new_turn)
        self.bus.observe(self.timelines.observe)

    def publish(self, event: Event) -> None:
        self.bus.publish(event)

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

    def _report_overflow(self, inbox: Inbox, lost: Event) -> None:
        self.publish(
            QueueOverflow(
                t_ns=self.clock.now_ns(),
                source=inbox.name,
                queue=inbox.name,
                dropped=1,
                total_dropped=inbox.stats.overflowed,
                turn_id=lost.turn_id,
            )
        )

    def spawn(
        self, name: str, factory: Callable[[], Awaitable[None]], policy: RestartPolicy | None = None
    ) -> None:
        self.supervisor.spawn(name, factory, policy)

    async def start(self) -> None:
        for stage in self._stages:
            await stage.start(self.ctx)
            self.supervisor.spawn(stage.name, self._consumer(stage))

    def _consumer(self, stage: Stage) -> Callable[[], Awaitable[None]]:
        inbox = self.inboxes[stage.name]
        stats = self.stage_stats[stage.name]
        clock = self.clock
        ctx = self.ctx

        async def consume() -> None:
            while True:
                event = await inbox.get()
                start = clock.now_ns()
                try:
                    await stage.process(event, ctx)
                except Exception:
                    stats.crashes += 1
                    stage.reset()
                    raise  # the supervisor reports it and restarts this loop
                end = clock.now_ns()
                stats.processed += 1
                stats.busy_ns.append(end - start)
                stats.latency_ns.append(end - event.t_ns)

        return consume

    async def stop(self, reason: str = "") -> None:
        self.publish(Shutdown(t_ns=self.clock.now_ns(), source="runtime", reason=reason))
        await self.supervisor.stop()
        for stage in self._stages:
            await stage.stop()

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
        return {"stages": stages, "restarts": dict(self.supervisor.restarts)}
