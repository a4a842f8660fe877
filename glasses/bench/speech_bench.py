"""``glasses bench speech``: wake word, commands, VAD and dictation on a synthesised corpus.

The corpus is espeak-ng speech (``glasses.speech.tts``, cached on disk) in ``VOICES`` at
``RATES_WPM``, each clip mixed with white noise at a seeded SNR of 10–20 dB, so every run hears
the same audio:

- **wake**: "hey glasses" alone and "hey glasses, <command>" for every skill phrase, per
  voice/rate pair. The clips stream, one after the other, through one long-lived spotter (its
  normalisation carried over), then the rest of the clip is decoded as a command, as
  ``ListenStage`` does (``wake_detect_rate``; ``wake_detect_rate_fresh``: a fresh decoder per
  clip, warmed up on it, the stage's fallback while its spotter is cold);
- **commands**: every skill phrase per voice/rate pair (``command_accuracy``: the right intent);
- **out of grammar**: ``NEAR_MISSES`` ("hello class", "these glasses are great", "read me a
  story") and ``EVERYDAY`` sentences, each in two voices (``oog_rejection_rate``; each clip is
  also searched for the wake phrase: ``wake_false_wake_rate_oog``);
- **distractor stream**: ``minutes`` of unrelated ``EVERYDAY`` speech with noise-only gaps
  over a constant noise floor, fed 512 samples at a time to one ``WakeWordSpotter``, as live
  (``wake_false_accepts_per_hour``);
- **dictation**: ``DICTATION`` sentences with their text (``dictation_wer``, ``dictation_rtf``).

``command_latency_*_ms``: end of speech → final command = the VAD stop hangover
(``EndpointSettings.stop_hangover_ms``) + the wall time of the command decode (the wake phrase
was spotted while the utterance streamed). ``raw_pocketsphinx_*``: the same clips through a plain
``pocketsphinx.Decoder`` with the JSGF grammar and its default settings (one decoder for all
clips, no rejection, no warm-up). ``speech_rss_mb``: the process's RSS growth from loading and
first using the speech stack (VAD, wake, commands, dictation), measured before anything else.

``calibrate`` sweeps the wake threshold (``SWEEP``) on the wake clips, the out-of-grammar clips
and the stream, and picks the threshold with the highest detect rate at <=
``MAX_FALSE_ACCEPTS_PER_HOUR``; ``write_wake_config`` stores it in ``glasses/speech/wake.toml``
(the CLI writes nothing when no threshold is within the bound).
"""

from __future__ import annotations

import datetime
import itertools
import resource
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from glasses.runtime.metrics import percentile

if TYPE_CHECKING:
    from glasses.speech.commands import CommandPhrase, CommandRecognizer
    from glasses.speech.dictation import Dictation
    from glasses.speech.vad import SileroVad
    from glasses.speech.wake import WakeSettings

Progress = Callable[[str], None]

RATE = 16_000
NS_PER_S = 1_000_000_000
CHUNK = 512  # samples per chunk, as a microphone delivers them (one Silero frame)
VOICES = ("en-us", "en-us+f3", "en", "en-us+m3")  # espeak-ng's "en" is British English
RATES_WPM = (140, 170, 200)
SNR_DB = (10.0, 20.0)
PAD_S = 0.3  # noise before and after each clip: the margins the VAD stage keeps
STREAM_NOISE_RMS = 300.0  # the distractor stream's constant noise floor (int16 units)
STREAM_SEED = 20_240
OOG_VOICES_PER_SENTENCE = 2
DICTATION_VOICES_PER_SENTENCE = 2
SWEEP = (1e-50, 1e-45, 1e-40, 1e-35, 1e-30, 1e-25, 1e-20)
MAX_FALSE_ACCEPTS_PER_HOUR = 0.5

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

KEYS = (
    "wake_detect_rate",
    "wake_detect_rate_fresh",
    "wake_false_accepts_per_hour",
    "wake_false_accepts",
    "wake_false_wake_rate_oog",
    "wake_threshold",
    "distractor_minutes",
    "command_accuracy",
    "oog_rejection_rate",
    "wake_command_accuracy",
    "command_latency_p50_ms",
    "command_latency_p95_ms",
    "wake_search_ms_p50",
    "command_decode_ms_p50",
    "vad_ms_per_chunk_p50",
    "vad_end_delay_ms_p50",
    "dictation_wer",
    "dictation_rtf",
    "speech_rss_mb",
    "speech_rss_mb_listening",
    "raw_pocketsphinx_command_accuracy",
    "raw_pocketsphinx_oog_rejection_rate",
    "raw_pocketsphinx_ms_p50",
    "command_accuracy_vs_raw",
    "oog_rejection_vs_raw",
    "wake_clips",
    "command_clips",
    "oog_clips",
    "dictation_clips",
)


# ---- word error rate ------------------------------------------------------------------------


def words(text: str) -> list[str]:
    """Lower-case words (letters and apostrophes), as WER compares them."""
    from glasses.speech.commands import normalize

    return normalize(text).split()


def word_edits(reference: Sequence[str], hypothesis: Sequence[str]) -> int:
    """Levenshtein distance in words: substitutions + deletions + insertions."""
    previous = list(range(len(hypothesis) + 1))
    for i, ref in enumerate(reference, 1):
        current = [i]
        for j, hyp in enumerate(hypothesis, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ref != hyp)))
        previous = current
    return previous[-1]


def word_error_rate(reference: str, hypothesis: str) -> float:
    """Word edits / reference words (0 is perfect; can exceed 1 with many insertions).
    An empty reference gives 0.0 for an empty hypothesis, else 1.0."""
    ref, hyp = words(reference), words(hypothesis)
    if not ref:
        return 0.0 if not hyp else 1.0
    return word_edits(ref, hyp) / len(ref)


# ---- corpus ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Clip:
    """One utterance: ``audio`` 16 kHz int16 with ``PAD_S`` of noise each side; ``speech_end``
    the sample where the speech itself ends; ``intent`` the command it carries, if any."""

    kind: str
    text: str
    voice: str
    rate_wpm: int
    snr_db: float
    audio: np.ndarray = field(repr=False)
    speech_end: int
    intent: str | None = None

    @property
    def duration_s(self) -> float:
        return len(self.audio) / RATE


@dataclass(frozen=True, slots=True)
class Corpus:
    wake: list[Clip]
    commands: list[Clip]
    oog: list[Clip]
    dictation: list[Clip]
    pairs: list[tuple[str, int]]
    minutes: float
    cache_dir: Path | None = None

    def describe(self) -> str:
        voices = ", ".join(dict.fromkeys(v for v, _ in self.pairs))
        rates = "/".join(str(r) for r in dict.fromkeys(r for _, r in self.pairs))
        return (
            f"espeak-ng {voices} at {rates} wpm, white noise at {SNR_DB[0]:g}–{SNR_DB[1]:g} dB "
            f"SNR (seeded); {len(self.wake)} wake clips, {len(self.commands)} commands, "
            f"{len(self.oog)} out-of-grammar, {len(self.dictation)} dictation; "
            f"{self.minutes:g} min distractor stream"
        )


def _last_sound(speech: np.ndarray) -> int:
    """Index just after the last sample above 2 % of the peak (espeak trails some silence)."""
    if not len(speech):
        return 0
    level = np.abs(speech.astype(np.int32))
    loud = np.flatnonzero(level > 0.02 * int(level.max()))
    return int(loud[-1]) + 1 if len(loud) else len(speech)


def voice_rate_pairs() -> list[tuple[str, int]]:
    """Every (voice, rate) once, ordered so neighbours differ in both (a rotation through the
    list, or an evenly spaced subset, mixes voices and rates)."""
    nv, nr = len(VOICES), len(RATES_WPM)
    pairs = [(VOICES[i % nv], RATES_WPM[(i // nv + i) % nr]) for i in range(nv * nr)]
    if len(set(pairs)) != len(pairs):  # the rotation is not a permutation for these sizes
        pairs = list(itertools.product(VOICES, RATES_WPM))
    return pairs


@dataclass(frozen=True, slots=True)
class _Spec:
    kind: str
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
) -> dict[str, list[_Spec]]:
    n = len(pairs)
    wake: list[_Spec] = []
    commands: list[_Spec] = []
    for p, pair in enumerate(pairs):
        wake.append(_Spec("wake", wake_phrase, pair, (1, p, 0)))
        for c, phrase in enumerate(phrases, 1):
            text = f"{wake_phrase}, {phrase.phrase}"
            wake.append(_Spec("wake", text, pair, (1, p, c), phrase.intent))
            commands.append(_Spec("command", phrase.phrase, pair, (2, p, c), phrase.intent))
    turn = itertools.count()
    oog = [
        _Spec("oog", text, pairs[next(turn) % n], (3, j, k))
        for j, text in enumerate(NEAR_MISSES + EVERYDAY)
        for k in range(min(OOG_VOICES_PER_SENTENCE, n))
    ]
    turn = itertools.count()
    dictation = [
        _Spec("dictation", text, pairs[next(turn) % n], (4, j, k))
        for j, text in enumerate(DICTATION)
        for k in range(min(DICTATION_VOICES_PER_SENTENCE, n))
    ]
    return {"wake": wake, "commands": commands, "oog": oog, "dictation": dictation}


def _synth(spec: _Spec, cache_dir: Path | None) -> Clip:
    from glasses.speech.tts import mix_noise, synthesize_16k

    voice, rate = spec.pair
    rng = np.random.default_rng([STREAM_SEED, *spec.key])
    snr = round(float(rng.uniform(*SNR_DB)), 1)
    speech = synthesize_16k(spec.text, voice=voice, rate_wpm=rate, cache_dir=cache_dir)
    audio = mix_noise(speech, snr, seed=int(rng.integers(2**31)), pad_s=PAD_S)
    end = int(PAD_S * RATE) + _last_sound(speech)
    return Clip(spec.kind, spec.text, voice, rate, snr, audio, end, spec.intent)


def build_corpus(
    phrases: Sequence[CommandPhrase],
    wake_phrase: str,
    *,
    minutes: float = 30.0,
    limit: int | None = None,
    cache_dir: Path | None = None,
    progress: Progress = print,
) -> Corpus:
    """Synthesise (or load from the TTS cache) every clip; ``limit``: at most that many clips
    per set, evenly spaced. The distractor stream is generated while it is consumed
    (``distractor_stream``)."""
    pairs = voice_rate_pairs()
    sets = {
        name: _spread(specs, limit) for name, specs in _specs(phrases, wake_phrase, pairs).items()
    }
    total = sum(len(s) for s in sets.values())
    progress(
        f"synthesising {total} clips ({', '.join(f'{len(s)} {k}' for k, s in sets.items())}) "
        f"with espeak-ng, {len(VOICES)} voices × {len(RATES_WPM)} rates (cached) …"
    )
    clips = {name: [_synth(spec, cache_dir) for spec in specs] for name, specs in sets.items()}
    return Corpus(
        clips["wake"], clips["commands"], clips["oog"], clips["dictation"], pairs, minutes,
        cache_dir,
    )  # fmt: skip


def distractor_stream(
    minutes: float, pairs: Sequence[tuple[str, int]], *, cache_dir: Path | None = None
) -> Iterator[np.ndarray]:
    """``minutes`` of 16 kHz int16 audio, in pieces: ``EVERYDAY`` sentences in random voices
    at 10–20 dB over a constant white-noise floor, between noise-only gaps of 0.5–4 s (one in
    ten 8–20 s). Deterministic (``STREAM_SEED``). Unrelated speech only: ``NEAR_MISSES`` are
    measured as out-of-grammar utterances (a stream of them every few seconds would measure
    an adversary, not a day of wear)."""
    from glasses.speech.tts import synthesize_16k

    rng = np.random.default_rng(STREAM_SEED)
    total = int(minutes * 60 * RATE)
    done = 0
    while done < total:
        gap_s = rng.uniform(8.0, 20.0) if rng.random() < 0.1 else rng.uniform(0.5, 4.0)
        text = EVERYDAY[int(rng.integers(len(EVERYDAY)))]
        voice, rate = pairs[int(rng.integers(len(pairs)))]
        snr = rng.uniform(*SNR_DB)
        speech = synthesize_16k(text, voice=voice, rate_wpm=rate, cache_dir=cache_dir)
        x = speech.astype(np.float64)
        rms = float(np.sqrt(np.mean(x**2))) if len(x) else 1.0
        x *= STREAM_NOISE_RMS * 10 ** (snr / 20) / max(rms, 1.0)
        segment = np.concatenate([np.zeros(int(gap_s * RATE)), x])[: total - done]
        segment += rng.normal(0.0, STREAM_NOISE_RMS, len(segment))
        done += len(segment)
        yield np.clip(np.rint(segment), -32768, 32767).astype(np.int16)


# ---- the speech stack -----------------------------------------------------------------------


def rss_mb() -> float:
    """The process's resident set size now (``VmRSS``), in MiB; the peak (``ru_maxrss``) where
    ``/proc`` is missing."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass  # not Linux: fall back to the peak below
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@dataclass
class SpeechStack:
    """What the glasses load to listen: VAD, command recogniser and dictation (the wake
    spotter is built per utterance by ``spot``, as ``ListenStage`` does)."""

    vad: SileroVad
    recognizer: CommandRecognizer
    dictation: Dictation
    phrases: tuple[CommandPhrase, ...]
    wake: WakeSettings


def load_speech_stack() -> tuple[SpeechStack, float, float]:
    """The stack, loaded and used once on a second of noise, and the RSS growth (MiB) that
    cost: all of it, and the listening part (VAD, wake word, commands) before dictation. Run
    it before anything else loads speech models, or the growth is understated."""
    before = rss_mb()
    from glasses.assistant.skills import builtin_skills
    from glasses.speech.commands import CommandRecognizer, phrases_from_skills
    from glasses.speech.dictation import Dictation
    from glasses.speech.vad import SileroVad
    from glasses.speech.wake import WakeSettings, WakeWordSpotter

    phrases = tuple(phrases_from_skills(builtin_skills()))
    wake = WakeSettings(backend="pocketsphinx")  # what this bench calibrates
    vad = SileroVad()
    spotter = WakeWordSpotter(wake)
    recognizer = CommandRecognizer(phrases)
    noise = np.random.default_rng(0).normal(0, STREAM_NOISE_RMS, RATE).astype(np.int16)
    vad.probability(noise[: vad.context_samples + vad.frame_samples])
    vad.reset()
    spotter.process(noise, 0)
    spotter.reset()
    recognizer.recognize(noise)
    # What the glasses hold while listening; dictation loads only when captions are asked for.
    listening = rss_mb() - before
    dictation = Dictation()
    dictation.process(noise)
    dictation.finish()
    grown = rss_mb() - before
    del spotter
    return SpeechStack(vad, recognizer, dictation, phrases, wake), grown, listening


# ---- measurements ---------------------------------------------------------------------------


def _rate(hits: int, n: int) -> float | None:
    return round(hits / n, 4) if n else None


def _p(values: list[float], q: float, digits: int = 1) -> float | None:
    return round(percentile(values, q), digits) if values else None


def detect_rate(clips: Sequence[Clip], settings: WakeSettings) -> float | None:
    """Share of ``clips`` in which ``spot`` (a fresh spotter per utterance, warmed up on it)
    finds the wake phrase: the search ``ListenStage`` falls back to while its streaming
    spotter is cold."""
    from glasses.speech.wake import spot

    return _rate(sum(bool(spot(c.audio, settings)) for c in clips), len(clips))


def stream_clips(clips: Sequence[Clip], settings: WakeSettings) -> list[tuple[list[Any], float]]:
    """Each clip through one long-lived spotter, chunk by chunk, as ``ListenStage`` hears
    utterances (its normalisation carried from clip to clip): (detections with times from
    the clip's start, wall ms spent on the clip) per clip."""
    from glasses.speech.listen_stage import COLD_SPOTTER_S
    from glasses.speech.wake import WakeWordSpotter, spot

    spotter = WakeWordSpotter(settings)
    heard_s = 0.0
    out: list[tuple[list[Any], float]] = []
    start = 0  # samples: clips follow each other on one time line, as utterances do live
    for clip in clips:
        t0 = time.perf_counter()
        found = []
        for i in range(0, len(clip.audio), CHUNK):
            found += spotter.process(clip.audio[i : i + CHUNK], (start + i) * NS_PER_S // RATE)
        found += spotter.flush((start + len(clip.audio)) * NS_PER_S // RATE)
        # Times from the clip's start (the spotter's refractory period runs on the time line).
        found = [replace(d, t_ns=d.t_ns - start * NS_PER_S // RATE) for d in found]
        start += len(clip.audio) + RATE  # a second between utterances
        if not found and heard_s < COLD_SPOTTER_S:
            found = spot(clip.audio, settings)  # the stage's fallback while the spotter is cold
        heard_s += clip.duration_s
        out.append((found, (time.perf_counter() - t0) * 1000))
    return out


def detect_rate_streaming(clips: Sequence[Clip], settings: WakeSettings) -> float | None:
    """Share of ``clips`` in which the streaming spotter (``stream_clips``) finds the wake
    phrase: what ``ListenStage`` does."""
    return _rate(sum(bool(found) for found, _ in stream_clips(clips, settings)), len(clips))


def wake_then_command(
    clips: Sequence[Clip], settings: WakeSettings, recognizer: CommandRecognizer
) -> dict[str, float | None]:
    """``ListenStage`` on each wake clip: the streaming spotter (``stream_clips``), then the
    command decoded from the end of the wake phrase when at least ``min_command_s`` of speech
    follows. Detect rate, end-to-end intent accuracy (of the clips carrying a command), and
    end of speech → command latency: the VAD stop hangover + the wall time of the command
    decode (the wake phrase was found while the wearer was still speaking)."""
    from glasses.speech.listen_stage import ListenSettings
    from glasses.speech.vad import EndpointSettings

    hangover_ms = EndpointSettings().stop_hangover_ms
    min_command = ListenSettings(wake=settings).min_command_s * RATE
    detected = right = with_command = 0
    latency: list[float] = []
    wake_ms: list[float] = []
    command_ms: list[float] = []
    for clip, (found, spent_ms) in zip(clips, stream_clips(clips, settings), strict=True):
        wake_ms.append(spent_ms)
        detected += bool(found)
        if clip.intent is None:
            continue
        with_command += 1
        if not found:
            continue
        after = min(len(clip.audio), found[0].t_ns * RATE // NS_PER_S)
        if clip.speech_end - after < min_command:
            continue  # the runtime would wait for another utterance: not this clip's command
        t1 = time.perf_counter()
        result = recognizer.recognize(clip.audio[after:])
        t2 = time.perf_counter()
        command_ms.append((t2 - t1) * 1000)
        latency.append(hangover_ms + (t2 - t1) * 1000)
        right += result.intent == clip.intent
    return {
        "wake_detect_rate": _rate(detected, len(clips)),
        "wake_command_accuracy": _rate(right, with_command),
        "command_latency_p50_ms": _p(latency, 50),
        "command_latency_p95_ms": _p(latency, 95),
        "wake_search_ms_p50": _p(wake_ms, 50),
        "command_decode_ms_p50": _p(command_ms, 50),
    }


def stream_false_accepts(
    minutes: float,
    pairs: Sequence[tuple[str, int]],
    thresholds: Sequence[float],
    *,
    cache_dir: Path | None = None,
    progress: Progress = print,
) -> dict[float, int]:
    """Detections of one streaming ``WakeWordSpotter`` per threshold over the distractor stream
    (512-sample chunks, as live); every one is a false accept."""
    from glasses.speech.wake import WakeSettings, WakeWordSpotter

    spotters = {
        t: WakeWordSpotter(WakeSettings(threshold=t, backend="pocketsphinx")) for t in thresholds
    }
    counts = dict.fromkeys(thresholds, 0)
    pos = 0
    report_every = 5 * 60 * RATE
    next_report = report_every
    for segment in distractor_stream(minutes, pairs, cache_dir=cache_dir):
        for i in range(0, len(segment), CHUNK):
            chunk = segment[i : i + CHUNK]
            t_ns = pos * NS_PER_S // RATE
            for t, spotter in spotters.items():
                counts[t] += len(spotter.process(chunk, t_ns))
            pos += len(chunk)
        if pos >= next_report:
            progress(f"  distractor stream: {pos / RATE / 60:.0f} of {minutes:g} min …")
            next_report += report_every
    for t, spotter in spotters.items():
        counts[t] += len(spotter.flush(pos * NS_PER_S // RATE))
    return counts


def command_figures(
    recognizer: CommandRecognizer, commands: Sequence[Clip], oog: Sequence[Clip]
) -> dict[str, float | None]:
    """Our recogniser: commands mapped to the right intent, out-of-grammar speech rejected."""
    right = sum(recognizer.recognize(c.audio).intent == c.intent for c in commands)
    rejected = sum(not recognizer.recognize(c.audio).accepted for c in oog)
    return {
        "command_accuracy": _rate(right, len(commands)),
        "oog_rejection_rate": _rate(rejected, len(oog)),
    }


def raw_pocketsphinx_figures(
    phrases: Sequence[CommandPhrase], commands: Sequence[Clip], oog: Sequence[Clip]
) -> dict[str, float | None]:
    """A plain ``pocketsphinx.Decoder(jsgf=…)`` with its default settings, one for all clips
    (no rejection pass, no warm-up): right intents, and out-of-grammar clips it happens not to
    map to a complete phrase."""
    import pocketsphinx

    from glasses.speech.commands import build_jsgf, normalize

    intent_of = {p.phrase: p.intent for p in phrases}
    with tempfile.TemporaryDirectory() as tmp:
        grammar = Path(tmp) / "commands.gram"
        grammar.write_text(build_jsgf(phrases), encoding="utf-8")
        decoder = pocketsphinx.Decoder(jsgf=str(grammar), loglevel="FATAL")  # FATAL: quiet

    ms: list[float] = []

    def decode(audio: np.ndarray) -> str | None:
        t = time.perf_counter()
        decoder.start_utt()
        decoder.process_raw(audio.tobytes())
        decoder.end_utt()
        hyp = decoder.hyp()
        ms.append((time.perf_counter() - t) * 1000)
        return intent_of.get(normalize(hyp.hypstr)) if hyp is not None else None

    right = sum(decode(c.audio) == c.intent for c in commands)
    rejected = sum(decode(c.audio) is None for c in oog)
    return {
        "raw_pocketsphinx_command_accuracy": _rate(right, len(commands)),
        "raw_pocketsphinx_oog_rejection_rate": _rate(rejected, len(oog)),
        "raw_pocketsphinx_ms_p50": _p(ms, 50),
    }


def vad_figures(vad: SileroVad, clips: Sequence[Clip]) -> dict[str, float | None]:
    """Silero VAD over each clip plus a second of noise, 512 samples per call: ms per call
    (p50), and the delay from the end of the speech to the endpointer's last "ended"
    decision (p50, ms: the real stop hangover, Silero's own lag included)."""
    from glasses.speech.vad import Endpointer

    ms: list[float] = []
    delays: list[float] = []
    ctx = vad.context_samples
    for n, clip in enumerate(clips):
        floor = float(np.std(clip.audio[: int(PAD_S * RATE * 0.8)]))
        tail = np.random.default_rng([STREAM_SEED, 5, n]).normal(0.0, floor, RATE)
        audio = np.concatenate([clip.audio, np.clip(np.rint(tail), -32768, 32767)])
        audio = audio.astype(np.int16)
        vad.reset()
        endpointer = Endpointer()
        window = np.zeros(ctx + CHUNK, dtype=np.int16)
        ended_ns: int | None = None
        for i in range(0, len(audio) - CHUNK + 1, CHUNK):
            window[:ctx] = window[-ctx:]
            window[ctx:] = audio[i : i + CHUNK]
            t = time.perf_counter()
            probability = vad.probability(window)
            ms.append((time.perf_counter() - t) * 1000)
            start_ns, end_ns = i * NS_PER_S // RATE, (i + CHUNK) * NS_PER_S // RATE
            decision = endpointer.update(probability, start_ns, end_ns)
            if decision is not None and decision.kind == "ended":
                ended_ns = end_ns
        if ended_ns is not None:
            delays.append((ended_ns - clip.speech_end * NS_PER_S // RATE) / 1e6)
    return {"vad_ms_per_chunk_p50": _p(ms, 50, 3), "vad_end_delay_ms_p50": _p(delays, 50)}


def dictation_figures(dictation: Dictation, clips: Sequence[Clip]) -> dict[str, float | None]:
    """Corpus word error rate (all edits / all reference words) and real-time factor (decode
    wall time / audio time), streaming 4096-sample chunks with partial results."""
    edits = ref_words = 0
    busy = audio_s = 0.0
    for clip in clips:
        t = time.perf_counter()
        for i in range(0, len(clip.audio), 4096):
            dictation.process(clip.audio[i : i + 4096])
        text = dictation.finish()
        busy += time.perf_counter() - t
        audio_s += clip.duration_s
        ref = words(clip.text)
        edits += word_edits(ref, words(text))
        ref_words += len(ref)
    return {
        "dictation_wer": round(edits / ref_words, 4) if ref_words else None,
        "dictation_rtf": round(busy / audio_s, 4) if audio_s else None,
    }


# ---- threshold sweep ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SweepRow:
    """One wake threshold: detect rates (0..1), false accepts in the stream, false wakes on
    out-of-grammar utterances (0..1)."""

    threshold: float
    detect_rate: float | None
    detect_rate_streaming: float | None
    false_accepts: int
    false_accepts_per_hour: float
    false_wake_rate_oog: float | None


def sweep(
    corpus: Corpus, thresholds: Sequence[float], *, progress: Progress = print
) -> list[SweepRow]:
    """Every threshold on the wake clips, the out-of-grammar clips and the distractor stream."""
    from glasses.speech.wake import WakeSettings

    progress(
        f"sweep: {len(thresholds)} thresholds × {corpus.minutes:g} min distractor stream, "
        "one streaming spotter each …"
    )
    counts = stream_false_accepts(
        corpus.minutes, corpus.pairs, thresholds, cache_dir=corpus.cache_dir, progress=progress
    )
    rows: list[SweepRow] = []
    for t in thresholds:
        settings = WakeSettings(threshold=t, backend="pocketsphinx")
        progress(
            f"sweep {t:g}: {len(corpus.wake)} wake and {len(corpus.oog)} out-of-grammar clips …"
        )
        rows.append(
            SweepRow(
                threshold=t,
                detect_rate=detect_rate(corpus.wake, settings),
                detect_rate_streaming=detect_rate_streaming(corpus.wake, settings),
                false_accepts=counts[t],
                false_accepts_per_hour=round(counts[t] * 60 / corpus.minutes, 3),
                false_wake_rate_oog=detect_rate_streaming(corpus.oog, settings),
            )
        )
    return rows


def choose_threshold(
    rows: Sequence[SweepRow], max_per_hour: float = MAX_FALSE_ACCEPTS_PER_HOUR
) -> tuple[SweepRow, bool]:
    """The row with the highest detect rate at <= ``max_per_hour`` false accepts (ties: fewer
    false wakes on out-of-grammar speech, then the higher threshold), and True; if none is
    within the bound, the one with the fewest false accepts, and False."""
    if not rows:
        raise ValueError("no thresholds were swept")
    within = [r for r in rows if r.false_accepts_per_hour <= max_per_hour]
    if within:
        best = max(
            within,
            key=lambda r: (r.detect_rate or 0.0, -(r.false_wake_rate_oog or 0.0), r.threshold),
        )
        return best, True
    best = min(rows, key=lambda r: (r.false_accepts, -(r.detect_rate or 0.0), -r.threshold))
    return best, False


# ---- the whole bench ------------------------------------------------------------------------


@dataclass
class Report:
    """``figures``: the ``--json`` object (exactly ``KEYS``); ``sweep`` and ``chosen`` only when
    calibrating."""

    figures: dict[str, float | None]
    corpus: str
    phrase: str
    sweep: list[SweepRow] = field(default_factory=list)
    chosen: SweepRow | None = None
    meets_target: bool = False


def run(
    minutes: float = 30.0,
    *,
    limit: int | None = None,
    calibrate: bool = False,
    thresholds: Sequence[float] = SWEEP,
    cache_dir: Path | None = None,
    progress: Progress = print,
) -> Report:
    """Load the stack, synthesise the corpus, (sweep the wake threshold,) measure everything.

    ``minutes``: length of the distractor stream; ``limit``: clips per set at most (None: all);
    ``cache_dir``: the TTS cache (default ``glasses.speech.tts.default_cache_dir()``).
    With ``calibrate`` the figures are measured at the chosen threshold.
    """
    if minutes <= 0:
        raise ValueError(f"minutes must be > 0, got {minutes}")
    progress("loading the speech stack (Silero VAD, PocketSphinx wake, commands, dictation) …")
    stack, rss, rss_listening = load_speech_stack()
    corpus = build_corpus(
        stack.phrases, stack.wake.phrase, minutes=minutes, limit=limit, cache_dir=cache_dir,
        progress=progress,
    )  # fmt: skip
    rows: list[SweepRow] = []
    chosen: SweepRow | None = None
    meets = False
    settings = stack.wake
    if calibrate:
        rows = sweep(corpus, thresholds, progress=progress)
        chosen, meets = choose_threshold(rows)
        settings = replace(settings, threshold=chosen.threshold)
        progress(f"chosen threshold {chosen.threshold:g}" + ("" if meets else " (over target)"))

    figures: dict[str, float | None] = dict.fromkeys(KEYS)
    progress(f"wake then command: {len(corpus.wake)} clips at threshold {settings.threshold:g} …")
    figures |= wake_then_command(corpus.wake, settings, stack.recognizer)
    if chosen is not None:
        fresh, oog_wakes = chosen.detect_rate, chosen.false_wake_rate_oog
        false_accepts = chosen.false_accepts
    else:
        progress(
            f"wake, fresh search: {len(corpus.wake)} clips; {len(corpus.oog)} out-of-grammar …"
        )
        fresh = detect_rate(corpus.wake, settings)
        oog_wakes = detect_rate_streaming(corpus.oog, settings)
        progress(f"distractor stream: {minutes:g} min through one streaming spotter …")
        counts = stream_false_accepts(
            minutes, corpus.pairs, [settings.threshold], cache_dir=cache_dir, progress=progress
        )
        false_accepts = counts[settings.threshold]
    figures |= {
        "wake_detect_rate_fresh": fresh,
        "wake_false_accepts": float(false_accepts),
        "wake_false_accepts_per_hour": round(false_accepts * 60 / minutes, 3),
        "wake_false_wake_rate_oog": oog_wakes,
        "wake_threshold": settings.threshold,
        "distractor_minutes": float(minutes),
    }
    progress(f"commands: {len(corpus.commands)} in grammar, {len(corpus.oog)} out of grammar …")
    figures |= command_figures(stack.recognizer, corpus.commands, corpus.oog)
    progress("raw pocketsphinx: the same clips, plain JSGF decoder …")
    figures |= raw_pocketsphinx_figures(stack.phrases, corpus.commands, corpus.oog)
    with_command = [c for c in corpus.wake if c.intent is not None] or corpus.wake
    progress(f"VAD: Silero on {len(with_command)} clips, 512 samples per call …")
    figures |= vad_figures(stack.vad, with_command)
    progress(f"dictation: {len(corpus.dictation)} sentences …")
    figures |= dictation_figures(stack.dictation, corpus.dictation)

    def ratio(a: float | None, b: float | None) -> float | None:
        return round(a / b, 3) if a is not None and b else None

    figures |= {
        "speech_rss_mb": round(rss, 1),
        "speech_rss_mb_listening": round(rss_listening, 1),
        "command_accuracy_vs_raw": ratio(
            figures["command_accuracy"], figures["raw_pocketsphinx_command_accuracy"]
        ),
        "oog_rejection_vs_raw": ratio(
            figures["oog_rejection_rate"], figures["raw_pocketsphinx_oog_rejection_rate"]
        ),
        "wake_clips": float(len(corpus.wake)),
        "command_clips": float(len(corpus.commands)),
        "oog_clips": float(len(corpus.oog)),
        "dictation_clips": float(len(corpus.dictation)),
    }
    return Report(figures, corpus.describe(), stack.wake.phrase, rows, chosen, meets)


# ---- the wake config file -------------------------------------------------------------------


def wake_config_text(report: Report, *, date: datetime.date | None = None) -> str:
    """The ``wake.toml`` recording ``report``'s chosen threshold, corpus, figures and sweep."""
    if report.chosen is None:
        raise ValueError("the report has no calibration (run with calibrate=True)")
    c, f = report.chosen, report.figures
    day = (date or datetime.datetime.now(datetime.UTC).date()).isoformat()
    calibration: dict[str, Any] = {
        "date": day,
        "tool": "glasses bench speech --calibrate",
        "corpus": report.corpus,
        "rule": (
            f"highest detect rate at <= {MAX_FALSE_ACCEPTS_PER_HOUR:g} false accepts per hour "
            "(ties: fewer false wakes on out-of-grammar speech, then the higher threshold)"
        ),
        "meets_target": report.meets_target,
        "detect_rate": c.detect_rate,
        "detect_rate_streaming": c.detect_rate_streaming,
        "false_accepts": c.false_accepts,
        "false_accepts_per_hour": c.false_accepts_per_hour,
        "false_wake_rate_oog": c.false_wake_rate_oog,
        "distractor_minutes": f.get("distractor_minutes"),
        "wake_clips": int(f.get("wake_clips") or 0),
        "oog_clips": int(f.get("oog_clips") or 0),
    }
    calibration["sweep"] = [
        {
            "threshold": r.threshold,
            "detect_rate": r.detect_rate,
            "detect_rate_streaming": r.detect_rate_streaming,
            "false_accepts_per_hour": r.false_accepts_per_hour,
            "false_wake_rate_oog": r.false_wake_rate_oog,
        }
        for r in report.sweep
    ]
    from glasses.speech import wake_config

    current = wake_config.default_wake_config()  # the model backend's values are kept
    return wake_config.wake_config_text(
        phrase=report.phrase,
        threshold=c.threshold,
        backend=current.backend,
        model_threshold=current.model_threshold,
        calibration=calibration,
        comments=("[calibration]: `glasses bench speech --calibrate`, PocketSphinx's sweep.",),
    )


def write_wake_config(path: Path, report: Report) -> None:
    """Write ``wake_config_text(report)`` to ``path`` atomically, and check it reads back."""
    from glasses.speech.wake_config import write_wake_config as write

    write(path, wake_config_text(report))
