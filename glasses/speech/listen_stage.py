"""The listen stage: wake word, then a command, from the utterances the VAD stage cuts.

Each ``SpeechEnded`` carries its utterance's audio. While the glasses are not listening, the
utterance is searched for the wake phrase; once it is heard, the rest of that utterance is the
command if it lasts ``min_command_s``, otherwise the next utterance that starts within
``command_window_s`` is. The command goes through the grammar of the skills' phrases; what the
grammar rejects (out-of-grammar speech) gets a short "didn't catch that" toast, never an intent.
Speech without the wake phrase is ignored.

The PocketSphinx decoders load on the first utterance (about half a second), not at start-up:
a session nobody talks to never pays for them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from glasses.runtime.clock import NS_PER_S
from glasses.runtime.events import (
    Card,
    CommandRejected,
    Event,
    HudUpdate,
    Intent,
    SpeechEnded,
    Transcript,
    WakeWord,
)
from glasses.runtime.stage import Stage, StageContext
from glasses.speech.commands import CommandPhrase, CommandRecognizer
from glasses.speech.wake import WakeSettings, spot

log = logging.getLogger(__name__)

RATE = 16_000


@dataclass(frozen=True, slots=True)
class ListenSettings:
    """``min_command_s``: shortest rest-of-utterance taken as the command (s);
    ``command_window_s``: how long after the wake word a new utterance counts as the command (s).
    The command audio keeps the VAD's margins (``SpeechEnded.context``), as the recogniser was
    calibrated on padded clips."""

    wake: WakeSettings = field(default_factory=WakeSettings)
    min_command_s: float = 0.3
    command_window_s: float = 5.0
    wake_cost_ms: float = 40.0  # virtual-clock charge of one wake search
    command_cost_ms: float = 60.0  # virtual-clock charge of one command decode (two passes)


class ListenStage(Stage):
    name: ClassVar[str] = "listen"
    accepts: ClassVar[tuple[type[Event], ...]] = (SpeechEnded,)

    def __init__(
        self, phrases: Iterable[CommandPhrase], settings: ListenSettings | None = None
    ) -> None:
        self.phrases = tuple(phrases)
        self.settings = settings or ListenSettings()
        self._commands: CommandRecognizer | None = None
        self._awake_until_ns: int | None = None
        self._turn: int | None = None
        self.wakes = 0
        self.commands = 0
        self.rejected = 0

    @property
    def recognizer(self) -> CommandRecognizer:
        if self._commands is None:
            self._commands = CommandRecognizer(self.phrases)
        return self._commands

    async def process(self, event: Event, ctx: StageContext) -> None:
        if not isinstance(event, SpeechEnded) or event.audio is None or not len(event.audio):
            return
        # Decode the utterance with its margins (as the recognisers were calibrated); the
        # turn's clock starts where the speech itself ended.
        audio = event.context if event.context is not None else event.audio
        start_ns = event.context_t_ns if event.context is not None else event.started_t_ns
        end_ns = event.started_t_ns + len(event.audio) * NS_PER_S // RATE
        s = self.settings
        if self._awake_until_ns is not None and start_ns <= self._awake_until_ns:
            self._awake_until_ns = None
            await self._command(audio, end_ns, ctx)
            return
        self._awake_until_ns = None
        wake = await ctx.clock.run_blocking(
            lambda: spot(audio, s.wake), cost_ns=int(s.wake_cost_ms * 1e6)
        )
        if not wake:
            return  # speech without the wake phrase is not for us
        self.wakes += 1
        # The turn's clock starts when the wearer stopped speaking: the latency that matters.
        self._turn = ctx.new_turn(end_ns, "SpeechEnd")
        ctx.emit(
            WakeWord(
                t_ns=ctx.now_ns(),
                source=self.name,
                turn_id=self._turn,
                phrase=wake[0].phrase,
                score=wake[0].score,
                heard_t_ns=start_ns + wake[0].t_ns,
            )
        )
        after = wake[0].t_ns * RATE // NS_PER_S
        speech_end = (end_ns - start_ns) * RATE // NS_PER_S  # the margins are not speech
        if speech_end - after >= s.min_command_s * RATE:
            # From the end of the wake phrase: any earlier and its tail is heard as a word.
            await self._command(audio[after:], end_ns, ctx, same_utterance=True)
        else:
            self._awake_until_ns = end_ns + int(s.command_window_s * NS_PER_S)

    async def _command(
        self, audio: np.ndarray, end_ns: int, ctx: StageContext, *, same_utterance: bool = False
    ) -> None:
        recognizer = self.recognizer
        result = await ctx.clock.run_blocking(
            lambda: recognizer.recognize(audio), cost_ns=int(self.settings.command_cost_ms * 1e6)
        )
        if self._turn is None or not same_utterance:
            self._turn = ctx.new_turn(end_ns, "SpeechEnd")
        turn, self._turn = self._turn, None
        now = ctx.now_ns()
        ctx.emit(Transcript(t_ns=now, source=self.name, turn_id=turn, text=result.hypothesis))
        if result.intent is None:
            self.rejected += 1
            log.info("command rejected (%s): heard %r", result.rejected, result.hypothesis)
            ctx.emit(
                CommandRejected(
                    t_ns=now,
                    source=self.name,
                    turn_id=turn,
                    reason=result.rejected,
                    heard=result.hypothesis,
                )
            )
            ctx.emit(
                HudUpdate(
                    t_ns=now,
                    source=self.name,
                    turn_id=turn,
                    card=Card(title="Didn't catch that", layout="toast", ttl_s=2.0),
                )
            )
            return
        self.commands += 1
        ctx.emit(
            Intent(
                t_ns=now, source=self.name, turn_id=turn, name=result.intent, phrase=result.phrase
            )
        )

    def reset(self) -> None:
        self._awake_until_ns = None
        self._turn = None
