"""Dictation: free speech to text with PocketSphinx's bundled en-US language model.

``Dictation.process(samples)`` takes 16 kHz mono int16 chunks and returns the partial
transcript so far; ``finish()`` ends the utterance and returns the final one. On espeak speech
the model is weak (57–79 % WER measured); on read human speech it does far better.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from glasses.speech._sphinx import new_decoder

BACKENDS = ("pocketsphinx",)


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


def transcribe(audio: np.ndarray, *, chunk: int = 4096) -> str:
    """The final transcript of a whole 16 kHz mono int16 recording."""
    d = Dictation()
    for i in range(0, len(audio), chunk):
        d.process(audio[i : i + chunk])
    return d.finish()
