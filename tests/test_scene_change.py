"""Scene gating: the change detector, and "an unchanged view does not re-run OCR"."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from glasses.assistant.skills.read import ReadSkill
from glasses.perception.scene_change import SceneChangeDetector, dhash, hamming
from glasses.runtime.clock import NS_PER_S, VirtualClock
from glasses.runtime.events import HudDrawn
from simulator.harness import judge, prepare_scenes, run_scenario
from simulator.rig import SimRig
from simulator.scenario import load_scenario
from simulator.scenes import SceneSpec, render_scene

ROOT = Path(__file__).resolve().parent.parent
READ_TWICE = ROOT / "scenarios" / "read_twice.yaml"
SIGN = {"kind": "text", "content": "PLATFORM 4", "scale": 0.6, "rotate_deg": 3.0}


def frame(**overrides: object) -> np.ndarray:
    return render_scene(SceneSpec(**(SIGN | overrides)))  # type: ignore[arg-type]


def changed(a: np.ndarray, b: np.ndarray) -> bool:
    detector = SceneChangeDetector()
    assert detector.changed(a)  # the first frame always counts as new
    return detector.changed(b)


@pytest.mark.parametrize("sigma", [5.0, 8.0, 15.0])
def test_fresh_sensor_noise_is_not_a_change(sigma: float) -> None:
    assert not changed(frame(noise_sigma=sigma, seed=1), frame(noise_sigma=sigma, seed=2))
    blank = {"kind": "blank", "content": ""}
    assert not changed(frame(**blank, noise_sigma=sigma, seed=1), frame(**blank, seed=2))


@pytest.mark.parametrize(
    "other",
    [
        {"content": "PLATFORM 5"},  # one glyph differs
        {"center": (0.51, 0.5)},  # a 1 % head movement
        {"kind": "text", "content": "NO ENTRY"},
        {"kind": "blank", "content": ""},
        {"kind": "qr", "content": "hello", "scale": 0.1},
        {"background": 225},  # the lighting changed
    ],
    ids=["glyph", "shift1pct", "other-sign", "blank", "small-qr", "lighting"],
)
def test_a_new_view_is_a_change(other: dict[str, object]) -> None:
    assert changed(frame(noise_sigma=5, seed=1), frame(noise_sigma=5, seed=2, **other))


def test_unchanged_frames_keep_the_reference_so_drift_adds_up() -> None:
    detector = SceneChangeDetector()
    assert detector.changed(frame())
    # Lighting steps too small to count on their own add up against the accepted reference.
    verdicts = [detector.changed(frame(background=200 + 2 * i)) for i in range(1, 20)]
    assert not verdicts[0]
    assert any(verdicts[1:])  # the small steps add up to a change against the kept reference
    detector.reset()
    assert detector.changed(frame())


def test_grey_input_and_bad_input() -> None:
    detector = SceneChangeDetector()
    grey = frame()[:, :, 1]
    assert detector.changed(grey) and not detector.changed(grey.copy())
    with pytest.raises(ValueError, match="uint8"):
        detector.changed(np.zeros((4, 4), np.float32))


def test_dhash_is_a_stable_perceptual_fingerprint() -> None:
    a, b = dhash(frame(noise_sigma=3, seed=1)), dhash(frame(noise_sigma=3, seed=2))
    assert 0 <= a < 2**64
    assert hamming(a, b) <= 8
    assert hamming(a, dhash(frame(kind="qr", content="x", scale=0.8))) > 8


def test_unchanged_view_does_not_rerun_ocr() -> None:
    """Show a sign, double tap, dismiss, double tap again: the text twice, OCR once."""
    scenario = load_scenario(READ_TWICE)
    result = run_scenario(scenario)
    assert result.passed, [o.detail for o in result.outcomes if not o.passed]

    # The same run again, keeping the rig to look at the read skill's counters.
    clock = VirtualClock()
    rig = SimRig(clock, scenario.model.device)
    skill = rig.pipeline.skills.by_intent["read"]
    assert isinstance(skill, ReadSkill)
    hud: list[tuple[int, str]] = []
    rig.runtime.observe(lambda e: hud.append((e.t_ns, e.text)) if isinstance(e, HudDrawn) else None)

    async def play() -> None:
        await rig.start()
        rig.play(scenario, prepare_scenes(scenario))
        await clock.sleep_until(round(scenario.duration_s * NS_PER_S))
        await rig.stop(reason="done")

    clock.run(play())
    outcomes = judge(scenario, hud, offset_ns=0, end_ns=round(scenario.duration_s * NS_PER_S))
    assert all(o.passed for o in outcomes), [o.detail for o in outcomes if not o.passed]
    assert skill.ocr_runs == 1
    assert skill.reused == 1
