"""A stage's inbox: bounded by backpressure, with latest-wins slots for camera frames and a lane
for system events.

Delivery order on ``get()``: system events first (they skip queues), then the FIFO of control
and audio events, then the latest-wins slots. Nothing in the FIFO is ever discarded:

* ``put`` never blocks and never drops. When the FIFO already holds ``maxsize`` events it takes
  the new one anyway and reports the overflow through ``on_overflow`` (the runtime turns that
  into a ``QueueOverflow`` event and a metric), once each time the FIFO runs over;
* the bound is kept by the producers: a source or stage that feeds this inbox awaits
  ``wait_room()`` (backpressure) before it produces more, so the timeline lags instead of audio
  being lost. A producer that does not wait can push the FIFO past ``maxsize``; it stays
  lossless and ``stats.high_water`` shows how far;
* a latest-wins slot keeps only the newest event of its type while the stage is busy and counts
  every replaced event in ``dropped``. With one slot per type and one consumer, a stage has at
  most one frame in flight and one waiting.

``close()`` (the stage gave up for good) wakes every producer waiting for room and turns later
events away, counted in ``stats.refused``: nothing waits on a consumer that will never come.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from glasses.runtime.events import Event, EventKind


@dataclass
class InboxStats:
    received: int = 0
    dropped: int = 0  # replaced in a latest-wins slot (expected under load)
    overflowed: int = 0  # times the FIFO ran over ``maxsize`` (reported as QueueOverflow)
    high_water: int = 0
    refused: int = 0  # put after ``close()``: the stage had given up


OverflowHandler = Callable[["Inbox", Event], None]


class Inbox:
    def __init__(
        self,
        name: str,
        *,
        maxsize: int = 64,
        latest_wins: tuple[type[Event], ...] = (),
        on_overflow: OverflowHandler | None = None,
    ) -> None:
        if maxsize < 1:
            raise ValueError(f"inbox {name!r}: maxsize must be >= 1, got {maxsize}")
        self.name = name
        self.maxsize = maxsize
        self.latest_wins = latest_wins
        self.on_overflow = on_overflow
        self.stats = InboxStats()
        self.closed = False
        self._system: deque[Event] = deque()
        self._fifo: deque[Event] = deque()
        self._slots: dict[type[Event], Event] = {}
        self._waiter: asyncio.Future[None] | None = None
        self._room_waiters: list[asyncio.Future[None]] = []
        self._over = False  # the FIFO ran over maxsize and has not drained below it since

    def __len__(self) -> int:
        return len(self._system) + len(self._fifo) + len(self._slots)

    @property
    def full(self) -> bool:
        """True while the FIFO holds ``maxsize`` events or more (producers should wait)."""
        return not self.closed and len(self._fifo) >= self.maxsize

    def put(self, event: Event) -> None:
        """Never blocks and never loses a FIFO event (see the module docstring)."""
        if self.closed:
            self.stats.refused += 1
            return
        self.stats.received += 1
        if event.kind is EventKind.SYSTEM:
            self._system.append(event)
        elif isinstance(event, self.latest_wins):
            key = type(event)
            if key in self._slots:
                self.stats.dropped += 1
            self._slots[key] = event
        else:
            self._fifo.append(event)
            if len(self._fifo) > self.maxsize and not self._over:
                self._over = True
                self.stats.overflowed += 1
                if self.on_overflow is not None:
                    self.on_overflow(self, event)
        self.stats.high_water = max(self.stats.high_water, len(self))
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    def get_nowait(self) -> Event | None:
        if self._system:
            return self._system.popleft()
        if self._fifo:
            event = self._fifo.popleft()
            if len(self._fifo) < self.maxsize:
                self._over = False
                self._wake_producers()
            return event
        if self._slots:
            key = next(iter(self._slots))
            return self._slots.pop(key)
        return None

    async def get(self) -> Event:
        while True:
            event = self.get_nowait()
            if event is not None:
                return event
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None

    async def wait_room(self) -> None:
        """Return once the FIFO holds fewer than ``maxsize`` events (at once if it does), or
        the inbox is closed. Producers await this before producing more: backpressure."""
        while self.full:
            waiter = asyncio.get_running_loop().create_future()
            self._room_waiters.append(waiter)
            try:
                await waiter
            finally:
                if waiter in self._room_waiters:
                    self._room_waiters.remove(waiter)

    def close(self) -> None:
        """The consumer is gone for good: wake waiting producers, refuse later events."""
        self.closed = True
        self._wake_producers()

    def _wake_producers(self) -> None:
        waiters, self._room_waiters = self._room_waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)
