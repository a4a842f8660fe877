"""The VAD stage: microphone audio in, ``SpeechStarted`` / ``SpeechPaused`` / ``SpeechEnded``
out."""

from __future__ import annotations

from collections import deque
from typing import ClassVar

import numpy as np

from glasses.runtime.events import (
    AudioChunk,
    Event,
    Speaking,
    SpeakingStopped,
    SpeechAudio,
    SpeechEnded,
    SpeechPaused,
    SpeechStarted,
)
from glasses.runtime.stage import Stage, StageContext
from glasses.speech.echo import EchoCanceller, ReferenceBuffer
from glasses.speech.rechunk import Frame, Rechunker
from glasses.speech.vad import Endpoint, Endpointer, EndpointSettings, SileroVad

CONTEXT_NS = 300_000_000  # audio kept before an utterance's start in ``SpeechEnded.context``


class VadStage(Stage):
    """Runs the rechunker, Silero VAD and the endpointer on every ``AudioChunk`` (16 kHz mono).

    Audio queues FIFO (never latest-wins: a dropped chunk would cut words); the inbox holds
    ``queue_size`` chunks, 8 s of 512-sample chunks. Event times: ``SpeechStarted.t_ns`` and
    ``SpeechEnded.t_ns`` are when the decision was made (runtime clock, after the start or stop
    hangover); ``SpeechEnded.started_t_ns`` is when the first speech frame began, and its
    ``audio`` the utterance (int16, 16 kHz) from there to the end of the last speech frame, or
    None with ``keep_audio=False``.

    ``vad`` defaults to ``SileroVad()``, loaded in ``start``. ``nominal_cost_ms`` is what one
    32 ms frame is charged on the virtual clock; on the real clock inference runs in a worker
    thread and costs what it costs. A chunk at another rate raises ValueError (reported as
    ``StageCrashed``): resample with ``glasses.devices.resample`` first.

    Echo: with ``echo_canceller``, what the glasses' speaker plays (``Speaking.audio``, kept in
    a ``ReferenceBuffer`` on the runtime clock) is subtracted from the microphone before the VAD,
    so the detector and every recogniser after it hear the wearer, not the glasses. The
    canceller runs only while playback (or its echo tail) overlaps the frame.

    Pauses: the first silent frame after speech (the stop hangover starts) is a
    ``SpeechPaused`` carrying the utterance so far, its ``context`` up to the end of that frame;
    listeners may start their work on it. If speech resumes, the next pause or ``SpeechEnded``
    carries a longer utterance; if not, ``SpeechEnded`` carries the same ``audio``.

    ``stream_audio``: while in speech, the utterance's audio also goes out as ``SpeechAudio``
    (one event per chunk processed, split at decisions), for live captions and the wake word;
    its ``silence_ns`` is the silence so far at its end (0 in speech), so a listener knows as
    soon as the VAD does that a pause goes on or that speech resumed. Audio always goes out
    before the decision that follows it: a ``SpeechPaused`` after its first silent frame.
    An utterance's first ``SpeechAudio`` carries up to ``lead_in_ms`` of the audio before it
    that was not streamed (``SpeechAudio.lead_in``: the quiet or the talk before the wake
    phrase, which the spotter was trained to hear it after; 0 for none).
    """

    name: ClassVar[str] = "vad"
    accepts: ClassVar[tuple[type[Event], ...]] = (AudioChunk, Speaking, SpeakingStopped)
    latest_wins: ClassVar[tuple[type[Event], ...]] = ()
    queue_size: ClassVar[int] = 256

    def __init__(
        self,
        vad: SileroVad | None = None,
        settings: EndpointSettings | None = None,
        *,
        keep_audio: bool = True,
        nominal_cost_ms: float = 0.2,
        echo_canceller: EchoCanceller | None = None,
        stream_audio: bool = False,
        echo_tail_ms: float = 300.0,
        lead_in_ms: float = 2000.0,
    ) -> None:
        if lead_in_ms < 0:
            raise ValueError(f"lead_in_ms must be >= 0, got {lead_in_ms}")
        self.vad = vad
        self.echo_canceller = echo_canceller
        self.reference = ReferenceBuffer()
        self.echo_tail_ns = int(echo_tail_ms * 1e6)
        self.stream_audio = stream_audio and keep_audio
        self._clean_context: np.ndarray | None = None  # last context samples, echo removed
        self.endpointer = Endpointer(settings)
        self.rechunker = Rechunker()
        self.keep_audio = keep_audio
        self.cost_ns = round(nominal_cost_ms * 1e6)
        # Frames before the start decision that may belong to the utterance (the start hangover
        # and soft onsets), and the frames of the utterance once it has started.
        lookback_ms = self.endpointer.settings.start_hangover_ms + 320.0
        self._recent: deque[Frame] = deque(maxlen=int(lookback_ms // 32) + 2)
        self._utterance: list[Frame] = []
        # Every recent frame, for the lead-in of the next utterance's first SpeechAudio: the
        # lead-in's frames, then the onset frames the utterance starts with (``_recent``), then
        # a margin for the frames of one large chunk processed before it streams.
        self.lead_in_ns = round(lead_in_ms * 1e6) if self.stream_audio else 0
        history = int(lead_in_ms // 32) + 1 + (self._recent.maxlen or 0) + 64
        self._history: deque[Frame] = deque(maxlen=history if self.lead_in_ns else 0)
        self._streamed_end_ns: int | None = None  # where the last SpeechAudio ended

    async def start(self, ctx: StageContext) -> None:
        if self.vad is None:
            self.vad = SileroVad()

    async def process(self, event: Event, ctx: StageContext) -> None:
        if isinstance(event, Speaking):
            if event.audio is not None:
                self.reference.add(event.audio, event.t_ns)
            return
        if isinstance(event, SpeakingStopped):
            self.reference.stop(event.t_ns)
            return
        if not isinstance(event, AudioChunk):
            return
        raw = self.rechunker.push(event)
        if not raw:
            return
        vad = self.vad
        if vad is None:
            raise RuntimeError("VadStage.process called before start()")

        def infer() -> tuple[list[Frame], list[float]]:
            frames = [self._cancel_echo(f) for f in raw]
            return frames, [vad.probability(f.window) for f in frames]

        frames, probabilities = await ctx.clock.run_blocking(infer, cost_ns=self.cost_ns * len(raw))
        streamed: list[Frame] = []
        silence = 0  # the endpointer's silence after the last frame in ``streamed``
        self._history.extend(frames)
        for frame, probability in zip(frames, probabilities, strict=True):
            decision = self.endpointer.update(probability, frame.t_ns, frame.end_t_ns)
            if decision is not None and decision.kind != "paused":
                self._stream(streamed, silence, ctx)  # audio before the decision goes first
                ctx.emit(self._event(decision, ctx))
            before = len(self._utterance)
            self._keep(frame)  # after an end, this frame waits in _recent for the next onset
            if self.stream_audio and self.endpointer.in_speech:
                streamed += self._utterance[before:]
                silence = self.endpointer.silence_ns
            if decision is not None and decision.kind == "paused":
                # After the silent frame: the pause's context and the streamed audio hold it.
                self._stream(streamed, silence, ctx)
                ctx.emit(self._paused(decision, ctx))
        self._stream(streamed, silence, ctx)
        self.reference.forget(frames[-1].t_ns - 10 * self.echo_tail_ns)

    def _cancel_echo(self, frame: Frame) -> Frame:
        """``frame`` with the glasses' own playback removed (itself when nothing played)."""
        aec, n = self.echo_canceller, len(frame.samples)
        if (
            aec is None
            or frame.valid_samples != n
            or not self.reference.active(frame.t_ns, n, self.echo_tail_ns)
        ):
            self._clean_context = None
            return frame
        clean = aec.process(frame.samples, self.reference.block(frame.t_ns, n))
        context = frame.window[: frame.context_samples]
        if self._clean_context is not None:
            context = self._clean_context
        self._clean_context = clean[len(clean) - frame.context_samples :].copy()
        return Frame(
            t_ns=frame.t_ns,
            end_t_ns=frame.end_t_ns,
            window=np.concatenate([context, clean]),
            context_samples=frame.context_samples,
            valid_samples=frame.valid_samples,
        )

    def _stream(self, frames: list[Frame], silence_ns: int, ctx: StageContext) -> None:
        if not frames:
            return
        lead_in = self._lead_in(frames[0].t_ns)
        self._streamed_end_ns = frames[-1].end_t_ns
        ctx.emit(
            SpeechAudio(
                t_ns=frames[0].t_ns,
                source=self.name,
                samples=np.concatenate([f.audio for f in frames]),
                silence_ns=silence_ns,
                lead_in=lead_in,
            )
        )
        frames.clear()

    def _lead_in(self, t_ns: int) -> np.ndarray | None:
        """The audio of up to ``lead_in_ns`` before ``t_ns`` not streamed yet: the frames that
        end at ``t_ns`` without a gap (None: none)."""
        if not self.lead_in_ns:
            return None
        since = t_ns - self.lead_in_ns
        if self._streamed_end_ns is not None:
            since = max(since, self._streamed_end_ns)
        kept: list[Frame] = []
        end = t_ns
        for f in reversed(self._history):
            if f.t_ns >= t_ns:
                continue
            if f.end_t_ns != end or f.t_ns < since:
                break
            kept.append(f)
            end = f.t_ns
        return np.concatenate([f.audio for f in reversed(kept)]) if kept else None

    def _keep(self, frame: Frame) -> None:
        if not self.keep_audio:
            return
        if self.endpointer.in_speech:
            if not self._utterance:  # the frame that started it: take the onset from before
                self._utterance.extend(self._recent)
                self._recent.clear()
            self._utterance.append(frame)
        else:
            self._recent.append(frame)

    def _event(self, decision: Endpoint, ctx: StageContext) -> Event:
        now = ctx.now_ns()
        if decision.kind == "started":
            return SpeechStarted(t_ns=now, source=self.name)
        end = decision.speech_end_ns
        assert end is not None  # internal invariant: an "ended" decision carries its end
        audio, context, context_t_ns = self._cut(decision.speech_start_ns, end)
        if self.keep_audio:
            # Frames after the end (the stop hangover) may be the onset of the next utterance.
            self._recent.extend(f for f in self._utterance if f.t_ns >= end)
            self._utterance = []
        return SpeechEnded(
            t_ns=now,
            source=self.name,
            started_t_ns=decision.speech_start_ns,
            audio=audio,
            context=context,
            context_t_ns=context_t_ns,
        )

    def _paused(self, decision: Endpoint, ctx: StageContext) -> SpeechPaused:
        end = decision.speech_end_ns
        assert end is not None  # internal invariant: a "paused" decision carries its end
        audio, context, context_t_ns = self._cut(decision.speech_start_ns, end)
        return SpeechPaused(
            t_ns=ctx.now_ns(),
            source=self.name,
            started_t_ns=decision.speech_start_ns,
            audio=audio,
            context=context,
            context_t_ns=context_t_ns,
        )

    def _cut(self, start_ns: int, end_ns: int) -> tuple[np.ndarray | None, np.ndarray | None, int]:
        """(the speech from ``start_ns`` to ``end_ns``, the utterance kept so far with up to
        ``CONTEXT_NS`` before it, where that starts); (None, None, start) without audio."""
        if not self.keep_audio:
            return None, None, start_ns
        parts = [f.audio for f in self._utterance if f.t_ns >= start_ns and f.t_ns < end_ns]
        audio = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int16)
        margin = [f for f in self._utterance if f.t_ns >= start_ns - CONTEXT_NS]
        context = np.concatenate([f.audio for f in margin]) if margin else audio
        return audio, context, margin[0].t_ns if margin else start_ns

    def reset(self) -> None:
        """After a crash: a fresh stream (state, buffered audio and any utterance dropped)."""
        self.rechunker.reset()
        self.endpointer.reset()
        if self.vad is not None:
            self.vad.reset()
        self._recent.clear()
        self._utterance = []
        self._history.clear()
        self._streamed_end_ns = None
        self._clean_context = None
        if self.echo_canceller is not None:
            self.echo_canceller.reset()
