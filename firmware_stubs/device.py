"""``StubGlasses``: the emulated microcontroller of a pair of glasses.

It owns the display controller (``Framebuffer``), a camera and a microphone (any
``glasses.devices`` ``Camera``/``Microphone``: a simulator-driven one, a file, a rendered scene),
an IMU model, the touch pad, the capture LED and the battery (``PowerModel``). While a companion
is attached (``attach``) it carries out the companion's commands (``handle``: one handler per
message type, declared in ``_handlers``) and streams what was asked for. Everything runs on the
runtime clock it is given (virtual in tests).

Rules kept here rather than trusted to the companion:

* the capture LED is on whenever the camera captures or the microphone streams, and every change
  is reported (``LedState``);
* the camera never queues more than one frame: a newer frame replaces one still waiting
  (``frames_replaced``), so a slow link lowers the rate, not the freshness;
* when the companion goes away, the camera, microphone and IMU stop (the LED goes off);
  the display keeps its page.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np

from firmware_stubs.framebuffer import DisplayCommandError, Framebuffer
from firmware_stubs.power import Loads, PowerModel
from glasses.devices._fifo import SampleFifo
from glasses.devices.link import adpcm
from glasses.devices.link import messages as m
from glasses.devices.link.connection import LinkConnection
from glasses.devices.protocols import Camera, Microphone
from glasses.hud.profile import get_profile
from glasses.runtime.clock import NS_PER_S, Clock

log = logging.getLogger(__name__)

CAMERA_GROUP = "camera"


@dataclass(frozen=True, slots=True)
class StubSettings:
    """The emulated glasses: display ``profile``, the largest frame they take (``mtu``,
    bytes) and their receive ``window`` (frames), camera ``modes``, IMU rate (Hz), how often
    the battery is stepped and reported (s)."""

    profile: str = "g2"
    mtu: int = 512
    window: int = 255
    modes: tuple[m.CameraMode, ...] = (
        m.CameraMode(1280, 720, 15),
        m.CameraMode(640, 480, 30),
        m.CameraMode(320, 240, 30),
        m.CameraMode(160, 120, 30),
    )
    imu_hz: int = 100
    power_tick_s: float = 1.0
    power_report_s: float = 5.0
    firmware: int = 1
    name: str = "glasses-stub"


@dataclass(slots=True)
class StubStats:
    commands: int = 0
    errors_reported: int = 0
    frames_captured: int = 0
    frames_sent: int = 0
    frames_replaced: int = 0  # waiting frames replaced by a newer one (latest wins)
    mic_frames: int = 0
    imu_batches: int = 0
    inputs_sent: int = 0
    power_reports: int = 0
    attaches: int = 0
    pages: list[int] = field(default_factory=list)  # every page id shown, in order
    page_times: dict[int, int] = field(default_factory=dict)  # page id → when shown (ns)


class StubGlasses:
    def __init__(
        self,
        clock: Clock,
        settings: StubSettings | None = None,
        *,
        camera: Camera | None = None,
        microphone: Microphone | None = None,
        power: PowerModel | None = None,
    ) -> None:
        self.clock = clock
        self.settings = settings or StubSettings()
        self.profile = get_profile(self.settings.profile)
        self.framebuffer = Framebuffer(self.profile)
        self.camera = camera
        self.microphone = microphone
        self.power = power or PowerModel()
        self.stats = StubStats()
        self.conn: LinkConnection | None = None
        self.led_on = False
        self.led_reasons = 0
        self.led_history: list[tuple[int, bool]] = []
        self._camera_task: asyncio.Task[None] | None = None
        self._camera_fps = 0.0
        self._camera_px = 0
        self._mic_task: asyncio.Task[None] | None = None
        self._imu_task: asyncio.Task[None] | None = None
        self._imu_gesture: tuple[str, int] | None = None  # (gesture, start ns)
        self._tasks: set[asyncio.Task[None]] = set()
        self._handlers: dict[type[m.Message], Callable[[Any], None]] = {
            m.DisplayClear: self._display,
            m.DisplayText: self._display,
            m.DisplayBitmap: self._display,
            m.DisplayPage: self._display,
            m.DisplayBrightness: self._display,
            m.CameraControl: self._camera_control,
            m.MicControl: self._mic_control,
            m.ImuControl: self._imu_control,
            m.LedControl: self._led_control,
            m.PowerOverride: self._power_override,
        }
        self._last_report: m.PowerState | None = None
        self._last_report_ns = 0
        self._power_task: asyncio.Task[None] | None = None

    # ---------------------------------------------------------------------------- lifecycle

    def capabilities(self) -> m.Capabilities:
        return m.Capabilities(
            width=self.framebuffer.width,
            height=self.framebuffer.height,
            bpp=self.framebuffer.bpp,
            audio_codecs=(1 << m.AudioCodec.PCM16) | (1 << m.AudioCodec.IMA_ADPCM),
            imu_hz=self.settings.imu_hz,
            battery_mah=round(self.power.spec.capacity_mah),
            firmware=self.settings.firmware,
            profile=self.profile.name,
            modes=self.settings.modes if self.camera is not None else (),
        )

    def start(self) -> None:
        """Start the battery model (call once, on the loop)."""
        if self._power_task is None:
            self._power_task = self._spawn(self._power_loop(), "power")

    def attach(self, conn: LinkConnection) -> None:
        """A paired companion: take its commands, tell it what we are."""
        self.start()
        if self.conn is not None:
            self.detach()
        self.conn = conn
        self.stats.attaches += 1
        conn.set_handler(self.handle)
        self._send(self.capabilities())
        self._send(m.LedState(on=int(self.led_on), reasons=self.led_reasons))
        self._report_power(force=True)

    def detach(self) -> None:
        """The companion is gone: stop the streams and turn the LED off; keep the display."""
        self.conn = None
        for attr in ("_camera_task", "_mic_task", "_imu_task"):
            task = getattr(self, attr)
            if task is not None:
                task.cancel()
                setattr(self, attr, None)
        self._camera_fps = 0.0
        # The companion's own request for the LED lapses with it.
        self._led(m.LedReason.CAMERA | m.LedReason.MICROPHONE | m.LedReason.REQUESTED, False)

    async def stop(self) -> None:
        self.detach()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def _spawn(self, coro: Coroutine[Any, Any, None], name: str) -> asyncio.Task[None]:
        task = asyncio.get_running_loop().create_task(coro, name=f"stub-{name}")
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("stub task %s failed", task.get_name(), exc_info=task.exception())

    def _send(self, msg: m.Message, *, group: str = "") -> None:
        if self.conn is None or self.conn.closed:
            return
        self.conn.send(msg, group=group)

    def _now_ms(self) -> int:
        return (self.clock.now_ns() // 1_000_000) & 0xFFFFFFFF

    # ---------------------------------------------------------------------------- commands

    def handle(self, msg: m.Message) -> None:
        """Carry out one message from the companion; one it should not send is reported."""
        self.stats.commands += 1
        handler = self._handlers.get(type(msg))
        if handler is None:
            self._error(msg, 2, f"{type(msg).__name__} is not a command the glasses take")
            return
        handler(msg)

    def _error(self, msg: m.Message, code: int, text: str) -> None:
        self.stats.errors_reported += 1
        log.info("glasses: %s", text)
        self._send(m.ErrorReport(ref_type=msg.TYPE, code=code, text=text[:200]))

    def _display(self, msg: m.Message) -> None:
        try:
            self.framebuffer.apply(msg)
        except DisplayCommandError as exc:
            self._error(msg, 1, str(exc))
            return
        if isinstance(msg, m.DisplayPage):
            self.stats.pages.append(msg.page)
            self.stats.page_times[msg.page] = self.clock.now_ns()

    def _camera_control(self, msg: m.CameraControl) -> None:
        if self._camera_task is not None:
            self._camera_task.cancel()
            self._camera_task = None
            self._camera_fps = 0.0
        if msg.mode == m.CaptureMode.STOP:
            self._led(m.LedReason.CAMERA, False)
            return
        if self.camera is None:
            self._error(msg, 2, "these glasses have no camera")
            return
        self._led(m.LedReason.CAMERA, True)  # on before the first capture
        self._camera_task = self._spawn(self._camera_loop(msg), "camera")

    def _mic_control(self, msg: m.MicControl) -> None:
        if self._mic_task is not None:
            self._mic_task.cancel()
            self._mic_task = None
        if not msg.on:
            self._led(m.LedReason.MICROPHONE, False)
            return
        if self.microphone is None:
            self._error(msg, 2, "these glasses have no microphone")
            return
        self._led(m.LedReason.MICROPHONE, True)
        self._mic_task = self._spawn(self._mic_loop(msg), "microphone")

    def _imu_control(self, msg: m.ImuControl) -> None:
        if self._imu_task is not None:
            self._imu_task.cancel()
            self._imu_task = None
        if msg.rate_hz:
            rate = min(msg.rate_hz, self.settings.imu_hz)
            self._imu_task = self._spawn(self._imu_loop(rate), "imu")

    def _led_control(self, msg: m.LedControl) -> None:
        self._led(m.LedReason.REQUESTED, bool(msg.on))

    def _power_override(self, msg: m.PowerOverride) -> None:
        self.power.override(msg)
        self._report_power(force=True)

    def _led(self, reason: int, on: bool) -> None:
        reasons = self.led_reasons | reason if on else self.led_reasons & ~reason
        self.led_reasons = reasons
        lit = bool(reasons)
        if lit != self.led_on:
            self.led_on = lit
            self.led_history.append((self.clock.now_ns(), lit))
        self._send(m.LedState(on=int(lit), reasons=reasons))

    # ---------------------------------------------------------------------------- streams

    async def _camera_loop(self, ctrl: m.CameraControl) -> None:
        camera = self.camera
        assert camera is not None  # checked by _camera_control
        period_ns = round(NS_PER_S / ctrl.fps)
        self._camera_fps = ctrl.fps
        self._camera_px = ctrl.width * ctrl.height
        try:
            await self.clock.run_blocking(camera.open)
            next_t = self.clock.now_ns()
            while True:
                await self.clock.sleep_until(next_t)
                image = await self.clock.run_blocking(camera.read)
                if image is None:  # a file camera at its end: play it again
                    camera.close()
                    await self.clock.run_blocking(camera.open)
                    image = await self.clock.run_blocking(camera.read)
                    if image is None:
                        break
                self.stats.frames_captured += 1
                jpeg = _jpeg(image, ctrl.width, ctrl.height, ctrl.quality)
                if self.conn is not None and not self.conn.closed:
                    self.stats.frames_replaced += self.conn.cancel(CAMERA_GROUP)
                    self._send(
                        m.CameraFrame(
                            frame=self.stats.frames_captured,
                            t_ms=self._now_ms(),
                            width=ctrl.width,
                            height=ctrl.height,
                            jpeg=jpeg,
                        ),
                        group=CAMERA_GROUP,
                    )
                    self.stats.frames_sent += 1
                if ctrl.mode == m.CaptureMode.SINGLE:
                    break
                next_t = max(next_t + period_ns, self.clock.now_ns())
        finally:
            camera.close()
            self._camera_fps = 0.0
            if asyncio.current_task() is self._camera_task:
                self._camera_task = None
            if self._camera_task is None:
                self._led(m.LedReason.CAMERA, False)

    async def _mic_loop(self, ctrl: m.MicControl) -> None:
        mic = self.microphone
        assert mic is not None  # checked by _mic_control
        n = m.MIC_RATE * ctrl.frame_ms // 1000
        fifo = SampleFifo()
        state = adpcm.AdpcmState()
        start = self.clock.now_ns()
        frames = 0
        try:
            await self.clock.run_blocking(mic.open)
            while True:
                await self.clock.sleep_until(start + (frames + 1) * n * NS_PER_S // m.MIC_RATE)
                while len(fifo) < n:
                    chunk = await self.clock.run_blocking(mic.read)
                    if chunk is None:  # a WAV at its end: silence from now on
                        chunk = np.zeros(n, dtype=np.int16)
                    fifo.push(chunk)
                samples = fifo.pop(n)
                if ctrl.codec == m.AudioCodec.IMA_ADPCM:
                    data = adpcm.encode(samples, state)
                else:
                    data = samples.astype("<i2").tobytes()
                self._send(m.MicFrame(index=(frames * n) & 0xFFFFFFFF, codec=ctrl.codec, data=data))
                frames += 1
                self.stats.mic_frames += 1
        finally:
            mic.close()
            if asyncio.current_task() is self._mic_task:
                self._mic_task = None
            if self._mic_task is None:
                self._led(m.LedReason.MICROPHONE, False)

    def gesture(self, name: str) -> None:
        """A head gesture the IMU will show from now on (``"nod"`` or ``"shake"``, 0.6 s)."""
        if name not in ("nod", "shake"):
            raise ValueError(f"gesture must be 'nod' or 'shake', got {name!r}")
        self._imu_gesture = (name, self.clock.now_ns())

    async def _imu_loop(self, rate_hz: int) -> None:
        batch_s = 0.1
        n = max(1, round(rate_hz * batch_s))
        rng = np.random.default_rng(0)
        t = self.clock.now_ns()
        while True:
            t += round(batch_s * NS_PER_S)
            await self.clock.sleep_until(t)
            times = t - (n - 1 - np.arange(n)) * NS_PER_S // rate_hz
            samples = np.zeros((n, 6))
            samples[:, 2] = 1000.0  # 1 g down, in mg
            samples += rng.normal(0, 8, samples.shape)
            if self._imu_gesture is not None:
                name, t0 = self._imu_gesture
                phase = (times - t0) / (0.6 * NS_PER_S)
                active = (phase >= 0) & (phase <= 1)
                swing = 1500.0 * np.sin(2 * math.pi * 2 * phase) * active  # 150 °/s
                samples[:, 3 if name == "nod" else 5] += swing
                if t - t0 > 0.6 * NS_PER_S:
                    self._imu_gesture = None
            data = np.clip(np.rint(samples), -32768, 32767)
            self._send(m.ImuSamples.of((int(times[0]) // 1_000_000) & 0xFFFFFFFF, rate_hz, data))
            self.stats.imu_batches += 1

    def input(self, kind: m.InputKind) -> None:
        """A touch-pad or button event now (sent if a companion is attached)."""
        if self.conn is not None:
            self.stats.inputs_sent += 1
        self._send(m.InputEvent(t_ms=self._now_ms(), kind=int(kind)))

    async def play_inputs(self, script: list[tuple[float, str]]) -> None:
        """Play ``(t_s, what)`` events at their times (s after the call): an ``InputKind``
        name in lower case (``tap``, ``double_tap`` …) or a gesture (``nod``, ``shake``)."""
        start = self.clock.now_ns()
        for t_s, what in sorted(script):
            await self.clock.sleep_until(start + round(t_s * NS_PER_S))
            if what in ("nod", "shake"):
                self.gesture(what)
            else:
                self.input(m.InputKind[what.upper()])

    # ---------------------------------------------------------------------------- power

    def loads(self, radio_kbps: float) -> Loads:
        fb = self.framebuffer
        return Loads(
            brightness=fb.brightness / 100,
            lit=fb.lit_fraction,
            camera_fps=self._camera_fps,
            camera_px=self._camera_px,
            mic=self._mic_task is not None,
            imu=self._imu_task is not None,
            radio_kbps=radio_kbps,
        )

    async def _power_loop(self) -> None:
        tick_ns = round(self.settings.power_tick_s * NS_PER_S)
        t = self.clock.now_ns()
        traffic = 0
        while True:
            await self.clock.sleep_until(t + tick_ns)
            now = self.clock.now_ns()
            dt = (now - t) / NS_PER_S
            t = now
            moved = 0
            if self.conn is not None:
                stats = self.conn.stats
                moved = stats.bytes_sent + stats.bytes_received
            kbps = max(0, moved - traffic) * 8 / 1000 / dt if moved >= traffic else 0.0
            traffic = moved
            self.power.step(dt, self.loads(kbps))
            self._report_power()

    def _report_power(self, *, force: bool = False) -> None:
        state = self.power.state(self._now_ms())
        last = self._last_report
        now = self.clock.now_ns()
        due = now - self._last_report_ns >= self.settings.power_report_s * NS_PER_S
        if not (
            force
            or last is None
            or due
            or abs(state.level_pm - last.level_pm) >= 10
            or state.flags != last.flags
        ):
            return
        if self.conn is None:
            return
        self._last_report = state
        self._last_report_ns = now
        self.stats.power_reports += 1
        self._send(state)


def _jpeg(image: np.ndarray, width: int, height: int, quality: int) -> bytes:
    if image.shape[1] != width or image.shape[0] != height:
        shrinking = image.shape[1] > width
        image = cv2.resize(
            image, (width, height), interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR
        )
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise RuntimeError("JPEG encoding failed")
    return buf.tobytes()
