"""The runtime clock: the only source of time for the runtime.

``RealClock`` follows the monotonic clock. ``VirtualClock`` runs its coroutine on an asyncio loop
whose time is virtual: whenever every task is waiting, time jumps straight to the next scheduled
wake-up, so a scenario takes only the time its work takes (a ten-minute soak with every model:
22 s, ``glasses bench soak``) and the same input gives the same run. ``asyncio.sleep``,
``asyncio.wait_for`` and ``loop.call_later`` all follow virtual time on that loop, so runtime code
is the same under both clocks: it asks ``clock.now_ns()`` and awaits ``clock.sleep()``.

Blocking work (model inference) goes through ``clock.run_blocking(fn, cost_ns=...)``: on the real
clock it runs in a worker thread and takes as long as it takes; on the virtual clock it runs inline
(deterministic order) and then charges its nominal ``cost_ns`` of virtual time, so queueing and
flow limiting behave as they would on a device of that speed.
"""

from __future__ import annotations

import asyncio
import selectors
import threading
import time
from collections import deque
from collections.abc import Callable, Coroutine
from typing import Any, Protocol, TypeVar

T = TypeVar("T")

NS_PER_S = 1_000_000_000


class Clock(Protocol):
    """What the runtime needs from a clock. Times are integer nanoseconds."""

    def now_ns(self) -> int: ...

    async def sleep(self, seconds: float) -> None: ...

    async def sleep_until(self, t_ns: int) -> None: ...

    async def run_blocking(self, fn: Callable[[], T], *, cost_ns: int = 0) -> T: ...


class RealClock:
    """Monotonic time; blocking work runs in the default executor (never on the loop)."""

    def now_ns(self) -> int:
        return time.monotonic_ns()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))

    async def sleep_until(self, t_ns: int) -> None:
        await self.sleep((t_ns - self.now_ns()) / NS_PER_S)

    async def run_blocking(self, fn: Callable[[], T], *, cost_ns: int = 0) -> T:
        # ``cost_ns`` is only a model of the cost for the virtual clock; here the cost is real.
        return await asyncio.get_running_loop().run_in_executor(None, fn)

    def run(self, main: Coroutine[Any, Any, T]) -> T:
        return asyncio.run(main)


class VirtualTimeDeadlock(RuntimeError):
    """Every task waits on something no timer or I/O will ever deliver."""


class _VirtualSelector(selectors.BaseSelector):
    """Wraps the loop's selector: never blocks on a timeout, advances virtual time instead.

    asyncio calls ``select(timeout)`` with the delay until its earliest timer when nothing is
    ready. Real I/O (the loop's self-pipe, sockets) is still polled without waiting; if none is
    ready, virtual time moves forward by exactly that delay.
    """

    def __init__(self, inner: selectors.BaseSelector, clock: VirtualClock) -> None:
        self._inner = inner
        self._clock = clock

    def register(self, fileobj: Any, events: int, data: Any = None) -> selectors.SelectorKey:
        return self._inner.register(fileobj, events, data)

    def unregister(self, fileobj: Any) -> selectors.SelectorKey:
        return self._inner.unregister(fileobj)

    def modify(self, fileobj: Any, events: int, data: Any = None) -> selectors.SelectorKey:
        return self._inner.modify(fileobj, events, data)

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        ready = self._inner.select(0)
        if ready or timeout == 0:
            return ready
        if self._clock.pace is not None:
            return self._paced(self._clock.pace, timeout)
        if timeout is None:
            # No timer is pending. Only real I/O (a worker thread finishing, a socket) can wake
            # the loop now; give it a bounded real wait rather than hanging a test run forever.
            ready = self._inner.select(self._clock.deadlock_after_s)
            if not ready:
                raise VirtualTimeDeadlock(
                    f"virtual clock stuck at {self._clock.now_ns() / NS_PER_S:.3f} s: every task "
                    "is waiting and nothing is scheduled"
                )
            return ready
        self._clock._advance(round(timeout * NS_PER_S))
        return []

    def _paced(self, pace: Pace, timeout: float | None) -> list[tuple[selectors.SelectorKey, int]]:
        """Interactive runs: virtual time follows the wall clock, or stands still when paused.

        Waiting happens on the real selector, so a control call from another thread
        (``VirtualClock.call_threadsafe``) wakes the loop at once.
        """
        clock = self._clock
        timeout_ns = None if timeout is None else round(timeout * NS_PER_S)
        if pace.paused:
            pace.track.clear()  # a pause is no lag: measure afresh after it
            target = pace.step_target_ns
            if target is None or clock.now_ns() >= target or timeout_ns is None:
                pace.step_target_ns = None
                if pace.served == pace.requested:  # no step asked for is still on its way
                    pace.settled.set()
                return self._inner.select(None)  # until a control call or I/O
            clock._advance(min(timeout_ns, target - clock.now_ns()))
            return []
        if timeout_ns is None:
            pace.track.clear()  # idle is no lag either
            return self._inner.select(None)  # idle until someone injects an event
        start = time.monotonic_ns()  # pacing is, by definition, tied to the wall clock
        pace.note(start, clock.now_ns())
        ready = self._inner.select(timeout_ns / NS_PER_S / pace.speed)
        waited = round((time.monotonic_ns() - start) * pace.speed)
        clock._advance(min(timeout_ns, waited) if ready else timeout_ns)
        return ready

    def close(self) -> None:
        self._inner.close()

    def get_key(self, fileobj: Any) -> selectors.SelectorKey:
        return self._inner.get_key(fileobj)

    def get_map(self) -> Any:
        return self._inner.get_map()


class _VirtualLoop(asyncio.SelectorEventLoop):
    def __init__(self, clock: VirtualClock) -> None:
        super().__init__(selector=_VirtualSelector(selectors.DefaultSelector(), clock))
        self._virtual_clock = clock

    def time(self) -> float:
        return self._virtual_clock.now_ns() / NS_PER_S


_TRACK_EVERY_NS = 100_000_000


class Pace:
    """Runs a ``VirtualClock`` at ``speed`` × wall-clock speed, for interactive use (the TUI).

    ``paused`` stops virtual time; ``step(seconds)`` while paused lets exactly that much virtual
    time pass (as fast as the loop can go), then stands still again. Change these only through
    ``VirtualClock.call_threadsafe`` so the loop wakes up and sees the change.
    """

    def __init__(self, speed: float = 1.0, *, paused: bool = False) -> None:
        if not speed > 0:
            raise ValueError(f"pace speed must be > 0, got {speed}")
        self.speed = speed
        self.paused = paused
        self.step_target_ns: int | None = None
        # Set by the loop when, paused, it has nothing left to do and every step asked for has
        # been taken; ``request_step`` clears it, so a caller can wait for its step to finish.
        self.settled = threading.Event()
        self.requested = 0  # steps asked for (any thread)
        self.served = 0  # steps the loop has taken up
        # (wall ns, virtual ns) while running unpaused, one every ``_TRACK_EVERY_NS`` at most:
        # whether virtual time keeps up with the wall clock (``keeping_up``).
        self.track: deque[tuple[int, int]] = deque(maxlen=256)

    def note(self, wall_ns: int, virtual_ns: int) -> None:
        """Called by the clock's loop as it runs unpaused: the two clocks now."""
        if not self.track or wall_ns - self.track[-1][0] >= _TRACK_EVERY_NS:
            self.track.append((wall_ns, virtual_ns))

    def keeping_up(self, window_s: float = 5.0, *, now_ns: int | None = None) -> float | None:
        """How fast virtual time went over the last ``window_s`` wall seconds of unpaused
        running, as a share of ``speed``: 1.0 keeps pace, 0.43 means the loop had work for
        longer than the time it simulated (a loaded machine) and falls behind. None until a
        second has been measured (or while paused). ``now_ns``: the wall clock now
        (``time.monotonic_ns()``); a loop stuck in one long piece of work since its last note
        counts as behind. Safe to call from any thread."""
        track = list(self.track)
        if not track:
            return None
        now = time.monotonic_ns() if now_ns is None else now_ns
        if now - track[-1][0] > 5 * _TRACK_EVERY_NS:  # no note for a while: the loop is busy
            track.append((now, track[-1][1]))
        newest = track[-1]
        since = newest[0] - round(window_s * NS_PER_S)
        oldest = next((t for t in track if t[0] >= since), track[0])
        wall = newest[0] - oldest[0]
        if wall < NS_PER_S:
            return None
        return (newest[1] - oldest[1]) / (wall * self.speed)


class VirtualClock:
    """Deterministic virtual time. Use ``clock.run(main())`` to run a coroutine under it.

    Invariant: time only moves when every task on the loop is waiting; it then jumps to the
    earliest wake-up. Nothing under this clock waits on wall-clock time.
    """

    def __init__(
        self, start_ns: int = 0, *, deadlock_after_s: float = 30.0, pace: Pace | None = None
    ) -> None:
        self._now_ns = start_ns
        self.deadlock_after_s = deadlock_after_s
        self.pace = pace
        self._loop: asyncio.AbstractEventLoop | None = None

    def now_ns(self) -> int:
        return self._now_ns

    def _advance(self, delta_ns: int) -> None:
        if delta_ns > 0:
            self._now_ns += delta_ns

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))

    async def sleep_until(self, t_ns: int) -> None:
        delta = t_ns - self._now_ns
        if delta > 0:
            # Sleep on an exact integer target so repeated sleeps never drift by rounding.
            loop = asyncio.get_running_loop()
            fut: asyncio.Future[None] = loop.create_future()
            handle = loop.call_at(t_ns / NS_PER_S, _resolve, fut)
            try:
                await fut
            finally:
                handle.cancel()
            if self._now_ns < t_ns:  # float rounding of call_at's target; snap to the target
                self._now_ns = t_ns
        else:
            await asyncio.sleep(0)

    async def run_blocking(self, fn: Callable[[], T], *, cost_ns: int = 0) -> T:
        result = fn()
        await self.sleep_until(self._now_ns + max(0, cost_ns))
        return result

    def run(self, main: Coroutine[Any, Any, T]) -> T:
        """Run ``main`` to completion on a fresh virtual-time loop and close the loop."""
        loop = _VirtualLoop(self)
        self._loop = loop
        try:
            return loop.run_until_complete(main)
        finally:
            _cancel_all(loop)
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()
            self._loop = None

    def step(self, seconds: float) -> None:
        """While paused, let ``seconds`` of virtual time pass. Call on the clock's loop."""
        if self.pace is None:
            raise RuntimeError("step() needs a paced clock: VirtualClock(pace=Pace(...))")
        self.pace.step_target_ns = self._now_ns + round(seconds * NS_PER_S)

    def request_step(self, seconds: float) -> bool:
        """From any thread: ask for a step; ``pace.settled`` is set once it has been taken."""
        pace = self.pace
        if pace is None:
            raise RuntimeError("request_step() needs a paced clock")
        pace.settled.clear()
        pace.requested += 1
        ticket = pace.requested

        def take() -> None:
            self.step(seconds)
            pace.served = ticket

        return self.call_threadsafe(take)

    def call_threadsafe(self, fn: Callable[[], object]) -> bool:
        """Run ``fn`` on this clock's loop from another thread (a UI); False if not running."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return False
        loop.call_soon_threadsafe(fn)
        return True


def _resolve(fut: asyncio.Future[None]) -> None:
    if not fut.done():
        fut.set_result(None)


def _cancel_all(loop: asyncio.AbstractEventLoop) -> None:
    tasks = [t for t in asyncio.all_tasks(loop) if not t.done()]
    for t in tasks:
        t.cancel()
    if tasks:
        loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
