"""``glasses bench runtime``: events per second through a 5-stage pipeline, and the cost of a hop.

The pipeline is the real runtime (bus, inboxes, supervised stage loops); the stages only pass
each event on, so what is measured is the runtime's own overhead. It runs on both clocks. Hop
cost is wall-clock time on purpose (``time.perf_counter_ns``): a benchmark measures the machine,
whereas the runtime itself only ever reads its clock.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Callable
from typing import Any, ClassVar

from glasses.runtime.clock import Clock, RealClock, VirtualClock
from glasses.runtime.events import Event
from glasses.runtime.metrics import percentile
from glasses.runtime.runtime import Runtime
from glasses.runtime.stage import Stage, StageContext

N_STAGES = 5


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Ping(Event):
    sent_ns: int  # perf_counter_ns when the previous hop emitted it
    seq: int


# One event type per hop, so each stage's inbox only receives its own hop's events.
HOPS: list[type[Ping]] = [
    dataclasses.make_dataclass(f"Hop{k}", [], bases=(Ping,), frozen=True, slots=True, kw_only=True)
    for k in range(N_STAGES + 1)
]


class PassStage(Stage):
    queue_size: ClassVar[int] = 256

    def __init__(self, k: int, hops_ns: list[int]) -> None:
        self.name = f"pass{k}"  # type: ignore[misc]  # per-instance names for the bench
        self.accepts = (HOPS[k],)  # type: ignore[misc]
        self._out = HOPS[k + 1]
        self._hops = hops_ns

    async def process(self, event: Event, ctx: StageContext) -> None:
        assert isinstance(event, Ping)
        now = time.perf_counter_ns()
        self._hops.append(now - event.sent_ns)
        ctx.emit(self._out(t_ns=ctx.now_ns(), sent_ns=time.perf_counter_ns(), seq=event.seq))


class Sink(Stage):
    name: ClassVar[str] = "sink"
    queue_size: ClassVar[int] = 256

    def __init__(self, on_done: Callable[[], None]) -> None:
        self.accepts = (HOPS[N_STAGES],)  # type: ignore[misc]
        self._on_done = on_done
        self.count = 0

    async def process(self, event: Event, ctx: StageContext) -> None:
        self.count += 1
        self._on_done()


async def _measure(clock: Clock, events: int, batch: int) -> dict[str, float]:
    runtime = Runtime(clock)
    hops: list[int] = []
    done = asyncio.Event()
    pending = 0

    def on_done() -> None:
        nonlocal pending
        pending -= 1
        if pending == 0:
            done.set()

    for k in range(N_STAGES):
        runtime.add_stage(PassStage(k, hops))
    runtime.add_stage(Sink(on_done))
    await runtime.start()

    async def send(n: int) -> None:
        nonlocal pending
        done.clear()
        pending = n
        for i in range(n):
            runtime.publish(HOPS[0](t_ns=clock.now_ns(), sent_ns=time.perf_counter_ns(), seq=i))
        await done.wait()

    # Latency: one event in flight at a time, so a hop's cost has no queueing in it.
    for _ in range(min(events, 2000)):
        await send(1)
    latency_hops = list(hops)
    # Throughput: batches in flight, as a camera and microphone would keep the pipeline busy.
    start = time.perf_counter_ns()
    sent = 0
    while sent < events:
        n = min(batch, events - sent)
        await send(n)
        sent += n
    elapsed = time.perf_counter_ns() - start
    await runtime.stop()
    return {
        "events_per_s": round(events / (elapsed / 1e9), 1),
        "hop_us_p50": round(percentile(latency_hops, 50) / 1e3, 2),
        "hop_us_p99": round(percentile(latency_hops, 99) / 1e3, 2),
    }


def run(events: int = 20_000, batch: int = 64) -> dict[str, dict[str, float]]:
    """Figures per clock: ``{"real": {...}, "virtual": {...}}``."""
    real = RealClock().run(_measure(RealClock(), events, batch))
    vclock = VirtualClock()
    virtual = vclock.run(_measure(vclock, events, batch))
    return {"real": real, "virtual": virtual}


def flat(figures: dict[str, dict[str, float]]) -> dict[str, Any]:
    """The ``--json`` object: headline keys from the real clock, then per-clock keys."""
    out: dict[str, Any] = dict(figures["real"])
    for clock, values in figures.items():
        for key, value in values.items():
            out[f"{clock}_{key}"] = value
    return out
