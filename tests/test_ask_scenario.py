"""scenarios/ask.yaml: an open question through the real audio path, answered by the real
Gemma 3 270M model in process, drawn progressively, spoken before it is complete, and stopped by
the wake phrase within 200 ms."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from simulator.harness import ScenarioResult, run_scenario
from simulator.scenario import load_scenario

SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "ask.yaml"
MS = 1_000_000


@pytest.fixture(scope="module")
def result() -> ScenarioResult:
    return run_scenario(load_scenario(SCENARIO))


def _of(result: ScenarioResult, kind: str, turn: int | None = None) -> list[dict[str, Any]]:
    return [
        e for e in result.events if e["type"] == kind and (turn is None or e["turn_id"] == turn)
    ]


def _ask_turn(result: ScenarioResult) -> int:
    (ask,) = [e for e in _of(result, "Intent") if e["name"] == "ask"]
    return int(ask["turn_id"])


def test_the_scenario_passes(result: ScenarioResult) -> None:
    assert result.passed, [o.detail for o in result.outcomes if not o.passed]


def test_the_answer_is_drawn_in_at_least_three_growing_parts(result: ScenarioResult) -> None:
    turn = _ask_turn(result)
    texts = [d["text"] for d in _of(result, "HudDrawn", turn) if d["text"]]
    distinct = list(dict.fromkeys(texts))
    assert len(distinct) >= 4, distinct  # three partial answers, then the last one drawn


def test_speech_starts_before_generation_ends(result: ScenarioResult) -> None:
    turn = _ask_turn(result)
    speaking = _of(result, "Speaking", turn)
    updates = _of(result, "HudUpdate", turn)
    assert speaking and updates
    assert speaking[0]["t_ns"] < updates[-1]["t_ns"]


def test_the_wake_phrase_stops_generation_and_speech_within_200_ms(
    result: ScenarioResult,
) -> None:
    turn = _ask_turn(result)
    (interrupt,) = _of(result, "Interrupt")
    cut_at = interrupt["t_ns"]
    stopped = [e for e in _of(result, "SpeakingStopped", turn) if e["cut"]]
    assert stopped and stopped[0]["t_ns"] - cut_at <= 200 * MS
    late_updates = [u for u in _of(result, "HudUpdate", turn) if u["t_ns"] > cut_at + 200 * MS]
    assert late_updates == []
    late_speech = [s for s in _of(result, "Speaking", turn) if s["t_ns"] > cut_at]
    assert late_speech == []
    # and it was cut mid-answer: the model was still writing when the wearer spoke
    assert _of(result, "HudUpdate", turn)[-1]["t_ns"] > cut_at - 200 * MS
