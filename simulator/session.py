"""An interactive simulator session: the rig on paced virtual time, in a background thread.

The TUI runs on its own asyncio loop (Textual's); the simulated glasses run on a virtual clock
paced to the wall clock in a thread of their own, so pausing or single-stepping virtual time
never freezes the interface. The two sides talk through thread-safe hand-overs only:

* simulation → UI: events are appended to a deque (appends are atomic), the newest camera
  frame and a metrics snapshot are replaced by reference;
* UI → simulation: every control (tap, swipe, new scene, pause, step) is a callback run on
  the simulation's loop with ``VirtualClock.call_threadsafe``.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from glasses.app.setup import AssistantSetup
from glasses.devices.power import PowerStatus
from glasses.hud.profile import DisplayProfile
from glasses.hud.stage import HudStage
from glasses.runtime.clock import NS_PER_S, Pace, VirtualClock
from glasses.runtime.events import (
    Event,
    EventKind,
    HeadGesture,
    HudDrawn,
    Swipe,
    Tap,
    VideoFrame,
)
from simulator.expectations import HudHistory, Outcome
from simulator.harness import judge, prepare_scenes, prepare_speech
from simulator.rig import SimRig
from simulator.scenario import Scenario, load_scenario
from simulator.scenes import SceneSpec, render_scene

log = logging.getLogger(__name__)

METRICS_PERIOD_S = 0.25

#: Scenes the ``c`` key cycles through when no scenario drives the camera.
PRESET_SCENES: tuple[tuple[str, SceneSpec], ...] = (
    (
        "QR poster",
        SceneSpec(
            kind="qr",
            content="https://example.org/glasses",
            scale=0.35,
            rotate_deg=8,
            noise_sigma=6,
        ),
    ),
    ("product barcode", SceneSpec(kind="ean13", content="4006381333931", scale=0.5, noise_sigma=4)),
    ("exit sign", SceneSpec(kind="text", content="EXIT", scale=0.5)),
    ("nothing", SceneSpec(kind="blank", noise_sigma=6)),
)


@dataclass
class ScenarioRun:
    """A scenario being played in the session; ``outcomes`` is filled when it has ended."""

    scenario: Scenario
    offset_ns: int
    end_ns: int
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def done(self) -> bool:
        return bool(self.outcomes) or not self.scenario.model.expect


class SimSession:
    """Start with ``start()``; read ``drain()``, ``frame``, ``metrics``; control; ``stop()``."""

    def __init__(
        self,
        scenario: Scenario,
        *,
        speed: float = 1.0,
        paused: bool = False,
        setup: AssistantSetup | None = None,
    ) -> None:
        self.pace = Pace(speed, paused=paused)
        self.clock = VirtualClock(pace=self.pace)
        self.rig = SimRig(self.clock, scenario.model.device, seed=scenario.model.seed, setup=setup)
        # A bad image or unspeakable text fails here, not in the simulation thread.
        self.first = (scenario, prepare_scenes(scenario), prepare_speech(scenario))
        self.events: deque[Event] = deque(maxlen=5000)
        self.frame: VideoFrame | None = None
        self.metrics: dict[str, Any] = {}
        self.hud_history: HudHistory = []
        self.run: ScenarioRun | None = None
        self.error: str = ""
        self._scene_index = -1
        self._stopping: asyncio.Event | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._main, name="glasses-sim", daemon=True)

    # ---------------------------------------------------------------- lifecycle
    @property
    def profile(self) -> DisplayProfile:
        return self.rig.profile

    def start(self, timeout_s: float = 30.0) -> None:
        """Start the simulation thread; returns once its loop takes controls."""
        self._thread.start()
        if not self._ready.wait(timeout_s):
            raise RuntimeError(self.error or "the simulation did not start")

    def stop(self, timeout_s: float = 5.0) -> None:
        if self._thread.is_alive():
            self._call(self._request_stop)
            self._thread.join(timeout_s)

    def _main(self) -> None:
        try:
            self.clock.run(self._serve())
        except Exception as exc:  # shown in the TUI's status line; the UI stays up
            log.exception("simulation stopped")
            self.error = f"simulation stopped: {type(exc).__name__}: {exc}"
            self._ready.set()

    async def _serve(self) -> None:
        self._stopping = asyncio.Event()
        self.rig.runtime.observe(self._observe)
        await self.rig.start()
        self._play(*self.first)
        self.rig.runtime.spawn("tui-metrics", self._sample_metrics)
        self._ready.set()
        await self._stopping.wait()
        await self.rig.stop(reason="session closed")

    def _request_stop(self) -> None:
        if self._stopping is not None:
            self._stopping.set()

    def _call(self, fn: Any) -> None:
        if not self.clock.call_threadsafe(fn):
            log.info("simulation is not running; control ignored")

    # ---------------------------------------------------------------- observing
    def _observe(self, event: Event) -> None:
        if isinstance(event, VideoFrame):
            self.frame = event
            return
        if event.kind is EventKind.DATA:
            return
        self.events.append(event)
        if isinstance(event, HudDrawn):
            self.hud_history.append((event.t_ns, event.text))

    async def _sample_metrics(self) -> None:
        timelines = self.rig.runtime.timelines
        while True:
            # Computed here, on the simulation's thread, then handed over whole: the UI never
            # iterates a dict the simulation is changing.
            metrics = self.rig.runtime.metrics()
            turns = timelines.turns()
            if turns:
                metrics["last_turn"] = timelines.relative_ms(max(turns))
            self.metrics = metrics
            run = self.run
            if run is not None and not run.outcomes and self.clock.now_ns() >= run.end_ns:
                run.outcomes = judge(
                    run.scenario, self.hud_history, offset_ns=run.offset_ns, end_ns=run.end_ns
                )
            await self.clock.sleep(METRICS_PERIOD_S)

    def drain(self) -> list[Event]:
        """Events since the last call (control and system only), oldest first."""
        out = []
        while self.events:
            out.append(self.events.popleft())
        return out

    @property
    def now_s(self) -> float:
        return self.clock.now_ns() / NS_PER_S

    @property
    def power(self) -> PowerStatus | None:
        """The simulated glasses' battery and temperature (scenario steps ``battery:``)."""
        return self.rig.power.status

    @property
    def capture_led(self) -> bool:
        return self.rig.indicator.on

    @property
    def hud(self) -> HudStage:
        return self.rig.pipeline.hud

    @property
    def paused(self) -> bool:
        return self.pace.paused

    link = "simulated"
    start_ns = 0  # event times count from the session's start, which is 0 on its clock
    virtual = True  # times are virtual (paced to the wall clock)

    @property
    def ended(self) -> str:
        """Why the simulation no longer runs ("" while it does)."""
        started = self._ready.is_set()
        return "stopped" if started and not self._thread.is_alive() else ""

    def keeping_up(self) -> float | None:
        """Virtual time's pace as a share of ``speed`` over the last seconds (``Pace.keeping_up``);
        below 1 the machine cannot keep up. None while paused or not yet measured."""
        return None if self.pace.paused else self.pace.keeping_up()

    # ---------------------------------------------------------------- controls (UI thread)
    def tap(self, count: int = 1) -> None:
        self._call(
            lambda: self.rig.publish(Tap(t_ns=self.clock.now_ns(), source="keyboard", count=count))
        )

    def swipe(self, direction: str) -> None:
        self._call(
            lambda: self.rig.publish(
                Swipe(t_ns=self.clock.now_ns(), source="keyboard", direction=direction)
            )
        )

    def gesture(self, gesture: str) -> None:
        self._call(
            lambda: self.rig.publish(
                HeadGesture(t_ns=self.clock.now_ns(), source="imu", gesture=gesture)
            )
        )

    def next_scene(self) -> str:
        """Show the next preset scene; returns its name."""
        self._scene_index = (self._scene_index + 1) % len(PRESET_SCENES)
        name, spec = PRESET_SCENES[self._scene_index]
        cam = self.rig.device.camera
        image = render_scene(spec, cam.width, cam.height)
        self._call(lambda: self.rig.camera.show(image))
        return name

    def toggle_pause(self) -> bool:
        paused = not self.pace.paused
        self.pace.settled.clear()
        self._call(lambda: setattr(self.pace, "paused", paused))
        return paused

    def step(self, seconds: float = 0.1) -> bool:
        """Let ``seconds`` of virtual time pass while paused; ``settle()`` waits for it."""
        if not self.pace.paused:
            return False
        return self.clock.request_step(seconds)

    def settle(self, timeout_s: float = 30.0) -> bool:
        """Block until the paused simulation has done all it can; False on timeout."""
        return self.pace.settled.wait(timeout_s)

    def open_scenario(self, path: Path) -> Scenario:
        """Load ``path`` (raises ScenarioError) and play it from now on."""
        scenario = load_scenario(path)
        scenes = prepare_scenes(scenario)  # fail here, in the UI, on a bad image
        speech = prepare_speech(scenario)
        self._call(lambda: self._play(scenario, scenes, speech))
        return scenario

    def say(self, text: str) -> bool:
        """The wearer says ``text``: synthesised, mixed with noise, into the microphone."""
        from glasses.speech.tts import mix_noise, synthesize_16k

        audio = mix_noise(synthesize_16k(text), 20.0, seed=len(self.hud_history))
        self._call(lambda: self.rig.microphone.feed(audio))
        return True

    def _play(
        self,
        scenario: Scenario,
        scenes: Mapping[int, np.ndarray],
        speech: Mapping[int, np.ndarray],
    ) -> None:
        now = self.clock.now_ns()
        self.run = ScenarioRun(scenario, now, now + round(scenario.duration_s * NS_PER_S))
        self.rig.play(scenario, scenes, speech, offset_ns=now)
