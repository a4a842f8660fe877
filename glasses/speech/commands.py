"""Command recognition: a JSGF grammar of the skills' phrases, with out-of-grammar rejection.

A plain grammar maps any speech to its closest command. So every utterance (16 kHz mono int16,
the audio of one ``SpeechEnded``) is decoded twice by PocketSphinx on the bundled en-US model:

1. with the grammar (``public <command> = (scan this) | (read this) | …``);
2. with a free phone loop (``en-us-phone.lm.bin``), the best unconstrained explanation.

It is rejected when the grammar search does not end on a complete phrase (it then returns a
prefix such as "what does it"), when the grammar path scores far below the phone loop: the
log ratio of the two path scores per 1000 frames (``margin``) is at most ``min_margin``, or
when the utterance holds more speech than the command: the phone loop hears speech more than
``max_extra_ms`` after the command's words, or twice that before them (a sentence that merely
contains a command-like stretch, "where did I park the car" aligned as "clear", is no command).
Measured
on espeak speech at 15 dB SNR (4 voices): commands have at most 120 ms of such extra speech,
the sentences the grammar wrongly accepted 620–1060 ms.
In-grammar speech scores near the phone loop (``margin`` ≈ −0.4…+1), unrelated speech well
below (≈ −0.4…−1.5). The default −0.4 was set on espeak speech at 15 dB SNR (3 voices): 17 of 18
commands accepted and right, 34 of 36 out-of-grammar utterances rejected.

A phrase may hold slots (``SLOTS``: ``<number>``, ``<unit>``), JSGF rules of their own:
"set a timer for <number> <unit>" is one alternative of the grammar, and the command heard is
the words said in it. What lists command phrases to speak them (clip sets) takes a few
``samples`` of such a phrase, not its 360 forms.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from glasses.speech._sphinx import Lexicon, SphinxUnavailable
from glasses.speech.numbers import spell_number

DEFAULT_MIN_MARGIN = -0.4
DEFAULT_MAX_EXTRA_MS = 250.0
DEFAULT_MAX_PHONE_ERROR = 0.2
# The most edits per phone a transcript may be from the grammar's rejected hypothesis and still
# bear it out (``CommandRecognizer.agrees``). Measured through the listen stage on the speech
# bench's sets (espeak-ng, 10–20 dB SNR, every voice): at 0.5, 22 more of 936 "hey glasses,
# <command>" clips and 3 of 144 push-to-talk commands right, none wrong, none of 73
# out-of-grammar requests that woke taken for a command (the nearest was 0.6: "how much does
# this cost" for "how much is this"); at 0.35, 12 and 3.
DEFAULT_MAX_AGREE_ERROR = 0.5
# How long (phones, from the en-US dictionary) the words a large recogniser wrote for the wake
# phrase may be, in a transcript of an utterance that began with it ("hey glasses" has 8).
WAKE_PREFIX_PHONES = (3, 12)
# The most edits per phone of the wake phrase those words may be from it ("take lesson": 0.5).
DEFAULT_MAX_WAKE_ERROR = 0.75
# The same, to take such an opening off open speech: stricter, as no command confirms it there
# (question openings are 0.75 or more from "hey glasses": "who was the", "how tall is").
STRIP_MAX_WAKE_ERROR = 0.5
# Words around a command that do not change it ("and dismiss", "read this please").
_FILLERS = frozenset({"and", "um", "uh", "so", "oh", "okay", "please", "now"})
_FRAME_MS = 10  # PocketSphinx's frame rate: 100 frames/s
_FRAME_SAMPLES = 160  # one frame at 16 kHz
# Segment labels that are not words: silence, noise fillers, sentence marks.
_NOT_SPEECH = frozenset({"<sil>", "<s>", "</s>", "SIL", "(NULL)", "+NSN+", "+SPN+"})
_GRAMMAR = "commands"
_WAKE_LED = "wake_led"  # the grammar with the whole wake phrase (or a tail of it) before
_PHONES = "phones"


_ONES = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
_TEENS = ("ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
          "eighteen", "nineteen")  # fmt: skip
_TENS = ("twenty", "thirty", "forty", "fifty")


@dataclass(frozen=True, slots=True)
class Slot:
    """A slot a phrase may hold (``<name>``): the word strings it accepts (``values``) and
    ``samples``, a few of them for making clips."""

    values: tuple[str, ...]
    samples: tuple[str, ...]

    @property
    def jsgf(self) -> str:
        """The slot's JSGF rule body."""
        return " | ".join(self.values)


# The slots phrases may use. ``<number>``: one to fifty-nine, and sixty, in words ("forty five");
# ``<unit>``: a duration's unit. Measured as "set a timer for <number> <unit>" (espeak, 15 dB
# SNR): 31 of 32 requests right, and no more everyday sentences accepted than without it.
SLOTS: dict[str, Slot] = {
    "number": Slot(
        values=(*_ONES, *_TEENS, *_TENS, *(f"{t} {o}" for t in _TENS for o in _ONES), "sixty"),
        samples=("five", "forty five", "twelve"),
    ),
    "unit": Slot(
        values=("seconds", "second", "minutes", "minute", "hours", "hour"),
        samples=("minutes", "seconds", "hours"),
    ),
}
_SLOT_REF = re.compile(r"<([a-z_]+)>")


def _slot(name: str) -> Slot:
    try:
        return SLOTS[name]
    except KeyError:
        raise ValueError(f"unknown slot <{name}> (known: {', '.join(SLOTS)})") from None


@dataclass(frozen=True, slots=True)
class CommandPhrase:
    """One spoken form (``phrase``, lower-case words) of the intent ``intent``.

    A phrase may hold slots from ``SLOTS`` ("set a timer for <number> <unit>"): the grammar
    then accepts any of their values there, and the command heard is the words said ("set a
    timer for forty five minutes"), which the skill parses as it parses a transcript.
    """

    phrase: str
    intent: str

    @property
    def slots(self) -> tuple[str, ...]:
        """The names of the slots the phrase holds (``()`` for a fixed phrase)."""
        return tuple(_SLOT_REF.findall(self.phrase))

    @property
    def samples(self) -> tuple[str, ...]:
        """A few spoken forms, for making clips: the phrase itself if it has no slot; else
        one form per sample of its slots (the i-th form takes each slot's i-th sample)."""
        names = self.slots
        if not names:
            return (self.phrase,)
        n = max(len(_slot(name).samples) for name in names)
        out = []
        parts = _SLOT_REF.split(self.phrase)  # text, slot name, text, …
        for i in range(n):
            said = (
                part if k % 2 == 0 else _slot(part).samples[i % len(_slot(part).samples)]
                for k, part in enumerate(parts)
            )
            out.append(" ".join("".join(said).split()))
        return tuple(out)

    @property
    def words(self) -> frozenset[str]:
        """Every word the phrase can be said with (its slots' values included)."""
        return frozenset(w for part in self._parts() for alt in part for w in alt)

    def accepts(self, words: str) -> bool:
        """Whether ``words`` (normalised) is one of the phrase's spoken forms."""
        return _follow(self._parts(), tuple(words.split()), whole=True)

    def extends(self, words: str) -> bool:
        """Whether some spoken form of the phrase starts with ``words`` and goes on."""
        return _follow(self._parts(), tuple(words.split()), whole=False)

    def _parts(self) -> list[tuple[tuple[str, ...], ...]]:
        """The phrase as a sequence of parts, each the word tuples it may be said as."""
        out: list[tuple[tuple[str, ...], ...]] = []
        for i, part in enumerate(_SLOT_REF.split(self.phrase)):
            if i % 2:
                out.append(tuple(tuple(v.split()) for v in _slot(part).values))
            else:
                out += [((w,),) for w in part.split()]
        return out


def _follow(
    parts: Sequence[tuple[tuple[str, ...], ...]], words: tuple[str, ...], whole: bool
) -> bool:
    """``whole``: do ``words`` say all of ``parts``; else: do they say a proper start of them."""
    if not parts:
        return whole and not words
    if not words:
        return not whole
    for alt in parts[0]:
        if words[: len(alt)] == alt and _follow(parts[1:], words[len(alt) :], whole):
            return True
        if not whole and len(words) < len(alt) and alt[: len(words)] == words:
            return True
    return False


def spoken_samples(phrases: Iterable[CommandPhrase]) -> list[CommandPhrase]:
    """``phrases`` with each slotted one replaced by its ``samples`` (for clips: a fixed phrase
    stays as it is, so a grammar of fixed phrases gives the same list)."""
    return [CommandPhrase(text, p.intent) for p in phrases for text in p.samples]


@dataclass(frozen=True, slots=True)
class CommandResult:
    """The outcome for one utterance.

    ``intent`` and ``phrase`` are set when accepted; ``rejected`` says why not otherwise
    (``""`` when accepted). ``hypothesis`` is what the grammar search heard; ``margin`` the
    grammar-vs-phone-loop log score ratio per 1000 frames (higher is more grammar-like).
    """

    intent: str | None
    phrase: str
    hypothesis: str
    margin: float
    rejected: str = ""

    @property
    def accepted(self) -> bool:
        return self.intent is not None


def normalize(phrase: str) -> str:
    """Lower-case words only: ``"What does it say?"`` → ``"what does it say"``."""
    return " ".join(re.findall(r"[a-z']+", phrase.lower()))


def spell_digits(text: str) -> str:
    """Whole numbers 0–99 written as digits in words, as the grammar's ``<number>`` slot says
    them: ``"Set a timer for 45 minutes."`` → ``"Set a timer for forty five minutes."``;
    larger numbers, decimals ("1.5") and times ("1:30") are left as they are."""
    return re.sub(r"(?<![\d.:,])\b\d{1,2}\b(?![.:,]\d)", lambda m: spell_number(int(m[0])), text)


_Word = tuple[str, int, int]  # a decoded word, its first and last frame


def _span(words: Sequence[_Word]) -> tuple[int, int] | None:
    """The first and last frame of decoded ``words`` (None: no words)."""
    return (words[0][1], words[-1][2]) if words else None


def _tail_words(words: Sequence[str], lead: Sequence[str]) -> int:
    """How many of ``words``' first words are the longest tail of ``lead`` they start with,
    followed by more words (0: none): "hey glasses read this" and "glasses read this" after
    "hey glasses" give 2 and 1."""
    for k in range(len(lead)):
        tail = list(lead[k:])
        if list(words[: len(tail)]) == tail and len(words) > len(tail):
            return len(tail)
    return 0


def _normalize_phrase(phrase: str) -> str:
    """``normalize`` that keeps slot references: ``"Set a timer for <number> <unit>"``."""
    return " ".join(re.findall(r"<[a-z_]+>|[a-z']+", phrase.lower()))


def phrases_from_skills(skills: Iterable[Any]) -> list[CommandPhrase]:
    """Each skill's ``phrases``: a bare string maps to the skill's first intent, a phrase with
    its own ``intent`` (``glasses.assistant.triggers.Phrase``) to that one."""
    out: list[CommandPhrase] = []
    for skill in skills:
        for p in skill.phrases:
            if isinstance(p, str):
                if skill.intents:
                    out.append(CommandPhrase(_normalize_phrase(p), skill.intents[0]))
            else:
                out.append(CommandPhrase(_normalize_phrase(p.text), p.intent))
    return out


def edit_distance(a: Sequence[str], b: Sequence[str]) -> int:
    """Levenshtein distance between two sequences of tokens (phones, words)."""
    prev = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        cur = [i]
        for j, y in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x != y)))
        prev = cur
    return prev[-1]


def build_jsgf(
    phrases: Sequence[CommandPhrase], lead_in: str = "", trail: Sequence[str] = ()
) -> str:
    """The JSGF grammar accepting exactly one of ``phrases``, optionally preceded by the words
    ``lead_in`` or a tail of them ("hey glasses": "hey glasses", "glasses" or nothing), and
    optionally followed by one of the words ``trail``."""
    alternatives = " | ".join(f"( {p.phrase} )" for p in phrases)
    head = ""
    for word in lead_in.split():
        head = f"[ {head}{word} ] "
    rule = f"{head}( {alternatives} )" if lead_in else alternatives
    if trail:
        # One optional rule after all the phrases, not each phrase once per word: the search
        # costs as the phrases do (9 look-alikes × 15 words enumerated took 1.1 s a decode).
        rule = f"( {rule} ) [ {' | '.join(trail)} ]"
    slots = sorted({name for p in phrases for name in p.slots})
    rules = "".join(f"<{name}> = {_slot(name).jsgf} ;\n" for name in slots)
    return f"#JSGF V1.0;\ngrammar {_GRAMMAR};\npublic <command> = {rule} ;\n{rules}"


class CommandRecognizer:
    """Utterance → ``CommandResult`` (see the module docstring).

    ``phrases``: the spoken forms, e.g. ``phrases_from_skills(builtin_skills())``; every word
    must be in the en-US dictionary. ``min_margin``: the rejection threshold (lower accepts more).
    ``max_extra_ms``: most speech (ms) allowed after the command's words (twice that before).
    ``lead_in``: words the audio may start with before the command, or a tail of them, not
    part of it (the wake phrase: a command cut from the utterance that said the wake phrase
    may keep some of it, and is cut early rather than late so that its first word is whole).
    ``trail``: single words one of which may follow the phrase; a phrase heard with one is
    reported as the phrase (the wake check's second look, ``glasses.speech.wake_check``).
    """

    def __init__(
        self,
        phrases: Sequence[CommandPhrase],
        *,
        min_margin: float = DEFAULT_MIN_MARGIN,
        max_extra_ms: float = DEFAULT_MAX_EXTRA_MS,
        lead_in: str = "",
        wake_phrase: str = "",
        trail: Sequence[str] = (),
    ) -> None:
        if not phrases:
            raise ValueError("no command phrases: register skills with phrases")
        by_phrase: dict[str, str] = {}
        for p in phrases:
            if not p.phrase:
                raise ValueError(f"empty phrase for intent {p.intent!r}")
            other = by_phrase.setdefault(p.phrase, p.intent)
            if other != p.intent:
                raise ValueError(f"phrase {p.phrase!r} maps to intents {other} and {p.intent}")
        self.phrases = tuple(phrases)
        self.min_margin = min_margin
        self.max_extra_ms = max_extra_ms
        self.lead_in = normalize(lead_in)
        self.wake_phrase = normalize(wake_phrase)
        self.trail = tuple(dict.fromkeys(normalize(w) for w in trail))
        if any(len(w.split()) != 1 for w in self.trail):
            raise ValueError(f"trail must be single words, got {trail!r}")
        # Fixed phrases by their words; phrases with slots are matched part by part.
        self._intent_of = {p: i for p, i in by_phrase.items() if "<" not in p}
        self._slotted = tuple(p for p in phrases if p.slots)
        self._phones: dict[str, list[str]] = {}  # ``_phrase_phones``
        # The decoder gets the grammar's words only (6 MB instead of 28 with the whole en-US
        # dictionary: the same searches, bit for bit); pronounce() reads any other word's.
        self._lexicon = Lexicon()
        words = {w for p in (*self._intent_of, self.lead_in, self.wake_phrase) for w in p.split()}
        words |= set(self.trail)
        words |= {w for p in self._slotted for w in p.words}
        lines = self._lexicon.entries(words)
        missing = sorted(words - lines.keys())
        if missing:
            raise SphinxUnavailable(
                f"command words not in the en-US dictionary: {', '.join(missing)}"
                " — rephrase the skill's phrases"
            )
        self._decoder: Any = self._lexicon.decoder(
            (line for w in sorted(lines) for line in lines[w]), lm=None
        )
        self._decoder.add_jsgf_string(_GRAMMAR, build_jsgf(self.phrases, self.lead_in, self.trail))
        if self.wake_phrase:
            self._decoder.add_jsgf_string(_WAKE_LED, build_jsgf(self.phrases, self.wake_phrase))
        import pocketsphinx

        phone_lm = os.path.join(pocketsphinx.get_model_path(), "en-us", "en-us-phone.lm.bin")
        self._decoder.add_allphone_file(_PHONES, phone_lm)

    def _decode(self, search: str, audio: np.ndarray) -> tuple[str, float, int, list[_Word]]:
        """(hypothesis, path score, frames, its words with their first and last frames)."""
        d = self._decoder
        d.activate_search(search)
        d.start_utt()
        d.process_raw(np.ascontiguousarray(audio, dtype=np.int16).tobytes(), False, True)
        d.end_utt()
        hyp = d.hyp()
        frames = max(1, int(d.n_frames()))
        if hyp is None:
            return "", 0.0, frames, []
        words = [
            (seg.word.split("(")[0], int(seg.start_frame), int(seg.end_frame))
            for seg in d.seg()
            if seg.word not in _NOT_SPEECH and not seg.word.startswith(("<", "["))
        ]
        return str(hyp.hypstr), float(hyp.score), frames, words

    def wake_phrase_end(self, audio: np.ndarray) -> int:
        """Where (samples into ``audio``, 16 kHz mono int16) the wake phrase the audio starts
        with ends, as the grammar with ``wake_phrase`` before the commands aligns it (a grammar
        pass, about a tenth of ``recognize``'s cost); 0 when it hears none of it there."""
        if not self.wake_phrase:
            raise ValueError("no wake_phrase: construct with wake_phrase='hey glasses'")
        words = self._decode(_WAKE_LED, audio)[3]
        n = _tail_words([word for word, _, _ in words], self.wake_phrase.split())
        return min(len(audio), (words[n - 1][2] + 1) * _FRAME_SAMPLES) if n else 0

    def continued(self, phrase: str) -> bool:
        """Does a longer phrase of the grammar start with ``phrase``'s words ("stop" and "stop
        captions")? Then hearing ``phrase`` says nothing of whether the speaker is done."""
        if any(other.startswith(phrase + " ") for other in self._intent_of):
            return True
        return any(p.extends(phrase) for p in self._slotted)

    def intent_of(self, phrase: str) -> str:
        """The intent of words the grammar accepts, a fixed phrase or a slotted one's spoken
        form ("set a timer for forty five minutes"); ``KeyError`` for any other text."""
        intent = self._lookup(phrase)
        if intent is None:
            raise KeyError(phrase)
        return intent

    def _lookup(self, words: str) -> str | None:
        """The intent of ``words`` if the grammar accepts them, else None."""
        intent = self._intent_of.get(words)
        if intent is not None or not words:
            return intent
        return next((p.intent for p in self._slotted if p.accepts(words)), None)

    def pronounce(self, text: str) -> list[str] | None:
        """The phones of ``text``'s words in the en-US dictionary (None if a word is not in
        it)."""
        phones: list[str] = []
        for word in normalize(text).split():
            pron = self._decoder.lookup_word(word) or self._lexicon.lookup(word)
            if pron is None:
                return None
            phones += str(pron).split()
        return phones

    def match_text(self, text: str, *, max_phone_error: float = DEFAULT_MAX_PHONE_ERROR) -> str:
        """The command phrase that ``text`` (a large recogniser's transcript) is, or "".

        Exact words match; otherwise the phones of the whole text must be within
        ``max_phone_error`` (edits per phone of the phrase) of one phrase's, and nearer to it
        than to any other: Whisper writes an espeak "dismiss" as "This miss." (1 edit in 6).
        A sentence that merely contains a command is far from it and never matches. A phrase
        with slots matches word for word only: a number one sound from another is another
        timer. A transcript's numbers below 100 are read as the grammar's number words ("Set a
        timer for 7 minutes." is "set a timer for seven minutes"): Whisper writes digits.
        """
        tokens = normalize(spell_digits(text)).split()
        while tokens and tokens[0] in _FILLERS:
            tokens = tokens[1:]
        while tokens and tokens[-1] in _FILLERS:
            tokens = tokens[:-1]
        words = " ".join(tokens)
        if self._lookup(words) is not None:
            return words
        heard = self.pronounce(words)
        if not heard:
            return ""
        scored = sorted((error, phrase) for phrase, error in self._phrase_errors(heard).items())
        best, phrase = scored[0]
        if best > max_phone_error or (len(scored) > 1 and scored[1][0] == best):
            return ""
        return phrase

    def agrees(
        self, text: str, phrase: str, *, max_phone_error: float = DEFAULT_MAX_AGREE_ERROR
    ) -> bool:
        """Does ``text``, a large recogniser's transcript, bear out ``phrase``, the grammar's
        hypothesis on the same speech that its margin rejected? The transcript's phones must
        be within ``max_phone_error`` edits per phone of the phrase's, and nearer to it than to
        any other phrase ("Yes, miss" for "dismiss", "console" for "cancel"). Fixed phrases
        only: a timer's number one sound from another is another timer."""
        if phrase not in self._intent_of:
            return False
        heard = self.pronounce(spell_digits(text))
        if not heard:
            return False
        errors = self._phrase_errors(heard)
        error = errors.pop(phrase)
        return error <= max_phone_error and all(error < other for other in errors.values())

    def _phrase_errors(self, heard: list[str]) -> dict[str, float]:
        """Each fixed phrase's distance from the phones ``heard``: edits per phone of the
        phrase."""
        errors = {}
        for phrase in self._intent_of:
            ref = self._phrase_phones(phrase)
            errors[phrase] = edit_distance(ref, heard) / max(1, len(ref))
        return errors

    def _phrase_phones(self, phrase: str) -> list[str]:
        """A fixed phrase's phones, looked up once (``match_text`` compares every transcript
        with every phrase, and ``match_after_wake`` several tails of one transcript)."""
        phones = self._phones.get(phrase)
        if phones is None:
            phones = self._phones[phrase] = self.pronounce(phrase) or []
        return phones

    def match_after_wake(
        self, text: str, wake_phrase: str, *, max_wake_error: float = DEFAULT_MAX_WAKE_ERROR
    ) -> str:
        """The command phrase at the end of ``text``, a large recogniser's transcript of an
        utterance that began with ``wake_phrase`` ("hey glasses cancel"), or "".

        The whole text is matched first (``match_text``). Whisper often writes the wake phrase
        as other words ("K-gloss and dismiss.", "Take lesson, scan this"): then the words after
        a leading stretch that sounds like the wake phrase (within ``max_wake_error`` edits per
        phone of it, and 3–12 phones long) are matched as ``match_text`` matches. "The sky is"
        (7 of 8 phones wrong) is not a wake phrase, so "…the sky is clear" is no "clear".
        Only for transcripts in which the wake phrase was not found as written, of utterances
        in which the spotter heard it: elsewhere it would find commands at the ends of
        sentences. On the speech bench's wake clips (espeak-ng, 10–20 dB SNR) it turned 20
        more of 828 utterances into their command, and none of 80 out-of-grammar ones.
        """
        whole = self.match_text(text)
        if whole:
            return whole
        words = normalize(text).split()
        for k, error in self._wake_openings(words, wake_phrase):
            if error <= max_wake_error and (command := self.match_text(" ".join(words[k:]))):
                return command
        return ""

    def after_wake_like(
        self, text: str, wake_phrase: str, *, max_wake_error: float = STRIP_MAX_WAKE_ERROR
    ) -> str:
        """``text`` without an opening that sounds like ``wake_phrase``, as lower-case words
        ("I A-glass and remember my car is on level three" → "remember my car is on level
        three"); ``text`` itself when it has none. The opening: the leading words (3–12 phones)
        nearest to the wake phrase, within ``max_wake_error`` edits per phone of it; fillers
        after it ("and") go too. For transcripts of utterances the spotter heard the wake
        phrase begin, whose transcript does not spell it (``match_after_wake``'s case)."""
        words = normalize(text).split()
        # The nearest opening; the shorter of two as near.
        near = [(error, k) for k, error in self._wake_openings(words, wake_phrase)]
        best = min((o for o in near if o[0] <= max_wake_error), default=None)
        if best is None:
            return text
        rest = words[best[1] :]
        while rest and rest[0] in _FILLERS:
            rest = rest[1:]
        return " ".join(rest) if rest else text

    def _wake_openings(self, words: list[str], wake_phrase: str) -> Iterator[tuple[int, float]]:
        """(k, error) for each opening ``words[:k]`` as long as a wake phrase could be
        (``WAKE_PREFIX_PHONES``), shortest first, with its edits per phone of ``wake_phrase``;
        stops at a word not in the dictionary or past the longest opening."""
        wake = self.pronounce(wake_phrase)
        if not wake:
            return
        low, high = WAKE_PREFIX_PHONES
        phones: list[str] = []
        for k, word in enumerate(words[:-1], start=1):
            more = self.pronounce(word)
            if more is None:
                return  # a word we cannot measure: no telling where the wake phrase ends
            phones += more
            if len(phones) > high:
                return
            if len(phones) >= low:
                yield k, edit_distance(wake, phones) / len(wake)

    def _grammar_pass(
        self, audio: np.ndarray
    ) -> tuple[str, str | None, float, int, tuple[int, int] | None]:
        """The grammar search on ``audio``: (what it heard, normalised and without
        ``lead_in``; its intent or None; path score; frames decoded; frames of its words)."""
        hyp, score, frames, heard = self._decode(_GRAMMAR, audio)
        words = normalize(hyp).split()
        words = words[_tail_words(words, self.lead_in.split()) :]
        hyp = " ".join(words)
        intent = self._lookup(hyp)
        if intent is None and len(words) > 1 and words[-1] in self.trail:
            hyp = " ".join(words[:-1])  # the phrase, then a ``trail`` word: the phrase heard
            intent = self._lookup(hyp)
        return hyp, intent, score, frames, _span(heard)

    def heard_phrase(self, audio: np.ndarray) -> str:
        """The grammar search alone on 16 kHz mono int16 ``audio``: the complete phrase it
        ends on (normalised, ``lead_in`` removed), or "" when it ends on none. No phone-loop
        pass (about nine tenths of ``recognize``'s cost), so no margin and no check for
        speech around the phrase."""
        return self.scored_phrase(audio)[0]

    def scored_phrase(self, audio: np.ndarray) -> tuple[str, float]:
        """``heard_phrase`` with its path's log score per 1000 frames (−inf when it ends on no
        phrase). Two grammars' scores on the same audio compare as ``recognize``'s margin
        compares the grammar with the phone loop: by their difference."""
        hyp, intent, score, frames, _ = self._grammar_pass(audio)
        if intent is None:
            return "", -math.inf
        # The binding reports path scores as probabilities (see ``recognize``).
        return hyp, 1000.0 * math.log(score) / frames if score > 0.0 else -math.inf

    def recognize(self, audio: np.ndarray) -> CommandResult:
        """Decode one utterance of 16 kHz mono int16 audio."""
        hyp, intent, g_score, _, command_span = self._grammar_pass(audio)
        if intent is None:
            why = "no speech recognised" if not hyp else "not a complete command"
            return CommandResult(None, "", hyp, -math.inf, rejected=why)
        _, p_score, frames, phones = self._decode(_PHONES, audio)
        speech_span = _span(phones)
        # The Python binding reports path scores as probabilities (exp of the log score):
        # their log ratio is the score difference.
        if g_score <= 0.0 or p_score <= 0.0:
            margin = -math.inf
        else:
            margin = 1000.0 * math.log(g_score / p_score) / frames
        if margin <= self.min_margin:
            return CommandResult(None, "", hyp, margin, rejected="out of grammar")
        if command_span is not None and speech_span is not None:
            # Leading speech gets twice the allowance: a command cut after the wake phrase
            # may keep the phrase's last sounds.
            before = max(0, command_span[0] - speech_span[0]) * _FRAME_MS
            after = max(0, speech_span[1] - command_span[1]) * _FRAME_MS
            if after > self.max_extra_ms or before > 2 * self.max_extra_ms:
                return CommandResult(None, "", hyp, margin, rejected="more than a command")
        return CommandResult(intent, hyp, hyp, margin)
