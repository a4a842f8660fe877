"""Open speech after the wake phrase: grammar commands at once, anything else an ``ask``.

The listen stage is driven with whole utterances (``SpeechEnded`` carrying espeak speech mixed
with noise) on the virtual clock; the open-speech transcriber is a stand-in passed through the
constructor, so these tests pin the stage's rules, not a recogniser's accuracy.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
import pytest

from glasses.assistant.skill import SkillContext
from glasses.assistant.skills import builtin_skills
from glasses.assistant.skills.ask import AskSkill
from glasses.runtime.clock import NS_PER_S, VirtualClock
from glasses.runtime.events import (
    CommandRejected,
    Event,
    HudUpdate,
    Intent,
    SpeechEnded,
    Transcript,
)
from glasses.runtime.testing import drive
from glasses.speech.commands import phrases_from_skills
from glasses.speech.listen_stage import ListenSettings, ListenStage
from glasses.speech.open_speech import ASK, OpenSpeech, OpenSpeechSettings, new_open_speech
from glasses.speech.tts import mix_noise, synthesize_16k

RATE = 16_000


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("tts-cache")


class FakeTranscriber:
    """Returns a fixed transcript and counts its calls; ``openings``: each call's opening."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.calls = 0
        self.openings: list[str] = []

    def __call__(self, audio: np.ndarray, *, opening: str = "") -> str:
        assert audio.dtype == np.int16 and len(audio) > 0
        self.calls += 1
        self.openings.append(opening)
        return self.text


def _listen(cache: Path, text: str, transcriber: FakeTranscriber | None) -> list[Event]:
    return _listen_with(cache, text, OpenSpeech(transcriber) if transcriber else None)


def _listen_with(cache: Path, text: str, open_speech: OpenSpeech | None) -> list[Event]:
    audio = mix_noise(synthesize_16k(text, cache_dir=cache), 20.0, seed=3)
    stage = ListenStage(
        phrases_from_skills(builtin_skills()), ListenSettings(), open_speech=open_speech
    )
    end = len(audio) * NS_PER_S // RATE
    ended = SpeechEnded(t_ns=end, source="vad", started_t_ns=0, audio=audio)
    return drive([stage], [ended], end + 2 * NS_PER_S).events


def test_open_speech_after_the_wake_phrase_is_an_ask_carrying_the_transcript(
    cache: Path,
) -> None:
    fake = FakeTranscriber("How tall is the Eiffel tower?")
    seen = _listen(cache, "hey glasses, how tall is the eiffel tower", fake)
    intents = [e for e in seen if isinstance(e, Intent)]
    assert [(i.name, i.phrase) for i in intents] == [(ASK, "How tall is the Eiffel tower?")]
    assert fake.calls == 1
    # The utterance began with the wake phrase: the transcriber is told so (Whisper starts its
    # transcript from the phrase instead of guessing at it).
    assert fake.openings == ["Hey glasses,"]
    transcripts = [e.text for e in seen if isinstance(e, Transcript)]
    assert transcripts == ["How tall is the Eiffel tower?"]
    assert not [e for e in seen if isinstance(e, CommandRejected)]


def test_a_grammar_command_never_waits_for_the_transcriber(cache: Path) -> None:
    fake = FakeTranscriber("read this")
    seen = _listen(cache, "hey glasses, read this", fake)
    assert [i.name for i in seen if isinstance(i, Intent)] == ["read"]
    assert fake.calls == 0


def test_a_command_the_grammar_missed_but_the_transcriber_heard_is_that_command(
    cache: Path,
) -> None:
    # Rejected by the grammar (a sentence), but the stand-in transcriber hears a command.
    fake = FakeTranscriber("Hey, Glacin, this miss.")
    seen = _listen(cache, "hey glasses, the weather is nice today", fake)
    assert [(i.name, i.phrase) for i in seen if isinstance(i, Intent)] == [("dismiss", "dismiss")]


def test_a_command_after_a_wake_phrase_the_transcriber_misheard_is_that_command(
    cache: Path,
) -> None:
    # Whisper's words for an espeak-ng "hey glasses, dismiss" at 10-20 dB SNR.
    fake = FakeTranscriber("K-gloss and dismiss.")
    seen = _listen(cache, "hey glasses, the weather is nice today", fake)
    assert [(i.name, i.phrase) for i in seen if isinstance(i, Intent)] == [("dismiss", "dismiss")]


def test_open_speech_after_a_misheard_wake_phrase_starts_with_the_request(cache: Path) -> None:
    fake = FakeTranscriber("I A-glass and remember my car is on level three.")
    seen = _listen(cache, "hey glasses, the weather is nice today", fake)
    assert [(i.name, i.phrase) for i in seen if isinstance(i, Intent)] == [
        (ASK, "remember my car is on level three")
    ]


def test_a_sentence_that_ends_like_a_command_after_the_wake_phrase_is_asked(
    cache: Path,
) -> None:
    fake = FakeTranscriber("Hey glasses, the sky is clear.")
    seen = _listen(cache, "hey glasses, the weather is nice today", fake)
    assert [(i.name, i.phrase) for i in seen if isinstance(i, Intent)] == [
        (ASK, "the sky is clear.")
    ]


def test_a_command_window_utterance_is_not_searched_for_a_command_at_its_end(
    cache: Path,
) -> None:
    # The wake phrase alone, then the next utterance: it holds no wake phrase to skip, so a
    # transcript that ends in a command word is a question, not that command.
    wake = mix_noise(synthesize_16k("hey glasses", cache_dir=cache), 20.0, seed=3)
    said = mix_noise(synthesize_16k("the weather is nice today", cache_dir=cache), 20.0, seed=4)
    fake = FakeTranscriber("Take lesson, scan this")
    stage = ListenStage(
        phrases_from_skills(builtin_skills()),
        ListenSettings(min_command_s=3.0),  # "hey glasses" alone holds no command after it
        open_speech=OpenSpeech(fake),
    )
    first_end = len(wake) * NS_PER_S // RATE
    second_start = first_end + NS_PER_S
    second_end = second_start + len(said) * NS_PER_S // RATE
    events = [
        SpeechEnded(t_ns=first_end, source="vad", started_t_ns=0, audio=wake),
        SpeechEnded(t_ns=second_end, source="vad", started_t_ns=second_start, audio=said),
    ]
    seen = drive([stage], events, second_end + 2 * NS_PER_S).events
    assert fake.calls == 1  # the second utterance only
    assert fake.openings == [""]  # it does not begin with the wake phrase
    assert [(i.name, i.phrase) for i in seen if isinstance(i, Intent)] == [
        (ASK, "Take lesson, scan this")
    ]


@pytest.mark.parametrize("heard", ["", "Thank you.", "um", "[Music]", "hey"])
def test_noise_and_half_words_are_rejected_not_asked(cache: Path, heard: str) -> None:
    seen = _listen(cache, "hey glasses, the weather is nice today", FakeTranscriber(heard))
    assert not [e for e in seen if isinstance(e, Intent)]
    (rejected,) = [e for e in seen if isinstance(e, CommandRejected)]
    assert rejected.reason == "no question heard"
    toasts = [e.card for e in seen if isinstance(e, HudUpdate) and e.card is not None]
    assert [c.title for c in toasts] == ["Didn't catch that"]


def test_without_a_transcriber_open_speech_is_rejected(cache: Path) -> None:
    seen = _listen(cache, "hey glasses, the weather is nice today", None)
    assert not [e for e in seen if isinstance(e, Intent)]
    assert [e.reason for e in seen if isinstance(e, CommandRejected)] in (
        ["out of grammar"],
        ["not a complete command"],
        ["no speech recognised"],
    )


def test_question_filter_and_settings() -> None:
    open_speech = OpenSpeech(FakeTranscriber(""), OpenSpeechSettings(min_words=2))
    assert open_speech.is_question("what time is it")
    assert not open_speech.is_question("Thanks for watching!")
    assert not open_speech.is_question("(laughs)")
    assert not open_speech.is_question("tokyo")
    with pytest.raises(ValueError, match="min_words"):
        OpenSpeechSettings(min_words=0)
    with pytest.raises(ValueError, match="unknown open-speech backend"):
        ListenSettings(open_speech="gpt")  # type: ignore[arg-type]
    assert new_open_speech("off") is None


def test_ask_skill_shows_the_question_and_says_it_has_no_answer() -> None:
    reply = asyncio.run(
        AskSkill().handle(
            Intent(t_ns=0, name=ASK, phrase="how tall is the eiffel tower"),
            SkillContext(clock=VirtualClock(), latest_frame=lambda: None),  # no language model
        )
    )
    assert reply.card is not None and reply.card.title == "You asked"
    assert "how tall is the eiffel tower" in reply.card.body
    assert reply.say


@pytest.mark.parametrize(
    ("heard", "question"),
    [
        ("Hey glasses, what time is it?", "what time is it?"),
        ("Hey, glasses. What time is it?", "What time is it?"),
        ("Hay glasses how tall is it", "how tall is it"),
        ("glasses, what is this", "what is this"),
        ("What time is it?", "What time is it?"),
        ("Hey glasses", ""),
        ("Hey, Glacin, this miss.", "this miss."),
        # "glasses" cut short, its "-es" heard as a word of its own; not after a marked pause
        ("Hey glass of dismiss.", "dismiss."),
        ("A glass of dismissed", "dismissed"),
        ("Hey glass, is it raining", "is it raining"),
        ("Hey, what time is it?", "what time is it?"),
        ("There, how are you", "There, how are you"),
        ("the glasses are on the table", "the glasses are on the table"),
    ],
)
def test_the_wake_phrase_is_cut_from_the_transcript(heard: str, question: str) -> None:
    assert OpenSpeech.after_wake(heard, "hey glasses") == question


def test_an_unloadable_recogniser_is_not_understood_not_a_crash(
    cache: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from glasses.speech.open_speech import OpenSpeechUnavailable, _Lazy

    def broken() -> FakeTranscriber:
        raise RuntimeError(
            "whisper-base: model.bin altered — fix: glasses models pull whisper-base"
        )

    lazy = _Lazy(broken)
    with pytest.raises(OpenSpeechUnavailable, match="glasses models pull whisper-base"):
        lazy(np.zeros(160, dtype=np.int16))
    stage_seen = _listen_with(cache, "hey glasses, the weather is nice today", OpenSpeech(lazy))
    assert not [e for e in stage_seen if isinstance(e, Intent)]
    assert [e.reason for e in stage_seen if isinstance(e, CommandRejected)] == ["no question heard"]
    assert "glasses models pull whisper-base" in caplog.text
