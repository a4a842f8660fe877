"""Dictation accuracy on real human read speech: ``dictation_wer_real`` and ``dictation_rtf``.

The corpus is the test data of PocketSphinx as Debian packages it (``pocketsphinx-testdata``,
BSD-2 per its copyright file; the LibriVox recordings in it are public domain): five utterances
of one LibriVox reader of *Sense and Sensibility* (``librivox/``, 24.7 s) and five short
card-game utterances (``cards/``, 9.7 s), all 16 kHz mono 16-bit, with their reference
transcripts in the package (``transcription`` files, Sphinx ``<s> … </s> (id)`` format). Real
speech, unlike the espeak clips of ``glasses bench speech``; small (10 clips, 34 s, 92 words:
one word is 1.1 % of the WER), so the figures say "works on a human voice", not a benchmark.
Install it with ``apt-get install pocketsphinx-testdata`` (``make setup`` does, where it can);
``GLASSES_REAL_SPEECH_DIR`` points elsewhere.

Scoring: both sides pass through ``normalise`` (lower case, no punctuation, hyphens split,
numbers spelled out, common abbreviations expanded) and WER is the corpus's total edit distance
over its total reference words. ``dictation_rtf`` is decoding time over audio time for final
decodes of whole utterances (wall clock: it rises when other work shares the cores;
``dictation_cpu_rtf`` is CPU time over audio time, summed over the decoder's threads, which
sharing barely moves). For PocketSphinx the streaming path (``dictation.transcribe``,
4096-sample chunks) and one whole-utterance ``process_raw(…, full_utt=True)`` are scored side by
side: streaming once lost much to a cold cepstral mean (0.39 against 0.22); it now measures the
mean as it goes (``glasses.bench.sphinx_streaming`` scores the streaming variants).

Run ``python -m glasses.bench.real_speech`` for every figure as JSON.
"""

from __future__ import annotations

import json
import os
import re
import time
import wave
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from glasses.bench.speech_scoring import word_edits
from glasses.speech.numbers import spell_number

CORPUS_PACKAGE = "pocketsphinx-testdata"
DEFAULT_ROOT = Path("/usr/share/pocketsphinx/test/data")
INSTALL_FIX = f"apt-get install {CORPUS_PACKAGE} (or set GLASSES_REAL_SPEECH_DIR)"
RATE = 16_000
# (directory, transcription file) of each set in the package.
_SETS = (("librivox", "transcription"), ("cards", "cards.transcription"))
_LINE = re.compile(r"^\s*(?:<s>)?\s*(?P<text>.*?)\s*(?:</s>)?\s*\((?P<id>[^()]+)\)\s*$")

Recognise = Callable[[np.ndarray], str]


class CorpusMissing(RuntimeError):
    """The real-speech corpus is not installed; the message names the fix."""


@dataclass(frozen=True, slots=True)
class Clip:
    """One utterance: ``audio`` 16 kHz mono int16, ``text`` its reference transcript."""

    id: str
    set: str
    audio: np.ndarray = field(repr=False)
    text: str

    @property
    def seconds(self) -> float:
        return len(self.audio) / RATE


def corpus_root() -> Path:
    """``$GLASSES_REAL_SPEECH_DIR``, else where Debian installs the package."""
    env = os.environ.get("GLASSES_REAL_SPEECH_DIR")
    return Path(env) if env else DEFAULT_ROOT


def load_corpus(root: Path | None = None) -> list[Clip]:
    """Every clip of the corpus, in transcription order; ``CorpusMissing`` (one line) when the
    package is not installed or a listed file is missing or not 16 kHz mono 16-bit."""
    root = root or corpus_root()
    clips: list[Clip] = []
    for name, listing in _SETS:
        path = root / name / listing
        if not path.is_file():
            raise CorpusMissing(f"real-speech corpus: {path} is missing; fix: {INSTALL_FIX}")
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            match = _LINE.match(line)
            if match is None:
                raise CorpusMissing(f"real-speech corpus: {path}:{n}: not '<s> text </s> (id)'")
            clip_id = match["id"].strip()
            clips.append(
                Clip(clip_id, name, _read_wav(root / name / f"{clip_id}.wav"), match["text"])
            )
    return clips


def _read_wav(path: Path) -> np.ndarray:
    try:
        with wave.open(str(path), "rb") as w:
            if (w.getframerate(), w.getnchannels(), w.getsampwidth()) != (RATE, 1, 2):
                raise CorpusMissing(f"real-speech corpus: {path} is not 16 kHz mono 16-bit")
            return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.int16)
    except (OSError, EOFError, wave.Error) as exc:
        raise CorpusMissing(
            f"real-speech corpus: cannot read {path} ({exc}); fix: {INSTALL_FIX}"
        ) from None


# ---- scoring ---------------------------------------------------------------------------------

_ABBREVIATIONS = {
    "mr": "mister",
    "mrs": "missus",
    "ms": "miss",
    "dr": "doctor",
    "st": "saint",
    "jr": "junior",
    "sr": "senior",
    "vs": "versus",
    "etc": "et cetera",
    "ok": "okay",
}
_ORDINALS = {
    "one": "first",
    "two": "second",
    "three": "third",
    "five": "fifth",
    "eight": "eighth",
    "nine": "ninth",
    "twelve": "twelfth",
}


def _ordinal(words: str) -> str:
    head, _, last = words.rpartition(" ")
    if last in _ORDINALS:
        last = _ORDINALS[last]
    elif last.endswith("y"):
        last = last[:-1] + "ieth"
    else:
        last += "th"
    return f"{head} {last}".strip()


def normalise(text: str) -> list[str]:
    """Scoring words: lower case, punctuation dropped (apostrophes too: "don't" → "dont"),
    hyphens and slashes split words, digits spelled out ("10" → "ten", "3rd" → "third"),
    "%" → "percent", "&" → "and", and common abbreviations expanded ("mr." → "mister")."""
    text = text.lower().replace("%", " percent ").replace("&", " and ")
    text = re.sub(r"(?<=\d),(?=\d{3})", "", text)  # 1,000 → 1000
    text = re.sub(r"[-–—/]", " ", text)
    words: list[str] = []
    for raw in text.split():
        word = re.sub(r"[^a-z0-9]", "", raw)
        if not word:
            continue
        ordinal = re.fullmatch(r"(\d+)(st|nd|rd|th)", word)
        if ordinal and int(ordinal[1]) < 1_000_000:
            words.extend(_ordinal(spell_number(int(ordinal[1]))).split())
        elif word.isdigit() and int(word) < 1_000_000:
            words.extend(spell_number(int(word)).split())
        else:
            words.extend(_ABBREVIATIONS.get(word, word).split())
    return words


def wer(references: Sequence[str], hypotheses: Sequence[str]) -> float:
    """Corpus WER: total edits over total reference words, both sides ``normalise``d."""
    if len(references) != len(hypotheses):
        raise ValueError("one hypothesis per reference")
    edits = words = 0
    for ref, hyp in zip(references, hypotheses, strict=True):
        r = normalise(ref)
        edits += word_edits(r, normalise(hyp))
        words += len(r)
    return edits / max(1, words)


# ---- figures ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Scored:
    """A recogniser on the corpus: ``wer``, ``rtf`` (decode s / audio s, wall clock),
    ``cpu_rtf`` (process CPU s / audio s, all threads), and each clip's hypothesis beside its
    reference (``rows``: id, reference, hypothesis)."""

    wer: float
    rtf: float
    seconds: float
    rows: tuple[tuple[str, str, str], ...]
    cpu_rtf: float = 0.0


def score(recognise: Recognise, clips: Sequence[Clip]) -> Scored:
    """Run ``recognise`` (a whole utterance → its transcript) over ``clips``, timing it."""
    hyps: list[str] = []
    spent = cpu = 0.0
    for clip in clips:
        start, start_cpu = time.perf_counter(), time.process_time()
        hyps.append(recognise(clip.audio))
        spent += time.perf_counter() - start
        cpu += time.process_time() - start_cpu
    audio = max(sum(c.seconds for c in clips), 1e-9)
    rows = tuple((c.id, c.text, h) for c, h in zip(clips, hyps, strict=True))
    return Scored(wer([c.text for c in clips], hyps), spent / audio, audio, rows, cpu / audio)


def whisper_figures(
    clips: Sequence[Clip], settings: object | None = None, *, warm: bool = True
) -> dict[str, float]:
    """``dictation_wer_real`` and ``dictation_rtf`` of Whisper's final decodes (whole
    utterances; ``settings``: a ``WhisperSettings``). ``warm``: load the model and decode once
    before timing, so the RTF is decoding, not loading."""
    from glasses.speech.whisper_backend import WhisperDictation, WhisperSettings

    chosen = settings if isinstance(settings, WhisperSettings) else WhisperSettings()
    recogniser = WhisperDictation(chosen)
    if warm:
        recogniser.transcribe(clips[0].audio)
    scored = score(recogniser.transcribe, clips)
    return {
        "dictation_wer_real": scored.wer,
        "dictation_rtf": scored.rtf,
        "dictation_cpu_rtf": scored.cpu_rtf,
    }


def sphinx_whole_utterance(audio: np.ndarray) -> str:
    """PocketSphinx dictation over one whole utterance: a single ``process_raw(…,
    full_utt=True)`` call, so cepstral normalisation sees all of it at once."""
    from glasses.speech._sphinx import new_decoder

    decoder = new_decoder()
    decoder.start_utt()
    decoder.process_raw(np.ascontiguousarray(audio, dtype=np.int16).tobytes(), False, True)
    decoder.end_utt()
    hyp = decoder.hyp()
    return str(hyp.hypstr) if hyp is not None else ""


def pocketsphinx_figures(clips: Sequence[Clip]) -> dict[str, float]:
    """PocketSphinx WER on the corpus, streamed (``dictation.transcribe``: 4096-sample chunks,
    a fresh decoder per utterance as the runtime makes them) and whole-utterance, with RTFs."""
    from glasses.speech.dictation import transcribe

    streaming = score(lambda audio: transcribe(audio), clips)
    whole = score(sphinx_whole_utterance, clips)
    return {
        "sphinx_streaming_wer_real": streaming.wer,
        "sphinx_full_utt_wer_real": whole.wer,
        "sphinx_streaming_rtf": streaming.rtf,
        "sphinx_full_utt_rtf": whole.rtf,
    }


def decode_costs(
    clips: Sequence[Clip], seconds: Sequence[float] = (1.0, 3.0, 10.0), *, repeats: int = 3
) -> dict[str, float]:
    """Whisper's cost per decode of a ``seconds``-long utterance (real speech, the corpus's
    clips joined and cut to length), for the full 30 s window and the fitted one; the least of
    ``repeats`` runs, in ms. The full window costs about the same whatever the length."""
    from glasses.speech.whisper_backend import WhisperDictation

    speech = np.concatenate([c.audio for c in clips])
    decoder = WhisperDictation().decoder
    audio_f = speech.astype(np.float32) / 32768.0
    decoder.decode(audio_f[:RATE], "full")  # warm-up
    costs: dict[str, float] = {}
    for s in seconds:
        cut = audio_f[: int(s * RATE)]
        for window in ("full", "fit"):
            best = float("inf")
            for _ in range(repeats):
                start = time.perf_counter()
                decoder.decode(cut, window)
                best = min(best, time.perf_counter() - start)
            costs[f"whisper_{window}_decode_ms_{s:g}s"] = round(best * 1000, 1)
    return costs


def main() -> None:
    """Print every figure as JSON (``python -m glasses.bench.real_speech``)."""
    from glasses.allocator import limit_retention
    from glasses.speech.whisper_backend import WhisperSettings

    limit_retention()  # decode as ``glasses`` does (its effect on speed: tests/conftest.py)

    clips = load_corpus()
    figures: dict[str, object] = {
        "corpus": CORPUS_PACKAGE,
        "clips": len(clips),
        "seconds": round(sum(c.seconds for c in clips), 2),
        "reference_words": sum(len(normalise(c.text)) for c in clips),
    }
    figures.update(whisper_figures(clips))
    # The finals decode in a fitted window (WhisperSettings); the standard 30 s one beside it.
    full = whisper_figures(clips, WhisperSettings(final_window="full"), warm=False)
    figures["dictation_wer_real_full_window"] = full["dictation_wer_real"]
    figures["dictation_rtf_full_window"] = full["dictation_rtf"]
    figures["dictation_cpu_rtf_full_window"] = full["dictation_cpu_rtf"]
    figures.update(pocketsphinx_figures(clips))
    figures.update(decode_costs(clips))
    print(json.dumps({k: round(v, 4) if isinstance(v, float) else v for k, v in figures.items()}))


if __name__ == "__main__":
    main()
