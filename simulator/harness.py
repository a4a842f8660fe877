"""The headless harness: run a scenario on the virtual clock and judge its expectations.

The scenario drives simulated devices (the camera shows its scenes, the touch pad gets its taps)
and the real runtime pipeline processes them: frames go through the flow limiter and the real
OpenCV code reader, the router and skills decide, and the HUD stage draws on a simulated display.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from glasses.runtime.clock import NS_PER_S, VirtualClock
from glasses.runtime.events import Event, EventKind, HudDrawn
from simulator.expectations import HudHistory, Outcome, evaluate
from simulator.rig import SimRig
from simulator.scenario import Scenario, ScenarioError, ShowSpec
from simulator.scenes import SceneError, SceneSpec, render_scene


@dataclass
class ScenarioResult:
    name: str
    file: str
    duration_s: float
    outcomes: list[Outcome] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    data_events: dict[str, int] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    turns: dict[int, list[tuple[str, float]]] = field(default_factory=dict)
    hud: HudHistory = field(default_factory=list)
    error: str = ""

    @property
    def passed(self) -> bool:
        return not self.error and all(o.passed for o in self.outcomes)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "file": self.file,
            "passed": self.passed,
            "error": self.error,
            "duration_s": self.duration_s,
            "expectations": [o.to_dict() for o in self.outcomes],
            "events": self.events,
            "data_events": self.data_events,
            "stages": self.metrics.get("stages", {}),
            "restarts": self.metrics.get("restarts", {}),
            "turns": {str(k): [[label, ms] for label, ms in v] for k, v in self.turns.items()},
            "hud": [{"t_ms": round(t / 1e6, 3), "text": text} for t, text in self.hud],
        }


def scene_spec(show: ShowSpec, scenario: Scenario, seed: int) -> SceneSpec:
    kind = show.scene_kind
    content = {
        "qr": show.qr,
        "ean13": show.ean13,
        "text": show.text,
        "blank": "",
        "face": "",
        "image": str(scenario.resolve(show.image)) if show.image else "",
    }[kind] or ""
    return SceneSpec(
        kind=kind,  # type: ignore[arg-type]  # ShowSpec admits exactly SceneSpec's kinds
        content=content,
        scale=show.scale,
        rotate_deg=show.rotate,
        noise_sigma=show.noise,
        blur_sigma=show.blur,
        center=show.center,
        seed=seed,
        faces=show.faces,
    )


def prepare_scenes(scenario: Scenario) -> dict[int, np.ndarray]:
    """Render every scene before the run, so a bad image fails early with its line number."""
    cam = scenario.model.device.camera
    scenes: dict[int, np.ndarray] = {}
    problems: list[str] = []
    for i, timed in enumerate(scenario.steps):
        if timed.step.show is None:
            continue
        spec = scene_spec(timed.step.show, scenario, seed=scenario.model.seed * 1000 + i)
        try:
            scenes[i] = render_scene(spec, cam.width, cam.height)
        except SceneError as exc:
            line = scenario.step_lines[i] if i < len(scenario.step_lines) else 1
            problems.append(f"{scenario.path}:{line}: timeline[{i}].show: {exc}")
    if problems:
        raise ScenarioError(scenario.path, problems)
    return scenes


def prepare_speech(scenario: Scenario) -> dict[int, np.ndarray]:
    """Synthesise every ``say`` step (16 kHz, mixed with noise), before the run."""
    from glasses.speech.tts import TtsError, mix_noise, synthesize_16k

    speech: dict[int, np.ndarray] = {}
    problems: list[str] = []
    for i, timed in enumerate(scenario.steps):
        say = timed.step.say
        if say is None:
            continue
        try:
            clean = synthesize_16k(say.text, voice=say.voice, rate_wpm=say.rate_wpm)
        except (TtsError, ValueError) as exc:
            line = scenario.step_lines[i] if i < len(scenario.step_lines) else 1
            problems.append(f"{scenario.path}:{line}: timeline[{i}].say: {exc}")
            continue
        speech[i] = mix_noise(clean, say.snr_db, seed=scenario.model.seed * 1000 + i)
    if problems:
        raise ScenarioError(scenario.path, problems)
    return speech


def run_scenario(scenario: Scenario, *, display_name: str | None = None) -> ScenarioResult:
    """Run ``scenario`` to its end on a fresh virtual clock. Raises ScenarioError if unplayable."""
    scenes = prepare_scenes(scenario)
    speech = prepare_speech(scenario)
    clock = VirtualClock()
    result = ScenarioResult(
        name=scenario.name,
        file=display_name if display_name is not None else scenario.path.name,
        duration_s=scenario.duration_s,
    )
    clock.run(_play(scenario, scenes, speech, clock, result))
    return result


async def _play(
    scenario: Scenario,
    scenes: dict[int, np.ndarray],
    speech: dict[int, np.ndarray],
    clock: VirtualClock,
    result: ScenarioResult,
) -> None:
    rig = SimRig(clock, scenario.model.device, seed=scenario.model.seed)
    data_counts: Counter[str] = Counter()

    def record(event: Event) -> None:
        if event.kind is EventKind.DATA:
            data_counts[event.type_name] += 1
        else:
            result.events.append(event.to_dict())
        if isinstance(event, HudDrawn):
            result.hud.append((event.t_ns, event.text))

    rig.runtime.observe(record)
    await rig.start()
    rig.play(scenario, scenes, speech)
    end_ns = round(scenario.duration_s * NS_PER_S)
    await clock.sleep_until(end_ns)
    await rig.stop(reason="scenario finished")

    result.data_events = dict(sorted(data_counts.items()))
    result.metrics = rig.runtime.metrics()
    timelines = rig.runtime.timelines
    result.turns = {t: timelines.relative_ms(t) for t in timelines.turns()}
    result.outcomes = judge(scenario, result.hud, offset_ns=0, end_ns=end_ns)


def judge(scenario: Scenario, hud: HudHistory, *, offset_ns: int, end_ns: int) -> list[Outcome]:
    """Every expectation of ``scenario`` against ``hud``; cue times count from ``offset_ns``."""
    outcomes = []
    for exp in scenario.model.expect:
        cue_s = scenario.cues.get(exp.after, 0.0) if exp.after else 0.0
        outcomes.append(evaluate(exp, hud, offset_ns + round(cue_s * NS_PER_S), end_ns))
    return outcomes


def _shown_path(path: Path) -> str:
    """The path as the user gave it; a bundled file relative to the working directory if inside.

    Reports must not depend on where the checkout lives, or two machines' reports would differ.
    """
    if not path.is_absolute():
        return str(path)
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return path.name


def run_files(paths: list[Path]) -> tuple[list[ScenarioResult], list[ScenarioError]]:
    """Load and run each file; invalid files are collected, not raised, so all files run."""
    from simulator.scenario import load_scenario

    results: list[ScenarioResult] = []
    errors: list[ScenarioError] = []
    for path in paths:
        try:
            results.append(run_scenario(load_scenario(path), display_name=_shown_path(path)))
        except ScenarioError as exc:
            errors.append(exc)
    return results, errors
