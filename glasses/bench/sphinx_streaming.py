"""Streamed PocketSphinx dictation against whole-utterance decoding, on the same clips.

PocketSphinx normalises cepstra by their mean (CMN). Decoding a whole utterance at once
(``process_raw(…, full_utt=True)``) uses that utterance's own mean; a stream cannot know it
until the end, so ``glasses.speech.dictation.Dictation`` keeps a running estimate. This scores
the ways the runtime streams against the whole-utterance figure:

- ``whole``: one ``full_utt`` decode per clip (the reference);
- ``stream_fresh``: a new ``Dictation`` per clip, fed in ``chunk``-sample pieces (what
  ``dictation.transcribe`` does without the recording's mean: a cold start every time);
- ``stream_long_lived``: one ``Dictation`` through every clip in order (what captions do);
- ``transcribe``: ``dictation.transcribe`` (streams, seeded with the recording's mean).

Corpora: ``real`` is the Debian ``pocketsphinx-testdata`` read speech
(``glasses.bench.real_speech``; 10 clips, 92 words); ``real_channels`` the same clips through
two more microphones (10 dB quieter and brighter; 6 dB louder and duller), 25 dB SNR noise,
one microphone after the other: the channel is what CMN removes; ``espeak`` the speech
benchmark's ``DICTATION`` sentences in two espeak-ng voices at 15 dB SNR. Each is scored in
total and on its utterances of at most 2 s (``short``).

``python -m glasses.bench.sphinx_streaming [--chunk 512] [--corpus real,real_channels,espeak]``
prints the WERs as JSON (about 3 min on 2 cores).
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from glasses.bench.real_speech import CorpusMissing, load_corpus, wer

if TYPE_CHECKING:
    from glasses.speech.dictation import Recogniser

RATE = 16_000
SHORT_S = 2.0
Clip = tuple[np.ndarray, str]  # 16 kHz mono int16, reference text


def real_clips() -> list[Clip]:
    """The real read-speech corpus (``CorpusMissing`` when it is not installed)."""
    return [(c.audio, c.text) for c in load_corpus()]


def _through(audio: np.ndarray, mic: str, seed: int) -> np.ndarray:
    x = audio.astype(np.float64)
    if mic == "quiet-bright":  # 10 dB down, high frequencies up (first-order tilt)
        x = 0.6 * np.concatenate([x[:1], x[1:] - 0.9 * x[:-1]])
    elif mic == "loud-dull":  # 6 dB up, 4-tap moving average (a muffled microphone)
        x = 2.0 * np.convolve(x, np.ones(4) / 4, mode="same")
    rms = float(np.sqrt(np.mean(x**2))) or 1.0
    x = x + np.random.default_rng(seed).normal(0.0, rms / 10 ** (25 / 20), len(x))
    return np.clip(np.rint(x), -32768, 32767).astype(np.int16)


def channel_clips(clips: Sequence[Clip]) -> list[Clip]:
    """``clips`` through three microphones in turn (plain, quiet-bright, loud-dull)."""
    out: list[Clip] = []
    for m, mic in enumerate(("plain", "quiet-bright", "loud-dull")):
        out += [(_through(a, mic, 100 * m + i), t) for i, (a, t) in enumerate(clips)]
    return out


def espeak_clips() -> list[Clip]:
    """``DICTATION`` sentences, en-us and en-us+f3 at 160 wpm, 15 dB SNR (seeded)."""
    from glasses.bench.speech_corpus import DICTATION
    from glasses.speech.tts import mix_noise, synthesize_16k

    return [
        (mix_noise(synthesize_16k(text, voice=voice), 15.0, seed=100 * v + j), text)
        for v, voice in enumerate(("en-us", "en-us+f3"))
        for j, text in enumerate(DICTATION)
    ]


def whole_utterance(audio: np.ndarray, decoder: Any = None) -> str:
    """One ``full_utt`` decode of ``audio`` (CMN over the whole utterance), on ``decoder`` (a
    ``pocketsphinx.Decoder``; default a new one)."""
    from glasses.speech._sphinx import new_decoder

    d = decoder if decoder is not None else new_decoder()
    d.start_utt()
    d.process_raw(np.ascontiguousarray(audio, dtype=np.int16).tobytes(), False, True)
    d.end_utt()
    hyp = d.hyp()
    return str(hyp.hypstr) if hyp is not None else ""


def stream(recogniser: Recogniser, audio: np.ndarray, chunk: int) -> str:
    """Feed ``audio`` to a streaming recogniser ``chunk`` samples at a time; its final text."""
    for i in range(0, len(audio), chunk):
        recogniser.process(audio[i : i + chunk])
    return recogniser.finish()


def _wer(clips: Sequence[Clip], recognise: Callable[[np.ndarray], str]) -> float:
    return round(wer([t for _, t in clips], [recognise(a) for a, _ in clips]), 4)


def figures(clips: Sequence[Clip], chunk: int) -> dict[str, float]:
    """WER of every way of decoding (see the module docstring) on ``clips``."""
    from glasses.speech._sphinx import new_decoder
    from glasses.speech.dictation import Dictation, transcribe

    whole_decoder = new_decoder()  # full_utt decodes do not depend on what came before
    long_lived = Dictation()
    return {
        "whole": _wer(clips, lambda a: whole_utterance(a, whole_decoder)),
        "stream_fresh": _wer(clips, lambda a: stream(Dictation(), a, chunk)),
        "stream_long_lived": _wer(clips, lambda a: stream(long_lived, a, chunk)),
        "transcribe": _wer(clips, lambda a: transcribe(a, chunk=chunk)),
    }


CORPORA: dict[str, Callable[[], list[Clip]]] = {
    "real": real_clips,
    "real_channels": lambda: channel_clips(real_clips()),
    "espeak": espeak_clips,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Print the figures as JSON; exit 2 with one line when a corpus is missing."""
    parser = argparse.ArgumentParser(prog="python -m glasses.bench.sphinx_streaming")
    parser.add_argument("--chunk", type=int, default=512, help="samples per streamed chunk")
    parser.add_argument("--corpus", default=",".join(CORPORA), help="comma-separated corpora")
    args = parser.parse_args(argv)
    names = [n for n in args.corpus.split(",") if n]
    unknown = [n for n in names if n not in CORPORA]
    if unknown or args.chunk < 160:
        parser.error(f"unknown corpus {unknown}" if unknown else "--chunk must be >= 160")
    out: dict[str, object] = {"chunk": args.chunk}
    start = time.perf_counter()
    for name in names:
        try:
            clips = CORPORA[name]()
        except CorpusMissing as exc:
            print(exc)
            return 2
        short = [c for c in clips if len(c[0]) <= SHORT_S * RATE]
        out[name] = {"clips": len(clips), **figures(clips, args.chunk)}
        if short:
            out[f"{name}_short"] = {"clips": len(short), **figures(short, args.chunk)}
    out["seconds"] = round(time.perf_counter() - start, 1)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
