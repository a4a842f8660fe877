"""Scenarios over the link: the same scenario file, with the glasses' side emulated.

``LinkRig`` is the simulator's ``SimRig`` with the link in between: the scenario's simulated
camera and microphone become the emulated glasses' sensors (``StubGlasses``), and the assistant
receives them through the companion's ``link://`` backends (``LinkCamera``, ``LinkMicrophone``,
``LinkIndicator``) over a ``LinkModel``; every HUD draw goes to the glasses' display too. What
the scenario judges (the HUD's ``HudDrawn`` history) is unchanged, so a scenario that passes
with ``sim:`` devices should pass over the link, its latencies now including the radio's.

``run_scenario_over_link(scenario)`` plays a scenario file that way; ``result.link`` keeps the
rig's link (``glasses`` and ``client``) for a look at what crossed it.
"""

from __future__ import annotations

from dataclasses import dataclass

from firmware_stubs.device import StubSettings
from firmware_stubs.harness import LinkedGlasses
from glasses.app.setup import AssistantSetup
from glasses.assistant.llm.base import LanguageModel
from glasses.devices.link.devices import LinkDisplay
from glasses.devices.link.transport import LinkModel
from glasses.devices.sim import SimDisplay
from glasses.devices.state import run_camera, run_microphone
from glasses.runtime.clock import NS_PER_S, Clock, VirtualClock
from glasses.runtime.events import Event, HudDrawn
from simulator.assistant_setup import scenario_setup
from simulator.harness import ScenarioResult, judge, prepare_scenes, prepare_speech
from simulator.rig import SimRig
from simulator.scenario import DeviceSpec, Scenario

# BLE 5 with the 2M PHY and data length extension gives about 1.4 Mbit/s to an application.
DEFAULT_MODEL = LinkModel(bandwidth_bps=1_400_000.0, latency_ms=15.0, jitter_ms=5.0)
# JPEG quality of the camera stream: perception reads codes and text well at 50, and a noisy
# 640×480 frame is half the size it is at 80 (30 KB instead of 63: 170 ms on the air, not 360).
CAMERA_QUALITY = 50


class _BothDisplays:
    """The HUD's display: the simulator's (what the scenario reads) and the glasses'."""

    def __init__(self, sim: SimDisplay, link: LinkDisplay) -> None:
        self.sim = sim
        self.link = link

    @property
    def text(self) -> str:
        return self.sim.text

    def draw(self, text: str) -> None:
        self.sim.draw(text)
        self.link.draw(text)


class LinkRig(SimRig):
    def __init__(
        self,
        clock: Clock,
        device: DeviceSpec,
        *,
        model: LinkModel | None = None,
        seed: int = 0,
        llm: LanguageModel | None = None,
        setup: AssistantSetup | None = None,
    ) -> None:
        super().__init__(clock, device, seed=seed, llm=llm, setup=setup)
        self.link = LinkedGlasses(
            clock,
            model=model or DEFAULT_MODEL,
            settings=StubSettings(profile=self.profile.name),
            camera=self.camera,
            microphone=self.microphone,
        )
        self.link_display = self.link.display()
        self.pipeline.hud.display = _BothDisplays(self.display, self.link_display)
        spec = device.camera
        self.link_camera = self.link.camera(
            width=spec.width, height=spec.height, fps=spec.fps, quality=CAMERA_QUALITY
        )
        self.link_microphone = self.link.microphone(chunk_samples=512)
        # The capture LED the assistant checks (photos) is now the glasses' own.
        self.link_indicator = self.link.indicator()
        self.indicator = self.link_indicator  # type: ignore[assignment]  # same protocol, no history

    async def start(self) -> None:
        await self.runtime.start()
        await self.link.start()
        self.runtime.spawn(
            "camera",
            lambda: run_camera(
                self.link_camera, self.clock, self.runtime.publish, indicator=self.link_indicator
            ),
        )
        self.runtime.spawn(
            "microphone",
            lambda: run_microphone(self.link_microphone, self.clock, self.runtime.publish),
        )

    async def stop(self, reason: str = "") -> None:
        await super().stop(reason)
        await self.link.stop()


@dataclass
class LinkScenarioResult:
    result: ScenarioResult
    link: LinkedGlasses


def run_scenario_over_link(
    scenario: Scenario, *, model: LinkModel | None = None, setup: AssistantSetup | None = None
) -> LinkScenarioResult:
    """Play ``scenario`` on a fresh virtual clock through a ``LinkRig`` and judge it."""
    scenes = prepare_scenes(scenario)
    speech = prepare_speech(scenario)
    clock = VirtualClock()
    result = ScenarioResult(
        name=scenario.name, file=scenario.path.name, duration_s=scenario.duration_s
    )
    rig = LinkRig(
        clock,
        scenario.model.device,
        model=model,
        seed=scenario.model.seed,
        setup=scenario_setup(scenario.model.assistant, setup),
    )

    def record(event: Event) -> None:
        if isinstance(event, HudDrawn):
            result.hud.append((event.t_ns, event.text))
        if event.kind.value != "data":
            result.events.append(event.to_dict())

    rig.runtime.observe(record)
    result.profile = rig.profile.name

    async def main() -> None:
        await rig.start()
        rig.play(scenario, scenes, speech)
        end_ns = round(scenario.duration_s * NS_PER_S)
        await clock.sleep_until(end_ns)
        await rig.stop(reason="scenario finished")
        result.metrics = rig.runtime.metrics()
        result.outcomes = judge(scenario, result.hud, offset_ns=0, end_ns=end_ns)

    clock.run(main())
    return LinkScenarioResult(result, rig.link)
