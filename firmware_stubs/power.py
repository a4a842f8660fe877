"""The battery and thermal model of the glasses.

Current is the sum of what each subsystem draws (``PowerSpec``, mA at the cell): a base (MCU
and radio connected), the display (by brightness and by the share of pixels lit: an emissive
micro-display lights only its lit pixels), the camera while it captures (sensor and ISP, plus
JPEG encoding per frame per second, scaled by resolution), the microphone, the IMU, and the
radio's traffic (per kbit/s). The charge falls by that current; the cell voltage follows a LiPo
open-circuit curve less the internal resistance's drop. The temperature is a first-order model:
it rises towards ambient + power × thermal resistance with a time constant, so a camera stream
warms the frame over minutes and idling cools it.

Units are in the names: mA, mAh, mV, °C, s, W.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from glasses.devices.link import messages as m

# LiPo open-circuit voltage (mV) at 0, 10 … 100 % charge.
_OCV_MV = (3300, 3600, 3680, 3730, 3770, 3800, 3840, 3900, 3970, 4070, 4200)


@dataclass(frozen=True, slots=True)
class PowerSpec:
    capacity_mah: float = 160.0  # one arm of Even G1-class glasses
    base_ma: float = 3.0
    display_ma: float = 18.0  # full brightness, every pixel lit
    display_min_ma: float = 1.5  # the driver, dark
    camera_ma: float = 55.0  # sensor + ISP streaming at 640×480
    camera_ma_per_fps: float = 1.2  # JPEG encoding at 640×480
    mic_ma: float = 1.5
    imu_ma: float = 0.6
    radio_ma_per_kbps: float = 0.025  # ~ 25 mA at 1 Mbit/s of traffic
    charge_ma: float = 120.0
    internal_mohm: float = 250.0
    ambient_c: float = 25.0
    thermal_c_per_w: float = 30.0  # °C above ambient per W dissipated, at equilibrium
    thermal_tau_s: float = 240.0
    low_pm: int = 200  # ‰: the LOW flag
    critical_pm: int = 50
    hot_c: float = 41.0  # skin-contact limit: the HOT flag

    def __post_init__(self) -> None:
        if not self.capacity_mah > 0:
            raise ValueError(f"capacity_mah must be > 0, got {self.capacity_mah}")
        if not self.thermal_tau_s > 0:
            raise ValueError(f"thermal_tau_s must be > 0, got {self.thermal_tau_s}")


@dataclass(slots=True)
class Loads:
    """What runs now: display ``brightness`` (0..1) and ``lit`` share (0..1), camera frames/s
    (0: off) and resolution (px), microphone and IMU on, radio traffic (kbit/s, both ways)."""

    brightness: float = 1.0
    lit: float = 0.0
    camera_fps: float = 0.0
    camera_px: int = 640 * 480
    mic: bool = False
    imu: bool = False
    radio_kbps: float = 0.0


class PowerModel:
    def __init__(self, spec: PowerSpec | None = None, *, level: float = 1.0) -> None:
        self.spec = spec or PowerSpec()
        if not 0.0 <= level <= 1.0:
            raise ValueError(f"level must be within 0..1, got {level}")
        self.charge_mah = level * self.spec.capacity_mah
        self.temp_c = self.spec.ambient_c
        self.ambient_c = self.spec.ambient_c
        self.charging = False
        self.current_ma = 0.0
        self.used_mah: dict[str, float] = {}  # by subsystem

    @property
    def level(self) -> float:
        """State of charge, 0..1."""
        return max(0.0, min(1.0, self.charge_mah / self.spec.capacity_mah))

    def set_level(self, level: float) -> None:
        self.charge_mah = max(0.0, min(1.0, level)) * self.spec.capacity_mah

    def draws(self, loads: Loads) -> dict[str, float]:
        """mA per subsystem under ``loads``."""
        s = self.spec
        scale = loads.camera_px / (640 * 480)
        camera = 0.0
        if loads.camera_fps > 0:
            camera = (s.camera_ma + s.camera_ma_per_fps * loads.camera_fps) * (0.4 + 0.6 * scale)
        return {
            "base": s.base_ma,
            "display": s.display_min_ma + s.display_ma * loads.brightness * loads.lit,
            "camera": camera,
            "mic": s.mic_ma if loads.mic else 0.0,
            "imu": s.imu_ma if loads.imu else 0.0,
            "radio": s.radio_ma_per_kbps * loads.radio_kbps,
        }

    def step(self, dt_s: float, loads: Loads) -> None:
        """Let ``dt_s`` seconds pass under ``loads``."""
        if dt_s <= 0:
            return
        s = self.spec
        draws = self.draws(loads)
        load_ma = sum(draws.values())
        hours = dt_s / 3600
        for name, ma in draws.items():
            self.used_mah[name] = self.used_mah.get(name, 0.0) + ma * hours
        self.current_ma = load_ma - (s.charge_ma if self.charging else 0.0)
        self.charge_mah = min(s.capacity_mah, max(0.0, self.charge_mah - self.current_ma * hours))
        watts = load_ma / 1000 * self.voltage_mv / 1000
        target = self.ambient_c + watts * s.thermal_c_per_w
        self.temp_c = target + (self.temp_c - target) * float(np.exp(-dt_s / s.thermal_tau_s))

    @property
    def voltage_mv(self) -> float:
        ocv = float(np.interp(self.level * 10, range(11), _OCV_MV))
        return ocv - self.current_ma * self.spec.internal_mohm / 1000

    @property
    def minutes_left(self) -> int:
        if self.current_ma <= 0:
            return 0xFFFF
        return min(0xFFFE, round(self.charge_mah / self.current_ma * 60))

    @property
    def flags(self) -> int:
        s = self.spec
        pm = round(self.level * 1000)
        flags = 0
        if pm <= s.low_pm:
            flags |= m.PowerFlag.LOW
        if pm <= s.critical_pm:
            flags |= m.PowerFlag.CRITICAL
        if self.temp_c >= s.hot_c:
            flags |= m.PowerFlag.HOT
        if self.charging:
            flags |= m.PowerFlag.CHARGING
        return int(flags)

    def state(self, t_ms: int) -> m.PowerState:
        return m.PowerState(
            t_ms=t_ms & 0xFFFFFFFF,
            level_pm=round(self.level * 1000),
            voltage_mv=round(max(0.0, self.voltage_mv)),
            current_ma=round(max(-32768, min(32767, self.current_ma))),
            temp_dc=round(self.temp_c * 10),
            flags=self.flags,
            minutes_left=self.minutes_left,
        )

    def override(self, msg: m.PowerOverride) -> None:
        """Apply a simulation override (``PowerOverride``: fields at their 'keep' value stay)."""
        if msg.level_pm != 0xFFFF:
            self.set_level(min(1000, msg.level_pm) / 1000)
        if msg.ambient_dc != -32768:
            self.ambient_c = msg.ambient_dc / 10
        if msg.charging != 255:
            self.charging = bool(msg.charging)
