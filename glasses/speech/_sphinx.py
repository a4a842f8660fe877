"""PocketSphinx loading shared by the wake-word spotter, the command recogniser and dictation,
and the running cepstral mean that lets a streamed decode match a whole-utterance one."""

from __future__ import annotations

import math
import os
import tempfile
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

import numpy as np

_INSTALL_HINT = "install it: pip install 'pocketsphinx>=5,<6'"
CEPSTRA = 13  # cepstral coefficients of the bundled en-US model (c0 = log energy)
# The bundled model's own cmninit: where a decoder's mean starts when nothing better is known.
MODEL_CMN = (40.0, 3.0, -1.0) + (0.0,) * (CEPSTRA - 3)
SAMPLES_PER_FRAME = 160  # 10 ms at 16 kHz
_MIN_SEGMENT = 512  # samples measured at once: at least one 410-sample analysis window
_MAX_SEGMENT = 10 * 16_000  # bounds the probe's feature buffers on long inputs


class SphinxUnavailable(RuntimeError):
    """PocketSphinx (or its bundled en-US model) cannot be loaded; the message says what to do."""


def new_decoder(**config: Any) -> Any:
    """A ``pocketsphinx.Decoder`` on the wheel's bundled en-US model, quiet (no log lines).

    ``config`` is passed through (``keyphrase=…``, ``jsgf=…``, ``lm=None``…).
    """
    try:
        import pocketsphinx
    except ImportError as exc:
        raise SphinxUnavailable(f"PocketSphinx is not installed — {_INSTALL_HINT}") from exc
    config.setdefault("loglevel", "FATAL")
    try:
        return pocketsphinx.Decoder(**config)
    except (RuntimeError, ValueError, OSError) as exc:
        problem = " ".join(str(exc).split()) or type(exc).__name__
        raise SphinxUnavailable(
            f"PocketSphinx failed to start: {problem} — {_INSTALL_HINT}"
        ) from exc


class Meter(Protocol):
    """What ``RunningCmn`` needs: (mean cepstrum, 10 ms frames covered) of some audio."""

    def measure(self, samples: np.ndarray) -> tuple[np.ndarray, float]: ...


def bundled_model_file(*parts: str) -> str:
    """The path of a file of the wheel's bundled model (``"en-us", "cmudict-en-us.dict"``)."""
    try:
        import pocketsphinx
    except ImportError as exc:
        raise SphinxUnavailable(f"PocketSphinx is not installed — {_INSTALL_HINT}") from exc
    return os.path.join(pocketsphinx.get_model_path(), *parts)


DICTIONARY = ("en-us", "cmudict-en-us.dict")
"""The bundled en-US pronouncing dictionary (134,860 lines) every decoder loads by default."""


class Lexicon:
    """Pronunciations from a PocketSphinx dictionary file, read when asked rather than held.

    A decoder holds its whole dictionary in memory: the bundled one costs 22 MB. ``entries``
    gives the lines a decoder needs for a few words (its grammar's); ``lookup`` answers as
    ``Decoder.lookup_word`` does (a word's first pronunciation, or None) for any other word,
    reading the file (3.3 MB, from the page cache: about 1 ms); the last ``cache`` answers are
    kept."""

    def __init__(self, path: str | None = None, *, cache: int = 1024) -> None:
        self.path = path or bundled_model_file(*DICTIONARY)
        self._cache: dict[str, str | None] = {}
        self._cache_size = cache

    def entries(self, words: Iterable[str]) -> dict[str, list[str]]:
        """Every line of the dictionary for each of ``words`` that it has: all their
        pronunciations, the one ``lookup`` gives first (``"read R EH D"``, ``"read(2) R IY D"``)."""
        wanted = set(words)
        found: dict[str, list[str]] = {}
        with open(self.path, encoding="utf-8") as f:
            for line in f:
                word = line.split(" ", 1)[0].split("(", 1)[0]
                if word in wanted:
                    found.setdefault(word, []).append(line.rstrip("\n"))
        return found

    def lookup(self, word: str) -> str | None:
        """``word``'s first pronunciation (phones separated by spaces), None if absent."""
        if word in self._cache:
            return self._cache[word]
        with open(self.path, "rb") as f:
            data = f.read()
        phones = _first_pronunciation(data, word.encode("utf-8")) if word else None
        if len(self._cache) >= self._cache_size:
            self._cache.pop(next(iter(self._cache)))
        self._cache[word] = phones
        return phones

    def decoder(self, lines: Iterable[str], **config: Any) -> Any:
        """``new_decoder(**config)`` whose dictionary is ``lines`` (from ``entries``)."""
        with tempfile.TemporaryDirectory(prefix="glasses-dict-") as tmp:
            # The decoder reads its dictionary while it is built, so the file may go after.
            path = os.path.join(tmp, "words.dict")
            with open(path, "w", encoding="utf-8") as f:
                f.writelines(f"{line}\n" for line in lines)
            return new_decoder(dict=path, **config)


def _first_pronunciation(data: bytes, word: bytes) -> str | None:
    """The phones on ``word``'s own line of the dictionary ``data`` (not a ``word(2)`` line)."""
    key = word + b" "
    if data.startswith(key):
        start = len(key)
    else:
        at = data.find(b"\n" + key)
        if at < 0:
            return None
        start = at + 1 + len(key)
    end = data.find(b"\n", start)
    return data[start : end if end >= 0 else len(data)].decode("utf-8").strip()


class CepstralMeter:
    """Measures the mean cepstrum of audio with PocketSphinx's own front end and batch CMN.

    A second, minimal decoder on the same model (a one-word dictionary: 6 MB, loads in 20 ms)
    whose utterance never ends: each ``measure`` is one ``process_raw(…, no_search=True,
    full_utt=True)``, which computes the cepstra of just that audio and their mean, searches
    nothing (about 0.4 ms per second of audio) and keeps no more than the last piece; then
    ``get_cmn`` reads the mean. Like any decoder's, its noise-removal estimate runs on from one
    call to the next.
    """

    def __init__(self) -> None:
        with tempfile.TemporaryDirectory(prefix="glasses-cmn-") as tmp:
            # The decoder reads its dictionary while it is built, so the file may go after.
            words = os.path.join(tmp, "probe.dict")
            with open(words, "w", encoding="ascii") as f:
                f.write("a AH\n")
            self._decoder: Any = new_decoder(lm=None, dict=words, keyphrase="a")
        self._decoder.start_utt()

    def measure(self, samples: np.ndarray) -> tuple[np.ndarray, float]:
        """(mean cepstrum, 10 ms frames of audio it covers) of 16 kHz mono int16 ``samples``;
        frames is 0 when there is too little audio or only digital silence (the mean is then
        zeros)."""
        pcm = np.ascontiguousarray(samples, dtype=np.int16)
        total = np.zeros(CEPSTRA)
        frames = 0.0
        for i in range(0, len(pcm), _MAX_SEGMENT):
            part = pcm[i : i + _MAX_SEGMENT]
            if len(part) < _MIN_SEGMENT:
                continue
            self._decoder.process_raw(part.tobytes(), True, True)
            mean = np.array([float(v) for v in self._decoder.get_cmn().split(",")])
            if len(mean) != CEPSTRA or not np.all(np.isfinite(mean)):
                continue  # every frame was digital silence: CMN skips those
            n = len(part) / SAMPLES_PER_FRAME
            total += mean * n
            frames += n
        return (total / frames if frames else total), frames


class RunningCmn:
    """The cepstral mean a streaming decoder should use: running, with a carried prior.

    PocketSphinx's own live CMN starts an utterance from its previous estimate weighted as
    500 frames (5 s) and moves only when the utterance ends, so a short utterance is decoded
    with whatever mean came before (the model's default on a fresh decoder): on real read
    speech that cost WER 0.39 against 0.22 for whole-utterance decoding. Here the mean is the
    utterance's own mean so far, with the carried estimate counting as ``prior_frames`` frames
    (60: 0.6 s), updated at every chunk; at the end of an utterance it becomes the next one's
    prior (the microphone and room change slowly).

    ``feed(samples)`` measures new audio; ``mean`` is the estimate to decode with now;
    ``end_utterance()`` carries it over. ``prime(audio)`` sets the prior from a recording.
    Until then (``primed`` False) the prior is the model's default, which says nothing about
    this microphone: it counts as ``cold_prior_frames`` (1) only. ``meter`` measures audio
    (default: a ``CepstralMeter``).
    """

    def __init__(
        self,
        *,
        prior: Sequence[float] | None = None,
        prior_frames: float = 60.0,
        cold_prior_frames: float = 1.0,
        meter: Meter | None = None,
    ) -> None:
        for name, value in (
            ("prior_frames", prior_frames),
            ("cold_prior_frames", cold_prior_frames),
        ):
            if not value > 0 or not math.isfinite(value):
                raise ValueError(f"{name} must be a positive number of frames, got {value}")
        self.prior_frames = prior_frames
        self.prior = np.array(MODEL_CMN if prior is None else prior, dtype=np.float64)
        if self.prior.shape != (CEPSTRA,) or not np.all(np.isfinite(self.prior)):
            raise ValueError(f"prior must be {CEPSTRA} finite numbers")
        self.primed = prior is not None  # False: the prior is only the model's default
        # The model's default is a guess about another microphone: it yields to audio at once.
        self.cold_prior_frames = cold_prior_frames
        self._prior_weight = prior_frames if self.primed else cold_prior_frames
        self._meter = meter if meter is not None else CepstralMeter()
        self._sum = np.zeros(CEPSTRA)
        self._frames = 0.0
        self._pending: list[np.ndarray] = []
        self._pending_n = 0

    @property
    def mean(self) -> np.ndarray:
        """The estimate for this utterance so far (the prior before any audio)."""
        w = self._prior_weight
        return (w * self.prior + self._sum) / (w + self._frames)

    @property
    def frames(self) -> float:
        """10 ms frames of this utterance measured so far."""
        return self._frames

    def feed(self, samples: np.ndarray) -> None:
        """Measure more of the current utterance (kept until there is a window's worth)."""
        self._pending.append(np.asarray(samples, dtype=np.int16))
        self._pending_n += len(samples)
        if self._pending_n >= _MIN_SEGMENT:
            self.flush()

    def flush(self) -> None:
        """Measure what is held back now (the meter ignores less than 512 samples)."""
        if not self._pending:
            return
        audio = np.concatenate(self._pending)
        self._pending, self._pending_n = [], 0
        mean, frames = self._meter.measure(audio)
        self._sum += mean * frames
        self._frames += frames

    def end_utterance(self) -> None:
        """The utterance is over: its estimate becomes the prior of the next one."""
        self.flush()
        if self._frames:
            self.prior = self.mean
            self.primed = True
        if self.primed:
            self._prior_weight = self.prior_frames
        self._sum = np.zeros(CEPSTRA)
        self._frames = 0.0

    def prime(self, audio: np.ndarray) -> None:
        """Take the prior from ``audio`` (e.g. the whole recording about to be streamed)."""
        mean, frames = self._meter.measure(audio)
        if frames:
            # The recording's own mean, as sure as the audio it was measured on: the next
            # utterance (usually that very audio) starts from it and stays near it.
            self.prior = mean
            self.primed = True
            self._prior_weight = max(self.prior_frames, frames)


def cmn_repr(mean: np.ndarray) -> str:
    """``mean`` as ``Decoder.set_cmn`` takes it (comma-separated)."""
    return ",".join(f"{v:.4f}" for v in mean)
