"""The live session behind ``glasses run``: a camera and a microphone through the assistant,
and a speaker for its spoken replies.

``run_live(config)`` opens the devices first (a missing or unreadable one raises its one-line
``DeviceError`` before anything starts), builds the pipeline on the runtime, streams the devices
as supervised runtime tasks and returns a ``LiveSummary`` when the session ends:

* after ``config.duration_s`` seconds of clock time;
* when every source has ended (a video, a folder of images, a WAV; a still image and a live
  device never end by themselves), after the pipeline has finished the last frame and the
  speaker the last reply;
* when the caller sets ``stop`` (Ctrl-C);
* when a device fails for good (``LiveSummary.errors``).

The runtime is then stopped: every loop is cancelled and the capture LED is off. Nothing here
prints; front ends (the headless printer of ``glasses run``, a TUI) watch the session through
``on_start`` and ``on_event`` and render the summary themselves.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any, Literal

from glasses.app.recorder import Recording, SessionRecorder
from glasses.app.session import Session
from glasses.app.setup import AssistantSetup
from glasses.assistant.memory import default_data_dir
from glasses.devices.errors import DeviceError
from glasses.devices.file import FileCamera
from glasses.devices.headless import HeadlessDisplay, LogIndicator
from glasses.devices.power import PowerSource
from glasses.devices.protocols import Camera, Display, Indicator, Microphone, Speaker
from glasses.devices.uri import open_camera, open_microphone, open_speaker
from glasses.hud.profile import DEFAULT_PROFILE, DisplayProfile, get_profile
from glasses.hud.stage import HudStage
from glasses.runtime.clock import NS_PER_S, Clock, RealClock
from glasses.runtime.events import (
    AudioChunk,
    DeviceLost,
    Event,
    HudDrawn,
    Speaking,
    StageCrashed,
    VideoFrame,
)
from glasses.runtime.stage import Stage
from glasses.runtime.supervisor import RestartPolicy
from glasses.speech.listen_stage import ListenSettings

EndReason = Literal["duration", "sources", "stopped", "error"]
"""Why a session ended: its duration elapsed, every source ended, ``stop`` was set, or a device
failed for good."""

ENDED_BY: dict[EndReason, str] = {
    "duration": "the duration elapsed",
    "sources": "every source ended",
    "stopped": "stopped (Ctrl-C)",
    "error": "a device failed",
}
"""Each ``EndReason`` in words, for front ends."""

# A file that fails mid-run will fail again: no restart (a restart would also replay it).
_FILE_SOURCE_POLICY = RestartPolicy(max_restarts=0)


@dataclass(frozen=True, slots=True)
class LiveConfig:
    """What ``glasses run`` runs.

    ``camera``, ``mic`` and ``speaker`` are device URIs (``usb:N``, ``default``, ``file:PATH``,
    ``sim:``; see :mod:`glasses.devices.uri`); ``mic=None`` runs without a microphone,
    ``speaker=None`` (the default) without a speaker: replies are shown, not spoken.
    ``profile`` names a display profile (:data:`glasses.hud.profile.PROFILES`).
    ``duration_s``: seconds of clock time after which the session ends; None runs until the
    sources end or ``stop``. ``listen``: how the microphone is listened to (mode, open-speech
    backend; default ``ListenSettings()``). ``assistant``: the language model, custom skills,
    the photo and data folders and the captions' backend (``glasses.app.setup``; its
    ``profile`` and ``listen`` are not used here: ``profile`` and ``listen`` above are).
    ``record``: a new or empty folder to record the session into, as a scenario that replays
    it (``glasses.app.recorder``).
    """

    camera: str = "usb:0"
    mic: str | None = "default"
    profile: str = DEFAULT_PROFILE
    duration_s: float | None = None
    speaker: str | None = None
    listen: ListenSettings | None = None
    assistant: AssistantSetup | None = None
    record: Path | None = None

    def __post_init__(self) -> None:
        d = self.duration_s
        if d is not None and not (d > 0 and math.isfinite(d)):
            raise ValueError(f"duration_s must be a finite number of seconds > 0, got {d}")


@dataclass(frozen=True, slots=True)
class LiveStarted:
    """Handed to ``on_start`` once the devices are open and the runtime runs, before any event.

    ``t_ns`` is the clock time the session started (event times minus ``t_ns`` = session time).
    ``camera``/``mic``/``speaker`` describe the opened devices (None for a device not used).
    ``display`` is what the HUD shows now (``display.text``); ``led`` the capture LED
    (``led.on``): a ``HeadlessDisplay`` and a ``LogIndicator`` (:mod:`glasses.devices.headless`).
    """

    t_ns: int
    camera: str
    mic: str | None
    speaker: str | None
    profile: DisplayProfile
    display: Display
    led: Indicator
    hud: HudStage  # what the HUD shows (card, page, brightness), for a UI
    publish: Callable[[Event], None]  # inject input events (taps); call on the session's loop
    metrics: Callable[[], dict[str, Any]]  # ``Runtime.metrics``; call on the session's loop
    power: PowerSource | None = None  # the glasses' battery (``status``), when they report it


@dataclass(frozen=True, slots=True)
class StageLatency:
    """One stage's figures: events processed and latency (event time → done) in ms."""

    stage: str
    processed: int
    p50_ms: float
    p95_ms: float


@dataclass(frozen=True, slots=True)
class LiveSummary:
    """How a session went.

    ``duration_s``: clock seconds from start to end. ``frames``: camera frames captured (all
    published); ``frames_dropped``: frames the flow limiter replaced before a stage took them;
    ``frames_skipped``: frames of a video file that could not be decoded (a damaged file: the
    session goes on with the next good frame).
    ``audio_chunks`` / ``audio_s``: microphone chunks published and the audio they hold.
    ``hud_updates``: draws on the display; ``hud_text``: what it showed at the end.
    ``replies_spoken`` / ``spoken_s``: clips the speaker started and their full length (a
    barge-in may have cut some short).
    ``device_losses``: ``DeviceLost`` events (a live device unplugged; it reconnects).
    ``led_on``: the capture LED after the stop (False unless something is wrong).
    ``errors``: one-line ``DeviceError`` messages of devices that failed for good.
    ``failed``: tasks (stages, sources) that crashed and exhausted their restarts, with the error.
    ``metrics``: ``Runtime.metrics()`` as is.
    ``audio_held_back_s``: clock seconds a file microphone waited for room in a full pipeline
    (backpressure: the session lags, audio is never dropped). ``queue_overflows``: times an
    inbox ran over its size (each also a ``QueueOverflow`` event).
    ``recording``: what ``LiveConfig.record`` wrote (None when not recording).
    """

    ended_by: EndReason
    duration_s: float
    frames: int
    frames_dropped: int
    audio_chunks: int
    audio_s: float
    hud_updates: int
    hud_text: str
    device_losses: int
    stages: tuple[StageLatency, ...]
    led_on: bool
    errors: tuple[str, ...] = ()
    failed: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict, compare=False)
    replies_spoken: int = 0
    spoken_s: float = 0.0
    audio_held_back_s: float = 0.0
    queue_overflows: int = 0
    frames_skipped: int = 0
    recording: Recording | None = None


@dataclass(frozen=True, slots=True)
class Devices:
    """The devices of a session (``mic`` and ``speaker`` None when not used)."""

    camera: Camera
    mic: Microphone | None
    speaker: Speaker | None

    def close(self) -> None:
        """Close every device (``close()`` is idempotent and never raises)."""
        self.camera.close()
        if self.mic is not None:
            self.mic.close()
        if self.speaker is not None:
            self.speaker.close()


def power_of(devices: Devices) -> PowerSource | None:
    """The glasses' battery when a device is theirs over the link (``link://``; camera and
    microphone share one client), else None: a USB camera or a file says nothing of it."""
    if not any(hasattr(d, "client") for d in (devices.camera, devices.mic)):
        return None
    from glasses.devices.link.client import LinkClient  # only when a link:// device is used
    from glasses.devices.link.power import LinkPower

    for device in (devices.camera, devices.mic):
        client = getattr(device, "client", None)
        if isinstance(client, LinkClient):
            return LinkPower(client)
    return None


def make_devices(config: LiveConfig, clock: Clock) -> Devices:
    """The devices of ``config``, not yet opened; raises ``BadDeviceUri`` for a malformed URI."""
    return Devices(
        camera=open_camera(config.camera),
        mic=open_microphone(config.mic) if config.mic is not None else None,
        speaker=open_speaker(config.speaker, clock=clock) if config.speaker is not None else None,
    )


async def open_devices(devices: Devices, clock: Clock) -> None:
    """Open the camera, the microphone and the speaker; raises ``DeviceError``.

    All or nothing: if one fails, those already opened are closed again.
    """
    try:
        await clock.run_blocking(devices.camera.open)
        if devices.mic is not None:
            await clock.run_blocking(devices.mic.open)
        if devices.speaker is not None:
            await clock.run_blocking(devices.speaker.open)
    except BaseException:
        devices.close()
        raise


class _Tally:
    """Counts what the summary reports, as the events go by."""

    def __init__(self) -> None:
        self.frames = 0
        self.audio_chunks = 0
        self.audio_ns = 0
        self.hud_updates = 0
        self.device_losses = 0
        self.replies_spoken = 0
        self.spoken_ns = 0

    def observe(self, event: Event) -> None:
        if isinstance(event, VideoFrame):
            self.frames += 1
        elif isinstance(event, AudioChunk):
            self.audio_chunks += 1
            self.audio_ns += event.duration_ns
        elif isinstance(event, HudDrawn):
            self.hud_updates += 1
        elif isinstance(event, DeviceLost):
            self.device_losses += 1
        elif isinstance(event, Speaking):
            self.replies_spoken += 1
            self.spoken_ns += event.duration_ns


class _LiveRun:
    """One run: the assembled session, its sources and the end conditions."""

    def __init__(
        self,
        clock: Clock,
        profile: DisplayProfile,
        *,
        speech: bool,
        speaker: Speaker | None,
        listen: ListenSettings | None = None,
        stages: Sequence[Stage] = (),
        assistant: AssistantSetup | None = None,
        power: PowerSource | None = None,
    ) -> None:
        assistant = assistant or AssistantSetup()
        self.clock = clock
        self.session = Session(
            clock,
            display=HeadlessDisplay(clock),
            indicator=LogIndicator(clock),
            profile=profile,
            speech=speech,
            speaker=speaker,
            listen=listen,
            setup=assistant,
            data_dir=assistant.data_dir or default_data_dir(),
            stages=stages,
            power=power,
        )
        self.runtime = self.session.runtime
        self.tally = _Tally()
        self.wake = asyncio.Event()  # set whenever an end condition may have changed
        self.sources: list[str] = []
        self.ended: set[str] = set()
        self.errors: list[str] = []
        self.runtime.observe(self.tally.observe)
        self.runtime.observe(self._watch)

    def _watch(self, event: Event) -> None:
        if isinstance(event, StageCrashed) and event.stage in self.sources:
            self.wake.set()  # a source may have given up (``supervisor.failed``)

    def add_source(self, name: str, loop: Callable[[], Awaitable[None]], *, live: bool) -> None:
        async def source() -> None:
            try:
                await loop()
            except DeviceError as exc:  # failed for good: end the session with its message
                self.errors.append(str(exc))
            self.ended.add(name)
            self.wake.set()

        self.sources.append(name)
        self.runtime.spawn(name, source, None if live else _FILE_SOURCE_POLICY)

    def watch_stop(self, stop: asyncio.Event) -> None:
        async def relay() -> None:
            await stop.wait()
            self.wake.set()

        self.runtime.spawn("live-stop", relay)

    def _sources_done(self) -> bool:
        failed = self.runtime.supervisor.failed
        return all(name in self.ended or name in failed for name in self.sources)

    async def wait_for_end(self, stop: asyncio.Event | None, deadline_ns: int | None) -> EndReason:
        while True:
            if stop is not None and stop.is_set():
                return "stopped"
            if self.errors:
                return "error"
            if self._sources_done():
                return "sources"
            timeout: float | None = None
            if deadline_ns is not None:
                remaining = deadline_ns - self.clock.now_ns()
                if remaining <= 0:
                    return "duration"
                timeout = remaining / NS_PER_S
            self.wake.clear()
            try:
                async with asyncio.timeout(timeout):
                    await self.wake.wait()
            except TimeoutError:
                continue  # the deadline came: the check at the top of the loop ends the session

    def summary(
        self, ended_by: EndReason, start_ns: int, end_ns: int, *, frames_skipped: int = 0
    ) -> LiveSummary:
        metrics = self.runtime.metrics()
        stages = metrics["stages"]
        return LiveSummary(
            ended_by=ended_by,
            duration_s=(end_ns - start_ns) / NS_PER_S,
            frames=self.tally.frames,
            frames_dropped=sum(int(s["dropped"]) for s in stages.values()),
            audio_chunks=self.tally.audio_chunks,
            audio_s=self.tally.audio_ns / NS_PER_S,
            hud_updates=self.tally.hud_updates,
            hud_text=self.session.display.text,
            device_losses=self.tally.device_losses,
            stages=tuple(
                StageLatency(name, s["processed"], s["latency_ms_p50"], s["latency_ms_p95"])
                for name, s in stages.items()
            ),
            led_on=self.session.indicator.on,
            errors=tuple(self.errors),
            failed=dict(self.runtime.supervisor.failed),
            metrics=metrics,
            replies_spoken=self.tally.replies_spoken,
            spoken_s=self.tally.spoken_ns / NS_PER_S,
            audio_held_back_s=self.runtime.held_back_ns.get("microphone", 0) / NS_PER_S,
            queue_overflows=sum(int(s["overflowed"]) for s in stages.values()),
            frames_skipped=frames_skipped,
        )


async def run_live(
    config: LiveConfig,
    *,
    on_event: Callable[[Event], None] | None = None,
    on_start: Callable[[LiveStarted], None] | None = None,
    stop: asyncio.Event | None = None,
    clock: Clock | None = None,
    stages: Sequence[Stage] = (),
) -> LiveSummary:
    """Run one live session (see the module docstring) and return its summary.

    ``on_event`` sees every event on the bus (frames and audio included), synchronously, as it
    is published: keep it quick and do not raise. ``on_start`` is called once before the first
    event. Setting ``stop`` ends the session cleanly (Ctrl-C); cancelling the task also stops
    the runtime, then propagates. ``clock`` defaults to a ``RealClock``. ``stages`` run beside
    the assistant's (a recorder, a plug-in); a stage that takes audio holds a file microphone
    back like any other (backpressure).

    Raises ``ValueError`` for an unknown profile and ``DeviceError`` (``BadDeviceUri``,
    ``DeviceNotFound``, ``BackendUnavailable``, ``UnreadableMedia`` …) when a device cannot be
    opened; nothing has started then.
    """
    clock = clock or RealClock()
    profile = get_profile(config.profile)
    devices = make_devices(config, clock)  # malformed URIs fail here, before anything is built
    camera, mic, speaker = devices.camera, devices.mic, devices.speaker
    run = _LiveRun(
        clock,
        profile,
        speech=mic is not None,
        speaker=speaker,
        listen=config.listen,
        stages=stages,
        assistant=config.assistant,
        power=power_of(devices),
    )
    session, runtime = run.session, run.runtime
    recorder = None
    if config.record is not None:
        listen = (config.listen or ListenSettings()).mode
        recorder = SessionRecorder(config.record, profile=profile.name, listen=listen)
    recording: Recording | None = None
    await open_devices(devices, clock)
    if on_event is not None:
        runtime.observe(on_event)
    ended_by: EndReason = "stopped"
    start_ns = clock.now_ns()
    try:
        await session.start()
        start_ns = clock.now_ns()
        if on_start is not None:
            on_start(
                LiveStarted(
                    t_ns=start_ns,
                    camera=camera.describe(),
                    mic=mic.describe() if mic is not None else None,
                    speaker=speaker.describe() if speaker is not None else None,
                    profile=profile,
                    display=session.display,
                    led=session.indicator,
                    hud=session.pipeline.hud,
                    publish=runtime.publish,
                    metrics=runtime.metrics,
                    power=session.power,
                )
            )
        if recorder is not None:  # before the sources start: the first frame is recorded
            recorder.start(
                start_ns,
                camera=camera.describe(),
                camera_fps=camera.fps,
                microphone=mic.describe() if mic is not None else None,
            )
            runtime.observe(recorder.observe)
        run.add_source("camera", session.camera_loop(camera), live=camera.live)
        if mic is not None:
            run.add_source("microphone", session.microphone_loop(mic), live=mic.live)
        if stop is not None:
            run.watch_stop(stop)
        deadline = None
        if config.duration_s is not None:
            deadline = start_ns + round(config.duration_s * NS_PER_S)
        ended_by = await run.wait_for_end(stop, deadline)
        if ended_by == "sources":
            await session.drain(stop)  # the last frame reaches the HUD, the last reply plays
    finally:
        end_ns = clock.now_ns()
        await session.stop(reason=f"live session ended ({ended_by})")
        # The loops close camera and microphone; this covers a failed start. The speaker is
        # closed after the runtime stopped (the speak stage cuts a reply still playing), which
        # finalises a file speaker's WAV.
        devices.close()
        if recorder is not None and recorder.started:  # the files out, off the loop
            finish = partial(recorder.finish, end_ns, ended_by=ended_by)
            recording = await clock.run_blocking(finish)
    skipped = camera.bad_frames if isinstance(camera, FileCamera) else 0
    summary = run.summary(ended_by, start_ns, end_ns, frames_skipped=skipped)
    return replace(summary, recording=recording)
