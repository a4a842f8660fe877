"""The headless harness: run a scenario on the virtual clock and judge its expectations.

The scenario drives simulated devices (the camera shows its scenes, the touch pad gets its taps)
and the real runtime pipeline processes them: frames go through the flow limiter and the real
code reader (zxing-cpp), the router and skills decide, and the HUD stage draws on a simulated
display.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import gc
import itertools
import logging
import signal
import threading
import traceback
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from glasses.app.setup import AssistantSetup
from glasses.runtime.clock import NS_PER_S, VirtualClock
from glasses.runtime.events import CodesDetected, Event, EventKind, HudDrawn
from glasses.runtime.stage import Stage
from simulator.assistant_setup import scenario_setup
from simulator.expectations import HudHistory, Outcome, evaluate
from simulator.rig import SimRig
from simulator.scenario import SaySpec, Scenario, ScenarioError, ShowSpec
from simulator.scenes import SceneError, SceneSpec, check_scene, render_scene

log = logging.getLogger(__name__)


Status = Literal["ran", "invalid", "crashed"]
"""How a file's run went: it ``ran`` (and passed or failed its expectations), it is
``invalid`` (the file cannot be played: ``error`` lists its ``file:line:`` problems), or it
``crashed`` (the harness raised while playing it: ``error`` says what, ``traceback`` where)."""


@dataclass
class ScenarioResult:
    name: str
    file: str
    duration_s: float
    status: Status = "ran"
    outcomes: list[Outcome] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    data_events: dict[str, int] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    turns: dict[int, list[tuple[str, float]]] = field(default_factory=dict)
    # Per turn with more marks than a timeline keeps (a streamed answer), the marks not in
    # ``turns``: label → how many (``Timelines.folded``).
    folded: dict[int, dict[str, int]] = field(default_factory=dict)
    hud: HudHistory = field(default_factory=list)
    error: str = ""
    photos: list[Path] = field(default_factory=list)  # files the photo skill saved, in order
    profile: str = ""  # the display profile it ran on (the scenario's, the config's, --profile)
    traceback: str = field(default="", repr=False)  # of a crash; not in reports (local paths)

    @property
    def passed(self) -> bool:
        return not self.error and all(o.passed for o in self.outcomes)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "file": self.file,
            "passed": self.passed,
            "status": self.status,
            "error": self.error,
            "duration_s": self.duration_s,
            "expectations": [o.to_dict() for o in self.outcomes],
            "events": self.events,
            "data_events": self.data_events,
            "stages": self.metrics.get("stages", {}),
            "restarts": self.metrics.get("restarts", {}),
            "gave_up": self.metrics.get("failed", {}),
            "turns": {str(k): [[label, ms] for label, ms in v] for k, v in self.turns.items()},
            "turns_folded": {str(k): v for k, v in self.folded.items()},
            "hud": [{"t_ms": round(t / 1e6, 3), "text": text} for t, text in self.hud],
            # File names only: the folder may be a fresh temporary one (the summary shows it).
            "photos": [p.name for p in self.photos],
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


class Scenes(Mapping[int, np.ndarray]):
    """The frames of a scenario's ``show`` steps by step index, each rendered when the player
    asks for it, as the timeline reaches its step, and the next one meanwhile on a worker
    thread (rendering is a pure function of the step, so the run stays the same; the second
    core draws while the loop plays): two frames are held at a time however many scenes the
    file has. ``held_peak`` is the most that were."""

    _KEEP = 2  # the scene asked for and the next

    def __init__(self, specs: dict[int, SceneSpec], width: int, height: int) -> None:
        self._specs = specs
        self._size = (width, height)
        self._next = dict(itertools.pairwise(specs))
        self._held: OrderedDict[int, Future[np.ndarray]] = OrderedDict()
        self.held_peak = 0
        self.rendered = 0

    def __getitem__(self, i: int) -> np.ndarray:
        spec = self._specs[i]
        held = self._held.get(i)
        if held is None:
            held = self._held[i] = Future()
            held.set_result(render_scene(spec, *self._size))
            self.rendered += 1
        self._held.move_to_end(i)
        nxt = self._next.get(i)
        if nxt is not None and nxt not in self._held:
            self._held[nxt] = _renderer().submit(render_scene, self._specs[nxt], *self._size)
            self.rendered += 1
        while len(self._held) > self._KEEP:
            self._held.popitem(last=False)
        self.held_peak = max(self.held_peak, len(self._held))
        return held.result()

    def __iter__(self) -> Iterator[int]:
        return iter(self._specs)

    def __len__(self) -> int:
        return len(self._specs)


_RENDERER: ThreadPoolExecutor | None = None


def _renderer() -> ThreadPoolExecutor:
    """The thread that renders the next scene ahead (one for the process, made when needed)."""
    global _RENDERER
    if _RENDERER is None:
        _RENDERER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="glasses-scenes")
    return _RENDERER


def prepare_scenes(scenario: Scenario) -> Scenes:
    """The scenario's scenes, checked now (a bad image fails before the run, with its line
    number) and rendered as the timeline reaches them (``Scenes``)."""
    cam = scenario.model.device.camera
    specs: dict[int, SceneSpec] = {}
    problems: list[str] = []
    for i, timed in enumerate(scenario.steps):
        if timed.step.show is None:
            continue
        spec = scene_spec(timed.step.show, scenario, seed=scenario.model.seed * 1000 + i)
        try:
            check_scene(spec, cam.width, cam.height)
        except SceneError as exc:
            line = scenario.step_lines[i] if i < len(scenario.step_lines) else 1
            problems.append(f"{scenario.path}:{line}: timeline[{i}].show: {exc}")
        specs[i] = spec
    if problems:
        raise ScenarioError(scenario.path, problems)
    return Scenes(specs, cam.width, cam.height)


class Speech(Mapping[int, np.ndarray]):
    """What the wearer says at each ``say`` step (16 kHz int16, mixed with noise, seeded by the
    step), made when the player asks for it: the synthesis of each distinct line is kept (a
    few seconds of audio each, ``_CLEAN_KEPT`` lines at most), the noisy mix is not."""

    _CLEAN_KEPT = 16

    def __init__(self, says: dict[int, SaySpec], seed: int) -> None:
        self._says = says
        self._seed = seed
        self._clean: OrderedDict[tuple[str, str, int], np.ndarray] = OrderedDict()

    def clean(self, say: SaySpec) -> np.ndarray:
        """The line synthesised at 16 kHz (raises ``TtsError`` or ``ValueError``)."""
        from glasses.speech.tts import synthesize_16k

        key = (say.text, say.voice, say.rate_wpm)
        audio = self._clean.get(key)
        if audio is None:
            audio = synthesize_16k(say.text, voice=say.voice, rate_wpm=say.rate_wpm)
            self._clean[key] = audio
            while len(self._clean) > self._CLEAN_KEPT:
                self._clean.popitem(last=False)
        return audio

    def __getitem__(self, i: int) -> np.ndarray:
        from glasses.speech.tts import mix_noise

        say = self._says[i]
        return mix_noise(self.clean(say), say.snr_db, seed=self._seed * 1000 + i)

    def __iter__(self) -> Iterator[int]:
        return iter(self._says)

    def __len__(self) -> int:
        return len(self._says)


def prepare_speech(scenario: Scenario) -> Speech:
    """The scenario's ``say`` steps, each line synthesised once now (an unspeakable one fails
    before the run, with its line number) and mixed with its noise when played (``Speech``)."""
    from glasses.speech.tts import TtsError

    says = {i: t.step.say for i, t in enumerate(scenario.steps) if t.step.say is not None}
    speech = Speech(says, scenario.model.seed)
    problems: list[str] = []
    for i, say in says.items():
        try:
            speech.clean(say)
        except (TtsError, ValueError) as exc:
            line = scenario.step_lines[i] if i < len(scenario.step_lines) else 1
            problems.append(f"{scenario.path}:{line}: timeline[{i}].say: {exc}")
    if problems:
        raise ScenarioError(scenario.path, problems)
    return speech


RigFactory = Callable[[VirtualClock, Scenario, AssistantSetup | None], SimRig]
"""Builds the rig a scenario plays on from the clock, the scenario and its assistant set-up
(default: a ``SimRig``; ``firmware_stubs.scenario`` puts the link in between)."""


def _sim_rig(clock: VirtualClock, scenario: Scenario, setup: AssistantSetup | None) -> SimRig:
    return SimRig(clock, scenario.model.device, seed=scenario.model.seed, setup=setup)


def run_scenario(
    scenario: Scenario,
    *,
    display_name: str | None = None,
    stages: Sequence[Stage] = (),
    setup: AssistantSetup | None = None,
    observers: Sequence[Callable[[Event], None]] = (),
    rig: RigFactory = _sim_rig,
) -> ScenarioResult:
    """Run ``scenario`` to its end on a fresh virtual clock. Raises ScenarioError if unplayable.

    ``stages`` run beside the assistant's (a recorder, a probe, a plug-in under test); one that
    gives up fails the scenario like any other. ``setup``: custom skills, a language model and
    the config's settings (``glasses.app.setup``). ``observers`` see every event as it is
    published (``Runtime.observe``): quick, and never raising. ``rig`` builds the device
    the scenario plays on (``RigFactory``)."""
    scenes = prepare_scenes(scenario)
    speech = prepare_speech(scenario)
    clock = VirtualClock()
    result = ScenarioResult(
        name=scenario.name,
        file=display_name if display_name is not None else scenario.path.name,
        duration_s=scenario.duration_s,
    )
    interrupted = False

    async def main() -> None:
        task = asyncio.current_task()
        assert task is not None  # main() runs as the loop's main task

        def on_ctrl_c() -> None:
            nonlocal interrupted
            interrupted = True
            task.cancel()

        with _ctrl_c_calls(on_ctrl_c):
            await _play(scenario, scenes, speech, clock, result, stages, setup, observers, rig)

    try:
        clock.run(main())
    except asyncio.CancelledError:
        if interrupted:
            raise KeyboardInterrupt from None
        raise
    return result


@contextlib.contextmanager
def _ctrl_c_calls(callback: Callable[[], None]) -> Iterator[None]:
    """While the block runs, Ctrl-C (SIGINT) calls ``callback`` on the running loop instead of
    raising ``KeyboardInterrupt`` wherever the main thread happens to be (inside a stage, which
    would then die with it and be logged as a task that crashed). Only in the main thread, and
    only over Python's default handler: a handler someone else installed is left alone."""
    loop = asyncio.get_running_loop()
    if (
        threading.current_thread() is not threading.main_thread()
        or signal.getsignal(signal.SIGINT) is not signal.default_int_handler
    ):
        yield
        return
    try:
        loop.add_signal_handler(signal.SIGINT, callback)
    except (NotImplementedError, RuntimeError, ValueError):  # not on this platform or loop
        yield
        return
    try:
        yield
    finally:
        loop.remove_signal_handler(signal.SIGINT)  # back to the default handler


async def _play(
    scenario: Scenario,
    scenes: Mapping[int, np.ndarray],
    speech: Mapping[int, np.ndarray],
    clock: VirtualClock,
    result: ScenarioResult,
    stages: Sequence[Stage] = (),
    setup: AssistantSetup | None = None,
    observers: Sequence[Callable[[Event], None]] = (),
    make_rig: RigFactory = _sim_rig,
) -> None:
    rig = make_rig(clock, scenario, scenario_setup(scenario.model.assistant, setup))
    for stage in stages:
        rig.runtime.add_stage(stage)
    data_counts: Counter[str] = Counter()
    codes_seen: list[Any] = [None, {}]  # the codes of the last CodesDetected recorded, its entry

    def record(event: Event) -> None:
        if event.kind is EventKind.DATA:
            data_counts[event.type_name] += 1
        elif isinstance(event, CodesDetected) and event.codes == codes_seen[0]:
            # The same codes again (a code in view, frame after frame): counted in the entry of
            # the first, which says until which frame (one hour would hold 100,000 entries).
            entry = codes_seen[1]
            entry["repeats"] = entry.get("repeats", 0) + 1
            entry["last_frame_index"] = event.frame_index
        else:
            entry = event.to_dict()
            result.events.append(entry)
            if isinstance(event, CodesDetected):
                codes_seen[:] = [event.codes, entry]
        if isinstance(event, HudDrawn):
            result.hud.append((event.t_ns, event.text))

    rig.runtime.observe(record)
    for observer in observers:
        rig.runtime.observe(observer)
    result.profile = rig.profile.name
    await rig.start()
    rig.play(scenario, scenes, speech)
    end_ns = round(scenario.duration_s * NS_PER_S)
    await clock.sleep_until(end_ns)
    await rig.stop(reason="scenario finished")

    result.data_events = dict(sorted(data_counts.items()))
    result.metrics = rig.runtime.metrics()
    result.error = gave_up_error(result.metrics)
    result.photos = list(rig.photos)
    timelines = rig.runtime.timelines
    result.turns = {t: timelines.relative_ms(t) for t in timelines.turns()}
    result.folded = {t: f for t in result.turns if (f := timelines.folded(t))}
    result.outcomes = judge(scenario, result.hud, offset_ns=0, end_ns=end_ns)


def gave_up_error(metrics: dict[str, Any]) -> str:
    """The scenario's error when stages or sources gave up for good ("" when none did): the
    pipeline ran without them, so nothing it showed can be trusted to pass."""
    failed: dict[str, str] = metrics.get("failed", {})
    restarts: dict[str, int] = metrics.get("restarts", {})
    return "\n".join(
        f"{name} crashed {restarts.get(name, 0)} times and gave up: {error}"
        for name, error in sorted(failed.items())
    )


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


@dataclass
class BatchRun:
    """What ``run_files`` did: a result per file it got to, in order (``invalid`` and
    ``crashed`` files included), and, when Ctrl-C stopped it, the files not run."""

    results: list[ScenarioResult] = field(default_factory=list)
    interrupted: bool = False
    not_run: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.interrupted and all(r.passed for r in self.results)


def run_files(
    paths: Sequence[Path],
    *,
    on_result: Callable[[ScenarioResult], None] | None = None,
    setup: AssistantSetup | None = None,
    observers: Sequence[Callable[[Event], None]] = (),
    rig: RigFactory = _sim_rig,
) -> BatchRun:
    """Load and run each file, calling ``on_result`` as each one finishes.

    One file never stops the others: an invalid file becomes an ``invalid`` result, and one
    whose run raises (a bug, a model that will not load, memory) a ``crashed`` result. Ctrl-C
    (``KeyboardInterrupt``) stops the batch cleanly: the run in progress is abandoned, and the
    results so far are returned with ``interrupted`` set and the rest listed in ``not_run``.
    ``observers`` watch every file's events and ``rig`` builds each file's device
    (``run_scenario``).
    """
    batch = BatchRun()
    try:
        for path in paths:
            result = _run_file(path, setup, observers, rig)
            batch.results.append(result)
            release_memory()  # before the next file: a batch holds one file's state at a time
            if on_result is not None:
                on_result(result)
    except KeyboardInterrupt:
        # Wherever it lands (inside a run, or while a finished file is being reported), the
        # files whose results were kept are the ones that finished; the rest did not run.
        batch.interrupted = True
        batch.not_run = [_shown_path(p) for p in paths[len(batch.results) :]]
    return batch


def _run_file(
    path: Path,
    setup: AssistantSetup | None,
    observers: Sequence[Callable[[Event], None]],
    rig: RigFactory,
) -> ScenarioResult:
    """One file's result: passed or failed, ``invalid`` if it does not load, ``crashed`` if its
    run raises (a bug, a model that will not load, memory). ``KeyboardInterrupt`` passes."""
    from simulator.scenario import load_scenario

    shown, name = _shown_path(path), path.stem
    try:
        scenario = load_scenario(path)
        name = scenario.name
        return run_scenario(scenario, display_name=shown, setup=setup, observers=observers, rig=rig)
    except ScenarioError as exc:
        return ScenarioResult(
            name=path.stem,
            file=shown,
            duration_s=0.0,
            status="invalid",
            error="\n".join(exc.problems),
        )
    except Exception as exc:  # one file's crash must not take the batch down
        log.debug("scenario %s crashed", shown, exc_info=True)
        return ScenarioResult(
            name=name,
            file=shown,
            duration_s=0.0,
            status="crashed",
            error=f"crashed: {type(exc).__name__}: {exc}".splitlines()[0],
            traceback=traceback.format_exc(),
        )


def release_memory() -> None:
    """Give back what a finished run no longer holds. A rig's stages, runtime and tasks refer
    to each other, so they (and the frames and audio they hold) are freed only by the cycle
    collector, whose next pass may be files later; and glibc keeps freed pages for reuse
    unless asked to return them. The 19 bundled scenarios in one batch peaked at 1.6 GB
    without this and peak at 1.0 GB with it: ask.yaml alone takes 0.8 GB (Gemma and Whisper),
    the others add the models they share (the OCR reader, the face detector)."""
    gc.collect()
    if _malloc_trim is not None:
        _malloc_trim(0)


def _libc_malloc_trim() -> Callable[[int], int] | None:
    try:
        trim: Callable[[int], int] = ctypes.CDLL(None).malloc_trim  # glibc only
    except (OSError, AttributeError):
        return None
    return trim


_malloc_trim = _libc_malloc_trim()
