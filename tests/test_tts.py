"""TTS: espeak-ng (espeakng-loader wheel) to PCM through ctypes, cached on disk."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from glasses.speech.tts import (
    EspeakEngine,
    TtsError,
    espeak_paths,
    mix_noise,
    synthesize,
    synthesize_16k,
    to_16k,
)


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("tts-cache")


def _rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(x.astype(np.float64) ** 2)))


def test_synthesis_is_speech_shaped(cache: Path) -> None:
    samples, rate = synthesize("hey glasses, scan this", cache_dir=cache)
    assert rate == 22_050
    assert samples.dtype == np.int16 and samples.ndim == 1
    assert 1.0 < len(samples) / rate < 3.0  # ≈ 1.75 s at 160 words per minute
    assert 1000 < _rms(samples) < 10_000  # audible, not clipped
    assert np.abs(samples).max() < 32_767


def test_rate_and_voice_change_the_audio(cache: Path) -> None:
    slow, _ = synthesize("read this", rate_wpm=120, cache_dir=cache)
    fast, _ = synthesize("read this", rate_wpm=240, cache_dir=cache)
    assert len(slow) > 1.4 * len(fast)
    female, _ = synthesize("read this", voice="en-us+f3", rate_wpm=120, cache_dir=cache)
    assert not np.array_equal(female[: len(slow)], slow[: len(female)])


def test_resampled_to_16k_keeps_duration(cache: Path) -> None:
    samples, rate = synthesize("dismiss", cache_dir=cache)
    pcm = to_16k(samples, rate)
    assert pcm.dtype == np.int16
    assert abs(len(pcm) / 16_000 - len(samples) / rate) < 0.001
    assert np.array_equal(pcm, synthesize_16k("dismiss", cache_dir=cache))
    assert _rms(pcm) > 0.8 * _rms(samples)


def test_cache_is_keyed_and_used(cache: Path, tmp_path: Path) -> None:
    first, rate = synthesize("what does it say", cache_dir=tmp_path)
    files = list(tmp_path.glob("*.npz"))
    assert len(files) == 1
    # A second call reads the file: plant a marker in it and get it back.
    marker = np.arange(10, dtype=np.int16)
    np.savez(files[0], samples=marker, sample_rate=np.int64(rate))
    again, _ = synthesize("what does it say", cache_dir=tmp_path)
    assert np.array_equal(again, marker)
    synthesize("what does it say", pitch=70, cache_dir=tmp_path)
    assert len(list(tmp_path.glob("*.npz"))) == 2
    # A corrupt entry is synthesised again.
    files[0].write_bytes(b"garbage")
    repaired, _ = synthesize("what does it say", cache_dir=tmp_path)
    # espeak-ng carries a few samples of state between calls: same speech, not bit-identical.
    assert abs(len(repaired) - len(first)) < 0.01 * rate
    assert abs(_rms(repaired) - _rms(first)) < 0.05 * _rms(first)


def test_bad_requests_fail_clearly(cache: Path) -> None:
    with pytest.raises(TtsError, match="no voice"):
        synthesize("hello", voice="xx-nonexistent", cache_dir=cache)
    with pytest.raises(ValueError, match="rate_wpm"):
        synthesize("hello", rate_wpm=5, cache_dir=cache)
    _, data = espeak_paths()
    with pytest.raises(TtsError, match="cannot load espeak-ng"):
        EspeakEngine("/nonexistent/libespeak-ng.so", data)


def test_noise_floor_sets_snr(cache: Path) -> None:
    speech = synthesize_16k("scan this", cache_dir=cache)
    noisy = mix_noise(speech, 10.0, seed=1, pad_s=0.5)
    assert len(noisy) == len(speech) + 16_000
    assert _rms(noisy[:7000]) > 0  # never digitally silent
    snr = 20 * np.log10(_rms(speech) / _rms(noisy[:7000]))
    assert 9.0 < snr < 11.0
