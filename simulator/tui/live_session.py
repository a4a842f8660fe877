"""The TUI's view of a live session (``glasses run`` in a terminal): real devices, real clock.

The ``LiveConfig`` (camera, microphone, speaker, profile) is used as given: ``glasses run``
has already resolved ``--speaker auto`` to a device or to none.

``run_live`` runs in a thread of its own with its own event loop; this adapter hands its events
and newest frame to the UI thread (by reference and through a deque) and posts the wearer's
taps, swipes and gestures back onto that loop. Scenes, pausing and scenarios belong to the
simulator and are refused here.
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from glasses.app.live import ENDED_BY, LiveConfig, LiveStarted, LiveSummary, run_live
from glasses.devices.power import PowerStatus
from glasses.hud.profile import DisplayProfile, get_profile
from glasses.hud.stage import HudStage
from glasses.runtime.clock import NS_PER_S, RealClock
from glasses.runtime.events import (
    Event,
    EventKind,
    HeadGesture,
    Swipe,
    Tap,
    VideoFrame,
)
from simulator.scenario import Scenario
from simulator.session import ScenarioRun

METRICS_PERIOD_S = 0.25


class LiveSession:
    """``observers`` see every event of the session (frames included) on its thread, as
    ``run_live``'s ``on_event`` does; ``on_start`` is called once the devices are open."""

    def __init__(
        self,
        config: LiveConfig,
        *,
        observers: Sequence[Callable[[Event], None]] = (),
        on_start: Callable[[LiveStarted], None] | None = None,
    ) -> None:
        self.config = config
        self._observers = tuple(observers)
        self._on_started = on_start
        self._profile = get_profile(config.profile)
        self.clock = RealClock()
        self.events: deque[Event] = deque(maxlen=5000)
        self.error = ""
        self.summary: LiveSummary | None = None
        self.failure: BaseException | None = None  # e.g. a DeviceError raised while opening
        self._frame: VideoFrame | None = None
        self._metrics: dict[str, Any] = {}
        self._started: LiveStarted | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._main, name="glasses-live", daemon=True)

    # ---------------------------------------------------------------- lifecycle
    def start(self, timeout_s: float = 60.0) -> None:
        """Open the devices and start; re-raises what opening raised (``DeviceError``)."""
        self._thread.start()
        if not self._ready.wait(timeout_s):
            raise RuntimeError("the live session did not start")
        if self.failure is not None:
            raise self.failure

    def stop(self, timeout_s: float = 10.0) -> None:
        if self._loop is not None and self._stop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout_s)

    def _main(self) -> None:
        try:
            self.summary = self.clock.run(self._serve())
        except Exception as exc:  # opening failed (before ready) or the session broke
            self.failure = exc
            self.error = f"session stopped: {exc}"
        finally:
            self._ready.set()

    async def _serve(self) -> LiveSummary:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        sampler = self._loop.create_task(self._sample_metrics(), name="tui-metrics")
        try:
            return await run_live(
                self.config,
                on_event=self._observe,
                on_start=self._on_start,
                stop=self._stop,
                clock=self.clock,
            )
        finally:
            sampler.cancel()

    async def _sample_metrics(self) -> None:
        # On the session's loop, so the UI never iterates dicts the runtime is changing.
        while True:
            if self._started is not None:
                self._metrics = self._started.metrics()
            await self.clock.sleep(METRICS_PERIOD_S)

    def _on_start(self, started: LiveStarted) -> None:
        self._started = started
        if self._on_started is not None:
            self._on_started(started)
        self._ready.set()

    def _observe(self, event: Event) -> None:
        for observer in self._observers:
            observer(event)
        if isinstance(event, VideoFrame):
            self._frame = event
        elif event.kind is not EventKind.DATA:
            self.events.append(event)

    # ---------------------------------------------------------------- reading
    @property
    def profile(self) -> DisplayProfile:
        return self._profile

    @property
    def hud(self) -> HudStage:
        if self._started is None:
            raise RuntimeError("the live session has not started")
        return self._started.hud

    @property
    def frame(self) -> VideoFrame | None:
        return self._frame

    @property
    def metrics(self) -> dict[str, Any]:
        return self._metrics

    @property
    def run(self) -> ScenarioRun | None:
        return None

    @property
    def now_s(self) -> float:
        start = self._started.t_ns if self._started is not None else self.clock.now_ns()
        return (self.clock.now_ns() - start) / NS_PER_S

    @property
    def capture_led(self) -> bool:
        return self._started is not None and self._started.led.on

    @property
    def paused(self) -> bool:
        return False

    @property
    def power(self) -> PowerStatus | None:
        """The glasses' battery and temperature (None: no device reports them)."""
        source = self._started.power if self._started is not None else None
        return None if source is None else source.status

    @property
    def start_ns(self) -> int:
        """Clock time of the session's start: event times count from it."""
        return self._started.t_ns if self._started is not None else 0

    virtual = False  # the real clock

    @property
    def ended(self) -> str:
        """Why the session ended ("" while it runs)."""
        if self.summary is not None:
            return ENDED_BY[self.summary.ended_by]
        if self.failure is not None or (self._ready.is_set() and not self._thread.is_alive()):
            return "stopped by an error"
        return ""

    def keeping_up(self) -> float | None:
        return None  # the real clock cannot fall behind itself

    @property
    def link(self) -> str:
        c = self.config
        return f"{c.camera} + {c.mic or 'no mic'} + {c.speaker or 'no speaker'}"

    def drain(self) -> list[Event]:
        out = []
        while self.events:
            out.append(self.events.popleft())
        return out

    # ---------------------------------------------------------------- controls
    def _post(self, make: Callable[[int], Event]) -> None:
        started, loop = self._started, self._loop
        if started is None or loop is None or loop.is_closed():
            return
        loop.call_soon_threadsafe(lambda: started.publish(make(self.clock.now_ns())))

    def tap(self, count: int = 1) -> None:
        self._post(lambda t: Tap(t_ns=t, source="keyboard", count=count))

    def swipe(self, direction: str) -> None:
        self._post(lambda t: Swipe(t_ns=t, source="keyboard", direction=direction))

    def gesture(self, gesture: str) -> None:
        self._post(lambda t: HeadGesture(t_ns=t, source="keyboard", gesture=gesture))

    def next_scene(self) -> str | None:
        return None

    def toggle_pause(self) -> bool | None:
        return None

    def step(self, seconds: float = 0.1) -> bool:
        return False

    def open_scenario(self, path: Path) -> Scenario | None:
        return None

    def say(self, text: str) -> bool:
        return False  # the real microphone hears the wearer
