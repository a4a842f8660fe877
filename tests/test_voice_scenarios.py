"""Speech out and speech in together, through the real audio path on the virtual clock.

Every ``say:`` here is espeak-ng audio mixed with noise, fed to the simulated microphone, and
heard through echo cancellation → Silero VAD → PocketSphinx; every reply is synthesised and
played through the simulated speaker, whose echo comes back into the microphone.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest

from simulator.harness import ScenarioResult, run_scenario
from simulator.scenario import load_scenario, parse_scenario

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
MS = 1_000_000


def events(result: ScenarioResult, *types: str) -> list[dict[str, Any]]:
    return [e for e in result.events if e["type"] in types]


def run(name: str) -> ScenarioResult:
    result = run_scenario(load_scenario(SCENARIOS / name))
    assert result.passed, [o.detail for o in result.outcomes if not o.passed]
    return result


@pytest.fixture(scope="module")
def barge_in() -> ScenarioResult:
    return run("barge_in.yaml")


def test_reply_is_spoken_through_the_speaker(barge_in: ScenarioResult) -> None:
    (speaking,) = events(barge_in, "Speaking")
    assert "PLATFORM FOUR" in speaking["text"]
    assert speaking["duration_ns"] > 3_000 * MS  # three lines of espeak speech
    assert speaking["audio"]["dtype"] == "int16"


def test_wake_word_over_the_speech_cuts_it_as_it_is_heard(barge_in: ScenarioResult) -> None:
    (speaking,) = events(barge_in, "Speaking")
    (stopped,) = events(barge_in, "SpeakingStopped")
    (interrupt,) = events(barge_in, "Interrupt")
    assert stopped["cut"] is True
    assert stopped["reason"] == interrupt["reason"] == "wake word"
    # The wearer starts at 5.5 s (0.3 s of noise first): the cut comes right after "hey
    # glasses", well before the end of the sentence and of the wearer's utterance.
    assert 5_800 * MS < interrupt["t_ns"] < 7_000 * MS
    assert stopped["t_ns"] < speaking["t_ns"] + speaking["duration_ns"] - 1_000 * MS
    utterance_ends = [e["t_ns"] for e in events(barge_in, "SpeechEnded")]
    assert interrupt["t_ns"] < max(utterance_ends)


def test_barge_in_then_command_and_no_self_triggered_command(barge_in: ScenarioResult) -> None:
    wakes = events(barge_in, "WakeWord")
    intents = [e["name"] for e in events(barge_in, "Intent")]
    assert len(wakes) == 2  # the wearer's two; none from the glasses' own voice
    assert intents == ["read", "dismiss"]
    assert not events(barge_in, "CommandRejected")


def test_reading_the_wake_phrase_aloud_does_not_wake_the_glasses() -> None:
    result = run("own_voice.yaml")
    (speaking,) = events(result, "Speaking")
    assert speaking["text"].count("HEY GLASSES") == 2
    (stopped,) = events(result, "SpeakingStopped")
    assert stopped["cut"] is False  # played to the end: no barge-in by its own echo
    assert not events(result, "Interrupt")
    assert len(events(result, "WakeWord")) == 1
    assert [e["name"] for e in events(result, "Intent")] == ["read"]


TWO_READS = """name: two replies
seed: 7
device:
  profile: frame
  echo: {echo}
timeline:
  - at: 0.3s
    show: {{text: "TRAINS TO THE AIRPORT\\nLEAVE FROM PLATFORM FOUR\\nEVERY TEN MINUTES", \
scale: 0.9, noise: 4}}
  - at: 1s
    say: "hey glasses, read this"
  - at: 9s
    show: {{text: "THE MUSEUM IS CLOSED\\nON MONDAYS AND\\nPUBLIC HOLIDAYS", scale: 0.9, noise: 4}}
  - at: 9.5s
    id: second
    say: "hey glasses, read this"
settle: 7s
expect:
  - hud_contains: "MONDAYS"
    after: second
    within_ms: 3500
"""


def speech_during_playback(result: ScenarioResult) -> list[tuple[int, int]]:
    """(start, end) of the VAD's utterances that overlap a playback."""
    plays = [(e["t_ns"], e["t_ns"] + e["duration_ns"]) for e in events(result, "Speaking")]
    utterances = [(e["started_t_ns"], e["t_ns"]) for e in events(result, "SpeechEnded")]
    return [u for u in utterances if any(u[0] < p[1] and u[1] > p[0] for p in plays)]


def test_echo_canceller_keeps_the_vad_quiet_once_adapted() -> None:
    result = run_scenario(parse_scenario(TWO_READS.format(echo="{delay_ms: 80}"), Path("two.yaml")))
    assert result.passed, [o.detail for o in result.outcomes if not o.passed]
    first, second = events(result, "Speaking")
    heard = speech_during_playback(result)
    # While it adapts (the first ~2 s of the first reply) some echo gets through, and is
    # ignored; during the second reply the VAD hears nothing at all.
    assert all(start < first["t_ns"] + 2_500 * MS for start, _ in heard)
    assert not [u for u in heard if u[1] > second["t_ns"]]
    assert not events(result, "CommandRejected")
    assert len(events(result, "WakeWord")) == 2


def test_without_echo_the_microphone_hears_nothing_of_the_replies() -> None:
    result = run_scenario(parse_scenario(TWO_READS.format(echo="off"), Path("two.yaml")))
    assert result.passed
    assert not speech_during_playback(result)


TAP_DURING_SPEECH = """name: tap to stop
seed: 4
device:
  profile: frame
timeline:
  - at: 0.3s
    show: {text: "TRAINS TO THE AIRPORT\\nLEAVE FROM PLATFORM FOUR\\nEVERY TEN MINUTES", \
scale: 0.9, noise: 4}
  - at: 1s
    tap: double
  - at: 2.5s
    id: tap
    tap:
settle: 3s
expect:
  - name: the tap stops the speech but leaves the card
    hud_contains: "PLATFORM FOUR"
    after: tap
    within_ms: 2000
"""


def test_tap_during_speech_stops_it_and_keeps_the_card() -> None:
    result = run_scenario(parse_scenario(TAP_DURING_SPEECH, Path("tap.yaml")))
    assert result.passed, [o.detail for o in result.outcomes if not o.passed]
    (speaking,) = events(result, "Speaking")
    (stopped,) = events(result, "SpeakingStopped")
    assert stopped["cut"] is True
    assert stopped["reason"] == "tap"
    assert stopped["t_ns"] == 2_500 * MS  # at once
    assert stopped["t_ns"] < speaking["t_ns"] + speaking["duration_ns"]
    assert "dismiss" not in [e["name"] for e in events(result, "Intent")]


def test_48khz_stereo_microphone() -> None:
    result = run("voice_48k.yaml")
    assert [e["name"] for e in events(result, "Intent")] == ["read"]
    # The resampled stream tiles time: one 32 ms chunk of 16 kHz mono per 32 ms.
    assert result.data_events["AudioChunk"] == pytest.approx(result.duration_s / 0.032, abs=2)


def test_captions_show_partials_as_people_speak() -> None:
    result = run("captions.yaml")
    captions = [e for e in events(result, "Transcript") if e["source"] == "captions"]
    talk_start, talk_end = 4_000 * MS, 9_500 * MS
    during = [e for e in captions if talk_start <= e["t_ns"] <= talk_end]
    partials = [e for e in during if not e["final"]]
    finals = [e for e in during if e["final"]]
    assert len(partials) >= 3
    assert len(finals) == 1
    assert max(p["t_ns"] for p in partials) < finals[0]["t_ns"]
    assert "meeting" in finals[0]["text"]
    # Partials arrive while the speaker is still talking, at the stage's pace (>= 300 ms).
    times = [p["t_ns"] for p in partials]
    assert min(b - a for a, b in itertools.pairwise(times)) >= 300 * MS
    shown = {text for t, text in result.hud if talk_start <= t <= talk_end and "Captions" in text}
    assert len(shown) >= 3  # the HUD followed the partials
    # Captions off: the last utterance's own transcript is the end of it.
    assert not [e for e in captions if e["t_ns"] > 13_000 * MS]


def test_captions_are_off_by_default() -> None:
    result = run("voice_48k.yaml")
    assert not [e for e in events(result, "Transcript") if e["source"] == "captions"]


MODES = """name: listen modes
seed: 2
device:
  profile: frame
  listen: {mode}
timeline:
  - at: 0.3s
    show: {{text: "PLATFORM 4", scale: 0.6, noise: 5}}
  - at: 1s
    id: plain
    say: "read this"
  - at: 4s
    show: {{text: "NO ENTRY", scale: 0.6, noise: 5}}
  - at: 4.5s
    tap:
  - at: 5s
    id: after_tap
    say: "read this"
settle: 3.5s
expect:
  - hud_contains: "NO ENTRY"
    after: after_tap
    within_ms: 3500
"""


@pytest.mark.parametrize(
    ("mode", "intents"),
    [("always", ["read", "read"]), ("push_to_talk", ["read"]), ("wake", [])],
)
def test_listen_modes(mode: str, intents: list[str]) -> None:
    result = run_scenario(parse_scenario(MODES.format(mode=mode), Path("modes.yaml")))
    voice = [e["name"] for e in events(result, "Intent") if e["source"] == "listen"]
    assert voice == intents
    assert result.passed == (mode != "wake")  # without the wake word nothing is read
