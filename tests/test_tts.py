"""TTS: espeak-ng (espeakng-loader wheel) to PCM through ctypes, cached on disk."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import numpy as np
import pytest

from glasses.speech.tts import (
    EspeakEngine,
    TtsError,
    check_voice,
    espeak_paths,
    get_engine,
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
    assert np.array_equal(repaired, first)  # synthesis is a pure function of its key


def test_bad_requests_fail_clearly(cache: Path) -> None:
    with pytest.raises(TtsError, match="no voice"):
        synthesize("hello", voice="xx-nonexistent", cache_dir=cache)
    with pytest.raises(ValueError, match="rate_wpm"):
        synthesize("hello", rate_wpm=5, cache_dir=cache)
    _, data = espeak_paths()
    with pytest.raises(TtsError, match="cannot load espeak-ng"):
        EspeakEngine("/nonexistent/libespeak-ng.so", data)


def test_an_unknown_voice_variant_is_refused_not_replaced(cache: Path) -> None:
    # espeak-ng itself would speak "en-us+zz" (or "en-us+F3") as plain en-us, without a word.
    for voice in ("en-us+zz", "en-us+F3", "en-us+"):
        with pytest.raises(TtsError, match="no voice variant"):
            synthesize("hello", voice=voice, cache_dir=cache)
        with pytest.raises(TtsError, match="no voice variant"):
            check_voice(voice)
    with pytest.raises(TtsError, match="no voice 'robot'"):
        check_voice("robot")
    check_voice("en-us+f3")  # known name and variant: no error
    check_voice("fr")


def test_noise_floor_sets_snr(cache: Path) -> None:
    speech = synthesize_16k("scan this", cache_dir=cache)
    noisy = mix_noise(speech, 10.0, seed=1, pad_s=0.5)
    assert len(noisy) == len(speech) + 16_000
    assert _rms(noisy[:7000]) > 0  # never digitally silent
    snr = 20 * np.log10(_rms(speech) / _rms(noisy[:7000]))
    assert 9.0 < snr < 11.0


def _fresh(text: str, voice: str) -> np.ndarray:
    return synthesize(text, voice=voice, use_cache=False)[0]


@pytest.mark.parametrize("voice", ["en-us", "en-us+f3"])  # f3 breathes: espeak's noise generator
def test_the_same_request_gives_the_same_samples_whatever_came_before(voice: str) -> None:
    # espeak-ng keeps wave-generator state in C statics (its pitch flutter phase, gain control)
    # and seeds its noise from the clock: before each request got a fresh library, "dismiss"
    # came out 11 849 samples long, then 12 136, then 11 856 in one process.
    first = _fresh("dismiss", voice)
    for other in ("hey glasses, read this", "the weather is nice today", "dismiss"):
        synthesize(other, voice=voice, rate_wpm=200, pitch=70, use_cache=False)
    assert np.array_equal(_fresh("dismiss", voice), first)
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        elsewhere = pool.apply(_fresh, ("dismiss", voice))
    assert np.array_equal(elsewhere, first)


def test_each_request_unloads_its_espeak_instance() -> None:
    synthesize("dismiss", use_cache=False)
    maps = Path("/proc/self/maps")
    if not maps.exists():
        pytest.skip("no /proc/self/maps to check what is mapped")
    # Still mapped would mean the next dlopen reuses the instance, and its state with it.
    assert get_engine().library_path not in maps.read_text()
