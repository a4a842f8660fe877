"""The speech benchmark's synthetic corpus: which voices speak it, and what they say.

Voices come in two sets, so a wake-word model trained on espeak speech is measured on voices it
never heard:

- ``TRAINING_VOICES``: every ``TRAINING_ACCENTS`` × ``TRAINING_VARIANTS`` pair. A trainer may
  use any of them (and nothing else of espeak's English).
- ``HELD_OUT_VOICES``: accents and variants that appear in no training voice. A trainer must
  exclude them (``is_held_out``); the bench reports its headline wake figures on them.

The bench speaks in ``BENCH_VOICES`` (four training voices and every held-out one) at
``RATES_WPM``; every clip is deterministic (seeded noise, cached synthesis). Other
synthesisers speak two more groups of sets, each voice only where its synthesiser is installed:

- ``OTHER_SETS``, the held-out other synthesisers: ``HELD_OUT_OTHER_VOICES`` (Flite's ``slt``,
  Festival's ``ked`` and ``slt_hts``; Debian packages, ``glasses.speech.system_tts``), whose
  speakers and one whole synthesiser no wake training heard;
- ``PIPER_SETS``: Piper's ``PIPER_VOICES`` (the optional ``piper`` extra), a *training* voice
  of the wake word since it learned from ``TRAINING_OTHER_VOICES``: not held out.

The sets (``SETS``), per voice/rate pair unless said otherwise:

- ``wake``: "hey glasses" alone and "hey glasses, <command>" for every skill phrase, in white
  noise at 10–20 dB SNR;
- ``wake_clean``: "hey glasses" and one command after it at 40–60 dB SNR, with digital
  silence before and after (what a noise-suppressing microphone delivers);
- ``no_pause``: "hey glasses <command>" in one breath (no comma: espeak makes no pause);
- ``command``: ``COMMANDS_PER_PAIR`` bare skill phrases (for push to talk);
- ``oog_wake``: "hey glasses, <sentence>" for every ``NEAR_MISSES`` and ``EVERYDAY`` sentence
  that no skill phrase accepts (out of grammar after the wake phrase);
- ``oog``: the same sentences alone, each in two pairs (speech that must not wake);
- ``dictation``: ``DICTATION`` sentences, each in two pairs;
- ``wake_other``: "hey glasses" alone and "hey glasses, <command>" for every skill phrase at
  10–20 dB SNR, ``wake_clean_other``: as ``wake_clean``, and ``command_other``: every skill
  phrase bare (push to talk), in the available ``HELD_OUT_OTHER_VOICES``;
- ``wake_piper``: as ``wake_other``, and ``command_piper``: every skill phrase bare, in the
  Piper voices (a training voice).

``DistractorStream`` makes hours of unrelated speech for false accepts from a small pool.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np

from glasses.speech.commands import normalize, spoken_samples

if TYPE_CHECKING:
    from glasses.speech.commands import CommandPhrase

Progress = Callable[[str], None]

# espeak-ng voice names: an accent, optionally "+variant" (``glasses.speech.tts.synthesize``).
TRAINING_ACCENTS = ("en-us", "en", "en-gb-x-rp")  # espeak-ng's "en" is British English
TRAINING_VARIANTS = ("", "f1", "f2", "f3", "m1", "m2", "m3", "m4", "Alex", "klatt")
TRAINING_VOICES = tuple(
    f"{accent}+{variant}" if variant else accent
    for accent in TRAINING_ACCENTS
    for variant in TRAINING_VARIANTS
)
HELD_OUT_ACCENTS = ("en-gb-scotland", "en-029", "en-us-nyc", "en-gb-x-gbclan")
HELD_OUT_VARIANTS = ("f4", "f5", "m5", "m6", "m7", "Annie", "belinda", "steph")
HELD_OUT_VOICES = (
    "en-gb-scotland+m7",
    "en-029+f4",
    "en-us-nyc+m5",
    "en-gb-x-gbclan+f5",
    "en-gb-scotland+Annie",
    "en-029+m6",
    "en-us-nyc+belinda",
    "en-gb-x-gbclan+steph",
)
# The training voices the bench speaks in, beside all the held-out ones (the four the bench
# used before the voice sets were split, so its figures stay comparable).
BENCH_TRAINING_VOICES = ("en-us", "en-us+f3", "en", "en-us+m3")
BENCH_VOICES = BENCH_TRAINING_VOICES + HELD_OUT_VOICES


# Piper voices (``glasses.speech.piper_tts``, the optional ``piper`` extra).
PIPER_VOICES = ("piper:joe",)
# Voices of other synthesisers (``glasses.speech.piper_tts``, ``glasses.speech.system_tts``):
# the wake word trains on the first set and never hears the second, whose speakers (CMU
# ARCTIC's slt, Festival's ked) and one whole synthesiser (Festival) it has never met.
# ("festival:kal" is in neither: Flite's kal is the same speaker.)
TRAINING_OTHER_VOICES = ("piper:joe", "flite:kal", "flite:kal16", "flite:awb", "flite:rms")
HELD_OUT_OTHER_VOICES = ("flite:slt", "festival:ked", "festival:slt_hts")


def is_held_out(voice: str) -> bool:
    """True if ``voice`` has a held-out accent or a held-out variant, or is one of the
    ``HELD_OUT_OTHER_VOICES`` (a trainer must skip it)."""
    if voice.startswith(("piper:", "flite:", "festival:")):
        return voice in HELD_OUT_OTHER_VOICES
    accent, _, variant = voice.partition("+")
    return accent in HELD_OUT_ACCENTS or variant in HELD_OUT_VARIANTS


RATE = 16_000
RATES_WPM = (140, 170, 200)
SNR_DB = (10.0, 20.0)  # speech over white noise: the noisy sets and the distractor stream
CLEAN_SNR_DB = (40.0, 60.0)  # the clean set: noise under the speech only, digital silence around
PAD_S = 0.3  # noise (or silence) before and after each clip's speech
SEED = 20_240
COMMANDS_PER_PAIR = 4  # command clips per voice/rate pair (rotating through the phrases)
NO_PAUSE_PER_PAIR = 2
OOG_WAKE_PAIRS_PER_SENTENCE = 1
OOG_PAIRS_PER_SENTENCE = 2
DICTATION_PAIRS_PER_SENTENCE = 2
STREAM_NOISE_RMS = 300.0  # the distractor stream's constant noise floor (int16 units)
WARMUP_SPEECH_S = 12.0  # > the listen stage's COLD_SPOTTER_S (10 s)
STREAM_POOL_PAIRS = 2  # voice/rate pairs each EVERYDAY sentence is synthesised in for the stream
# The distractor stream's look-alikes: before each sentence it places, one of
# ``LOOK_ALIKE_SENTENCES`` with this chance, a minute apart at least (``wake_figures``' dense
# stream: the same chance, at most one in each minute).
STREAM_LOOK_ALIKE_CHANCE = 0.04
LOOK_ALIKE_SPAN_S = 3.0  # a false accept this soon after a look-alike starts is blamed on it

NEAR_MISSES = (
    # Close to the wake phrase or to a command: out-of-grammar clips, not the stream.
    "hello class",
    "these glasses are great",
    "hey guys",
    "hey there how are you",
    "my glasses are on the table",
    "where did I put my glasses",
    "hey grab the glasses for me",
    "the glass is half full",
    "read me a story",
    "read a book",
    "scan the room for my keys",
    "take a walk with me",
    "clear the table please",
    "what does it mean",
    "dismissed the class early",
    "take a picture of the sunset later",
)

# The NEAR_MISSES that sound like the wake phrase: the distractor stream's look-alikes.
LOOK_ALIKE_SENTENCES = NEAR_MISSES[:8]

EVERYDAY = (
    # Unrelated speech: out-of-grammar clips and the distractor stream.
    "the weather is nice today",
    "please pass the salt",
    "good morning",
    "set a timer for five minutes",
    "what time is it",
    "I will be home late tonight",
    "can you call me back later",
    "let us grab lunch at noon",
    "the train leaves in ten minutes",
    "turn left at the next corner",
    "did you see the game last night",
    "I need to buy some milk and bread",
    "the meeting has been moved to thursday",
    "this coffee is too hot",
    "open the window a little",
    "the kids are playing outside",
    "my phone battery is almost dead",
    "how much does this cost",
    "I think it is going to rain",
    "the library closes at six",
    "thank you very much",
    "see you tomorrow",
    "that sounds like a plan",
    "could you repeat that",
    "the dog wants to go out",
    "traffic was terrible this morning",
    "let me check my calendar",
    "where is the nearest bus stop",
    "we are out of coffee",
    "I like your new haircut",
    "the restaurant on the corner is closed on mondays",
    "have you finished the report yet",
    "my sister is visiting next weekend",
    "the printer is out of paper again",
    "we should leave before the traffic gets bad",
    "I forgot my umbrella at the office",
    "the movie was better than the book",
    "can we move the call to three o'clock",
    "the bakery sells fresh bread every morning",
    "I am going for a run after work",
    "the tickets are sold out",
    "put the leftovers in the fridge",
    "the garden needs watering",
    "he is running a little late",
    "the elevator is out of order",
    "we had pasta for dinner",
    "the concert starts at eight",
    "my neighbour has a new car",
    "the bus was full this morning",
    "I will send you the address",
    "the shop opens at ten on sundays",
    "she plays the piano very well",
    "the museum is free on the first friday",
    "we need to book the hotel soon",
    "the cat is sleeping on the sofa",
    "do you want tea or coffee",
    "the road is closed for repairs",
    "I can't find the remote control",
    "the flight was delayed by an hour",
    "let us meet at the station",
    "the soup needs a little more salt",
    "he fixed the bike yesterday",
    "the lecture was really interesting",
    "it is colder than yesterday",
)

DICTATION = (
    "the quick brown fox jumps over the lazy dog",
    "please remind me to call my mother tomorrow",
    "the meeting starts at nine in the morning",
    "i would like a cup of coffee with milk",
    "we went to the park on sunday afternoon",
    "it is going to rain later this week",
    "can you tell me the way to the station",
    "she bought a new pair of shoes yesterday",
    "the children are reading books in the library",
    "turn off the lights when you leave the room",
)

Kind = Literal[
    "wake", "wake_clean", "no_pause", "command", "oog_wake", "oog", "dictation", "warmup",
    "wake_other", "wake_clean_other", "command_other", "wake_piper", "command_piper",
]  # fmt: skip
SETS: tuple[Kind, ...] = (
    "wake",
    "wake_clean",
    "no_pause",
    "command",
    "oog_wake",
    "oog",
    "dictation",
)
CLEAN_SETS: tuple[Kind, ...] = ("wake_clean", "wake_clean_other")  # digital silence around


@dataclass(frozen=True, slots=True)
class VoiceSets:
    """The sets another synthesiser's voices speak, per voice/rate pair: ``wake`` ("hey
    glasses" and "hey glasses, <command>" for every skill phrase, 10–20 dB SNR), ``clean`` (if
    any: "hey glasses" and one "hey glasses, <command>" at 40–60 dB between digital silence)
    and ``command`` (every skill phrase bare, push to talk). ``tag``: the first number of their
    clips' noise seeds (``tag``, ``tag + 1`` and ``tag + 2``)."""

    wake: Kind
    command: Kind
    clean: Kind | None
    tag: int

    @property
    def kinds(self) -> tuple[Kind, ...]:
        return (self.wake, *((self.clean,) if self.clean else ()), self.command)


OTHER = VoiceSets("wake_other", "command_other", "wake_clean_other", 10)
PIPER = VoiceSets("wake_piper", "command_piper", None, 8)
OTHER_SETS = OTHER.kinds  # the held-out other synthesisers
PIPER_SETS = PIPER.kinds  # Piper: a training voice, not held out


@dataclass(frozen=True, slots=True)
class Clip:
    """One utterance. ``audio``: 16 kHz int16, ``PAD_S`` of the noise floor (or digital silence)
    before and after the speech; ``speech_end``: the sample just after the last voiced one;
    ``noise_rms``: the floor's RMS (int16 units, 0.0 for digital silence), which the gaps
    between clips continue; ``intent``: the command it carries, if any."""

    kind: Kind
    text: str
    voice: str
    rate_wpm: int
    snr_db: float
    audio: np.ndarray = field(repr=False)
    speech_end: int
    noise_rms: float
    intent: str | None = None

    @property
    def held_out(self) -> bool:
        """Spoken in a voice no wake-word training may use."""
        return is_held_out(self.voice)

    @property
    def duration_s(self) -> float:
        return len(self.audio) / RATE


@dataclass(frozen=True, slots=True)
class Corpus:
    """The clips of each set (``SETS``, and ``OTHER_SETS`` and ``PIPER_SETS`` where their
    voices are installed), the espeak-ng voice/rate ``pairs``, the TTS cache, and the
    ``HELD_OUT_OTHER_VOICES`` that spoke the ``OTHER_SETS``."""

    clips: dict[Kind, list[Clip]]
    pairs: list[tuple[str, int]]
    cache_dir: Path | None = None
    other_voices: tuple[str, ...] = ()

    def __getitem__(self, kind: Kind) -> list[Clip]:
        return self.clips.get(kind, [])

    def describe(self) -> str:
        held = sum(1 for v in dict.fromkeys(v for v, _ in self.pairs) if is_held_out(v))
        voices = len(dict.fromkeys(v for v, _ in self.pairs))
        rates = "/".join(str(r) for r in dict.fromkeys(r for _, r in self.pairs))
        counts = ", ".join(f"{len(c)} {k}" for k, c in self.clips.items())
        other = (
            f"; held-out other voices {', '.join(self.other_voices)} for {', '.join(OTHER_SETS)}"
            if any(self.clips.get(k) for k in OTHER_SETS)
            else "; held-out other voices: none installed"
        )
        piper = (
            f"; Piper {', '.join(PIPER_VOICES)} (a training voice) for {' and '.join(PIPER_SETS)}"
            if any(self.clips.get(k) for k in PIPER_SETS)
            else "; Piper: not installed"
        )
        return (
            f"espeak-ng, {voices} voices ({held} held out from wake training) at {rates} wpm, "
            f"white noise at {SNR_DB[0]:g}–{SNR_DB[1]:g} dB SNR (clean set "
            f"{CLEAN_SNR_DB[0]:g}–{CLEAN_SNR_DB[1]:g} dB between digital silence), seeded"
            f"{other}{piper}; clips: {counts}"
        )


def voice_rate_pairs(voices: Sequence[str] = BENCH_VOICES) -> list[tuple[str, int]]:
    """Every (voice, rate) once, ordered so neighbours differ in both (a rotation through the
    list, or an evenly spaced subset, mixes voices and rates)."""
    nv, nr = len(voices), len(RATES_WPM)
    pairs = [(voices[i % nv], RATES_WPM[(i // nv + i) % nr]) for i in range(nv * nr)]
    if len(set(pairs)) != len(pairs):  # the rotation is not a permutation for these sizes
        pairs = list(itertools.product(voices, RATES_WPM))
    return pairs


@dataclass(frozen=True, slots=True)
class _Spec:
    kind: Kind
    text: str
    pair: tuple[str, int]
    key: tuple[int, ...]
    intent: str | None = None


def _spread(items: list[_Spec], limit: int | None) -> list[_Spec]:
    """At most ``limit`` items, evenly spaced (so a small corpus still mixes voices)."""
    if limit is None or len(items) <= limit:
        return items
    picks = np.linspace(0, len(items) - 1, max(0, limit)).round().astype(int)
    return [items[i] for i in dict.fromkeys(int(i) for i in picks)]


def _specs(
    phrases: Sequence[CommandPhrase], wake_phrase: str, pairs: list[tuple[str, int]]
) -> dict[Kind, list[_Spec]]:
    grammar = phrases
    phrases = spoken_samples(phrases)  # a phrase with slots as a few of its forms
    n, m = len(pairs), len(phrases)
    out: dict[Kind, list[_Spec]] = {kind: [] for kind in SETS}
    for p, pair in enumerate(pairs):
        out["wake"].append(_Spec("wake", wake_phrase, pair, (1, p, 0)))
        for c, phrase in enumerate(phrases, 1):
            text = f"{wake_phrase}, {phrase.phrase}"
            out["wake"].append(_Spec("wake", text, pair, (1, p, c), phrase.intent))
        out["wake_clean"].append(_Spec("wake_clean", wake_phrase, pair, (2, p, 0)))
        phrase = phrases[p % m]
        text = f"{wake_phrase}, {phrase.phrase}"
        out["wake_clean"].append(_Spec("wake_clean", text, pair, (2, p, 1), phrase.intent))
        for k in range(NO_PAUSE_PER_PAIR):
            phrase = phrases[(p * NO_PAUSE_PER_PAIR + k) % m]
            text = f"{wake_phrase} {phrase.phrase}"  # one breath: no comma, no pause
            out["no_pause"].append(_Spec("no_pause", text, pair, (3, p, k), phrase.intent))
        for k in range(COMMANDS_PER_PAIR):
            phrase = phrases[(p * COMMANDS_PER_PAIR + k) % m]
            out["command"].append(_Spec("command", phrase.phrase, pair, (4, p, k), phrase.intent))
    turn = itertools.count()
    for j, text in enumerate(NEAR_MISSES + EVERYDAY):
        # A sentence the grammar holds ("what time is it", and "set a timer for five minutes"
        # since the timer is a grammar command) is no out-of-grammar speech: hearing it as
        # its command is right. Its turns are still taken, so the other clips keep their voices.
        out_of_grammar = not any(p.accepts(normalize(text)) for p in grammar)
        for k in range(min(OOG_WAKE_PAIRS_PER_SENTENCE, n)):
            pair = pairs[next(turn) % n]
            if out_of_grammar:
                spec = _Spec("oog_wake", f"{wake_phrase}, {text}", pair, (5, j, k))
                out["oog_wake"].append(spec)
        for k in range(min(OOG_PAIRS_PER_SENTENCE, n)):
            pair = pairs[next(turn) % n]
            if out_of_grammar:
                out["oog"].append(_Spec("oog", text, pair, (6, j, k)))
    for j, text in enumerate(DICTATION):
        for k in range(min(DICTATION_PAIRS_PER_SENTENCE, n)):
            out["dictation"].append(_Spec("dictation", text, pairs[next(turn) % n], (7, j, k)))
    return out


def _other_specs(
    phrases: Sequence[CommandPhrase],
    wake_phrase: str,
    pairs: list[tuple[str, int]],
    sets: VoiceSets,
) -> dict[Kind, list[_Spec]]:
    """``sets`` (``OTHER`` or ``PIPER``) for another synthesiser's voice/rate ``pairs``."""
    out: dict[Kind, list[_Spec]] = {kind: [] for kind in sets.kinds}
    phrases = spoken_samples(phrases)
    m = len(phrases)
    for p, pair in enumerate(pairs):
        out[sets.wake].append(_Spec(sets.wake, wake_phrase, pair, (sets.tag, p, 0)))
        for c, phrase in enumerate(phrases, 1):
            text = f"{wake_phrase}, {phrase.phrase}"
            out[sets.wake].append(_Spec(sets.wake, text, pair, (sets.tag, p, c), phrase.intent))
            key = (sets.tag + 1, p, c)
            out[sets.command].append(_Spec(sets.command, phrase.phrase, pair, key, phrase.intent))
        if sets.clean is not None:
            out[sets.clean].append(_Spec(sets.clean, wake_phrase, pair, (sets.tag + 2, p, 0)))
            phrase = phrases[p % m]
            text = f"{wake_phrase}, {phrase.phrase}"
            key = (sets.tag + 2, p, 1)
            out[sets.clean].append(_Spec(sets.clean, text, pair, key, phrase.intent))
    return out


def installed_voices(voices: Sequence[str]) -> tuple[str, ...]:
    """The ``voices`` that can be spoken here (``glasses.speech.tts.check_voice`` passes: for
    Flite and Festival, ``system_tts.check_voice``; the program and voice are installed)."""
    from glasses.speech.tts import TtsError, check_voice

    found = []
    for voice in voices:
        try:
            check_voice(voice)
        except TtsError:
            continue  # not installed here: its sets are left out, their figures None
        found.append(voice)
    return tuple(found)


def piper_available() -> bool:
    """Whether the optional ``piper`` extra (piper-tts and its voices) is installed."""
    from glasses.speech import piper_tts

    return piper_tts.available()


def _last_sound(speech: np.ndarray) -> int:
    """Index just after the last sample above 2 % of the peak (espeak trails some silence)."""
    if not len(speech):
        return 0
    level = np.abs(speech.astype(np.int32))
    loud = np.flatnonzero(level > 0.02 * int(level.max()))
    return int(loud[-1]) + 1 if len(loud) else len(speech)


def _rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(x.astype(np.float64) ** 2))) if len(x) else 0.0


def to_int16(x: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(x), -32768, 32767).astype(np.int16)


def _synth(spec: _Spec, cache_dir: Path | None) -> Clip:
    from glasses.speech.tts import synthesize_16k

    voice, rate = spec.pair
    rng = np.random.default_rng([SEED, *spec.key])
    clean = spec.kind in CLEAN_SETS
    snr = round(float(rng.uniform(*(CLEAN_SNR_DB if clean else SNR_DB))), 1)
    speech = synthesize_16k(spec.text, voice=voice, rate_wpm=rate, cache_dir=cache_dir)
    noise_rms = max(_rms(speech), 1.0) / 10 ** (snr / 20)
    pad = int(PAD_S * RATE)
    x = np.concatenate([np.zeros(pad), speech.astype(np.float64), np.zeros(pad)])
    if clean:  # noise under the speech only: digital silence around it
        x[pad : pad + len(speech)] += rng.normal(0.0, noise_rms, len(speech))
    else:
        x += rng.normal(0.0, noise_rms, len(x))
    return Clip(
        spec.kind, spec.text, voice, rate, snr, to_int16(x), pad + _last_sound(speech),
        0.0 if clean else noise_rms, spec.intent,
    )  # fmt: skip


def build_corpus(
    phrases: Sequence[CommandPhrase],
    wake_phrase: str,
    *,
    limit: int | None = None,
    cache_dir: Path | None = None,
    other_voices: Sequence[str] | None = None,
    piper: bool | None = None,
    progress: Progress = print,
) -> Corpus:
    """Synthesise (or load from the TTS cache) every clip of every set; ``limit``: at most that
    many clips per set, evenly spaced. ``other_voices``: the voices of the ``OTHER_SETS``
    (None: the installed ``HELD_OUT_OTHER_VOICES``; empty: no such sets). ``piper``: add the
    ``PIPER_SETS`` (None: when the ``piper`` extra is installed)."""
    pairs = voice_rate_pairs()
    specs = _specs(phrases, wake_phrase, pairs)
    others = tuple(
        installed_voices(HELD_OUT_OTHER_VOICES) if other_voices is None else other_voices
    )
    if others:
        specs |= _other_specs(phrases, wake_phrase, voice_rate_pairs(others), OTHER)
    if piper is None:
        piper = piper_available()
    if piper:
        specs |= _other_specs(phrases, wake_phrase, voice_rate_pairs(PIPER_VOICES), PIPER)
    sets = {kind: _spread(items, limit) for kind, items in specs.items()}
    total = sum(len(s) for s in sets.values())
    progress(
        f"synthesising {total} clips ({', '.join(f'{len(s)} {k}' for k, s in sets.items())}) "
        f"with espeak-ng, {len(BENCH_VOICES)} voices × {len(RATES_WPM)} rates"
        + (f", {', '.join(others)} × {len(RATES_WPM)} rates" if others else "")
        + (f", and Piper, {len(PIPER_VOICES)} voice × {len(RATES_WPM)} rates" if piper else "")
        + " (cached) …"
    )
    clips = {kind: [_synth(spec, cache_dir) for spec in specs] for kind, specs in sets.items()}
    return Corpus(clips, pairs, cache_dir, others)


def warmup_clips(
    phrases: Sequence[CommandPhrase], wake_phrase: str, *, cache_dir: Path | None = None
) -> list[Clip]:
    """The utterances that open every session, in the first training voice at 170 wpm: the
    wake phrase and the first command (the stages load their models on it), then ``DICTATION``
    sentences until ``WARMUP_SPEECH_S`` of speech (the listen stage's streaming spotter has
    settled: the steady state of glasses being worn, not their first seconds)."""
    pair = (BENCH_TRAINING_VOICES[0], 170)
    first = spoken_samples(phrases)[0]
    clips = [
        _synth(
            _Spec("warmup", f"{wake_phrase}, {first.phrase}", pair, (0, 0), first.intent), cache_dir
        )
    ]
    for j, text in enumerate(itertools.cycle(DICTATION), 1):
        if sum(c.speech_end for c in clips) >= WARMUP_SPEECH_S * RATE:
            break
        clips.append(_synth(_Spec("warmup", text, pair, (0, j)), cache_dir))
    return clips


class DistractorStream:
    """Hours of unrelated speech over a constant noise floor, from a small pool.

    The pool: every ``EVERYDAY`` sentence in ``STREAM_POOL_PAIRS`` held-out voice/rate pairs,
    synthesised once (lazily) and kept in memory. The stream places a random pool sentence at a
    random level (``SNR_DB`` over the ``STREAM_NOISE_RMS`` floor) after a noise-only gap of
    0.5–4 s (one in ten 8–20 s), so four hours cost seconds to generate, not hours of
    synthesis. Deterministic (``SEED``). With ``look_alikes`` (the default, as the wake target
    is stated), ``LOOK_ALIKE_SENTENCES`` ("hello class", "my glasses are on the table" …; of
    them only "hey guys" is among the wake head's training look-alikes) come in too: before a
    sentence, one of them with ``STREAM_LOOK_ALIKE_CHANCE``, a minute apart at least, drawn from
    a generator of their own so that the unrelated sentences are the same samples until the
    first; ``look_alike_starts_s`` lists where each began (s). A stream of them every few
    seconds would measure an adversary, not a day of wear.
    """

    def __init__(
        self, minutes: float, *, cache_dir: Path | None = None, look_alikes: bool = True
    ) -> None:
        if not minutes > 0:
            raise ValueError(f"minutes must be > 0, got {minutes}")
        self.minutes = minutes
        self.cache_dir = cache_dir
        pairs = voice_rate_pairs(HELD_OUT_VOICES)
        self.pool = [
            (text, pairs[(j * STREAM_POOL_PAIRS + k) % len(pairs)])
            for j, text in enumerate(EVERYDAY)
            for k in range(STREAM_POOL_PAIRS)
        ]
        self.look_alikes = look_alikes
        self.look_alike_pool = [
            (text, pairs[j % len(pairs)]) for j, text in enumerate(LOOK_ALIKE_SENTENCES)
        ]
        self._speech: dict[tuple[str, tuple[str, int]], np.ndarray] = {}
        self.sentences = 0  # placed so far, look-alikes included
        self.look_alike_starts_s: list[float] = []  # where each look-alike began (s)

    @property
    def samples(self) -> int:
        return int(self.minutes * 60 * RATE)

    def _sentence(self, entry: tuple[str, tuple[str, int]]) -> np.ndarray:
        speech = self._speech.get(entry)
        if speech is None:
            from glasses.speech.tts import synthesize_16k

            text, (voice, rate) = entry
            speech = synthesize_16k(text, voice=voice, rate_wpm=rate, cache_dir=self.cache_dir)
            x = speech.astype(np.float64)
            speech = self._speech[entry] = (x / max(_rms(x), 1.0)).astype(np.float32)  # unit RMS
        return speech

    def near_look_alikes(self, times_s: Iterable[float]) -> int:
        """How many of ``times_s`` (s into the stream, once it has been played) came within
        ``LOOK_ALIKE_SPAN_S`` after a look-alike began."""
        starts = np.asarray(self.look_alike_starts_s)
        return sum(bool(np.any((t >= starts) & (t - starts <= LOOK_ALIKE_SPAN_S))) for t in times_s)

    def _segment(
        self, rng: np.random.Generator, pool: list[tuple[str, tuple[str, int]]], left: int
    ) -> tuple[np.ndarray, int]:
        """A noise-only gap, then a ``pool`` sentence at a random level, over the noise floor,
        at most ``left`` samples: (int16 samples, the gap's samples)."""
        gap_s = rng.uniform(8.0, 20.0) if rng.random() < 0.1 else rng.uniform(0.5, 4.0)
        speech = self._sentence(pool[int(rng.integers(len(pool)))])
        gain = STREAM_NOISE_RMS * 10 ** (rng.uniform(*SNR_DB) / 20)
        gap = int(gap_s * RATE)
        segment = np.concatenate([np.zeros(gap), gain * speech])[:left]
        segment += rng.normal(0.0, STREAM_NOISE_RMS, len(segment))
        return to_int16(segment), gap

    def __iter__(self) -> Iterator[np.ndarray]:
        """The stream in pieces (a gap, then a sentence), 16 kHz int16, ``samples`` in all."""
        rng = np.random.default_rng(SEED)
        look = np.random.default_rng(SEED + 1)
        total, done = self.samples, 0
        self.sentences, self.look_alike_starts_s = 0, []
        while done < total:
            starts = self.look_alike_starts_s
            placed = False
            if self.look_alikes and (not starts or done / RATE - starts[-1] >= 60.0):
                placed = look.random() < STREAM_LOOK_ALIKE_CHANCE
            if placed:
                segment, gap = self._segment(look, self.look_alike_pool, total - done)
                self.look_alike_starts_s.append((done + gap) / RATE)
            else:
                segment, _ = self._segment(rng, self.pool, total - done)
            done += len(segment)
            self.sentences += 1
            yield segment
