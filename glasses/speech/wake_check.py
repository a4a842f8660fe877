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

A second look (``WakeSettings.second_look``: the spotter's score peaked after a detection the
check rejected, often while "glasses" was still being said) has a segment that ends 0.25 s past
that peak, and in one breath ("hey glasses cancel the timer") the peak comes once the next word
has begun: the phrase's grammar cannot end there. When the phrase alone does not pass such a
segment, it is searched once more with one of ``followers`` (the commands' first words) allowed
after the phrase, and after each look-alike (``confirms``' ``second_look``). Only for second
looks: allowed after every detection, the check passed 17 of the 49 stretches at the head's
firings on ``wake_figures``' dense stream instead of 8 (``docs/speech_synthesis.md``, "The
commands' first words after a second look").

The decoder's grammar is the phrase alone, so it loads a few dictionary lines (the ``Lexicon``
of ``glasses.speech._sphinx``), and one decode of a 2 s stretch costs about 11 ms here (the
grammar pass only: no phone loop).

Look-alikes: a stretch the phrase's grammar confirms is decoded once more with a grammar of
phrases that sound like it (``LOOK_ALIKES``: "my glasses", "okay glasses" …), and a look-alike
whose path scores higher per frame than the phrase's makes it no wake. Measured
(``docs/experiments/wake_check/competitors.py``): on ``wake_figures``' dense 4 h stream, the
stretches confirmed at the head's firings 12 → 8 (near a look-alike 8 → 5); of the 995 wake
phrases the check confirmed on the speech bench's clips (noisy, clean, one breath), none lost.
The look-alikes cannot share the phrase's grammar: in one search, it ended on a look-alike for
178 of those 866 noisy and 12 of 67 clean phrases. The second decode costs about 1.4 times the
first (9 phrases), only after the phrase is heard.
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
LOOK_ALIKES: dict[str, tuple[str, ...]] = {
    "hey glasses": (
        "my glasses",
        "okay glasses",
        "play glasses",
        "say glasses",
        "a glasses case",
        "eight classes",
        "stay classy",
        "hey google",
        "hey siri",
    ),
}
"""Phrases a wake phrase is weighed against (``WakeCheck``): the wake head's training look-alikes
(``glasses.training.wake_data.LOOK_ALIKES``), less those that the phrase itself is heard as.
With "hey guys", "hey jarvis" or "hey there" among them, 8 of the 866 "hey glasses" that the
check confirmed on the speech bench's noisy wake clips scored nearer to one of them; "the
glasses", "hi glasses" and "hey class" took clean ones (in one grammar, 24 of 67). The bench's
``NEAR_MISSES`` are not drawn on."""
WAKE_INTENT = "wake"
"""The intent of the check's one-phrase grammar (never emitted: the check only says yes or no)."""
LOOK_ALIKE_INTENT = "look-alike"


class WakeCheck:
    """Is ``phrase`` said in the audio that ends just after a detection? (module docstring)

    ``before_s`` and ``after_s``: the segment decoded, in seconds before and after the
    detection's time (``segment``). ``look_alikes``: phrases that, when one of them explains
    the segment better than ``phrase`` does (a higher path score per frame, each in a grammar of
    its own), make it no wake ("my glasses are on the table"); default ``LOOK_ALIKES``' entry
    for the phrase, if any. ``followers``: words that may follow the phrase in a second look's
    segment (``confirms``' ``second_look``), the first words of the commands. Loads PocketSphinx
    on first use; one instance is up to four decoders: call it from one thread at a time.
    """

    def __init__(
        self,
        phrase: str,
        *,
        before_s: float = 1.8,
        after_s: float = 0.25,
        dither_rms: float = DITHER_RMS,
        look_alikes: Sequence[str] | None = None,
        followers: Sequence[str] = (),
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
        if look_alikes is None:
            look_alikes = LOOK_ALIKES.get(self.phrase, ())
        self.look_alikes = tuple(" ".join(p.lower().split()) for p in look_alikes)
        if self.phrase in self.look_alikes:
            raise ValueError(f"the wake phrase {self.phrase!r} is among its own look-alikes")
        self.followers = tuple(dict.fromkeys(w.lower() for w in followers))
        if any(len(w.split()) != 1 for w in self.followers):
            raise ValueError(f"followers must be single words, got {followers!r}")
        self._recognizer: CommandRecognizer | None = None
        self._look_alike_recognizer: CommandRecognizer | None = None
        # ``second_look``'s: each phrase alone or followed by one of ``followers``.
        self._followed: CommandRecognizer | None = None
        self._look_alike_followed: CommandRecognizer | None = None

    def segment(self, audio: np.ndarray, at: int) -> tuple[int, int]:
        """(start, end) sample indices in ``audio`` of the stretch checked for a detection at
        sample ``at`` (clipped to the audio)."""
        at = min(max(at, 0), len(audio))
        start = max(0, at - int(self.before_s * RATE))
        return start, min(len(audio), at + int(self.after_s * RATE))

    def confirms(self, audio: np.ndarray, *, second_look: bool = False) -> bool:
        """Does the phrase's grammar search end on the whole phrase in ``audio`` (16 kHz mono
        int16, the ``segment`` of a detection), and explain it better than any look-alike?

        ``second_look``: the detection is the spotter's second look at a phrase whose first
        detection was not confirmed (``WakeSettings.second_look``): its score peaked later,
        often once the next word had begun, and its segment then ends inside that word. With
        ``followers``, a segment the phrase alone does not pass is searched once more with the
        phrase (and each look-alike) alone or followed by one of them.
        """
        if len(audio) == 0:
            return False
        if self.dither_rms:
            # Seeded: the same audio always gets the same floor, so a verdict never varies.
            noise = np.random.default_rng(0).normal(0.0, self.dither_rms, len(audio))
            audio = np.clip(np.rint(audio + noise), -32768, 32767).astype(np.int16)
        if self._explains(audio, self.recognizer, followed=False):
            return True
        # Not instead of the phrase alone: with words after it, a look-alike followed by one
        # may explain a segment better where the phrase alone beat the look-alikes alone.
        return (
            second_look
            and bool(self.followers)
            and self._explains(audio, self.followed_recognizer, followed=True)
        )

    def _explains(self, audio: np.ndarray, phrase: CommandRecognizer, *, followed: bool) -> bool:
        """Does ``phrase``'s search end on the wake phrase (``followed``: maybe with a follower
        after it), scoring at least as well as the look-alikes (alike followed) do?"""
        heard, score = phrase.scored_phrase(audio)  # a follower heard is not in ``heard``
        if heard != self.phrase:
            return False
        if not self.look_alikes:
            return True
        # Not one grammar for both: its search ends on a look-alike for a fifth of the wake
        # phrases that each scores below when searched alone (module docstring).
        rivals = self.look_alike_followed if followed else self.look_alike_recognizer
        _, rival = rivals.scored_phrase(audio)
        return rival <= score

    @property
    def recognizer(self) -> CommandRecognizer:
        if self._recognizer is None:
            phrases: Sequence[CommandPhrase] = (CommandPhrase(self.phrase, WAKE_INTENT),)
            self._recognizer = CommandRecognizer(phrases)
        return self._recognizer

    @property
    def look_alike_recognizer(self) -> CommandRecognizer:
        if self._look_alike_recognizer is None:
            phrases = [CommandPhrase(p, LOOK_ALIKE_INTENT) for p in self.look_alikes]
            self._look_alike_recognizer = CommandRecognizer(phrases)
        return self._look_alike_recognizer

    @property
    def followed_recognizer(self) -> CommandRecognizer:
        """The phrase, alone or followed by one of ``followers`` (a second look's grammar)."""
        if self._followed is None:
            phrases = (CommandPhrase(self.phrase, WAKE_INTENT),)
            self._followed = CommandRecognizer(phrases, trail=self.followers)
        return self._followed

    @property
    def look_alike_followed(self) -> CommandRecognizer:
        """The look-alikes, each alone or followed by one of ``followers``."""
        if self._look_alike_followed is None:
            phrases = [CommandPhrase(p, LOOK_ALIKE_INTENT) for p in self.look_alikes]
            self._look_alike_followed = CommandRecognizer(phrases, trail=self.followers)
        return self._look_alike_followed
