"""Battery-driven degrade modes: camera resolution first, then frame rate, perception duty
cycle, display brightness; warning cards; driven by the glasses' own battery model."""

from __future__ import annotations

from typing import Any

import numpy as np

from firmware_stubs.harness import LinkedGlasses
from firmware_stubs.power import PowerModel, PowerSpec
from glasses.devices.link import messages as m
from glasses.devices.link.power import DegradeMode, LinkPower, PowerGovernor
from glasses.devices.link.transport import LinkModel
from glasses.devices.sim import SimCamera
from glasses.runtime.clock import VirtualClock
from glasses.runtime.events import Event, HudUpdate

FAST = LinkModel(bandwidth_bps=2_000_000.0, latency_ms=5.0)


def _camera() -> SimCamera:
    camera = SimCamera(160, 120)
    camera.show(np.full((120, 160, 3), 100, dtype=np.uint8))
    return camera


def test_each_battery_level_brings_its_degrade_mode_and_back() -> None:
    clock = VirtualClock()

    async def main() -> dict[str, Any]:
        async with LinkedGlasses(clock, model=FAST, camera=_camera()) as rig:
            frames: list[m.CameraFrame] = []
            rig.client.subscribe(m.CameraFrame, frames.append)
            cam = rig.camera(width=640, height=480, fps=10)
            display = rig.display()
            cards: list[Event] = []
            gov = PowerGovernor(
                LinkPower(rig.client), clock, camera=cam, display=display, publish=cards.append
            )
            cam.open()
            seen: dict[str, Any] = {}
            for level in (0.25, 0.15, 0.08, 0.04, 0.6):
                rig.set_battery(level)
                await clock.sleep(1.0)
                seen[f"{level}"] = (
                    gov.mode,
                    (frames[-1].width, frames[-1].height),
                    cam.asked[2],
                    gov.duty_cycle,
                    rig.glasses.framebuffer.brightness,
                )
            seen["cards"] = cards
            cam.close()
            return seen

    seen = clock.run(main())
    assert seen["0.25"] == (DegradeMode.CAMERA_RESOLUTION, (320, 240), 10.0, 1.0, 100)
    assert seen["0.15"] == (DegradeMode.CAMERA_FPS, (320, 240), 5.0, 1.0, 100)
    assert seen["0.08"] == (DegradeMode.PERCEPTION, (320, 240), 5.0, 0.5, 100)
    assert seen["0.04"] == (DegradeMode.DISPLAY, (320, 240), 5.0, 0.5, 50)
    assert seen["0.6"] == (DegradeMode.NORMAL, (640, 480), 10.0, 1.0, 100)
    cards = [e.card for e in seen["cards"] if isinstance(e, HudUpdate) and e.card is not None]
    assert [c.title for c in cards] == ["Battery low", "Battery critical"]
    assert "15 %" in cards[0].body and "camera 320×240 at 5 fps" in cards[0].body


def test_hysteresis_keeps_a_hovering_level_from_flapping() -> None:
    clock = VirtualClock()

    async def main() -> list[DegradeMode]:
        async with LinkedGlasses(clock, model=FAST) as rig:
            gov = PowerGovernor(LinkPower(rig.client), clock)
            for level in (0.30, 0.31, 0.30, 0.315, 0.33):
                rig.set_battery(level)
                await clock.sleep(0.5)
            return [mode for _, mode in gov.history]

    assert clock.run(main()) == [DegradeMode.CAMERA_RESOLUTION, DegradeMode.NORMAL]


def test_the_battery_model_drives_the_degrade_modes_as_it_drains() -> None:
    clock = VirtualClock()
    power = PowerModel(PowerSpec(capacity_mah=2.0), level=0.35)

    async def main() -> tuple[list[DegradeMode], list[int], int, int]:
        async with LinkedGlasses(clock, model=FAST, camera=_camera(), power=power) as rig:
            widths: list[int] = []
            rig.client.subscribe(m.CameraFrame, lambda f: widths.append(f.width))
            cam = rig.camera(width=640, height=480, fps=5)
            display = rig.display()
            display.draw("navigation")
            cards: list[Event] = []
            gov = PowerGovernor(
                LinkPower(rig.client), clock, camera=cam, display=display, publish=cards.append
            )
            cam.open()
            await clock.sleep(60.0)
            cam.close()
            return (
                [mode for _, mode in gov.history],
                widths,
                rig.glasses.framebuffer.brightness,
                len(cards),
            )

    modes, widths, brightness, cards = clock.run(main())
    assert modes == [DegradeMode(i) for i in range(1, 5)]  # in order, none skipped
    assert widths[0] == 640 and widths[-1] == 320
    assert brightness == 50 and cards == 2
