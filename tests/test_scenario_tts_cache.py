"""A scenario's report does not depend on what the TTS cache holds.

Every ``say:`` and every reply is espeak-ng speech read from the disk cache when it is there and
synthesised otherwise; before synthesis was a pure function of its inputs, ``voice.yaml`` passed
on an empty cache and failed on one that other runs had filled.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from glasses.speech.tts import synthesize
from simulator.harness import run_scenario
from simulator.scenario import load_scenario

VOICE = Path(__file__).resolve().parent.parent / "scenarios" / "voice.yaml"


def _report(cache_root: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    monkeypatch.setenv("GLASSES_CACHE_DIR", str(cache_root))
    return run_scenario(load_scenario(VOICE)).to_dict()


def test_voice_scenario_report_is_the_same_on_an_empty_and_a_filled_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scenario = load_scenario(VOICE)
    says = [t.step.say for t in scenario.steps if t.step.say is not None]
    assert says, "voice.yaml has no speech to synthesise"

    empty = _report(tmp_path / "empty", monkeypatch)

    # Fill another cache the way a different history would: other speech first, then the
    # scenario's lines in reverse order, each synthesised after different ones.
    filled = tmp_path / "filled"
    for text in ("the weather is nice today", "hey glasses, what time is it"):
        synthesize(text, rate_wpm=210, use_cache=False)
    for say in reversed(says):
        synthesize(say.text, voice=say.voice, rate_wpm=say.rate_wpm, cache_dir=filled / "tts")
    assert len(list((filled / "tts").glob("*.npz"))) == len({s.text for s in says})
    prefilled = _report(filled, monkeypatch)

    assert [e for e in empty["events"] if e["type"] == "SpeechEnded"], "nothing was heard"
    # Decisions and what the wearer saw first (readable on failure), then the whole report.
    assert [(e["type"], e["t_ns"]) for e in prefilled["events"]] == [
        (e["type"], e["t_ns"]) for e in empty["events"]
    ]
    assert prefilled["hud"] == empty["hud"]
    assert prefilled["expectations"] == empty["expectations"]
    assert json.dumps(prefilled, sort_keys=True) == json.dumps(empty, sort_keys=True)
