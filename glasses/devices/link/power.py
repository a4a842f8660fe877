"""Battery-driven degrade modes: the glasses' ``PowerState`` decides how much they are asked.

``PowerGovernor`` follows the battery the glasses report and steps through the modes in this
order, each keeping the ones before it:

=========================  ============  ===============================================
mode                       battery ≤     what changes
=========================  ============  ===============================================
``CAMERA_RESOLUTION``      30 %          camera one resolution down (640×480 → 320×240)
``CAMERA_FPS``             20 %          camera at half the frame rate; "Battery low" card
``PERCEPTION``             10 %          perception duty cycle halved (``duty_cycle``)
``DISPLAY``                 5 %          display brightness 50 %; "Battery critical" card
=========================  ============  ===============================================

A frame too hot (``PowerFlag.HOT``) is at least ``CAMERA_RESOLUTION``. Coming back up needs
the level ``hysteresis_pm`` above a threshold, so a level hovering at one does not flap. The
warning cards are ``HudUpdate`` toasts published on the bus, once per descent.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass

from glasses.devices.link import messages as m
from glasses.devices.link.client import LinkClient
from glasses.devices.link.devices import LinkCamera, LinkDisplay
from glasses.runtime.events import Card, Event, HudUpdate


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


class PowerGovernor:
    """Applies ``DegradePolicy`` to ``camera`` and ``display`` from ``client``'s power reports;
    ``publish`` (the runtime's) gets the warning cards. ``mode``, ``duty_cycle`` and
    ``history`` ((t_ns, mode) at each change) tell what it did."""

    def __init__(
        self,
        client: LinkClient,
        *,
        camera: LinkCamera | None = None,
        display: LinkDisplay | None = None,
        publish: Callable[[Event], None] | None = None,
        policy: DegradePolicy | None = None,
    ) -> None:
        self.client = client
        self.camera = camera
        self.display = display
        self.publish = publish
        self.policy = policy or DegradePolicy()
        self.mode = DegradeMode.NORMAL
        self.level_pm: int | None = None
        self.history: list[tuple[int, DegradeMode]] = []
        self._warned: set[DegradeMode] = set()
        client.subscribe(m.PowerState, self.update)

    @property
    def duty_cycle(self) -> float:
        """The share of frames perception should run on (1.0 unless in ``PERCEPTION``)."""
        return self.policy.duty_cycle if self.mode >= DegradeMode.PERCEPTION else 1.0

    def _target(self, state: m.PowerState) -> DegradeMode:
        p = self.policy
        level = state.level_pm
        target = DegradeMode.NORMAL
        for i, threshold in enumerate(p.thresholds_pm, start=1):
            mode = DegradeMode(i)
            # Entering takes the threshold; staying needs hysteresis above it to leave.
            limit = threshold + p.hysteresis_pm if self.mode >= mode else threshold
            if level <= limit:
                target = mode
        if state.flags & m.PowerFlag.HOT:
            target = max(target, DegradeMode.CAMERA_RESOLUTION)
        return target

    def update(self, state: m.PowerState) -> None:
        self.level_pm = state.level_pm
        target = self._target(state)
        if target == self.mode:
            return
        self.mode = target
        self.history.append((self.client.clock.now_ns(), target))
        self._apply(state)

    def _apply(self, state: m.PowerState) -> None:
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
        warnings = (
            (DegradeMode.DISPLAY, "Battery critical"),
            (DegradeMode.CAMERA_FPS, "Battery low"),
        )
        for warn, _ in warnings:
            if mode < warn:
                self._warned.discard(warn)
        for warn, title in warnings:
            if mode >= warn:
                if warn not in self._warned:
                    self._warn(title, state)
                self._warned.update(w for w, _ in warnings if w <= warn)
                break

    def _warn(self, title: str, state: m.PowerState) -> None:
        if self.publish is None:
            return
        body = f"{state.level_pm / 10:.0f} %"
        if state.minutes_left < 0xFFFF:
            body += f", about {state.minutes_left} min left"
        camera = self.camera
        if camera is not None and camera.max_width is not None:
            w, h, fps = camera.asked
            body += f"; camera {w}×{h} at {fps:g} fps"
        card = Card(title=title, body=body, layout="toast", ttl_s=6.0)
        self.publish(HudUpdate(t_ns=self.client.clock.now_ns(), source="power", card=card))
