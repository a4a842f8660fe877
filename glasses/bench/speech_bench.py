"""``glasses bench speech``: wake word, commands, captions and memory, through the real stages.

The corpus (``speech_corpus``) is espeak-ng speech in training and held-out voices, plus the
held-out voices of other synthesisers that are installed (Flite's ``slt``, Festival's ``ked``
and ``slt_hts``: ``speech_corpus.HELD_OUT_OTHER_VOICES``) and Piper's neural voice (with the
``piper`` extra); every clip set is played as a microphone session through ``VadStage`` →
``ListenStage`` → skills → HUD (``speech_listen``), and the figures are read from the events
the stages emit. ``KEYS`` are the ``--json`` figures (rates are fractions 0..1; ``Report.json``
adds ``other_voices``, the list of other-synthesiser voices measured):

- wake word, on voices no wake training may use (``HELD_OUT_VOICES``): ``wake_detect_rate``
  (10–20 dB SNR; ``wake_detect_rate_training_voices`` the same on four training voices),
  ``wake_detect_rate_clean`` (40–60 dB between digital silence), ``wake_no_pause_rate`` ("hey
  glasses read this" in one breath → the right intent), ``wake_command_accuracy`` ("hey
  glasses, <command>" → the right intent), ``wake_false_wake_rate_oog`` (speech without the
  phrase that wakes), ``wake_false_accepts_per_hour`` (``distractor_minutes`` of unrelated
  held-out speech with ``distractor_look_alikes`` look-alikes among it, "hey guys", "my
  glasses are on the table" …: ``speech_corpus.DistractorStream``;
  ``wake_false_accepts_near_look_alikes`` of the accepts came within 3 s of one's start);
- commands: ``command_accuracy`` (push to talk: a tap, then a bare phrase → the right
  intent); ``oog_rejection_rate`` ("hey glasses, <sentence out of the grammar>", of those that
  woke: no grammar intent; an ``ask`` intent, open speech, counts as rejected);
- latency: ``command_latency_p50_ms`` / ``_p95_ms``: last voiced sample → HUD drawn, for the
  ``wake`` and ``no_pause`` clips that gave an intent, on a ``ComputeClock`` (the VAD's hangover
  is audio time, the compute of every stage is real); ``command_decode_ms_p50``,
  ``wake_search_ms_p50`` (the listen stage's other compute per clip), ``vad_ms_per_chunk_p50``,
  ``vad_end_delay_ms_p50`` (last voiced sample → ``SpeechEnded``);
- captions: ``dictation_wer`` (synthetic speech) and ``captions_rtf`` (compute / audio) of the
  caption stage; on recorded human read speech (``glasses.bench.real_speech``, when its
  corpus is installed): ``dictation_wer_real`` and ``dictation_rtf`` (Whisper's final decodes
  of whole utterances), ``sphinx_streaming_wer_real`` / ``sphinx_full_utt_wer_real``;
- memory: ``speech_rss_mb_listening`` (RSS growth once VAD and listen stages have heard an
  utterance) and ``speech_rss_mb`` (with the caption stage's dictation too), measured first;
- ``raw_pocketsphinx_*``: the same command and out-of-grammar clips through a plain JSGF
  decoder (``speech_raw``), and our figures' ratios to it;
- other synthesisers, held out (``HELD_OUT_OTHER_VOICES``, each where its Debian package is
  installed; None when none is): "hey glasses" and "hey glasses, <command>" for every skill
  phrase, and every phrase bare, in each voice at each rate: ``wake_detect_rate_other``
  (10–20 dB SNR), ``wake_detect_rate_clean_other`` (40–60 dB between digital silence),
  ``wake_command_accuracy_other`` ("hey glasses, <command>" → the right intent),
  ``command_accuracy_other`` (push to talk), their clip counts (``wake_clips_other``,
  ``wake_clean_clips_other``, ``command_clips_other``) and ``other_voices_count``;
- Piper, when the optional ``piper`` extra is installed (else None): its neural voice
  ``piper:joe`` is a *training* voice of the wake word (``TRAINING_OTHER_VOICES``), not held
  out; it speaks the same wake texts and commands: ``wake_detect_rate_piper`` (10–20 dB SNR),
  ``wake_command_accuracy_piper``, ``command_accuracy_piper`` (push to talk), and their clip
  counts.

``calibrate`` sweeps PocketSphinx's wake threshold (``speech_calibration``) and measures the
figures at the chosen threshold; the CLI writes it to ``wake.toml`` when it meets the target.
"""

from __future__ import annotations

import datetime
import resource
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from glasses.bench.speech_calibration import (
    MAX_FALSE_ACCEPTS_PER_HOUR,
    SWEEP,
    SweepRow,
    calibration_record,
    choose_threshold,
    sweep,
    woke_rate,
)
from glasses.bench.speech_corpus import (
    OTHER,
    OTHER_SETS,
    PIPER,
    PIPER_SETS,
    Clip,
    DistractorStream,
    Kind,
    Progress,
    VoiceSets,
    build_corpus,
    warmup_clips,
)
from glasses.bench.speech_listen import (
    LISTEN,
    Heard,
    Timeline,
    listen_stage,
    ns,
    play,
    stream_wakes,
    vad_stage,
)
from glasses.bench.speech_raw import raw_pocketsphinx_figures
from glasses.bench.speech_scoring import corpus_wer, pctl, rate, ratio

if TYPE_CHECKING:
    from glasses.speech.commands import CommandPhrase
    from glasses.speech.listen_stage import ListenMode
    from glasses.speech.vad import SileroVad
    from glasses.speech.wake import WakeSettings

__all__ = [
    "KEYS",
    "MAX_FALSE_ACCEPTS_PER_HOUR",
    "QUICK_CLIPS",
    "QUICK_MINUTES",
    "SWEEP",
    "Report",
    "calibrated_wake_config",
    "run",
]

QUICK_CLIPS = 4  # --quick: clips per set
QUICK_MINUTES = 1.0  # --quick: minutes of distractor stream

KEYS = (
    "wake_detect_rate",
    "wake_detect_rate_training_voices",
    "wake_detect_rate_clean",
    "wake_no_pause_rate",
    "wake_command_accuracy",
    "wake_false_accepts_per_hour",
    "wake_false_accepts",
    "wake_false_accepts_near_look_alikes",
    "distractor_look_alikes",
    "wake_false_wake_rate_oog",
    "wake_threshold",
    "distractor_minutes",
    "command_accuracy",
    "oog_rejection_rate",
    "command_latency_p50_ms",
    "command_latency_p95_ms",
    "command_decode_ms_p50",
    "wake_search_ms_p50",
    "vad_ms_per_chunk_p50",
    "vad_end_delay_ms_p50",
    "dictation_wer",
    "dictation_wer_real",
    "dictation_rtf",
    "dictation_cpu_rtf",
    "dictation_real_clips",
    "dictation_real_seconds",
    "sphinx_streaming_wer_real",
    "sphinx_full_utt_wer_real",
    "captions_rtf",
    "speech_rss_mb",
    "speech_rss_mb_listening",
    "raw_pocketsphinx_command_accuracy",
    "raw_pocketsphinx_oog_rejection_rate",
    "raw_pocketsphinx_ms_p50",
    "command_accuracy_vs_raw",
    "oog_rejection_vs_raw",
    "wake_clips",
    "wake_clips_held_out",
    "wake_clean_clips",
    "no_pause_clips",
    "command_clips",
    "oog_wake_clips",
    "oog_wake_clips_woke",
    "oog_clips",
    "dictation_clips",
    "wake_detect_rate_other",
    "wake_detect_rate_clean_other",
    "wake_command_accuracy_other",
    "command_accuracy_other",
    "wake_clips_other",
    "wake_clean_clips_other",
    "command_clips_other",
    "other_voices_count",
    "wake_detect_rate_piper",
    "wake_command_accuracy_piper",
    "command_accuracy_piper",
    "wake_clips_piper",
    "command_clips_piper",
)


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


def measure_rss(
    warmup: Sequence[Clip], phrases: Sequence[CommandPhrase], wake: WakeSettings
) -> tuple[SileroVad, float, float]:
    """Silero, then the VAD and listen stages hearing the first ``warmup`` utterance (the wake
    phrase and a command: every model loads), then the caption stage too, all kept alive: (the
    VAD for the sessions, RSS growth in MiB with everything, listening only). Run it before
    anything else loads speech models, or the growth is understated."""
    from glasses.runtime.testing import drive

    before = rss_mb()
    from glasses.speech.caption_stage import CaptionStage
    from glasses.speech.vad import SileroVad

    vad = SileroVad()
    timeline = Timeline.lay_out([], warmup[:1])
    until = ns(timeline.total)
    listen = listen_stage(phrases, wake)
    drive([vad_stage(vad), listen], timeline.events(), until).raise_on_crash()
    listening = rss_mb() - before  # what the glasses hold while listening
    captions = CaptionStage(on=True)  # dictation loads only when captions are asked for
    drive([vad_stage(vad), captions], timeline.events(), until).raise_on_crash()
    grown = rss_mb() - before
    del listen, captions
    return vad, grown, listening


@dataclass
class Report:
    """``figures``: the measured figures (exactly ``KEYS``); ``other_voices``: the held-out
    voices of other synthesisers that spoke the ``_other`` sets; ``sweep`` and ``chosen``
    only when calibrating; ``wake_backend`` and ``wake_threshold``: what was measured."""

    figures: dict[str, float | None]
    corpus: str
    phrase: str
    wake_backend: str = ""
    sweep: list[SweepRow] = field(default_factory=list)
    chosen: SweepRow | None = None
    meets_target: bool = False
    other_voices: tuple[str, ...] = ()

    def json(self) -> dict[str, object]:
        """The ``--json`` object: ``figures``, then ``other_voices`` (a list of voice names)."""
        return {**self.figures, "other_voices": list(self.other_voices)}

    def calibration(self, *, date: datetime.date | None = None) -> dict[str, object]:
        """The ``[calibration]`` record of ``wake.toml`` (needs a calibrated report)."""
        if self.chosen is None:
            raise ValueError("the report has no calibration (run with calibrate=True)")
        day = (date or datetime.datetime.now(datetime.UTC).date()).isoformat()
        return calibration_record(
            self.sweep, self.chosen, self.meets_target, corpus=self.corpus, date=day,
            figures=self.figures,
        )  # fmt: skip


def _real_speech_figures(progress: Progress) -> dict[str, float | None]:
    """Whisper's and PocketSphinx's WER on real human read speech (``real_speech``), or
    nothing (the keys stay None) when the corpus is not installed."""
    from glasses.bench import real_speech

    try:
        clips = real_speech.load_corpus()
    except real_speech.CorpusMissing as exc:
        progress(f"real speech: skipped — {exc}")
        return {}
    seconds = sum(c.seconds for c in clips)
    progress(f"real speech: {len(clips)} clips ({seconds:.1f} s), Whisper and PocketSphinx …")
    sphinx = real_speech.pocketsphinx_figures(clips)
    return {
        **real_speech.whisper_figures(clips),
        "dictation_real_clips": float(len(clips)),
        "dictation_real_seconds": round(seconds, 2),
        "sphinx_streaming_wer_real": sphinx["sphinx_streaming_wer_real"],
        "sphinx_full_utt_wer_real": sphinx["sphinx_full_utt_wer_real"],
    }


def _held_out(heard: Sequence[Heard]) -> list[Heard]:
    return [h for h in heard if h.clip.held_out]


def run(
    minutes: float = 30.0,
    *,
    limit: int | None = None,
    calibrate: bool = False,
    thresholds: Sequence[float] = SWEEP,
    wake: WakeSettings | None = None,
    cache_dir: Path | None = None,
    real_speech: bool = True,
    other_voices: Sequence[str] | None = None,
    piper: bool | None = None,
    progress: Progress = print,
) -> Report:
    """Measure the RSS, synthesise the corpus, (sweep the wake threshold,) play every set.

    ``minutes``: length of the distractor stream; ``limit``: clips per set at most (None: all);
    ``wake``: the wake settings measured (default ``WakeSettings()``, ``wake.toml``'s backend;
    with ``calibrate``, PocketSphinx at the chosen threshold); ``cache_dir``: the TTS cache;
    ``real_speech``: also score Whisper and PocketSphinx on recorded human speech;
    ``other_voices``: the other synthesisers' held-out voices to play (None: those of
    ``HELD_OUT_OTHER_VOICES`` installed here); ``piper``: also play the Piper sets (None: when
    the ``piper`` extra is installed).
    """
    if not minutes > 0:
        raise ValueError(f"minutes must be > 0, got {minutes}")
    from glasses.assistant.skills import builtin_skills
    from glasses.speech.commands import phrases_from_skills
    from glasses.speech.wake import WakeSettings

    phrases = tuple(phrases_from_skills(builtin_skills()))
    settings = wake or WakeSettings()
    if calibrate:
        settings = replace(settings, backend="pocketsphinx", threshold=float("nan"))
    warm = warmup_clips(phrases, settings.phrase, cache_dir=cache_dir)
    progress(f"speech stack RSS: VAD and listen stages ({settings.backend} wake word), captions …")
    vad, rss, rss_listening = measure_rss(warm, phrases, settings)
    corpus = build_corpus(
        phrases, settings.phrase, limit=limit, cache_dir=cache_dir, other_voices=other_voices,
        piper=piper, progress=progress,
    )  # fmt: skip
    stream = DistractorStream(minutes, cache_dir=cache_dir)
    rows: list[SweepRow] = []
    chosen: SweepRow | None = None
    meets = False
    if calibrate:
        rows = sweep(
            corpus, phrases, vad, settings, thresholds, stream, warmup=warm, progress=progress
        )
        chosen, meets = choose_threshold(rows)
        settings = replace(settings, threshold=chosen.threshold)
        progress(f"chosen threshold {chosen.threshold:g}" + ("" if meets else " (over target)"))

    wakes = {LISTEN: settings}
    what = f"VAD → listen ({settings.backend} {settings.threshold:g}) → skills → HUD"

    def session(kind: Kind, mode: ListenMode = "wake") -> list[Heard]:
        clips = corpus[kind]
        if not clips:  # a set whose synthesiser is not installed
            return []
        progress(f"{kind}: {len(clips)} clips, {what} …")
        return play(clips, phrases, vad, wakes, mode=mode, warmup=warm).heard[LISTEN]

    progress(f"wake: {len(corpus['wake'])} clips, {what} …")
    wake_session = play(corpus["wake"], phrases, vad, wakes, warmup=warm)
    woken = wake_session.heard[LISTEN]
    clean = session("wake_clean")
    no_pause = session("no_pause")
    oog_wake = session("oog_wake")
    commands = session("command", mode="push_to_talk")
    other_heard = {kind: session(kind, _mode(kind)) for kind in OTHER_SETS}
    piper_heard = {kind: session(kind, _mode(kind)) for kind in PIPER_SETS}
    if chosen is not None:
        oog_wakes, false_accepts = chosen.false_wake_rate_oog, chosen.false_accepts
        near_look_alikes: float | None = None  # the sweep counts them all as one
    else:
        oog_wakes = woke_rate(_held_out(session("oog")))
        progress(f"distractor stream: {minutes:g} min, VAD → listen …")
        counts = stream_wakes(iter(stream), stream.samples, phrases, vad, wakes, progress=progress)
        false_accepts = len(counts[LISTEN])
        near_look_alikes = float(stream.near_look_alikes(counts[LISTEN]))
    progress(f"dictation: {len(corpus['dictation'])} clips, VAD → captions …")
    dictation = play(corpus["dictation"], phrases, vad, {}, warmup=warm, captions=True)
    real = _real_speech_figures(progress) if real_speech else {}
    progress("raw pocketsphinx: the command and out-of-grammar clips, plain JSGF decoder …")
    raw = raw_pocketsphinx_figures(phrases, corpus["command"], corpus["oog"])

    held = _held_out(woken)
    with_command = [h for h in held if h.clip.intent is not None]
    said = woken + no_pause  # the wake-mode sessions with commands
    latency = [h.drawn_ms for h in said if h.drawn_ms is not None]
    oog_woke = [h for h in oog_wake if h.woke]
    heard_dictation = dictation.heard["captions"]
    audio_s = sum(h.clip.duration_s for h in heard_dictation)
    figures: dict[str, float | None] = dict.fromkeys(KEYS)
    figures |= {
        "wake_detect_rate": woke_rate(held),
        "wake_detect_rate_training_voices": woke_rate(woken, held_out=False),
        "wake_detect_rate_clean": woke_rate(_held_out(clean)),
        "wake_no_pause_rate": rate(
            sum(h.right for h in _held_out(no_pause)), len(_held_out(no_pause))
        ),
        "wake_command_accuracy": rate(sum(h.right for h in with_command), len(with_command)),
        "wake_false_accepts": float(false_accepts),
        "wake_false_accepts_near_look_alikes": near_look_alikes,
        "distractor_look_alikes": float(len(stream.look_alike_starts_s)),
        "wake_false_accepts_per_hour": round(false_accepts * 60 / minutes, 3),
        "wake_false_wake_rate_oog": oog_wakes,
        "wake_threshold": settings.threshold,
        "distractor_minutes": float(minutes),
        "command_accuracy": rate(sum(h.right for h in commands), len(commands)),
        "oog_rejection_rate": rate(sum(h.command is None for h in oog_woke), len(oog_woke)),
        "command_latency_p50_ms": pctl(latency, 50),
        "command_latency_p95_ms": pctl(latency, 95),
        "command_decode_ms_p50": pctl([h.decode_ms for h in said if h.decode_ms is not None], 50),
        "wake_search_ms_p50": pctl([h.listen_ms - (h.decode_ms or 0.0) for h in woken], 50),
        "vad_ms_per_chunk_p50": pctl(wake_session.vad_ms, 50, 3),
        "vad_end_delay_ms_p50": pctl([h.vad_end_ms for h in woken if h.vad_end_ms is not None], 50),
        "dictation_wer": corpus_wer(
            [(h.clip.text, " ".join(h.transcripts)) for h in heard_dictation]
        ),
        "captions_rtf": round(dictation.captions_ms / 1000 / audio_s, 4) if audio_s else None,
        **real,
        "speech_rss_mb": round(rss, 1),
        "speech_rss_mb_listening": round(rss_listening, 1),
        **raw,
    }
    figures |= {
        "command_accuracy_vs_raw": ratio(
            figures["command_accuracy"], figures["raw_pocketsphinx_command_accuracy"]
        ),
        "oog_rejection_vs_raw": ratio(
            figures["oog_rejection_rate"], figures["raw_pocketsphinx_oog_rejection_rate"]
        ),
        "wake_clips": float(len(woken)),
        "wake_clips_held_out": float(len(held)),
        "wake_clean_clips": float(len(clean)),
        "no_pause_clips": float(len(no_pause)),
        "command_clips": float(len(commands)),
        "oog_wake_clips": float(len(oog_wake)),
        "oog_wake_clips_woke": float(len(oog_woke)),
        "oog_clips": float(len(corpus["oog"])),
        "dictation_clips": float(len(heard_dictation)),
    }
    if any(other_heard.values()):
        figures |= {
            **_voice_set_figures(other_heard, OTHER, "_other"),
            "wake_detect_rate_clean_other": woke_rate(other_heard["wake_clean_other"]),
            "wake_clean_clips_other": float(len(other_heard["wake_clean_other"])),
            "other_voices_count": float(len(corpus.other_voices)),
        }
    if any(piper_heard.values()):
        figures |= _voice_set_figures(piper_heard, PIPER, "_piper")
    return Report(
        figures, corpus.describe(), settings.phrase, settings.backend, rows, chosen, meets,
        corpus.other_voices,
    )  # fmt: skip


def _mode(kind: Kind) -> ListenMode:
    return "push_to_talk" if kind in (OTHER.command, PIPER.command) else "wake"


def _voice_set_figures(
    heard: dict[Kind, list[Heard]], sets: VoiceSets, suffix: str
) -> dict[str, float | None]:
    """Another synthesiser's wake and command figures, keys ending in ``suffix``."""
    woken, commands = heard[sets.wake], heard[sets.command]
    with_command = [h for h in woken if h.clip.intent is not None]
    return {
        f"wake_detect_rate{suffix}": woke_rate(woken),
        f"wake_command_accuracy{suffix}": rate(
            sum(h.right for h in with_command), len(with_command)
        ),
        f"command_accuracy{suffix}": rate(sum(h.right for h in commands), len(commands)),
        f"wake_clips{suffix}": float(len(woken)),
        f"command_clips{suffix}": float(len(commands)),
    }


def calibrated_wake_config(report: Report, *, date: datetime.date | None = None) -> str:
    """The ``wake.toml`` text with ``report``'s chosen PocketSphinx threshold and its
    ``[calibration]`` record; the backend and the model's threshold stay as configured now."""
    from glasses.speech.wake_config import default_wake_config, wake_config_text

    if report.chosen is None:
        raise ValueError("the report has no calibration (run with calibrate=True)")
    current = default_wake_config()
    return wake_config_text(
        phrase=report.phrase,
        threshold=report.chosen.threshold,
        backend=current.backend,
        model_threshold=current.model_threshold,
        confirm_steps=current.confirm_steps,
        check=current.check,
        calibration=report.calibration(date=date),
        comments=("[calibration]: `glasses bench speech --calibrate`, PocketSphinx's sweep.",),
    )
