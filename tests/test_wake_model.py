"""The trained "hey glasses" detector: its front end, its committed head and what it hears.

Speech is espeak-ng in voices the head never heard in training (the bench's held-out voices).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from glasses.bench.speech_corpus import HELD_OUT_VOICES, is_held_out
from glasses.speech.tts import mix_noise, synthesize_16k
from glasses.speech.wake import WakeSettings, new_spotter, spot
from glasses.speech.wake_features import STEP, FrontEnd, StreamingFeatures, clip_embeddings
from glasses.speech.wake_model import HEAD_MODEL_ID, ModelWakeSpotter
from glasses.training.wake_data import engine
from models.registry import ModelError, Registry, default_registry

NS = 1_000_000_000
RATE = 16_000
VOICE = HELD_OUT_VOICES[0]
OTHER_VOICE = HELD_OUT_VOICES[3]


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("tts-cache")


@pytest.fixture(scope="module")
def front() -> FrontEnd:
    return FrontEnd()


def _say(cache: Path, text: str, voice: str = VOICE, rate: int = 160) -> np.ndarray:
    return synthesize_16k(text, voice=voice, rate_wpm=rate, cache_dir=cache)


def _silence(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * RATE), np.int16)


def test_the_test_voices_were_held_out_of_training() -> None:
    assert is_held_out(VOICE) and is_held_out(OTHER_VOICE)


def test_streaming_features_equal_the_whole_clip(cache: Path, front: FrontEnd) -> None:
    audio = mix_noise(_say(cache, "hey glasses read this"), 15.0, seed=3)
    assert len(audio) % 512 and len(audio) % STEP  # chunks that straddle the 80 ms steps
    stream = StreamingFeatures(front)
    chunked = np.concatenate([stream.push(audio[i : i + 512]) for i in range(0, len(audio), 512)])
    assert stream.pending == len(audio) % STEP
    stream.reset()
    whole = stream.push(audio)
    assert chunked.shape == (len(audio) // STEP, 96)
    np.testing.assert_array_equal(chunked, whole)
    np.testing.assert_allclose(clip_embeddings(audio, front), whole, atol=1e-3)
    # Different audio gives different features (the comparison above can fail).
    assert not np.allclose(clip_embeddings(audio[STEP:], front)[:5], whole[:5], atol=1e-3)


def test_the_committed_head_is_hash_checked(tmp_path: Path) -> None:
    registry = default_registry()
    entry = registry.get(HEAD_MODEL_ID)
    assert registry.verify(entry).ok and entry.licence == "Apache-2.0"
    # A copy of the models package whose head was altered by one byte.
    root = tmp_path / "models"
    head = root / entry.source.split("/", 1)[1]
    head.parent.mkdir(parents=True)
    data = bytearray(registry.path(HEAD_MODEL_ID).read_bytes())
    data[-1] ^= 0xFF
    head.write_bytes(bytes(data))
    altered = Registry(package_roots={"models": root})
    with pytest.raises(ModelError) as info:
        ModelWakeSpotter(registry=altered)
    message = str(info.value)
    assert "\n" not in message and "sha256 mismatch" in message
    assert "make wake-model" in message and "git checkout" in message
    head.unlink()
    with pytest.raises(ModelError, match=r"missing.*make wake-model"):
        ModelWakeSpotter(registry=altered)


def test_the_model_is_the_default_backend() -> None:
    settings = WakeSettings()
    assert settings.backend == "model" and 0.0 < settings.threshold < 1.0
    assert isinstance(new_spotter(settings), ModelWakeSpotter)
    with pytest.raises(ValueError, match="only 'hey glasses'"):
        ModelWakeSpotter(WakeSettings(phrase="hello there", backend="model"))


@pytest.mark.parametrize("voice", [VOICE, OTHER_VOICE])
def test_held_out_voices_are_heard_in_noise_and_in_digital_silence(cache: Path, voice: str) -> None:
    speech = _say(cache, "hey glasses", voice)
    noisy = mix_noise(speech, 15.0, seed=1)
    assert len(spot(noisy)) == 1
    clean = np.concatenate([_silence(0.5), speech, _silence(0.5)])  # no noise at all
    found = spot(clean)
    assert len(found) == 1 and WakeSettings().threshold <= found[0].score <= 1.0
    # Reported about where "glasses" ends, on the clip's time line.
    end = 0.5 + len(speech) / RATE
    assert end - 0.5 < found[0].t_ns / NS < end + 0.3


def test_one_breath_command_is_cut_after_glasses() -> None:
    spoken = engine().speak("hey glasses read this", VOICE, 170, 50)
    audio = np.concatenate([_silence(0.3), spoken.samples, _silence(0.3)])
    read_starts = 0.3 + spoken.word_starts[2] / RATE  # "hey", "glasses", "read", "this"
    found = spot(audio)
    assert len(found) == 1
    heard = found[0].t_ns / NS
    assert abs(heard - read_starts) < 0.3, (heard, read_starts)
    assert heard < 0.3 + len(spoken.samples) / RATE - 0.2  # the command is still to come


@pytest.mark.parametrize("text", ["hey class", "okay glasses", "hey guys", "my glasses"])
def test_look_alikes_do_not_wake(cache: Path, text: str) -> None:
    for voice in (VOICE, OTHER_VOICE):
        speech = _say(cache, text, voice)
        assert spot(mix_noise(speech, 15.0, seed=2)) == [], voice
        assert spot(np.concatenate([_silence(0.5), speech, _silence(0.5)])) == [], voice


def test_a_minute_of_ordinary_speech_does_not_wake(cache: Path) -> None:
    sentences = (
        "the weather is nice today",
        "please pass the salt",
        "where did I put my glasses",
        "let us grab lunch at noon",
        "the train leaves in ten minutes",
        "I think it is going to rain",
        "hello class, please sit down",
        "the meeting has been moved to thursday",
        "these glasses are great",
        "can you call me back later",
        "we need to book the hotel soon",
        "the museum is free on the first friday",
    )
    parts = []
    for i, text in enumerate(sentences * 2):  # each sentence in two voices
        parts += [_say(cache, text, HELD_OUT_VOICES[i % len(HELD_OUT_VOICES)]), _silence(0.4)]
    audio = mix_noise(np.concatenate(parts), 20.0, seed=4)
    assert len(audio) >= 45 * RATE
    assert spot(audio) == []


def test_times_follow_the_caller_clock_and_the_refractory_period(cache: Path) -> None:
    one = mix_noise(_say(cache, "hey glasses"), 15.0, seed=5)
    audio = np.concatenate([one, _silence(1.0), one])
    start = 42 * NS  # the stream starts at 42 s on the runtime clock
    spotter = ModelWakeSpotter(WakeSettings(refractory_s=0.5))
    found = []
    for i in range(0, len(audio), 512):
        found += spotter.process(audio[i : i + 512], start + i * NS // RATE)
    found += spotter.flush(start + len(audio) * NS // RATE)
    assert len(found) == 2
    assert start < found[0].t_ns < start + len(one) * NS // RATE + NS // 5
    offset = (len(one) + RATE) * NS // RATE
    assert found[1].t_ns - found[0].t_ns == pytest.approx(offset, abs=0.1 * NS)
    # A refractory period longer than the gap swallows the second utterance.
    assert len(spot(audio, WakeSettings(refractory_s=3.0))) == 1
    # After reset the spotter hears a new stream afresh, even at earlier times.
    spotter.reset()
    again = [h for i in range(0, len(one), 512) for h in spotter.process(one[i : i + 512], i)]
    again += spotter.flush(len(one) * NS // RATE)
    assert len(again) == 1


def test_the_head_file_is_copied_from_the_registry_root(tmp_path: Path) -> None:
    """A registry rooted at an intact copy loads the same head (the fix in the error works)."""
    registry = default_registry()
    root = tmp_path / "models"
    inner = registry.get(HEAD_MODEL_ID).source.split("/", 1)[1]
    (root / inner).parent.mkdir(parents=True)
    shutil.copy(registry.path(HEAD_MODEL_ID), root / inner)
    spotter = ModelWakeSpotter(registry=Registry(package_roots={"models": root}))
    assert spotter.process(_silence(0.4), 0) == []


def test_wake_toml_carries_the_model_threshold_and_confirm_steps(tmp_path: Path) -> None:
    from glasses.speech.wake_config import WakeConfigError, load_wake_config

    path = tmp_path / "wake.toml"
    base = 'phrase = "hey glasses"\nbackend = "model"\nthreshold = 1e-40\n[model]\n'
    path.write_text(base + "threshold = 0.7\nconfirm_steps = 2\n")
    config = load_wake_config(path)
    assert (config.backend, config.model_threshold, config.confirm_steps) == ("model", 0.7, 2)
    for bad in ("confirm_steps = 0\n", "confirm_steps = 1.5\n", "threshold = 1.2\n"):
        path.write_text(base + bad)
        with pytest.raises(WakeConfigError, match=r"model\.") as info:
            load_wake_config(path)
        assert str(path) in str(info.value)
    with pytest.raises(ValueError, match="confirm_steps"):
        WakeSettings(confirm_steps=0)


def test_wake_toml_says_whether_detections_are_checked(tmp_path: Path) -> None:
    from glasses.speech.wake_config import (
        WakeConfigError,
        load_wake_config,
        wake_config_text,
    )

    path = tmp_path / "wake.toml"
    base = 'phrase = "hey glasses"\nbackend = "model"\nthreshold = 1e-40\n'
    path.write_text(base)
    assert load_wake_config(path).check is False  # absent: no check, as before the key
    path.write_text(base + "check = true\n")
    assert load_wake_config(path).check is True
    path.write_text(base + 'check = "yes"\n')
    with pytest.raises(WakeConfigError, match="'check' must be true or false") as info:
        load_wake_config(path)
    assert str(path) in str(info.value)
    # The writer keeps it.
    text = wake_config_text(
        phrase="hey glasses", threshold=1e-40, backend="model", model_threshold=0.3, check=True
    )
    path.write_text(text)
    assert load_wake_config(path).check is True


def _decided(settings: WakeSettings, scores: list[float]) -> list[tuple[int, float]]:
    """(step, score) of each detection ``decide`` makes on ``scores``, one per 80 ms step."""
    spotter = ModelWakeSpotter(settings)
    step_ns = STEP * NS // RATE
    ends = [(i + 1) * step_ns for i in range(len(scores))]
    return [(h.t_ns // step_ns - 1, round(h.score, 2)) for h in spotter.decide(ends, scores)]


SCORES = [0.1, 0.5, 0.4, 0.8, 0.9, 0.6, 0.95, 0.2, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1]


def test_second_look_reports_the_highest_score_after_a_detection_once() -> None:
    # One 80 ms step per score, a refractory second of 12 steps after the step scoring 0.5.
    plain = WakeSettings(threshold=0.3, confirm_steps=1, refractory_s=1.0)
    assert _decided(plain, SCORES) == [(1, 0.5)]
    looked = WakeSettings(threshold=0.3, confirm_steps=1, refractory_s=1.0, second_look=True)
    # The score climbs above the detection's, dips, peaks at 0.95: reported there, once, when
    # the period is over (step 13).
    assert _decided(looked, SCORES) == [(1, 0.5), (6, 0.95)]
    assert _decided(looked, SCORES[:13]) == [(1, 0.5)]  # the period not over yet
    # Never above the detection's score in the period: nothing more.
    assert _decided(looked, [0.1, 0.9, 0.8, 0.5, *[0.1] * 12]) == [(1, 0.9)]
    # The next detection after the period is its own.
    rising = [0.1, 0.5, *[0.5 + 0.03 * i for i in range(1, 13)], 0.1, 0.1, 0.7, 0.2]
    assert _decided(looked, rising) == [(1, 0.5), (13, 0.86), (16, 0.7)]


def test_second_look_at_the_end_of_the_stream() -> None:
    # A phrase ended by the stream's last samples: the flush reports the pending peak.
    spotter = ModelWakeSpotter(WakeSettings(threshold=0.3, confirm_steps=1, second_look=True))
    step_ns = STEP * NS // RATE
    found = spotter.decide([step_ns, 2 * step_ns, 3 * step_ns], [0.4, 0.6, 0.7])
    assert [round(h.score, 2) for h in found] == [0.4]
    found = spotter.flush(3 * step_ns)
    # Flushing scores some silence: whatever the head makes of it, the 0.7 step or a higher
    # one is reported (at the latest at the end of the stream), and only one.
    assert len(found) == 1 and found[0].score >= 0.7 - 1e-6 and found[0].t_ns <= 3 * step_ns
