"""The same pipeline on the real clock: a file camera, the code reader in a worker thread, HUD."""

import asyncio
from pathlib import Path

import cv2

from glasses.app import build_pipeline
from glasses.devices import FileCamera
from glasses.devices.sim import SimDisplay, SimIndicator
from glasses.devices.state import run_camera
from glasses.hud import get_profile
from glasses.runtime import Event, HudDrawn, RealClock, Runtime
from simulator.scenes import SceneSpec, render_scene


def test_file_camera_through_the_real_clock_pipeline(tmp_path: Path) -> None:
    image = tmp_path / "poster.png"
    spec = SceneSpec(kind="qr", content="real clock", scale=0.35, rotate_deg=10, noise_sigma=6)
    cv2.imwrite(str(image), render_scene(spec))
    clock = RealClock()
    display = SimDisplay(clock)
    indicator = SimIndicator(clock)
    events: list[Event] = []

    async def main() -> None:
        runtime = Runtime(clock)
        build_pipeline(runtime, display=display, profile=get_profile("frame"))
        runtime.observe(events.append)
        drawn = asyncio.Event()
        runtime.observe(lambda e: drawn.set() if isinstance(e, HudDrawn) else None)
        await runtime.start()
        camera = FileCamera(image, fps=30)
        # Five frames, then the loop returns; then wait for the HUD's acknowledgement (the
        # timeout only turns a hang into a failure).
        await run_camera(camera, clock, runtime.publish, max_frames=5, indicator=indicator)
        await asyncio.wait_for(drawn.wait(), timeout=60)
        await runtime.stop()

    clock.run(main())
    drawn = [e for e in events if isinstance(e, HudDrawn)]
    assert drawn and drawn[0].text == "QR code\nreal clock"
    assert display.text == "QR code\nreal clock"
    assert indicator.on is False  # the capture LED is off once the camera loop ended
