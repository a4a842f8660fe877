"""Wake word, commands and captions, measured by driving the real stages.

A clip set is played as one microphone session: the clips in order, each after a gap of noise,
cut into 512-sample ``AudioChunk``s (what ``SimMicrophone`` delivers), through the stages
``build_pipeline`` wires for speech: ``VadStage`` (Silero, streaming ``SpeechAudio``) →
``ListenStage`` → ``SkillStage`` (the built-in skills; with no camera view they answer at once,
so no OCR is timed) → ``HudStage``. Dictation goes ``VadStage`` → ``CaptionStage`` (captions on).
The figures are read from the events the stages emit (``WakeWord``, ``Intent``, ``Transcript``,
``CommandRejected``, ``HudDrawn``), each attributed to the clip in whose span its turn began.

The gaps (``GAP_S``) are longer than the listen stage's command window, so every clip meets the
stage asleep, as an utterance after a pause does; the gap continues the noise floor of the clip
before it, then of the clip after it. Warm-up utterances open every session (models load on the
first one; the streaming wake spotter settles), and count for nothing.

Sessions that time latency run on a ``ComputeClock``: idle time is skipped, compute runs at
wall speed, so "last voiced sample → HUD drawn" is the VAD's hangover (audio time) plus the
real compute of every stage on the way. Others (the threshold sweep, the distractor stream)
run on the plain ``VirtualClock``: their counts do not depend on this machine's speed.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, cast

import numpy as np

from glasses.bench.speech_corpus import RATE, SEED, Clip, Progress, to_int16
from glasses.runtime.clock import NS_PER_S, VirtualClock
from glasses.runtime.events import (
    AudioChunk,
    CommandRejected,
    Event,
    HudDrawn,
    Intent,
    SpeechEnded,
    StageCrashed,
    Tap,
    Transcript,
    WakeWord,
)
from glasses.runtime.metrics import MAX_TURNS
from glasses.runtime.stage import Stage
from glasses.runtime.testing import ComputeClock, Driven, drive
from glasses.speech.open_speech import ASK  # open speech: not a grammar command

if TYPE_CHECKING:
    from glasses.speech.commands import CommandPhrase
    from glasses.speech.listen_stage import ListenMode, ListenStage
    from glasses.speech.vad import SileroVad
    from glasses.speech.wake import WakeSettings

CHUNK = 512  # samples per AudioChunk: 32 ms, as the simulated microphone delivers them
GAP_S = (6.0, 9.0)  # noise between clips (s): longer than ListenSettings.command_window_s
WARMUP_GAP_S = 1.0  # noise before each warm-up clip (s)
TAIL_S = 2.0  # after the last clip: its utterance ends and its answer is drawn
TURNS_PER_CLIP = 4
"""Turn timelines a session keeps per clip and listen stage (a clip opens one or two: its wake
or tap, a command after a pause). The runtime's default keeps 1000, the newest: a threshold
sweep's eight listen stages on the 936 wake clips opened about 7000, and the turns forgotten
took their clips' events out of the figures (130 of 624 woken instead of 552)."""

HUD_PROFILE = "frame"
LISTEN = "listen"
CAPTIONS = "captions"


def ns(samples: int) -> int:
    """Samples at 16 kHz → ns."""
    return samples * NS_PER_S // RATE


@dataclass(frozen=True, slots=True)
class Timeline:
    """Clips laid out on one microphone time line: ``starts[i]`` is the sample where clip i's
    audio begins; its span runs to the next clip's start (or ``total``). Warm-up clips, if
    any, come first (``WARMUP_GAP_S`` apart) and are not in ``clips``."""

    clips: list[Clip]
    starts: list[int]
    total: int
    warmup: tuple[Clip, ...] = ()
    gaps: list[int] = field(default_factory=list)  # samples of noise before each clip

    @classmethod
    def lay_out(cls, clips: Sequence[Clip], warmup: Sequence[Clip] = ()) -> Timeline:
        rng = np.random.default_rng([SEED, 9, len(clips)])
        pos = sum(int(WARMUP_GAP_S * RATE) + len(w.audio) for w in warmup)
        starts: list[int] = []
        gaps: list[int] = []
        for clip in clips:
            gap = int(rng.uniform(*GAP_S) * RATE)
            gaps.append(gap)
            pos += gap
            starts.append(pos)
            pos += len(clip.audio)
        return cls(list(clips), starts, pos + int(TAIL_S * RATE), tuple(warmup), gaps)

    def span_ns(self, i: int) -> tuple[int, int]:
        end = self.starts[i + 1] if i + 1 < len(self.starts) else self.total
        return ns(self.starts[i]), ns(end)

    def owner(self, t_ns: int | None) -> int | None:
        """The clip whose span holds ``t_ns`` (None: before the first, or no time)."""
        if t_ns is None:
            return None
        i = bisect.bisect_right(self.starts, t_ns * RATE // NS_PER_S) - 1
        return i if i >= 0 else None

    def voiced_end_ns(self, i: int) -> int:
        """When clip i's last voiced sample ends, on the time line."""
        return ns(self.starts[i] + self.clips[i].speech_end)

    def _pieces(self) -> Iterator[np.ndarray]:
        rng = np.random.default_rng([SEED, 10, len(self.clips)])

        def noise(n: int, rms: float) -> np.ndarray:
            return to_int16(rng.normal(0.0, rms, n)) if rms > 0 else np.zeros(n, np.int16)

        before: Clip | None = None
        for warm in self.warmup:
            yield noise(int(WARMUP_GAP_S * RATE), warm.noise_rms)
            yield warm.audio
            before = warm
        for clip, gap in zip(self.clips, self.gaps, strict=True):
            half = gap // 2
            yield noise(half, before.noise_rms if before is not None else clip.noise_rms)
            yield noise(gap - half, clip.noise_rms)
            yield clip.audio
            before = clip
        yield noise(int(TAIL_S * RATE), before.noise_rms if before is not None else 0.0)

    def events(self, *, taps: bool = False) -> Iterator[Event]:
        """The session as microphone ``AudioChunk``s; with ``taps``, a ``Tap`` as each clip's
        audio begins (push to talk)."""
        tap_at = [ns(s) for s in self.starts] if taps else []
        yield from _with_taps(audio_chunks(self._pieces()), tap_at)


def audio_chunks(pieces: Iterable[np.ndarray], start: int = 0) -> Iterator[AudioChunk]:
    """Consecutive int16 pieces as ``CHUNK``-sample chunks stamped with their first sample's
    time (from sample ``start``); the last, shorter chunk too."""
    carry = np.zeros(0, np.int16)
    pos = start
    for piece in pieces:
        buf = np.concatenate([carry, piece]) if len(carry) else piece
        whole = len(buf) - len(buf) % CHUNK
        for i in range(0, whole, CHUNK):
            yield AudioChunk(t_ns=ns(pos), source="microphone", samples=buf[i : i + CHUNK])
            pos += CHUNK
        carry = buf[whole:]
    if len(carry):
        yield AudioChunk(t_ns=ns(pos), source="microphone", samples=carry)


def _with_taps(chunks: Iterator[AudioChunk], tap_at: list[int]) -> Iterator[Event]:
    k = 0
    for chunk in chunks:
        while k < len(tap_at) and tap_at[k] <= chunk.t_ns:
            yield Tap(t_ns=tap_at[k], source="touchpad")
            k += 1
        yield chunk


def named_listen(name: str) -> type[ListenStage]:
    """``ListenStage`` under another stage name (several on one runtime, one per setting)."""
    from glasses.speech.listen_stage import ListenStage

    return cast("type[ListenStage]", type(f"ListenStage_{name}", (ListenStage,), {"name": name}))


def listen_stage(
    phrases: Sequence[CommandPhrase],
    wake: WakeSettings,
    *,
    mode: ListenMode = "wake",
    name: str = LISTEN,
) -> ListenStage:
    """The real listen stage with ``wake`` settings, as ``build_pipeline`` makes it: what the
    grammar rejects goes to open speech (Whisper), which may still find the command in it or
    make it an ``ask``. Only the stage named ``LISTEN`` transcribes (a threshold sweep's
    other stages decide wakes only)."""
    from glasses.speech.listen_stage import ListenSettings, ListenStage
    from glasses.speech.open_speech import new_open_speech

    settings = ListenSettings(wake=wake, mode=mode)
    if name != LISTEN:
        return named_listen(name)(phrases, settings)
    return ListenStage(phrases, settings, open_speech=new_open_speech(settings.open_speech))


def vad_stage(vad: SileroVad) -> Stage:
    """The VAD stage as ``build_pipeline`` wires it for speech (no speaker: no echo canceller)."""
    from glasses.speech.vad_stage import VadStage

    vad.reset()
    return VadStage(vad=vad, stream_audio=True)


class _Record:
    """``drive``'s ``keep``: the events the figures need; ``SpeechEnded`` reduced to its
    times (its audio is not kept)."""

    KEEP = (WakeWord, Intent, Transcript, CommandRejected, HudDrawn, StageCrashed)

    def __init__(self) -> None:
        self.ended: list[tuple[int, int]] = []  # (decided t_ns, speech start t_ns)

    def __call__(self, event: Event) -> bool:
        if isinstance(event, SpeechEnded):
            self.ended.append((event.t_ns, event.started_t_ns))
            return False
        return isinstance(event, self.KEEP)


@dataclass(frozen=True, slots=True)
class Heard:
    """What the stages made of one clip. ``intents``: the intents of its turns, in order;
    ``drawn_ms``: last voiced sample → the HUD drawing the answer to its first intent;
    ``vad_end_ms``: last voiced sample → the VAD's ``SpeechEnded``; ``decode_ms``: the listen
    stage's command decode (wall); ``listen_ms``: all the listen stage's compute on the clip
    (wall); ``transcripts``: final transcripts (the caption stage's for dictation)."""

    clip: Clip
    woke: bool
    intents: tuple[str, ...] = ()
    rejected: int = 0
    transcripts: tuple[str, ...] = ()
    drawn_ms: float | None = None
    vad_end_ms: float | None = None
    decode_ms: float | None = None
    listen_ms: float = 0.0

    @property
    def command(self) -> str | None:
        """The first grammar intent ("ask", open speech, is none)."""
        return next((i for i in self.intents if i != ASK), None)

    @property
    def right(self) -> bool:
        return self.clip.intent is not None and self.command == self.clip.intent


@dataclass
class Session:
    """A played clip set: ``heard`` per clip (per listen stage name), the wall ms of each VAD
    call (``vad_ms``, one per chunk) and of all the caption stage's calls (``captions_ms``)."""

    timeline: Timeline
    heard: dict[str, list[Heard]]
    vad_ms: list[float] = field(default_factory=list)
    captions_ms: float = 0.0


def _attribute(
    timeline: Timeline,
    driven: Driven,
    record: _Record,
    source: str,
    calls: list[tuple[int, int]],
) -> list[Heard]:
    n = len(timeline.clips)
    woke = [False] * n
    intents: list[list[Intent]] = [[] for _ in range(n)]
    rejected = [0] * n
    texts: list[list[str]] = [[] for _ in range(n)]
    decode: list[float | None] = [None] * n
    call_ends = [end for end, _ in calls]

    def clip_of(event: Event) -> int | None:
        start = driven.turn_start_ns(event.turn_id) if event.turn_id is not None else event.t_ns
        return timeline.owner(start)

    for e in driven.events:
        if e.source != source:
            continue
        i = clip_of(e)
        if i is None:
            continue  # the warm-up
        if isinstance(e, WakeWord):
            woke[i] = True
        elif isinstance(e, Intent):
            intents[i].append(e)
        elif isinstance(e, CommandRejected):
            rejected[i] += 1
        elif isinstance(e, Transcript) and e.final:
            texts[i].append(e.text)
            if source == LISTEN and decode[i] is None and calls:
                # The decode is the stage's last blocking call before it said what it heard.
                k = bisect.bisect_right(call_ends, e.t_ns) - 1
                decode[i] = calls[k][1] / 1e6 if k >= 0 else None
    drawn: dict[int, int] = {}
    for e in driven.of(HudDrawn):
        if e.turn_id is not None:
            drawn.setdefault(e.turn_id, e.t_ns)
    vad_end: list[float | None] = [None] * n
    for t_ns, started in record.ended:  # the last utterance in the span ends the clip's speech
        i = timeline.owner(started)
        if i is not None:
            vad_end[i] = (t_ns - timeline.voiced_end_ns(i)) / 1e6
    busy = [0.0] * n
    for end, wall in calls:
        i = timeline.owner(end)
        if i is not None:
            busy[i] += wall / 1e6
    out: list[Heard] = []
    for i, clip in enumerate(timeline.clips):
        first = next((x for x in intents[i] if x.name != ASK), None)
        shown = drawn.get(first.turn_id) if first is not None and first.turn_id else None
        out.append(
            Heard(
                clip,
                woke[i],
                tuple(x.name for x in intents[i]),
                rejected[i],
                tuple(texts[i]),
                None if shown is None else (shown - timeline.voiced_end_ns(i)) / 1e6,
                vad_end[i],
                decode[i],
                busy[i],
            )
        )
    return out


def play(
    clips: Sequence[Clip],
    phrases: Sequence[CommandPhrase],
    vad: SileroVad,
    wakes: dict[str, WakeSettings],
    *,
    mode: ListenMode = "wake",
    warmup: Sequence[Clip] = (),
    timed: bool = True,
    captions: bool = False,
) -> Session:
    """Play ``clips`` through VAD → listen (one listen stage per ``wakes`` entry, named by its
    key; the one named ``LISTEN`` also feeds the skills and the HUD) — or, with ``captions``,
    through VAD → captions. ``mode="push_to_talk"`` taps before each clip. ``timed``: on a
    ``ComputeClock`` (latency and compute figures), else on the virtual clock."""
    from glasses.assistant.dispatch import SkillStage
    from glasses.assistant.skills import builtin_skills
    from glasses.devices.sim import SimDisplay
    from glasses.hud.profile import get_profile
    from glasses.hud.stage import HudStage
    from glasses.speech.caption_stage import CaptionStage

    clock: VirtualClock = ComputeClock() if timed else VirtualClock()
    # Captions need no settled wake spotter: the first warm-up utterance loads the decoder.
    timeline = Timeline.lay_out(clips, warmup[:1] if captions else warmup)
    stages: list[Stage] = [vad_stage(vad)]
    if captions:
        stages.append(CaptionStage(on=True))
    else:
        stages += [listen_stage(phrases, w, mode=mode, name=name) for name, w in wakes.items()]
        if LISTEN in wakes:
            stages += [
                SkillStage(builtin_skills()),
                HudStage(SimDisplay(clock), get_profile(HUD_PROFILE)),
            ]
    record = _Record()
    listeners = 1 if captions else max(1, len(wakes))
    driven = drive(
        stages,
        timeline.events(taps=mode == "push_to_talk"),
        ns(timeline.total),
        clock=clock,
        keep=record,
        max_turns=max(MAX_TURNS, TURNS_PER_CLIP * listeners * (len(clips) + len(warmup))),
    )
    driven.raise_on_crash()
    _check_turns_kept(driven)
    calls = clock.calls if isinstance(clock, ComputeClock) else {}
    sources = [CAPTIONS] if captions else list(wakes)
    heard = {s: _attribute(timeline, driven, record, s, calls.get(s, [])) for s in sources}
    return Session(
        timeline,
        heard,
        vad_ms=[wall / 1e6 for _, wall in calls.get("vad", [])],
        captions_ms=sum(wall for _, wall in calls.get(CAPTIONS, [])) / 1e6,
    )


def stream_wakes(
    chunks: Iterable[np.ndarray],
    samples: int,
    phrases: Sequence[CommandPhrase],
    vad: SileroVad,
    wakes: dict[str, WakeSettings],
    *,
    progress: Progress = print,
    report_every_s: float = 600.0,
) -> dict[str, list[float]]:
    """The distractor stream (``samples`` of int16 pieces) through VAD → one listen stage per
    ``wakes`` entry, on the virtual clock: where (s into the stream, the phrase's end as the
    spotter heard it) each stage's ``WakeWord``s came (every one a false accept)."""
    every = int(report_every_s * RATE)

    def events() -> Iterator[Event]:
        next_report = every
        for chunk in audio_chunks(chunks):
            yield chunk
            end = chunk.t_ns * RATE // NS_PER_S + len(chunk.samples)
            if end >= next_report:
                progress(
                    f"  distractor stream: {end / RATE / 60:.0f} of {samples / RATE / 60:g} min …"
                )
                next_report += every

    stages = [vad_stage(vad)] + [listen_stage(phrases, w, name=n) for n, w in wakes.items()]
    wake_types = (WakeWord, StageCrashed)
    driven = drive(
        stages,
        events(),
        ns(samples) + int(TAIL_S * NS_PER_S),
        keep=lambda e: isinstance(e, wake_types),
    )
    driven.raise_on_crash()
    wakes_heard = driven.of(WakeWord)
    return {
        name: [w.heard_t_ns / NS_PER_S for w in wakes_heard if w.source == name] for name in wakes
    }


def _check_turns_kept(driven: Driven) -> None:
    """Events are attributed to clips by their turn's start: a turn the runtime forgot
    would silently drop its clip's wake and intents from every figure."""
    lost = driven.runtime.timelines.dropped_turns
    if lost:
        raise RuntimeError(
            f"the session forgot {lost} turns (more than TURNS_PER_CLIP per clip and listen "
            "stage): its figures would miss their clips' wakes and intents"
        )


def by(heard: Iterable[Heard], keep: Callable[[Heard], bool]) -> list[Heard]:
    return [h for h in heard if keep(h)]
