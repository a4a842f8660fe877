"""``LinkConnection``: runs a ``LinkSession`` over a ``Wire`` on the event loop.

One task (``run``) reads the wire, hands the bytes to the session, dispatches the messages it
completes and sends what the session has to send, waking at the session's deadlines on the
runtime clock. Messages go to ``on_message`` if given, else into a queue read with ``recv`` /
``expect`` (the pairing handshake). ``run`` returns why the connection ended: the peer closed
it, the session declared the link dead (heartbeats, retries) or ``close`` was called.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable
from typing import TypeVar, overload

from glasses.devices.link import messages as m
from glasses.devices.link.session import LinkSession, LinkStats, SessionSettings
from glasses.devices.link.transport import Wire
from glasses.runtime.clock import NS_PER_S, Clock

log = logging.getLogger(__name__)

M = TypeVar("M", bound=m.Message)
N = TypeVar("N", bound=m.Message)


class LinkClosed(ConnectionError):
    """The connection ended (``reason``) while something waited on it."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class LinkConnection:
    def __init__(
        self,
        wire: Wire,
        clock: Clock,
        settings: SessionSettings | None = None,
        *,
        name: str = "link",
        on_message: Callable[[m.Message], None] | None = None,
    ) -> None:
        self.wire = wire
        self.clock = clock
        self.name = name
        self.on_message = on_message
        self.session = LinkSession(clock.now_ns, settings, on_settled=self._settled)
        self.closed_reason = ""
        self._inbox: deque[m.Message] = deque()
        self._inbox_waiter: asyncio.Future[None] | None = None
        self._wake = asyncio.Event()
        self._futures: dict[int, asyncio.Future[bool]] = {}
        self._listeners: list[Callable[[int, bool], None]] = []

    @property
    def stats(self) -> LinkStats:
        return self.session.stats

    @property
    def closed(self) -> bool:
        return bool(self.closed_reason)

    # ---------------------------------------------------------------------------- sending

    def send(self, msg: m.Message, *, group: str = "", priority: int | None = None) -> int:
        """Queue ``msg``; its ticket (see ``LinkSession.send``). Raises ``LinkClosed``."""
        if self.closed_reason:
            raise LinkClosed(self.closed_reason)
        ticket = self.session.send(msg, group=group, priority=priority)
        self.flush()
        return ticket

    async def send_acked(self, msg: m.Message, *, group: str = "") -> bool:
        """Send ``msg`` and wait until it is acknowledged (True) or cancelled (False)."""
        ticket = self.send(msg, group=group)
        fut = self._future(ticket)
        return await fut

    def acked(self, ticket: int) -> asyncio.Future[bool]:
        """A future resolved when ``ticket`` settles: True acked, False cancelled or lost."""
        return self._future(ticket)

    def _future(self, ticket: int) -> asyncio.Future[bool]:
        fut = self._futures.get(ticket)
        if fut is None:
            fut = asyncio.get_running_loop().create_future()
            if self.closed_reason:
                fut.set_result(False)
            else:
                self._futures[ticket] = fut
        return fut

    def add_settled_listener(self, listener: Callable[[int, bool], None]) -> None:
        """``listener(ticket, acked)`` for every reliable message settled."""
        self._listeners.append(listener)

    def _settled(self, ticket: int, acked: bool) -> None:
        fut = self._futures.pop(ticket, None)
        if fut is not None and not fut.done():
            fut.set_result(acked)
        for listener in self._listeners:
            listener(ticket, acked)

    def cancel(self, group: str) -> int:
        return self.session.cancel(group)

    def flush(self) -> None:
        """Write what the session has to send now."""
        for data in self.session.poll():
            self.wire.write(data)
        self._wake.set()

    # ---------------------------------------------------------------------------- receiving

    def set_handler(self, handler: Callable[[m.Message], None]) -> None:
        """From now on hand every message to ``handler``, starting with those queued."""
        self.on_message = handler
        while self._inbox:
            self._dispatch(self._inbox.popleft())

    async def recv(self) -> m.Message:
        """The next message (when no ``on_message`` handler takes them). Raises
        ``LinkClosed`` once the connection has ended and the queue is empty."""
        while not self._inbox:
            if self.closed_reason:
                raise LinkClosed(self.closed_reason)
            self._inbox_waiter = asyncio.get_running_loop().create_future()
            try:
                await self._inbox_waiter
            finally:
                self._inbox_waiter = None
        return self._inbox.popleft()

    @overload
    async def expect(self, t1: type[M], /, *, timeout_s: float) -> M: ...

    @overload
    async def expect(self, t1: type[M], t2: type[N], /, *, timeout_s: float) -> M | N: ...

    async def expect(self, *types: type[m.Message], timeout_s: float) -> m.Message:
        """The next message, which must be one of ``types``; ``LinkClosed`` on anything else,
        on the end of the connection or after ``timeout_s`` (clock seconds)."""
        try:
            msg = await asyncio.wait_for(self.recv(), timeout_s)
        except TimeoutError:
            raise LinkClosed(f"no answer within {timeout_s:g} s") from None
        if not isinstance(msg, types):
            names = " or ".join(t.__name__ for t in types)
            raise LinkClosed(f"expected {names}, got {type(msg).__name__}")
        return msg

    def _dispatch(self, msg: m.Message) -> None:
        if self.on_message is not None:
            try:
                self.on_message(msg)
            except Exception:  # a handler bug must not take the link down; say what failed
                log.exception("%s: handling %s failed", self.name, type(msg).__name__)
            return
        self._inbox.append(msg)
        if self._inbox_waiter is not None and not self._inbox_waiter.done():
            self._inbox_waiter.set_result(None)

    # ---------------------------------------------------------------------------- running

    async def run(self) -> str:
        """Drive the session until the connection ends; returns why."""
        reader = asyncio.get_running_loop().create_task(self._read_loop(), name=f"{self.name}-read")
        loop = asyncio.get_running_loop()
        try:
            while not self.closed_reason:
                self.flush()
                if self.session.dead_reason:
                    self._end(f"link lost: {self.session.dead_reason}")
                    break
                self._wake.clear()
                deadline = self.session.next_deadline_ns()
                handle = None
                if deadline is not None:
                    delay = max(0, deadline - self.clock.now_ns()) / NS_PER_S
                    handle = loop.call_later(delay, self._wake.set)
                try:
                    await self._wake.wait()
                finally:
                    if handle is not None:
                        handle.cancel()
        finally:
            reader.cancel()
            self._end(self.closed_reason or "cancelled")
        return self.closed_reason

    async def _read_loop(self) -> None:
        while True:
            data = await self.wire.read()
            if not data:
                self._end("closed by the peer")
                return
            for msg in self.session.receive(data):
                if isinstance(msg, m.Bye):
                    self._end(f"closed by the peer: {msg.reason}" if msg.reason else "bye")
                    return
                self._dispatch(msg)
            self.flush()

    def close(self, reason: str = "closed", *, bye: bool = True) -> None:
        """End the connection (telling the peer with ``Bye`` unless ``bye`` is False)."""
        if self.closed_reason:
            return
        if bye:
            self.session.send(m.Bye(reason[:100]))
            for data in self.session.poll():
                self.wire.write(data)
        self._end(reason)

    def _end(self, reason: str) -> None:
        if self.closed_reason:
            return
        self.closed_reason = reason
        self.session.close()
        self.wire.close()
        for fut in self._futures.values():
            if not fut.done():
                fut.set_result(False)
        self._futures.clear()
        if self._inbox_waiter is not None and not self._inbox_waiter.done():
            self._inbox_waiter.set_result(None)
        self._wake.set()
