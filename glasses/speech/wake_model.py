"""The trained "hey glasses" detector: a small classifier over openWakeWord speech embeddings.

Every 80 ms step of the stream (``glasses.speech.wake_features``) gives one 96-dim embedding;
the head (``models/wake/hey_glasses.onnx``, trained by ``glasses.training.wake_word``, registry
id ``hey-glasses-head``) scores the last ``WINDOW`` embeddings (1.28 s) with the probability that
the phrase has just ended. ``ModelWakeSpotter`` has the interface of ``WakeWordSpotter``: a
detection is reported once the score has stayed at or above ``settings.threshold`` for
``settings.confirm_steps`` consecutive steps; its ``t_ns`` is the end of the first of those
steps, on the caller's clock (about the end of "glasses", so what follows is the command).
Then the stream is ignored for ``settings.refractory_s`` seconds.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import numpy as np
import onnxruntime as ort

from glasses.speech.wake import NS_PER_S, WakeDetection, WakeSettings
from glasses.speech.wake_features import RATE, STEP, FrontEnd, StreamingFeatures
from models.registry import Registry, default_registry, open_session

HEAD_MODEL_ID = "hey-glasses-head"
MODEL_PHRASE = "hey glasses"
WINDOW = 16
"""Embeddings the head scores at once (16 × 80 ms = 1.28 s)."""
FLUSH_STEPS = 3
"""Steps of digital silence ``flush`` appends, so a phrase ended by the last samples scores."""


class Head:
    """The classifier head: (B, 16, 96) embeddings → (B,) probabilities."""

    def __init__(self, registry: Registry | None = None) -> None:
        registry = registry or default_registry()
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        self._session = open_session(registry.path(HEAD_MODEL_ID), options)
        self._input = self._session.get_inputs()[0].name

    def __call__(self, windows: np.ndarray) -> np.ndarray:
        out: Any = self._session.run(None, {self._input: np.asarray(windows, np.float32)})
        return np.asarray(out[0], np.float32).reshape(-1)


class ModelWakeSpotter:
    """Streaming "hey glasses" detector (see the module docstring).

    ``registry``: where the three models come from (default: the bundled manifest); a missing
    or altered file raises ``models.registry.ModelError`` with one line naming the fix.
    """

    def __init__(
        self,
        settings: WakeSettings | None = None,
        *,
        registry: Registry | None = None,
        front: FrontEnd | None = None,
        head: Head | None = None,
    ) -> None:
        settings = settings or WakeSettings(backend="model")
        if settings.backend != "model":
            settings = replace(settings, backend="model", threshold=math.nan)
        phrase = " ".join(settings.phrase.lower().split())
        if phrase != MODEL_PHRASE:
            raise ValueError(
                f"the wake model spots only {MODEL_PHRASE!r}, not {phrase!r} — use "
                "backend='pocketsphinx' for another phrase"
            )
        self.settings = settings
        self.phrase = phrase
        registry = registry or default_registry()
        if front is None:
            front = FrontEnd(registry) if registry is not default_registry() else None
        self.features = StreamingFeatures(front)
        self.head = head or Head(registry)
        self.reset()

    def reset(self) -> None:
        """Forget the audio heard so far (a new stream, preceded by silence)."""
        self.features.reset()
        self._history = np.repeat(self.features.front.silent_embedding[None], WINDOW, axis=0)
        self._run = 0  # consecutive steps at or above the threshold
        self._run_start_ns = 0
        self._quiet_until_ns = -1
        self.last_scores: list[float] = []
        """The scores of the steps the last ``process``/``flush`` call completed."""

    def warm_up(self, audio: np.ndarray) -> None:
        """Nothing to adapt (the features need no normalisation): a new stream."""
        del audio
        self.reset()

    def process(self, samples: np.ndarray, t_ns: int) -> list[WakeDetection]:
        """Feed one chunk of 16 kHz mono int16 audio whose first sample is at ``t_ns``."""
        samples = np.asarray(samples).reshape(-1)
        end_ns = t_ns + len(samples) * NS_PER_S // RATE
        return self._steps(samples, end_ns)

    def flush(self, t_ns: int) -> list[WakeDetection]:
        """End of stream at ``t_ns``: complete the last step and a little silence after it, so
        a phrase ended by the last samples is reported (at most at ``t_ns``)."""
        pad = (STEP - self.features.pending) % STEP + FLUSH_STEPS * STEP
        hits = self._steps(np.zeros(pad, np.int16), t_ns + pad * NS_PER_S // RATE)
        return [replace(h, t_ns=min(h.t_ns, t_ns)) for h in hits]

    def _steps(self, samples: np.ndarray, end_ns: int) -> list[WakeDetection]:
        left = self.features.pending + len(samples)  # samples not yet in a finished step
        embeddings = self.features.push(samples)
        self.last_scores = []
        if not len(embeddings):
            return []
        k = len(embeddings)
        history = np.concatenate([self._history, embeddings])
        self._history = history[-WINDOW:]
        windows = np.stack([history[i + 1 : i + 1 + WINDOW] for i in range(k)])
        scores = self.head(windows)
        self.last_scores = [float(s) for s in scores]
        found: list[WakeDetection] = []
        for i, score in enumerate(scores):
            # The end of step i on the caller's clock: ``left`` samples before ``end_ns`` were
            # the start of the unfinished part when this call began.
            step_end_ns = end_ns - (left - (i + 1) * STEP) * NS_PER_S // RATE
            if step_end_ns <= self._quiet_until_ns:
                self._run = 0
                continue
            if score < self.settings.threshold:
                self._run = 0
                continue
            if self._run == 0:
                self._run_start_ns = step_end_ns
            self._run += 1
            if self._run >= self.settings.confirm_steps:
                found.append(
                    WakeDetection(t_ns=self._run_start_ns, phrase=self.phrase, score=float(score))
                )
                self._run = 0
                self._quiet_until_ns = step_end_ns + int(self.settings.refractory_s * NS_PER_S)
        return found
