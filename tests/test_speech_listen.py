"""The speech bench's corpus, time line and scoring (no models: synthetic arrays)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from glasses.bench import speech_corpus as corpus
from glasses.bench.speech_corpus import Clip, DistractorStream
from glasses.bench.speech_listen import (
    CHUNK,
    GAP_S,
    WARMUP_GAP_S,
    Heard,
    Timeline,
    audio_chunks,
    ns,
)
from glasses.bench.speech_scoring import corpus_wer, pctl, rate, ratio, word_edits, word_error_rate
from glasses.runtime import AudioChunk, Tap
from glasses.speech.commands import CommandPhrase, normalize
from glasses.speech.listen_stage import COLD_SPOTTER_S, ListenSettings

RATE = 16_000


def clip(
    text: str = "x",
    seconds: float = 1.0,
    *,
    noise: float = 100.0,
    voice: str = "en-us",
    intent: str | None = None,
) -> Clip:
    """A stand-in clip: constant samples, speech ending 100 samples before its end."""
    n = int(seconds * RATE)
    audio = np.full(n, 7, dtype=np.int16)
    return Clip("wake", text, voice, 170, 15.0, audio, n - 100, noise, intent)


def test_word_edits_count_substitutions_deletions_and_insertions() -> None:
    assert word_edits([], []) == 0
    assert word_edits(["a", "b", "c"], ["a", "b", "c"]) == 0
    assert word_edits(["a", "b", "c"], ["a", "x", "c"]) == 1  # substitution
    assert word_edits(["a", "b", "c"], ["a", "c"]) == 1  # deletion
    assert word_edits(["a", "b"], ["a", "b", "c", "d"]) == 2  # insertions
    assert word_edits(["a", "b", "c"], []) == 3
    assert word_edits([], ["a", "b"]) == 2
    assert word_edits(["kitten", "sat"], ["sitting", "sat", "down"]) == 2


def test_word_error_rate_normalises_case_and_punctuation() -> None:
    assert word_error_rate("Turn off the lights.", "turn off the lights") == 0.0
    assert word_error_rate("the quick brown fox", "the quick brown box") == 0.25
    assert word_error_rate("one two", "one two three four") == 1.0  # can reach and pass 1
    assert word_error_rate("", "") == 0.0
    assert word_error_rate("", "noise") == 1.0
    # Corpus WER: all edits over all reference words, not a mean of rates.
    assert corpus_wer([("a b c d", "a b c d"), ("e f", "")]) == round(2 / 6, 4)
    assert corpus_wer([]) is None


def test_rates_percentiles_and_ratios_say_none_when_there_is_nothing() -> None:
    assert rate(1, 3) == 0.3333 and rate(0, 0) is None
    assert pctl([3.0, 1.0, 2.0], 50) == 2.0 and pctl([], 50) is None
    assert ratio(0.9, 0.6) == 1.5 and ratio(None, 1.0) is None and ratio(1.0, 0.0) is None


def test_held_out_voices_share_no_accent_or_variant_with_training_voices() -> None:
    assert not any(corpus.is_held_out(v) for v in corpus.TRAINING_VOICES)
    assert all(corpus.is_held_out(v) for v in corpus.HELD_OUT_VOICES)
    assert set(corpus.BENCH_TRAINING_VOICES) <= set(corpus.TRAINING_VOICES)
    assert set(corpus.BENCH_VOICES) == set(corpus.BENCH_TRAINING_VOICES + corpus.HELD_OUT_VOICES)
    assert clip(voice="en-029+f4").held_out and not clip(voice="en-us+f3").held_out
    pairs = corpus.voice_rate_pairs()
    assert len(set(pairs)) == len(corpus.BENCH_VOICES) * len(corpus.RATES_WPM)


def test_the_distractors_never_say_the_wake_phrase() -> None:
    spoken = corpus.NEAR_MISSES + corpus.EVERYDAY
    assert all("hey glasses" not in normalize(s) for s in spoken)
    assert {"hello class", "these glasses are great"} <= set(corpus.NEAR_MISSES)
    assert not set(corpus.NEAR_MISSES) & set(corpus.EVERYDAY)  # only EVERYDAY is streamed


def test_every_set_is_specified_and_a_limit_spreads_over_voices() -> None:
    phrases = [CommandPhrase("read this", "read"), CommandPhrase("dismiss", "dismiss")]
    pairs = corpus.voice_rate_pairs()
    specs = corpus._specs(phrases, "hey glasses", pairs)
    assert set(specs) == set(corpus.SETS)
    assert len(specs["wake"]) == len(pairs) * 3  # bare, and one per phrase
    assert {s.text for s in specs["no_pause"]} == {"hey glasses read this", "hey glasses dismiss"}
    assert all(s.text.startswith("hey glasses, ") for s in specs["oog_wake"])
    few = corpus._spread(specs["wake"], 6)
    assert len(few) == 6 and len({s.pair[0] for s in few}) > 3


def test_out_of_grammar_sets_hold_no_sentence_the_grammar_accepts() -> None:
    # EVERYDAY holds "what time is it" and "set a timer for five minutes" (the stream's
    # unrelated speech): with those phrases in the grammar, they are commands, not OOG clips.
    phrases = [
        CommandPhrase("what time is it", "time"),
        CommandPhrase("set a timer for <number> <unit>", "timer"),
    ]
    pairs = corpus.voice_rate_pairs()
    specs = corpus._specs(phrases, "hey glasses", pairs)
    oog = {s.text for s in specs["oog"]}
    assert "what time is it" not in oog and "set a timer for five minutes" not in oog
    assert "hey glasses, what time is it" not in {s.text for s in specs["oog_wake"]}
    assert len(oog) == len(corpus.NEAR_MISSES) + len(corpus.EVERYDAY) - 2
    # The other sentences keep the voices they had without the two.
    everything = corpus._specs([CommandPhrase("dismiss", "dismiss")], "hey glasses", pairs)
    kept = {s.key: s.pair for s in specs["oog"]}
    assert all(kept[s.key] == s.pair for s in everything["oog"] if s.key in kept)


def test_the_time_line_leaves_the_listen_stage_asleep_between_clips() -> None:
    assert GAP_S[0] > ListenSettings().command_window_s
    assert corpus.WARMUP_SPEECH_S > COLD_SPOTTER_S  # sessions measure a settled spotter
    warm = [clip("warm", 0.5), clip("up", 0.25)]
    clips = [clip("a", 1.0), clip("b", 2.0, noise=0.0), clip("c", 1.5)]
    line = Timeline.lay_out(clips, warm)
    warm_end = sum(int(WARMUP_GAP_S * RATE) + len(w.audio) for w in warm)
    assert len(line.starts) == 3 and line.starts == sorted(line.starts)
    for i, (start, gap) in enumerate(zip(line.starts, line.gaps, strict=True)):
        before = line.starts[i - 1] + len(clips[i - 1].audio) if i else warm_end
        assert start - before == gap >= GAP_S[0] * RATE
    # Ownership: a clip's span runs to the next clip's start.
    assert line.owner(ns(line.starts[1])) == 1 and line.owner(ns(line.starts[1]) - 1) == 0
    assert line.owner(0) is None and line.owner(None) is None
    assert line.voiced_end_ns(0) == ns(line.starts[0] + clips[0].speech_end)
    events = list(line.events(taps=True))
    chunks = [e for e in events if isinstance(e, AudioChunk)]
    assert sum(len(c.samples) for c in chunks) == line.total
    assert [c.t_ns for c in chunks] == [ns(i * CHUNK) for i in range(len(chunks))]
    times = [e.t_ns for e in events]
    assert times == sorted(times)  # drive() needs them in order
    assert [e.t_ns for e in events if isinstance(e, Tap)] == [ns(s) for s in line.starts]
    # The second clip sits in digital silence: its gap's second half is zeros.
    audio = np.concatenate([c.samples for c in chunks])
    gap_end = line.starts[1]
    assert not audio[gap_end - line.gaps[1] // 2 + 1 : gap_end].any()
    assert audio[line.starts[1] : line.starts[1] + 10].tolist() == [7] * 10


def test_audio_chunks_tile_time_and_keep_the_short_tail() -> None:
    pieces = [np.ones(700, np.int16), np.ones(400, np.int16)]
    chunks = list(audio_chunks(pieces))
    assert [len(c.samples) for c in chunks] == [512, 512, 76]
    assert [c.t_ns for c in chunks] == [0, 32_000_000, 64_000_000]


def test_a_heard_clip_counts_an_ask_as_no_grammar_command() -> None:
    c = clip(intent="read")
    assert Heard(c, True, ("read",)).right
    assert not Heard(c, True, ("ask", "dismiss")).right
    assert Heard(c, True, ("ask",)).command is None


def test_the_distractor_stream_has_the_length_asked_and_repeats_itself() -> None:
    stream = DistractorStream(0.1)
    first = np.concatenate(list(stream))
    assert len(first) == stream.samples == int(0.1 * 60 * RATE)
    assert np.array_equal(first, np.concatenate(list(stream)))  # deterministic
    assert stream.sentences >= 1
    assert len(stream._speech) <= len(stream.pool) + len(stream.look_alike_pool)
    assert all(corpus.is_held_out(voice) for _, (voice, _) in stream.pool)
    with pytest.raises(ValueError, match="minutes"):
        DistractorStream(0)


def test_the_distractor_stream_s_look_alikes_are_held_out_a_minute_apart_and_optional() -> None:
    from glasses.training.wake_data import LOOK_ALIKES

    stream = DistractorStream(10)
    with_them = np.concatenate(list(stream))
    starts = stream.look_alike_starts_s
    assert len(starts) >= 2 and all(b - a >= 60.0 for a, b in itertools.pairwise(starts))
    assert all(corpus.is_held_out(voice) for _, (voice, _) in stream.look_alike_pool)
    texts = {text for text, _ in stream.look_alike_pool}
    assert texts <= set(corpus.NEAR_MISSES) and texts & set(LOOK_ALIKES) == {"hey guys"}
    # Speech begins where each look-alike is said to (the gap before it is the noise floor).
    for t in starts:
        i = int(t * RATE)
        before, after = with_them[i - 8000 : i], with_them[i : i + 8000]
        assert np.std(after) > 2 * np.std(before), t
    assert stream.near_look_alikes([starts[0] + 1.0, starts[0] - 1.0, starts[0] + 3.5]) == 1
    plain = DistractorStream(10, look_alikes=False)
    without = np.concatenate(list(plain))
    assert plain.look_alike_starts_s == [] and len(without) == len(with_them)
    # The look-alikes come from a generator of their own: before the first one's segment (a
    # gap of at most 20 s, then the look-alike), the stream is the same samples either way.
    first = int((starts[0] - 20.0) * RATE)
    assert first > 0 and np.array_equal(with_them[:first], without[:first])
    assert not np.array_equal(with_them, without)


def test_a_session_that_forgot_turns_is_refused_not_scored() -> None:
    from glasses.bench.speech_listen import _check_turns_kept
    from glasses.runtime import Event, Intent
    from glasses.runtime.stage import Stage, StageContext
    from glasses.runtime.testing import drive

    class Turns(Stage):
        name = "turns"
        accepts = (Tap,)

        async def process(self, event: Event, ctx: StageContext) -> None:
            turn = ctx.new_turn(event.t_ns, "Tap")
            ctx.emit(Intent(t_ns=event.t_ns, source=self.name, turn_id=turn, name="x"))

    taps = [Tap(t_ns=(i + 1) * 1_000_000) for i in range(4)]
    _check_turns_kept(drive([Turns()], taps, 10_000_000, max_turns=4))
    with pytest.raises(RuntimeError, match="forgot 1 turns"):
        _check_turns_kept(drive([Turns()], taps, 10_000_000, max_turns=3))
