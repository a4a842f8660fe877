"""Scenario files over the link: the same file passes with the glasses' side emulated, the
camera and microphone reaching the assistant through link:// backends."""

from __future__ import annotations

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
