"""Scenario files over the link: the same file passes with the glasses' side emulated, the
camera and microphone reaching the assistant through link:// backends."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from firmware_stubs.scenario import run_scenario_over_link
from simulator.scenario import load_scenario

SCENARIOS = Path(__file__).parent.parent / "scenarios"


@pytest.mark.parametrize("name", ["read_sign", "time"])
def test_a_scenario_passes_over_the_link(name: str) -> None:
    run = run_scenario_over_link(load_scenario(SCENARIOS / f"{name}.yaml"))
    result = run.result
    assert result.passed, [o.to_dict() for o in result.outcomes if not o.passed]
    glasses = run.link.glasses
    last_text = result.hud[-1][1] if result.hud else ""
    assert glasses.framebuffer.shown_text == last_text  # the glasses showed what the HUD drew
    assert glasses.led_history[0][1] is True  # the camera streamed with its LED on
    assert run.link.client.stats.connects == 1 and glasses.stats.frames_sent > 10


def test_glasses_sim_link_runs_a_scenario_over_a_modelled_radio(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``glasses sim --link``: the battery scenario over a slower, lossy radio (its ``link:``
    section) passes, its battery steps reaching the emulated glasses."""
    from glasses.cli.main import main

    text = (
        (Path(__file__).parent / "data" / "battery_drain.yaml")
        .read_text()
        .replace(
            "device:",
            "link: {bandwidth_kbps: 800, latency_ms: 30, jitter_ms: 20, loss: 0.03}\ndevice:",
        )
    )
    path = tmp_path / "battery_link.yaml"
    path.write_text(text)
    report = tmp_path / "report.json"
    assert main(["sim", "--link", str(path), "--report", str(report)]) == 0
    assert "1 passed, 0 failed" in capsys.readouterr().out
    assert json.loads(report.read_text())["passed"] is True
