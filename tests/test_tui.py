"""The simulator TUI: keys reach the simulated glasses; the main screen is snapshot-tested at
80×24 and 200×60 (after an intended change: ``.venv/bin/pytest tests/test_tui.py
--snapshot-update``, then look at the SVGs under ``tests/__snapshots__/test_tui/``).

The simulation runs paused and is stepped through virtual time, so every state checked here is
deterministic; ``settle()`` waits (bounded) for the simulation thread to finish a step.
"""

import asyncio
import re
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, OptionList, RichLog

from glasses.hud.widget import HudView, cell_size
from glasses.runtime import HeadGesture, Swipe
from glasses.runtime.events import Intent
from simulator.scenario import load_scenario
from simulator.session import SimSession
from simulator.tui.app import GlassesApp

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "scenarios" / "demo.yaml"


def session(path: Path = DEMO) -> SimSession:
    return SimSession(load_scenario(path), paused=True)


def step(app: GlassesApp, seconds: float) -> None:
    app.session.step(seconds)
    assert app.session.settle(), "the simulation did not settle"
    app.refresh_from_session()


def log_text(app: GlassesApp) -> str:
    """The event log's text as shown, with its wrapping undone (entries joined by single
    spaces; a word folded over two lines is put back together)."""
    log = app.query_one("#log", RichLog)
    width = log.scrollable_content_region.width
    text = ""
    for line in log.lines:
        shown = line.text.rstrip()
        full = len(line.text.rstrip()) >= width  # the line was filled: it wrapped mid-word
        text += shown + ("" if full else " ")
    return " ".join(text.split())


def event_times(app: GlassesApp) -> list[float]:
    """The times (s) at the start of the event log's event lines, in order; notes have none."""
    log = app.query_one("#log", RichLog)
    found = (re.match(r"\s*(\d+\.\d{3}) ", line.text) for line in log.lines)
    return [float(m.group(1)) for m in found if m]


def in_log(app: GlassesApp, text: str) -> bool:
    """Whether ``text`` is shown in the event log, whitespace aside (wherever it wrapped)."""
    log = app.query_one("#log", RichLog)
    shown = "".join("".join(line.text.split()) for line in log.lines)
    return "".join(text.split()) in shown


def test_keys_drive_the_simulated_wearer() -> None:
    async def main() -> None:
        app = GlassesApp(session())
        async with app.run_test(size=(120, 40)) as pilot:
            s = app.session
            step(app, 1.0)  # the demo shows a QR code at 0.5 s
            hud = s.rig.pipeline.hud
            assert hud.text == "QR code\nhttps://github.com/glasses-sim"
            await pilot.press("t")  # tap: dismiss
            step(app, 0.5)
            assert hud.text == ""
            await pilot.press("right", "n", "s")
            step(app, 0.1)
            seen = [e for e in s.rig.display.history]
            assert seen[-1][1] == ""
            assert "you nod" in log_text(app) and "you shake" in log_text(app)
            await pilot.press("c")  # the camera now sees the first preset: a QR poster
            step(app, 1.0)
            assert hud.text == "QR code\nhttps://example.org/glasses"
            assert "camera now sees: QR poster" in log_text(app)
            await pilot.press("space")  # resume …
            assert s.pace.paused is False
            await pilot.press("space")  # … and pause again
            assert s.pace.paused is True

    asyncio.run(main())


def test_gestures_and_swipes_are_published_as_events() -> None:
    async def main() -> list[object]:
        app = GlassesApp(session())
        published: list[object] = []
        app.session.rig.runtime.observe(published.append)
        async with app.run_test(size=(120, 40)) as pilot:
            step(app, 0.1)
            await pilot.press("left", "n")
            step(app, 0.1)
        return published

    events = asyncio.run(main())
    assert any(isinstance(e, Swipe) and e.direction == "back" for e in events)
    assert any(isinstance(e, HeadGesture) and e.gesture == "nod" for e in events)


async def type_into_prompt(app: GlassesApp, pilot: Pilot[None], key: str, text: str) -> None:
    await pilot.press(key)
    await pilot.pause()
    prompt = app.query_one("#prompt", Input)
    assert prompt.has_focus
    await pilot.press(*text[:3])  # typed for real; the rest pasted, to keep the test quick
    prompt.insert_text_at_cursor(text[3:])
    await pilot.press("enter")


def test_open_scenario_from_the_prompt(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\ntimeline:\n  - show: {qr: a, scale: 7}\n")

    async def main() -> None:
        app = GlassesApp(session())
        async with app.run_test(size=(120, 40)) as pilot:
            step(app, 0.1)
            await type_into_prompt(app, pilot, "o", str(bad))
            assert f"{bad}:3: timeline[0].show.scale" in log_text(app)
            await type_into_prompt(app, pilot, "o", str(ROOT / "scenarios" / "scan_qr.yaml"))
            assert "playing Scan QR codes" in log_text(app)
            step(app, 1.0)
            assert "WIFI:S:cafe" in app.session.rig.pipeline.hud.text
            run = app.session.run
            assert run is not None and run.scenario.name.startswith("Scan QR codes")

    asyncio.run(main())


def test_expectations_are_judged_when_the_scenario_ends() -> None:
    async def main() -> None:
        app = GlassesApp(session())
        async with app.run_test(size=(120, 40)):
            step(app, 8.0)  # the demo lasts 7.5 s
            run = app.session.run
            assert run is not None and run.outcomes
            assert all(o.passed for o in run.outcomes), [o.detail for o in run.outcomes]
            assert "✓ hud_contains 'github.com/glasses-sim'" in log_text(app)
            intents = [e for e in app.session.rig.runtime.timelines.turns()]
            assert len(intents) == 3

    asyncio.run(main())


@pytest.mark.parametrize("size", [(80, 24), (200, 60)], ids=["80x24", "200x60"])
def test_main_screen_snapshot(snap_compare, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    app = GlassesApp(session())

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        step(app, 3.6)  # the product barcode is on the HUD, the QR code was scanned before
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", [(80, 24), (100, 30), (120, 40), (200, 60)])
def test_the_whole_hud_fits_the_terminal(size: tuple[int, int]) -> None:
    """Every line of the card is on screen, inside the HUD's border, at any size from 80×24."""

    async def main() -> None:
        app = GlassesApp(session())
        async with app.run_test(size=size) as pilot:
            step(app, 3.6)
            await pilot.pause()
            view = app.query_one("#hud", HudView)
            screen = app.screen.region
            assert screen.contains_region(view.region), (view.region, screen)
            cols, rows = view.cells
            assert (view.content_region.width, view.content_region.height) == (cols, rows)
            natural = cell_size(view.profile)
            assert cols == natural[0]  # never narrower from 80 columns up
            assert rows == natural[1] or size[1] < 40
            shown = "\n".join(view.text_lines())
            for line in app.session.hud.text.splitlines():
                assert line in shown
            log = app.query_one("#log")
            assert log.region.height >= 6 and screen.contains_region(log.region)
            camera = app.query_one("#camera-pane")
            assert camera.display == (size[0] - view.region.width >= 20)

    asyncio.run(main())


def test_the_event_log_wraps_without_losing_text() -> None:
    """A line longer than the log is wrapped, not cut, and wrapped again after a resize."""
    long = "x" * 30 + " " + "the end of a long intent slot value that must stay visible"

    async def main() -> None:
        app = GlassesApp(session())
        async with app.run_test(size=(80, 24)) as pilot:
            step(app, 0.1)
            app.session.events.append(Intent(t_ns=50_000_000, name="probe", slots=(("v", long),)))
            app.refresh_from_session()
            await pilot.pause()
            assert in_log(app, f"0.050 intent probe (v={long})")
            await pilot.resize_terminal(200, 60)
            await pilot.pause()
            assert in_log(app, f"0.050 intent probe (v={long})")
            log = app.query_one("#log", RichLog)
            assert all(
                len(line.text.rstrip()) <= log.scrollable_content_region.width for line in log.lines
            )

    asyncio.run(main())


def test_falling_behind_is_shown() -> None:
    async def main() -> None:
        s = session()
        app = GlassesApp(s)
        async with app.run_test(size=(120, 40)):
            s.pace.paused = False  # as if resumed; the simulation thread is not asked
            s.keeping_up = lambda: 0.43  # type: ignore[method-assign]
            assert "⚠ behind: 0.43× the pace asked for" in str(app.status_text())
            s.keeping_up = lambda: 0.97  # type: ignore[method-assign]
            assert "behind" not in str(app.status_text())

    asyncio.run(main())


def test_the_open_prompt_lists_the_bundled_scenarios() -> None:
    async def main() -> None:
        app = GlassesApp(session())
        async with app.run_test(size=(120, 40)) as pilot:
            step(app, 0.1)
            await pilot.press("o")
            await pilot.pause()
            listed = app.query_one("#scenarios", OptionList)
            assert listed.display
            names = [listed.get_option_at_index(i).id for i in range(listed.option_count)]
            assert {"demo.yaml", "scan_qr.yaml", "ask.yaml"} <= set(names)
            prompt = app.query_one("#prompt", Input)
            await pilot.press(*"scan_qr")  # a bundled scenario by its name
            await pilot.press("enter")
            await pilot.pause()
            assert not listed.display and not prompt.display
            assert "playing Scan QR codes" in log_text(app)

    asyncio.run(main())


def test_live_session_in_the_tui(tmp_path: Path) -> None:
    """glasses run's TUI: a file camera on the real clock; a tap dismisses the card."""
    import cv2

    from glasses.app.live import LiveConfig
    from simulator.scenes import SceneSpec, render_scene
    from simulator.tui.live_session import LiveSession

    image = tmp_path / "poster.png"
    cv2.imwrite(str(image), render_scene(SceneSpec(kind="qr", content="live tui", scale=0.4)))
    live = LiveSession(LiveConfig(camera=f"file:{image}", mic=None, profile="g1", duration_s=6))
    live.start()

    async def until(condition: object, pilot: Pilot[None]) -> bool:
        # Bounded wait for the real-clock session thread; the check, not the wait, is the test.
        for _ in range(600):
            if callable(condition) and condition():
                return True
            await pilot.pause(0.05)
        return False

    async def main() -> None:
        app = GlassesApp(live, start_session=False, title="glasses run")
        async with app.run_test(size=(120, 40)) as pilot:
            assert await until(lambda: live.hud.text == "QR code\nlive tui", pilot)
            assert "file:" in str(app.query_one("#status").render())
            assert app.query_one("#stages").border_title == "Stages (ms)"  # the real clock
            await pilot.press("space")  # no pausing the real clock: a note, not a crash
            assert "no pause" in log_text(app)
            await pilot.press("t")
            # The poster stays in view, so the card is dismissed and not shown again.
            assert await until(lambda: live.hud.text == "", pilot)
            # Times count from the session's start, not from the machine's uptime. The event
            # lines carry a time; notes (the "no pause" above) do not and may come first.
            assert await until(lambda: bool(event_times(app)), pilot)
            assert all(0 <= t < 30 for t in event_times(app)), log_text(app)
            assert await until(lambda: bool(live.ended), pilot)  # --duration elapsed
            assert await until(lambda: "■ ended" in str(app.status_text()), pilot)
            assert await until(lambda: "session ended: the duration" in log_text(app), pilot)

    asyncio.run(main())
    assert live.summary is not None and live.summary.led_on is False


def test_typed_utterance_is_spoken_into_the_microphone() -> None:
    async def main() -> None:
        app = GlassesApp(session())
        async with app.run_test(size=(120, 40)) as pilot:
            step(app, 0.2)
            await type_into_prompt(app, pilot, "u", "hey glasses, take a photo")
            assert "spoken into the microphone" in log_text(app)
            step(app, 4.0)
            heard = [e for e in app.session.rig.display.history if "Photo" in e[1]]
            assert heard, app.session.rig.display.history

    asyncio.run(main())
