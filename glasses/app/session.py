"""One way to assemble a session, for the simulator and for live runs.

``Session`` puts together what every session has: a ``Runtime`` on the session's clock, the
assistant's stages (``build_pipeline``) drawing on a display, the skills' services
(``session_services``) reading the capture LED, extra stages beside them, and the capture loops
of the camera and the microphone, each holding a claim on the one LED. Front ends differ only
in what they hand it: ``simulator.rig.SimRig`` (sim devices on a virtual clock, a scenario
player) and ``glasses.app.live`` (real or file devices on the real clock, a headless display and
an LED that logs, end conditions and a summary).

``drain`` waits for quiescence (``Runtime.idle()``, the speaker done, the display's held-back
update drawn) instead of sleeping a guessed time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

from glasses.app.pipeline import AssistantPipeline, build_pipeline
from glasses.app.services import session_services
from glasses.app.setup import AssistantSetup
from glasses.assistant.llm.base import LanguageModel
from glasses.devices.indicator import SharedIndicator
from glasses.devices.power import (
    Dimmable,
    LimitedCamera,
    PowerGovernor,
    PowerSource,
    Throttled,
)
from glasses.devices.protocols import Camera, Display, Indicator, Microphone, Speaker
from glasses.devices.state import run_camera, run_microphone
from glasses.hud.profile import DisplayProfile
from glasses.runtime.clock import NS_PER_S, Clock
from glasses.runtime.events import AudioChunk
from glasses.runtime.runtime import Runtime
from glasses.runtime.stage import Stage
from glasses.speech.listen_stage import ListenSettings

Loop = Callable[[], Awaitable[None]]

DRAIN_TIMEOUT_S = 10.0
"""Once the pipeline is idle, the longest wait (clock seconds) for the speaker to finish its
last reply."""

DRAIN_LIMIT_S = 300.0
"""The longest wait (clock seconds) for the stages to finish the events they hold: long enough
for a loaded machine to decode the last utterances (so the load does not decide what the
session heard), bounded so that a stage stuck for good cannot hang it."""

_DRAIN_POLL_S = 0.005
_SETTLE_MARGIN_S = 0.05


class Session:
    """A runtime with the assistant pipeline, its display and capture LED, ready for sources.

    ``display`` and ``indicator`` are the session's devices (any backend of the ``Display`` and
    ``Indicator`` protocols); the LED is shared (``led``): each capture loop takes a claim, and
    it is on while any of them captures. ``setup``: skills, captions backend and language model
    (``llm`` overrides the setup's). ``data_dir``: where the memory is kept (None: in RAM, for
    this session only); ``wall_time``: the skills' wall clock (None: the system's);
    ``capturing``: what the skills read as the capture LED (None: ``led``). ``stages`` run
    beside the assistant's (a recorder, a plug-in). Nothing runs before ``start()``.

    ``power``: the glasses' battery and temperature (``SimBattery`` in the simulator,
    ``LinkPower`` over the link; None: unknown). With one, the skills read its level
    (``services.battery``) and a ``PowerGovernor`` (``governor``) steps the camera, the
    display and the perception stages through the degrade modes, publishing its warning cards.
    """

    def __init__(
        self,
        clock: Clock,
        *,
        display: Display,
        indicator: Indicator,
        profile: DisplayProfile,
        speech: bool,
        speaker: Speaker | None = None,
        listen: ListenSettings | None = None,
        setup: AssistantSetup | None = None,
        llm: LanguageModel | None = None,
        data_dir: Path | None = None,
        wall_time: Callable[[], float] | None = None,
        capturing: Callable[[], bool] | None = None,
        stages: Sequence[Stage] = (),
        power: PowerSource | None = None,
    ) -> None:
        setup = setup or AssistantSetup()
        self.power = power
        self.clock = clock
        self.profile = profile
        self.display = display
        self.indicator = indicator
        self.led = SharedIndicator(indicator)
        self.runtime = Runtime(clock)
        self.pipeline: AssistantPipeline = build_pipeline(
            self.runtime,
            display=display,
            profile=profile,
            speech=speech,
            speaker=speaker,
            listen=listen,
            skills=setup.skills(),
            captions_backend=setup.captions,
            services=session_services(
                llm=llm if llm is not None else setup.llm,
                capturing=capturing or (lambda: self.led.on),
                data_dir=data_dir,
                wall_time=wall_time,
                battery=None if power is None else self._battery_level,
            ),
        )
        self.stages = tuple(stages)
        for stage in stages:
            self.runtime.add_stage(stage)
        self.governor: PowerGovernor | None = None
        if power is not None:
            self.governor = PowerGovernor(
                power,
                clock,
                display=display if isinstance(display, Dimmable) else None,
                publish=self.runtime.publish,
                on_mode=self._duty_cycle,
            )

    def _battery_level(self) -> float | None:
        status = None if self.power is None else self.power.status
        return None if status is None else status.level

    def _duty_cycle(self, governor: PowerGovernor) -> None:
        """The perception duty cycle of the degrade modes, for the stages that take one."""
        for stage in (self.pipeline.codes, *self.stages):
            if hasattr(stage, "duty_cycle"):
                stage.duty_cycle = governor.duty_cycle

    def camera_loop(self, camera: Camera) -> Loop:
        """The capture loop of ``camera`` (for ``Runtime.spawn``): frames are published only
        while its claim on the LED is on. With a ``power`` source the governor throttles it
        (a camera that cannot be told a size and rate is wrapped in a ``LimitedCamera``)."""
        if self.governor is not None:
            throttled = camera if isinstance(camera, Throttled) else LimitedCamera(camera)
            self.governor.camera = throttled
            self.governor.apply()
            camera = throttled  # type: ignore[assignment]  # LimitedCamera is a Camera
        claim = self.led.claim("camera")
        return lambda: run_camera(camera, self.clock, self.runtime.publish, indicator=claim)

    def microphone_loop(self, mic: Microphone, *, lit: bool = True) -> Loop:
        """The capture loop of ``mic`` (for ``Runtime.spawn``); ``lit``: it claims the LED too.

        A file microphone waits for room in the pipeline (the session lags, it never loses
        audio); a live one cannot be paused: its chunks queue past the bound, reported.
        """
        claim = self.led.claim("microphone") if lit else None
        runtime = self.runtime
        ready = None if mic.live else lambda: runtime.wait_room(AudioChunk, "microphone")
        return lambda: run_microphone(
            mic, self.clock, runtime.publish, indicator=claim, ready=ready
        )

    async def start(self) -> None:
        await self.runtime.start()

    async def stop(self, reason: str = "") -> None:
        await self.runtime.stop(reason=reason)

    def _speaking(self) -> bool:
        speak = self.pipeline.speak
        return speak is not None and speak.speaking

    async def drain(self, stop: asyncio.Event | None = None) -> None:
        """Wait until the pipeline is idle, the speaker has finished its reply, and all stays
        quiet for one display update interval.

        The quiet spell lets an update the HUD holds back (displays take one update per
        ``min_update_interval_ms``) reach the display. However long the stages take to finish
        what they hold (up to ``DRAIN_LIMIT_S``), they finish it: a loaded machine decodes the
        last utterance late, not never. A reply still playing ``DRAIN_TIMEOUT_S`` after the
        pipeline went idle is cut. ``stop`` ends the wait at once.
        """
        clock, runtime = self.clock, self.runtime
        settle_s = self.profile.min_update_interval_ms / 1000 + _SETTLE_MARGIN_S
        limit = clock.now_ns() + round(DRAIN_LIMIT_S * NS_PER_S)
        speaker_deadline: int | None = None
        while clock.now_ns() < limit and not (stop is not None and stop.is_set()):
            if not runtime.idle():
                speaker_deadline = None
                await clock.sleep(_DRAIN_POLL_S)
                continue
            if self._speaking():
                if speaker_deadline is None:
                    speaker_deadline = clock.now_ns() + round(DRAIN_TIMEOUT_S * NS_PER_S)
                elif clock.now_ns() >= speaker_deadline:
                    return
                await clock.sleep(_DRAIN_POLL_S)
                continue
            published = runtime.bus.published
            await clock.sleep(settle_s)
            if runtime.bus.published == published and runtime.idle() and not self._speaking():
                return
