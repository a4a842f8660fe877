"""PCM conversion and anti-aliased sample-rate conversion, in numpy only.

Everything the runtime hears is 16 000 Hz mono int16 (``TARGET_RATE``). This module turns any
PCM into that:

* integer or float samples of any width: int16, int32, uint8 (offset binary, as in 8-bit WAV),
  float in [-1, 1];
* any channel count: 2-D arrays are (samples, channels), as sounddevice and WAV frames are laid
  out; channels are downmixed by averaging;
* any integer sample rate in Hz, converted by a windowed-sinc polyphase filter.

The filter is a Kaiser-windowed sinc (β = 8.6, ≈ 90 dB stop band) with its cut-off at 94 % of the
lower Nyquist frequency, so a 48 kHz → 16 kHz conversion passes 0..≈7 kHz flat and attenuates
everything above 8 kHz (which would otherwise fold back as aliases) by well over 60 dB. For a
rational ratio L/M (e.g. 44 100 → 16 000 is 160/441) output sample n sits at input position
n·M/L; its weights are one row of a table of L phases. Ratios needing more than
``_MAX_PHASES`` phases (unusual rates such as 44 101 Hz) interpolate linearly between rows of a
finer-than-needed table instead of storing millions of coefficients.

:class:`StreamingResampler` keeps the filter's input history between chunks, so feeding a signal
chunk by chunk gives the same samples as one whole call (no clicks at chunk boundaries); it holds
back ``latency_samples`` input samples (≈ 1 ms at 44.1 kHz) until the next chunk or ``flush()``.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

TARGET_RATE = 16_000
"""The runtime's audio rate in Hz."""

_ZERO_CROSSINGS = 32  # sinc lobes each side: sets the transition width (≈ 10 % of Nyquist)
_ROLLOFF = 0.94  # cut-off as a fraction of the lower Nyquist frequency
_KAISER_BETA = 8.6  # ≈ 90 dB side-lobe rejection
_MAX_PHASES = 1024  # above this, interpolate between table rows (bounded memory)
_MAX_RATE = 1_000_000  # Hz; anything above is a caller's bug, not a sound card
_BLOCK = 8192  # output samples computed per vectorised step (bounds temporary memory)


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
        if samples.shape[1] < 1:
            raise ValueError("PCM has no channels (shape[1] == 0)")
        return samples.mean(axis=1) if samples.shape[1] > 1 else samples[:, 0]
    raise ValueError(f"PCM must be 1-D or (samples, channels), got shape {samples.shape}")


def to_int16(samples: np.ndarray) -> np.ndarray:
    """Float samples in [-1, 1] to int16, rounded, clipped at full scale."""
    return np.clip(np.rint(samples * 32768.0), -32768, 32767).astype(np.int16)


def _check_rate(name: str, rate: int) -> int:
    if isinstance(rate, bool) or not isinstance(rate, int | np.integer):
        raise TypeError(f"{name} must be an integer number of Hz, got {rate!r}")
    if not 0 < rate <= _MAX_RATE:
        raise ValueError(f"{name} must be in 1..{_MAX_RATE} Hz, got {rate}")
    return int(rate)


@dataclass(frozen=True, slots=True)
class _Filter:
    up: int  # L: output samples per ...
    down: int  # M: ... input samples
    half_taps: int  # J: taps each side of the output position (input samples)
    phases: int  # rows of the table, excluding the extra last row used for interpolation
    table: np.ndarray  # (phases + 1, 2J) weights; row p is for fractional position p/phases


def _kaiser(u: np.ndarray) -> np.ndarray:
    """Kaiser window on u in [-1, 1] (0 outside)."""
    inside = np.abs(u) <= 1.0
    w = np.zeros_like(u)
    w[inside] = np.i0(_KAISER_BETA * np.sqrt(1.0 - u[inside] ** 2)) / np.i0(_KAISER_BETA)
    return w


@functools.lru_cache(maxsize=16)
def _design(in_rate: int, out_rate: int) -> _Filter:
    g = math.gcd(in_rate, out_rate)
    up, down = out_rate // g, in_rate // g
    # Cut-off relative to the input Nyquist: the lower of the two Nyquist frequencies, minus the
    # roll-off margin so the transition band ends before aliases can form.
    cutoff = _ROLLOFF * min(1.0, out_rate / in_rate)
    half_width = _ZERO_CROSSINGS / cutoff  # in input samples
    half_taps = math.ceil(half_width)
    phases = up if up <= _MAX_PHASES else _MAX_PHASES
    frac = np.arange(phases + 1, dtype=np.float64) / phases
    # Tap m of output position i + frac reads input i - J + 1 + m, at distance tau from it.
    tau = frac[:, None] + (half_taps - 1) - np.arange(2 * half_taps, dtype=np.float64)[None, :]
    table = cutoff * np.sinc(cutoff * tau) * _kaiser(tau / half_width)
    # Unit DC gain for every phase: no tone-dependent level ripple, no DC modulation.
    table /= table.sum(axis=1, keepdims=True)
    table.setflags(write=False)
    return _Filter(up, down, half_taps, phases, table)


class _Polyphase:
    """Streaming rational-ratio FIR on float64 mono; input before t=0 and after flush is 0."""

    def __init__(self, in_rate: int, out_rate: int) -> None:
        self._f = _design(in_rate, out_rate)
        j = self._f.half_taps
        self._buf = np.zeros(j - 1, dtype=np.float64)
        self._buf_start = -(j - 1)  # absolute input index of self._buf[0]
        self._consumed = 0  # input samples received so far
        self._next = 0  # absolute index of the next output sample
        self._taps = np.arange(2 * j, dtype=np.int64)

    @property
    def latency_samples(self) -> int:
        return self._f.half_taps

    def push(self, x: np.ndarray) -> np.ndarray:
        self._buf = np.concatenate([self._buf, x])
        self._consumed += len(x)
        return self._emit(self._consumed - self._f.half_taps - 1)

    def flush(self) -> np.ndarray:
        j = self._f.half_taps
        # Pad the future with zeros and emit every output whose position lies inside the
        # signal: ceil(consumed·L/M) samples in all, so the duration is preserved.
        self._buf = np.concatenate([self._buf, np.zeros(j + 1)])
        out = self._emit(self._consumed - 1)
        self._buf = self._buf[: len(self._buf) - (j + 1)]
        return out

    def _emit(self, last_input: int) -> np.ndarray:
        """Outputs n >= self._next whose centre floor(n·M/L) <= ``last_input``."""
        f = self._f
        if last_input < 0:
            return np.zeros(0, dtype=np.float64)
        end = ((last_input + 1) * f.up + f.down - 1) // f.down
        pieces = []
        for start in range(self._next, end, _BLOCK):
            n = np.arange(start, min(end, start + _BLOCK), dtype=np.int64)
            pos = n * f.down
            centre = pos // f.up
            rem = pos % f.up
            idx = (centre - f.half_taps + 1 - self._buf_start)[:, None] + self._taps[None, :]
            if f.phases == f.up:
                weights = f.table[rem]
            else:
                where = rem * (f.phases / f.up)
                row = np.floor(where).astype(np.int64)
                a = (where - row)[:, None]
                weights = f.table[row] * (1.0 - a) + f.table[row + 1] * a
            pieces.append(np.einsum("ij,ij->i", self._buf[idx], weights))
        if end > self._next:
            self._next = end
        # Drop history no future output can reach.
        first_needed = (self._next * f.down) // f.up - f.half_taps + 1
        drop = max(0, min(first_needed - self._buf_start, len(self._buf)))
        self._buf = self._buf[drop:]
        self._buf_start += drop
        return np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.float64)


class StreamingResampler:
    """Chunk-by-chunk conversion of any PCM to mono int16 at ``out_rate`` Hz.

    ``process(chunk)`` accepts any dtype and channel count (see the module docstring) and returns
    the output samples that are complete so far; ``flush()`` returns the rest at the end of the
    stream. Feeding a signal in chunks gives the same result as one whole call. Equal rates skip
    the filter (no latency).
    """

    def __init__(self, in_rate: int, out_rate: int = TARGET_RATE) -> None:
        self.in_rate = _check_rate("in_rate", in_rate)
        self.out_rate = _check_rate("out_rate", out_rate)
        self._core = None if self.in_rate == self.out_rate else _Polyphase(in_rate, out_rate)

    @property
    def latency_samples(self) -> int:
        """Input samples held back until more input (or ``flush``) arrives."""
        return 0 if self._core is None else self._core.latency_samples

    def process_float(self, samples: np.ndarray) -> np.ndarray:
        """Like ``process`` but float64 in [-1, 1] out (for further processing)."""
        mono = downmix(to_float(samples))
        return mono.copy() if self._core is None else self._core.push(mono)

    def process(self, samples: np.ndarray) -> np.ndarray:
        """Convert one chunk; returns 1-D int16 at ``out_rate`` (may be empty)."""
        return to_int16(self.process_float(samples))

    def flush_float(self) -> np.ndarray:
        return np.zeros(0, dtype=np.float64) if self._core is None else self._core.flush()

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
