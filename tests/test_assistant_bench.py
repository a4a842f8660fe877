"""The assistant bench's bookkeeping: its scenario is valid and turns are attributed to slots."""

from __future__ import annotations

import itertools
from pathlib import Path

from glasses.bench.assistant_bench import TRIALS, Slot, scenario_yaml, turn_figures
from glasses.runtime.events import HudDrawn, Intent, Speaking
from simulator.scenario import parse_scenario

S = 1_000_000_000


def test_bench_scenario_parses_with_a_warm_up_round() -> None:
    text, slots = scenario_yaml(TRIALS, rounds=2)
    scenario = parse_scenario(text, Path("<bench>"))
    assert len(slots) == 3 * len(TRIALS)
    assert {s.round for s in slots} == {0, 1, 2}
    assert scenario.duration_s * S > slots[-1].end_ns
    # Slots never overlap: a turn belongs to one trial.
    assert all(a.end_ns <= b.start_ns for a, b in itertools.pairwise(slots))


def test_only_the_first_turn_of_the_slots_intent_counts() -> None:
    trial = next(t for t in TRIALS if t.skill == "ask")
    slot = Slot(trial, 1, 10 * S, 30 * S)
    starts = {1: 12 * S, 2: 14 * S, 3: 5 * S}
    events = [
        Intent(t_ns=5 * S, turn_id=3, name="ask"),  # before the slot: another trial's
        Intent(t_ns=12 * S, turn_id=1, name="ask"),
        Intent(t_ns=14 * S, turn_id=2, name="ask"),  # a second one in the slot: not counted
        HudDrawn(t_ns=12 * S + 50_000_000, turn_id=1, text="", update_t_ns=0),
        HudDrawn(t_ns=12 * S + 700_000_000, turn_id=1, text="The sky", update_t_ns=0),
        Speaking(t_ns=13 * S, turn_id=1, text="The sky is blue."),
        HudDrawn(t_ns=14 * S + 10_000_000, turn_id=2, text="x", update_t_ns=0),
    ]
    figures = turn_figures(events, starts.get, [slot])["ask"]
    assert figures.hud_ms == [50.0]
    assert figures.first_words_ms == [700.0]
    assert figures.audio_ms == [1000.0]


def test_open_speech_a_skill_claims_counts_for_that_skill() -> None:
    trial = next(t for t in TRIALS if t.skill == "timer")
    slot = Slot(trial, 1, 10 * S, 20 * S)
    events = [
        Intent(t_ns=12 * S, turn_id=1, name="ask", phrase="Set a timer for 10 seconds."),
        HudDrawn(t_ns=12 * S + 30_000_000, turn_id=1, text="Timer", update_t_ns=0),
    ]

    def intent_of(intent: Intent) -> str:
        return "timer" if "timer" in intent.phrase else intent.name

    starts = {1: 11 * S}
    assert turn_figures(events, starts.get, [slot])["timer"].hud_ms == []
    figures = turn_figures(events, starts.get, [slot], intent_of=intent_of)["timer"]
    assert figures.hud_ms == [1030.0]
