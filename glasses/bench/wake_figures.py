"""The trained wake detector's figures on voices it never heard: ``wake_figures()``.

Run: ``python -m glasses.bench.wake_figures [--hours 4] [--json out.json] [--head PATH]``
(``--head``: a candidate head file, measured before it is committed). All speech is in voices
that never reached training, of two synthesiser families, reported apart:

- espeak-ng: the benchmark's held-out voices (``speech_corpus.HELD_OUT_VOICES``) for the clip
  sets below, every held-out voice of ``glasses.training.wake_data.voices("eval")`` for the
  stream;
- other synthesisers: the installed voices of ``speech_corpus.HELD_OUT_OTHER_VOICES`` (Flite's
  ``slt``, Festival's ``ked`` and ``slt_hts``; ``glasses.speech.system_tts``) speak the same
  clip sets, named with ``_other`` (``noisy_other`` …); without them those figures are None.

The clip sets, each at 140, 170 and 200 wpm in every voice:

- ``noisy``: "hey glasses" and "hey glasses, <command>" at 10–20 dB SNR (white noise, 0.3 s
  of it before and after), each clip a fresh stream;
- ``clean``: the same texts with no noise at all, 0.5 s of digital silence around them, and
  ``clean_40db``: noise 40–60 dB under the speech only, digital silence around;
- ``one_breath``: "hey glasses <command>" with no pause (half at 10–20 dB, half clean);
  ``one_breath_cut``: the share whose detection falls within 0.3 s of where the command's
  first word starts (espeak's word events), so the listener cuts the command after it. The
  other synthesisers give no word timings: their "hey glasses" and command are synthesised
  apart and joined by 0–150 ms of silence as wake training joins them
  (``wake_data._speak_parts``), and the command starts where "glasses" stops sounding;
- ``stream``: ``hours`` of distractor audio fed 512 samples at a time through one spotter:
  generated everyday sentences, the bench's ``EVERYDAY``/``DICTATION`` sentences, strings of
  dictionary words, look-alikes ("hey class", "okay glasses", the bench's ``NEAR_MISSES`` …) at
  most one a minute, noise bursts and tones, over a noise floor that changes every minute
  (white or pink, or digital silence). Every detection is a false accept.

The stream's and clips' embeddings are cached under ``$GLASSES_CACHE_DIR/wake_figures`` (they do
not depend on the head; the other synthesisers' clips in a file per set of installed voices),
so re-measuring a new head or threshold takes seconds. Detections come from
``ModelWakeSpotter.decide`` (the runtime's rule), one spotter per threshold.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from glasses.atomic import write_text
from glasses.bench.speech_corpus import (
    DICTATION,
    EVERYDAY,
    HELD_OUT_OTHER_VOICES,
    HELD_OUT_VOICES,
    LOOK_ALIKE_SPAN_S,
    NEAR_MISSES,
    installed_voices,
)
from glasses.cache import cache_dir as glasses_cache_dir
from glasses.cache import save_npz
from glasses.speech.tts import mix_noise, synthesize_16k
from glasses.speech.wake import NS_PER_S, WakeSettings
from glasses.speech.wake_features import STEP, StreamingFeatures
from glasses.speech.wake_model import FLUSH_STEPS, Head, ModelWakeSpotter
from glasses.training import wake_data

Progress = Callable[[str], None]
RATE = 16_000
RATES_WPM = (140, 170, 200)
COMMANDS = ("read this", "scan this", "take a photo", "what does it say", "start captions")
ONE_BREATH = (
    "read this",
    "scan this",
    "what does this code say",
    "take a picture",
    "what time is it",
    "dismiss",
)
THRESHOLDS = (0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 0.98)
CUT_SLACK_S = 0.3
# Bump when an espeak-ng clip set's recipe changes (2: each clip spoken afresh, as the runtime's
# synthesis, wake_data.WordTimedEspeak).
FIGURES_VERSION = 2
# Bump when an other synthesisers' clip set's recipe changes (2: slt_hts follows the rate).
OTHER_FIGURES_VERSION = 2
STREAM_VERSION = 3  # bump when the stream's recipe changes (3: as FIGURES_VERSION 2)
SETS = ("noisy", "clean", "clean_40db", "one_breath")
OTHER = "_other"  # the suffix of the other synthesisers' sets and figures


def cache_dir() -> Path:
    return glasses_cache_dir("wake_figures")


@dataclass(frozen=True, slots=True)
class Scored:
    """A clip (or the stream) as embeddings; ``cut_at``: for one-breath clips, the step time
    (s) where the command's first word starts (else −1)."""

    embeddings: np.ndarray  # (k, 96): the clip's steps and the flush's silence after it
    cut_at: float = -1.0


def _embed(audio: np.ndarray, features: StreamingFeatures) -> np.ndarray:
    """Embeddings as the spotter computes them: 512-sample chunks, then the flush's padding."""
    features.reset()
    parts = [features.push(audio[i : i + 512]) for i in range(0, len(audio), 512)]
    pad = (STEP - features.pending) % STEP + FLUSH_STEPS * STEP
    parts.append(features.push(np.zeros(pad, np.int16)))
    return np.concatenate(parts).astype(np.float16)


def _silence(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * RATE), np.int16)


def _load(path: Path) -> dict[str, list[Scored]] | None:
    """Clip sets saved by ``_save``, or None when ``path`` is missing."""
    if not path.is_file():
        return None
    with np.load(path, allow_pickle=False) as npz:
        out: dict[str, list[Scored]] = {}
        for key in npz.files:
            if key.endswith("__cut"):
                continue
            name, _, _ = key.rpartition("__")
            out.setdefault(name, []).append(
                Scored(npz[key], float(npz[f"{key}__cut"]) if f"{key}__cut" in npz else -1)
            )
        return out


def _save(path: Path, sets: dict[str, list[Scored]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    arrays: dict[str, np.ndarray] = {}
    for name, items in sets.items():
        for i, item in enumerate(items):
            arrays[f"{name}__{i}"] = item.embeddings
            if item.cut_at >= 0:
                arrays[f"{name}__{i}__cut"] = np.array(item.cut_at)
    save_npz(path, **arrays)


def _clips(progress: Progress) -> tuple[dict[str, list[Scored]], tuple[str, ...]]:
    """Every clip set's embeddings (cached): espeak-ng's sets (``SETS``) and, for the
    installed ``HELD_OUT_OTHER_VOICES`` (also returned), the same sets named with ``OTHER``."""
    sets = _espeak_clips(progress)
    others = installed_voices(HELD_OUT_OTHER_VOICES)
    if others:
        sets |= _other_clips(others, progress)
    else:
        progress(f"other synthesisers: none of {', '.join(HELD_OUT_OTHER_VOICES)} installed")
    return sets, others


def _espeak_clips(progress: Progress) -> dict[str, list[Scored]]:
    path = cache_dir() / f"clips-v{FIGURES_VERSION}.npz"
    cached = _load(path)
    if cached is None:
        rng = np.random.default_rng(20_241)
        cached = _clip_sets(HELD_OUT_VOICES, "", rng, _espeak_one_breath, progress)
        _save(path, cached)
    return cached


def _other_clips(voices: Sequence[str], progress: Progress) -> dict[str, list[Scored]]:
    """``SETS`` (named with ``OTHER``) spoken by ``voices`` of other synthesisers, cached in a
    file per voice list."""
    names = "+".join(v.replace(":", "-") for v in voices)
    path = cache_dir() / f"clips-other-v{OTHER_FIGURES_VERSION}-{names}.npz"
    cached = _load(path)
    if cached is None:
        rng = np.random.default_rng(20_243)
        cached = _clip_sets(voices, OTHER, rng, _parts_one_breath, progress)
        _save(path, cached)
    return cached


OneBreath = Callable[[np.random.Generator, str, str, int], tuple[np.ndarray, int]]


def _espeak_one_breath(
    _rng: np.random.Generator, command: str, voice: str, rate: int
) -> tuple[np.ndarray, int]:
    """The wake phrase run into ``command`` ("hey glasses read this"), and the sample where
    the command starts (espeak-ng's word events)."""
    spoken = wake_data.engine().speak(f"hey glasses {command}", voice, rate, 50)
    return spoken.samples, spoken.word_starts[2]  # "hey", "glasses", <command>


def _parts_one_breath(
    rng: np.random.Generator, command: str, voice: str, rate: int
) -> tuple[np.ndarray, int]:
    """The same for a synthesiser without word timings: "hey glasses" and the command apart,
    joined as the wake training joins them; the command starts where "glasses" stops."""
    text = f"hey glasses{wake_data.JOIN}{command}"
    spoken = wake_data._speak_parts(rng, text.split(wake_data.JOIN), voice, rate, 50)
    return spoken.samples, wake_data.phrase_end(spoken, text)


def _clip_sets(
    voices: Sequence[str],
    suffix: str,
    rng: np.random.Generator,
    one_breath: OneBreath,
    progress: Progress,
) -> dict[str, list[Scored]]:
    """``SETS`` (names ending in ``suffix``) spoken by ``voices`` at ``RATES_WPM``."""
    features = StreamingFeatures()
    sets: dict[str, list[Scored]] = {f"{name}{suffix}": [] for name in SETS}
    noisy, clean, clean_40db, breath = sets.values()
    texts = ("hey glasses", *(f"hey glasses, {c}" for c in COMMANDS))
    pairs = [(v, r) for v in voices for r in RATES_WPM]
    for n, (voice, rate) in enumerate(pairs, start=1):
        progress(f"wake clips: {voice} at {rate} wpm ({n}/{len(pairs)})")
        for text in texts:
            speech = synthesize_16k(text, voice=voice, rate_wpm=rate)
            snr = float(rng.uniform(10.0, 20.0))
            noisy.append(
                Scored(_embed(mix_noise(speech, snr, seed=int(rng.integers(1 << 30))), features))
            )
            silent = np.concatenate([_silence(0.5), speech, _silence(0.5)])
            clean.append(Scored(_embed(silent, features)))
            under = mix_noise(speech, float(rng.uniform(40.0, 60.0)), seed=n, pad_s=0.0)
            clean_40db.append(
                Scored(_embed(np.concatenate([_silence(0.5), under, _silence(0.5)]), features))
            )
        for i, command in enumerate(ONE_BREATH):
            x, command_at = one_breath(rng, command, voice, rate)
            if i % 2:
                x = mix_noise(x, float(rng.uniform(10.0, 20.0)), seed=i)
                lead = int(0.3 * RATE)
            else:
                x = np.concatenate([_silence(0.5), x, _silence(0.5)])
                lead = int(0.5 * RATE)
            breath.append(Scored(_embed(x, features), (lead + command_at) / RATE))
    return sets


def _stream(hours: float, progress: Progress, seed: int = 20_242) -> tuple[np.ndarray, np.ndarray]:
    """(embeddings of ``hours`` of distractor audio, the times (s) where its look-alike
    utterances start), cached."""
    path = cache_dir() / f"stream-v{STREAM_VERSION}-{seed}-{hours:g}h.npz"
    if path.is_file():
        with np.load(path) as npz:
            return npz["embeddings"], npz["lookalikes"]
    rng = np.random.default_rng(seed)
    features = StreamingFeatures()
    parts: list[np.ndarray] = []
    lookalikes: list[float] = []
    minutes = round(hours * 60)
    t0 = time.monotonic()
    audio = stream_minutes(minutes, rng, wake_data.voices("eval"), lookalikes)
    for minute, pcm in enumerate(audio):
        parts += [features.push(pcm[i : i + 512]) for i in range(0, len(pcm), 512)]
        if (minute + 1) % 10 == 0:
            progress(f"stream: {minute + 1}/{minutes} min ({time.monotonic() - t0:.0f} s)")
    embeddings = np.concatenate(parts).astype(np.float16)
    starts = np.array(lookalikes, np.float64)
    save_npz(path, embeddings=embeddings, lookalikes=starts)
    return embeddings, starts


def stream_minutes(
    minutes: int,
    rng: np.random.Generator,
    voices: Sequence[str],
    lookalikes: list[float],
    *,
    bench_texts: bool = True,
) -> Iterator[np.ndarray]:
    """The distractor stream's audio (see the module docstring), a minute of 16 kHz int16 at a
    time, spoken by ``voices``; the times (s) where its look-alikes start are appended to
    ``lookalikes``. Deterministic for a given ``rng`` state. ``bench_texts=False``: none of the
    bench's sentences (``NEAR_MISSES``, ``EVERYDAY``, ``DICTATION``), for training data (the
    figures measure text the head never heard): generated sentences stand for the bench's, and
    the look-alikes are the training ones only."""
    look_alikes = (tuple(NEAR_MISSES) if bench_texts else ()) + tuple(
        t for t in wake_data.LOOK_ALIKES if t not in {"hey", "glasses", "glass"}
    )
    for minute in range(minutes):
        floor_kind = wake_data._pick(rng, ("white", "pink", "silence"))
        floor_rms = float(rng.uniform(20.0, 400.0))
        audio: list[np.ndarray] = []
        n = 0
        said_look_alike = False
        while n < 60 * RATE:
            r = rng.random()
            voice = wake_data._pick(rng, voices)
            rate, pitch = int(rng.integers(120, 221)), int(rng.integers(25, 76))
            if r < 0.04 and not said_look_alike:  # at most one look-alike a minute
                text = wake_data._pick(rng, look_alikes)
                said_look_alike = True
                lookalikes.append(minute * 60 + n / RATE)
            elif r < 0.45:
                text = wake_data.sentence(rng)
            elif r < 0.75:
                if bench_texts:
                    text = wake_data._pick(rng, EVERYDAY + DICTATION)
                else:
                    text = wake_data.sentence(rng)
            elif r < 0.88:
                text = wake_data.word_string(rng)
            else:
                text = ""
            if text:
                x = wake_data.engine().speak(text, voice, rate, pitch).samples.astype(np.float64)
                x *= 10 ** (rng.uniform(-12.0, 4.0) / 20)
            elif rng.random() < 0.5:
                x = wake_data.tone(rng, float(rng.uniform(0.5, 3.0))) * 10 ** rng.uniform(2, 3.5)
            else:
                colour = wake_data._pick(rng, ("white", "pink", "brown"))
                x = wake_data.coloured_noise(rng, int(rng.uniform(0.3, 2.0) * RATE), colour)
                x *= 10 ** rng.uniform(1.5, 3.5)
            gap = np.zeros(int(rng.uniform(0.1, 1.5) * RATE))
            audio += [x, gap]
            n += len(x) + len(gap)
        chunk = np.concatenate(audio)[: 60 * RATE]
        if floor_kind != "silence":
            chunk = chunk + wake_data.coloured_noise(rng, len(chunk), floor_kind) * floor_rms
        yield np.clip(np.rint(chunk), -32768, 32767).astype(np.int16)


def _detections(
    scorer: ModelWakeSpotter, deciders: Sequence[ModelWakeSpotter], embeddings: np.ndarray
) -> list[list[float]]:
    """For each decider: the times (s from the clip's start) of its detections."""
    scorer.reset()
    scores = [float(s) for s in scorer.score_embeddings(embeddings)]
    ends = [(i + 1) * STEP * NS_PER_S // RATE for i in range(len(scores))]
    out = []
    for d in deciders:
        d.reset()
        out.append([h.t_ns / NS_PER_S for h in d.decide(ends, scores)])
    return out


def wake_figures(
    hours: float = 4.0,
    *,
    thresholds: Sequence[float] = THRESHOLDS,
    confirm_steps: Sequence[int] = (1, 2),
    head: Path | None = None,
    progress: Progress = print,
) -> dict[str, object]:
    """Detect rates (0..1) per set and false accepts per hour, for every threshold × confirm
    steps; ``default`` repeats the row of ``wake.toml``'s settings. Each row has
    ``detect_<set>`` and ``one_breath_cut`` for espeak-ng's held-out voices, and the same
    with ``_other`` for the other synthesisers' (None when none is installed). ``head``: a
    candidate head file instead of the committed one."""
    scoring_head = Head(path=head)
    sets, other_voices = _clips(progress)
    stream, lookalikes = _stream(hours, progress)
    default = WakeSettings(backend="model")
    combos = sorted({(t, c) for t in thresholds for c in confirm_steps}
                    | {(default.threshold, default.confirm_steps)})  # fmt: skip
    deciders = [
        ModelWakeSpotter(
            WakeSettings(threshold=t, backend="model", confirm_steps=c), head=scoring_head
        )
        for t, c in combos
    ]
    scorer = ModelWakeSpotter(default, head=scoring_head)
    rows = []
    hits: dict[str, list[list[list[float]]]] = {
        name: [_detections(scorer, deciders, s.embeddings) for s in items]
        for name, items in sets.items()
    }
    stream_hits = _detections(scorer, deciders, stream)
    stream_hours = len(stream) * STEP / RATE / 3600
    for j, (t, c) in enumerate(combos):
        row: dict[str, object] = {"threshold": t, "confirm_steps": c}
        for family in ("", OTHER):
            for name in SETS:
                per_clip = hits.get(f"{name}{family}", [])
                row[f"detect_{name}{family}"] = _share([bool(h[j]) for h in per_clip])
            one_breath = f"one_breath{family}"
            row[f"one_breath_cut{family}"] = _share(
                [
                    bool(h[j]) and abs(h[j][0] - s.cut_at) <= CUT_SLACK_S
                    for h, s in zip(hits.get(one_breath, []), sets.get(one_breath, []), strict=True)
                ]
            )
        row["false_accepts"] = len(stream_hits[j])
        row["false_accepts_after_look_alikes"] = sum(
            bool(np.any((t >= lookalikes) & (t - lookalikes <= LOOK_ALIKE_SPAN_S)))
            for t in stream_hits[j]
        )
        row["false_accepts_per_hour"] = round(len(stream_hits[j]) / stream_hours, 3)
        rows.append(row)
    chosen = rows[combos.index((default.threshold, default.confirm_steps))]
    return {
        "default": chosen,
        "sweep": rows,
        "clips": {name: len(items) for name, items in sets.items()},
        "distractor_hours": round(stream_hours, 3),
        "distractor_lookalikes": len(lookalikes),
        "voices": list(HELD_OUT_VOICES),
        "other_voices": list(other_voices),
    }


def _share(hits: Sequence[bool]) -> float | None:
    """The share of true ``hits`` (4 decimals), None for no clips."""
    return round(float(np.mean(hits)), 4) if hits else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m glasses.bench.wake_figures")
    parser.add_argument("--hours", type=float, default=4.0, help="distractor stream length")
    parser.add_argument("--json", type=Path, help="write the figures here")
    parser.add_argument("--head", type=Path, help="a candidate head instead of the committed one")
    args = parser.parse_args(argv)
    figures = wake_figures(
        args.hours, head=args.head, progress=lambda line: print(line, flush=True)
    )
    text = json.dumps(figures, indent=2)
    print(text)
    if args.json:
        write_text(args.json, text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
