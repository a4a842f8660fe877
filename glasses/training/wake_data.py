"""The wake word's data recipe: espeak-ng voices, texts, and augmented 16 kHz clips.

Everything is generated here, from a seed: no download.

- **Voices**: every English espeak-ng language (``LANGUAGES``) with every voice variant the
  wheel's ``espeak-ng-data/voices/!v`` has (``+m1``, ``+f3``, ``+klatt2``, ``+Andy`` …), at
  pitch 20–80 and 110–240 words per minute. The benchmark's held-out accents and variants
  (``glasses.bench.speech_corpus.HELD_OUT_ACCENTS``, ``HELD_OUT_VARIANTS``) never reach
  training: ``voices("eval")`` is every voice with either, ``voices("train")`` the rest.
- **Positives**: "hey glasses" alone, run into a command in one breath ("hey glasses read
  this"), after other speech in the same breath, and after a separate utterance. The end of
  "glasses" comes from espeak's word events (the start of the next word, or the end of sound).
- **Negatives**: look-alikes (``LOOK_ALIKES``: "hey glass", "hey class", "okay glasses" …),
  sentences with "glasses" but not the phrase, generated everyday sentences, strings of
  dictionary words (PocketSphinx's cmudict), noise (white, pink, brown), tones and chords,
  silence and digital silence.
- **Augmentation**: speed and pitch together by resampling (±10 %), synthetic room reverberation
  (exponentially decaying noise, RT60 0.1–0.8 s), gain −20…+6 dB, and noise at 0–40 dB SNR
  or none at all (digitally silent padding, which the PocketSphinx spotter never heard).

The benchmark's sentences (``glasses.bench.speech_bench.EVERYDAY``, ``NEAR_MISSES``) are never
used here, so the wake figures measure speech the model did not hear.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from glasses.speech.tts import espeak_paths, to_16k

RATE = 16_000
PHRASE = "hey glasses"
JOIN = "|"  # where a text's parts meet ("hey glasses|read this"): spoken as one breath
LANGUAGES = (
    "en",
    "en-us",
    "en-gb-x-rp",
    "en-gb-scotland",
    "en-029",
    "en-gb-x-gbclan",
    "en-gb-x-gbcwmd",
    "en-us-nyc",
)

COMMANDS = (
    "scan this",
    "what does this code say",
    "dismiss",
    "clear",
    "read this",
    "what does it say",
    "take a photo",
    "take a picture",
    "start captions",
    "show captions",
    "stop captions",
    "hide captions",
    "what time is it",
    "read this sign",
    "translate this",
    "remember where I parked",
    "call my sister",
    "what am I looking at",
    "turn up the volume",
    "how far is the station",
    "set a reminder",
    "who is this",
    "open the notes",
    "next page",
)
LOOK_ALIKES = (
    "hey glass",
    "hey class",
    "hey guys",
    "hey jarvis",
    "okay glasses",
    "hey grasses",
    "glasses",
    "hey",
    "the glasses",
    "hey lassie",
    "hey classes",
    "hey glass is",
    "hey gases",
    "hey masses",
    "hey passes",
    "a glasses case",
    "play glasses",
    "hey lashes",
    "hey Gladys",
    "hay grasses",
    "hey glad you",
    "say glasses",
    "they glass it",
    "hey guy",
    "hey google",
    "hey siri",
    "hey there",
    "hi glasses",
    "hey classy",
    "hey lasses",
    "glass",
    "my glasses",
    "hey gus",
    "hey glossy",
    "eight classes",
    "hey places",
    "hey faces",
    "stay classy",
)
GLASSES_SENTENCES = (
    "where are my glasses",
    "I need new glasses",
    "these glasses are too big",
    "put your glasses on",
    "she wears reading glasses",
    "the glasses are in the cupboard",
    "wash the glasses please",
    "two glasses of water",
    "my sunglasses are broken",
    "raise your glasses everyone",
    "those glasses look good on you",
    "I left my glasses at home",
)

_SUBJECTS = (
    "the old man", "my brother", "a small dog", "the teacher", "our neighbour", "the driver",
    "my friend", "the children", "a tall woman", "the manager", "her cousin", "the doctor",
    "everyone", "nobody", "the cat", "my mother", "the team", "a stranger", "the pilot", "we",
    "they", "you", "I", "he", "she",
)  # fmt: skip
_VERBS = (
    "found", "lost", "bought", "painted", "carried", "cleaned", "opened", "fixed", "watched",
    "forgot", "borrowed", "moved", "sold", "ordered", "dropped", "noticed", "wanted", "needed",
    "checked", "visited", "likes", "hates", "remembers", "brings", "keeps", "takes",
)  # fmt: skip
_OBJECTS = (
    "the red car", "a heavy box", "the kitchen table", "some fresh apples", "the blue door",
    "a new laptop", "the garden hose", "an umbrella", "the front window", "a paper map",
    "the last train", "a warm jacket", "the big envelope", "two tickets", "the wooden chair",
    "a bottle of juice", "the bicycle", "the keys", "a birthday card", "the radio",
    "the broken lamp", "a cup of tea", "the long letter", "some flowers",
)  # fmt: skip
_TAILS = (
    "yesterday", "this morning", "last week", "after lunch", "before the meeting", "again",
    "at the market", "near the river", "on the way home", "in the evening", "very quickly",
    "without asking", "for the third time", "at the station", "on monday", "in the rain", "",
)  # fmt: skip
_QUESTIONS = (
    "did you", "can we", "should I", "why did they", "when will you", "how did she",
    "would you like to", "do you want to", "where did he",
)  # fmt: skip
_BARE_VERBS = (
    "find", "buy", "paint", "carry", "clean", "open", "fix", "watch", "borrow", "move", "sell",
    "order", "check", "visit", "take", "bring",
)  # fmt: skip


def sentence(rng: np.random.Generator) -> str:
    """One generated everyday sentence (a statement or a question)."""
    if rng.random() < 0.3:
        q, v, o, t = (_pick(rng, xs) for xs in (_QUESTIONS, _BARE_VERBS, _OBJECTS, _TAILS))
        return f"{q} {v} {o} {t}".strip()
    s, v, o, t = (_pick(rng, xs) for xs in (_SUBJECTS, _VERBS, _OBJECTS, _TAILS))
    return f"{s} {v} {o} {t}".strip()


def _pick(rng: np.random.Generator, items: Sequence[str]) -> str:
    return items[int(rng.integers(len(items)))]


@functools.cache
def dictionary_words() -> tuple[str, ...]:
    """Plain words of PocketSphinx's cmudict (no "glasses": it must not be said by chance)."""
    import pocketsphinx

    path = Path(pocketsphinx.get_model_path()) / "en-us" / "cmudict-en-us.dict"
    words = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        word = line.split(" ", 1)[0]
        if re.fullmatch(r"[a-z]{2,12}", word) and word not in {"glasses", "sunglasses"}:
            words.append(word)
    return tuple(words)


def word_string(rng: np.random.Generator) -> str:
    """3–8 random dictionary words: phonetic variety no grammar gives."""
    words = dictionary_words()
    return " ".join(words[int(i)] for i in rng.integers(len(words), size=int(rng.integers(3, 9))))


@functools.cache
def variants() -> tuple[str, ...]:
    """The voice variants of the espeak-ng data the wheel ships (``"m1"``, ``"klatt2"`` …)."""
    _, data = espeak_paths()
    found = sorted(p.name for p in (Path(data) / "voices" / "!v").iterdir() if p.is_file())
    return tuple(v for v in found if " " not in v)


SYNTHESISERS = ("espeak", "piper", "flite", "festival")


def voices(split: str, synth: str = "espeak") -> tuple[str, ...]:
    """The voices of ``synth`` for ``split``. espeak-ng: ``"train"`` is every ``LANGUAGES`` ×
    variant voice the benchmark does not hold out, ``"eval"`` the held-out ones
    (``glasses.bench.speech_corpus.is_held_out``: accents and variants no training voice may
    have); a voice is ``language`` or ``language+variant``. The others (``piper:joe``,
    ``flite:slt`` …): ``speech_corpus.TRAINING_OTHER_VOICES`` and ``HELD_OUT_OTHER_VOICES``."""
    from glasses.bench.speech_corpus import (
        HELD_OUT_OTHER_VOICES,
        TRAINING_OTHER_VOICES,
        is_held_out,
    )

    if split not in ("train", "eval"):
        raise ValueError(f"split must be 'train' or 'eval', got {split!r}")
    if synth not in SYNTHESISERS:
        raise ValueError(f"synth must be one of {', '.join(SYNTHESISERS)}, got {synth!r}")
    if synth != "espeak":
        pool = TRAINING_OTHER_VOICES if split == "train" else HELD_OUT_OTHER_VOICES
        return tuple(v for v in pool if v.startswith(f"{synth}:"))
    names = [f"{lang}+{v}" if v else lang for lang in LANGUAGES for v in ("", *variants())]
    return tuple(n for n in names if is_held_out(n) == (split == "eval"))


# ---- espeak-ng with word timings ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Spoken:
    """16 kHz int16 speech and the sample where each word starts (in text order)."""

    samples: np.ndarray
    word_starts: tuple[int, ...]
    word_chars: tuple[int, ...]  # each word's character offset in the text


class WordTimedEspeak:
    """espeak-ng with its word events: the runtime's engine (``glasses.speech.tts``), so a clip
    is a pure function of (text, voice, rate, pitch), whatever the process spoke before and
    whenever (recipe 3; recipe 2's engine kept espeak-ng's state from clip to clip and seeded
    its breath noise from the clock)."""

    def speak(self, text: str, voice: str, rate_wpm: int, pitch: int) -> Spoken:
        """``text`` in ``voice`` at 16 kHz, with its word starts."""
        from glasses.speech.tts import TtsError, get_engine

        espeak = get_engine()
        try:
            raw, words = espeak.synth_words(text, voice, rate_wpm, pitch)
        except TtsError as exc:
            raise ValueError(str(exc)) from None
        # Byte offsets (UTF-8) equal character offsets for our ASCII texts.
        return Spoken(
            to_16k(raw, espeak.sample_rate),
            tuple(int(ms) * RATE // 1000 for _, ms in words),
            tuple(int(c) for c, _ in words),
        )


@functools.cache
def engine() -> WordTimedEspeak:
    return WordTimedEspeak()


def phrase_end(spoken: Spoken, text: str) -> int:
    """The sample where "glasses" (of the first "hey glasses" in ``text``) ends: the start of
    the next word, or the end of sound when it is the last word."""
    text = text.replace(JOIN, " ")
    match = re.search(r"hey,? glasses", text.lower())
    if match is None:
        raise ValueError(f"{text!r} does not say {PHRASE!r}")
    at = match.end() - len("glasses")
    later = [s for c, s in zip(spoken.word_chars, spoken.word_starts, strict=True) if c > at]
    if later:
        return later[0]
    return last_sound(spoken.samples)


def last_sound(x: np.ndarray, floor: float = 200.0) -> int:
    """One past the last sample louder than ``floor`` (10 ms frames)."""
    loud = np.nonzero(np.abs(np.asarray(x, np.float32)) > floor)[0]
    return int(loud[-1]) + 1 if len(loud) else 0


# ---- augmentation ---------------------------------------------------------------------------


def coloured_noise(rng: np.random.Generator, n: int, colour: str) -> np.ndarray:
    """Unit-RMS white, pink (1/f power) or brown (1/f²) noise."""
    white = rng.normal(0.0, 1.0, n)
    if colour == "white" or n < 4:
        return white
    spectrum = np.fft.rfft(white)
    f = np.arange(len(spectrum), dtype=np.float64)
    f[0] = 1.0
    spectrum /= np.sqrt(f) if colour == "pink" else f
    out = np.fft.irfft(spectrum, n)
    return out / max(float(np.sqrt(np.mean(out**2))), 1e-9)


def reverb(rng: np.random.Generator, x: np.ndarray) -> np.ndarray:
    """``x`` in a synthetic room: an exponentially decaying noise impulse response (RT60
    0.1–0.8 s) after the direct sound, at 30–90 % of its energy; loudness kept."""
    rt60 = float(rng.uniform(0.1, 0.8))
    n = int(rt60 * RATE)
    t = np.arange(n) / RATE
    tail = rng.normal(0.0, 1.0, n) * np.exp(-6.9 * t / rt60)  # −60 dB at rt60
    tail[: int(0.003 * RATE)] = 0.0  # the first reflections arrive a few ms late
    tail *= np.sqrt(rng.uniform(0.3, 0.9) / max(float(np.sum(tail**2)), 1e-9))
    rir = np.concatenate([[1.0], tail])
    size = 1 << int(np.ceil(np.log2(len(x) + len(rir))))
    wet = np.fft.irfft(np.fft.rfft(x, size) * np.fft.rfft(rir, size), size)[: len(x)]
    return wet * (np.sqrt(np.mean(x**2)) / max(float(np.sqrt(np.mean(wet**2))), 1e-9))


def speed(x: np.ndarray, factor: float) -> np.ndarray:
    """Faster (``factor`` > 1) and higher, by linear resampling."""
    n = max(1, int(len(x) / factor))
    return np.interp(np.arange(n) * factor, np.arange(len(x)), x)


def tone(rng: np.random.Generator, seconds: float) -> np.ndarray:
    """Music-like sound: a few notes of 1–4-tone chords with harmonics and decay."""
    out = np.zeros(int(seconds * RATE))
    pos = 0
    while pos < len(out):
        n = min(len(out) - pos, int(rng.uniform(0.15, 0.9) * RATE))
        t = np.arange(n) / RATE
        note = np.zeros(n)
        for _ in range(int(rng.integers(1, 5))):
            f0 = 110.0 * 2 ** (int(rng.integers(0, 36)) / 12)
            for h in range(1, 4):
                note += np.sin(2 * np.pi * f0 * h * t + rng.uniform(0, 6.3)) / h
        out[pos : pos + n] = note * np.exp(-t * rng.uniform(0.5, 6.0))
        pos += n
    return out / max(float(np.sqrt(np.mean(out**2))), 1e-9)


def _rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(x**2))) if len(x) else 0.0


# ---- clips ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Clip:
    """16 kHz int16 audio; ``ends``: samples where a "hey glasses" ends (empty: a negative);
    ``kind``: the recipe (``pos``, ``lookalike``, ``speech``, ``noise`` …)."""

    audio: np.ndarray
    ends: tuple[int, ...]
    kind: str


def _voice(rng: np.random.Generator, pool: Sequence[str]) -> tuple[str, int, int]:
    return _pick(rng, pool), int(rng.integers(110, 241)), int(rng.integers(20, 81))


def _speak(rng: np.random.Generator, text: str, pool: Sequence[str]) -> Spoken:
    """``text`` (its parts joined by ``JOIN``) in a voice of ``pool``, with word starts."""
    voice, rate, pitch = _voice(rng, pool)
    if not is_other_voice(voice):
        return engine().speak(text.replace(JOIN, " "), voice, rate, pitch)
    return _speak_parts(rng, text.split(JOIN), voice, rate, pitch)


def is_other_voice(voice: str) -> bool:
    """A voice of another synthesiser than espeak-ng (Piper, Flite, Festival)."""
    return voice.startswith(("piper:", "flite:", "festival:"))


def _speak_parts(
    rng: np.random.Generator, parts: list[str], voice: str, rate: int, pitch: int
) -> Spoken:
    """Each part synthesised on its own (these synthesisers give no word timings), trimmed,
    and joined by 0–150 ms of silence: one breath or nearly. Each part's first word starts
    where the part before it stopped sounding, so ``phrase_end`` finds the end of "glasses"
    exactly."""
    from glasses.speech.tts import synthesize

    if not voice.startswith("flite:"):
        pitch = (
            50  # Piper and Festival have no pitch setting; the augmentation's resampling moves it
        )
    pieces: list[np.ndarray] = []
    starts: list[int] = []
    chars: list[int] = []
    at, char = 0, 0
    for n, part in enumerate(parts):
        samples, sr = synthesize(part, voice=voice, rate_wpm=rate, pitch=pitch, use_cache=False)
        x = to_16k(samples, sr).astype(np.float64)
        loud = np.nonzero(np.abs(x) > 200.0)[0]
        x = x[max(0, int(loud[0]) - 160) : int(loud[-1]) + 160] if len(loud) else x[:0]
        if n:
            gap = np.zeros(int(rng.uniform(0.0, 0.15) * RATE))
            starts.append(at)
            chars.append(char)
            pieces.append(gap)
            at += len(gap)
        pieces.append(x)
        at += len(x)
        char += len(part) + 1
    audio = np.concatenate(pieces) if pieces else np.zeros(0)
    return Spoken(
        np.clip(np.rint(audio), -32768, 32767).astype(np.int16), tuple(starts), tuple(chars)
    )


def _trim(spoken: Spoken) -> tuple[np.ndarray, int]:
    """Speech with its leading silence cut; the number of samples cut."""
    x = spoken.samples
    loud = np.nonzero(np.abs(x.astype(np.float32)) > 200.0)[0]
    start = max(0, int(loud[0]) - 160) if len(loud) else 0
    return x[start:].astype(np.float64), start


def positive_text(rng: np.random.Generator) -> str:
    """One way of saying the phrase: alone, into a command, or after other words."""
    hey = _pick(rng, ("hey glasses", "hey glasses", "hey, glasses", "Hey glasses!", "hey glasses,"))
    r = rng.random()
    if r < 0.35:
        return hey
    command = _pick(rng, COMMANDS)
    if r < 0.75:
        return f"{hey.rstrip('!,')}{JOIN}{command}"
    before = sentence(rng) if rng.random() < 0.7 else _pick(rng, ("okay", "um", "so", "right"))
    if r < 0.88:
        return f"{before},{JOIN}{hey}"
    return f"{before}{JOIN}{hey.rstrip('!,')}{JOIN}{command}"


def negative_text(rng: np.random.Generator) -> tuple[str, str]:
    """(text, kind) of a negative utterance."""
    r = rng.random()
    if r < 0.35:
        text = _pick(rng, LOOK_ALIKES)
        if rng.random() < 0.4:
            text = f"{text}{JOIN}{_pick(rng, COMMANDS)}"
        elif rng.random() < 0.2:
            text = f"{sentence(rng)},{JOIN}{text}"
        return text, "lookalike"
    if r < 0.45:
        return _pick(rng, GLASSES_SENTENCES), "lookalike"
    if r < 0.8:
        return sentence(rng), "speech"
    return word_string(rng), "speech"


def _context(rng: np.random.Generator, pool: Sequence[str], seconds: float) -> np.ndarray:
    """Audio before or after an utterance: silence, or other speech then a short gap."""
    if seconds <= 0:
        return np.zeros(0)
    if rng.random() < 0.4:
        other, _ = _trim(_speak(rng, sentence(rng), pool))
        other = other[-int(seconds * RATE) :]
        gap = np.zeros(int(rng.uniform(0.05, 0.6) * RATE))
        return np.concatenate([other * rng.uniform(0.3, 1.2), gap])
    return np.zeros(int(seconds * RATE))


def _finish(rng: np.random.Generator, x: np.ndarray, speech_rms: float) -> np.ndarray:
    """Reverb, gain and background noise (or none) on a composed clip; int16."""
    if rng.random() < 0.3:
        x = reverb(rng, x)
    gain = 10 ** (rng.uniform(-20.0, 6.0) / 20)
    x, speech_rms = x * gain, speech_rms * gain
    r = rng.random()
    if r < 0.3:
        pass  # clean: digitally silent wherever nobody speaks
    else:
        snr = rng.uniform(0.0, 40.0) if r < 0.9 else rng.uniform(40.0, 60.0)
        colour = _pick(rng, ("white", "pink", "brown"))
        level = max(_rms(x) if speech_rms <= 0 else speech_rms, 30.0) / 10 ** (snr / 20)
        x = x + coloured_noise(rng, len(x), colour) * level
    return np.clip(np.rint(x), -32768, 32767).astype(np.int16)


def positive_clip(rng: np.random.Generator, pool: Sequence[str]) -> Clip:
    """One "hey glasses" utterance in context, augmented; ``ends`` marks the end of "glasses"."""
    text = positive_text(rng)
    spoken = _speak(rng, text, pool)
    x, cut = _trim(spoken)
    end = phrase_end(spoken, text) - cut
    if rng.random() < 0.7:
        f = rng.uniform(0.9, 1.1)
        x, end = speed(x, f), int(end / f)
    pre = _context(rng, pool, rng.uniform(0.0, 1.6))
    post = _context(rng, pool, rng.uniform(0.0, 1.0)) if end >= len(x) - 800 else np.zeros(0)
    post = post if rng.random() < 0.7 else post[: len(post) // 4]
    pre = pre if rng.random() < 0.8 else np.zeros(int(rng.uniform(0, 0.3) * RATE))
    audio = np.concatenate([pre, x, post, np.zeros(int(rng.uniform(0.0, 0.5) * RATE))])
    return Clip(_finish(rng, audio, _rms(x)), (len(pre) + end,), "pos")


def negative_clip(rng: np.random.Generator, pool: Sequence[str]) -> Clip:
    """Speech that is not the phrase (1–3 utterances), or sound that is not speech."""
    r = rng.random()
    if r < 0.8:
        parts, kinds, speech_rms = [np.zeros(int(rng.uniform(0, 1.0) * RATE))], [], []
        for _ in range(int(rng.integers(1, 4))):
            text, kind = negative_text(rng)
            x, _ = _trim(_speak(rng, text, pool))
            if rng.random() < 0.7:
                x = speed(x, rng.uniform(0.9, 1.1))
            parts += [x, np.zeros(int(rng.uniform(0.0, 0.8) * RATE))]
            kinds.append(kind)
            speech_rms.append(_rms(x))
        audio = np.concatenate(parts)
        kind = "lookalike" if "lookalike" in kinds else "speech"
        return Clip(_finish(rng, audio, float(np.mean(speech_rms))), (), kind)
    seconds = rng.uniform(1.0, 5.0)
    n = int(seconds * RATE)
    if r < 0.88:
        audio = coloured_noise(rng, n, _pick(rng, ("white", "pink", "brown"))) * 10 ** rng.uniform(
            1.0, 3.8
        )
        kind = "noise"
    elif r < 0.96:
        audio = tone(rng, seconds) * 10 ** rng.uniform(2.0, 3.9)
        kind = "tone"
    else:
        audio = np.zeros(n) if rng.random() < 0.5 else rng.normal(0, rng.uniform(1, 30), n)
        kind = "silence"
    return Clip(np.clip(np.rint(audio), -32768, 32767).astype(np.int16), (), kind)
