"""The link's messages: one small frozen dataclass per message type, each its own codec.

A message is carried as the payload of one or more frames of its ``TYPE`` (fragments, see
``session.py``). Fixed fields are packed little-endian by the class's ``LAYOUT`` (``struct``
codes, in field order); a message may end with one variable-length field (``TAIL``: ``"bytes"``
or ``"str"``, UTF-8) that takes the rest of the payload. A few messages with lists override
``encode``/``decode``. ``decode_message`` raises ``MessageError`` (never anything else) on a
payload that does not decode or whose values are out of range. The units are in the field names
or the class docs; times stamped by the glasses (``t_ms``) are on the glasses' clock, in ms,
modulo 2**32.

Type codes: 0x0_ link control, 0x1_ capabilities, 0x2_ display, 0x3_ camera, 0x4_ microphone,
0x5_ IMU and inputs, 0x6_ power, 0x7_ capture LED and errors. See docs/protocol.md.
"""

from __future__ import annotations

import dataclasses
import enum
import struct
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, TypeVar

import numpy as np


class MessageError(ValueError):
    """A payload that does not decode as its type's message (or an unknown type)."""


class Message:
    """Base of every message. Subclasses are frozen dataclasses registered with ``@message``."""

    TYPE: ClassVar[int] = -1
    LAYOUT: ClassVar[str] = ""  # struct codes of the fixed fields, in field order
    TAIL: ClassVar[Literal["", "bytes", "str"]] = ""
    RELIABLE: ClassVar[bool] = True  # unreliable ones fit one minimum-MTU frame (acks, pings)
    _struct: ClassVar[struct.Struct]
    _fixed: ClassVar[tuple[str, ...]]
    _tail: ClassVar[str | None]

    def encode(self) -> bytes:
        values = [getattr(self, name) for name in self._fixed]
        try:
            head = self._struct.pack(*values)
        except struct.error as exc:
            raise ValueError(f"{type(self).__name__}: {exc}") from None
        if self._tail is None:
            return head
        tail = getattr(self, self._tail)
        return head + (tail.encode("utf-8") if isinstance(tail, str) else bytes(tail))

    @classmethod
    def decode(cls: type[M], payload: bytes) -> M:
        size = cls._struct.size
        if len(payload) < size or (cls._tail is None and len(payload) != size):
            raise MessageError(
                f"{cls.__name__}: {len(payload)} bytes, expected "
                + (f"at least {size}" if cls._tail is not None else str(size))
            )
        fixed = cls._struct.unpack_from(payload)
        kwargs: dict[str, Any] = dict(zip(cls._fixed, fixed, strict=True))
        if cls._tail is not None:
            rest = bytes(payload[size:])
            if cls.TAIL == "str":
                try:
                    kwargs[cls._tail] = rest.decode("utf-8")
                except UnicodeDecodeError as exc:
                    raise MessageError(f"{cls.__name__}: text is not UTF-8 ({exc})") from None
            else:
                kwargs[cls._tail] = rest
        return _build(cls, kwargs)


M = TypeVar("M", bound=Message)

MESSAGES: dict[int, type[Message]] = {}


def message(cls: type[M]) -> type[M]:
    """Register a message class (apply above ``@dataclass``) and compile its codec."""
    if cls.TYPE in MESSAGES:
        raise TypeError(f"message type 0x{cls.TYPE:02x} used twice")
    names = tuple(f.name for f in dataclasses.fields(cls))  # type: ignore[arg-type]
    tail = names[-1] if cls.TAIL else None
    fixed = names[:-1] if cls.TAIL else names
    compiled = struct.Struct("<" + cls.LAYOUT)
    custom = "decode" in vars(cls)  # a message with lists packs itself
    if not custom and len(compiled.unpack(bytes(compiled.size))) != len(fixed):
        raise TypeError(f"{cls.__name__}: LAYOUT {cls.LAYOUT!r} does not match its fields")
    cls._struct = compiled
    cls._fixed = fixed
    cls._tail = tail
    MESSAGES[cls.TYPE] = cls
    return cls


def _build(cls: type[M], kwargs: dict[str, Any]) -> M:
    try:
        return cls(**kwargs)
    except (ValueError, TypeError) as exc:
        raise MessageError(f"{cls.__name__}: {exc}") from None


def decode_message(type_code: int, payload: bytes) -> Message:
    """The message of type ``type_code`` carried by ``payload``; ``MessageError`` otherwise."""
    cls = MESSAGES.get(type_code)
    if cls is None:
        raise MessageError(f"unknown message type 0x{type_code:02x}")
    return cls.decode(payload)


def _check(ok: bool, text: str) -> None:
    if not ok:
        raise ValueError(text)


# --------------------------------------------------------------------------------------------
# Link control (0x0_): unreliable acks and heartbeats, then the pairing handshake.


@message
@dataclass(frozen=True, slots=True)
class Ack(Message):
    """Selective acknowledgement, beside the cumulative ``ack`` of the frame header: bit i of
    ``sack`` set = reliable frame ``ack + 1 + i`` has arrived (out of order)."""

    TYPE = 0x01
    LAYOUT = "Q"
    RELIABLE = False
    sack: int = 0


@message
@dataclass(frozen=True, slots=True)
class Ping(Message):
    """Heartbeat; the peer answers ``Pong`` with the same ``token`` (the sender's ms clock)."""

    TYPE = 0x02
    LAYOUT = "I"
    RELIABLE = False
    token: int = 0


@message
@dataclass(frozen=True, slots=True)
class Pong(Message):
    TYPE = 0x03
    LAYOUT = "I"
    RELIABLE = False
    token: int = 0


NONCE_BYTES = 16
MAC_BYTES = 32


@message
@dataclass(frozen=True, slots=True)
class Hello(Message):
    """Companion → glasses, first: protocol ``version``, the largest frame it takes
    (``mtu``, bytes), its receive ``window`` (frames), the ``session`` it wants to resume
    (0: a new one), a fresh ``nonce`` and its ``name``."""

    TYPE = 0x08
    LAYOUT = f"BHBI{NONCE_BYTES}s"
    TAIL = "str"
    version: int
    mtu: int
    window: int
    session: int
    nonce: bytes
    name: str = ""

    def __post_init__(self) -> None:
        _check(len(self.nonce) == NONCE_BYTES, f"nonce must be {NONCE_BYTES} bytes")


@message
@dataclass(frozen=True, slots=True)
class Challenge(Message):
    """Glasses → companion: the agreed ``mtu`` and ``window`` and the glasses' ``nonce``."""

    TYPE = 0x09
    LAYOUT = f"HB{NONCE_BYTES}s"
    mtu: int
    window: int
    nonce: bytes

    def __post_init__(self) -> None:
        _check(len(self.nonce) == NONCE_BYTES, f"nonce must be {NONCE_BYTES} bytes")


@message
@dataclass(frozen=True, slots=True)
class Auth(Message):
    """Companion → glasses: ``mac`` = HMAC-SHA256(key, "companion" proof, see pairing.py)."""

    TYPE = 0x0A
    LAYOUT = f"{MAC_BYTES}s"
    mac: bytes

    def __post_init__(self) -> None:
        _check(len(self.mac) == MAC_BYTES, f"mac must be {MAC_BYTES} bytes")


@message
@dataclass(frozen=True, slots=True)
class Welcome(Message):
    """Glasses → companion once ``Auth`` checks out: the glasses' own proof ``mac``, the
    ``session`` id and whether the state of the session asked for was kept (``resumed``)."""

    TYPE = 0x0B
    LAYOUT = f"{MAC_BYTES}sIB"
    mac: bytes
    session: int
    resumed: int = 0

    def __post_init__(self) -> None:
        _check(len(self.mac) == MAC_BYTES, f"mac must be {MAC_BYTES} bytes")


class RefuseCode(enum.IntEnum):
    NOT_PAIRED = 1  # the proof did not match the shared key
    VERSION = 2  # protocol version not supported
    PROTOCOL = 3  # a message out of turn (not paired yet, or a second Hello)
    BUSY = 4  # another companion is connected


@message
@dataclass(frozen=True, slots=True)
class Refused(Message):
    """Either side, before closing: why the connection is refused (``code``: ``RefuseCode``)."""

    TYPE = 0x0C
    LAYOUT = "B"
    TAIL = "str"
    code: int
    reason: str = ""


@message
@dataclass(frozen=True, slots=True)
class Bye(Message):
    """Either side: an orderly close."""

    TYPE = 0x0D
    TAIL = "str"
    reason: str = ""


# --------------------------------------------------------------------------------------------
# Capabilities (0x1_)


class AudioCodec(enum.IntEnum):
    PCM16 = 0  # 16-bit little-endian PCM
    IMA_ADPCM = 1  # 4 bits per sample, a 3-byte state header per frame (adpcm.py)


@dataclass(frozen=True, slots=True)
class CameraMode:
    width: int  # px
    height: int  # px
    fps: int  # frames/s at most


@message
@dataclass(frozen=True, slots=True)
class Capabilities(Message):
    """Glasses → companion after ``Welcome``: the display (``width``×``height`` px,
    ``bpp`` 1 or 4 bits per pixel, named ``profile``), the camera's ``modes``, the audio
    codecs offered (bit i = ``AudioCodec(i)``), the IMU's rate (Hz) and the battery capacity
    (mAh)."""

    TYPE = 0x10
    LAYOUT = "HHBBHHB"
    TAIL = "str"
    width: int
    height: int
    bpp: int
    audio_codecs: int
    imu_hz: int
    battery_mah: int
    firmware: int  # firmware version
    profile: str = ""
    modes: tuple[CameraMode, ...] = ()

    def __post_init__(self) -> None:
        _check(self.bpp in (1, 4), f"bpp must be 1 or 4, got {self.bpp}")
        _check(len(self.modes) <= 255, "at most 255 camera modes")

    def encode(self) -> bytes:
        head = struct.pack(
            "<HHBBHHBB",
            self.width,
            self.height,
            self.bpp,
            self.audio_codecs,
            self.imu_hz,
            self.battery_mah,
            self.firmware,
            len(self.modes),
        )
        modes = b"".join(struct.pack("<HHB", m.width, m.height, m.fps) for m in self.modes)
        return head + modes + self.profile.encode("utf-8")

    @classmethod
    def decode(cls, payload: bytes) -> Capabilities:
        head = struct.Struct("<HHBBHHBB")
        if len(payload) < head.size:
            raise MessageError(f"Capabilities: {len(payload)} bytes, expected at least 12")
        *fixed, n = head.unpack_from(payload)
        end = head.size + 5 * n
        if len(payload) < end:
            raise MessageError(f"Capabilities: {n} camera modes do not fit {len(payload)} bytes")
        modes = tuple(
            CameraMode(*struct.unpack_from("<HHB", payload, head.size + 5 * i)) for i in range(n)
        )
        try:
            profile = bytes(payload[end:]).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise MessageError(f"Capabilities: profile is not UTF-8 ({exc})") from None
        names = ("width", "height", "bpp", "audio_codecs", "imu_hz", "battery_mah", "firmware")
        kwargs = dict(zip(names, fixed, strict=True))
        return _build(cls, {**kwargs, "profile": profile, "modes": modes})


# --------------------------------------------------------------------------------------------
# Display (0x2_): commands draw on a back buffer; DisplayPage shows it.


@message
@dataclass(frozen=True, slots=True)
class DisplayClear(Message):
    """Fill the back buffer with palette index ``colour`` (0: off)."""

    TYPE = 0x20
    LAYOUT = "B"
    colour: int = 0


@message
@dataclass(frozen=True, slots=True)
class DisplayText(Message):
    """Draw ``text`` (one line) with its top-left at (``x``, ``y``) px, in the HUD font at
    ``size`` px, palette index ``colour``."""

    TYPE = 0x21
    LAYOUT = "hhBB"
    TAIL = "str"
    x: int
    y: int
    size: int
    colour: int
    text: str

    def __post_init__(self) -> None:
        _check(self.size >= 6, f"text size must be >= 6 px, got {self.size}")


class BitmapCodec(enum.IntEnum):
    RAW = 0  # packed pixels, rows padded to a byte
    DEFLATE = 1  # the same, zlib-compressed
    DELTA_DEFLATE = 2  # each pixel minus its left neighbour (mod 2**bpp), packed, compressed


@message
@dataclass(frozen=True, slots=True)
class DisplayBitmap(Message):
    """Pixels of the region at (``x``, ``y``), ``width``×``height`` px, ``bpp`` 1 or 4
    (palette index 0/1, or 0..15), packed high nibble/bit first.

    Progressive images (progressive.py): ``image`` ids one image; the data holds only the
    pixels of pass ``pass_index`` (1-based) of ``passes`` (1: every pixel, in one go); a pass of
    an older image than the newest seen for the same region is ignored.
    """

    TYPE = 0x22
    LAYOUT = "HHHHBHBBB"
    TAIL = "bytes"
    x: int
    y: int
    width: int
    height: int
    bpp: int
    image: int
    pass_index: int
    passes: int
    codec: int
    data: bytes

    def __post_init__(self) -> None:
        _check(self.bpp in (1, 4), f"bpp must be 1 or 4, got {self.bpp}")
        _check(self.width >= 1 and self.height >= 1, "an empty bitmap")
        _check(1 <= self.pass_index <= self.passes, "pass_index must be within 1..passes")
        _check(self.codec in tuple(BitmapCodec), f"unknown bitmap codec {self.codec}")


@message
@dataclass(frozen=True, slots=True)
class DisplayPage(Message):
    """Show the back buffer: it becomes page ``page`` (an id the companion counts)."""

    TYPE = 0x23
    LAYOUT = "I"
    page: int


@message
@dataclass(frozen=True, slots=True)
class DisplayBrightness(Message):
    """Display brightness, ``percent`` 0..100 (0: off)."""

    TYPE = 0x24
    LAYOUT = "B"
    percent: int

    def __post_init__(self) -> None:
        _check(0 <= self.percent <= 100, f"percent must be within 0..100, got {self.percent}")


# --------------------------------------------------------------------------------------------
# Camera (0x3_)


class CaptureMode(enum.IntEnum):
    STOP = 0
    SINGLE = 1  # one capture (a photo)
    STREAM = 2  # frames at ``fps`` until STOP


@message
@dataclass(frozen=True, slots=True)
class CameraControl(Message):
    """Companion → glasses: ``mode`` (``CaptureMode``), the JPEG ``width``×``height`` px and
    ``quality`` (1..100), and the stream's ``fps`` (frames/s). The capture LED is on while the
    camera captures."""

    TYPE = 0x30
    LAYOUT = "BHHBf"
    mode: int
    width: int = 640
    height: int = 480
    quality: int = 80
    fps: float = 10.0

    def __post_init__(self) -> None:
        _check(self.mode in tuple(CaptureMode), f"unknown camera mode {self.mode}")
        _check(1 <= self.quality <= 100, f"quality must be within 1..100, got {self.quality}")
        _check(0 < self.fps <= 120, f"fps must be within (0, 120], got {self.fps}")


@message
@dataclass(frozen=True, slots=True)
class CameraFrame(Message):
    """Glasses → companion: JPEG ``jpeg`` of frame number ``frame``, captured at ``t_ms``."""

    TYPE = 0x31
    LAYOUT = "IIHH"
    TAIL = "bytes"
    frame: int
    t_ms: int
    width: int
    height: int
    jpeg: bytes


# --------------------------------------------------------------------------------------------
# Microphone (0x4_): 16 kHz mono


MIC_RATE = 16_000


@message
@dataclass(frozen=True, slots=True)
class MicControl(Message):
    """Companion → glasses: stream the microphone (``on``) as ``codec`` (``AudioCodec``) in
    frames of ``frame_ms`` (10 or 20) ms."""

    TYPE = 0x40
    LAYOUT = "BBB"
    on: int
    codec: int = AudioCodec.PCM16
    frame_ms: int = 20

    def __post_init__(self) -> None:
        _check(self.codec in tuple(AudioCodec), f"unknown audio codec {self.codec}")
        _check(self.frame_ms in (10, 20), f"frame_ms must be 10 or 20, got {self.frame_ms}")


@message
@dataclass(frozen=True, slots=True)
class MicFrame(Message):
    """Glasses → companion: audio starting at sample ``index`` (16 kHz, counted from the start
    of the stream) in ``codec``."""

    TYPE = 0x41
    LAYOUT = "IB"
    TAIL = "bytes"
    index: int
    codec: int
    data: bytes

    def __post_init__(self) -> None:
        _check(self.codec in tuple(AudioCodec), f"unknown audio codec {self.codec}")
        if self.codec == AudioCodec.PCM16:
            _check(len(self.data) % 2 == 0, "PCM16 data must be whole samples")
        else:
            _check(len(self.data) >= 3, "ADPCM data needs its 3-byte state header")


# --------------------------------------------------------------------------------------------
# IMU and inputs (0x5_)


@message
@dataclass(frozen=True, slots=True)
class ImuControl(Message):
    """Companion → glasses: IMU samples at ``rate_hz`` (0: off)."""

    TYPE = 0x50
    LAYOUT = "H"
    rate_hz: int


@message
@dataclass(frozen=True, slots=True)
class ImuSamples(Message):
    """Glasses → companion: samples at ``rate_hz`` from ``t_ms``: each six int16, the
    acceleration in mg (x, y, z) then the rotation rate in 0.1 °/s (x, y, z)."""

    TYPE = 0x51
    LAYOUT = "IH"
    TAIL = "bytes"
    t_ms: int
    rate_hz: int
    data: bytes

    def __post_init__(self) -> None:
        _check(len(self.data) % 12 == 0, "IMU data must be whole 12-byte samples")
        _check(self.rate_hz > 0, "rate_hz must be > 0")

    @property
    def samples(self) -> np.ndarray:
        """N×6 int16."""
        return np.frombuffer(self.data, dtype="<i2").reshape(-1, 6)

    @classmethod
    def of(cls, t_ms: int, rate_hz: int, samples: np.ndarray) -> ImuSamples:
        arr = np.asarray(samples, dtype="<i2").reshape(-1, 6)
        return cls(t_ms=t_ms, rate_hz=rate_hz, data=arr.tobytes())


class InputKind(enum.IntEnum):
    TAP = 1
    DOUBLE_TAP = 2
    SWIPE_FORWARD = 3
    SWIPE_BACK = 4
    BUTTON = 5
    LONG_PRESS = 6


@message
@dataclass(frozen=True, slots=True)
class InputEvent(Message):
    """Glasses → companion: a touch-pad or button input (``kind``: ``InputKind``) at ``t_ms``."""

    TYPE = 0x52
    LAYOUT = "IB"
    t_ms: int
    kind: int

    def __post_init__(self) -> None:
        _check(self.kind in tuple(InputKind), f"unknown input kind {self.kind}")


# --------------------------------------------------------------------------------------------
# Power (0x6_)


class PowerFlag(enum.IntFlag):
    LOW = 1  # battery below the low threshold
    CRITICAL = 2  # about to shut down
    HOT = 4  # temperature above the throttle threshold
    CHARGING = 8


@message
@dataclass(frozen=True, slots=True)
class PowerState(Message):
    """Glasses → companion, periodically and on change: battery level in 0.1 % (``level_pm``,
    per mille), cell voltage (mV), current drawn (mA, negative while charging), temperature in
    0.1 °C, ``flags`` (``PowerFlag``) and the estimated minutes left."""

    TYPE = 0x60
    LAYOUT = "IHHhhBH"
    t_ms: int
    level_pm: int
    voltage_mv: int
    current_ma: int
    temp_dc: int
    flags: int
    minutes_left: int

    def __post_init__(self) -> None:
        _check(0 <= self.level_pm <= 1000, f"level_pm must be within 0..1000, got {self.level_pm}")


@message
@dataclass(frozen=True, slots=True)
class PowerOverride(Message):
    """Companion → glasses, in simulation only (a firmware stub): set the battery level
    (per mille; 0xFFFF leaves it), the ambient temperature (0.1 °C; -32768 leaves it) and
    whether it charges (0, 1; 255 leaves it). Scenario steps use it."""

    TYPE = 0x61
    LAYOUT = "HhB"
    level_pm: int = 0xFFFF
    ambient_dc: int = -32768
    charging: int = 255


# --------------------------------------------------------------------------------------------
# Capture LED (0x7_) and errors


@message
@dataclass(frozen=True, slots=True)
class LedControl(Message):
    """Companion → glasses: the capture LED on or off (the glasses keep it on anyway while the
    camera or microphone captures)."""

    TYPE = 0x70
    LAYOUT = "B"
    on: int


class LedReason(enum.IntFlag):
    CAMERA = 1
    MICROPHONE = 2
    REQUESTED = 4


@message
@dataclass(frozen=True, slots=True)
class LedState(Message):
    """Glasses → companion on every change: the LED (``on``) and why (``LedReason`` flags)."""

    TYPE = 0x71
    LAYOUT = "BB"
    on: int
    reasons: int = 0


@message
@dataclass(frozen=True, slots=True)
class ErrorReport(Message):
    """Either side: a message of type ``ref_type`` was received but could not be carried out
    (bad geometry, unsupported mode); ``code`` 1 = invalid, 2 = unsupported."""

    TYPE = 0x7F
    LAYOUT = "BB"
    TAIL = "str"
    ref_type: int
    code: int
    text: str = ""
