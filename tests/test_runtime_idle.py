"""``Runtime.idle()``: a runtime with nothing queued or in hand says so, so a caller can wait for
quiescence instead of sleeping a guessed time."""

from __future__ import annotations

from typing import ClassVar

from glasses.runtime import Event, Runtime, Stage, StageContext, Tap, VirtualClock


class Slow(Stage):
    """Takes 100 ms per tap; a tap counted 3 crashes it."""

    name: ClassVar[str] = "slow"
    accepts: ClassVar[tuple[type[Event], ...]] = (Tap,)

    def __init__(self) -> None:
        self.done: list[int] = []

    async def process(self, event: Event, ctx: StageContext) -> None:
        assert isinstance(event, Tap)
        await ctx.clock.sleep(0.1)
        if event.count == 3:
            raise RuntimeError("bad tap")
        self.done.append(event.count)


def _slow_runtime() -> tuple[VirtualClock, Runtime, Slow]:
    clock = VirtualClock()
    runtime = Runtime(clock)
    stage = Slow()
    runtime.add_stage(stage)
    return clock, runtime, stage


def test_idle_until_an_event_arrives_then_busy_until_it_is_done() -> None:
    clock, runtime, stage = _slow_runtime()
    seen: list[tuple[str, bool]] = []

    async def main() -> None:
        await runtime.start()
        seen.append(("started", runtime.idle()))
        runtime.publish(Tap(t_ns=clock.now_ns(), count=1))
        runtime.publish(Tap(t_ns=clock.now_ns(), count=2))
        seen.append(("queued", runtime.idle()))
        await clock.sleep(0.05)
        seen.append(("first in hand", runtime.idle()))
        await clock.sleep(0.1)
        seen.append(("second in hand", runtime.idle()))
        while not runtime.idle():  # what a caller does instead of sleeping a guess
            await clock.sleep(0.01)
        seen.append(("done", runtime.idle()))
        await runtime.stop()

    clock.run(main())
    assert seen == [
        ("started", True),
        ("queued", False),
        ("first in hand", False),
        ("second in hand", False),
        ("done", True),
    ]
    assert stage.done == [1, 2]
    assert clock.now_ns() == 200_000_000  # idle as soon as the second tap was done


def test_a_crash_counts_as_done_and_a_stage_that_gave_up_is_not_waited_for() -> None:
    clock, runtime, stage = _slow_runtime()
    seen: list[tuple[str, bool]] = []

    async def main() -> None:
        await runtime.start()
        runtime.publish(Tap(t_ns=clock.now_ns(), count=3))  # crashes; the stage restarts
        runtime.publish(Tap(t_ns=clock.now_ns(), count=1))
        await clock.sleep(1.0)
        seen.append(("after a crash", runtime.idle()))
        for _ in range(20):  # crashes on every one: gives up with taps still queued
            runtime.publish(Tap(t_ns=clock.now_ns(), count=3))
        await clock.sleep(0.5)
        seen.append(("crashing", runtime.idle()))
        await clock.sleep(20.0)
        seen.append(("gave up", runtime.idle()))
        await runtime.stop()

    clock.run(main())
    assert stage.done == [1]
    assert "slow" in runtime.supervisor.failed and len(runtime.inboxes["slow"]) > 0
    assert seen == [("after a crash", True), ("crashing", False), ("gave up", True)]
