"""Voice activity detection: the model file, the rechunker, Silero VAD, endpointing in the runtime.

Speech here is synthesised in numpy (a glottal pulse train through moving formant resonances,
syllables of random length with fricative and closure consonants), so the tests need neither
espeak-ng nor any download; Silero VAD scores it as speech with probability ≈ 1.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np
import pytest

from glasses.devices.resample import to_int16
from glasses.runtime import (
    NS_PER_S,
    AudioChunk,
    Event,
    Runtime,
    SpeechAudio,
    SpeechEnded,
    SpeechPaused,
    SpeechStarted,
    StageCrashed,
    VirtualClock,
)
from glasses.runtime.testing import at_chunk_end, drive
from glasses.speech import (
    Endpointer,
    EndpointSettings,
    Rechunker,
    SileroVad,
    VadModelError,
    VadStage,
    silero_model_path,
)

SR = 16_000
NS_PER_SAMPLE = NS_PER_S // SR  # 62 500 ns exactly at 16 kHz
FRAME = 512
CONTEXT = 64

# Formants (F1, F2, F3 in Hz) of a few English vowels.
_VOWELS = np.array(
    [
        (730, 1090, 2440),
        (270, 2290, 3010),
        (530, 1840, 2480),
        (570, 840, 2410),
        (300, 870, 2240),
        (660, 1720, 2410),
        (490, 1350, 1690),
    ],
    dtype=np.float64,
)


def _resonance(freqs: np.ndarray, f: float, bw: float) -> np.ndarray:
    """Magnitude response of a two-pole resonance at ``f`` Hz, bandwidth ``bw`` Hz, DC gain 1."""
    return (f * f + (bw / 2) ** 2) / np.sqrt(
        (f * f - freqs**2 + (bw / 2) ** 2) ** 2 + (freqs * bw) ** 2
    )


def synth_speech(seconds: float, seed: int = 0, peak: float = 0.3) -> np.ndarray:
    """Speech-like float audio at 16 kHz: syllables of 120–280 ms, each a consonant then a vowel.

    The vowel is a jittered glottal pulse train (110–180 Hz, with intonation) shaped frame by
    frame (10 ms hop) by three formant resonances gliding between two vowel targets; the
    consonant is either band-limited hiss (a fricative) or silence (a stop closure).
    """
    rng = np.random.default_rng(seed)
    n = int(seconds * SR)
    out = np.zeros(n)
    hop, win = 160, 512
    window = np.hanning(win)
    freqs = np.fft.rfftfreq(win, 1 / SR)
    k = np.arange(80)
    glottal = np.exp(-k / 10.0) * np.sin(np.pi * np.minimum(k, 16) / 32)
    f0_base = rng.uniform(110, 180)
    pos, phase = 0, 0.0
    while pos < n:
        length = int(rng.uniform(0.12, 0.28) * SR)
        consonant = int(rng.uniform(0.02, 0.07) * SR)
        t = np.arange(length) / SR
        f0 = f0_base * (1 + 0.15 * np.sin(2 * np.pi * rng.uniform(1, 3) * t + rng.uniform(0, 6)))
        f0 *= 1 + 0.01 * rng.standard_normal(length)
        ph = phase + np.cumsum(f0 / SR)
        pulses = np.diff(np.floor(ph), prepend=np.floor(phase))
        phase = ph[-1]
        source = np.convolve(pulses * (1 + 0.1 * rng.standard_normal(length)), glottal)[:length]
        start_v, end_v = _VOWELS[rng.integers(len(_VOWELS), size=2)]
        vowel = np.zeros(length + win)
        for s in range(0, length, hop):
            a = s / length
            f1, f2, f3 = start_v * (1 - a) + end_v * a
            gain = _resonance(freqs, f1, 80) * _resonance(freqs, f2, 100)
            gain *= _resonance(freqs, f3, 150) / (1 + (freqs / 3000) ** 2)
            piece = np.zeros(win)
            chunk = source[s : s + win]
            piece[: len(chunk)] = chunk
            vowel[s : s + win] += np.fft.irfft(np.fft.rfft(piece * window) * gain, win)
        v = vowel[:length]
        envelope = np.minimum(1, np.minimum(t / 0.03, (t[-1] - t) / 0.05 + 0.05))
        v = v / np.abs(v).max() * envelope * rng.uniform(0.4, 1.0)
        c = np.zeros(consonant)
        if rng.random() < 0.5:
            hiss = np.diff(rng.standard_normal(consonant), prepend=0.0)
            c = 0.15 * hiss / np.abs(hiss).max() * np.hanning(consonant)
        syllable = np.concatenate([c, v])
        end = min(n, pos + len(syllable))
        out[pos:end] = syllable[: end - pos]
        pos = end
    return peak * out / np.abs(out).max()


def noise_floor(seconds: float, dbfs: float = -50.0, seed: int = 1) -> np.ndarray:
    """White noise at ``dbfs`` RMS (dB relative to full scale), float at 16 kHz."""
    rng = np.random.default_rng(seed)
    return rng.standard_normal(int(seconds * SR)) * 10 ** (dbfs / 20)


def probabilities(audio: np.ndarray, vad: SileroVad) -> np.ndarray:
    vad.reset()
    frames = Rechunker().push(AudioChunk(t_ns=0, samples=to_int16(audio)))
    return np.array([vad.probability(f.window) for f in frames])


@pytest.fixture(scope="module")
def vad() -> SileroVad:
    return SileroVad()


# --------------------------------------------------------------------------------------------
# The model file


def test_model_file_is_found_without_importing_silero_vad_or_torch() -> None:
    path = silero_model_path()
    assert path.name == "silero_vad.onnx" and path.parent.name == "data"
    assert path.stat().st_size > 1_000_000  # the fp32 model, ≈ 2.3 MB
    SileroVad(path).probability(np.zeros(FRAME + CONTEXT, np.int16))
    # Locating the file must not run silero_vad/__init__.py, which imports torch.
    assert "silero_vad" not in sys.modules
    assert "torch" not in sys.modules


def test_missing_model_file_says_which_file_and_how_to_fix(tmp_path: Path) -> None:
    missing = tmp_path / "silero_vad.onnx"
    with pytest.raises(VadModelError) as err:
        SileroVad(missing)
    message = str(err.value)
    assert str(missing) in message and "pip install --no-deps" in message
    assert "\n" not in message


def test_corrupt_model_file_says_which_file_and_how_to_fix(tmp_path: Path) -> None:
    corrupt = tmp_path / "silero_vad.onnx"
    corrupt.write_bytes(b"this is not an onnx model" * 10)
    with pytest.raises(VadModelError) as err:
        SileroVad(corrupt)
    message = str(err.value)
    assert str(corrupt) in message and "--force-reinstall --no-deps" in message
    assert "\n" not in message


# --------------------------------------------------------------------------------------------
# The rechunker


def test_rechunker_turns_any_chunk_sizes_into_exact_frames() -> None:
    rng = np.random.default_rng(7)
    signal = rng.integers(-32768, 32767, size=40_000, dtype=np.int16)
    t0 = 5 * NS_PER_S + 12_345
    rechunker = Rechunker()
    frames = []
    pos = 0
    while pos < len(signal):
        size = int(rng.integers(1, 2000))
        chunk = signal[pos : pos + size]
        frames += rechunker.push(AudioChunk(t_ns=t0 + pos * NS_PER_SAMPLE, samples=chunk))
        pos += len(chunk)
    whole = len(signal) // FRAME
    assert len(frames) == whole
    assert rechunker.pending_samples == len(signal) - whole * FRAME
    assert np.array_equal(np.concatenate([f.samples for f in frames]), signal[: whole * FRAME])
    for i, frame in enumerate(frames):
        assert frame.t_ns == t0 + i * FRAME * NS_PER_SAMPLE
        assert frame.end_t_ns == t0 + (i + 1) * FRAME * NS_PER_SAMPLE
        assert frame.window.shape == (FRAME + CONTEXT,) and frame.window.dtype == np.int16
        assert frame.valid_samples == FRAME
        expected_context = (
            np.zeros(CONTEXT, np.int16) if i == 0 else signal[i * FRAME - CONTEXT : i * FRAME]
        )
        assert np.array_equal(frame.window[:CONTEXT], expected_context)
    # The end of the stream: the rest, zero-padded, in one last frame.
    (last,) = rechunker.flush()
    rest = len(signal) - whole * FRAME
    assert last.valid_samples == rest
    assert np.array_equal(last.audio, signal[whole * FRAME :])
    assert not last.samples[rest:].any()
    assert last.t_ns == t0 + whole * FRAME * NS_PER_SAMPLE
    assert rechunker.gaps == 0


def test_rechunker_starts_a_new_time_line_after_a_gap() -> None:
    rechunker = Rechunker()
    ones = np.ones(700, np.int16)
    first = rechunker.push(AudioChunk(t_ns=0, samples=ones))
    later = 10 * NS_PER_S  # the device came back ten seconds later
    after = rechunker.push(AudioChunk(t_ns=later, samples=2 * ones))
    assert rechunker.gaps == 1
    assert [f.t_ns for f in first] == [0]
    # The 188 samples before the gap, zero-padded; then the new time line with a fresh context.
    assert after[0].t_ns == FRAME * NS_PER_SAMPLE and after[0].valid_samples == 700 - FRAME
    assert after[1].t_ns == later and not after[1].window[:CONTEXT].any()
    assert (after[1].samples == 2).all()


@pytest.mark.parametrize("rate", [44_100, 48_000, 8_000])
def test_wrong_sample_rate_is_rejected_with_the_fix(rate: int) -> None:
    chunk = AudioChunk(t_ns=0, samples=np.zeros(512, np.int16), sample_rate=rate)
    expected = (
        f"wrong sample rate: {rate} Hz; the speech stack takes 16 kHz mono — resample with "
        "glasses.devices.resample"
    )
    with pytest.raises(ValueError, match=re.escape(expected)):
        Rechunker().push(chunk)


def test_stereo_or_float_audio_is_rejected() -> None:
    with pytest.raises(ValueError, match="mono"):
        Rechunker().push(AudioChunk(t_ns=0, samples=np.zeros((512, 2), np.int16)))
    with pytest.raises(ValueError, match="int16"):
        Rechunker().push(AudioChunk(t_ns=0, samples=np.zeros(512, np.float32)))


# --------------------------------------------------------------------------------------------
# Silero VAD


def test_vad_hears_synthetic_speech(vad: SileroVad) -> None:
    speech = synth_speech(1.5) + noise_floor(1.5)
    p = probabilities(speech, vad)
    assert np.median(p) > 0.9, np.round(p, 2)
    assert (p >= 0.5).mean() > 0.8, np.round(p, 2)


@pytest.mark.parametrize("dbfs", [-50.0, -40.0])
def test_vad_ignores_a_noise_floor(vad: SileroVad, dbfs: float) -> None:
    p = probabilities(noise_floor(3.0, dbfs), vad)
    assert p.max() < 0.35, np.round(p, 2)


def test_vad_ignores_digital_silence(vad: SileroVad) -> None:
    assert probabilities(np.zeros(SR), vad).max() < 0.1


def test_vad_state_carries_between_calls_and_resets(vad: SileroVad) -> None:
    speech = to_int16(synth_speech(1.0))
    window = np.concatenate([np.zeros(CONTEXT, np.int16), speech[-FRAME:]])
    vad.reset()
    fresh = vad.probability(window)
    probabilities(synth_speech(1.0), vad)  # leaves state behind (and resets first)
    primed = vad.probability(window)
    vad.reset()
    assert vad.probability(window) == pytest.approx(fresh)
    assert primed != pytest.approx(fresh)


def test_vad_rejects_windows_of_the_wrong_length(vad: SileroVad) -> None:
    with pytest.raises(ValueError, match="576 samples"):
        vad.probability(np.zeros(512, np.int16))


# --------------------------------------------------------------------------------------------
# Endpointing


def _ms_frames(probs: list[float], frame_ms: int = 32) -> list[tuple[float, int, int]]:
    step = frame_ms * 1_000_000
    return [(p, i * step, (i + 1) * step) for i, p in enumerate(probs)]


def test_endpointer_start_hangover_hysteresis_and_stop_hangover() -> None:
    ep = Endpointer(EndpointSettings(start_hangover_ms=64, stop_hangover_ms=96))
    probs = [0.9, 0.1, 0.9, 0.9, 0.4, 0.9, 0.2, 0.2, 0.9, 0.2, 0.2, 0.2, 0.9]
    decisions = [(i, ep.update(*f)) for i, f in enumerate(_ms_frames(probs))]
    made = [(i, d) for i, d in decisions if d is not None]
    # Frame 0 alone is a click (frame 1 is silence); frames 2–3 make 64 ms: started at frame 3.
    # 0.4 is above the off threshold: still speech. The first silent frame of a run is a pause
    # (frames 6 and 9, once each); two silent frames (64 ms) are not enough to end it, three
    # (96 ms, frames 9–11) are, at the end of frame 8, the last speech frame.
    kinds = [(i, d.kind) for i, d in made]
    assert kinds == [(3, "started"), (6, "paused"), (9, "paused"), (11, "ended")]
    assert {d.speech_start_ns for _, d in made} == {2 * 32_000_000}
    # The first pause's speech ended at frame 5; speech resumed (frame 8), so a later end.
    assert [d.speech_end_ns for _, d in made[1:]] == [6 * 32e6, 9 * 32e6, 9 * 32e6]
    assert not ep.in_speech and ep.silence_ns == 0


def test_endpointer_ends_overlong_speech() -> None:
    ep = Endpointer(EndpointSettings(start_hangover_ms=0, max_speech_ms=320))
    kinds = [d.kind for f in _ms_frames([0.9] * 12) if (d := ep.update(*f)) is not None]
    assert kinds == ["started", "ended", "started"]


def test_endpoint_settings_are_validated() -> None:
    with pytest.raises(ValueError, match="off_threshold"):
        EndpointSettings(on_threshold=0.3, off_threshold=0.5)
    with pytest.raises(ValueError, match="hangover"):
        EndpointSettings(stop_hangover_ms=-1)


def _run_vad_stage(
    audio: np.ndarray, chunk_samples: int, stage: VadStage
) -> tuple[list[tuple[int, Event]], Runtime]:
    """Play ``audio`` (int16) as a microphone would, chunk by chunk in virtual time: each
    chunk stamped with its first sample's time, published once its last sample is captured."""
    clock = VirtualClock()
    seen: list[tuple[int, Event]] = []  # (clock time when published, event)
    chunks = (
        AudioChunk(t_ns=pos * NS_PER_SAMPLE, source="mic", samples=audio[pos : pos + chunk_samples])
        for pos in range(0, len(audio), chunk_samples)
    )
    driven = drive(
        [stage],
        chunks,
        len(audio) * NS_PER_SAMPLE + NS_PER_S // 2,
        clock=clock,
        keep=lambda e: False,
        observers=[lambda e: seen.append((clock.now_ns(), e))],
        at=at_chunk_end,
    )
    return seen, driven.runtime


@pytest.mark.parametrize("chunk_samples", [512, 160, 1000])
def test_vad_stage_finds_one_utterance_on_the_virtual_clock(
    vad: SileroVad, chunk_samples: int
) -> None:
    vad.reset()
    silence, speech_s = 1.0, 1.5
    audio = np.concatenate([np.zeros(int(silence * SR)), synth_speech(speech_s), np.zeros(SR)])
    audio = to_int16(audio + noise_floor(len(audio) / SR))
    stage = VadStage(vad)  # default settings: 64 ms start and 192 ms stop hangover
    hangover_ms = stage.endpointer.settings.stop_hangover_ms
    seen, runtime = _run_vad_stage(audio, chunk_samples, stage)

    started = [(t, e) for t, e in seen if isinstance(e, SpeechStarted)]
    ended = [(t, e) for t, e in seen if isinstance(e, SpeechEnded)]
    assert len(started) == 1 and len(ended) == 1, [e.to_dict() for _, e in seen]
    assert not [e for _, e in seen if isinstance(e, StageCrashed)]
    true_start = round(silence * NS_PER_S)
    true_end = round((silence + speech_s) * NS_PER_S)
    (t_start, start_event), (t_end, end_event) = started[0], ended[0]
    assert start_event.t_ns == t_start and end_event.t_ns == t_end  # stamped on the clock
    # Started within the start hangover + 2 frames + a chunk of the true start.
    assert (
        true_start
        <= t_start
        <= true_start + (64 + 64 + 64) * 1_000_000 + chunk_samples * NS_PER_SAMPLE
    )
    # Ended within the stop hangover + 96 ms of the true end: Silero's probability needs up to
    # three 32 ms frames to fall below the off threshold once speech stops (here 0.98, 0.75,
    # 0.50, 0.31), plus up to a chunk of delivery delay when chunks do not tile the frames,
    # plus the nominal processing cost (0.2 ms a frame).
    slack = (chunk_samples % FRAME != 0) * chunk_samples * NS_PER_SAMPLE + 1_000_000
    late_ms = (t_end - true_end) / 1e6
    print(f"\nSpeechEnded {late_ms:.1f} ms after the end of speech ({chunk_samples}-sample chunks)")
    assert true_end <= t_end <= true_end + round((hangover_ms + 96) * 1e6) + slack
    assert abs(end_event.started_t_ns - true_start) <= 100_000_000
    assert end_event.audio is not None and end_event.audio.dtype == np.int16
    assert abs(len(end_event.audio) / SR - speech_s) <= 0.15
    # Nothing was dropped: every chunk was processed.
    assert runtime.inboxes["vad"].stats.overflowed == 0
    assert runtime.stage_stats["vad"].processed == -(-len(audio) // chunk_samples)


@pytest.mark.parametrize("chunk_samples", [512, 1000])
def test_vad_stage_pauses_resumes_and_ends_with_the_last_pauses_utterance(
    vad: SileroVad, chunk_samples: int
) -> None:
    """A 200 ms gap inside an utterance is a pause the speech resumes after (no end); the
    final silence is a pause, then an end carrying that pause's very speech. Streamed audio
    says how long the silence has lasted, and reaches a pause's first silent frame first."""
    vad.reset()
    gap = np.zeros(int(0.2 * SR))  # Silero: 5 frames to fall below 0.35, then 3 under
    speech = [synth_speech(0.8, seed=2), gap, synth_speech(0.6, seed=3)]
    audio = np.concatenate([np.zeros(SR // 2), *speech, np.zeros(SR)])
    audio = to_int16(audio + noise_floor(len(audio) / SR))
    seen, _ = _run_vad_stage(audio, chunk_samples, VadStage(vad, stream_audio=True))
    events = [e for _, e in seen if not isinstance(e, AudioChunk)]

    (ended,) = [e for e in events if isinstance(e, SpeechEnded)]
    pauses = [e for e in events if isinstance(e, SpeechPaused)]
    assert len(pauses) == 2  # in the gap and at the end
    assert {p.started_t_ns for p in pauses} == {ended.started_t_ns}
    first, last = pauses[0], pauses[-1]
    assert first.audio is not None and last.audio is not None and ended.audio is not None
    assert len(first.audio) < len(last.audio)  # the speech resumed after the first pause
    assert np.array_equal(last.audio, ended.audio)  # the end is the last pause's utterance
    assert last.context is not None and ended.context is not None
    assert last.context_t_ns == ended.context_t_ns
    assert len(last.context) < len(ended.context)  # up to the first silent frame only
    speech_end = ended.started_t_ns + len(ended.audio) * NS_PER_SAMPLE
    pause_end = last.context_t_ns + len(last.context) * NS_PER_SAMPLE
    assert pause_end == speech_end + FRAME * NS_PER_SAMPLE
    # Streamed audio: silence 0 in speech, the silence so far during a pause; the audio up to
    # a pause's first silent frame goes out before the pause.
    streamed = [e for e in events if isinstance(e, SpeechAudio)]
    last_at = events.index(last)
    before = [e for e in events[:last_at] if isinstance(e, SpeechAudio)]
    assert before[-1].t_ns + len(before[-1].samples) * NS_PER_SAMPLE >= pause_end
    assert before[-1].silence_ns > 0
    after_first = streamed[streamed.index(before[-1]) + 1 :]
    silences = [e.silence_ns for e in after_first]
    assert silences == sorted(silences) and silences[-1] < 192_000_000
    resumed = [e for e in streamed[: streamed.index(before[-1])] if e.t_ns > first.t_ns]
    assert any(e.silence_ns == 0 for e in resumed)  # the speech came back after the gap


@pytest.mark.parametrize("gap_s", [1.0, 3.0])
def test_each_utterance_streams_after_the_audio_before_it(vad: SileroVad, gap_s: float) -> None:
    """An utterance's first SpeechAudio carries the audio before it that was not streamed, up
    to ``lead_in_ms`` (for the wake spotter): exactly the microphone's samples, no overlap with
    the previous utterance's stream and no gap; later ones carry none."""
    vad.reset()
    parts = [np.zeros(SR // 2), synth_speech(0.8, seed=2), np.zeros(int(gap_s * SR))]
    audio = np.concatenate([*parts, synth_speech(0.7, seed=3), np.zeros(SR)])
    audio = to_int16(audio + noise_floor(len(audio) / SR))
    seen, _ = _run_vad_stage(audio, 512, VadStage(vad, stream_audio=True, lead_in_ms=2000.0))
    streamed = [e for _, e in seen if isinstance(e, SpeechAudio)]
    starts = {e.started_t_ns for _, e in seen if isinstance(e, SpeechEnded)}
    assert len(starts) == 2
    with_lead = [e for e in streamed if e.lead_in is not None]
    assert len(with_lead) == 2  # the first utterance's is the 0.2 s before its margin
    covered_to = 0  # sample index up to which audio went out (streamed or as a lead-in)
    for e in streamed:
        first = e.t_ns // NS_PER_SAMPLE
        if e.lead_in is not None:
            assert len(e.lead_in) <= 2.0 * SR
            assert np.array_equal(e.lead_in, audio[first - len(e.lead_in) : first])
            # After a long gap the lead-in is the whole 2 s (62 frames); after a short one it
            # stops where the previous utterance's stream ended.
            start = first - len(e.lead_in)
            assert start == covered_to if covered_to and gap_s < 2 else start >= covered_to
            if covered_to and gap_s > 2:
                assert len(e.lead_in) == 62 * FRAME
        else:
            assert first == covered_to  # the utterance streams on without a gap
        assert np.array_equal(e.samples, audio[first : first + len(e.samples)])
        covered_to = first + len(e.samples)
    stage = VadStage(vad, stream_audio=True, lead_in_ms=0.0)
    seen, _ = _run_vad_stage(audio, 512, stage)
    assert all(e.lead_in is None for _, e in seen if isinstance(e, SpeechAudio))
    with pytest.raises(ValueError, match="lead_in_ms"):
        VadStage(vad, lead_in_ms=-1.0)


def test_vad_stage_reports_a_wrong_sample_rate(vad: SileroVad) -> None:
    vad.reset()
    chunk = AudioChunk(t_ns=0, samples=np.zeros(1411, np.int16), sample_rate=44_100)
    seen = drive([VadStage(vad)], [chunk], NS_PER_S // 10).events
    crashes = [e for e in seen if isinstance(e, StageCrashed)]
    assert crashes and "wrong sample rate: 44100 Hz" in crashes[0].error


def test_vad_stage_without_audio_keeps_none(vad: SileroVad) -> None:
    vad.reset()
    audio = to_int16(np.concatenate([np.zeros(SR // 2), synth_speech(1.0), np.zeros(SR)]))
    seen, _ = _run_vad_stage(audio, 512, VadStage(vad, keep_audio=False))
    ended = [e for _, e in seen if isinstance(e, SpeechEnded)]
    assert len(ended) == 1 and ended[0].audio is None
