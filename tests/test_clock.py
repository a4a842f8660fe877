"""The virtual clock: time jumps to the next wake-up, never waits on the wall clock."""

import asyncio
import time

import pytest

from glasses.runtime import NS_PER_S, RealClock, VirtualClock, VirtualTimeDeadlock


def test_virtual_sleep_jumps_without_waiting() -> None:
    clock = VirtualClock()

    async def main() -> int:
        await clock.sleep(600)  # ten minutes of virtual time
        return clock.now_ns()

    wall_start = time.monotonic()
    assert clock.run(main()) == 600 * NS_PER_S
    assert time.monotonic() - wall_start < 5  # generous: it must not wait 600 s


def test_wakeups_happen_in_time_order() -> None:
    clock = VirtualClock()
    order: list[tuple[str, int]] = []

    async def sleeper(name: str, seconds: float) -> None:
        await clock.sleep(seconds)
        order.append((name, clock.now_ns()))

    async def main() -> None:
        await asyncio.gather(sleeper("c", 3), sleeper("a", 1), sleeper("b", 2))

    clock.run(main())
    assert order == [("a", 1 * NS_PER_S), ("b", 2 * NS_PER_S), ("c", 3 * NS_PER_S)]


def test_sleep_until_is_exact_over_many_steps() -> None:
    clock = VirtualClock()
    period = 33_333_333  # a 30 fps frame period, not a round number of seconds

    async def main() -> list[int]:
        drift = []
        for i in range(1, 3001):
            await clock.sleep_until(i * period)
            drift.append(clock.now_ns() - i * period)
        return drift

    assert set(clock.run(main())) == {0}


def test_wait_for_times_out_on_virtual_time() -> None:
    clock = VirtualClock()

    async def main() -> int:
        never: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(never, timeout=5)
        return clock.now_ns()

    assert clock.run(main()) == 5 * NS_PER_S


def test_run_blocking_charges_its_nominal_cost() -> None:
    clock = VirtualClock()

    async def main() -> tuple[int, int]:
        value = await clock.run_blocking(lambda: 21 * 2, cost_ns=15_000_000)
        return value, clock.now_ns()

    assert clock.run(main()) == (42, 15_000_000)


def test_deadlock_is_an_error_not_a_hang() -> None:
    clock = VirtualClock(deadlock_after_s=0.05)

    async def main() -> None:
        await asyncio.get_running_loop().create_future()  # nothing will ever resolve it

    with pytest.raises(VirtualTimeDeadlock, match="nothing is scheduled"):
        clock.run(main())


def test_real_clock_runs_blocking_work_off_the_loop() -> None:
    import threading

    clock = RealClock()
    loop_thread = threading.get_ident()

    async def main() -> int:
        return await clock.run_blocking(threading.get_ident)

    assert clock.run(main()) != loop_thread


def test_paused_clock_moves_only_by_steps_then_resumes() -> None:
    import threading

    from glasses.runtime import Pace

    pace = Pace(speed=1000.0, paused=True)
    clock = VirtualClock(pace=pace)
    seen: list[int] = []
    reached = {3: threading.Event(), 7: threading.Event()}
    sampled: list[int] = []

    async def ticker() -> None:
        for _ in range(20):
            await clock.sleep(0.1)
            seen.append(clock.now_ns() // 1_000_000)
            if len(seen) in reached:
                reached[len(seen)].set()

    def control() -> None:
        try:
            clock.call_threadsafe(lambda: clock.step(0.35))
            reached[3].wait(10)
            clock.call_threadsafe(lambda: sampled.append(len(seen)))  # 3: time stands still
            clock.call_threadsafe(lambda: clock.step(0.35))
            reached[7].wait(10)
        finally:  # resume whatever happened, so a failure shows as a wrong `seen`, not a hang
            clock.call_threadsafe(lambda: setattr(pace, "paused", False))

    async def main() -> None:
        task = asyncio.get_running_loop().create_task(ticker())
        controller = threading.Thread(target=control)
        controller.start()
        await task
        controller.join()

    clock.run(main())
    assert sampled == [3]
    assert seen == [100 * i for i in range(1, 21)]


def test_pace_says_when_virtual_time_falls_behind() -> None:
    from glasses.runtime.clock import Pace

    pace = Pace(2.0)
    assert pace.keeping_up(now_ns=0) is None  # nothing measured yet
    s = 1_000_000_000
    for k in range(31):  # 3 wall seconds in 0.1 s steps, virtual time at 2× ...
        pace.note(k * s // 10, k * s // 5)
    assert pace.keeping_up(now_ns=3 * s) == pytest.approx(1.0)
    for k in range(31, 81):  # ... then 5 s in which only 2 virtual seconds pass
        pace.note(k * s // 10, 6 * s + (k - 30) * s * 2 // 50)
    assert pace.keeping_up(now_ns=8 * s) == pytest.approx(0.2, abs=0.01)
    # A loop stuck in one piece of work since its last note is behind too.
    assert pace.keeping_up(now_ns=12 * s) == pytest.approx(0.04)  # 0.4 virtual s in 5 s
    pace.track.clear()  # what the clock does on a pause
    assert pace.keeping_up(now_ns=13 * s) is None
