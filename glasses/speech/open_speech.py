"""Open speech: what the wearer says after the wake phrase that is not a grammar command.

The command grammar answers at once; speech it rejects is transcribed by a large-vocabulary
recogniser (Whisper by default) and, when the transcript holds real words, becomes an ``ask``
intent carrying it (the assistant answers questions). What is left is noise or a half-word:
the listener shows its "didn't catch that" toast, never an intent.

``OpenSpeech`` is the policy around any ``Transcriber`` (16 kHz mono int16 → text): it decides
which transcripts are questions worth answering.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, Protocol

import numpy as np

ASK = "ask"
"""The intent of open speech: ``Intent(name=ASK, phrase=<transcript>)``."""


class Transcriber(Protocol):
    """A whole utterance of 16 kHz mono int16 audio → its transcript ("" when nothing was
    heard). ``opening``: words the utterance is known to begin with (the wake phrase, when the
    spotter heard it there), for a recogniser that can start its transcript from them (Whisper
    then writes "Hey glasses," for the phrase, never "Hey Glacin" or "Thing Latin", and decodes
    the request after it); others ignore it."""

    def __call__(self, audio: np.ndarray, *, opening: str = "") -> str: ...


OpenSpeechBackend = Literal["whisper", "pocketsphinx", "off"]
OPEN_SPEECH_BACKENDS: tuple[OpenSpeechBackend, ...] = ("whisper", "pocketsphinx", "off")

# What Whisper says of noise, silence and breath (its training data's subtitles): never a
# question. Compared after ``_words``.
_NOISE_TRANSCRIPTS = frozenset(
    {
        "",
        "you",
        "thank you",
        "thanks",
        "thanks for watching",
        "thank you for watching",
        "bye",
        "um",
        "uh",
        "hmm",
        "mm",
        "oh",
        "ah",
        "okay",
        "so",
        "yeah",
        "music",
        "applause",
        "silence",
        "laughter",
        "blank audio",
    }
)


# The unstressed syllable a cut-short wake word loses, as recognisers write it on its own.
_LOST_SYLLABLE = (["of"], ["is"], ["as"], ["us"], ["es"])


def _words(text: str) -> list[str]:
    """Lower-case words without punctuation or bracketed annotations ("[music]")."""
    text = re.sub(r"[\[(][^\])]*[\])]", " ", text.lower())
    return re.findall(r"[a-z0-9']+", text)


@dataclass(frozen=True, slots=True)
class OpenSpeechSettings:
    """``min_words``: fewest words that make a question (fewer is a half-word or noise);
    ``cost_ms``: the virtual clock's charge for one transcription (ms; the real cost is
    measured by ``glasses bench speech``)."""

    min_words: int = 2
    cost_ms: float = 400.0

    def __post_init__(self) -> None:
        if self.min_words < 1:
            raise ValueError(f"min_words must be >= 1, got {self.min_words}")
        if self.cost_ms < 0:
            raise ValueError(f"cost_ms must be >= 0, got {self.cost_ms}")


class OpenSpeech:
    """Transcribes rejected speech and says whether it is a question (see the module doc)."""

    def __init__(
        self, transcriber: Transcriber, settings: OpenSpeechSettings | None = None
    ) -> None:
        self.transcriber = transcriber
        self.settings = settings or OpenSpeechSettings()

    def transcribe(self, audio: np.ndarray, *, opening: str = "") -> str:
        """The transcript of one utterance, whitespace-normalised (blocking: run it off the
        event loop). ``opening``: see ``Transcriber``."""
        return " ".join(self.transcriber(audio, opening=opening).split())

    @staticmethod
    def after_wake(text: str, phrase: str) -> str:
        """``text`` without a leading wake ``phrase`` as a recogniser spells it ("Hey,
        glasses. What time is it?" → "What time is it?"); unchanged when it does not start
        with it. The phrase's last word must match (or be cut short: "glass"); earlier words
        may be misheard ("hay", "hi", "a": a word with the same first letter, or "a") or
        missing."""
        wake = _words(phrase)
        tokens = text.split()
        if not wake or not tokens:
            return text
        last = wake[-1]
        for n in range(1, min(len(wake), len(tokens)) + 1):
            word = _words(tokens[n - 1])
            # Whisper may hear the phrase's last word cut short ("glass" for "glasses").
            if word == [last] or (
                len(word) == 1 and len(word[0]) >= 4 and last.startswith(word[0])
            ):
                before = [w for t in tokens[: n - 1] for w in _words(t)]
                if all(w == "a" or w[0] == wake[0][0] for w in before):
                    rest = tokens[n:]
                    # A last word heard cut short may leave its lost syllable as a word of its
                    # own: "glasses" heard as "glass of" / "glass is" (the unstressed "-es").
                    # Not after a pause the recogniser marked ("Hey glass, is it raining").
                    cut = word != [last] and tokens[n - 1][-1].isalpha()
                    if cut and rest and _words(rest[0]) in _LOST_SYLLABLE:
                        rest = rest[1:]
                    return " ".join(rest).lstrip(" ,.;:!?-")
        # A last word misheard beyond recognition ("Hey, Glacin, this miss."): the phrase is
        # the punctuated opening, when it starts like the phrase.
        first = _words(tokens[0])
        if len(wake) > 1 and first and first[0][0] == wake[0][0]:
            for n in range(min(len(wake), len(tokens) - 1), 0, -1):
                if tokens[n - 1][-1] in ",.;:!?":
                    return " ".join(tokens[n:])
        return text

    def is_question(self, text: str) -> bool:
        """True when ``text`` holds at least ``min_words`` words and is not one of the things
        recognisers say of noise."""
        words = _words(text)
        if " ".join(words) in _NOISE_TRANSCRIPTS:
            return False
        return len(words) >= self.settings.min_words


class OpenSpeechUnavailable(RuntimeError):
    """The open-speech recogniser cannot be loaded (the message is one line naming the fix);
    the listener then treats open speech as not understood and goes on."""


class _Lazy:
    """A transcriber built on its first call (loading a recogniser takes ~1 s and hundreds of
    MB: a session nobody asks anything never pays for it)."""

    def __init__(self, build: Callable[[], Transcriber]) -> None:
        self._build = build
        self._transcriber: Transcriber | None = None
        self._lock = threading.Lock()

    def __call__(self, audio: np.ndarray, *, opening: str = "") -> str:
        with self._lock:
            if self._transcriber is None:
                try:
                    self._transcriber = self._build()
                except (RuntimeError, OSError, ImportError) as exc:
                    # WhisperUnavailable, SphinxUnavailable, ModelError: all one-line.
                    raise OpenSpeechUnavailable(str(exc)) from exc
        return self._transcriber(audio, opening=opening)


def _pocketsphinx() -> Transcriber:
    from glasses.speech.dictation import transcribe

    def transcriber(audio: np.ndarray, *, opening: str = "") -> str:
        return transcribe(audio)  # its language model takes no previous text

    return transcriber


def _whisper() -> Transcriber:
    from glasses.speech.whisper_backend import OPEN_SPEECH_SETTINGS, WhisperDictation

    dictation = WhisperDictation(OPEN_SPEECH_SETTINGS)
    dictation.decoder  # noqa: B018 - load the model now, in the worker that builds this
    return dictation.transcribe


def new_open_speech(
    backend: OpenSpeechBackend, settings: OpenSpeechSettings | None = None
) -> OpenSpeech | None:
    """Open speech through ``backend`` (loaded on first use), or None for ``"off"``."""
    if backend == "off":
        return None
    if backend == "pocketsphinx":
        return OpenSpeech(_Lazy(_pocketsphinx), settings)
    if backend == "whisper":
        return OpenSpeech(_Lazy(_whisper), settings)
    raise ValueError(
        f"unknown open-speech backend {backend!r}; known: {', '.join(OPEN_SPEECH_BACKENDS)}"
    )
