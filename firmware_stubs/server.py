"""Serving the link: one companion at a time, paired before anything else.

``StubServer.handle(wire)`` runs one connection to its end: the pairing handshake (an unpaired
peer is refused and counted in ``refused``), then the glasses take the companion's commands
until the link ends. ``serve(address)`` listens on TCP or a Unix socket and hands each accepted
socket to ``handle``; a second companion while one is attached is refused (busy). ``model``
shapes what the glasses send on every connection with a ``LinkModel`` (their radio); the
companion shapes its own side the same way (``LinkClient``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random

from firmware_stubs.device import StubGlasses
from glasses.devices.link import messages as m
from glasses.devices.link.connection import LinkConnection
from glasses.devices.link.framing import MIN_MTU
from glasses.devices.link.pairing import LinkRefused, pair_glasses
from glasses.devices.link.session import SessionSettings
from glasses.devices.link.transport import (
    LinkAddress,
    LinkModel,
    ShapedWire,
    StreamWire,
    Wire,
)

log = logging.getLogger(__name__)


class StubServer:
    def __init__(
        self,
        glasses: StubGlasses,
        key: bytes,
        *,
        model: LinkModel | None = None,
        seed: int = 0,
    ) -> None:
        self.glasses = glasses
        self.key = key
        self.model = model
        self.refused = 0  # peers refused: not paired, out of turn, or busy
        self.connections = 0
        self.sessions: set[int] = set()
        self.ended: list[str] = []  # why each connection ended
        self._rng = random.Random(seed)
        self._busy = False
        self._server: asyncio.Server | None = None
        self._handlers: set[asyncio.Task[None]] = set()

    async def handle(self, wire: Wire) -> str:
        """Run one connection to its end; returns why it ended."""
        self.connections += 1
        clock = self.glasses.clock
        if self.model is not None:
            wire = ShapedWire(wire, self.model, clock.now_ns, salt=2 * self.connections)
        settings = SessionSettings(mtu=MIN_MTU, window=self.glasses.settings.window)
        conn = LinkConnection(wire, clock, settings, name="glasses")
        runner = asyncio.get_running_loop().create_task(conn.run(), name="glasses-link")
        if self._busy:
            self.refused += 1
            conn.send(m.Refused(code=int(m.RefuseCode.BUSY), reason="another companion is on"))
            conn.close("busy", bye=False)
            return await runner
        self._busy = True
        try:
            try:
                paired = await pair_glasses(
                    conn,
                    self.key,
                    mtu=self.glasses.settings.mtu,
                    window=self.glasses.settings.window,
                    new_session=self._rng.randrange(1, 1 << 32),
                    known_sessions=frozenset(self.sessions),
                )
            except LinkRefused as exc:
                self.refused += 1
                log.warning("glasses: refused a companion: %s", exc.reason)
                conn.close(exc.reason, bye=False)
                reason = await runner
                self.ended.append(reason)
                return reason
            self.sessions.add(paired.session)
            log.info(
                "glasses: paired with %r (session %08x%s, MTU %d, window %d)",
                paired.name,
                paired.session,
                ", resumed" if paired.resumed else "",
                paired.mtu,
                paired.window,
            )
            self.glasses.attach(conn)
            reason = await runner
            self.ended.append(reason)
            log.info("glasses: link ended: %s", reason)
            return reason
        finally:
            if self.glasses.conn is conn:
                self.glasses.detach()
            self._busy = False
            if not runner.done():
                runner.cancel()

    async def serve(self, address: LinkAddress) -> asyncio.Server:
        """Listen on ``address`` (TCP or Unix socket); returns the started server."""

        async def on_client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            task = asyncio.current_task()
            if task is not None:
                self._handlers.add(task)
            try:
                await self.handle(StreamWire(reader, writer))
            finally:
                writer.close()
                if task is not None:
                    self._handlers.discard(task)

        if address.path:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(address.path)  # a stale socket from an earlier run
            self._server = await asyncio.start_unix_server(on_client, address.path)
        else:
            self._server = await asyncio.start_server(on_client, address.host, address.port)
        self.glasses.start()
        return self._server

    @property
    def port(self) -> int:
        """The TCP port listened on (after ``serve``; useful with port 0)."""
        if self._server is None or not self._server.sockets:
            return 0
        return int(self._server.sockets[0].getsockname()[1])

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._handlers):
            task.cancel()
        await asyncio.gather(*self._handlers, return_exceptions=True)
        await self.glasses.stop()
