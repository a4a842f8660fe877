"""``LinkClient``: the companion's end of one glasses link, kept up for the device backends.

One client per pair of glasses; the backends (``devices.py``: camera, microphone, display,
inputs, indicator) share it. It dials, pairs, and then keeps the link: when it drops it
reconnects with a doubling back-off (``Reconnect``), resuming its session, and re-sends what
the backends *want* (``want``: the camera and microphone streams, the LED, what the display
shows), so the glasses converge to the same state after every reconnection. Messages from the
glasses go to the handlers ``subscribe``-d per message type.

Two ways to run it:

* ``await client.start()`` on the running loop (the harness, tests, anything on the virtual
  clock: the link then runs on virtual time);
* ``client.start_thread()``: its own loop on a background thread on the real clock, for
  backends driven by blocking calls (``glasses run``); a backend's ``open()`` starts it when
  it finds no loop running in its thread. Every public method may then be called from any
  thread.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from glasses.devices.link import messages as m
from glasses.devices.link.connection import LinkClosed, LinkConnection
from glasses.devices.link.framing import DEFAULT_MTU, MIN_MTU
from glasses.devices.link.pairing import LinkRefused, Paired, pair_companion
from glasses.devices.link.session import SessionSettings, default_window
from glasses.devices.link.transport import (
    LinkAddress,
    LinkModel,
    ShapedWire,
    Wire,
    open_wire,
)
from glasses.devices.state import DeviceState, DeviceStateMachine, Reconnect
from glasses.runtime.clock import Clock, RealClock

log = logging.getLogger(__name__)

M = TypeVar("M", bound=m.Message)
Dial = Callable[[], Awaitable[Wire]]


@dataclass(frozen=True, slots=True)
class ClientSettings:
    """``mtu`` (bytes) and ``window`` (frames; None: ``default_window(mtu)``, about 8 KB in
    flight) offered; ``name`` told to the glasses;
    ``reconnect`` back-off; ``dial_timeout_s`` and ``handshake_timeout_s`` (s); ``model``
    shapes what the companion sends (tests, benchmarks)."""

    mtu: int = DEFAULT_MTU
    window: int | None = None
    name: str = "glasses companion"
    reconnect: Reconnect = field(
        default_factory=lambda: Reconnect(backoff_s=0.5, max_backoff_s=5.0)
    )
    dial_timeout_s: float = 5.0
    handshake_timeout_s: float = 5.0
    model: LinkModel | None = None


@dataclass(slots=True)
class ClientStats:
    connects: int = 0  # successful pairings
    attempts: int = 0  # dials tried
    refused: int = 0  # pairings refused (wrong key)
    drops: int = 0  # links lost after pairing
    resumed: int = 0  # reconnections where the glasses kept our session
    unsent: int = 0  # messages dropped because the link was down (wants are re-sent)


class LinkClient:
    def __init__(
        self,
        dial: Dial | LinkAddress,
        key: bytes,
        *,
        clock: Clock | None = None,
        settings: ClientSettings | None = None,
        uri: str = "",
    ) -> None:
        if isinstance(dial, LinkAddress):
            address = dial
            self.uri = uri or str(address)

            async def dial_address() -> Wire:
                return await open_wire(address, timeout_s=self.settings.dial_timeout_s)

            self._dial: Dial = dial_address
        else:
            self.uri = uri or "link:"
            self._dial = dial
        self.key = key
        self.clock: Clock = clock or RealClock()
        self.settings = settings or ClientSettings()
        self.machine = DeviceStateMachine(self.uri, self.clock)
        self.stats = ClientStats()
        self.conn: LinkConnection | None = None
        self.paired: Paired | None = None
        self.capabilities: m.Capabilities | None = None
        self.power: m.PowerState | None = None
        self.led: m.LedState | None = None
        self.errors: deque[m.ErrorReport] = deque(maxlen=50)
        self.last_error = ""
        self._handlers: dict[type[m.Message], list[Callable[[Any], None]]] = {}
        self._wants: dict[str, tuple[list[m.Message], str]] = {}
        self._on_connect: list[Callable[[], None]] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._thread: threading.Thread | None = None
        self._up = threading.Event()  # paired and running
        self._up_async: asyncio.Event | None = None
        self._session = 0
        self.subscribe(m.Capabilities, self._set_capabilities)
        self.subscribe(m.PowerState, self._set_power)
        self.subscribe(m.LedState, self._set_led)
        self.subscribe(m.ErrorReport, self._error_report)

    # ---------------------------------------------------------------------------- state

    @property
    def window(self) -> int:
        """The receive window offered (frames)."""
        return self.settings.window or default_window(self.settings.mtu)

    @property
    def connected(self) -> bool:
        return self._up.is_set()

    @property
    def started(self) -> bool:
        return self._task is not None

    @property
    def threaded(self) -> bool:
        return self._thread is not None

    def subscribe(self, kind: type[M], handler: Callable[[M], None]) -> None:
        """Call ``handler(msg)`` (on the client's loop) for every ``kind`` message received."""
        self._handlers.setdefault(kind, []).append(handler)

    def on_connect(self, callback: Callable[[], None]) -> None:
        """Call ``callback()`` after every pairing, once the wants have been re-sent."""
        self._on_connect.append(callback)

    def _set_capabilities(self, msg: m.Capabilities) -> None:
        self.capabilities = msg

    def _set_power(self, msg: m.PowerState) -> None:
        self.power = msg

    def _set_led(self, msg: m.LedState) -> None:
        self.led = msg

    def _error_report(self, msg: m.ErrorReport) -> None:
        self.errors.append(msg)
        log.warning("glasses %s: %s", self.uri, msg.text)

    def _dispatch(self, msg: m.Message) -> None:
        for handler in self._handlers.get(type(msg), ()):
            handler(msg)

    # ---------------------------------------------------------------------------- sending

    def call(self, fn: Callable[[], object]) -> None:
        """Run ``fn`` on the client's loop: now if we are on it, else as soon as it can."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            fn()
        else:
            loop.call_soon_threadsafe(fn)

    def send(self, msg: m.Message, *, group: str = "") -> int | None:
        """Send now if the link is up (on the client's loop); its ticket, or None if dropped."""
        conn = self.conn
        if conn is None or conn.closed or not self._up.is_set():
            self.stats.unsent += 1
            return None
        try:
            return conn.send(msg, group=group)
        except LinkClosed:
            self.stats.unsent += 1
            return None

    def cancel(self, group: str) -> int:
        conn = self.conn
        return conn.cancel(group) if conn is not None and not conn.closed else 0

    def want(self, key: str, msgs: list[m.Message], *, group: str = "") -> None:
        """What the glasses should be doing for ``key`` (e.g. "camera"): ``msgs`` are sent
        now (from any thread) and again after every reconnection. An empty list forgets it."""
        if msgs:
            self._wants[key] = (list(msgs), group)
        else:
            self._wants.pop(key, None)

        def push() -> None:
            for msg in msgs:
                self.send(msg, group=group)

        self.call(push)

    # ---------------------------------------------------------------------------- running

    async def start(self) -> None:
        """Run the client on the current loop (returns at once; see ``wait_connected``)."""
        if self._task is not None:
            return
        self._loop = asyncio.get_running_loop()
        self._up_async = asyncio.Event()
        self._task = self._loop.create_task(self._run(), name=f"link-client {self.uri}")

    def start_here(self) -> None:
        """``start`` from synchronous code running on the loop (a backend's ``open``)."""
        if self._task is not None:
            return
        self._loop = asyncio.get_running_loop()
        self._up_async = asyncio.Event()
        self._task = self._loop.create_task(self._run(), name=f"link-client {self.uri}")

    def start_thread(self) -> None:
        """Run the client on its own loop in a daemon thread (real clock)."""
        if self._task is not None or self._thread is not None:
            return
        if not isinstance(self.clock, RealClock):
            raise RuntimeError("a threaded link client runs on the real clock")
        ready = threading.Event()

        def main() -> None:
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)

            async def go() -> None:
                await self.start()
                ready.set()
                if self._task is not None:
                    await asyncio.gather(self._task, return_exceptions=True)

            try:
                loop.run_until_complete(go())
            finally:
                loop.close()

        self._thread = threading.Thread(target=main, name=f"link-client {self.uri}", daemon=True)
        self._thread.start()
        ready.wait(5.0)

    async def wait_connected(self, timeout_s: float | None = None) -> bool:
        """Wait (on the client's loop) until paired; False after ``timeout_s``."""
        if self._up_async is None:
            await self.start()
        event = self._up_async
        if event is None:
            return False
        try:
            await asyncio.wait_for(event.wait(), timeout_s)
        except TimeoutError:
            return False
        return True

    def wait_connected_blocking(self, timeout_s: float) -> bool:
        """From a thread other than the client's: wait until paired."""
        return self._up.wait(timeout_s)

    async def _run(self) -> None:
        backoff = self.settings.reconnect
        delay = backoff.backoff_s
        failures = 0
        while True:
            self.stats.attempts += 1
            ok = await self._connect_once()
            if ok:
                delay = backoff.backoff_s
                failures = 0
            else:
                failures += 1
                if backoff.max_attempts is not None and failures >= backoff.max_attempts:
                    self.machine.close()
                    return
            if self.machine.state in (DeviceState.STREAMING, DeviceState.RECONNECTING):
                self.machine.to(DeviceState.LOST)  # (CONNECTING stays until the first pairing)
            await self.clock.sleep(delay)
            if not ok:
                delay = min(delay * 2, backoff.max_backoff_s)
            if self.machine.state is DeviceState.LOST:
                self.machine.to(DeviceState.RECONNECTING)

    async def _connect_once(self) -> bool:
        """Dial, pair, serve until the link ends; True if it was paired."""
        try:
            wire = await asyncio.wait_for(self._dial(), self.settings.dial_timeout_s)
        except (OSError, TimeoutError) as exc:
            self.last_error = f"cannot reach the glasses: {exc or type(exc).__name__}"
            log.info("link %s: %s", self.uri, self.last_error)
            return False
        if self.settings.model is not None:
            wire = ShapedWire(
                wire, self.settings.model, self.clock.now_ns, salt=2 * self.stats.attempts + 1
            )
        conn = LinkConnection(
            wire,
            self.clock,
            SessionSettings(mtu=MIN_MTU, window=self.window),
            name=f"companion {self.uri}",
        )
        loop = asyncio.get_running_loop()
        runner = loop.create_task(conn.run(), name=f"link {self.uri}")
        try:
            try:
                paired = await pair_companion(
                    conn,
                    self.key,
                    mtu=self.settings.mtu,
                    window=self.window,
                    resume=self._session,
                    name=self.settings.name,
                    timeout_s=self.settings.handshake_timeout_s,
                )
            except LinkRefused as exc:
                self.stats.refused += 1
                self.last_error = exc.reason
                log.error("link %s: %s", self.uri, exc.reason)
                conn.close(exc.reason, bye=False)
                return False
            except LinkClosed as exc:
                self.last_error = f"pairing failed: {exc.reason}"
                conn.close(exc.reason, bye=False)
                return False
            self.conn = conn
            self.paired = paired
            self._session = paired.session
            self.stats.connects += 1
            if paired.resumed:
                self.stats.resumed += 1
            conn.set_handler(self._dispatch)
            self._up.set()
            if self._up_async is not None:
                self._up_async.set()
            if self.machine.can(DeviceState.STREAMING):
                self.machine.to(DeviceState.STREAMING)
            for msgs, group in list(self._wants.values()):
                for msg in msgs:
                    self.send(msg, group=group)
            for callback in self._on_connect:
                callback()
            log.info("link %s: paired (MTU %d, window %d)", self.uri, paired.mtu, paired.window)
            reason = await asyncio.shield(runner)
            self.stats.drops += 1
            self.last_error = reason
            log.warning("link %s: lost: %s", self.uri, reason)
            return True
        finally:
            self._up.clear()
            if self._up_async is not None:
                self._up_async.clear()
            self.conn = None
            if not conn.closed:
                conn.close("client stopping")
            if not runner.done():
                await asyncio.gather(runner, return_exceptions=True)

    async def close(self) -> None:
        """Stop (on the client's loop): say bye, end the reconnect loop."""
        conn = self.conn
        if conn is not None:
            conn.close("companion closing")
        task = self._task
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        self.machine.close()

    def close_threadsafe(self) -> None:
        """Stop a threaded client from any thread."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            asyncio.run_coroutine_threadsafe(self.close(), loop)
