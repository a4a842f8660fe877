"""Glasses and companion joined by a modelled radio, on one clock: the link's test harness.

    clock = VirtualClock()

    async def main() -> None:
        async with LinkedGlasses(clock, model=LinkModel(loss=0.1, jitter_ms=100)) as rig:
            display = rig.display()
            display.draw("Hello")
            await rig.settle()
            assert rig.glasses.framebuffer.shown_text == "Hello"

    clock.run(main())

``rig.glasses`` is the ``StubGlasses``, ``rig.client`` the companion's ``LinkClient``,
``rig.network`` the ``ModelNetwork`` (``drop()``, ``restore()``); ``camera()``,
``microphone()``, ``display()``, ``inputs()`` and ``indicator()`` make the companion's
backends. Everything runs on the clock given (virtual: a minute of link takes a blink).
"""

from __future__ import annotations

import secrets
from types import TracebackType
from typing import Any

from firmware_stubs.device import StubGlasses, StubSettings
from firmware_stubs.power import PowerModel
from firmware_stubs.server import StubServer
from glasses.devices.link import messages as m
from glasses.devices.link.client import ClientSettings, LinkClient
from glasses.devices.link.devices import (
    LinkCamera,
    LinkDisplay,
    LinkIndicator,
    LinkInputs,
    LinkMicrophone,
)
from glasses.devices.link.transport import LinkModel, ModelNetwork
from glasses.devices.protocols import Camera, Microphone
from glasses.hud.profile import get_profile
from glasses.runtime.clock import NS_PER_S, Clock


class LinkedGlasses:
    def __init__(
        self,
        clock: Clock,
        *,
        model: LinkModel | None = None,
        settings: StubSettings | None = None,
        camera: Camera | None = None,
        microphone: Microphone | None = None,
        power: PowerModel | None = None,
        client: ClientSettings | None = None,
        key: bytes | None = None,
    ) -> None:
        self.clock = clock
        self.key = key or secrets.token_bytes(32)
        self.glasses = StubGlasses(
            clock, settings, camera=camera, microphone=microphone, power=power
        )
        self.server = StubServer(self.glasses, self.key)
        self.network = ModelNetwork(self.server.handle, clock.now_ns, model)
        self.client = LinkClient(
            self.network.dial, self.key, clock=clock, settings=client, uri="link://model"
        )

    async def start(self, timeout_s: float = 30.0) -> None:
        """Start both sides and wait (clock time) until they are paired."""
        self.glasses.start()
        await self.client.start()
        if not await self.client.wait_connected(timeout_s):
            raise TimeoutError(f"not paired within {timeout_s:g} s: {self.client.last_error}")

    async def stop(self) -> None:
        await self.client.close()
        await self.network.close()
        await self.glasses.stop()

    async def __aenter__(self) -> LinkedGlasses:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    async def settle(self, timeout_s: float = 60.0, *, quiet_s: float = 0.0) -> bool:
        """Wait until the companion has nothing unacknowledged (True), for ``quiet_s`` more
        seconds after that; False after ``timeout_s`` (clock seconds)."""
        end = self.clock.now_ns() + round(timeout_s * NS_PER_S)
        while self.clock.now_ns() < end:
            conn = self.client.conn
            if conn is not None and conn.session.idle and self.client.connected:
                await self.clock.sleep(quiet_s)
                return True
            await self.clock.sleep(0.01)
        return False

    def camera(self, **kwargs: Any) -> LinkCamera:
        """A ``LinkCamera`` on this link (keyword arguments as for it)."""
        return LinkCamera(self.client, **kwargs)

    def microphone(self, **kwargs: Any) -> LinkMicrophone:
        """A ``LinkMicrophone`` on this link (keyword arguments as for it)."""
        return LinkMicrophone(self.client, **kwargs)

    def display(self) -> LinkDisplay:
        return LinkDisplay(self.client, get_profile(self.glasses.settings.profile))

    def inputs(self) -> LinkInputs:
        return LinkInputs(self.client)

    def indicator(self) -> LinkIndicator:
        return LinkIndicator(self.client)

    def set_battery(self, level: float) -> None:
        """Set the glasses' battery level (0..1) over the link (``PowerOverride``)."""
        self.client.send(m.PowerOverride(level_pm=round(max(0.0, min(1.0, level)) * 1000)))
