"""PCM conversion and anti-aliased sample-rate conversion (libsoxr, through ``soxr``).

Everything the runtime hears is 16 000 Hz mono int16 (``TARGET_RATE``). This module turns any
PCM into that:

* integer or float samples of any width: int16, int32, uint8 (offset binary, as in 8-bit WAV),
  float in [-1, 1];
* any channel count: 2-D arrays are (samples, channels), as sounddevice and WAV frames are laid
  out; channels are downmixed by averaging (before resampling: one channel to convert, not two);
* any integer sample rate in Hz, converted by libsoxr's streaming resampler at its "HQ" recipe
  (``soxr.ResampleStream``, linear phase). Measured from 48 kHz to 16 kHz: flat (±0.02 dB) to
  7.4 kHz, 3 dB down at 7.6 kHz, and tones from 8.1 kHz up (which would fold back as aliases)
  at -139 dB or lower; a 9 kHz tone from 44.1 kHz at -144 dB. The numpy filter it replaced
  (issue 15) left that tone at -101 dB and cost over ten times the CPU (`glasses bench runtime`).

Timing. libsoxr removes its own filter delay: output sample ``n`` is the signal at input time
``n / out_rate``, so a stream's sample count is its clock (``FileMicrophone`` stamps chunks by
it, and so does the microphone loop). What libsoxr does add is hold-back: it works on blocks,
so some input waits inside it until enough follows. At 48 kHz → 16 kHz that is 21 ms on
average and at most 37 ms of audio (44.1 kHz: 23 / 40 ms; 8 kHz up: 63 / 116 ms), whatever the
chunk size; the numpy filter it replaced held back 2 ms. ``latency_samples`` says how much is
held now and ``max_latency_s`` the most it holds for this pair of rates (measured once per
pair, by :func:`max_hold_back_s`). The samples held back come out with the next chunks (later,
never shifted in time) or at ``flush()``. Live microphones report that bound
(``max_hold_back_ns``) so the microphone loop does not take it for a drifting clock.
"""

from __future__ import annotations

import functools

import numpy as np
import soxr

TARGET_RATE = 16_000
"""The runtime's audio rate in Hz."""

_MAX_RATE = 1_000_000  # Hz; anything above is a caller's bug, not a sound card
_QUALITY = "HQ"  # libsoxr's default recipe; "VHQ" doubles the hold-back for nothing we hear
_PROBE_S = 1.0  # s of silence run through a fresh stream to measure its largest hold-back


def to_float(pcm: np.ndarray) -> np.ndarray:
    """Scale PCM of any numeric dtype to float64 in [-1, 1), same shape.

    Signed integers are divided by 2^(bits-1); unsigned ones (8-bit WAV) are offset binary,
    centred on 2^(bits-1); floats are taken as already in [-1, 1] (not clipped here).
    """
    arr = np.asarray(pcm)
    kind = arr.dtype.kind
    if kind == "f":
        return arr.astype(np.float64)
    if kind == "i":
        return arr.astype(np.float64) / float(2 ** (arr.dtype.itemsize * 8 - 1))
    if kind == "u":
        half = float(2 ** (arr.dtype.itemsize * 8 - 1))
        return (arr.astype(np.float64) - half) / half
    raise TypeError(f"PCM must be an integer or float array, got dtype {arr.dtype}")


def downmix(samples: np.ndarray) -> np.ndarray:
    """Average the channels of (samples, channels) audio into 1-D mono; 1-D passes through."""
    if samples.ndim == 1:
        return samples
    if samples.ndim == 2:
        channels = samples.shape[1]
        if channels < 1:
            raise ValueError("PCM has no channels (shape[1] == 0)")
        if channels == 1:
            return samples[:, 0]
        # A matrix product: ``mean(axis=1)`` costs ten times more on 20 ms chunks.
        return samples @ np.full(channels, 1.0 / channels)
    raise ValueError(f"PCM must be 1-D or (samples, channels), got shape {samples.shape}")


def to_int16(samples: np.ndarray) -> np.ndarray:
    """Float samples in [-1, 1] to int16, rounded, clipped at full scale."""
    y = np.rint(np.asarray(samples, dtype=np.float64) * 32768.0)
    # In place, and not ``np.clip``: its wrapper costs more than the work on 20 ms chunks.
    return np.minimum(np.maximum(y, -32768.0, out=y), 32767.0, out=y).astype(np.int16)


@functools.lru_cache(maxsize=16)
def _mix_weights(channels: int, itemsize: int) -> np.ndarray:
    weights = np.full(channels, 1.0 / (channels * float(2 ** (itemsize * 8 - 1))))
    weights.setflags(write=False)
    return weights


def _mono_float(pcm: np.ndarray) -> np.ndarray:
    """``downmix(to_float(pcm))`` in one pass for interleaved integer PCM (the microphone's)."""
    arr = np.asarray(pcm)
    if arr.ndim != 2 or arr.dtype.kind not in "iu" or arr.shape[1] < 2:
        return downmix(to_float(arr))
    mono = arr @ _mix_weights(arr.shape[1], arr.dtype.itemsize)
    return mono - 1.0 if arr.dtype.kind == "u" else mono


def _check_rate(name: str, rate: int) -> int:
    if isinstance(rate, bool) or not isinstance(rate, int | np.integer):
        raise TypeError(f"{name} must be an integer number of Hz, got {rate!r}")
    if not 0 < rate <= _MAX_RATE:
        raise ValueError(f"{name} must be in 1..{_MAX_RATE} Hz, got {rate}")
    return int(rate)


def _stream(in_rate: int, out_rate: int) -> soxr.ResampleStream:
    return soxr.ResampleStream(in_rate, out_rate, 1, dtype="float64", quality=_QUALITY)


@functools.lru_cache(maxsize=32)
def max_hold_back_s(in_rate: int, out_rate: int = TARGET_RATE) -> float:
    """The most audio (s) a stream from ``in_rate`` to ``out_rate`` Hz holds back.

    libsoxr does not document it (it depends on its block sizes for the ratio), so it is
    measured: a second of silence through a fresh stream in 1 ms chunks, the largest hold-back
    seen (it does not depend on the chunk size or the signal). 0 for equal rates.
    """
    in_rate, out_rate = _check_rate("in_rate", in_rate), _check_rate("out_rate", out_rate)
    if in_rate == out_rate:
        return 0.0
    stream = _stream(in_rate, out_rate)
    chunk = np.zeros(max(1, in_rate // 1000), dtype=np.float64)
    held = 0.0
    for _ in range(round(_PROBE_S * in_rate / len(chunk))):
        stream.resample_chunk(chunk)
        held = max(held, stream.delay())
    return held / out_rate


class StreamingResampler:
    """Chunk-by-chunk conversion of any PCM to mono int16 at ``out_rate`` Hz.

    ``process(chunk)`` accepts any dtype and channel count (see the module docstring) and returns
    the output samples that are complete so far; ``flush()`` returns the rest at the end of the
    stream, so that a stream of ``n`` input samples gives ``ceil(n · out_rate / in_rate)``
    output samples, and leaves the resampler ready for a new stream. Feeding a signal in chunks
    gives the same result as one whole call. Equal rates skip the filter (no hold-back).
    """

    def __init__(self, in_rate: int, out_rate: int = TARGET_RATE) -> None:
        self.in_rate = _check_rate("in_rate", in_rate)
        self.out_rate = _check_rate("out_rate", out_rate)
        self._soxr = None if self.in_rate == self.out_rate else _stream(in_rate, out_rate)
        self._consumed = 0  # input samples since the stream began
        self._emitted = 0  # output samples since the stream began

    @property
    def latency_samples(self) -> int:
        """Input samples held back now, until more input (or ``flush``) arrives."""
        if self._soxr is None:
            return 0
        return round(self._soxr.delay() * self.in_rate / self.out_rate)

    @property
    def max_latency_s(self) -> float:
        """The most audio (s) this pair of rates holds back (``max_hold_back_s``)."""
        return 0.0 if self._soxr is None else max_hold_back_s(self.in_rate, self.out_rate)

    def process_float(self, samples: np.ndarray) -> np.ndarray:
        """Like ``process`` but float64 in [-1, 1] out (for further processing)."""
        mono = _mono_float(samples)
        if self._soxr is None:
            return mono.copy()
        out = self._soxr.resample_chunk(np.ascontiguousarray(mono))
        self._consumed += len(mono)
        self._emitted += len(out)
        return out

    def process(self, samples: np.ndarray) -> np.ndarray:
        """Convert one chunk; returns 1-D int16 at ``out_rate`` (may be empty)."""
        return to_int16(self.process_float(samples))

    def flush_float(self) -> np.ndarray:
        if self._soxr is None or self._consumed == 0:
            return np.zeros(0, dtype=np.float64)
        # libsoxr ends a stream at round(n · out / in) samples; a little silence after the end
        # lets it compute the ceil-th one (the filter's tail over the last input samples).
        want = -(-self._consumed * self.out_rate // self.in_rate) - self._emitted
        pad = np.zeros(-(-self.in_rate // self.out_rate) + 1, dtype=np.float64)
        tail = self._soxr.resample_chunk(pad, last=True)[: max(0, want)]
        self._soxr.clear()
        self._consumed = self._emitted = 0
        return tail

    def flush(self) -> np.ndarray:
        """The samples still held back, at the end of the stream (1-D int16)."""
        return to_int16(self.flush_float())


def resample_float(samples: np.ndarray, in_rate: int, out_rate: int = TARGET_RATE) -> np.ndarray:
    """Whole-signal conversion to float64 mono at ``out_rate`` Hz."""
    r = StreamingResampler(in_rate, out_rate)
    return np.concatenate([r.process_float(samples), r.flush_float()])


def resample(samples: np.ndarray, in_rate: int, out_rate: int = TARGET_RATE) -> np.ndarray:
    """Whole-signal conversion of any PCM to mono int16 at ``out_rate`` Hz.

    The output has ``ceil(len(samples) · out_rate / in_rate)`` samples: durations are kept.
    """
    return to_int16(resample_float(samples, in_rate, out_rate))


def to_mono_16k(samples: np.ndarray, sample_rate: int) -> np.ndarray:
    """Any PCM at ``sample_rate`` Hz to what the runtime hears: 16 kHz mono int16."""
    return resample(samples, sample_rate, TARGET_RATE)
