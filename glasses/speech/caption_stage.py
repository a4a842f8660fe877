"""Live captions: what people around the wearer say, on the HUD as they say it.

Switched on and off by the ``captions_on`` / ``captions_off`` intents ("hey glasses, start
captions"). While on, every utterance's audio (``SpeechAudio``, streamed by the VAD stage while
it is in speech, echo already cancelled) goes into a streaming dictation decoder; the partial
transcript goes to the HUD at most every ``partial_every_ms`` of audio, as one progressive
stream per utterance (the HUD coalesces to its own rate), and the final one when the VAD ends
the utterance. The glasses' own speech is never captioned.

The decoder is the ``backend`` dictation backend (``glasses.speech.dictation``): ``whisper`` by
default, since on real read speech it makes 4 % word errors where streamed PocketSphinx makes
24 % (``python -m glasses.bench.real_speech``, ``glasses.bench.sphinx_streaming``: one decoder
kept across utterances, as here); its partials come once per second of speech (each
a decode of the utterance so far), the final one from a full 30 s-window decode. When Whisper
cannot be loaded the stage says so once in the log and captions with ``pocketsphinx`` (bundled,
no download) instead.

What is captioned is a function of the audio, not of how fast the listener decided: the
``captions_on`` intent reaches this stage after the listener has decoded the command, while the
VAD may already be streaming the next utterance, or before the VAD has ended the command's own
utterance (a command committed at a pause). So while captions are off the stage keeps the
utterances it hears (up to ``MAX_HELD_S`` of audio), and when captions come on it captions, from
their first sample, those that began after the speech that asked for them ended (the intent's
turn opened there); the rest of an utterance that began before is not captioned.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import ClassVar, Protocol

import numpy as np

from glasses.runtime.clock import NS_PER_S
from glasses.runtime.events import (
    Card,
    Event,
    HudUpdate,
    Intent,
    Speaking,
    SpeakingStopped,
    SpeechAudio,
    SpeechEnded,
    Transcript,
)
from glasses.runtime.stage import Stage, StageContext
from glasses.speech.dictation import BACKENDS, DEFAULT_BACKEND, UNAVAILABLE, new_dictation
from glasses.speech.own_voice import OwnVoice
from glasses.speech.whisper_backend import WhisperDictation

log = logging.getLogger(__name__)

RATE = 16_000
CAPTIONS_ON = "captions_on"  # the intents that switch captions (skills: assistant.skills)
CAPTIONS_OFF = "captions_off"
FALLBACK_BACKEND = "pocketsphinx"
# What decoding costs on the virtual clock, per backend, as a fraction of the audio's duration
# (streamed partials) and per final decode (ms): rough figures of 2-core laptops, measured by
# glasses.bench.real_speech (Whisper's partials re-decode the utterance once a second through a
# fitted window; its final decode pays a window of at least 10 s, a third of the standard 30 s
# one, which cost 800 ms).
_COST_RTF = {"pocketsphinx": 0.15, "vosk": 0.15, "whisper": 0.35}
_FINAL_COST_MS = {"pocketsphinx": 0.0, "vosk": 0.0, "whisper": 300.0}
MAX_HELD_S = 30.0
"""Audio (s) kept while captions are off, for an on-switch decided after its next utterance
began (the listener lags behind the VAD under load)."""


@dataclass
class _Held:
    """An utterance heard while captions were off: its streamed audio, and whether it ended."""

    start_ns: int
    chunks: list[SpeechAudio] = field(default_factory=list)
    ended: bool = False


class StreamingRecognizer(Protocol):
    """What captions need of a dictation backend (``Dictation``; the Vosk one alike)."""

    def process(self, samples: np.ndarray) -> str: ...

    def finish(self) -> str: ...


class CaptionStage(Stage):
    """Captions on the HUD (see the module docstring).

    ``backend``: the dictation backend (one of ``glasses.speech.dictation.BACKENDS``; default
    Whisper, falling back to PocketSphinx when it cannot load). ``recognizer`` builds the
    streaming decoder instead (tests). Either is built once, off the event loop, on the first
    captioned utterance. ``cost_rtf`` is what decoding is charged on the virtual clock as a
    fraction of the audio's duration, ``final_cost_ms`` per final transcript (default: the
    backend's). ``partials`` counts partial transcripts shown; ``backend_used`` is the backend
    that was loaded.
    """

    name: ClassVar[str] = "captions"
    accepts: ClassVar[tuple[type[Event], ...]] = (
        SpeechAudio,
        SpeechEnded,
        Intent,
        Speaking,
        SpeakingStopped,
    )
    latest_wins: ClassVar[tuple[type[Event], ...]] = ()
    queue_size: ClassVar[int] = 512

    def __init__(
        self,
        recognizer: Callable[[], StreamingRecognizer] | None = None,
        *,
        backend: str = DEFAULT_BACKEND,
        partial_every_ms: float = 300.0,
        cost_rtf: float | None = None,
        final_cost_ms: float | None = None,
        on: bool = False,
    ) -> None:
        if backend not in BACKENDS:
            raise ValueError(f"unknown caption backend {backend!r}; known: {', '.join(BACKENDS)}")
        self.backend = backend
        self.backend_used = backend if recognizer is None else "custom"
        self._factory = recognizer or self._backend_decoder
        self._decoder: StreamingRecognizer | None = None
        self.partial_every_ns = int(partial_every_ms * 1e6)
        self.cost_rtf = _COST_RTF.get(backend, 0.15) if cost_rtf is None else cost_rtf
        final_ms = _FINAL_COST_MS.get(backend, 0.0) if final_cost_ms is None else final_cost_ms
        self.final_cost_ns = int(final_ms * 1e6)
        self.on = on
        self.own_voice = OwnVoice()
        self.partials = 0
        self.finals = 0
        self._utterance = 0
        self._in_utterance = False
        self._skip = False  # this utterance overlaps our own speech
        self._started_ns = 0
        self._last_partial_ns = 0
        self._last_text = ""
        self._held: list[_Held] = []  # utterances heard while off, oldest first
        self._held_samples = 0

    async def process(self, event: Event, ctx: StageContext) -> None:
        if self.own_voice.update(event):
            return
        if isinstance(event, Intent):
            if event.name == CAPTIONS_ON and not self.on:
                self.on = True
                await self._catch_up(event, ctx)
            elif event.name == CAPTIONS_OFF:
                self.on = False
                await self._finish(ctx, show=False)
            return
        if not self.on:
            self._hold(event)
            return
        if isinstance(event, SpeechAudio):
            await self._audio(event, ctx)
        elif isinstance(event, SpeechEnded):
            await self._finish(ctx, show=True)

    def _hold(self, event: Event) -> None:
        """Captions are off: keep the utterance, in case the switch-on is still being decided."""
        last = self._held[-1] if self._held else None
        if isinstance(event, SpeechEnded):
            if last is not None:
                last.ended = True
            return
        if not isinstance(event, SpeechAudio):
            return
        if last is None or last.ended:
            last = _Held(event.t_ns)
            self._held.append(last)
        last.chunks.append(event)
        self._held_samples += len(event.samples)
        while self._held_samples > MAX_HELD_S * RATE and len(self._held) > 1:
            gone = self._held.pop(0)
            self._held_samples -= sum(len(c.samples) for c in gone.chunks)

    async def _catch_up(self, event: Intent, ctx: StageContext) -> None:
        """Caption the held utterances that began after the speech that switched captions on
        (its turn's start); an intent not from speech starts with the next utterance."""
        held, self._held, self._held_samples = self._held, [], 0
        since = ctx.turn_start(event.turn_id) if event.turn_id is not None else None
        if since is None:
            return
        for utterance in held:
            if utterance.start_ns < since:
                if not utterance.ended:  # the command's own, still going: skip its rest
                    self._in_utterance, self._skip = True, True
                continue  # the command itself, or speech before it
            for chunk in utterance.chunks:
                await self._audio(chunk, ctx)
            if utterance.ended:
                await self._finish(ctx, show=True)

    async def _audio(self, event: SpeechAudio, ctx: StageContext) -> None:
        samples = event.samples
        end_ns = event.t_ns + len(samples) * NS_PER_S // RATE
        if not self._in_utterance:
            self._in_utterance = True
            self._utterance += 1
            self._started_ns = self._last_partial_ns = event.t_ns
            self._last_text = ""
            self._skip = self.own_voice.during(event.t_ns, end_ns)
        if self._skip or self.own_voice.during(event.t_ns, end_ns):
            self._skip = True
            return
        decoder = self._decoder
        if decoder is None:
            decoder = self._decoder = await ctx.clock.run_blocking(self._factory, cost_ns=0)
        text = await ctx.clock.run_blocking(
            lambda: decoder.process(samples),
            cost_ns=int(self.cost_rtf * len(samples) * NS_PER_S // RATE),
        )
        if end_ns - self._last_partial_ns < self.partial_every_ns or text == self._last_text:
            return
        self._last_partial_ns = end_ns
        self._last_text = text
        self.partials += 1
        self._show(ctx, text, final=False)

    async def _finish(self, ctx: StageContext, *, show: bool) -> None:
        if not self._in_utterance:
            return
        self._in_utterance = False
        decoder = self._decoder
        if decoder is None or self._skip:
            return
        text = await ctx.clock.run_blocking(decoder.finish, cost_ns=self.final_cost_ns)
        if show:
            self.finals += 1
            self._show(ctx, text, final=True)

    def _show(self, ctx: StageContext, text: str, *, final: bool) -> None:
        now = ctx.now_ns()
        ctx.emit(Transcript(t_ns=now, source=self.name, text=text, final=final))
        if not text:
            return
        ctx.emit(
            HudUpdate(
                t_ns=now,
                source=self.name,
                card=Card(title="Captions", body=text, layout="captions", ttl_s=6.0),
                stream=f"captions-{self._utterance}",
            )
        )

    def _backend_decoder(self) -> StreamingRecognizer:
        """The configured backend's decoder; PocketSphinx when it cannot be loaded (said once
        in the log). Runs off the event loop: Whisper loads its model here."""
        try:
            decoder = new_dictation(self.backend)
            if isinstance(decoder, WhisperDictation):
                decoder.decoder  # noqa: B018 - load the model now, off the loop, not mid-utterance
            return decoder
        except UNAVAILABLE as exc:
            if self.backend == FALLBACK_BACKEND:
                raise
            log.warning("captions: %s; captioning with %s instead", exc, FALLBACK_BACKEND)
            self.backend_used = FALLBACK_BACKEND
            return new_dictation(FALLBACK_BACKEND)

    def reset(self) -> None:
        self._decoder = None  # a fresh decoder: its state died with the crash
        self._in_utterance = False
        self.own_voice.clear()
        self._held, self._held_samples = [], 0
