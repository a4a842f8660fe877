"""The stage harness: ``drive`` on virtual time; ``ComputeClock`` charges real compute."""

from __future__ import annotations

import time
from typing import ClassVar

import numpy as np
import pytest

from glasses.runtime import NS_PER_S, AudioChunk, Event, Intent, StageCrashed, Tap, VirtualClock
from glasses.runtime.stage import Stage, StageContext
from glasses.runtime.testing import ComputeClock, StageFailed, at_chunk_end, drive

MS = 1_000_000


class Echo(Stage):
    """Answers each tap with an intent after ``cost_ms`` of blocking work (really spent when
    ``spin``, else only charged)."""

    name: ClassVar[str] = "echo"
    accepts: ClassVar[tuple[type[Event], ...]] = (Tap,)

    def __init__(self, cost_ms: float = 10.0, *, spin: bool = False) -> None:
        self.cost_ms = cost_ms
        self.spin = spin

    async def process(self, event: Event, ctx: StageContext) -> None:
        def work() -> int:
            if self.spin:
                end = time.perf_counter_ns() + int(self.cost_ms * MS)
                while time.perf_counter_ns() < end:
                    pass
            return 1

        await ctx.clock.run_blocking(work, cost_ns=int(self.cost_ms * MS))
        turn = ctx.new_turn(event.t_ns, "Tap")
        ctx.emit(Intent(t_ns=ctx.now_ns(), source=self.name, turn_id=turn, name="read"))


class Broken(Stage):
    name: ClassVar[str] = "broken"
    accepts: ClassVar[tuple[type[Event], ...]] = (Tap,)

    async def process(self, event: Event, ctx: StageContext) -> None:
        raise ValueError("no")


def test_drive_publishes_each_event_at_its_time_and_returns_what_was_emitted() -> None:
    taps = [Tap(t_ns=100 * MS), Tap(t_ns=2 * NS_PER_S), Tap(t_ns=9 * NS_PER_S)]
    driven = drive([Echo(10.0)], taps, until_ns=5 * NS_PER_S)
    intents = driven.of(Intent)
    # The virtual clock charges the nominal 10 ms; the tap after ``until`` is never published.
    assert [i.t_ns for i in intents] == [110 * MS, 2 * NS_PER_S + 10 * MS]
    assert [e.t_ns for e in driven.of(Tap)] == [100 * MS, 2 * NS_PER_S]
    assert [driven.turn_start_ns(i.turn_id) for i in intents] == [100 * MS, 2 * NS_PER_S]
    assert driven.turn_start_ns(None) is None
    assert driven.runtime.clock.now_ns() >= 5 * NS_PER_S
    assert driven.runtime.stage_stats["echo"].processed == 2
    # ``keep`` filters what is returned.
    only = drive([Echo()], taps[:1], until_ns=NS_PER_S, keep=lambda e: isinstance(e, Intent))
    assert [type(e) for e in only.events] == [Intent]


def test_drive_keeps_as_many_turn_timelines_as_asked() -> None:
    """The runtime keeps the newest ``max_turns`` turns; a harness that attributes events by
    their turn's start must ask for enough (the speech bench's sessions open thousands)."""
    taps = [Tap(t_ns=(i + 1) * 100 * MS) for i in range(5)]
    few = drive([Echo()], taps, until_ns=NS_PER_S, max_turns=3)
    assert few.runtime.timelines.dropped_turns == 2
    first, *_, last = few.of(Intent)
    assert few.turn_start_ns(first.turn_id) is None  # forgotten
    assert few.turn_start_ns(last.turn_id) == 500 * MS
    enough = drive([Echo()], taps, until_ns=NS_PER_S, max_turns=5)
    assert enough.runtime.timelines.dropped_turns == 0
    assert [enough.turn_start_ns(i.turn_id) for i in enough.of(Intent)] == [t.t_ns for t in taps]


def test_events_out_of_time_order_are_refused() -> None:
    with pytest.raises(ValueError, match="time order"):
        drive([Echo()], [Tap(t_ns=2 * MS), Tap(t_ns=MS)], until_ns=NS_PER_S)


def test_chunks_are_published_when_their_last_sample_is_captured() -> None:
    clock = VirtualClock()
    published: list[tuple[int, int]] = []  # (clock time, event time)
    chunks = [AudioChunk(t_ns=i * 32 * MS, samples=np.zeros(512, np.int16)) for i in range(3)]
    drive(
        [Echo()],
        [*chunks, Tap(t_ns=200 * MS)],
        until_ns=NS_PER_S,
        clock=clock,
        observers=[lambda e: published.append((clock.now_ns(), e.t_ns))],
        at=at_chunk_end,
    )
    # 512 samples at 16 kHz are 32 ms: each chunk goes out as the next one starts; the tap
    # (not a chunk) at its own time.
    assert published[:4] == [
        (32 * MS, 0),
        (64 * MS, 32 * MS),
        (96 * MS, 64 * MS),
        (200 * MS, 200 * MS),
    ]
    # The order rule applies to the publish times: a chunk published after the tap that
    # follows it is refused.
    late = AudioChunk(t_ns=190 * MS, samples=np.zeros(512, np.int16))  # out at 222 ms
    with pytest.raises(ValueError, match="time order"):
        drive([Echo()], [late, Tap(t_ns=200 * MS)], until_ns=NS_PER_S, at=at_chunk_end)


def test_a_crashing_stage_is_reported_not_hidden() -> None:
    driven = drive([Broken()], [Tap(t_ns=MS)], until_ns=NS_PER_S)
    assert driven.of(StageCrashed)
    with pytest.raises(StageFailed, match="stage broken crashed"):
        driven.raise_on_crash()
    drive([Echo()], [Tap(t_ns=MS)], until_ns=NS_PER_S).raise_on_crash()  # nothing to raise


def test_the_compute_clock_charges_real_compute_and_skips_idle_time() -> None:
    clock = ComputeClock()
    # Nominal cost 0 ms, real cost 5 ms: the intent comes at least 5 ms after its tap.
    driven = drive(
        [Echo(5.0, spin=True)],
        [Tap(t_ns=NS_PER_S), Tap(t_ns=60 * NS_PER_S)],
        until_ns=3600 * NS_PER_S,
        clock=clock,
    )
    taps, intents = driven.of(Tap), driven.of(Intent)
    assert len(intents) == 2
    for tap, intent in zip(taps, intents, strict=True):
        assert intent.t_ns - tap.t_ns >= 5 * MS
    # An hour of virtual time passed without an hour of waiting, and time never went back.
    assert clock.now_ns() >= 3600 * NS_PER_S
    assert intents[1].t_ns - intents[0].t_ns == pytest.approx(59 * NS_PER_S, abs=NS_PER_S // 2)
    walls = clock.wall_ms("echo")
    assert len(walls) == 2 and all(w >= 5.0 for w in walls)
    assert clock.wall_ms("nobody") == []


def test_the_virtual_clock_still_charges_nominal_costs() -> None:
    clock = VirtualClock()
    driven = drive([Echo(5.0, spin=True)], [Tap(t_ns=NS_PER_S)], NS_PER_S * 2, clock=clock)
    assert driven.of(Intent)[0].t_ns == NS_PER_S + 5 * MS  # exactly: real time plays no part
