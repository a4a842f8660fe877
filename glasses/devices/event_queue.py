"""Input events waiting for the runtime: put from a callback, awaited with ``get()``."""

from __future__ import annotations

import asyncio
from collections import deque

from glasses.runtime.events import Event


class EventQueue:
    """An unbounded FIFO of input events (taps, swipes): ``put`` from any callback on the
    event loop, ``await get()`` the oldest. Inputs are rare and never dropped."""

    def __init__(self) -> None:
        self._events: deque[Event] = deque()
        # Created per wait, not in __init__: the device may outlive one event loop (tests).
        self._waiter: asyncio.Future[None] | None = None

    def put(self, event: Event) -> None:
        self._events.append(event)
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    async def get(self) -> Event:
        while not self._events:
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        return self._events.popleft()
