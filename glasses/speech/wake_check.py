"""A second opinion on each wake detection: the wake phrase's own grammar on the audio around it.

The spotter (``glasses.speech.wake``) scores a sliding ~2 s window; at a threshold low enough
to find most people it also fires on ordinary sentences ("I need to buy some milk and bread"
scored 0.89). ``WakeCheck`` decodes the stretch of the utterance that ends ``after_s`` after the
detection and starts ``before_s`` before it with PocketSphinx and a grammar holding only the
phrase ("hey glasses"): a JSGF search that must end on the phrase's last word. Over the phrase
it usually does; over the onset of other speech, where the spotter's false detections come, it
rarely does.

Measured through the real pipeline (VAD with a 2 s lead-in → spotter at 0.3 → this check,
the speech bench's held-out clips and its 240 min distractor stream;
``docs/experiments/listen_sets/sweep_eval.py``): the spotter's 99 false detections on the
stream all rejected, and 553 of the 572 held-out "hey glasses" clips it found still woken.
Without the audio after the detection half of the true ones fail: the spotter decides before
the phrase's last sounds are over. The stream's false detections come early in utterances,
where the phrase's grammar does not fit; later in a sentence a fifth of stretches pass, and
look-alikes ("hey class", "okay glasses") often do: the check tells the phrase from the onset
of other speech, not from near-homophones (``docs/speech_synthesis.md``, "The lead-in and the
wake check").

The stretch gets a faint seeded noise floor first (``DITHER_RMS``): without it the check
failed most phrases said between digitally silent gaps. Like the command decoders, the check's
decoder carries its noise and cepstral estimates from one check to the next, so a verdict may
depend on the checks before it in the session (deterministically: the same audio in the same
order gives the same verdicts).

The decoder's grammar is the phrase alone, so it loads a few dictionary lines (the ``Lexicon``
of ``glasses.speech._sphinx``), and one decode of a 2 s stretch costs about 11 ms here (the
grammar pass only: no phone loop).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from glasses.speech.commands import CommandPhrase, CommandRecognizer

RATE = 16_000
DITHER_RMS = 64.0
"""The noise floor (RMS, int16 units: -54 dBFS) added to a stretch before it is decoded.
PocketSphinx mishears speech between digitally silent gaps (its energy and cepstral mean
estimates go wrong on exact zeros): on ``wake_figures``' clean clips, at the head's firings, the
check confirmed 62 of 144 without it and 138 with it, 134 of 144 noisy ones either way; on the
pipeline's 1160 firings on the speech bench's clips 1121 against 1108, and still none of the 99
on its distractor stream."""
WAKE_INTENT = "wake"
"""The intent of the check's one-phrase grammar (never emitted: the check only says yes or no)."""


class WakeCheck:
    """Is ``phrase`` said in the audio that ends just after a detection? (module docstring)

    ``before_s`` and ``after_s``: the segment decoded, in seconds before and after the
    detection's time (``segment``). Loads PocketSphinx on first use; one instance is one
    decoder: call it from one thread at a time.
    """

    def __init__(
        self,
        phrase: str,
        *,
        before_s: float = 1.8,
        after_s: float = 0.25,
        dither_rms: float = DITHER_RMS,
    ) -> None:
        if before_s <= 0 or after_s < 0 or dither_rms < 0:
            raise ValueError(
                "before_s must be > 0, after_s and dither_rms >= 0, got "
                f"{before_s}, {after_s}, {dither_rms}"
            )
        self.phrase = " ".join(phrase.lower().split())
        self.before_s = before_s
        self.after_s = after_s
        self.dither_rms = dither_rms
        self._recognizer: CommandRecognizer | None = None

    def segment(self, audio: np.ndarray, at: int) -> tuple[int, int]:
        """(start, end) sample indices in ``audio`` of the stretch checked for a detection at
        sample ``at`` (clipped to the audio)."""
        at = min(max(at, 0), len(audio))
        start = max(0, at - int(self.before_s * RATE))
        return start, min(len(audio), at + int(self.after_s * RATE))

    def confirms(self, audio: np.ndarray) -> bool:
        """Does the phrase's grammar search end on the whole phrase in ``audio`` (16 kHz mono
        int16, the ``segment`` of a detection)?"""
        if len(audio) == 0:
            return False
        if self.dither_rms:
            # Seeded: the same audio always gets the same floor, so a verdict never varies.
            noise = np.random.default_rng(0).normal(0.0, self.dither_rms, len(audio))
            audio = np.clip(np.rint(audio + noise), -32768, 32767).astype(np.int16)
        return self.recognizer.heard_phrase(audio) == self.phrase

    @property
    def recognizer(self) -> CommandRecognizer:
        if self._recognizer is None:
            phrases: Sequence[CommandPhrase] = (CommandPhrase(self.phrase, WAKE_INTENT),)
            self._recognizer = CommandRecognizer(phrases)
        return self._recognizer
