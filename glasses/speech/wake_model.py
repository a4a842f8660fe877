"""The trained "hey glasses" detector: a small classifier over openWakeWord speech embeddings.

Every 80 ms step of the stream (``glasses.speech.wake_features``) gives one 96-dim embedding;
the head (``models/wake/hey_glasses.onnx``, registry id ``hey-glasses-head``: two networks
trained by ``glasses.training.wake_word`` and averaged by ``glasses.training.wake_ensemble``)
scores the last ``WINDOW`` embeddings (1.28 s) with the probability that
the phrase has just ended. ``ModelWakeSpotter`` has the interface of ``WakeWordSpotter``: a
detection is reported once the score has stayed at or above ``settings.threshold`` for
``settings.confirm_steps`` consecutive steps; its ``t_ns`` is the end of the first of those
steps, on the caller's clock (about the end of "glasses", so what follows is the command).
Then the stream is ignored for ``settings.refractory_s`` seconds, except with
``settings.second_look``: the period's highest score, if higher than the detection's, is
reported too when the period (or the stream) ends, at its step: for a check of the audio
around each detection. At a threshold as low as 0.3 the head may fire while "glasses" is still
being said, and a check of the stretch just after that rejects it; the peak comes after the
phrase (the score may dip on the way: "take a picture" rose 0.32, 0.65, 0.35, 0.54 … 0.93).
"""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path
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

    def __init__(self, registry: Registry | None = None, *, path: Path | None = None) -> None:
        """The registry's hash-checked head, or (``path``) a candidate file, unchecked: for
        measuring a freshly trained head before it is committed."""
        registry = registry or default_registry()
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        self._session = open_session(path or registry.path(HEAD_MODEL_ID), options)
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
        # ``second_look``: (the refractory period's highest score so far, the end of its step,
        # or None while no step has scored above the detection); None: nothing to look for.
        self._peak: tuple[float, int | None] | None = None
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
        return self.decide(*self.score(samples, end_ns))

    def flush(self, t_ns: int) -> list[WakeDetection]:
        """End of stream at ``t_ns``: complete the last step and a little silence after it, so
        a phrase ended by the last samples is reported (at most at ``t_ns``)."""
        pad = (STEP - self.features.pending) % STEP + FLUSH_STEPS * STEP
        steps = self.score(np.zeros(pad, np.int16), t_ns + pad * NS_PER_S // RATE)
        found = self.decide(*steps) + self._take_peak()  # the stream ends the period
        return [replace(h, t_ns=min(h.t_ns, t_ns)) for h in found]

    def score(self, samples: np.ndarray, end_ns: int) -> tuple[list[int], list[float]]:
        """Features and head only: (end time of each step completed, on the caller's clock;
        its score). ``process`` is ``decide(*score(samples, end_ns))``; a benchmark scores a
        stream once and lets spotters of several thresholds ``decide``."""
        left = self.features.pending + len(samples)  # samples not yet in a finished step
        embeddings = self.features.push(samples)
        self.last_scores = [float(s) for s in self.score_embeddings(embeddings)]
        # Step i ends (i + 1) steps after the start of the ``left`` unfinished samples.
        ends = [end_ns - (left - (i + 1) * STEP) * NS_PER_S // RATE for i in range(len(embeddings))]
        return ends, self.last_scores

    def score_embeddings(self, embeddings: np.ndarray) -> np.ndarray:
        """The head's scores of the next ``len(embeddings)`` steps of the stream, given their
        (k, 96) embeddings (computed elsewhere, e.g. cached by a benchmark)."""
        k = len(embeddings)
        if not k:
            return np.zeros(0, np.float32)
        history = np.concatenate([self._history, np.asarray(embeddings, np.float32)])
        self._history = history[-WINDOW:]
        idx = np.arange(1, k + 1)[:, None] + np.arange(WINDOW)[None, :]
        return np.concatenate([self.head(history[idx[i : i + 2048]]) for i in range(0, k, 2048)])

    def decide(self, step_ends_ns: list[int], scores: list[float]) -> list[WakeDetection]:
        """The detections of steps ending at ``step_ends_ns`` with ``scores``: a run of
        ``confirm_steps`` scores at or above the threshold, outside the refractory period."""
        found: list[WakeDetection] = []
        for step_end_ns, score in zip(step_ends_ns, scores, strict=True):
            if step_end_ns <= self._quiet_until_ns:
                self._run = 0
                self._look_again(step_end_ns, score)
                continue
            found += self._take_peak()  # the period is over
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
                if self.settings.second_look:
                    self._peak = (float(score), None)
        return found

    def _take_peak(self) -> list[WakeDetection]:
        """The refractory period's peak, if it rose above its detection (``second_look``), as
        a detection; the period's look is over."""
        peak, self._peak = self._peak, None
        if peak is None or peak[1] is None:
            return []
        return [WakeDetection(t_ns=peak[1], phrase=self.phrase, score=peak[0])]

    def _look_again(self, step_end_ns: int, score: float) -> None:
        """``second_look`` in the refractory period: keep its highest score above the
        detection's (reported when the period ends)."""
        if self._peak is not None and score > self._peak[0]:
            self._peak = (float(score), step_end_ns)
