"""Wake word spotting on 16 kHz mono int16 audio: the trained detector or PocketSphinx.

Two backends (``WakeSettings.backend``) behind one interface: ``process(samples, t_ns)`` is fed
the audio stream chunk by chunk (``t_ns``: the runtime-clock time of the chunk's first sample)
and returns the detections it completes; ``flush(t_ns)`` ends the stream; ``reset()`` forgets
it; ``warm_up(audio)`` prepares for a recording. After a detection the spotter ignores the stream
for ``refractory_s`` seconds (one utterance of the phrase, one detection).

- ``model`` (the default): ``glasses.speech.wake_model.ModelWakeSpotter``, a small classifier
  we trained over openWakeWord's frozen speech embeddings ("hey glasses" only). ``threshold`` is
  its score, a probability 0..1 (higher falsely accepts less).
- ``pocketsphinx``: ``WakeWordSpotter``, keyphrase spotting for any phrase of the en-US
  dictionary. ``threshold`` is its ``kws_threshold`` (1e-50 … 1e-20; lower detects more). It
  finds nothing in clean audio between digitally silent gaps.

``new_spotter(settings)`` builds the backend's spotter; ``spot(audio, settings)`` searches a
whole recording. The defaults (phrase, backend, both thresholds) come from ``wake.toml`` beside
this module (``glasses.speech.wake_config``), read once.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

import numpy as np

from glasses.devices.resample import TARGET_RATE
from glasses.speech._sphinx import SphinxUnavailable, new_decoder
from glasses.speech.wake_config import (
    BACKENDS,
    CONFIG_PATH,
    FALLBACK_BACKEND,
    FALLBACK_MODEL_THRESHOLD,
    FALLBACK_PHRASE,
    FALLBACK_THRESHOLD,
    WakeBackend,
    WakeConfig,
    WakeConfigError,
    default_wake_config,
    load_wake_config,
)

__all__ = [
    "BACKENDS",
    "CONFIG_PATH",
    "FALLBACK_BACKEND",
    "FALLBACK_MODEL_THRESHOLD",
    "FALLBACK_PHRASE",
    "FALLBACK_THRESHOLD",
    "Spotter",
    "WakeBackend",
    "WakeConfig",
    "WakeConfigError",
    "WakeDetection",
    "WakeSettings",
    "WakeWordSpotter",
    "default_wake_config",
    "load_wake_config",
    "new_spotter",
    "spot",
]

log = logging.getLogger(__name__)

NS_PER_S = 1_000_000_000
WARM_UP_S = 3.0


def _default_phrase() -> str:
    return default_wake_config().phrase


def _default_backend() -> WakeBackend:
    return default_wake_config().backend


def _default_confirm_steps() -> int:
    return default_wake_config().confirm_steps


def _default_check() -> bool:
    return default_wake_config().check


@dataclass(frozen=True, slots=True)
class WakeSettings:
    """``phrase``: for ``pocketsphinx``, words of the en-US dictionary; the ``model`` backend
    spots only the phrase it was trained on ("hey glasses"). ``threshold``: the ``model``'s
    score threshold (a probability in (0, 1); higher falsely accepts less) or PocketSphinx's
    ``kws_threshold`` (1e-50 … 1e-20; lower detects more and falsely accepts more); left out
    (NaN), it is ``wake.toml``'s value for the backend. ``refractory_s``: seconds after a
    detection during which audio is not searched. ``backend``: ``model`` or ``pocketsphinx``.
    ``confirm_steps``: the model backend reports a detection once its score has stayed at or
    above ``threshold`` for this many consecutive 80 ms steps (1: at once; default from
    ``wake.toml``). ``check``: the listen stage confirms each detection with a second
    opinion before it wakes the glasses (``glasses.speech.wake_check``; default from
    ``wake.toml``). ``second_look`` (the ``model`` backend): after a detection, the spotter
    also reports the refractory period's highest score, at its step, if it is higher than the
    detection's, when the period (or the stream) ends: a check that rejects the first (decided
    before the phrase was over) gets the phrase whole (the listen stage sets it when it checks
    detections)."""

    phrase: str = field(default_factory=_default_phrase)
    threshold: float = math.nan
    refractory_s: float = 1.0
    backend: WakeBackend = field(default_factory=_default_backend)
    confirm_steps: int = field(default_factory=_default_confirm_steps)
    check: bool = field(default_factory=_default_check)
    second_look: bool = False

    def __post_init__(self) -> None:
        if not self.phrase.split():
            raise ValueError("the wake phrase is empty")
        if self.backend not in BACKENDS:
            raise ValueError(f"backend must be one of {', '.join(BACKENDS)}, got {self.backend!r}")
        if math.isnan(self.threshold):
            config = default_wake_config()
            default = config.model_threshold if self.backend == "model" else config.threshold
            object.__setattr__(self, "threshold", default)  # frozen: resolved once, here
        if not 0.0 < self.threshold < 1.0:
            raise ValueError(f"threshold must be within (0, 1), got {self.threshold}")
        if self.refractory_s < 0:
            raise ValueError(f"refractory_s must be >= 0, got {self.refractory_s}")
        if self.confirm_steps < 1:
            raise ValueError(f"confirm_steps must be >= 1, got {self.confirm_steps}")


@dataclass(frozen=True, slots=True)
class WakeDetection:
    """The phrase was heard: ``t_ns`` on the runtime clock; ``score`` its posterior, 0..1."""

    t_ns: int
    phrase: str
    score: float


class Spotter(Protocol):
    """What both backends' spotters offer (see the module docstring)."""

    settings: WakeSettings
    phrase: str

    def reset(self) -> None: ...

    def warm_up(self, audio: np.ndarray) -> None: ...

    def process(self, samples: np.ndarray, t_ns: int) -> list[WakeDetection]: ...

    def flush(self, t_ns: int) -> list[WakeDetection]: ...


class WakeWordSpotter:
    """Streaming PocketSphinx keyphrase spotter (see the module docstring).

    It always spots with PocketSphinx: settings made for the ``model`` backend lend it their
    phrase and refractory period, and its ``kws_threshold`` is then ``wake.toml``'s.
    """

    def __init__(self, settings: WakeSettings | None = None) -> None:
        settings = settings or WakeSettings(backend="pocketsphinx")
        if settings.backend != "pocketsphinx":
            settings = replace(settings, backend="pocketsphinx", threshold=math.nan)
        self.settings = settings
        phrase = " ".join(self.settings.phrase.lower().split())
        self.phrase = phrase
        self._decoder: Any = new_decoder(
            keyphrase=phrase, kws_threshold=self.settings.threshold, lm=None
        )
        missing = [w for w in phrase.split() if self._decoder.lookup_word(w) is None]
        if missing:
            raise SphinxUnavailable(
                f"wake phrase words not in the en-US dictionary: {', '.join(missing)}"
                " — choose other words"
            )
        self._in_utt = False
        self._quiet_until_ns = -1

    def reset(self) -> None:
        """Forget the audio heard so far (a new stream)."""
        if self._in_utt:
            self._decoder.end_utt()
        self._in_utt = False
        self._quiet_until_ns = -1

    def warm_up(self, audio: np.ndarray) -> None:
        """Adapt the feature normalisation (live CMN) to ``audio`` without reporting anything.

        A live stream warms up by itself within seconds; a short recording decoded cold starts
        from the model's default normalisation and misses more, so ``spot`` warms up on the
        recording's first seconds first.
        """
        self.reset()
        self._decoder.start_utt()
        self._decoder.process_raw(np.ascontiguousarray(audio, dtype=np.int16).tobytes())
        self._decoder.end_utt()

    def process(self, samples: np.ndarray, t_ns: int) -> list[WakeDetection]:
        """Feed one chunk of 16 kHz mono int16 audio starting at ``t_ns``."""
        pcm = np.ascontiguousarray(samples, dtype=np.int16)
        end_ns = t_ns + len(pcm) * NS_PER_S // TARGET_RATE
        if end_ns <= self._quiet_until_ns:
            return []
        if not self._in_utt:
            self._decoder.start_utt()
            self._in_utt = True
        self._decoder.process_raw(pcm.tobytes(), False, False)
        hit = self._take(end_ns)
        return [hit] if hit is not None else []

    def flush(self, t_ns: int) -> list[WakeDetection]:
        """End of stream at ``t_ns``: a phrase completed by the last samples is reported."""
        if not self._in_utt:
            return []
        self._decoder.end_utt()
        self._in_utt = False
        hyp = self._decoder.hyp()
        if hyp is None or not hyp.hypstr:
            return []
        return [WakeDetection(t_ns=t_ns, phrase=self.phrase, score=self._score(hyp))]

    def _take(self, end_ns: int) -> WakeDetection | None:
        hyp = self._decoder.hyp()
        if hyp is None or not hyp.hypstr:
            return None
        score = self._score(hyp)
        # Restart the search so the same utterance is not reported again.
        self._decoder.end_utt()
        self._in_utt = False
        self._quiet_until_ns = end_ns + int(self.settings.refractory_s * NS_PER_S)
        return WakeDetection(t_ns=end_ns, phrase=self.phrase, score=score)

    def _score(self, hyp: Any) -> float:
        segs = list(self._decoder.seg())
        return float(segs[-1].prob) if segs else float(hyp.prob)


def new_spotter(settings: WakeSettings | None = None) -> Spotter:
    """A streaming spotter of ``settings.backend`` (default settings: ``wake.toml``'s)."""
    settings = settings or WakeSettings()
    if settings.backend == "pocketsphinx":
        return WakeWordSpotter(settings)
    from glasses.speech.wake_model import ModelWakeSpotter

    return ModelWakeSpotter(settings)


def spot(
    audio: np.ndarray, settings: WakeSettings | None = None, *, chunk: int = 512
) -> list[WakeDetection]:
    """All detections in a whole 16 kHz mono int16 recording (times from its start), by the
    backend of ``settings``. PocketSphinx's normalisation is first warmed up on the first
    ``WARM_UP_S`` seconds; the model needs no warm-up."""
    spotter = new_spotter(settings)
    spotter.warm_up(audio[: int(WARM_UP_S * TARGET_RATE)])
    found: list[WakeDetection] = []
    for i in range(0, len(audio), chunk):
        found += spotter.process(audio[i : i + chunk], i * NS_PER_S // TARGET_RATE)
    found += spotter.flush(len(audio) * NS_PER_S // TARGET_RATE)
    return found
