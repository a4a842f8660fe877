"""``glasses bench runtime``: events per second through a 5-stage pipeline, the cost of a hop,
and the cost of the microphone's resampler.

The pipeline is the real runtime (bus, inboxes, supervised stage loops); the stages only pass
each event on, so what is measured is the runtime's own overhead. It runs on both clocks. Hop
cost is wall-clock time on purpose (``time.perf_counter_ns``): a benchmark measures the machine,
whereas the runtime itself only ever reads its clock.

The resampler is the real ``StreamingResampler`` every microphone goes through, fed what a USB
headset gives: 48 kHz stereo int16 in 20 ms chunks, to 16 kHz mono int16. Its cost is CPU time
per second of audio (the best of a few runs: the machine's noise only ever adds), and its
hold-back the audio it keeps inside at each chunk (mean and max, ms). Its anti-aliasing: a
9 kHz tone at 44.1 kHz, above the 8 kHz the output can hold, converted to 16 kHz; what is left
of it (the alias it would fold into, relative to the tone, dB).
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np

from glasses.devices.resample import StreamingResampler
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


RESAMPLE_RATE = 48_000  # Hz: a USB headset's capture rate
RESAMPLE_CHANNELS = 2
RESAMPLE_CHUNK_S = 0.020


def resampler(
    seconds: float = 10.0,
    runs: int = 10,
    make: Callable[[int], StreamingResampler] = StreamingResampler,
) -> dict[str, float]:
    """The resampler's cost and hold-back, 48 kHz stereo → 16 kHz mono (module docstring).

    ``make(in_rate)`` builds the resampler measured (a stand-in, to compare another one).
    """
    rng = np.random.default_rng(0)
    pcm = (rng.standard_normal((round(RESAMPLE_RATE * seconds), RESAMPLE_CHANNELS)) * 3000).astype(
        np.int16
    )
    step = round(RESAMPLE_RATE * RESAMPLE_CHUNK_S)
    chunks = [pcm[i : i + step] for i in range(0, len(pcm), step)]
    best_ns = None
    held_ms: list[float] = []
    for run in range(max(1, runs)):
        r = make(RESAMPLE_RATE)
        fed = emitted = 0
        start = time.perf_counter_ns()
        for chunk in chunks:
            emitted += len(r.process(chunk))
            fed += len(chunk)
            if run == 0:  # outside the timing would be cleaner; it costs < 1 % of a chunk
                held_ms.append(1000 * (fed / RESAMPLE_RATE - emitted / r.out_rate))
        r.flush()
        elapsed = time.perf_counter_ns() - start
        best_ns = elapsed if best_ns is None else min(best_ns, elapsed)
    assert best_ns is not None
    return {
        "ms_per_s": round(best_ns / 1e6 / seconds, 3),
        "hold_back_ms_mean": round(float(np.mean(held_ms)), 1),
        "hold_back_ms_max": round(float(np.max(held_ms)), 1),
        "alias_db": _alias_db(make),
    }


def _alias_db(make: Callable[[int], StreamingResampler]) -> float:
    """Level (dB) of a 9 kHz tone at 44.1 kHz after conversion to 16 kHz, relative to the
    tone; the first and last 0.1 s (the filter's edges) left out."""
    rate, amplitude = 44_100, 0.5
    tone = amplitude * np.sin(2 * np.pi * 9_000 * np.arange(rate) / rate)
    r = make(rate)
    out = np.concatenate([r.process_float(tone), r.flush_float()])[1600:-1600]
    rms = float(np.sqrt(np.mean(out**2)))
    return round(float(20 * np.log10(max(rms, 1e-20) / (amplitude / np.sqrt(2)))), 1)


def run(events: int = 20_000, batch: int = 64) -> dict[str, dict[str, float]]:
    """Figures per clock, then the resampler's:
    ``{"real": {...}, "virtual": {...}, "resample": {...}}``."""
    real = RealClock().run(_measure(RealClock(), events, batch))
    vclock = VirtualClock()
    virtual = vclock.run(_measure(vclock, events, batch))
    return {"real": real, "virtual": virtual, "resample": resampler()}


def flat(figures: dict[str, dict[str, float]]) -> dict[str, Any]:
    """The ``--json`` object: headline keys from the real clock, then per-part keys
    (``real_…``, ``virtual_…``, ``resample_ms_per_s``, ``resample_hold_back_ms_…``,
    ``resample_alias_db``)."""
    out: dict[str, Any] = dict(figures["real"])
    for part, values in figures.items():
        for key, value in values.items():
            out[f"{part}_{key}"] = value
    return out
