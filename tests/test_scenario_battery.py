"""A battery that matters: scenario steps set the glasses' level, the degrade modes act on it
(camera resolution, then frame rate, perception duty cycle, display brightness) with warning
cards, and the battery skill says it; in the simulator and over the link."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from firmware_stubs.scenario import link_model, run_scenario_over_link
from glasses.app.setup import AssistantSetup
from glasses.devices.link import messages as m
from glasses.devices.link.power import status_of
from glasses.devices.power import DegradeMode, PowerStatus
from glasses.runtime.clock import NS_PER_S, VirtualClock
from glasses.runtime.events import Event, VideoFrame
from simulator.harness import run_scenario
from simulator.rig import SimRig
from simulator.scenario import Scenario, ScenarioError, load_scenario, parse_scenario
from simulator.tui.app import power_text

DRAIN = (Path(__file__).parent / "data" / "battery_drain.yaml").read_text()


def _scenario(tmp_path: Path, text: str = DRAIN) -> Scenario:
    path = tmp_path / "battery.yaml"
    path.write_text(text)
    return load_scenario(path)


def test_battery_steps_drive_the_degrade_modes_in_a_scenario(tmp_path: Path) -> None:
    scenario = _scenario(tmp_path)
    rigs: list[SimRig] = []
    sizes: list[tuple[float, int, int]] = []

    def make_rig(clock: VirtualClock, sc: Scenario, setup: AssistantSetup | None) -> SimRig:
        rig = SimRig(clock, sc.model.device, seed=sc.model.seed, setup=setup)
        rigs.append(rig)
        return rig

    def frames(event: Event) -> None:
        if isinstance(event, VideoFrame):
            sizes.append((event.t_ns / NS_PER_S, event.image.shape[1], event.image.shape[0]))

    result = run_scenario(scenario, rig=make_rig, observers=[frames])
    assert result.passed, [o.to_dict() for o in result.outcomes if not o.passed]
    rig = rigs[0]
    governor = rig.session.governor
    assert governor is not None
    modes = [(round(t / NS_PER_S, 1), mode) for t, mode in governor.history]
    assert modes == [
        (1.0, DegradeMode(1)),
        (2.0, DegradeMode(2)),
        (3.0, DegradeMode(3)),
        (4.0, DegradeMode(4)),
    ]
    # Resolution first (640 → 320 px wide from 1 s), then the frame rate (10 → 5 fps from 2 s).
    assert {(w, h) for t, w, h in sizes if t < 1.0} == {(640, 480)}
    assert {(w, h) for t, w, h in sizes if t > 1.05} == {(320, 240)}
    before = [t for t, _, _ in sizes if 1.05 < t < 2.0]
    after = [t for t, _, _ in sizes if 2.05 < t < 3.0]
    assert len(before) >= 8 and len(after) <= 6
    assert governor.duty_cycle == 0.5 and rig.pipeline.codes.duty_cycle == 0.5
    assert rig.display.brightness == 50
    assert rig.power.status is not None and rig.power.status.level == pytest.approx(0.04)


def test_the_same_battery_scenario_passes_over_the_link(tmp_path: Path) -> None:
    run = run_scenario_over_link(_scenario(tmp_path))
    result = run.result
    assert result.passed, [o.to_dict() for o in result.outcomes if not o.passed]
    glasses = run.link.glasses
    assert glasses.framebuffer.brightness == 50
    assert round(glasses.power.level * 100) == 4


def test_a_link_section_models_the_radio(tmp_path: Path) -> None:
    text = DRAIN.replace(
        "device:", "link: {bandwidth_kbps: 500, latency_ms: 40, jitter_ms: 20, loss: 0.02}\ndevice:"
    )
    scenario = _scenario(tmp_path, text)
    model = link_model(scenario.model.link)
    assert (model.bandwidth_bps, model.latency_ms, model.jitter_ms, model.loss) == (
        500_000.0,
        40.0,
        20.0,
        0.02,
    )


@pytest.mark.parametrize(
    ("step", "message"),
    [
        ("battery: 15", "battery level 15 is outside 0..1; write 15% or 0.15, not 15"),
        ("battery: full", "a battery level is a percentage (15%) or a fraction (0.15)"),
        ("battery:", "give a level (15%), a temperature_c or charging"),
        ("battery: {level: 20%, volts: 3}", "volts"),
    ],
)
def test_a_bad_battery_step_names_its_line(step: str, message: str) -> None:
    source = f"name: t\ntimeline:\n  - wait: 1s\n  - {step}\nexpect:\n  - hud_contains: x\n"
    with pytest.raises(ScenarioError) as err:
        parse_scenario(source, Path("b.yaml"))
    assert "b.yaml:4: timeline[1].battery" in str(err.value) and message in str(err.value)


def test_the_status_line_shows_the_battery_and_its_temperature() -> None:
    assert power_text(None) == ("battery —", "dim")
    assert power_text(PowerStatus(level=0.8)) == ("battery 80 %", "")
    assert power_text(PowerStatus(level=0.15)) == ("battery 15 %", "yellow")
    hot = PowerStatus(level=0.6, temperature_c=43.2, thermal="hot", charging=True)
    assert power_text(hot) == ("battery 60 %, charging, hot 43 °C", "bold red")


def test_the_glasses_power_report_reads_as_a_power_status() -> None:
    state = m.PowerState(
        t_ms=0,
        level_pm=734,
        voltage_mv=3900,
        current_ma=80,
        temp_dc=380,
        flags=int(m.PowerFlag.CHARGING),
        minutes_left=0xFFFF,
    )
    status = status_of(state)
    assert status == PowerStatus(
        level=0.734, temperature_c=38.0, thermal="warm", charging=True, minutes_left=None
    )
    hot = status_of(replace(state, temp_dc=395, flags=int(m.PowerFlag.HOT), minutes_left=90))
    assert (hot.thermal, hot.minutes_left) == ("hot", 90)


class _SceneCamera:
    """A camera showing scene ``view`` (as the simulator's numbers its scenes)."""

    uri = "test:"
    live = False
    fps = 30.0
    width, height = 640, 480
    view = 3

    def open(self) -> None: ...

    def close(self) -> None: ...

    def read(self) -> np.ndarray:
        return np.zeros((480, 640, 3), np.uint8)


def test_a_limited_camera_makes_a_new_view_when_its_limits_change() -> None:
    # The code stage reuses its result while the view stays: a frame at another size is not
    # the same view, even when the scene is.
    from glasses.devices.power import LimitedCamera

    camera = LimitedCamera(_SceneCamera())  # type: ignore[arg-type]
    before = camera.view
    camera.limit(max_width=320)
    halved = camera.view
    camera.limit(max_width=320)  # the same limits: the same view
    assert before != halved == camera.view
    assert camera.read().shape == (240, 320, 3)
