"""Device lifecycle: a checked state machine and the supervised capture loops.

``run_camera`` and ``run_microphone`` open a device, pace its reads on the runtime clock, publish
``VideoFrame`` / ``AudioChunk`` events, and ride out disconnections::

    connecting ──▶ streaming ──▶ lost ──▶ reconnecting ──▶ streaming …
         │             │          ▲  │          │
         └─────────────┴──────────┼──┴──────────┴──▶ closed
                                  └─────────────┘ (attempt failed: back-off, try again)

A read that raises, or returns None from a *live* device, is a loss: the loop publishes
``DeviceLost``, retries ``open()`` after a back-off that doubles up to ``max_backoff_s`` (all on
the clock, so tests run in virtual time), and publishes ``DeviceRestored(attempts=k)`` once it is
back. A *file* source returning None has simply ended: the loop returns. A failure of the very
first ``open()`` is not retried: it is a configuration error (wrong URI, missing file) and its
``DeviceError`` propagates with its one-line hint.

Privacy invariant: when an ``indicator`` (capture LED) is given, it is switched on before the
first frame or chunk is published and off before ``DeviceLost`` is published and when the loop
ends; nothing is published while it is off.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from glasses.devices.errors import DeviceDisconnected, DeviceError
from glasses.devices.protocols import Camera, Indicator, Inputs, Microphone
from glasses.runtime.clock import NS_PER_S, Clock
from glasses.runtime.events import AudioChunk, DeviceLost, DeviceRestored, Event, VideoFrame

log = logging.getLogger(__name__)

Publish = Callable[[Event], None]


@dataclass(frozen=True, slots=True)
class Reconnect:
    """How a lost live device is reopened: waits start at ``backoff_s`` and double up to
    ``max_backoff_s`` (seconds, runtime clock); ``max_attempts=None`` retries forever (a
    wearable should keep trying), otherwise ``DeviceDisconnected`` is raised after that many."""

    backoff_s: float = 0.5
    max_backoff_s: float = 5.0
    max_attempts: int | None = None

    def __post_init__(self) -> None:
        if self.backoff_s <= 0 or self.max_backoff_s < self.backoff_s:
            raise ValueError(
                f"need 0 < backoff_s <= max_backoff_s, got {self.backoff_s}, {self.max_backoff_s}"
            )
        if self.max_attempts is not None and self.max_attempts < 1:
            raise ValueError(f"max_attempts must be >= 1 or None, got {self.max_attempts}")


class DeviceState(enum.Enum):
    CONNECTING = "connecting"
    STREAMING = "streaming"
    LOST = "lost"
    RECONNECTING = "reconnecting"
    CLOSED = "closed"


_ALLOWED: dict[DeviceState, frozenset[DeviceState]] = {
    DeviceState.CONNECTING: frozenset({DeviceState.STREAMING, DeviceState.CLOSED}),
    DeviceState.STREAMING: frozenset({DeviceState.LOST, DeviceState.CLOSED}),
    DeviceState.LOST: frozenset({DeviceState.RECONNECTING, DeviceState.CLOSED}),
    # A failed attempt goes back to LOST (waiting out the back-off) before the next one.
    DeviceState.RECONNECTING: frozenset(
        {DeviceState.STREAMING, DeviceState.LOST, DeviceState.CLOSED}
    ),
    DeviceState.CLOSED: frozenset(),  # terminal: a closed machine is never reused
}


class DeviceStateMachine:
    """The state of one device; ``to()`` raises ValueError on a transition the diagram lacks.

    ``history`` lists ``(t_ns, state)`` for every state entered, timed on ``clock`` (0 without
    one). ``on_change(old, new)`` is called after each transition (status displays).
    """

    def __init__(
        self,
        device: str,
        clock: Clock | None = None,
        on_change: Callable[[DeviceState, DeviceState], None] | None = None,
    ) -> None:
        self.device = device
        self.state = DeviceState.CONNECTING
        self._clock = clock
        self._on_change = on_change
        self.history: list[tuple[int, DeviceState]] = [(self._now(), self.state)]

    def _now(self) -> int:
        return self._clock.now_ns() if self._clock is not None else 0

    def can(self, new: DeviceState) -> bool:
        return new in _ALLOWED[self.state]

    def to(self, new: DeviceState) -> None:
        old = self.state
        if not self.can(new):
            raise ValueError(f"device {self.device}: invalid transition {old.value} → {new.value}")
        self.state = new
        self.history.append((self._now(), new))
        if self._on_change is not None:
            self._on_change(old, new)

    def close(self) -> None:
        """Enter CLOSED unless already there (closing twice is harmless)."""
        if self.state is not DeviceState.CLOSED:
            self.to(DeviceState.CLOSED)


class _Device(Protocol):
    """What the shared loop machinery needs of a camera or microphone."""

    uri: str
    live: bool

    def open(self) -> None: ...

    def read(self) -> np.ndarray | None: ...

    def close(self) -> None: ...


def _failure_text(exc: BaseException) -> str:
    if isinstance(exc, DeviceError):
        return exc.problem
    return " ".join(f"{type(exc).__name__}: {exc}".split())


class _Link:
    """Open / read / recover / close one device, keeping state, LED and events consistent."""

    def __init__(
        self,
        device: _Device,
        kind: str,
        clock: Clock,
        publish: Publish,
        *,
        source: str,
        indicator: Indicator | None,
        machine: DeviceStateMachine | None,
        reconnect: Reconnect,
        read_cost_ns: int,
    ) -> None:
        self.device = device
        self.kind = kind
        self.clock = clock
        self.publish = publish
        self.source = source
        self.indicator = indicator
        self.machine = machine or DeviceStateMachine(device.uri, clock)
        self.reconnect = reconnect
        self.read_cost_ns = read_cost_ns
        self.suppressed = 0  # data not published because the LED was off (see may_publish)

    async def connect(self) -> None:
        try:
            await self.clock.run_blocking(self.device.open)
        except BaseException:
            self.device.close()  # release whatever a half-done open acquired
            self.machine.close()
            raise
        self._streaming()

    def _streaming(self) -> None:
        # LED first: nothing may be captured and published while it is still dark.
        if self.indicator is not None:
            self.indicator.set(True)
        self.machine.to(DeviceState.STREAMING)

    def _led_off(self) -> None:
        if self.indicator is not None:
            self.indicator.set(False)

    async def read(self) -> tuple[np.ndarray | None, str | None]:
        """``(data, None)``, ``(None, None)`` at the end of a file, or ``(None, reason)``."""
        try:
            data = await self.clock.run_blocking(self.device.read, cost_ns=self.read_cost_ns)
        except Exception as exc:  # any driver failure of a live device is a loss to recover
            if not self.device.live:
                raise  # a broken file will not mend by reopening it
            return None, _failure_text(exc)
        if data is None:
            return None, ("no data from the device" if self.device.live else None)
        return data, None

    def may_publish(self) -> bool:
        """The privacy check: only publish while the LED is on."""
        if self.indicator is None or self.indicator.on:
            return True
        self.suppressed += 1
        if self.suppressed == 1:
            log.warning("%s %s: capture LED is off; not publishing", self.kind, self.device.uri)
        return False

    async def recover(self, reason: str) -> None:
        """Publish DeviceLost, reopen with back-off, publish DeviceRestored; may raise."""
        uri = self.device.uri
        self._led_off()
        self.machine.to(DeviceState.LOST)
        log.warning("%s %s lost: %s", self.kind, uri, reason)
        self.publish(
            DeviceLost(t_ns=self.clock.now_ns(), source=self.source, device=uri, reason=reason)
        )
        self.device.close()
        attempts = 0
        delay = self.reconnect.backoff_s
        while True:
            await self.clock.sleep(delay)
            attempts += 1
            self.machine.to(DeviceState.RECONNECTING)
            try:
                await self.clock.run_blocking(self.device.open)
            except Exception as exc:  # the device is still gone; try again after a back-off
                self.device.close()
                self.machine.to(DeviceState.LOST)
                log.info(
                    "%s %s: reconnect attempt %d failed: %s",
                    self.kind,
                    uri,
                    attempts,
                    _failure_text(exc),
                )
                limit = self.reconnect.max_attempts
                if limit is not None and attempts >= limit:
                    raise DeviceDisconnected(
                        self.kind,
                        uri,
                        f"lost ({reason}) and not back after {attempts} reconnection attempts",
                        "check the connection, then restart",
                    ) from exc
                delay = min(delay * 2, self.reconnect.max_backoff_s)
                continue
            break
        self._streaming()
        log.info("%s %s restored after %d attempt(s)", self.kind, uri, attempts)
        self.publish(
            DeviceRestored(
                t_ns=self.clock.now_ns(), source=self.source, device=uri, attempts=attempts
            )
        )

    def shutdown(self) -> None:
        self._led_off()
        self.device.close()
        self.machine.close()


def _period_ns(fps: float, uri: str) -> int:
    if not fps > 0:
        raise ValueError(f"camera {uri}: fps must be > 0, got {fps}")
    return max(1, round(NS_PER_S / fps))


async def run_camera(
    camera: Camera,
    clock: Clock,
    publish: Publish,
    *,
    source: str = "camera",
    max_frames: int | None = None,
    reconnect: Reconnect = Reconnect(),
    indicator: Indicator | None = None,
    machine: DeviceStateMachine | None = None,
    read_cost_ns: int = 0,
) -> None:
    """Stream ``camera`` as ``VideoFrame`` events until it ends, ``max_frames``, or cancel.

    Frames are read every 1/``camera.fps`` s of clock time and stamped with the clock time of
    the read; ``index`` counts published frames from 0 across reconnections. ``reconnect``
    says how a lost device is reopened (see ``Reconnect``). ``read_cost_ns``
    is the modelled cost of one read on the virtual clock. Returns None (``Runtime.spawn``
    takes it as is); ``machine.state`` tells how it ended.
    """
    link = _Link(
        camera,
        "camera",
        clock,
        publish,
        source=source,
        indicator=indicator,
        machine=machine,
        reconnect=reconnect,
        read_cost_ns=read_cost_ns,
    )
    await link.connect()
    published = 0
    try:
        next_t = clock.now_ns()
        while max_frames is None or published < max_frames:
            await clock.sleep_until(next_t)
            image, failure = await link.read()
            if image is None:
                if failure is None:
                    break  # the file has ended
                await link.recover(failure)
                next_t = clock.now_ns()
                continue
            if link.may_publish():
                # Optional, as ``max_hold_back_ns`` below: a camera that knows when its view
                # changed (the simulated one) says so; it is not in the Camera protocol.
                view = getattr(camera, "view", None)
                publish(
                    VideoFrame(
                        t_ns=clock.now_ns(), source=source, image=image, index=published, view=view
                    )
                )
                published += 1
            # Re-anchor rather than burst: a late read (slow driver) skips frame slots instead
            # of firing a backlog of reads back to back. fps is re-read: a reopen may change it.
            next_t = max(next_t + _period_ns(camera.fps, camera.uri), clock.now_ns())
    finally:
        link.shutdown()


async def run_microphone(
    mic: Microphone,
    clock: Clock,
    publish: Publish,
    *,
    source: str = "microphone",
    max_chunks: int | None = None,
    reconnect: Reconnect = Reconnect(),
    indicator: Indicator | None = None,
    machine: DeviceStateMachine | None = None,
    read_cost_ns: int = 0,
    ready: Callable[[], Awaitable[None]] | None = None,
) -> None:
    """Stream ``mic`` as ``AudioChunk`` events until it ends, ``max_chunks``, or cancel.

    A chunk of ``mic.chunk_samples`` samples is read once its last sample has been captured
    (chunk duration after the previous one, on the clock) and stamped with the time of its first
    sample, so consecutive chunks tile time without gaps. After a reconnection the time line
    restarts at the moment of recovery. Other arguments as for ``run_camera``.

    ``ready`` is awaited before each read: backpressure (``Runtime.wait_room``). A file then
    lags behind the clock while the pipeline is full and catches up after; nothing is skipped.
    A file's stamps are its sample clock (sample n at start + n / rate), however late the reads
    come, so what the speech stages decide never depends on the load. A live device's samples
    are captured on its own clock: when the loop is more than a chunk behind (its clock drifts
    from ours, or the driver lost audio), the time line is re-anchored to stay near the capture
    time, which the speech stages see as a gap. A device that resamples holds some audio back
    (``max_hold_back_ns``, up to 37 ms for 48 kHz): its reads come that much later without being
    behind, so that lag is allowed for first. The stamps need no correction for it: the
    resampler keeps sample n at time n / rate (``glasses.devices.resample``).
    """
    link = _Link(
        mic,
        "microphone",
        clock,
        publish,
        source=source,
        indicator=indicator,
        machine=machine,
        reconnect=reconnect,
        read_cost_ns=read_cost_ns,
    )
    await link.connect()
    rate = mic.sample_rate

    def ns(samples: int) -> int:
        return samples * NS_PER_S // rate

    published = 0
    try:
        anchor = clock.now_ns()  # clock time of sample 0 of the current time line
        done = 0  # samples read since ``anchor``
        while max_chunks is None or published < max_chunks:
            await clock.sleep_until(anchor + ns(done + mic.chunk_samples))
            if ready is not None:
                await ready()
            samples, failure = await link.read()
            if samples is None:
                if failure is None:
                    break  # the file has ended
                await link.recover(failure)
                anchor, done = clock.now_ns(), 0
                continue
            start = anchor + ns(done)
            done += len(samples)
            if link.may_publish():
                publish(AudioChunk(t_ns=start, source=source, samples=samples, sample_rate=rate))
                published += 1
            if not mic.live:
                continue  # a file has no capture time: its stamps follow its samples
            # A real device's sample clock drifts from ours and a read may block: if we are
            # more than a chunk behind, re-anchor so stamps stay close to the capture time.
            late = clock.now_ns() - (anchor + ns(done))
            # Optional, read after each (re)open: only backends that resample have it, so it is
            # not in the Microphone protocol.
            hold_back_ns = int(getattr(mic, "max_hold_back_ns", 0))
            if late > ns(mic.chunk_samples) + hold_back_ns:
                anchor += late
    finally:
        link.shutdown()


async def run_inputs(inputs: Inputs, publish: Publish) -> None:
    """Forward every input event (taps) onto the bus, until cancelled."""
    while True:
        publish(await inputs.get())
