"""PCM conversion and resampling: levels, anti-aliasing, durations, chunked == whole, timing."""

from __future__ import annotations

import numpy as np
import pytest

from glasses.devices.resample import (
    StreamingResampler,
    downmix,
    max_hold_back_s,
    resample,
    resample_float,
    to_float,
    to_int16,
)


def tone(freq_hz: float, rate: int, seconds: float = 1.0, amplitude: float = 0.5) -> np.ndarray:
    t = np.arange(round(rate * seconds)) / rate
    return amplitude * np.sin(2 * np.pi * freq_hz * t)


def level_db(y: np.ndarray, amplitude: float = 0.5, edge: int = 400) -> float:
    """RMS level relative to a sine of ``amplitude``, ignoring the filter's edge transients."""
    core = y[edge:-edge]
    return float(20 * np.log10(np.sqrt(np.mean(core**2)) / (amplitude / np.sqrt(2))))


def peak_hz(y: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(y * np.hanning(len(y))))
    return float(np.fft.rfftfreq(len(y), 1 / rate)[spectrum.argmax()])


def test_tone_below_new_nyquist_passes() -> None:
    y = resample_float(tone(7000, 48_000), 48_000, 16_000)
    assert abs(level_db(y)) < 0.5
    assert peak_hz(y, 16_000) == pytest.approx(7000, abs=2)


def test_tone_above_new_nyquist_is_attenuated_not_aliased() -> None:
    # 12 kHz at 48 kHz would fold back to 4 kHz at 16 kHz without the low-pass.
    y = resample_float(tone(12_000, 48_000), 48_000, 16_000)
    assert level_db(y) <= -30


@pytest.mark.parametrize("rate", [8000, 11_025, 22_050, 44_100, 48_000, 96_000, 44_101])
def test_frequency_and_duration_preserved(rate: int) -> None:
    y = resample_float(tone(440, rate, seconds=0.5), rate, 16_000)
    assert len(y) == -(-round(rate * 0.5) * 16_000 // rate)  # ceil: durations are kept
    assert peak_hz(y, 16_000) == pytest.approx(440, abs=3)
    assert abs(level_db(y)) < 0.2


def test_upsampling_adds_no_images() -> None:
    # 8 kHz → 16 kHz: a 3 kHz tone must not leave an image at 8 - 3 = 5 kHz.
    y = resample_float(tone(3000, 8000), 8000, 16_000)
    spectrum = np.abs(np.fft.rfft(y * np.hanning(len(y))))
    freqs = np.fft.rfftfreq(len(y), 1 / 16_000)
    image = spectrum[(freqs > 4500) & (freqs < 5500)].max()
    assert 20 * np.log10(image / spectrum.max()) < -60


def test_dc_gain_is_one() -> None:
    y = resample_float(np.full(44_100, 0.25), 44_100, 16_000)
    np.testing.assert_allclose(y[200:-200], 0.25, atol=1e-6)


@pytest.mark.parametrize("rate", [8000, 16_000, 22_050, 44_100, 48_000, 44_101])
def test_chunked_equals_whole(rate: int) -> None:
    rng = np.random.default_rng(rate)
    pcm = (rng.standard_normal((rate, 2)) * 4000).astype(np.int16)
    whole = resample(pcm, rate)
    r = StreamingResampler(rate)
    parts, i = [], 0
    while i < len(pcm):
        n = int(rng.integers(0, 2000))  # includes empty and one-sample chunks
        parts.append(r.process(pcm[i : i + n]))
        i += n
    parts.append(r.flush())
    chunked = np.concatenate(parts)
    assert chunked.dtype == np.int16
    assert len(chunked) == len(whole)
    assert np.abs(chunked.astype(np.int32) - whole).max() <= 1


def test_streamed_samples_keep_their_time() -> None:
    # The hold-back delays when samples come out, never where they sit: an impulse 100 ms into
    # 48 kHz stereo input, streamed in 20 ms chunks, is 100 ms into the 16 kHz output.
    pcm = np.zeros((48_000, 2), dtype=np.int16)
    pcm[4800] = 16_000
    r = StreamingResampler(48_000)
    out = np.concatenate([r.process(pcm[i : i + 960]) for i in range(0, 48_000, 960)] + [r.flush()])
    assert int(np.argmax(out)) == 1600


@pytest.mark.parametrize("rate", [44_100, 48_000])
def test_hold_back_is_reported_and_bounded(rate: int) -> None:
    r = StreamingResampler(rate)
    bound = r.max_latency_s
    assert 0.030 < bound < 0.041  # the module docstring's figures: 37 ms (48 k), 40 ms (44.1 k)
    fed = emitted = 0
    held_ms = []
    for _ in range(100):  # 2 s in 20 ms chunks
        chunk = np.zeros(rate // 50, dtype=np.int16)
        emitted += len(r.process(chunk))
        fed += len(chunk)
        held = fed - emitted * rate / 16_000  # input samples not yet out
        assert r.latency_samples == pytest.approx(held, abs=rate / 16_000 + 1)
        held_ms.append(1000 * held / rate)
    assert max(held_ms) <= 1000 * bound + 1
    assert 15 < float(np.mean(held_ms)) < 30  # 21 ms (48 k), 23 ms (44.1 k) on average
    assert len(r.flush()) == -(-fed * 16_000 // rate) - emitted  # all of it comes out


def test_flush_starts_a_new_stream() -> None:
    pcm = (tone(440, 44_100, seconds=0.3) * 20_000).astype(np.int16)
    r = StreamingResampler(44_100)
    first = np.concatenate([r.process(pcm), r.flush()])
    second = np.concatenate([r.process(pcm), r.flush()])
    np.testing.assert_array_equal(first, second)
    assert r.latency_samples == 0


def test_equal_rates_pass_through() -> None:
    pcm = np.arange(-500, 500, dtype=np.int16)
    r = StreamingResampler(16_000)
    assert r.latency_samples == 0
    assert r.max_latency_s == max_hold_back_s(16_000) == 0
    np.testing.assert_array_equal(r.process(pcm), pcm)
    assert len(r.flush()) == 0


def test_sample_formats_scale_to_the_same_level() -> None:
    assert to_float(np.array([128, 0, 255], dtype=np.uint8)).tolist() == [0.0, -1.0, 127 / 128]
    assert to_float(np.array([-32768, 16384], dtype=np.int16)).tolist() == [-1.0, 0.5]
    assert to_float(np.array([2**30], dtype=np.int32)).tolist() == [0.5]
    assert to_float(np.array([0.25], dtype=np.float32)).tolist() == [0.25]
    assert to_int16(np.array([1.5, -2.0, 0.5])).tolist() == [32767, -32768, 16384]


def test_downmix_averages_channels() -> None:
    stereo = np.stack([np.full(4, 0.5), np.full(4, -0.5)], axis=1)
    np.testing.assert_array_equal(downmix(stereo), np.zeros(4))
    three = np.array([[0.3, 0.6, 0.9]])
    assert downmix(three).tolist() == pytest.approx([0.6])


def test_bad_arguments_raise() -> None:
    with pytest.raises(ValueError, match="in_rate"):
        StreamingResampler(0)
    with pytest.raises(ValueError, match="shape"):
        downmix(np.zeros((2, 2, 2)))
    with pytest.raises(TypeError, match="dtype"):
        to_float(np.array(["a"]))
