"""One way to assemble a session: the simulator's rig and ``glasses run`` both build a
``glasses.app.session.Session``; live runs draw on a headless display and a capture LED that
logs, never on the simulator's devices."""

from __future__ import annotations

import ast
import logging
from pathlib import Path

import pytest

from glasses.app import LiveConfig, LiveStarted, run_live
from glasses.app.session import Session
from glasses.devices import Display, Indicator
from glasses.devices.headless import HeadlessDisplay, LogIndicator
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
