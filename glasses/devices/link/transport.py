"""Byte transports under a link session, and the link model that shapes them.

A ``Wire`` carries bytes both ways: ``write`` never blocks (the session's window bounds what is
outstanding), ``read`` waits for the next bytes and returns ``b""`` once the wire is closed.
Implementations: ``StreamWire`` (an asyncio TCP or Unix socket), ``MemoryWire`` (an in-memory
pair, for tests) and ``ShapedWire``, which applies a ``LinkModel`` to what another wire sends:
bandwidth, latency, jitter, loss, reordering and corruption, on the event loop's clock (virtual
time under the harness), with its own seeded random generator so a run is reproducible.

``link://HOST:PORT`` names a TCP address, ``link+unix:///PATH`` (or ``link:unix:PATH``) a Unix
socket: ``parse_link_uri`` turns either into a ``LinkAddress``.
"""

from __future__ import annotations

import asyncio
import random
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from glasses.runtime.clock import NS_PER_S

DEFAULT_PORT = 7700


class Wire(Protocol):
    async def read(self) -> bytes:
        """The next bytes received; ``b""`` once closed (by either side)."""
        ...

    def write(self, data: bytes) -> None: ...

    def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class LinkAddress:
    """Where a link is served: TCP ``host``:``port``, or a Unix socket ``path``."""

    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    path: str | None = None

    def __str__(self) -> str:
        return f"link+unix://{self.path}" if self.path else f"link://{self.host}:{self.port}"


def parse_link_uri(uri: str) -> LinkAddress:
    """``link://HOST:PORT`` (port default 7700), ``link+unix:///PATH`` or ``link:unix:PATH``.

    Raises ValueError with the forms accepted."""
    text = uri.strip()
    forms = "link://HOST:PORT or link+unix:///PATH"
    if text.startswith("link+unix://"):
        path = text[len("link+unix://") :]
        if not path:
            raise ValueError(f"no socket path in {uri!r}; write {forms}")
        return LinkAddress(path=path)
    if text.startswith("link:unix:"):
        path = text[len("link:unix:") :]
        if not path:
            raise ValueError(f"no socket path in {uri!r}; write {forms}")
        return LinkAddress(path=path)
    if not text.startswith("link://"):
        raise ValueError(f"not a link URI: {uri!r}; write {forms}")
    rest = text[len("link://") :].rstrip("/")
    host, sep, port = rest.rpartition(":")
    if not sep:
        host, port = rest, str(DEFAULT_PORT)
    host = host.strip("[]")  # [::1]:7700
    if not host:
        raise ValueError(f"no host in {uri!r}; write {forms}")
    if not port.isdigit() or not 0 <= int(port) < 65536:  # 0: any free port, to listen on
        raise ValueError(f"bad port {port!r} in {uri!r}; write {forms}")
    return LinkAddress(host=host, port=int(port))


class StreamWire:
    """A wire over an asyncio stream pair (TCP or Unix socket)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer

    async def read(self) -> bytes:
        try:
            return await self._reader.read(4096)
        except (ConnectionError, OSError):
            return b""

    def write(self, data: bytes) -> None:
        if not self._writer.is_closing():
            self._writer.write(data)

    def close(self) -> None:
        if not self._writer.is_closing():
            self._writer.close()


async def open_wire(address: LinkAddress, *, timeout_s: float = 5.0) -> StreamWire:
    """Connect to ``address``; raises OSError (or TimeoutError) if nothing answers."""
    if address.path:
        coro = asyncio.open_unix_connection(address.path)
    else:
        coro = asyncio.open_connection(address.host, address.port)
    reader, writer = await asyncio.wait_for(coro, timeout_s)
    return StreamWire(reader, writer)


class MemoryWire:
    """One end of an in-memory pair (``memory_pair``): what one end writes, the other reads."""

    def __init__(self) -> None:
        self._inbox: deque[bytes] = deque()
        self._waiter: asyncio.Future[None] | None = None
        self.peer: MemoryWire | None = None
        self.closed = False

    def _deliver(self, data: bytes) -> None:
        if self.closed:
            return
        self._inbox.append(data)
        self._wake()

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    async def read(self) -> bytes:
        while not self._inbox:
            if self.closed:
                return b""
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        return self._inbox.popleft()

    def write(self, data: bytes) -> None:
        if not self.closed and self.peer is not None:
            self.peer._deliver(bytes(data))

    def close(self) -> None:
        """Close both ends (the peer reads what it already has, then ``b""``)."""
        for end in (self, self.peer):
            if end is not None and not end.closed:
                end.closed = True
                end._wake()


def memory_pair() -> tuple[MemoryWire, MemoryWire]:
    a, b = MemoryWire(), MemoryWire()
    a.peer, b.peer = b, a
    return a, b


@dataclass(frozen=True, slots=True)
class LinkModel:
    """A radio link, per direction: ``bandwidth_bps`` (bits/s of frames on the air; None:
    unlimited), one-way ``latency_ms``, ``jitter_ms`` (each frame is delayed by a further
    uniform 0..jitter ms, so frames overtake each other), ``loss`` (probability a frame is
    lost; it still takes its air time), ``reorder`` (probability a frame is held back a further
    latency + jitter), ``corrupt`` (probability one byte of a frame is flipped), ``seed``."""

    bandwidth_bps: float | None = 1_000_000.0
    latency_ms: float = 10.0
    jitter_ms: float = 0.0
    loss: float = 0.0
    reorder: float = 0.0
    corrupt: float = 0.0
    seed: int = 0

    def __post_init__(self) -> None:
        if self.bandwidth_bps is not None and not self.bandwidth_bps > 0:
            raise ValueError(f"bandwidth_bps must be > 0, got {self.bandwidth_bps}")
        if self.latency_ms < 0 or self.jitter_ms < 0:
            raise ValueError("latency_ms and jitter_ms must be >= 0")
        for name in ("loss", "reorder", "corrupt"):
            p = getattr(self, name)
            if not 0.0 <= p < 1.0:
                raise ValueError(f"{name} must be within [0, 1), got {p}")


class Channel:
    """One direction of a ``LinkModel``: when each frame sent at ``now_ns`` arrives, if it does.

    ``busy_until_ns`` is when the air is free again; ``sent``/``lost``/``corrupted`` count frames.
    """

    def __init__(self, model: LinkModel, *, salt: int = 0) -> None:
        self.model = model
        self._rng = random.Random(model.seed * 1_000_003 + salt)
        self.busy_until_ns = 0
        self.sent = 0
        self.lost = 0
        self.corrupted = 0
        self.air_bytes = 0

    def schedule(self, now_ns: int, data: bytes) -> tuple[int, bytes] | None:
        """``(arrival_ns, data)`` (possibly corrupted), or None if the frame is lost."""
        m = self.model
        self.sent += 1
        self.air_bytes += len(data)
        start = max(now_ns, self.busy_until_ns)
        air_ns = 0 if m.bandwidth_bps is None else round(len(data) * 8 * NS_PER_S / m.bandwidth_bps)
        self.busy_until_ns = start + air_ns
        rng = self._rng
        lost = rng.random() < m.loss
        delay_ms = m.latency_ms + rng.uniform(0.0, m.jitter_ms)
        if rng.random() < m.reorder:
            delay_ms += m.latency_ms + m.jitter_ms
        if lost:
            self.lost += 1
            return None
        if data and rng.random() < m.corrupt:
            self.corrupted += 1
            i = rng.randrange(len(data))
            data = data[:i] + bytes([data[i] ^ (1 << rng.randrange(8))]) + data[i + 1 :]
        return self.busy_until_ns + round(delay_ms * 1e6), data


class ShapedWire:
    """``inner`` with its outgoing frames passed through a ``LinkModel`` channel.

    Each ``write`` is one frame on the air. ``now_ns`` is the clock the delays are counted on
    (the loop's time is used to schedule deliveries, so both must agree: the runtime clock).
    ``cut()`` silences the wire both ways without telling either end (a radio out of range):
    the sessions notice through their heartbeats.
    """

    def __init__(
        self,
        inner: Wire,
        model: LinkModel,
        now_ns: Callable[[], int],
        *,
        salt: int = 0,
    ) -> None:
        self.inner = inner
        self.channel = Channel(model, salt=salt)
        self._now = now_ns
        self.silenced = False
        self._closing = False
        self._last_arrival_ns = 0
        self._handles: set[asyncio.TimerHandle] = set()

    async def read(self) -> bytes:
        while True:
            data = await self.inner.read()
            if not self.silenced or not data:
                return data

    def write(self, data: bytes) -> None:
        if self.silenced or self._closing:
            return
        now = self._now()
        plan = self.channel.schedule(now, data)
        if plan is None:
            return
        at_ns, payload = plan
        self._last_arrival_ns = max(self._last_arrival_ns, at_ns)
        loop = asyncio.get_running_loop()
        handle: asyncio.TimerHandle

        def deliver() -> None:
            self._handles.discard(handle)
            if not self.silenced:
                self.inner.write(payload)

        handle = loop.call_later(max(0, at_ns - now) / NS_PER_S, deliver)
        self._handles.add(handle)

    def cut(self) -> None:
        """Lose the link: nothing more arrives either way, and nobody is told."""
        self.silenced = True
        for handle in self._handles:
            handle.cancel()
        self._handles.clear()

    def close(self) -> None:
        """Close once what is on the air has arrived (as a socket delivers what was written
        before it was closed)."""
        if self._closing:
            return
        self._closing = True
        delay_ns = self._last_arrival_ns - self._now()
        if self._handles and delay_ns > 0:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                loop = None
            if loop is not None:
                loop.call_later(delay_ns / NS_PER_S + 1e-6, self.inner.close)
                return
        self.inner.close()


class ModelNetwork:
    """A modelled radio between a companion and one pair of glasses, on the runtime clock.

    ``dial()`` (a ``LinkClient``'s dialer) makes an in-memory wire pair shaped both ways by
    ``model`` (a fresh seed per connection) and hands the glasses' end to ``accept`` (e.g.
    ``StubServer.handle``) as a named task. ``drop()`` loses the link: silently (the radio out
    of range: both sides notice through their heartbeats) or at once (``abrupt``: both ends see
    it closed); with ``out_of_range`` dialling fails until ``restore()``.
    """

    def __init__(
        self,
        accept: Callable[[Wire], Awaitable[object]],
        now_ns: Callable[[], int],
        model: LinkModel | None = None,
    ) -> None:
        self.accept = accept
        self.model = model or LinkModel(bandwidth_bps=None, latency_ms=0.0)
        self._now = now_ns
        self.in_range = True
        self.dials = 0
        self.wires: list[tuple[ShapedWire, ShapedWire]] = []
        self._tasks: set[asyncio.Task[object]] = set()

    async def dial(self) -> Wire:
        if not self.in_range:
            raise ConnectionRefusedError("the glasses are out of range")
        self.dials += 1
        a, b = memory_pair()
        companion = ShapedWire(a, self.model, self._now, salt=2 * self.dials)
        glasses = ShapedWire(b, self.model, self._now, salt=2 * self.dials + 1)
        self.wires.append((companion, glasses))

        async def serve() -> object:
            return await self.accept(glasses)

        task = asyncio.get_running_loop().create_task(serve(), name=f"glasses-accept-{self.dials}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return companion

    def drop(self, *, abrupt: bool = False, out_of_range: bool = False) -> None:
        if out_of_range:
            self.in_range = False
        for companion, glasses in self.wires:
            if abrupt:
                for end in (companion, glasses):
                    end.cut()
                    end.inner.close()
            else:
                companion.cut()
                glasses.cut()
        self.wires.clear()

    def restore(self) -> None:
        self.in_range = True

    async def close(self) -> None:
        self.drop(abrupt=True)
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
