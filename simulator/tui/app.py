"""``glasses sim`` in a terminal: the simulated glasses, live, on paced virtual time.

Panes: the HUD as the wearer sees it, the camera preview with detections outlined, the
transcript, the event log, and stage timings with the last turn's latency timeline; a status
line shows virtual time, the capture LED and the link. Keys drive the simulated wearer.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar, Protocol

import numpy as np
from rich.markup import escape
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.css.query import NoMatches
from textual.widgets import Footer, Input, RichLog, Static

from glasses.hud.profile import DisplayProfile
from glasses.hud.stage import HudStage
from glasses.hud.widget import HudView
from glasses.runtime.events import (
    CodesDetected,
    DeviceLost,
    DeviceRestored,
    Event,
    HeadGesture,
    HudDimmed,
    HudDrawn,
    HudUpdate,
    Intent,
    Interrupt,
    QueueOverflow,
    Say,
    Speaking,
    SpeakingStopped,
    SpeechEnded,
    SpeechStarted,
    StageCrashed,
    Swipe,
    Tap,
    Transcript,
    VideoFrame,
    WakeWord,
)
from simulator.scenario import Scenario, ScenarioError
from simulator.session import ScenarioRun
from simulator.tui.camera_view import CameraView


class Session(Protocol):
    """What the TUI drives: a simulated session (``SimSession``) or live devices (``LiveSession``).

    Read from the UI thread; every control hands its work to the session's own thread.
    """

    error: str

    @property
    def profile(self) -> DisplayProfile: ...
    @property
    def hud(self) -> HudStage: ...
    @property
    def frame(self) -> VideoFrame | None: ...
    @property
    def metrics(self) -> dict[str, Any]: ...
    @property
    def run(self) -> ScenarioRun | None: ...
    @property
    def now_s(self) -> float: ...
    @property
    def capture_led(self) -> bool: ...
    @property
    def paused(self) -> bool: ...
    @property
    def link(self) -> str: ...

    def start(self) -> None: ...
    def stop(self) -> None: ...
    def drain(self) -> list[Event]: ...
    def tap(self, count: int = 1) -> None: ...
    def swipe(self, direction: str) -> None: ...
    def gesture(self, gesture: str) -> None: ...
    def next_scene(self) -> str | None: ...
    def toggle_pause(self) -> bool | None: ...
    def step(self, seconds: float = 0.1) -> bool: ...
    def open_scenario(self, path: Path) -> Scenario | None: ...
    def say(self, text: str) -> bool: ...


POLL_S = 0.1  # how often the UI picks up what the simulation did (wall clock: it is a UI)
OUTLINE_FOR_NS = 700_000_000  # detections stay outlined this long after the frame, ns


def describe(event: Event) -> str:
    """One line for the event log."""
    if isinstance(event, Intent):
        slots = " ".join(f"{k}={v}" for k, v in event.slots)
        return f"intent [b]{event.name}[/b] ({slots})" if slots else f"intent [b]{event.name}[/b]"
    if isinstance(event, HudDrawn):
        shown = event.text.replace("\n", " | ") or "(clear)"
        extra = f" (+{event.coalesced} coalesced)" if event.coalesced else ""
        return f"hud drawn: {shown}{extra}"
    if isinstance(event, CodesDetected):
        return "codes: " + ", ".join(f"{c.symbology} {c.value}" for c in event.codes)
    if isinstance(event, HudDimmed):
        return "hud off" if event.level == 0 else f"hud dimmed to {event.level:.0%}"
    if isinstance(event, StageCrashed):
        error = escape(event.error)
        if event.gave_up:
            return f"[b red]stage {event.stage} gave up after {event.restart} crashes: {error}[/]"
        return f"[red]stage {event.stage} crashed: {error} (restart {event.restart})[/red]"
    if isinstance(event, QueueOverflow):
        return f"[yellow]queue {event.queue} full ({event.depth}/{event.size}): lagging[/yellow]"
    if isinstance(event, DeviceLost):
        return f"[red]{event.device} lost: {event.reason}[/red]"
    if isinstance(event, DeviceRestored):
        return f"[green]{event.device} restored after {event.attempts} attempt(s)[/green]"
    if isinstance(event, Tap):
        return "double tap" if event.count == 2 else "tap"
    if isinstance(event, Swipe):
        return f"swipe {event.direction}"
    if isinstance(event, HeadGesture):
        return f"head {event.gesture}"
    if isinstance(event, Speaking):
        return f"speaking ({event.duration_ns / 1e9:.1f} s): {event.text}"
    if isinstance(event, SpeakingStopped):
        return f"[yellow]speech cut ({event.reason})[/yellow]" if event.cut else "speech done"
    if isinstance(event, Interrupt):
        return f"[yellow]interrupt: {event.reason}[/yellow]"
    if isinstance(event, SpeechStarted):
        return "[dim]voice: speech started[/dim]"
    if isinstance(event, SpeechEnded):
        length = len(event.audio) / 16_000 if event.audio is not None else 0.0
        return f"[dim]voice: speech ended ({length:.2f} s)[/dim]"
    if isinstance(event, WakeWord):
        return f"wake word [b]{event.phrase}[/b] ({event.score:.2f})"
    if isinstance(event, Transcript):
        return f"{'heard' if event.final else 'hearing'}: {event.text}"
    fields = {k: v for k, v in event.to_dict().items() if k not in ("type", "kind", "t_ns")}
    return f"{event.type_name} {fields}"


class SimApp(App[None]):
    TITLE = "glasses sim"
    AUTO_FOCUS = None  # keys drive the wearer; only the prompt takes focus, when opened
    CSS = """
    Screen { layout: vertical; }
    #status { height: 1; background: $boost; padding: 0 1; }
    #top { height: 3fr; }
    #bottom { height: 2fr; }
    .pane { border: round $primary; border-title-color: $accent; }
    #hud-pane { width: 1fr; }
    #camera-pane { width: 1fr; }
    #transcript { width: 1fr; }
    #log { width: 2fr; }
    #stages { width: 1fr; }
    #prompt { dock: bottom; display: none; }
    #prompt.visible { display: block; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("t", "tap", "Tap"),
        Binding("r", "tap(2)", "Read (2×tap)"),
        Binding("left", "swipe('back')", "◀ Swipe"),
        Binding("right", "swipe('forward')", "Swipe ▶"),
        Binding("n", "gesture('nod')", "Nod"),
        Binding("s", "gesture('shake')", "Shake"),
        Binding("c", "scene", "Scene"),
        Binding("space", "pause", "Pause"),
        Binding("full_stop", "step", "Step"),
        Binding("u", "prompt('say')", "Say"),
        Binding("o", "prompt('open')", "Open"),
        Binding("q", "quit", "Quit"),
    ]

    def __init__(
        self, session: Session, *, start_session: bool = True, title: str = "glasses sim"
    ) -> None:
        super().__init__()
        self.title = title
        self.session = session
        self.start_session = start_session
        self._prompt_for = ""
        self._reported_run: object | None = None
        self._outlines: list[tuple[int, list[np.ndarray]]] = []
        self._codes_in_view: tuple[tuple[str, str], ...] = ()

    def compose(self) -> ComposeResult:
        yield Static(id="status")
        with Horizontal(id="top"):
            with Vertical(id="hud-pane", classes="pane"):
                yield HudView(self.session.profile, id="hud")
            with Vertical(id="camera-pane", classes="pane"):
                yield CameraView(id="camera")
        with Horizontal(id="bottom"):
            yield RichLog(id="transcript", classes="pane", markup=True, wrap=True)
            yield RichLog(id="log", classes="pane", markup=True, wrap=True)
            yield Static(id="stages", classes="pane")
        yield Input(id="prompt")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#hud-pane").border_title = f"HUD · {self.session.profile.name}"
        self.query_one("#camera-pane").border_title = "Camera"
        self.query_one("#transcript").border_title = "Transcript"
        self.query_one("#log").border_title = "Events"
        self.query_one("#stages").border_title = "Stages (virtual ms)"
        if self.start_session:
            self.session.start()
        self._poll = self.set_interval(POLL_S, self.refresh_from_session)
        self.refresh_from_session()

    def on_unmount(self) -> None:
        self._poll.stop()
        self.session.stop()

    # ------------------------------------------------------------------ polling
    def refresh_from_session(self) -> None:
        try:
            self._refresh()
        except NoMatches:  # the screen is not up yet, or is being torn down: next poll
            return

    def _refresh(self) -> None:
        log = self.query_one("#log", RichLog)
        transcript = self.query_one("#transcript", RichLog)
        s = self.session
        for event in s.drain():
            if isinstance(event, CodesDetected):
                polys = [np.array(c.corners, np.float32) for c in event.codes if c.corners]
                self._outlines.append((event.frame_t_ns, polys))
            if self._worth_logging(event):
                log.write(f"[dim]{event.t_ns / 1e9:7.3f}[/dim] " + describe(event))
            if isinstance(event, Transcript) and event.text and event.final:
                transcript.write(f"[dim]heard:[/dim] {event.text}")
            if isinstance(event, Say):
                transcript.write(f"[b]glasses:[/b] {event.text}")
        run = s.run
        if run is not None and run.outcomes and self._reported_run is not run:
            self._reported_run = run
            for o in run.outcomes:
                mark = "[green]✓[/green]" if o.passed else "[red]✗[/red]"
                log.write(f"{mark} {o.label}: {o.detail}")
        hud = s.hud
        view = self.query_one("#hud", HudView)
        view.update_card(hud.card, page=hud.page, level=hud.level)
        self._refresh_camera()
        self._refresh_status()
        self._refresh_stages()

    def _worth_logging(self, event: Event) -> bool:
        """Every event but the per-frame repeats: codes are logged when what is in view changes,
        and a HUD update is logged once, when drawn."""
        if isinstance(event, HudUpdate | Say):
            return False  # logged when drawn / spoken
        if isinstance(event, Transcript) and not event.final:
            return False  # partial captions: the HUD shows them
        if isinstance(event, CodesDetected):
            seen = tuple(sorted((c.symbology, c.value) for c in event.codes))
            if seen == self._codes_in_view:
                return False
            self._codes_in_view = seen
        return True

    def _refresh_camera(self) -> None:
        frame = self.session.frame
        if frame is None:
            return
        self._outlines = [(t, p) for t, p in self._outlines if frame.t_ns - t <= OUTLINE_FOR_NS][
            -4:
        ]
        polygons = [p for _, polys in self._outlines for p in polys]
        self.query_one("#camera", CameraView).show(frame.image, polygons)

    def _refresh_status(self) -> None:
        s = self.session
        state = "⏸ paused" if s.paused else "▶ running"
        led = "[red]●[/red] capturing" if s.capture_led else "○ off"
        scenario = ""
        if s.run is not None:
            name = s.run.scenario.name
            if s.run.outcomes:
                ok = sum(o.passed for o in s.run.outcomes)
                scenario = f" │ {name}: {ok}/{len(s.run.outcomes)} expectations"
            else:
                scenario = f" │ {name}"
        error = f" │ [red]{escape(s.error)}[/red]" if s.error else ""
        gave_up = s.metrics.get("failed", {})
        if gave_up:
            error += f" │ [b red]gave up: {', '.join(sorted(gave_up))}[/]"
        self.query_one("#status", Static).update(
            f"t = {s.now_s:8.2f} s  {state} │ LED {led} │ battery — │ link: {s.link}"
            f"{scenario}{error}"
        )

    def _refresh_stages(self) -> None:
        metrics = self.session.metrics
        gave_up = metrics.get("failed", {})
        lines = ["stage      n  p50/p95 ms"]
        for name, m in metrics.get("stages", {}).items():
            dropped = f"  {m['dropped']} dropped" if m["dropped"] else ""
            state = "  [b red]✗ gave up[/]" if name in gave_up else ""
            lines.append(
                f"{name:<6}{m['processed']:>5}  {m['latency_ms_p50']:g}/{m['latency_ms_p95']:g}"
                f"{dropped}{state}"
            )
        last = metrics.get("last_turn")
        if last:
            lines.append("")
            lines.append("last turn:")
            lines.extend(f"  +{ms:>7g} {label}" for label, ms in last)
        self.query_one("#stages", Static).update("\n".join(lines))

    # ------------------------------------------------------------------ actions
    def action_tap(self, count: int = 1) -> None:
        self.session.tap(count)

    def action_swipe(self, direction: str) -> None:
        self.session.swipe(direction)

    def action_gesture(self, gesture: str) -> None:
        self.session.gesture(gesture)
        self.query_one("#log", RichLog).write(f"[dim]you {gesture}[/dim]")

    def action_scene(self) -> None:
        name = self.session.next_scene()
        self._note(f"camera now sees: {name}" if name else "the camera is live: no scenes")

    def action_pause(self) -> None:
        if self.session.toggle_pause() is None:
            self._note("live devices run on the real clock: no pause")

    def action_step(self) -> None:
        if not self.session.step(0.1):
            self._note("stepping needs the simulator, paused")

    def _note(self, text: str) -> None:
        self.query_one("#log", RichLog).write(f"[dim]{text}[/dim]")

    def action_prompt(self, purpose: str) -> None:
        prompt = self.query_one("#prompt", Input)
        self._prompt_for = purpose
        prompt.placeholder = (
            "say something (Enter to send, Esc to cancel)"
            if purpose == "say"
            else "scenario file to open (Enter to open, Esc to cancel)"
        )
        prompt.value = ""
        prompt.add_class("visible")
        prompt.focus()

    def on_input_submitted(self, message: Input.Submitted) -> None:
        text = message.value.strip()
        self._hide_prompt()
        if not text:
            return
        log = self.query_one("#log", RichLog)
        if self._prompt_for == "open":
            try:
                scenario = self.session.open_scenario(Path(text))
            except ScenarioError as exc:
                for problem in exc.problems:
                    log.write(f"[red]{problem}[/red]")
                return
            if scenario is None:
                self._note("scenarios play in the simulator (glasses sim), not on live devices")
            else:
                log.write(f"[b]playing {scenario.name}[/b] ({text})")
        else:
            self.query_one("#transcript", RichLog).write(f"[b]you:[/b] {text}")
            if self.session.say(text):
                self._note("spoken into the microphone: VAD → wake word → command")
            else:
                self._note("live devices: speak into the real microphone instead")

    def key_escape(self) -> None:
        self._hide_prompt()

    def _hide_prompt(self) -> None:
        prompt = self.query_one("#prompt", Input)
        prompt.remove_class("visible")
        self.set_focus(None)
