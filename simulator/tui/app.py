"""``glasses sim`` in a terminal: the simulated glasses, live, on paced virtual time.

Panes: the HUD as the wearer sees it, the camera preview with detections outlined, the
transcript, the event log, and stage timings with the last turn's latency timeline; a status
line shows the session's time, the capture LED and the link. Keys drive the simulated wearer.

The screen fits any terminal from 80×24 up: the HUD keeps its natural cell size when it can
and otherwise gives up rows (``HudView.fit``: every line keeps a row of its own), the camera
preview and the stage timings step aside when the terminal is too narrow for them, and the
logs wrap what they hold to their width (``WrappingLog``). Each event is logged as it
describes itself (``Event.describe``), times count from the session's start, and the status
line says when the session has ended or when paced virtual time falls behind the wall clock.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar, Protocol

import numpy as np
from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.css.query import NoMatches
from textual.events import Resize
from textual.geometry import Size
from textual.suggester import SuggestFromList
from textual.widgets import Footer, Input, OptionList, RichLog, Static
from textual.widgets.option_list import Option

from glasses.devices.power import PowerStatus
from glasses.hud.profile import DisplayProfile
from glasses.hud.stage import HudStage
from glasses.hud.widget import HudView, cell_size, min_rows
from glasses.runtime.events import (
    CodesDetected,
    DeviceLost,
    DeviceRestored,
    Event,
    HudUpdate,
    Intent,
    Interrupt,
    QueueOverflow,
    Say,
    SpeechEnded,
    SpeechPaused,
    SpeechStarted,
    StageCrashed,
    Transcript,
    VideoFrame,
    WakeWord,
)
from simulator.bundled import bundled_scenarios
from simulator.scenario import Scenario, ScenarioError
from simulator.session import ScenarioRun
from simulator.tui.camera_view import CameraView
from simulator.tui.wrapping_log import WrappingLog


class Session(Protocol):
    """What the TUI drives: a simulated session (``SimSession``) or live devices (``LiveSession``).

    Read from the UI thread; every control hands its work to the session's own thread.
    ``start_ns`` is the clock time event times count from; ``virtual`` says whether that clock
    is the simulator's; ``ended`` why the session no longer runs ("" while it does);
    ``keeping_up()`` how fast paced virtual time goes as a share of the speed asked for (None
    when not measured, paused, or on the real clock).
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
    def power(self) -> PowerStatus | None: ...
    @property
    def paused(self) -> bool: ...
    @property
    def link(self) -> str: ...
    @property
    def start_ns(self) -> int: ...
    @property
    def virtual(self) -> bool: ...
    @property
    def ended(self) -> str: ...

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
    def keeping_up(self) -> float | None: ...


POLL_S = 0.1  # how often the UI picks up what the simulation did (wall clock: it is a UI)
OUTLINE_FOR_NS = 700_000_000  # detections stay outlined this long after the frame, ns

BEHIND_BELOW = 0.9
"""Paced virtual time slower than this share of the speed asked for is shown as falling behind."""

# Layout (terminal cells).
BARS = 2  # the status line and the footer
BOTTOM_MIN = 6  # rows the logs keep at least, below the HUD
CAMERA_MIN = 20  # columns the camera preview needs to be worth showing
STAGES_FROM = 100  # terminal columns from which the stage timings have a pane

# How the event log styles each event type (the words are the event's own ``describe()``).
STYLES: dict[type[Event], str] = {
    Intent: "bold",
    WakeWord: "bold",
    StageCrashed: "bold red",
    DeviceLost: "red",
    DeviceRestored: "green",
    QueueOverflow: "yellow",
    Interrupt: "yellow",
    SpeechStarted: "dim",
    SpeechPaused: "dim",
    SpeechEnded: "dim",
}


BATTERY_LOW = 0.20  # at or under this level the status line shows the battery in yellow
BATTERY_CRITICAL = 0.05  # … in red (as do glasses too hot)


def power_text(power: PowerStatus | None) -> tuple[str, str]:
    """The battery for the status line: ``battery 80 %`` (and charging, warm or hot),
    coloured as it runs low; ``battery —`` when no device reports it."""
    if power is None:
        return ("battery —", "dim")
    if power.level <= BATTERY_CRITICAL or power.thermal == "hot":
        style = "bold red"
    elif power.level <= BATTERY_LOW or power.thermal == "warm":
        style = "yellow"
    else:
        style = ""
    return (power.describe(), style)


def log_line(event: Event, start_ns: int) -> Text:
    """The event log's line for ``event``: its time since ``start_ns``, then its description."""
    t = (event.t_ns - start_ns) / 1e9
    return Text.assemble((f"{t:7.3f} ", "dim"), (event.describe(), STYLES.get(type(event), "")))


class GlassesApp(App[None]):
    """The terminal screen of a glasses session: the HUD as the display shows it, the camera,
    the transcript, the event log and the stages, driven through ``Session``: ``glasses sim``
    gives it a simulated session, ``glasses run`` live devices (no simulated device then)."""

    TITLE = "glasses sim"
    AUTO_FOCUS = None  # keys drive the wearer; only the prompt takes focus, when opened
    CSS = """
    Screen { layout: vertical; }
    #status { height: 1; background: $boost; padding: 0 1; }
    #top { height: 3fr; align: center top; }
    #bottom { height: 2fr; }
    .pane { border: round $primary; border-title-color: $accent; }
    #hud-pane { width: auto; align: center middle; }
    #camera-pane { width: 1fr; }
    #transcript { width: 1fr; }
    #log { width: 2fr; }
    #stages { width: 1fr; }
    .narrow #camera-pane { display: none; }
    .compact #stages { display: none; }
    #scenarios { dock: bottom; height: auto; max-height: 12; display: none; }
    #scenarios.visible { display: block; }
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
        self._reported_end = False
        self._outlines: list[tuple[int, list[np.ndarray]]] = []
        self._codes_in_view: tuple[tuple[str, str], ...] = ()
        self._bundled = {b.path.name: b for b in bundled_scenarios()}

    def compose(self) -> ComposeResult:
        yield Static(id="status")
        with Horizontal(id="top"):
            with Vertical(id="hud-pane"):
                yield HudView(self.session.profile, id="hud", label="HUD")
            with Vertical(id="camera-pane", classes="pane"):
                yield CameraView(id="camera")
        with Horizontal(id="bottom"):
            yield WrappingLog(id="transcript", classes="pane")
            yield WrappingLog(id="log", classes="pane")
            yield Static(id="stages", classes="pane")
        yield OptionList(id="scenarios")
        yield Input(id="prompt")
        yield Footer()

    def on_mount(self) -> None:
        s = self.session
        self.query_one("#camera-pane").border_title = "Camera"
        self.query_one("#transcript").border_title = "Transcript"
        self.query_one("#log").border_title = "Events"
        clock = "virtual ms" if s.virtual else "ms"
        self.query_one("#stages").border_title = f"Stages ({clock})"
        self.fit_to(self.size)
        if self.start_session:
            s.start()
        self._poll = self.set_interval(POLL_S, self.refresh_from_session)
        self.refresh_from_session()

    def on_unmount(self) -> None:
        self._poll.stop()
        self.session.stop()

    # ------------------------------------------------------------------ layout
    def on_resize(self, event: Resize) -> None:
        self.fit_to(event.size)

    def fit_to(self, size: Size) -> None:
        """Share the terminal out (see the module doc): the HUD first, up to its natural size,
        keeping ``BOTTOM_MIN`` rows for the logs; the camera takes the width that is left."""
        try:
            view = self.query_one("#hud", HudView)
        except NoMatches:
            return
        profile = view.profile
        natural_cols, natural_rows = cell_size(profile)
        fewest = min_rows(profile)
        space = max(0, size.height - BARS)
        top = min(max(round(space * 0.6), natural_rows + 2), space - BOTTOM_MIN)
        top = max(top, fewest + 2)
        cols = max(1, min(natural_cols, size.width - 2))
        view.fit(cols, top - 2)
        self.query_one("#top").styles.height = top
        self.query_one("#bottom").styles.height = "1fr"
        self.query_one("#hud-pane").styles.width = cols + 2
        self.screen.set_class(size.width - (cols + 2) < CAMERA_MIN, "narrow")
        self.screen.set_class(size.width < STAGES_FROM, "compact")

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
                log.write(log_line(event, s.start_ns))
            if isinstance(event, Transcript) and event.text and event.final:
                transcript.write(Text.assemble(("heard: ", "dim"), event.text))
            if isinstance(event, Say):
                transcript.write(Text.assemble(("glasses: ", "bold"), event.text))
        run = s.run
        if run is not None and run.outcomes and self._reported_run is not run:
            self._reported_run = run
            for o in run.outcomes:
                mark = ("✓", "green") if o.passed else ("✗", "red")
                log.write(Text.assemble(mark, f" {o.label}: {o.detail}"))
        if s.ended and not self._reported_end:
            self._reported_end = True
            log.write(Text(f"session ended: {s.ended}", style="bold"))
        try:
            hud = s.hud
        except RuntimeError:  # a live session that never started
            hud = None
        if hud is not None:
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

    def status_text(self) -> Text:
        """The status line: time, state, LED, link, the scenario's verdicts, trouble."""
        s = self.session
        if s.ended:
            state: tuple[str, str] = (f"■ ended: {s.ended}", "bold")
        elif s.paused:
            state = ("⏸ paused", "")
        else:
            state = ("▶ running", "")
        parts: list[str | tuple[str, str]] = [f"t = {s.now_s:7.2f} s  ", state]
        pace = None if s.ended or s.paused else s.keeping_up()
        if pace is not None and pace < BEHIND_BELOW:
            parts += [" │ ", (f"⚠ behind: {pace:.2f}× the pace asked for", "bold yellow")]
        if s.run is not None:
            name = s.run.scenario.name
            if s.run.outcomes:
                ok = sum(o.passed for o in s.run.outcomes)
                parts.append(f" │ {name}: {ok}/{len(s.run.outcomes)} expectations")
            else:
                parts.append(f" │ {name}")
        led = ("● capturing", "red") if s.capture_led else ("○ off", "")
        parts += [" │ LED ", led, " │ ", power_text(s.power), f" │ link: {s.link}"]
        if s.error:
            parts += [" │ ", (s.error, "red")]
        gave_up = s.metrics.get("failed", {})
        if gave_up:
            parts += [" │ ", (f"gave up: {', '.join(sorted(gave_up))}", "bold red")]
        return Text.assemble(*parts)

    def _refresh_status(self) -> None:
        self.query_one("#status", Static).update(self.status_text())

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
        self._note(f"you {gesture}")

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
        self.query_one("#log", RichLog).write(Text(text, style="dim"))

    def action_prompt(self, purpose: str) -> None:
        prompt = self.query_one("#prompt", Input)
        scenarios = self.query_one("#scenarios", OptionList)
        self._prompt_for = purpose
        if purpose == "open":
            prompt.placeholder = (
                "a bundled scenario (below; → completes) or a file (Enter opens, Esc cancels)"
            )
            prompt.suggester = SuggestFromList(sorted(self._bundled), case_sensitive=False)
            scenarios.clear_options()
            scenarios.add_options(
                Option(f"{name:<18} {b.title}", id=name) for name, b in self._bundled.items()
            )
            scenarios.border_title = "Bundled scenarios (Tab, ↑↓, Enter; or type a name)"
            scenarios.add_class("visible")
        else:
            prompt.placeholder = "say something (Enter to send, Esc to cancel)"
            prompt.suggester = None
        prompt.value = ""
        prompt.add_class("visible")
        prompt.focus()

    def on_option_list_option_selected(self, message: OptionList.OptionSelected) -> None:
        if message.option_list.id == "scenarios" and message.option.id:
            self._hide_prompt()
            self._open(message.option.id)

    def on_input_submitted(self, message: Input.Submitted) -> None:
        text = message.value.strip()
        self._hide_prompt()
        if not text:
            return
        if self._prompt_for == "open":
            self._open(text)
            return
        self.query_one("#transcript", RichLog).write(Text.assemble(("you: ", "bold"), text))
        if self.session.say(text):
            self._note("spoken into the microphone: VAD → wake word → command")
        else:
            self._note("live devices: speak into the real microphone instead")

    def _open(self, text: str) -> None:
        """Open the scenario ``text`` names: a file, else a bundled scenario's name."""
        log = self.query_one("#log", RichLog)
        path = Path(text).expanduser()
        bundled = self._bundled.get(text) or self._bundled.get(f"{text}.yaml")
        if not path.exists() and bundled is not None:
            path = bundled.path
        try:
            scenario = self.session.open_scenario(path)
        except ScenarioError as exc:
            for problem in exc.problems:
                log.write(Text(problem, style="red"))
            return
        if scenario is None:
            self._note("scenarios play in the simulator (glasses sim), not on live devices")
        else:
            log.write(Text.assemble((f"playing {scenario.name}", "bold"), f" ({text})"))

    def key_escape(self) -> None:
        self._hide_prompt()

    def _hide_prompt(self) -> None:
        self.query_one("#prompt", Input).remove_class("visible")
        self.query_one("#scenarios", OptionList).remove_class("visible")
        self.set_focus(None)
