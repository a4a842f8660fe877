"""Test helpers shipped with the link: one sample of every message, and two sessions wired
back to back on a step clock (no event loop), for reproductions, the fuzzer and the tests."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from glasses.devices.link import messages as m
from glasses.devices.link.session import LinkSession, SessionSettings


def sample_messages() -> list[m.Message]:
    """One message of every registered type, with every field away from its default."""
    samples: list[m.Message] = [
        m.Ack(sack=0x8000_0000_0000_0001),
        m.Ping(token=123456),
        m.Pong(token=0xFFFFFFFF),
        m.Hello(version=1, mtu=244, window=32, session=7, nonce=bytes(range(16)), name="phone"),
        m.Challenge(mtu=185, window=16, nonce=bytes(range(16, 32))),
        m.Auth(mac=bytes(range(32))),
        m.Welcome(mac=bytes(range(32, 64)), session=7, resumed=1),
        m.Refused(code=m.RefuseCode.NOT_PAIRED, reason="not paired"),
        m.Bye(reason="bye ✓"),
        m.Capabilities(
            width=576,
            height=288,
            bpp=4,
            audio_codecs=0b11,
            imu_hz=100,
            battery_mah=160,
            firmware=3,
            profile="g2",
            modes=(m.CameraMode(640, 480, 15), m.CameraMode(320, 240, 30)),
        ),
        m.DisplayClear(colour=2),
        m.DisplayText(x=-4, y=300, size=24, colour=12, text="Größe 12 °C — ok"),
        m.DisplayBitmap(
            x=8,
            y=16,
            width=5,
            height=3,
            bpp=4,
            image=9,
            pass_index=2,
            passes=5,
            codec=m.BitmapCodec.DEFLATE,
            data=b"\x01\x23\x45",
        ),
        m.DisplayPage(page=42),
        m.DisplayBrightness(percent=30),
        m.CameraControl(mode=m.CaptureMode.STREAM, width=320, height=240, quality=60, fps=7.5),
        m.CameraFrame(frame=3, t_ms=1234, width=320, height=240, jpeg=b"\xff\xd8" + bytes(500)),
        m.MicControl(on=1, codec=m.AudioCodec.IMA_ADPCM, frame_ms=10),
        m.MicFrame(index=320, codec=m.AudioCodec.PCM16, data=np.arange(320, dtype="<i2").tobytes()),
        m.ImuControl(rate_hz=50),
        m.ImuSamples.of(5000, 50, np.arange(-12, 12).reshape(4, 6)),
        m.InputEvent(t_ms=99, kind=m.InputKind.SWIPE_BACK),
        m.PowerState(
            t_ms=60_000,
            level_pm=734,
            voltage_mv=3912,
            current_ma=-45,
            temp_dc=312,
            flags=m.PowerFlag.HOT | m.PowerFlag.CHARGING,
            minutes_left=95,
        ),
        m.PowerOverride(level_pm=150, ambient_dc=350, charging=0),
        m.LedControl(on=1),
        m.LedState(on=1, reasons=m.LedReason.CAMERA | m.LedReason.REQUESTED),
        m.ErrorReport(ref_type=0x22, code=1, text="bitmap outside the display"),
    ]
    return samples


class StepClock:
    """A clock that moves only when told (``now_ns``, ``advance``)."""

    def __init__(self) -> None:
        self.t = 0

    def now_ns(self) -> int:
        return self.t

    def advance(self, ns: int) -> None:
        self.t += max(0, ns)


class SessionPair:
    """Sessions ``a`` and ``b`` wired back to back; ``drop(frame_bytes, a_to_b)`` may lose a
    frame (True) on the way. ``run`` moves both until idle, jumping the clock to the next
    deadline when nothing moves; ``got_a``/``got_b`` collect what each received."""

    def __init__(
        self,
        settings: SessionSettings | None = None,
        *,
        drop: Callable[[bytes, bool], bool] | None = None,
    ) -> None:
        self.clock = StepClock()
        self.a = LinkSession(self.clock.now_ns, settings)
        self.b = LinkSession(self.clock.now_ns, settings)
        self.drop = drop or (lambda data, a_to_b: False)
        self.got_a: list[m.Message] = []
        self.got_b: list[m.Message] = []

    def step(self) -> bool:
        """One exchange both ways; True if any frame moved."""
        moved = False
        for src, dst, got, forward in (
            (self.a, self.b, self.got_b, True),
            (self.b, self.a, self.got_a, False),
        ):
            for data in src.poll():
                moved = True
                if not self.drop(data, forward):
                    got.extend(dst.receive(data))
        return moved

    def run(self, *, until_idle: bool = True, max_s: float = 60.0) -> None:
        """Exchange until both sides are idle (or ``max_s`` of clock time has passed)."""
        end = self.clock.t + round(max_s * 1e9)
        while self.clock.t < end:
            if self.step():
                continue
            if until_idle and self.a.idle and self.b.idle:
                return
            deadlines = [d for d in (self.a.next_deadline_ns(), self.b.next_deadline_ns()) if d]
            if not deadlines:
                return
            self.clock.t = max(self.clock.t + 1, min(deadlines))
