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
from glasses.devices.link import messages as m
from glasses.devices.link.devices import LinkDisplay
from glasses.devices.link.power import LinkPower
from glasses.devices.link.transport import LinkModel
from glasses.devices.power import PowerSource
from glasses.devices.sim import SimDisplay
from glasses.devices.state import run_camera, run_microphone
from glasses.runtime.clock import Clock, VirtualClock
from simulator.harness import ScenarioResult, run_scenario
from simulator.rig import SimRig
from simulator.scenario import BatterySpec, DeviceSpec, LinkSpec, Scenario

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

    def set_brightness(self, percent: int) -> None:
        self.sim.set_brightness(percent)
        self.link.set_brightness(percent)


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
        self._model = model or DEFAULT_MODEL
        super().__init__(clock, device, seed=seed, llm=llm, setup=setup)
        self.link_display = self.link.display()
        both = _BothDisplays(self.display, self.link_display)
        self.pipeline.hud.display = both
        spec = device.camera
        self.link_camera = self.link.camera(
            width=spec.width, height=spec.height, fps=spec.fps, quality=CAMERA_QUALITY
        )
        self.link_microphone = self.link.microphone(chunk_samples=512)
        # The capture LED the assistant checks (photos) is now the glasses' own.
        self.link_indicator = self.link.indicator()
        self.indicator = self.link_indicator  # type: ignore[assignment]  # same protocol, no history
        # The degrade modes act on what crosses the link: the glasses' camera and display.
        governor = self.session.governor
        if governor is not None:
            governor.camera, governor.display = self.link_camera, both

    def _power_source(self) -> PowerSource:
        """The glasses, emulated behind the link, built here (the session needs their power
        reports); their battery model is the one the scenario sets and the link reports."""
        self.link = LinkedGlasses(
            self.clock,
            model=self._model,
            settings=StubSettings(profile=self.profile.name),
            camera=self.camera,
            microphone=self.microphone,
        )
        return LinkPower(self.link.client)

    def set_battery(self, spec: BatterySpec) -> None:
        """A ``battery:`` step, sent to the glasses (``PowerOverride``): the level, the ambient
        temperature (the glasses warm above it with their load) and whether they charge."""
        self.link.client.send(
            m.PowerOverride(
                level_pm=0xFFFF if spec.level is None else round(spec.level * 1000),
                ambient_dc=-32768 if spec.temperature_c is None else round(spec.temperature_c * 10),
                charging=255 if spec.charging is None else int(spec.charging),
            )
        )

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


def link_model(spec: LinkSpec | None) -> LinkModel:
    """The ``LinkModel`` of a scenario's ``link:`` section (None: ``DEFAULT_MODEL``)."""
    if spec is None:
        return DEFAULT_MODEL
    return LinkModel(
        bandwidth_bps=spec.bandwidth_kbps * 1000,
        latency_ms=spec.latency_ms,
        jitter_ms=spec.jitter_ms,
        loss=spec.loss,
        reorder=spec.reorder,
    )


class LinkRigs:
    """A ``RigFactory`` for ``simulator.harness.run_scenario`` / ``run_files``: each scenario
    on a ``LinkRig`` with ``model`` (None: the scenario's ``link:`` section, else
    ``DEFAULT_MODEL``); ``rigs`` keeps those built, for a look at their links afterwards."""

    def __init__(self, model: LinkModel | None = None) -> None:
        self.model = model
        self.rigs: list[LinkRig] = []

    def __call__(
        self, clock: VirtualClock, scenario: Scenario, setup: AssistantSetup | None
    ) -> SimRig:
        rig = LinkRig(
            clock,
            scenario.model.device,
            model=self.model or link_model(scenario.model.link),
            seed=scenario.model.seed,
            setup=setup,
        )
        self.rigs.append(rig)
        return rig


def run_scenario_over_link(
    scenario: Scenario,
    *,
    model: LinkModel | None = None,
    setup: AssistantSetup | None = None,
    display_name: str | None = None,
) -> LinkScenarioResult:
    """Play ``scenario`` on a fresh virtual clock through a ``LinkRig`` and judge it, as
    ``simulator.harness.run_scenario`` does with the simulated devices. ``model``: the radio
    (None: the scenario's ``link:`` section, else ``DEFAULT_MODEL``)."""
    rigs = LinkRigs(model)
    result = run_scenario(scenario, setup=setup, display_name=display_name, rig=rigs)
    return LinkScenarioResult(result, rigs.rigs[-1].link)
