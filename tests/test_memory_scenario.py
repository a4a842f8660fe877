"""``scenarios/remember.yaml`` through the real harness and audio path: remember, then recall."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from glasses.cli.main import main
from simulator.harness import ScenarioResult, run_scenario
from simulator.scenario import load_scenario

ROOT = Path(__file__).resolve().parent.parent
REMEMBER = ROOT / "scenarios" / "remember.yaml"
MS = 1_000_000


@pytest.fixture(scope="module")
def result() -> ScenarioResult:
    return run_scenario(load_scenario(REMEMBER))


def test_remember_then_recall_by_voice(result: ScenarioResult) -> None:
    assert result.passed, [o.detail for o in result.outcomes if not o.passed]
    intents = [e for e in result.events if e["type"] == "Intent"]
    # Open speech arrives as `ask`; the dispatcher hands it to the memory skills, so the
    # one grammar command ("what do you remember") is the only `recall` on the bus.
    assert [e["name"] for e in intents] == ["ask", "ask", "ask", "ask", "recall", "ask"]
    assert intents[0]["phrase"].lower().startswith("remember")
    # No HUD text from the language-model path, and every request got its own card.
    shown = [text for _, text in result.hud]
    assert sum(text.startswith("Remembered\n") for text in shown) == 2
    assert sum(text.startswith("Memory\n") for text in shown) == 2


def test_each_turn_is_drawn_soon_after_the_speech_ends(result: ScenarioResult) -> None:
    # Acoustic end of speech → HUD drawn: wake decision, Whisper's charged cost, the skill.
    assert len(result.turns) == 6
    for marks in result.turns.values():
        turn = dict(marks)
        assert turn["HudDrawn"] - turn["SpeechEnd"] < 800


def test_from_the_command_line_twice_the_same(
    result: ScenarioResult, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "report.json"
    assert main(["sim", "--headless", str(REMEMBER), "--report", str(report)]) == 0
    assert "PASS" in capsys.readouterr().out
    (again,) = json.loads(report.read_text(encoding="utf-8"))["scenarios"]
    # A fresh memory every run, dated by the virtual clock: the same HUD at the same times.
    assert [(h["t_ms"], h["text"]) for h in again["hud"]] == [
        (round(t / MS, 3), text) for t, text in result.hud
    ]
