"""Cut 16 kHz audio chunks of any length into the fixed frames a speech model needs.

Microphones deliver chunks of whatever size their driver likes; models want exact frames.
Silero VAD (v5/v6) at 16 kHz takes 512 new samples (32 ms) per call, prefixed with the last 64
samples of the previous call as context: a 576-sample window. ``Rechunker`` buffers the stream
and returns every complete ``Frame``, each stamped with the exact runtime-clock time of its first
new sample.

Timing: chunks are expected to tile time (each ``t_ns`` = the previous one + its duration, as
``run_microphone`` stamps them). A chunk that starts more than half a sample period away from
where the stream stands (a reconnection, a re-anchored late device) starts a new time line: the
partial frame still pending is completed with zeros (its ``valid_samples`` says how many are
real), the context is cleared, and ``gaps`` counts the event. Nothing is dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from glasses.devices.resample import TARGET_RATE
from glasses.runtime.clock import NS_PER_S
from glasses.runtime.events import AudioChunk

SILERO_FRAME_SAMPLES = 512
"""New samples per Silero VAD call at 16 kHz (32 ms)."""

SILERO_CONTEXT_SAMPLES = 64
"""Samples of the previous call that Silero VAD v5/v6 expects before the new ones at 16 kHz."""


@dataclass(frozen=True, slots=True)
class Frame:
    """One model input: ``window`` is int16, ``context_samples`` old samples then the new ones.

    ``t_ns`` is the runtime-clock time of the first *new* sample, ``end_t_ns`` the time just
    after the last one. ``valid_samples`` < the frame length only for a frame completed with
    zeros at a gap or at ``flush``.
    """

    t_ns: int
    end_t_ns: int
    window: np.ndarray = field(repr=False)
    context_samples: int
    valid_samples: int

    @property
    def samples(self) -> np.ndarray:
        """The new samples (int16), without the context."""
        return self.window[self.context_samples :]

    @property
    def audio(self) -> np.ndarray:
        """The real new samples (int16): ``samples`` without the zero padding, if any."""
        return self.samples[: self.valid_samples]


def check_chunk(chunk: AudioChunk, sample_rate: int = TARGET_RATE) -> np.ndarray:
    """The chunk's samples as 1-D int16; ValueError if it is not ``sample_rate`` Hz mono int16."""
    if chunk.sample_rate != sample_rate:
        raise ValueError(
            f"wrong sample rate: {chunk.sample_rate} Hz; the speech stack takes "
            f"{sample_rate // 1000} kHz mono — resample with glasses.devices.resample"
        )
    samples = np.asarray(chunk.samples)
    if samples.ndim != 1:
        raise ValueError(
            f"wrong audio shape {samples.shape}: the speech stack takes mono (1-D) samples — "
            "downmix with glasses.devices.resample"
        )
    if samples.dtype != np.int16:
        raise ValueError(
            f"wrong sample type {samples.dtype}: the speech stack takes int16 — convert with "
            "glasses.devices.resample"
        )
    return samples


class Rechunker:
    """Turns a stream of ``AudioChunk`` into ``Frame`` of ``frame_samples`` new samples.

    ``frame_samples`` and ``context_samples`` are in samples, ``sample_rate`` in Hz; the
    defaults are Silero VAD's at 16 kHz. The first frame's context (and the first after a gap)
    is zeros, as in Silero's own ONNX wrapper.
    """

    def __init__(
        self,
        frame_samples: int = SILERO_FRAME_SAMPLES,
        context_samples: int = SILERO_CONTEXT_SAMPLES,
        sample_rate: int = TARGET_RATE,
    ) -> None:
        if frame_samples < 1 or context_samples < 0:
            raise ValueError(
                f"need frame_samples >= 1 and context_samples >= 0, got {frame_samples}, "
                f"{context_samples}"
            )
        self.frame_samples = frame_samples
        self.context_samples = context_samples
        self.sample_rate = sample_rate
        self.gaps = 0
        self.reset()

    def reset(self) -> None:
        """Forget the buffered samples, the context and the time line (not ``gaps``)."""
        self._pending = np.zeros(0, dtype=np.int16)
        self._context = np.zeros(self.context_samples, dtype=np.int16)
        self._anchor_ns: int | None = None  # clock time of sample 0 of the current time line
        self._emitted = 0  # samples of the time line already in frames (index of _pending[0])

    @property
    def pending_samples(self) -> int:
        """Samples buffered towards the next frame."""
        return len(self._pending)

    def _time(self, sample_index: int) -> int:
        assert self._anchor_ns is not None  # internal invariant: only called on a time line
        return self._anchor_ns + sample_index * NS_PER_S // self.sample_rate

    def push(self, chunk: AudioChunk) -> list[Frame]:
        """Buffer ``chunk``; return the frames it completes (possibly none), oldest first."""
        samples = check_chunk(chunk, self.sample_rate)
        frames: list[Frame] = []
        if self._anchor_ns is not None:
            expected = self._time(self._emitted + len(self._pending))
            if abs(chunk.t_ns - expected) > NS_PER_S // (2 * self.sample_rate):
                self.gaps += 1
                frames.extend(self.flush())
        if self._anchor_ns is None:
            self._anchor_ns = chunk.t_ns
            self._emitted = 0
        buf = np.concatenate([self._pending, samples]) if len(self._pending) else samples
        n = self.frame_samples
        whole = len(buf) // n
        for i in range(whole):
            frames.append(self._frame(buf[i * n : (i + 1) * n], n))
        self._pending = buf[whole * n :].copy()
        return frames

    def flush(self) -> list[Frame]:
        """End of the time line: the pending samples as one zero-padded frame (if any)."""
        frames: list[Frame] = []
        if len(self._pending):
            valid = len(self._pending)
            padded = np.zeros(self.frame_samples, dtype=np.int16)
            padded[:valid] = self._pending
            frames.append(self._frame(padded, valid))
        self.reset()
        return frames

    def _frame(self, new: np.ndarray, valid: int) -> Frame:
        window = np.concatenate([self._context, new])
        frame = Frame(
            t_ns=self._time(self._emitted),
            end_t_ns=self._time(self._emitted + self.frame_samples),
            window=window,
            context_samples=self.context_samples,
            valid_samples=valid,
        )
        if self.context_samples:
            self._context = window[-self.context_samples :].copy()
        self._emitted += self.frame_samples
        return frame
