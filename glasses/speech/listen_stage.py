"""The listen stage: wake word, then a command, from the utterances the VAD stage cuts.

While the glasses are not listening, each utterance is searched for the wake phrase as it
streams in (``SpeechAudio``) by one long-lived keyphrase spotter; ``SpeechEnded`` then carries
the whole utterance. Once the wake phrase is heard, the rest of that utterance is the
command if it lasts ``min_command_s``, otherwise the next utterance that starts within
``command_window_s`` is. The command goes through the grammar of the skills' phrases and, when
it is one, becomes its intent at once (the command path never waits for the large recogniser).
What the grammar rejects is open speech: with an ``OpenSpeech`` transcriber (Whisper) a
transcript of real words becomes an ``ask`` intent carrying it; noise, half-words, or no
transcriber give a short "didn't catch that" toast, never a command intent.
Speech without the wake phrase is ignored.

Modes (``ListenSettings.mode``): ``wake`` (the default) as above; ``push_to_talk``: no wake word,
a tap opens the command window; ``always``: every utterance is a command.

The glasses' own voice: while the speaker plays (``Speaking`` … ``SpeakingStopped``, plus
``echo_tail_s``), an utterance is searched for the wake phrase only. Without it, it is the echo
of our own speech (or talk over it) and ignored: never a command, never a caption. With it, the
wearer is barging in: an ``Interrupt`` stops the speech and any HUD output still pending, and
the command is taken as usual.

The PocketSphinx decoders load on the first utterance (about half a second), not at start-up:
a session nobody talks to never pays for them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import ClassVar, Literal

import numpy as np

from glasses.runtime.clock import NS_PER_S
from glasses.runtime.events import (
    Card,
    CommandRejected,
    Event,
    HudUpdate,
    Intent,
    Interrupt,
    Speaking,
    SpeakingStopped,
    SpeechAudio,
    SpeechEnded,
    Tap,
    Transcript,
    WakeWord,
)
from glasses.runtime.stage import Stage, StageContext
from glasses.speech.commands import CommandPhrase, CommandRecognizer, CommandResult, normalize
from glasses.speech.open_speech import (
    ASK,
    OPEN_SPEECH_BACKENDS,
    OpenSpeech,
    OpenSpeechBackend,
    OpenSpeechUnavailable,
)
from glasses.speech.own_voice import OwnVoice
from glasses.speech.tts import mix_noise
from glasses.speech.wake import Spotter, WakeDetection, WakeSettings, new_spotter, spot

log = logging.getLogger(__name__)

RATE = 16_000
# Until the streaming spotter has heard this much speech (s), its normalisation is cold and an
# utterance it finds nothing in is also searched on its own.
COLD_SPOTTER_S = 10.0
# A wake phrase heard within this of our own speech saying it is our own echo (ns).
OWN_WAKE_SLACK_NS = 600_000_000
ListenMode = Literal["wake", "push_to_talk", "always"]
MODES: tuple[ListenMode, ...] = ("wake", "push_to_talk", "always")


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
    mode: ListenMode = "wake"
    echo_tail_s: float = 0.4  # after playback, how long the room may still carry our voice (s)
    open_speech: OpenSpeechBackend = "whisper"  # transcribes what is no command (ask)
    wake_lead_in_s: float = 0.35  # a same-utterance command starts this long before the wake (s)

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"unknown listen mode {self.mode!r}; known: {', '.join(MODES)}")
        if self.open_speech not in OPEN_SPEECH_BACKENDS:
            raise ValueError(
                f"unknown open-speech backend {self.open_speech!r}; known: "
                f"{', '.join(OPEN_SPEECH_BACKENDS)}"
            )


class ListenStage(Stage):
    name: ClassVar[str] = "listen"
    accepts: ClassVar[tuple[type[Event], ...]] = (
        SpeechEnded,
        SpeechAudio,
        Speaking,
        SpeakingStopped,
        Tap,
    )
    latest_wins: ClassVar[tuple[type[Event], ...]] = ()
    queue_size: ClassVar[int] = 512

    def __init__(
        self,
        phrases: Iterable[CommandPhrase],
        settings: ListenSettings | None = None,
        *,
        open_speech: OpenSpeech | None = None,
    ) -> None:
        self.phrases = tuple(phrases)
        self.settings = settings or ListenSettings()
        self.open_speech = open_speech
        self._commands: CommandRecognizer | None = None
        self._awake_until_ns: int | None = None
        self._turn: int | None = None
        self.wakes = 0
        self.commands = 0
        self.asks = 0
        self.rejected = 0
        self.echo_ignored = 0  # utterances heard during our own speech without the wake phrase
        self.barge_ins = 0
        self.own_voice = OwnVoice(self.settings.echo_tail_s)
        # The wake phrase is spotted as the utterance streams in (``SpeechAudio``), by one
        # long-lived spotter whose feature normalisation carries over from utterance to
        # utterance: it finds more than a fresh search per utterance (62 % vs 48 % of the
        # speech benchmark's wake clips at 1e-40, same false wakes), a barge-in is heard as
        # it happens, and the end of speech does not wait for a wake search.
        self._spotter: Spotter | None = None
        self._heard: list[WakeDetection] = []  # in the utterance so far (runtime clock)
        self._streamed_ns = 0  # end of the last streamed audio (runtime clock)
        self._streamed_utterance = False
        self._spotted_s = 0.0  # speech the spotter has normalised on
        self._barged_in = False  # the utterance in progress has already interrupted
        # When the glasses' own speech says the wake phrase (runtime clock): an echo of it that
        # the canceller has not removed yet (it adapts within ~2 s) must not wake them.
        self._own_wakes: list[int] = []
        self.self_wakes_ignored = 0

    @property
    def recognizer(self) -> CommandRecognizer:
        if self._commands is None:
            wake_words = self.settings.wake.phrase.split()
            self._commands = CommandRecognizer(self.phrases, lead_in=wake_words[-1])
        return self._commands

    async def process(self, event: Event, ctx: StageContext) -> None:
        if isinstance(event, Speaking):
            await self._note_own_wakes(event, ctx)
        if isinstance(event, SpeakingStopped):
            tail = int(self.settings.echo_tail_s * NS_PER_S)
            self._own_wakes = [t for t in self._own_wakes if t <= event.t_ns + tail]
        if self.own_voice.update(event):
            return
        if isinstance(event, SpeechAudio):
            await self._stream_wake(event, ctx)
            return
        if isinstance(event, Tap):
            if self.settings.mode == "push_to_talk" and event.count == 1:
                self._turn = ctx.new_turn(event.t_ns, "Tap")
                self._awake_until_ns = event.t_ns + int(self.settings.command_window_s * NS_PER_S)
            return
        if not isinstance(event, SpeechEnded):
            return
        barged_in, self._barged_in = self._barged_in, False
        heard, self._heard = self._heard, []
        streamed, self._streamed_utterance = self._streamed_utterance, False
        if self._spotter is not None:
            heard += self._spotter.flush(self._streamed_ns)  # completed by the last samples
        if event.audio is None or not len(event.audio):
            return
        # Decode the utterance with its margins (as the recognisers were calibrated); the
        # turn's clock starts where the speech itself ended.
        audio = event.context if event.context is not None else event.audio
        start_ns = event.context_t_ns if event.context is not None else event.started_t_ns
        end_ns = event.started_t_ns + len(event.audio) * NS_PER_S // RATE
        s = self.settings
        echo = self.own_voice.during(start_ns, end_ns)
        if not echo:
            if s.mode == "always" or (
                self._awake_until_ns is not None and start_ns <= self._awake_until_ns
            ):
                self._awake_until_ns = None
                await self._command(audio, end_ns, ctx)
                return
            self._awake_until_ns = None
            if s.mode != "wake":
                return  # push to talk: speech without a tap first is not for us
        wake = [h for h in heard if h.t_ns >= start_ns]
        if not wake and (not streamed or self._spotted_s < COLD_SPOTTER_S):
            # Not streamed (a VAD stage without ``stream_audio``), or the spotter's
            # normalisation is still cold: search the utterance on its own, warmed up on it.
            found = await ctx.clock.run_blocking(
                lambda: spot(audio, s.wake), cost_ns=int(s.wake_cost_ms * 1e6)
            )
            wake = [replace(h, t_ns=start_ns + h.t_ns) for h in found]
        if wake and echo and self._own_wake(wake[0].t_ns):
            wake = []
        if not wake:
            if echo:
                self.echo_ignored += 1
            return  # speech without the wake phrase is not for us
        self.wakes += 1
        if echo and not barged_in:
            self._interrupt(ctx)
        # The turn's clock starts when the wearer stopped speaking: the latency that matters.
        self._turn = ctx.new_turn(end_ns, "SpeechEnd")
        ctx.emit(
            WakeWord(
                t_ns=ctx.now_ns(),
                source=self.name,
                turn_id=self._turn,
                phrase=wake[0].phrase,
                score=wake[0].score,
                heard_t_ns=wake[0].t_ns,
            )
        )
        after = max(0, min(len(audio), (wake[0].t_ns - start_ns) * RATE // NS_PER_S))
        speech_end = (end_ns - start_ns) * RATE // NS_PER_S  # the margins are not speech
        if speech_end - after >= s.min_command_s * RATE:
            # The spotter decides up to ~200 ms after the phrase ends: cut before that, so the
            # command's first word is whole; the grammar takes the phrase's tail as a lead-in.
            cut = max(0, after - int(s.wake_lead_in_s * RATE))
            await self._command(audio[cut:], end_ns, ctx, same_utterance=True, whole=audio)
        else:
            self._awake_until_ns = end_ns + int(s.command_window_s * NS_PER_S)

    async def _note_own_wakes(self, event: Speaking, ctx: StageContext) -> None:
        words = set(normalize(self.settings.wake.phrase).split())
        audio = event.audio
        if audio is None or not words & set(normalize(event.text).split()):
            return  # the reply cannot contain the wake phrase: nothing to search
        s = self.settings
        # With a noise floor, as the spotter was calibrated: clean synthetic speech between
        # digitally silent gaps is not found at all.
        hits = await ctx.clock.run_blocking(
            lambda: spot(mix_noise(audio, 20.0, pad_s=0.0), s.wake),
            cost_ns=int(s.wake_cost_ms * 1e6),
        )
        self._own_wakes = [*self._own_wakes[-7:], *(event.t_ns + h.t_ns for h in hits)]

    def _own_wake(self, heard_ns: int) -> bool:
        """Was a wake phrase heard at ``heard_ns`` our own speech saying it?"""
        if any(abs(heard_ns - t) <= OWN_WAKE_SLACK_NS for t in self._own_wakes):
            self.self_wakes_ignored += 1
            return True
        return False

    def _interrupt(self, ctx: StageContext) -> None:
        """The wearer talks over the glasses: stop speaking, drop pending HUD output."""
        self.barge_ins += 1
        ctx.emit(Interrupt(t_ns=ctx.now_ns(), source=self.name, reason="wake word"))

    async def _stream_wake(self, event: SpeechAudio, ctx: StageContext) -> None:
        """Spot the wake phrase in the utterance as it streams; over our own speech, a
        barge-in interrupts at once."""
        if self.settings.mode == "push_to_talk":
            return
        spotter = self._spotter
        if spotter is None:
            spotter = self._spotter = await ctx.clock.run_blocking(
                lambda: new_spotter(self.settings.wake), cost_ns=0
            )
        samples = event.samples
        self._streamed_utterance = True
        self._streamed_ns = event.t_ns + len(samples) * NS_PER_S // RATE
        self._spotted_s += len(samples) / RATE
        hits = await ctx.clock.run_blocking(
            lambda: spotter.process(samples, event.t_ns),
            cost_ns=int(self.settings.wake_cost_ms * 1e6 * len(samples) / (2 * RATE)),
        )
        if not hits:
            return
        self._heard += hits
        speaking = self.own_voice.speaking(event.t_ns)
        if speaking and not self._barged_in and not self._own_wake(hits[0].t_ns):
            self._barged_in = True
            self._interrupt(ctx)

    async def _command(
        self,
        audio: np.ndarray,
        end_ns: int,
        ctx: StageContext,
        *,
        same_utterance: bool = False,
        whole: np.ndarray | None = None,
    ) -> None:
        """Decode ``audio`` as a command; ``whole``: the utterance it was cut from (with the
        wake phrase), which open speech transcribes instead: a large recogniser finds the
        boundary after the wake phrase better than the spotter's timing does."""
        # Built off the loop (the decoders load in ~0.5 s): a blocked loop delays everything.
        recognizer = self._commands
        if recognizer is None:
            recognizer = await ctx.clock.run_blocking(lambda: self.recognizer)
        result = await ctx.clock.run_blocking(
            lambda: recognizer.recognize(audio), cost_ns=int(self.settings.command_cost_ms * 1e6)
        )
        if self._turn is None or not same_utterance:
            self._turn = ctx.new_turn(end_ns, "SpeechEnd")
        turn, self._turn = self._turn, None
        if result.intent is None:
            await self._open_speech(audio if whole is None else whole, result, turn, ctx)
            return
        now = ctx.now_ns()
        ctx.emit(Transcript(t_ns=now, source=self.name, turn_id=turn, text=result.hypothesis))
        self.commands += 1
        ctx.emit(
            Intent(
                t_ns=now, source=self.name, turn_id=turn, name=result.intent, phrase=result.phrase
            )
        )

    async def _open_speech(
        self, audio: np.ndarray, result: CommandResult, turn: int, ctx: StageContext
    ) -> None:
        """Speech the grammar rejected: a question (``ask``) when the transcriber hears one,
        otherwise the "didn't catch that" toast."""
        heard, reason = result.hypothesis, result.rejected
        open_speech = self.open_speech
        if open_speech is not None:
            try:
                text = await ctx.clock.run_blocking(
                    lambda: open_speech.transcribe(audio),
                    cost_ns=int(open_speech.settings.cost_ms * 1e6),
                )
            except OpenSpeechUnavailable as exc:
                log.warning("open speech unavailable, treated as not understood: %s", exc)
                text = ""
            text = open_speech.after_wake(text, self.settings.wake.phrase)
            command = self.recognizer.match_text(text)
            if command:
                # The grammar missed a command the large recogniser heard whole.
                self.commands += 1
                now = ctx.now_ns()
                ctx.emit(Transcript(t_ns=now, source=self.name, turn_id=turn, text=text))
                intent = self.recognizer.intent_of(command)
                ctx.emit(
                    Intent(t_ns=now, source=self.name, turn_id=turn, name=intent, phrase=command)
                )
                return
            if open_speech.is_question(text):
                self.asks += 1
                now = ctx.now_ns()
                ctx.emit(Transcript(t_ns=now, source=self.name, turn_id=turn, text=text))
                ctx.emit(Intent(t_ns=now, source=self.name, turn_id=turn, name=ASK, phrase=text))
                return
            heard, reason = text, "no question heard"
        self.rejected += 1
        log.info("command rejected (%s): heard %r", reason, heard)
        now = ctx.now_ns()
        ctx.emit(Transcript(t_ns=now, source=self.name, turn_id=turn, text=heard))
        ctx.emit(
            CommandRejected(t_ns=now, source=self.name, turn_id=turn, reason=reason, heard=heard)
        )
        ctx.emit(
            HudUpdate(
                t_ns=now,
                source=self.name,
                turn_id=turn,
                card=Card(title="Didn't catch that", layout="toast", ttl_s=2.0),
            )
        )

    def reset(self) -> None:
        self._barged_in = False
        self._spotter = None
        self._heard = []
        self._streamed_utterance = False
        self._spotted_s = 0.0
        self._awake_until_ns = None
        self._turn = None
        self.own_voice.clear()
        self._own_wakes = []
