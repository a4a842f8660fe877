"""Restart limits over a sliding window: a stage that trips now and then keeps running; one that
crashes on every event gives up, and a scenario with a stage that gave up fails."""

from __future__ import annotations

import asyncio
import io
import json
import xml.etree.ElementTree as ET
from functools import partial
from pathlib import Path
from typing import ClassVar

import numpy as np
import pytest
from textual.widgets import RichLog

from glasses.app import LiveConfig, run_live
from glasses.cli.main import main
from glasses.cli.run_cmd import HeadlessOutput
from glasses.runtime import (
    Event,
    RestartPolicy,
    Runtime,
    Stage,
    StageContext,
    StageCrashed,
    VideoFrame,
    VirtualClock,
)
from glasses.runtime.testing import drive
from simulator import harness
from simulator.harness import run_scenario
from simulator.scenario import load_scenario
from simulator.session import SimSession
from simulator.tui.app import GlassesApp

ROOT = Path(__file__).resolve().parent.parent
SCAN = ROOT / "scenarios" / "scan_qr.yaml"
DEMO = ROOT / "scenarios" / "demo.yaml"

FPS = 30


class CrashesEveryNth(Stage):
    """Takes camera frames and raises on every ``every``-th one (1: on each)."""

    name: ClassVar[str] = "probe"
    accepts = (VideoFrame,)

    def __init__(self, every: int) -> None:
        self.every = every
        self.seen = 0

    async def process(self, event: Event, ctx: StageContext) -> None:
        self.seen += 1
        if self.seen % self.every == 0:
            raise ValueError(f"bad frame {self.seen}")


def run_frames(stage: Stage, seconds: float) -> tuple[Runtime, list[StageCrashed]]:
    """Feed ``stage`` a 30 fps camera for ``seconds`` of virtual time (on the stage harness)."""
    image = np.zeros((4, 4, 3), np.uint8)
    count = round(seconds * FPS)
    frames = (
        VideoFrame(t_ns=i * 1_000_000_000 // FPS, source="camera", image=image, index=i)
        for i in range(count)
    )
    until_ns = (count - 1) * 1_000_000_000 // FPS + 1_000_000_000
    driven = drive([stage], frames, until_ns, keep=lambda e: isinstance(e, StageCrashed))
    return driven.runtime, driven.of(StageCrashed)


def test_a_stage_crashing_on_one_frame_in_a_hundred_keeps_running_for_ten_minutes() -> None:
    stage = CrashesEveryNth(100)
    runtime, crashes = run_frames(stage, 600.0)
    assert runtime.supervisor.failed == {}
    assert len(crashes) == 180 and not any(c.gave_up for c in crashes)  # 18,000 frames / 100
    # Still taking frames at the end: the last crash is in the last 100 frames' span.
    assert crashes[-1].t_ns > 596 * 1_000_000_000
    stats = runtime.metrics()["stages"]["probe"]
    assert stats["crashes"] == 180 and stats["processed"] > 17_000


def test_a_stage_crashing_on_every_event_gives_up_within_seconds() -> None:
    stage = CrashesEveryNth(1)
    runtime, crashes = run_frames(stage, 60.0)
    policy = RestartPolicy()
    assert runtime.supervisor.failed == {"probe": "ValueError: bad frame 11"}
    assert [c.gave_up for c in crashes] == [False] * policy.max_restarts + [True]
    assert crashes[-1].t_ns < policy.window_s * 1_000_000_000  # within one window
    assert stage.seen == policy.max_restarts + 1  # it takes nothing after giving up
    assert runtime.metrics()["failed"] == {"probe": "ValueError: bad frame 11"}


def test_old_crashes_leave_the_window() -> None:
    """Crashes in bursts that each stay within the limit never add up to giving up."""
    clock = VirtualClock()
    runtime = Runtime(clock)
    policy = RestartPolicy(max_restarts=2, window_s=5.0, backoff_s=0.01, max_backoff_s=0.1)
    attempts = 0

    async def flaky() -> None:
        nonlocal attempts
        attempts += 1
        if attempts % 2 == 0:
            await clock.sleep(6.0)  # runs for longer than the window, then trips twice
        raise RuntimeError(f"attempt {attempts}")

    async def main() -> None:
        runtime.spawn("flaky", flaky, policy)
        await clock.sleep(60.0)
        await runtime.stop()

    clock.run(main())
    assert runtime.supervisor.failed == {}
    # One at once, then two every ~6 s up to 60 s (19 in all), never three within 5 s.
    assert runtime.supervisor.restarts["flaky"] == 19


@pytest.mark.parametrize(
    ("kwargs", "problem"),
    [
        ({"max_restarts": -1}, "max_restarts must be >= 0"),
        ({"backoff_s": 0.0}, "need 0 < backoff_s"),
        ({"window_s": 4.0, "max_restarts": 10, "max_backoff_s": 0.5}, "would never give up"),
        ({"window_s": float("inf")}, "must be finite"),
    ],
)
def test_a_policy_that_could_never_give_up_is_refused(
    kwargs: dict[str, float], problem: str
) -> None:
    with pytest.raises(ValueError, match=problem):
        RestartPolicy(**kwargs)  # type: ignore[arg-type]


def test_a_stage_that_gives_up_fails_the_scenario() -> None:
    result = run_scenario(load_scenario(SCAN), stages=[CrashesEveryNth(1)])
    assert all(o.passed for o in result.outcomes)  # the assistant itself did its job …
    assert not result.passed  # … but a stage died, so the run cannot be trusted
    assert result.error == "probe crashed 11 times and gave up: ValueError: bad frame 11"
    assert result.to_dict()["gave_up"] == {"probe": "ValueError: bad frame 11"}


def test_a_stage_that_gives_up_fails_the_command_and_its_reports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(harness, "run_scenario", partial(run_scenario, stages=[CrashesEveryNth(1)]))
    report, junit = tmp_path / "r.json", tmp_path / "r.xml"
    code = main(["sim", "--headless", str(SCAN), "--report", str(report), "--junit", str(junit)])
    out = capsys.readouterr().out
    assert code == 1
    assert "FAIL  Scan QR codes" in out
    assert "✗ probe crashed 11 times and gave up: ValueError: bad frame 11" in out
    assert "GAVE UP" in out
    scenario = json.loads(report.read_text())["scenarios"][0]
    assert scenario["passed"] is False and "gave up" in scenario["error"]
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None and suite.get("failures") == "1"
    case = suite.find("testcase[@name='run']/failure")
    assert case is not None and "gave up" in (case.get("message") or "")


def test_the_tui_shows_a_stage_that_gave_up() -> None:
    session = SimSession(load_scenario(DEMO), paused=True)
    session.rig.runtime.add_stage(CrashesEveryNth(1))

    async def main() -> tuple[str, str, str]:
        app = GlassesApp(session)
        async with app.run_test(size=(140, 40)):
            session.step(5.0)  # 30 fps: eleven crashes come within ~4 s
            assert session.settle(), "the simulation did not settle"
            session.step(0.3)  # one more metrics sample after giving up
            assert session.settle(), "the simulation did not settle"
            app.refresh_from_session()
            status = str(app.query_one("#status").render())
            stages = str(app.query_one("#stages").render())
            log = " ".join(line.text for line in app.query_one("#log", RichLog).lines)
        return status, stages, log

    status, stages, log = asyncio.run(main())
    assert "gave up: probe" in status
    assert "✗ gave up" in stages
    assert "stage probe gave up after 11 crashes" in log


def test_glasses_run_reports_a_stage_that_gave_up() -> None:
    clock = VirtualClock()
    out = io.StringIO()
    printer = HeadlessOutput(out)
    config = LiveConfig(camera="sim:", mic=None, duration_s=6.0)
    summary = clock.run(
        run_live(
            config,
            on_event=printer.event,
            on_start=printer.started,
            clock=clock,
            stages=[CrashesEveryNth(1)],
        )
    )
    printer.summary(summary)
    assert summary.failed == {"probe": "ValueError: bad frame 11"}
    lines = out.getvalue().splitlines()
    gave_up = [line for line in lines if "gave up" in line]
    assert gave_up[0].endswith(
        "probe crashed 11 times and gave up (it stays down): ValueError: bad frame 11"
    )
    assert "  gave up           probe" in lines  # in the summary too; the exit code is 1
