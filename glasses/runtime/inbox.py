"""A stage's inbox: bounded, with latest-wins slots for camera frames and a lane for system events.

Delivery order on ``get()``: system events first (they skip queues), then the FIFO of control
and audio events, then the latest-wins slots. Nothing is dropped silently:

* a full FIFO discards its oldest event and reports it through ``on_overflow`` (the runtime turns
  that into a ``QueueOverflow`` event and a metric);
* a latest-wins slot keeps only the newest event of its type while the stage is busy and counts
  every replaced event in ``dropped``. With one slot per type and one consumer, a stage has at
  most one frame in flight and one waiting.
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
    overflowed: int = 0  # discarded from a full FIFO (reported as QueueOverflow)
    high_water: int = 0


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
        self._system: deque[Event] = deque()
        self._fifo: deque[Event] = deque()
        self._slots: dict[type[Event], Event] = {}
        self._waiter: asyncio.Future[None] | None = None

    def __len__(self) -> int:
        return len(self._system) + len(self._fifo) + len(self._slots)

    def put(self, event: Event) -> None:
        """Never blocks: producers (camera, microphone) must not stall on a slow consumer."""
        self.stats.received += 1
        if event.kind is EventKind.SYSTEM:
            self._system.append(event)
        elif isinstance(event, self.latest_wins):
            key = type(event)
            if key in self._slots:
                self.stats.dropped += 1
            self._slots[key] = event
        else:
            if len(self._fifo) >= self.maxsize:
                lost = self._fifo.popleft()
                self.stats.overflowed += 1
                if self.on_overflow is not None:
                    self.on_overflow(self, lost)
            self._fifo.append(event)
        self.stats.high_water = max(self.stats.high_water, len(self))
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    def get_nowait(self) -> Event | None:
        if self._system:
            return self._system.popleft()
        if self._fifo:
            return self._fifo.popleft()
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
