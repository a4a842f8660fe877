"""One way to assemble a session: the simulator's rig and ``glasses run`` both build a
``glasses.app.session.Session``; live runs draw on a headless display and a capture LED that
logs, never on the simulator's devices."""

from __future__ import annotations

import ast
import logging
import wave
from pathlib import Path

import cv2
import numpy as np
import pytest

from glasses.app import LiveConfig, LiveStarted, run_live
from glasses.app.session import Session
from glasses.devices import Camera, Display, Indicator, Microphone, Speaker
from glasses.devices.file import FileCamera, FileMicrophone, FileSpeaker
from glasses.devices.headless import HeadlessDisplay, LogIndicator
from glasses.devices.power import LimitedCamera
from glasses.devices.sim import SimCamera, SimMicrophone, SimSpeaker
from glasses.runtime import VirtualClock
from simulator.rig import SimRig
from simulator.scenario import DeviceSpec

APP = Path(__file__).resolve().parent.parent / "glasses" / "app"


def test_the_headless_display_keeps_the_text_and_counts_draws() -> None:
    clock = VirtualClock(start_ns=5)
    display = HeadlessDisplay(clock)
    assert isinstance(display, Display) and display.text == "" and display.changed_ns is None
    display.draw("QR code\nhello")
    display.draw("QR code\nhello")  # redrawn, not changed
    assert (display.text, display.draws, display.changed_ns) == ("QR code\nhello", 2, 5)
    with pytest.raises(TypeError, match="takes the text"):
        display.draw(b"bytes")  # type: ignore[arg-type]


def test_the_log_indicator_logs_each_change(caplog: pytest.LogCaptureFixture) -> None:
    led = LogIndicator(VirtualClock(start_ns=7))
    assert isinstance(led, Indicator) and led.on is False
    with caplog.at_level(logging.INFO, logger="glasses.devices.headless"):
        led.set(True)
        led.set(True)  # no change, no line
        led.set(False)
    assert [r.getMessage() for r in caplog.records] == ["capture LED on", "capture LED off"]
    assert (led.on, led.changes, led.changed_ns) == (False, 2, 7)


def test_a_live_run_draws_on_the_headless_devices() -> None:
    clock = VirtualClock()
    started: list[LiveStarted] = []
    config = LiveConfig(camera="sim:", mic="sim:", duration_s=0.5)
    summary = clock.run(run_live(config, on_start=started.append, clock=clock))
    (info,) = started
    assert isinstance(info.display, HeadlessDisplay) and isinstance(info.led, LogIndicator)
    assert info.led.changes == 2 and summary.led_on is False  # on while capturing, then off


def test_live_wiring_imports_no_simulated_device() -> None:
    """``glasses/app`` (live runs) never reaches for ``glasses.devices.sim``; a ``sim:`` URI
    still opens a simulated camera through the URI registry, as the user asked."""
    for path in sorted(APP.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.ImportFrom):
                assert node.module != "glasses.devices.sim", f"{path.name}:{node.lineno}"
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
                assert "glasses.devices.sim" not in names, f"{path.name}:{node.lineno}"


def test_the_rig_is_assembled_as_live_runs_are() -> None:
    clock = VirtualClock()
    rig = SimRig(clock, DeviceSpec())
    assert isinstance(rig.session, Session)
    assert rig.runtime is rig.session.runtime and rig.pipeline is rig.session.pipeline
    assert rig.session.display is rig.display and rig.session.indicator is rig.indicator


def test_every_device_describes_itself(tmp_path: Path) -> None:
    """What ``glasses run`` prints of its devices comes from the devices (``describe()``, part
    of each protocol), not from a chain of backend classes in the live wiring."""
    image = tmp_path / "poster.png"
    cv2.imwrite(str(image), np.zeros((24, 32, 3), np.uint8))
    talk = tmp_path / "talk.wav"
    with wave.open(str(talk), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(44_100)
        w.writeframes(np.zeros(2 * 88_200, np.int16).tobytes())
    out = tmp_path / "replies.wav"
    clock = VirtualClock()
    devices: list[tuple[Camera | Microphone | Speaker, str]] = [
        (FileCamera(image, fps=5), f"file:{image} (image, 32×24 @ 5 fps)"),
        (FileMicrophone(talk), f"file:{talk} (WAV 44100 Hz, 2 ch, 2.00 s → 16 kHz mono)"),
        (FileSpeaker(out), f"file:{out} (WAV 22050 Hz mono)"),
        (SimCamera(64, 48, fps=30), "sim: (64×48 @ 30 fps)"),
        (SimMicrophone(), "sim: (16 kHz mono)"),
        (SimSpeaker(clock), "sim:"),
    ]
    for device, described in devices:
        assert isinstance(device, Camera | Microphone | Speaker)
        device.open()
        try:
            assert device.describe() == described
        finally:
            device.close()
    limited = LimitedCamera(SimCamera(64, 48, fps=30))
    limited.open()
    assert limited.describe() == "sim: (64×48 @ 30 fps)"
    live = (APP / "live.py").read_text(encoding="utf-8")
    assert "def describe_" not in live and "SoundDevice" not in live
