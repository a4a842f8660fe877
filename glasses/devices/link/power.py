"""The glasses' power reports over the link, as a ``PowerSource`` for the degrade modes.

``LinkPower(client)`` turns each ``PowerState`` the glasses send into a ``PowerStatus``
(``glasses.devices.power``); ``PowerGovernor(LinkPower(client), client.clock, camera=…,
display=…)`` then steps a ``LinkCamera`` and a ``LinkDisplay`` through the degrade modes
(camera resolution first, then frame rate, perception duty cycle, display brightness).
"""

from __future__ import annotations

from collections.abc import Callable

from glasses.devices.link import messages as m
from glasses.devices.link.client import LinkClient
from glasses.devices.power import (
    DegradeMode,
    DegradePolicy,
    PowerGovernor,
    PowerStatus,
    Thermal,
    thermal_of,
)

__all__ = ["DegradeMode", "DegradePolicy", "LinkPower", "PowerGovernor", "status_of"]

NO_ESTIMATE = 0xFFFF  # ``minutes_left`` the glasses send when they cannot tell


def status_of(state: m.PowerState) -> PowerStatus:
    """The device-neutral view of a ``PowerState``: HOT is ``hot``; a temperature within a
    few degrees of the limit is ``warm``."""
    temp = state.temp_dc / 10
    thermal: Thermal = "hot" if state.flags & m.PowerFlag.HOT else thermal_of(temp)
    if thermal == "hot" and not state.flags & m.PowerFlag.HOT:
        thermal = "warm"  # hotter than our limit, not the glasses': they say when it is
    return PowerStatus(
        level=state.level_pm / 1000,
        temperature_c=temp,
        thermal=thermal,
        charging=bool(state.flags & m.PowerFlag.CHARGING),
        minutes_left=None if state.minutes_left >= NO_ESTIMATE else state.minutes_left,
    )


class LinkPower:
    """The glasses' battery and temperature as they report them (``status``: the latest)."""

    def __init__(self, client: LinkClient) -> None:
        self.client = client
        power = client.power
        self.status: PowerStatus | None = None if power is None else status_of(power)
        self._callbacks: list[Callable[[PowerStatus], None]] = []
        client.subscribe(m.PowerState, self._state)

    def subscribe(self, callback: Callable[[PowerStatus], None]) -> None:
        self._callbacks.append(callback)

    def _state(self, state: m.PowerState) -> None:
        self.status = status_of(state)
        for callback in tuple(self._callbacks):
            callback(self.status)
