"""Wake word: PocketSphinx keyphrase spotting on 16 kHz mono int16 audio.

``WakeWordSpotter.process(samples, t_ns)`` is fed the audio stream chunk by chunk (``t_ns``: the
runtime-clock time of the chunk's first sample) and returns the detections it completes. A
detection's ``t_ns`` is the end of the chunk in which the phrase was recognised, on the same
clock. After a detection the spotter restarts its search and ignores the stream for
``refractory_s`` seconds (one utterance of the phrase, one detection).

The default phrase and threshold (``kws_threshold``: lower detects more) come from
``wake.toml`` beside this module, read once. ``glasses bench speech --calibrate`` writes it: it
sweeps the threshold on espeak-synthesised speech mixed with noise and keeps the one that
detects the most wake utterances at <= 0.5 false accepts per hour of distractor speech; the
file records the corpus, the figures and the date. Without the file the defaults are
"hey glasses" at 1e-40; a malformed file raises ``WakeConfigError`` naming it.
"""

from __future__ import annotations

import functools
import logging
import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from glasses.devices.resample import TARGET_RATE
from glasses.speech._sphinx import SphinxUnavailable, new_decoder

log = logging.getLogger(__name__)

NS_PER_S = 1_000_000_000
WARM_UP_S = 3.0
CONFIG_PATH = Path(__file__).with_name("wake.toml")
"""The calibrated defaults (package data), written by ``glasses bench speech --calibrate``."""
FALLBACK_PHRASE = "hey glasses"
FALLBACK_THRESHOLD = 1e-40
_REGENERATE = "fix it, or regenerate it with `glasses bench speech --calibrate`"


class WakeConfigError(ValueError):
    """``wake.toml`` is malformed; the message names the file and what is wrong."""


@dataclass(frozen=True, slots=True)
class WakeConfig:
    """The defaults read from a wake config file (``path`` None: the built-in fallback)."""

    phrase: str
    threshold: float
    path: Path | None = None


def load_wake_config(path: Path = CONFIG_PATH) -> WakeConfig:
    """``phrase`` and ``threshold`` from the TOML file at ``path``; other keys (the calibration
    record) are ignored. A missing file gives the built-in fallback ("hey glasses", 1e-40);
    a malformed one raises ``WakeConfigError``."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        log.warning("%s not found: wake word defaults to %r at %g", path, FALLBACK_PHRASE,
                    FALLBACK_THRESHOLD)  # fmt: skip
        return WakeConfig(FALLBACK_PHRASE, FALLBACK_THRESHOLD)
    except (OSError, UnicodeDecodeError) as exc:
        raise WakeConfigError(f"cannot read the wake config {path}: {exc}") from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise WakeConfigError(f"{path} is not valid TOML ({exc}) — {_REGENERATE}") from exc
    phrase = data.get("phrase")
    if not isinstance(phrase, str) or not phrase.split():
        raise WakeConfigError(
            f"{path}: 'phrase' must be a non-empty string, got {phrase!r} — {_REGENERATE}"
        )
    threshold = data.get("threshold")
    if (
        isinstance(threshold, bool)
        or not isinstance(threshold, int | float)
        or not math.isfinite(threshold)
        or not 0.0 < threshold < 1.0
    ):
        raise WakeConfigError(
            f"{path}: 'threshold' must be a number within (0, 1) such as 1e-40, got "
            f"{threshold!r} — {_REGENERATE}"
        )
    return WakeConfig(" ".join(phrase.split()), float(threshold), path)


@functools.cache
def default_wake_config() -> WakeConfig:
    """``load_wake_config()`` of the package's ``wake.toml``, read once per process."""
    return load_wake_config()


def _default_phrase() -> str:
    return default_wake_config().phrase


def _default_threshold() -> float:
    return default_wake_config().threshold


@dataclass(frozen=True, slots=True)
class WakeSettings:
    """``phrase``: words of the en-US dictionary; ``threshold``: PocketSphinx ``kws_threshold``
    (1e-50 … 1e-20; lower detects more and falsely accepts more); ``refractory_s``: seconds after
    a detection during which audio is not searched. The defaults of ``phrase`` and
    ``threshold`` come from ``wake.toml`` (see the module docstring)."""

    phrase: str = field(default_factory=_default_phrase)
    threshold: float = field(default_factory=_default_threshold)
    refractory_s: float = 1.0

    def __post_init__(self) -> None:
        if not self.phrase.split():
            raise ValueError("the wake phrase is empty")
        if not 0.0 < self.threshold < 1.0:
            raise ValueError(f"threshold must be within (0, 1), got {self.threshold}")
        if self.refractory_s < 0:
            raise ValueError(f"refractory_s must be >= 0, got {self.refractory_s}")


@dataclass(frozen=True, slots=True)
class WakeDetection:
    """The phrase was heard: ``t_ns`` on the runtime clock; ``score`` its posterior, 0..1."""

    t_ns: int
    phrase: str
    score: float


class WakeWordSpotter:
    """Streaming keyphrase spotter (see the module docstring)."""

    def __init__(self, settings: WakeSettings | None = None) -> None:
        self.settings = settings or WakeSettings()
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


def spot(
    audio: np.ndarray, settings: WakeSettings | None = None, *, chunk: int = 512
) -> list[WakeDetection]:
    """All detections in a whole 16 kHz mono int16 recording (times from its start); the
    normalisation is first warmed up on its first ``WARM_UP_S`` seconds."""
    spotter = WakeWordSpotter(settings)
    spotter.warm_up(audio[: int(WARM_UP_S * TARGET_RATE)])
    found: list[WakeDetection] = []
    for i in range(0, len(audio), chunk):
        found += spotter.process(audio[i : i + chunk], i * NS_PER_S // TARGET_RATE)
    found += spotter.flush(len(audio) * NS_PER_S // TARGET_RATE)
    return found
