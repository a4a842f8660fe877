"""Sharing one capture LED between several capture devices.

Glasses usually have a single privacy LED for camera and microphone. Each device loop turns its
indicator on and off on its own; handing each one a :meth:`SharedIndicator.claim` keeps the LED on
while *any* of them is capturing (otherwise the microphone turning its claim off would darken the
LED while the camera still streams).
"""

from __future__ import annotations

from glasses.devices.protocols import Indicator


class IndicatorClaim:
    """One device's view of a shared LED; satisfies the ``Indicator`` protocol."""

    def __init__(self, shared: SharedIndicator, name: str) -> None:
        self.name = name
        self.on = False
        self._shared = shared

    def set(self, on: bool) -> None:
        self.on = bool(on)
        self._shared._refresh()


class SharedIndicator:
    """Drives ``led`` on while at least one claim is on."""

    def __init__(self, led: Indicator) -> None:
        self._led = led
        self._claims: list[IndicatorClaim] = []

    def claim(self, name: str) -> IndicatorClaim:
        claim = IndicatorClaim(self, name)
        self._claims.append(claim)
        return claim

    @property
    def on(self) -> bool:
        return self._led.on

    def _refresh(self) -> None:
        want = any(c.on for c in self._claims)
        if want != self._led.on:
            self._led.set(want)
