"""The glasses' battery and temperature, and the degrade modes that follow them.

``PowerStatus`` is what any device reports (the level 0..1, the temperature and whether it is
too hot, charging, the minutes left); a ``PowerSource`` hands it to its subscribers: the
glasses over the link (``glasses.devices.link.power.LinkPower``) or, in the simulator, a
``SimBattery`` that scenario steps set (``battery: 15%``).

``PowerGovernor`` follows a source and steps through the degrade modes in this order, each
keeping the ones before it:

=========================  ============  ===============================================
mode                       battery ≤     what changes
=========================  ============  ===============================================
``CAMERA_RESOLUTION``      30 %          camera one resolution down (640×480 → 320×240)
``CAMERA_FPS``             20 %          camera at half the frame rate; "Battery low" card
``PERCEPTION``             10 %          perception duty cycle halved (``duty_cycle``)
``DISPLAY``                 5 %          display brightness 50 %; "Battery critical" card
=========================  ============  ===============================================

A device too hot (``thermal == "hot"``) is at least ``CAMERA_RESOLUTION``. Coming back up
needs the level ``hysteresis_pm`` above a threshold, so a level hovering at one does not flap.
The warning cards are ``HudUpdate`` toasts published on the bus, once per descent.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

import numpy as np

from glasses.devices.protocols import Camera
from glasses.runtime.clock import Clock
from glasses.runtime.events import Card, Event, HudUpdate

Thermal = Literal["normal", "warm", "hot"]
"""``hot``: over the device's throttle limit; ``warm``: within ``WARM_MARGIN_C`` of it."""

HOT_C = 41.0  # °C, skin-contact limit of the simulated glasses (firmware_stubs: the HOT flag)
WARM_MARGIN_C = 5.0


@dataclass(frozen=True, slots=True, kw_only=True)
class PowerStatus:
    """``level``: charge 0..1; ``temperature_c``: °C (None: not reported); ``thermal``;
    ``charging``; ``minutes_left`` at the present draw (None: unknown)."""

    level: float
    temperature_c: float | None = None
    thermal: Thermal = "normal"
    charging: bool = False
    minutes_left: int | None = None

    def __post_init__(self) -> None:
        if not (math.isfinite(self.level) and 0.0 <= self.level <= 1.0):
            raise ValueError(f"level must be within 0..1, got {self.level}")

    @property
    def percent(self) -> int:
        return round(self.level * 100)

    def describe(self) -> str:
        """``battery 15 %`` and what else is worth a glance: ``, charging``, ``, hot 43 °C``."""
        text = f"battery {self.percent} %"
        if self.charging:
            text += ", charging"
        if self.thermal != "normal":
            text += f", {self.thermal}"
            if self.temperature_c is not None:
                text += f" {self.temperature_c:.0f} °C"
        return text


def thermal_of(temperature_c: float, hot_c: float = HOT_C) -> Thermal:
    if temperature_c >= hot_c:
        return "hot"
    return "warm" if temperature_c >= hot_c - WARM_MARGIN_C else "normal"


class PowerSource(Protocol):
    """Reports ``PowerStatus``: ``status`` is the latest (None: nothing reported yet);
    ``subscribe`` calls back with each new one."""

    @property
    def status(self) -> PowerStatus | None: ...

    def subscribe(self, callback: Callable[[PowerStatus], None]) -> None: ...


class SimBattery:
    """A battery the simulator sets (scenario steps ``battery:``); it does not drain by itself
    (the glasses' model in ``firmware_stubs`` does)."""

    def __init__(self, level: float = 1.0, *, temperature_c: float = 30.0) -> None:
        self._status = PowerStatus(level=level, temperature_c=temperature_c)
        self._callbacks: list[Callable[[PowerStatus], None]] = []

    @property
    def status(self) -> PowerStatus:
        return self._status

    def subscribe(self, callback: Callable[[PowerStatus], None]) -> None:
        self._callbacks.append(callback)

    def set(
        self,
        *,
        level: float | None = None,
        temperature_c: float | None = None,
        charging: bool | None = None,
    ) -> None:
        """Change what is given (the rest stays) and tell the subscribers."""
        s = self._status
        temp = s.temperature_c if temperature_c is None else temperature_c
        self._status = PowerStatus(
            level=s.level if level is None else level,
            temperature_c=temp,
            thermal=thermal_of(temp) if temp is not None else "normal",
            charging=s.charging if charging is None else charging,
        )
        for callback in tuple(self._callbacks):
            callback(self._status)


@runtime_checkable
class Throttled(Protocol):
    """A camera the governor can slow: a cap on the width (px; None: none) and a frame-rate
    scale; ``asked`` is (width, height, fps) after them."""

    max_width: int | None

    @property
    def asked(self) -> tuple[int, int, float]: ...

    def limit(self, max_width: int | None = None, fps_scale: float = 1.0) -> None: ...


@runtime_checkable
class Dimmable(Protocol):
    def set_brightness(self, percent: int) -> None: ...


_VIEW_STRIDE = 1 << 16


class LimitedCamera:
    """Any ``Camera`` made ``Throttled``: frames wider than the cap are scaled down (by an
    integer factor, as a sensor bins), and the frame rate is scaled. ``view`` is passed on."""

    def __init__(self, camera: Camera) -> None:
        self.camera = camera
        self.max_width: int | None = None
        self.fps_scale = 1.0
        self._scaled: tuple[np.ndarray, np.ndarray] | None = None  # (source, scaled)
        self._limits = 0  # changes of the limits so far (they make a new view)

    @property
    def uri(self) -> str:
        return self.camera.uri

    @property
    def live(self) -> bool:
        return self.camera.live

    @property
    def view(self) -> int | None:
        """The camera's scene number, made new by every change of the limits: the same scene
        at another size is another view (a perception stage must not reuse its results)."""
        base = getattr(self.camera, "view", None)
        return None if base is None else base * _VIEW_STRIDE + self._limits % _VIEW_STRIDE

    @property
    def fps(self) -> float:
        return max(0.5, self.camera.fps * self.fps_scale)

    def _factor(self, width: int) -> int:
        cap = self.max_width
        return 1 if cap is None or width <= cap else math.ceil(width / max(1, cap))

    @property
    def width(self) -> int:
        return self.camera.width // self._factor(self.camera.width)

    @property
    def height(self) -> int:
        return self.camera.height // self._factor(self.camera.width)

    @property
    def asked(self) -> tuple[int, int, float]:
        return self.width, self.height, self.fps

    def limit(self, max_width: int | None = None, fps_scale: float = 1.0) -> None:
        if (max_width, fps_scale) != (self.max_width, self.fps_scale):
            self._limits += 1
        self.max_width, self.fps_scale = max_width, fps_scale

    def describe(self) -> str:
        """The camera's own description (its size before any limit)."""
        return self.camera.describe()

    def open(self) -> None:
        self.camera.open()

    def close(self) -> None:
        self.camera.close()

    def read(self) -> np.ndarray | None:
        image = self.camera.read()
        if image is None:
            return None
        k = self._factor(image.shape[1])
        if k == 1:
            return image
        cached = self._scaled
        if cached is not None and cached[0] is image:  # one view, one array: scale it once
            return cached[1]
        h, w = image.shape[0] // k * k, image.shape[1] // k * k
        binned = image[:h, :w].reshape(h // k, k, w // k, k, -1).mean(axis=(1, 3))
        scaled = binned.astype(np.uint8)
        scaled.flags.writeable = False
        self._scaled = (image, scaled)
        return scaled


class DegradeMode(enum.IntEnum):
    NORMAL = 0
    CAMERA_RESOLUTION = 1
    CAMERA_FPS = 2
    PERCEPTION = 3
    DISPLAY = 4


@dataclass(frozen=True, slots=True)
class DegradePolicy:
    """``thresholds_pm``: battery level (‰) at or under which each mode from
    ``CAMERA_RESOLUTION`` to ``DISPLAY`` starts; ``hysteresis_pm``: how far above a threshold
    the level must climb to leave its mode; camera cap (px wide), frame-rate scale, duty cycle
    and brightness (%) of the degraded modes."""

    thresholds_pm: tuple[int, int, int, int] = (300, 200, 100, 50)
    hysteresis_pm: int = 20
    camera_max_width: int = 320
    fps_scale: float = 0.5
    duty_cycle: float = 0.5
    brightness_percent: int = 50

    def __post_init__(self) -> None:
        t = self.thresholds_pm
        if list(t) != sorted(t, reverse=True) or not 0 <= t[-1] <= t[0] <= 1000:
            raise ValueError(f"thresholds_pm must fall from ≤ 1000 to ≥ 0, got {t}")


WARNINGS = (
    (DegradeMode.DISPLAY, "Battery critical"),
    (DegradeMode.CAMERA_FPS, "Battery low"),
)


class PowerGovernor:
    """Applies ``DegradePolicy`` to ``camera`` and ``display`` from ``source``'s reports;
    ``publish`` (the runtime's) gets the warning cards. ``mode``, ``duty_cycle``, ``status``
    and ``history`` ((t_ns, mode) at each change) tell what it did. ``camera`` and
    ``display`` may be set later (a session hands them over as its loops start)."""

    def __init__(
        self,
        source: PowerSource,
        clock: Clock,
        *,
        camera: Throttled | None = None,
        display: Dimmable | None = None,
        publish: Callable[[Event], None] | None = None,
        policy: DegradePolicy | None = None,
        on_mode: Callable[[PowerGovernor], None] | None = None,
    ) -> None:
        self.source = source
        self.clock = clock
        self.camera = camera
        self.display = display
        self.publish = publish
        self.on_mode = on_mode
        self.policy = policy or DegradePolicy()
        self.mode = DegradeMode.NORMAL
        self.status: PowerStatus | None = None
        self.history: list[tuple[int, DegradeMode]] = []
        self._warned: set[DegradeMode] = set()
        source.subscribe(self.update)
        if source.status is not None:
            self.update(source.status)

    @property
    def level_pm(self) -> int | None:
        return None if self.status is None else round(self.status.level * 1000)

    @property
    def duty_cycle(self) -> float:
        """The share of frames perception should run on (1.0 unless in ``PERCEPTION``)."""
        return self.policy.duty_cycle if self.mode >= DegradeMode.PERCEPTION else 1.0

    def _target(self, status: PowerStatus) -> DegradeMode:
        p = self.policy
        level = round(status.level * 1000)
        target = DegradeMode.NORMAL
        for i, threshold in enumerate(p.thresholds_pm, start=1):
            mode = DegradeMode(i)
            # Entering takes the threshold; staying needs hysteresis above it to leave.
            limit = threshold + p.hysteresis_pm if self.mode >= mode else threshold
            if level <= limit:
                target = mode
        if status.thermal == "hot":
            target = max(target, DegradeMode.CAMERA_RESOLUTION)
        return target

    def update(self, status: PowerStatus) -> None:
        self.status = status
        target = self._target(status)
        if target == self.mode:
            return
        self.mode = target
        self.history.append((self.clock.now_ns(), target))
        self.apply()
        if self.on_mode is not None:
            self.on_mode(self)

    def apply(self) -> None:
        """Put the present mode into effect on the camera and the display (and warn)."""
        p = self.policy
        mode = self.mode
        if self.camera is not None:
            self.camera.limit(
                p.camera_max_width if mode >= DegradeMode.CAMERA_RESOLUTION else None,
                p.fps_scale if mode >= DegradeMode.CAMERA_FPS else 1.0,
            )
        if self.display is not None:
            self.display.set_brightness(
                p.brightness_percent if mode >= DegradeMode.DISPLAY else 100
            )
        # One card for the most severe warning newly reached; a warning left behind (the
        # battery charged) may be given again on the next descent.
        for warn, _ in WARNINGS:
            if mode < warn:
                self._warned.discard(warn)
        for warn, title in WARNINGS:
            if mode >= warn:
                if warn not in self._warned:
                    self._warn(title)
                self._warned.update(w for w, _ in WARNINGS if w <= warn)
                break

    def _warn(self, title: str) -> None:
        if self.publish is None or self.status is None:
            return
        status = self.status
        body = f"{status.percent} %"
        if status.minutes_left is not None:
            body += f", about {status.minutes_left} min left"
        camera = self.camera
        if camera is not None and camera.max_width is not None:
            w, h, fps = camera.asked
            body += f"; camera {w}×{h} at {fps:g} fps"
        card = Card(title=title, body=body, layout="toast", ttl_s=6.0)
        self.publish(HudUpdate(t_ns=self.clock.now_ns(), source="power", card=card))
