"""The two synthesisers side by side, and the wake head on the one it never heard.

Run: ``python -m glasses.bench.tts_figures [--clips 54] [--json out.json]`` (needs the optional
``piper`` extra). Figures:

- ``speed``: per backend (espeak-ng ``en-us``, Piper ``piper:joe``) at 160 wpm, with no cache:
  ``first_call_s`` (the first request, with the engine's load: Piper checks the voice's sha256
  and builds its session), ``rtf`` (wall-clock compute / audio over ``SENTENCES``; ``cpu_rtf``
  the process's CPU time, all threads, / audio) and ``first_sentence_ms_p50``/
  ``_max`` (one sentence, the unit the speak stage synthesises: an answer is spoken sentence
  by sentence, so this is the wait before the glasses start talking);
- ``wake``: the shipped wake head (``ModelWakeSpotter``, ``wake.toml``'s threshold and
  confirming steps) on ``clips`` utterances of "hey glasses" and "hey glasses, <command>", each a
  fresh stream: in Piper's voice at 140/170/200 wpm, at ``SNR_DB`` (white noise, 0.3 s of it
  before and after) and clean (digital silence around); beside it the same texts in espeak-ng's
  held-out voices (``speech_corpus.HELD_OUT_VOICES``), so the two synthesisers are compared on
  the same words and noise.
"""

from __future__ import annotations

import argparse
import functools
import itertools
import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from glasses.bench.speech_corpus import HELD_OUT_VOICES, PIPER_VOICES, RATES_WPM
from glasses.runtime.clock import NS_PER_S
from glasses.speech.tts import mix_noise, synthesize, to_16k

if TYPE_CHECKING:
    from glasses.speech.wake_model import ModelWakeSpotter

Progress = Callable[[str], None]
RATE = 16_000
SNR_DB = 20.0
SEED = 20_250
SENTENCES = (
    "The next train to Edinburgh leaves from platform four.",
    "It is twenty past three.",
    "I read the sign: no entry after eight in the evening.",
    "Your battery is at sixty percent.",
    "The code says: visit example dot org slash voice.",
    "That costs four pounds fifty.",
    "Captions are on.",
    "I could not find any text in view.",
)


def speed(voice: str, *, rate_wpm: int = 160) -> dict[str, float]:
    """Load time, real-time factor and one-sentence latency of ``voice``'s backend."""
    t0 = time.perf_counter()
    first, sample_rate = synthesize(SENTENCES[0], voice=voice, rate_wpm=rate_wpm, use_cache=False)
    load_s = time.perf_counter() - t0
    compute, cpu, audio, latencies = 0.0, 0.0, 0.0, []
    for text in SENTENCES:
        t, c = time.perf_counter(), time.process_time()
        samples, sample_rate = synthesize(text, voice=voice, rate_wpm=rate_wpm, use_cache=False)
        took = time.perf_counter() - t
        cpu += time.process_time() - c
        compute += took
        audio += len(samples) / sample_rate
        latencies.append(took * 1000)
    return {
        "first_call_s": round(load_s, 3),
        "first_call_audio_s": round(len(first) / sample_rate, 3),
        "rtf": round(compute / audio, 4),
        "cpu_rtf": round(cpu / audio, 4),
        "first_sentence_ms_p50": round(float(np.median(latencies)), 1),
        "first_sentence_ms_max": round(max(latencies), 1),
        "audio_s": round(audio, 2),
    }


def _texts() -> list[str]:
    """ "hey glasses" alone and before every skill phrase."""
    from glasses.assistant.skills import builtin_skills
    from glasses.speech.commands import phrases_from_skills

    phrases = phrases_from_skills(builtin_skills())
    return ["hey glasses", *(f"hey glasses, {p.samples[0]}" for p in phrases)]


def _clips(voices: Sequence[str], n: int) -> list[tuple[str, str, int]]:
    """``n`` (text, voice, rate) triples cycling through texts × voices × rates."""
    combos = list(itertools.product(_texts(), voices, RATES_WPM))
    rng = np.random.default_rng(SEED)
    order = rng.permutation(len(combos))[:n] if n < len(combos) else range(len(combos))
    return [combos[i] for i in order]


@functools.cache
def _spotter() -> ModelWakeSpotter:
    from glasses.speech.wake import WakeSettings
    from glasses.speech.wake_model import ModelWakeSpotter

    return ModelWakeSpotter(WakeSettings(backend="model"))


def _detects(audio: np.ndarray) -> bool:
    """Whether the shipped wake head finds the phrase in ``audio``, fed as a fresh stream."""
    spotter = _spotter()
    spotter.reset()
    found = []
    for i in range(0, len(audio), 512):
        found += spotter.process(audio[i : i + 512], i * NS_PER_S // RATE)
    found += spotter.flush(len(audio) * NS_PER_S // RATE)
    return bool(found)


def wake_rates(voices: Sequence[str], clips: int, progress: Progress) -> dict[str, float | int]:
    """Detection rates of the wake head on ``clips`` utterances in ``voices``."""
    noisy = clean = 0
    picked = _clips(voices, clips)
    for k, (text, voice, rate) in enumerate(picked):
        samples, sample_rate = synthesize(text, voice=voice, rate_wpm=rate)
        speech = to_16k(samples, sample_rate)
        noisy += _detects(mix_noise(speech, SNR_DB, seed=SEED + k))
        silence = np.zeros(RATE // 2, np.int16)
        clean += _detects(np.concatenate([silence, speech, silence]))
        if (k + 1) % 10 == 0:
            progress(f"  {voices[0]}…: {k + 1}/{len(picked)} clips")
    n = len(picked)
    return {
        "clips": n,
        f"detect_rate_{SNR_DB:g}db": round(noisy / n, 4),
        "detect_rate_clean": round(clean / n, 4),
    }


def tts_figures(clips: int = 54, *, progress: Progress = print) -> dict[str, object]:
    from glasses.speech.wake import WakeSettings

    settings = WakeSettings(backend="model")
    progress("speed: espeak-ng en-us …")
    espeak = speed("en-us")
    progress(f"speed: Piper {PIPER_VOICES[0]} …")
    piper = speed(PIPER_VOICES[0])
    progress(f"wake head on Piper ({clips} clips) …")
    on_piper = wake_rates(PIPER_VOICES, clips, progress)
    progress(f"wake head on espeak-ng held-out voices ({clips} clips) …")
    on_espeak = wake_rates(HELD_OUT_VOICES, clips, progress)
    return {
        "speed": {"espeak:en-us": espeak, PIPER_VOICES[0]: piper},
        "wake": {
            "threshold": settings.threshold,
            "confirm_steps": settings.confirm_steps,
            "piper": on_piper,
            "espeak_held_out": on_espeak,
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m glasses.bench.tts_figures")
    parser.add_argument("--clips", type=int, default=54, help="wake clips per synthesiser")
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args(argv)
    from glasses.speech.tts import TtsError

    try:
        figures = tts_figures(args.clips, progress=lambda line: print(line, flush=True))
    except TtsError as exc:
        print(f"tts_figures: {exc}")
        return 3
    text = json.dumps(figures, indent=2)
    print(text)
    if args.json:
        from glasses.atomic import write_text

        write_text(args.json, text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
