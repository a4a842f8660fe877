"""The simulated glasses: sim devices wired to the real pipeline, and the scenario player.

The headless harness and the interactive TUI session both build one of these; they differ only
in the clock (free-running virtual time vs. virtual time paced to the wall clock). The session
itself is assembled as live runs assemble theirs (``glasses.app.session.Session``); the rig
adds the sim devices and the player.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

import numpy as np

from glasses.app.pipeline import AssistantPipeline
from glasses.app.session import Session
from glasses.app.setup import AssistantSetup
from glasses.assistant.llm.base import LanguageModel
from glasses.assistant.skills.photo import PHOTOS_DIR_ENV, PhotoSkill
from glasses.devices.power import PowerSource, SimBattery
from glasses.devices.sim import (
    SimCamera,
    SimDisplay,
    SimEchoPath,
    SimIndicator,
    SimMicrophone,
    SimSpeaker,
)
from glasses.hud.profile import get_profile
from glasses.runtime.clock import NS_PER_S, Clock
from glasses.runtime.events import Event, HeadGesture, Swipe, Tap
from glasses.runtime.runtime import Runtime
from glasses.runtime.supervisor import RestartPolicy
from glasses.speech.listen_stage import ListenSettings
from simulator.media_steps import first_frame, play_video, read_audio, read_times, shown_from
from simulator.scenario import BatterySpec, DeviceSpec, Scenario, Step

# The simulated wall clock at virtual time 0 (2026-01-01 10:00 UTC): memories are dated by it, so
# "how long ago" reads the same on every run.
SIM_WALL_EPOCH_S = 1_767_261_600.0


def _listen(listen: ListenSettings | None, device: DeviceSpec, stated: set[str]) -> ListenSettings:
    if listen is None:
        return ListenSettings(mode=device.listen)
    return listen if "listen" not in stated else replace(listen, mode=device.listen)


class SimRig:
    """A simulated device (camera, microphone, speaker with its echo, display, capture LED,
    battery) around the assistant pipeline."""

    def __init__(
        self,
        clock: Clock,
        device: DeviceSpec,
        *,
        seed: int = 0,
        llm: LanguageModel | None = None,
        setup: AssistantSetup | None = None,
    ) -> None:
        """``setup``: the config's and the command line's additions (custom skills, a language
        model, profile and listening for what the scenario's ``device:`` does not state)."""
        setup = setup or AssistantSetup()
        stated = device.model_fields_set  # what the scenario's device: section says wins
        self.clock = clock
        self.device = device
        self.profile = get_profile(
            setup.profile if setup.profile and "profile" not in stated else device.profile
        )
        self.camera = SimCamera(
            width=device.camera.width, height=device.camera.height, fps=device.camera.fps
        )
        self.display = SimDisplay(clock)
        self.indicator = SimIndicator(clock)
        mic = device.microphone
        self.echo = (
            SimEchoPath(
                mic.sample_rate,
                delay_ms=device.echo.delay_ms,
                attenuation_db=device.echo.attenuation_db,
                clock=clock,
            )
            if device.echo is not None
            else None
        )
        self.speaker = SimSpeaker(clock, echo=self.echo)
        self.microphone = SimMicrophone(
            seed=seed, native_rate=mic.sample_rate, channels=mic.channels, echo=self.echo
        )
        self.battery = SimBattery()
        self.power: PowerSource = self._power_source()
        # The memory stays in RAM (no data_dir): an outcome never depends on an earlier run.
        self.session = Session(
            clock,
            display=self.display,
            indicator=self.indicator,
            profile=self.profile,
            speech=True,
            speaker=self.speaker,
            listen=_listen(setup.listen, device, stated),
            setup=setup,
            llm=llm,
            wall_time=lambda: SIM_WALL_EPOCH_S + clock.now_ns() / NS_PER_S,
            # Read when asked: a rig that puts another LED in (``firmware_stubs``' LinkRig, the
            # glasses' own) is followed.
            capturing=lambda: self.indicator.on,
            power=self.power,
        )
        self.runtime: Runtime = self.session.runtime
        self.pipeline: AssistantPipeline = self.session.pipeline
        self._player: str | None = None
        self._unplugged: set[str] = set()  # devices a scenario has unplugged
        self._video: str | None = None  # the task playing a video step, if any
        self._videos = 0
        self._photo_dir: Path | None = None
        photo = self.photo_skill
        if photo is not None and photo.store_dir is None:
            photo.store_dir = self._photos_dir

    def _power_source(self) -> PowerSource:
        """What the session reads the battery from, built once the devices are: the
        simulated battery (a rig with emulated glasses between reads theirs)."""
        return self.battery

    def set_battery(self, spec: BatterySpec) -> None:
        """A ``battery:`` step: the simulated battery takes what it gives."""
        self.battery.set(level=spec.level, temperature_c=spec.temperature_c, charging=spec.charging)

    @property
    def photo_skill(self) -> PhotoSkill | None:
        skills = self.pipeline.skills.by_intent.values()
        return next((s for s in skills if isinstance(s, PhotoSkill)), None)

    @property
    def photos(self) -> list[Path]:
        """The photos saved so far, oldest first."""
        photo = self.photo_skill
        return list(photo.saved) if photo is not None else []

    def _photos_dir(self) -> Path:
        """Where simulated photos go: ``$GLASSES_PHOTOS_DIR``, else a fresh private temporary
        folder made at the first photo (never the wearer's own photo folder)."""
        if self._photo_dir is None:
            configured = os.environ.get(PHOTOS_DIR_ENV)
            self._photo_dir = (
                Path(configured)
                if configured
                else Path(tempfile.mkdtemp(prefix="glasses-sim-photos-"))
            )
        return self._photo_dir

    async def start(self) -> None:
        await self.session.start()
        self.runtime.spawn("camera", self.session.camera_loop(self.camera))
        # The simulated LED follows the camera alone, as it always has in the rig (live runs
        # light it for the microphone too): scenarios' outcomes depend on ``capturing``.
        self.runtime.spawn("microphone", self.session.microphone_loop(self.microphone, lit=False))

    def publish(self, event: Event) -> None:
        self.runtime.publish(event)

    def play(
        self,
        scenario: Scenario,
        scenes: Mapping[int, np.ndarray],
        speech: Mapping[int, np.ndarray] | None = None,
        *,
        offset_ns: int = 0,
    ) -> None:
        """Start playing ``scenario``'s timeline (step times counted from ``offset_ns``).

        ``scenes`` and ``speech`` are the prepared images and 16 kHz audio of its steps."""
        said = speech or {}

        async def player() -> None:
            for i, timed in enumerate(scenario.steps):
                await self.clock.sleep_until(offset_ns + round(timed.t_s * NS_PER_S))
                step = timed.step
                if step.video is not None or step.audio is not None:
                    self._play_media(scenario, step)
                    continue
                self._act(step, scenes[i] if step.show else None, said[i] if step.say else None)

        # One scenario at a time: a new one replaces the one playing, with every device plugged.
        if self._player is not None:
            self.runtime.supervisor.cancel(self._player)
        self._stop_video()
        for device in tuple(self._unplugged):
            self._replug(device)
        self._first_frames(scenario)
        self._player = f"player@{offset_ns}"
        # A player that crashed would replay its cues if restarted: report it and stop instead.
        self.runtime.spawn(self._player, player, RestartPolicy(max_restarts=0))

    def _act(self, step: Step, scene: np.ndarray | None, speech: np.ndarray | None) -> None:
        """Play one step: what the wearer does, or what happens to the devices."""
        now = self.clock.now_ns()
        if step.show is not None and scene is not None:
            self._stop_video()  # a scene replaces a video playing
            self.camera.show(scene)
        elif step.tap is not None:
            self.publish(Tap(t_ns=now, source="touchpad", count=step.tap.count))
        elif step.swipe is not None:
            self.publish(Swipe(t_ns=now, source="touchpad", direction=step.swipe))
        elif step.say is not None and speech is not None:
            # Said into an unplugged microphone, speech is lost, as it would be on the device.
            if "microphone" not in self._unplugged:
                self.microphone.feed(speech)
        elif step.nod is not None or step.shake is not None:
            gesture = "nod" if step.nod is not None else "shake"
            self.publish(HeadGesture(t_ns=now, source="imu", gesture=gesture))
        elif step.unplug is not None:
            self._unplug(step.unplug)
        elif step.replug is not None:
            self._replug(step.replug)
        elif step.battery is not None:
            self.set_battery(step.battery)

    def _play_media(self, scenario: Scenario, step: Step) -> None:
        """A ``video:`` or ``audio:`` step (:mod:`simulator.media_steps`): the video plays on
        the camera from now, replacing one playing; the audio goes into the microphone (lost
        if it is unplugged, as speech is)."""
        if step.audio is not None:
            if "microphone" not in self._unplugged:
                self.microphone.feed(read_audio(scenario.resolve(step.audio)))
            return
        if step.video is None:
            return
        video = step.video
        path = scenario.resolve(video.file)
        times = read_times(scenario.resolve(video.times)) if video.times is not None else None
        start_ns = self.clock.now_ns()
        self._stop_video()
        self._videos += 1
        self._video = f"video{self._videos}"
        self.runtime.spawn(
            self._video,
            lambda: play_video(self.camera, self.clock, path, times=times, start_ns=start_ns),
            RestartPolicy(max_restarts=0),  # a restart would play the video again
        )

    def _first_frames(self, scenario: Scenario) -> None:
        """A video at 0 s whose first frame is due at once is in view from the camera's first
        read: shown now, before the camera loop (which runs before the player) takes it."""
        for timed in scenario.steps:
            if timed.t_s > 0:
                break
            video = timed.step.video
            if video is None:
                continue
            times = read_times(scenario.resolve(video.times)) if video.times is not None else None
            if times is None or shown_from(times)[0] == 0:
                self.camera.show(first_frame(scenario.resolve(video.file)))

    def _stop_video(self) -> None:
        if self._video is not None:
            self.runtime.supervisor.cancel(self._video)
            self._video = None

    def _unplug(self, device: str) -> None:
        """Pull ``device`` out: its next read fails (``DeviceLost``) and so does every reopen
        until it is replugged. Speech still queued in the microphone is cut off."""
        self._unplugged.add(device)
        if device == "camera":
            self.camera.unplug()
        else:
            self.microphone.unplug()
            self.microphone.clear()

    def _replug(self, device: str) -> None:
        """Plug ``device`` back in: the capture loop's next reconnection attempt (it backs off
        from 0.5 s up to 5 s) reopens it and publishes ``DeviceRestored``."""
        self._unplugged.discard(device)
        if device == "camera":
            self.camera.plug()
        else:
            self.microphone.plug()

    async def stop(self, reason: str = "") -> None:
        await self.session.stop(reason=reason)
