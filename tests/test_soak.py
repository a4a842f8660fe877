"""``glasses bench soak``: the generated soak scenario and the bench's plumbing, on a run of
seconds (the 10- and 60-minute figures are in the README)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from glasses.cli.main import main
from simulator.soak import CYCLE_S, REQUESTS, soak_scenario, soak_source


def test_the_soak_is_whole_cycles_of_code_tap_request_and_nod() -> None:
    scenario = soak_scenario(1.0)
    assert scenario.duration_s == 60.0
    actions = [t.step.action for t in scenario.steps]
    assert actions[:7] == ["show", "tap", "show", "say", "tap", "show", "nod"]
    assert len(actions) == 7 * 3
    assert [t.t_s for t in scenario.steps if t.step.nod] == [16.0, 36.0, 56.0]
    # Each cycle checks its code, its answer and its photo.
    assert len(scenario.model.expect) == 3 * 3 + 1
    assert soak_scenario(0.01).duration_s == CYCLE_S  # at least one cycle


def test_every_request_is_said_in_a_long_soak_and_questions_can_be_left_out() -> None:
    said = {t.step.say.text for t in soak_scenario(10).steps if t.step.say is not None}
    assert said == {text for text, _, _ in REQUESTS}
    without = soak_source(10, questions=False)
    assert "tell me the date" not in without and "read this" in without


@pytest.mark.parametrize("minutes", [0, -1, float("nan"), 61])
def test_a_soak_outside_0_to_60_minutes_is_refused(minutes: float) -> None:
    with pytest.raises(ValueError, match=r"minutes|at most"):
        soak_source(minutes)


def test_bench_soak_runs_and_reports_its_figures(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "soak.json"
    assert main(["bench", "soak", "--minutes", "0.3", "--json", str(out)]) == 0
    figures = json.loads(out.read_text())
    for key in ("harness_speed_x", "rss_mb_peak", "rss_growth_pct", "restarts", "dropped_frames"):
        assert key in figures
    assert figures["virtual_s"] == CYCLE_S
    assert figures["harness_speed_x"] > 0 and figures["rss_mb_peak"] > 0
    assert figures["rss_growth_pct"] is not None
    assert figures["restarts"] == 0 and figures["gave_up"] == []
    assert figures["passed"] and figures["expectations"] == 4
    # The code was read once per scene, not on each of the camera's 600 frames.
    assert figures["frames"] == 601 and figures["code_reads"] <= 5
    printed = capsys.readouterr().out
    assert printed.count("bench soak: ") >= 5  # the announcement, then progress lines
    assert "speed:" in printed and "memory:" in printed


def test_bench_soak_json_without_a_path_goes_to_stdout_and_progress_to_stderr(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["bench", "soak", "--minutes", "0.3", "--json"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["virtual_s"] == CYCLE_S
    assert "bench soak: " in captured.err


def test_bench_soak_refuses_more_than_an_hour(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "soak", "--minutes", "90"]) == 2
    assert "at most 60" in capsys.readouterr().out
