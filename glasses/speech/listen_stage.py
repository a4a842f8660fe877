"""The listen stage: wake word, then a command, from the utterances the VAD stage cuts.

While the glasses are not listening, each utterance is searched for the wake phrase as it
streams in (``SpeechAudio``) by one long-lived keyphrase spotter; ``SpeechEnded`` then carries
the whole utterance. Once the wake phrase is heard, the rest of that utterance is the
command if it lasts ``min_command_s``, otherwise the next utterance that starts within
``command_window_s`` is. The command goes through the grammar of the skills' phrases and, when
it is one, becomes its intent at once (the command path never waits for the large recogniser).
What the grammar rejects is open speech: with an ``OpenSpeech`` transcriber (Whisper) a
transcript that is a command, or that bears out the phrase the grammar heard but rejected,
becomes that command; other real words an ``ask`` intent carrying them; noise, half-words, or
no transcriber give a short "didn't catch that" toast, never a command intent.
Speech without the wake phrase is ignored.

The spotter hears the utterances and, before each, the audio that preceded it
(``SpeechAudio.lead_in``). With ``WakeSettings.check`` a detection wakes the glasses only once
``WakeCheck`` confirms it: the phrase's own grammar, on the stretch of the utterance around the
detection (1.8 s before, 0.25 s after), must end on the whole phrase. The spotter's threshold
can then be set for hearing people, the check removing the sentences it also fires on. A
detection within the refractory period of one the check rejected is the spotter's second look
at that phrase: its stretch may reach into the command's first word, which the check then
allows after the phrase (``WakeCheck``'s ``followers``: each command's first word).

Where the command starts: when the wearer paused after the wake phrase ("hey glasses, read
this": a VAD ``SpeechPaused`` whose speech ends within ``wake_pause_window_s`` of the spotter's
decision), at that pause; a command heard there needs a grammar margin of ``pause_cut_margin``,
or the same command heard from the timed cut as a second opinion. Otherwise (one breath) the
cut is timed from the spotter's decision, ``wake_lead_in_s`` before it, early enough to hold
the end of the wake phrase, and the command starts where the grammar, with the phrase before
the commands, hears the phrase end (``CommandRecognizer.wake_phrase_end``). A cut timed from
the spotter moves in its 80 ms steps, and one step late it falls inside "glasses", where the
grammar hears nothing (the soak's "read this" that Whisper then heard as "breathe this"),
hence the pause when there is one: on the speech bench's "hey glasses, <command>" clips the pause
takes the right commands from 90 to 104 of 149, the wrong ones from 10 to 0, and sentences taken
for commands from 6 to 5 of 59.

Modes (``ListenSettings.mode``): ``wake`` (the default) as above; ``push_to_talk``: no wake word,
a tap opens the command window; ``always``: every utterance is a command.

The glasses' own voice: while the speaker plays (``Speaking`` … ``SpeakingStopped``, plus
``echo_tail_s``), an utterance is searched for the wake phrase only. Without it, it is the echo
of our own speech (or talk over it) and ignored: never a command, never a caption. With it, the
wearer is barging in: an ``Interrupt`` stops the speech and any HUD output still pending, and
the command is taken as usual.

Speculation (``ListenSettings.speculate``): work starts at the VAD's ``SpeechPaused``, the first
silent frame after speech, not at its ``SpeechEnded`` 160 ms (five frames) later. The stage works
out what the utterance so far is (a wake phrase and a command after it, a command in the open
window…) and, in a worker, decodes its command with the grammar at once and, once the silence
has lasted ``speculate_open_ms`` and the grammar has rejected it, starts its open-speech
transcription. The pause's audio is padded with ``pause_pad_ms`` of its own silence: the
recognisers were calibrated on utterances that end 160 ms into it.

Early commit: a command is decided at the pause, before ``SpeechEnded``, once the silence has
lasted ``early_commit_ms`` (``SpeechAudio.silence_ns`` of the streamed audio; the default, the
second silent frame, is 100–125 ms after the last sound at the median), if the grammar heard a
whole phrase that no longer phrase continues ("stop", not "stop captions") with a margin of at
least ``early_commit_margin``. The rest of that utterance, should the wearer go on, is not
decided again. Anything else is decided at ``SpeechEnded``, on the ended utterance, exactly as
without speculation (pauses have a grammar decoder of their own, see ``recognizer``; and the
grammar decides a little more loosely on a pause's audio, even padded: 7 out-of-grammar
sentences of 59 taken for commands against 4), except that open speech takes over the pause's
transcription of the same speech, already under way or done.

Every piece of work is awaited where the decision needs it, in the order it was started, never
raced against the clock: the outcome does not depend on how busy the machine is. When the
speech resumes (``SpeechAudio.silence_ns`` back to 0, or a later pause or end), the pause's
work is dropped: what has not started never starts, and none of its results is used. The
grammar and open speech work in separate lanes (``Lane``), so the command path never waits for
a transcription, not even a stale one.

The PocketSphinx decoders load on the first utterance (about half a second), not at start-up:
a session nobody talks to never pays for them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar, Literal, TypeVar

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
    SpeechPaused,
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
from glasses.speech.wake_check import WakeCheck

log = logging.getLogger(__name__)
T = TypeVar("T")

RATE = 16_000
# Until the streaming spotter has heard this much speech (s), its normalisation is cold and an
# utterance it finds nothing in is also searched on its own.
COLD_SPOTTER_S = 10.0
# A wake phrase heard within this of our own speech saying it is our own echo (ns).
OWN_WAKE_SLACK_NS = 600_000_000
MAX_PAUSES = 64  # VAD pauses of one utterance kept: the first ones (``_pause_after``)
PAD_FRAME = 512  # a pause's audio is padded with copies of its last VAD frame (32 ms)
PAD_FRAME_MS = PAD_FRAME * 1000 / RATE
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
    wake_check_cost_ms: float = 26.0  # virtual-clock charge of one wake check (``wake.check``)
    mode: ListenMode = "wake"
    echo_tail_s: float = 0.4  # after playback, how long the room may still carry our voice (s)
    open_speech: OpenSpeechBackend = "whisper"  # transcribes what is no command (ask)
    # A same-utterance command (one breath: no pause after the wake phrase) is cut this long
    # before the spotter's decision (s); the grammar with the wake phrase before the commands
    # then finds where the phrase ends (``CommandRecognizer.wake_phrase_end``), and the
    # command is decoded from there. At the spotter's 0.3 the decision may come before
    # "glasses" is over, so a cut 0.35 s before it (decoded with "glasses" as its lead-in, as
    # before) often began inside the phrase or the command. On the speech bench's one-breath
    # clips ("hey glasses read this", every voice; docs/speech_synthesis.md): 44 of 72 right
    # before, 50 at 0.6 s (and at 0.8), with out-of-grammar requests that woke taken for
    # commands 7 → 6 of 73. Decoding from the cut with the whole phrase as an optional lead-in
    # instead got 53 right but 8 of 73: the phrase's well-matched frames lift the margin of
    # whatever follows it ("my glasses are on the table" as "what does this code say").
    wake_lead_in_s: float = 0.6
    # The cut of a pause cut's second opinion (``pause_cut_margin``), this long before the
    # detection (s), decoded as it is: 0.35, where one-breath commands were cut before, a
    # stretch that differs from the pause cut's. Cut 0.6 s before with the whole phrase as its
    # lead-in it heard what the pause cut heard, and agreed with it on a sentence ("the
    # tickets are sold out" as "take a photo", tests/test_listen_speculation.py).
    confirm_lead_in_s: float = 0.35
    # A VAD pause whose speech ends this close to the wake phrase's detection (s before, s
    # after) is the one between the wake phrase and its command: the command is cut there.
    # At the spotter's 0.3 (with the wake check) it decides earlier than at 0.4: on the speech
    # bench's "hey glasses, <sentence>" clips the pause ended up to 0.34 s after the detection
    # (0.26 at 0.4), and the next pause 0.8 s or more after it.
    wake_pause_window_s: tuple[float, float] = (0.25, 0.4)
    # The grammar margin a command cut at that pause needs (see commands) unless the cut timed
    # from the spotter hears the same command. Audio that starts on the command scores real
    # commands higher than a cut inside the wake phrase does (median margin ~0.9 on the speech
    # bench's "hey glasses, <command>" clips), but lets sentences that resemble a phrase through
    # up to ~0.35 ("what is the capital of france" as "what does this code say").
    pause_cut_margin: float = 0.4
    # With the wake check, the spotter also offers where its score peaks after a detection
    # (``WakeSettings.second_look``), checked only if the detection is not confirmed: at 0.3 the
    # head may fire inside "glasses", the check then hears half the phrase and rejects it, and
    # the refractory second hid the rest. See ``spotting``.
    second_look: bool = True
    speculate: bool = True  # start work at the VAD's SpeechPaused, decide on the audio up to it
    # VAD silence (ms, ``SpeechAudio.silence_ns``) after which a confident command is committed
    # before ``SpeechEnded`` (None: never). 64 ms is the second silent frame: Silero's score
    # lags the sound by 1–3 frames, so about 150 ms after the last sound (module docstring).
    early_commit_ms: float | None = 64.0
    early_commit_margin: float = 0.0  # the grammar margin an early command needs (see commands)
    speculate_open_ms: float = 64.0  # VAD silence (ms) after which rejected speech is transcribed
    # A pause's audio ends 32 ms into the silence; an ended utterance's 160 ms (the VAD's stop
    # hangover, less its last frame). The grammar's decisions shift with that margin (on the
    # speech bench's clips, one frame takes half as many out-of-grammar sentences again for
    # commands), so a pause's audio is given this much more of its silence (its last 32 ms,
    # repeated), which decides as the ended utterance does on commands (89 of 144 right).
    # Open speech transcribes the same: Whisper's outcome (command rescued, ask, nothing) on
    # it agrees with the ended utterance's on 228 of 238 clips (unpadded 224), as often right.
    pause_pad_ms: float = 128.0

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"unknown listen mode {self.mode!r}; known: {', '.join(MODES)}")
        if self.early_commit_ms is not None and self.early_commit_ms < 0:
            raise ValueError(f"early_commit_ms must be >= 0 or None, got {self.early_commit_ms}")
        if self.speculate_open_ms < 0:
            raise ValueError(f"speculate_open_ms must be >= 0, got {self.speculate_open_ms}")
        if self.pause_pad_ms < 0:
            raise ValueError(f"pause_pad_ms must be >= 0, got {self.pause_pad_ms}")
        if min(self.wake_pause_window_s) < 0:
            raise ValueError(f"wake_pause_window_s must be >= 0, got {self.wake_pause_window_s}")
        if self.open_speech not in OPEN_SPEECH_BACKENDS:
            raise ValueError(
                f"unknown open-speech backend {self.open_speech!r}; known: "
                f"{', '.join(OPEN_SPEECH_BACKENDS)}"
            )


@dataclass(frozen=True, slots=True)
class _Utterance:
    """An utterance as the stage decides on it (times on the runtime clock): ``audio``, the
    speech with the VAD's margins (a pause's padded, ``pause_pad_ms``), from ``start_ns``; the
    speech itself from ``started_t_ns`` to ``end_ns``."""

    started_t_ns: int
    start_ns: int
    end_ns: int
    audio: np.ndarray

    @classmethod
    def of(cls, event: SpeechEnded | SpeechPaused, pad_ms: float = 0.0) -> _Utterance | None:
        """The utterance an event carries, with its margins (None: no audio); ``pad_ms``
        more of its trailing silence (its last 32 ms, repeated: see ``pause_pad_ms``)."""
        if event.audio is None or not len(event.audio):
            return None
        audio = event.context if event.context is not None else event.audio
        start_ns = event.context_t_ns if event.context is not None else event.started_t_ns
        end_ns = event.started_t_ns + len(event.audio) * NS_PER_S // RATE
        copies = round(pad_ms / PAD_FRAME_MS)
        if copies and len(audio) >= PAD_FRAME:
            audio = np.concatenate([audio, np.tile(audio[-PAD_FRAME:], copies)])
        return cls(event.started_t_ns, start_ns, end_ns, audio)

    def same(self, other: _Utterance) -> bool:
        """The same speech: no speech came back between the two."""
        return (self.started_t_ns, self.start_ns, self.end_ns) == (
            other.started_t_ns,
            other.start_ns,
            other.end_ns,
        )


@dataclass(frozen=True, slots=True)
class _Plan:
    """What an utterance is to the stage, before anything is said about it: ``echo``, it
    overlaps the glasses' own speech; ``awake``, it is a command without the wake phrase (mode
    ``always``, or the command window was open); ``wake``, the wake phrase heard in it
    (``own_wake``: heard where the glasses said it, so ignored); ``cut``: where its command
    starts in the utterance's audio (None: there is no command in it); ``paused``: that is
    where the wearer paused after the wake phrase (its command needs ``pause_cut_margin``, or
    the same command heard from ``timed_cut``, where it would be cut without the pause)."""

    echo: bool
    awake: bool = False
    wake: WakeDetection | None = None
    own_wake: bool = False
    cut: int | None = None
    paused: bool = False  # ``cut`` is at the VAD's pause after the wake phrase
    timed_cut: int | None = None  # with ``paused``: the cut timed from the spotter's decision

    @property
    def timed(self) -> bool:
        """``cut`` is timed from the spotter's decision (one breath: no pause after the wake
        phrase), so the audio from it starts on the wake phrase's last part."""
        return self.wake is not None and self.cut is not None and not self.paused


Lane = Literal["grammar", "pause", "check", "wake", "open"]
"""Blocking work runs in lanes, each one piece at a time in the order started: the grammar on
ended utterances (its decoder, and wake searches), the grammar on pauses (a decoder of its own,
see ``ListenStage.recognizer``), the grammar's second opinions (``ListenStage.check_recognizer``),
the wake checks (``WakeCheck``, a decoder of their own) and open speech (Whisper). No lane waits
for another: the command path never waits for Whisper, not even for a stale transcription."""


class _Work:
    """The blocking work on one utterance, a pause's or an end's: each piece (keyed by what it
    computes) runs once, in a worker, after every piece started before it in its lane, on any
    utterance (a decoder takes one call at a time). ``pause``: an end's, the work on its pause
    (the same speech), whose transcription the end's decision takes over. ``stale``: the speech
    resumed, or the utterance was decided: pieces not started yet never start, and none of its
    results is used again."""

    def __init__(
        self, utterance: _Utterance, pause: _Work | None = None, *, at_pause: bool = False
    ) -> None:
        self.utterance = utterance
        self.pause = pause
        self.at_pause = at_pause  # a pause's: its grammar decodes on the pause decoder
        self.jobs: dict[tuple[object, ...], asyncio.Task[Any]] = {}
        self.steps: set[str] = set()  # what the pause's silence has done ("commit", "open")
        self.stale = False


def _looked_at(
    hit: WakeDetection, others: Iterable[WakeDetection], refractory_ns: int
) -> list[WakeDetection]:
    """The detections among ``others`` that ``hit`` is a second look at (``second_look``):
    those before it within the refractory period (ns)."""
    return [e for e in others if 0 < hit.t_ns - e.t_ns <= refractory_ns]


def _wake_opening(phrase: str) -> str:
    """The wake phrase as the text an utterance opens with ("hey glasses" → "Hey glasses,")."""
    return f"{phrase[:1].upper()}{phrase[1:]},"


class ListenStage(Stage):
    name: ClassVar[str] = "listen"
    accepts: ClassVar[tuple[type[Event], ...]] = (
        SpeechEnded,
        SpeechPaused,
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
        self._pause_commands: CommandRecognizer | None = None
        self._check_commands: CommandRecognizer | None = None
        self._wake_check: WakeCheck | None = None
        # Each detection's check, by (utterance's started_t_ns, detection's t_ns): decided once,
        # at the utterance's pause or end, whichever asks first; forgotten when it ends.
        self._checks: dict[tuple[int, int], asyncio.Task[bool]] = {}
        self.wakes_unconfirmed = 0  # detections the wake check did not confirm
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
        # The newest detection that was not a second look (``second_look``) at one before it.
        self._fresh_hit_ns: int | None = None
        # When the glasses' own speech says the wake phrase (runtime clock): an echo of it that
        # the canceller has not removed yet (it adapts within ~2 s) must not wake them.
        self._own_wakes: list[int] = []
        self.self_wakes_ignored = 0
        self._work: _Work | None = None  # on the utterance in progress (its pause), or None
        # Where the speech of each VAD pause of the utterance in progress ended (runtime clock,
        # with the utterance's ``started_t_ns``): a pause after the wake phrase is where its
        # command starts (``_plan``).
        self._pauses: list[tuple[int, int]] = []
        self._last_job: dict[Lane, asyncio.Task[Any]] = {}  # the piece started last, per lane
        self._committed: int | None = None  # ``started_t_ns`` of an utterance decided early
        self.early_commits = 0  # commands committed before ``SpeechEnded``
        self.speculations_dropped = 0  # pauses the speech resumed after

    @property
    def recognizer(self) -> CommandRecognizer:
        """The grammar decoder of ended utterances. PocketSphinx's noise statistics carry
        over from one utterance to the next, and its decisions depend on them (a margin of
        -0.86 on a fresh decoder, -0.12 after a few utterances): so pauses are decoded by a
        second decoder (``pause_recognizer``), and this one decodes exactly what it did before
        speculation, every ended utterance's command, even one committed at its pause. What
        is decided at ``SpeechEnded`` is then what it would be without speculation."""
        if self._commands is None:
            self._commands = self._new_recognizer()
        return self._commands

    @property
    def pause_recognizer(self) -> CommandRecognizer:
        """The grammar decoder of pauses (see ``recognizer``)."""
        if self._pause_commands is None:
            self._pause_commands = self._new_recognizer()
        return self._pause_commands

    @property
    def check_recognizer(self) -> CommandRecognizer:
        """The grammar decoder of second opinions (``_accepted``): a decoder of its own, so
        that the other two decode what they would without them (see ``recognizer``)."""
        if self._check_commands is None:
            self._check_commands = self._new_recognizer()
        return self._check_commands

    @property
    def spotting(self) -> WakeSettings:
        """The settings the stage's spotter runs with: ``settings.wake``, with ``second_look``
        when detections are checked (``ListenSettings.second_look``)."""
        wake = self.settings.wake
        if wake.check and self.settings.second_look:
            return replace(wake, second_look=True)
        return wake

    @property
    def wake_check(self) -> WakeCheck:
        """The second opinion on the spotter's detections (``WakeSettings.check``): a decoder
        of its own, so that the command decoders decode what they would without it."""
        if self._wake_check is None:
            self._wake_check = WakeCheck(self.settings.wake.phrase, followers=self._followers())
        return self._wake_check

    def _followers(self) -> list[str]:
        """The words a second look's segment may reach into after the wake phrase
        (``WakeCheck``'s ``followers``): each command's first word."""
        firsts = {p.phrase.split()[0] for p in self.phrases}
        return sorted(w for w in firsts if not w.startswith("<"))

    def _new_recognizer(self) -> CommandRecognizer:
        phrase = self.settings.wake.phrase
        return CommandRecognizer(self.phrases, lead_in=phrase.split()[-1], wake_phrase=phrase)

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
            await self._follow_pause(event, ctx)
            return
        if isinstance(event, Tap):
            if self.settings.mode == "push_to_talk" and event.count == 1:
                self._turn = ctx.new_turn(event.t_ns, "Tap")
                self._awake_until_ns = event.t_ns + int(self.settings.command_window_s * NS_PER_S)
            return
        if isinstance(event, SpeechPaused):
            if event.audio is not None:  # kept for its utterance only (``_pause_after``)
                end_ns = event.started_t_ns + len(event.audio) * NS_PER_S // RATE
                kept = [p for p in self._pauses if p[0] == event.started_t_ns]
                self._pauses = [*kept[: MAX_PAUSES - 1], (event.started_t_ns, end_ns)]
            await self._paused(event, ctx)
            return
        if isinstance(event, SpeechEnded):
            await self._ended(event, ctx)

    async def _ended(self, event: SpeechEnded, ctx: StageContext) -> None:
        try:
            await self._end(event, ctx)
        finally:
            self._checks.clear()

    async def _end(self, event: SpeechEnded, ctx: StageContext) -> None:
        barged_in, self._barged_in = self._barged_in, False
        heard, self._heard = self._heard, []
        streamed, self._streamed_utterance = self._streamed_utterance, False
        if self._spotter is not None:
            heard += self._spotter.flush(self._streamed_ns)  # completed by the last samples
        committed, self._committed = self._committed, None
        utterance = _Utterance.of(event)
        if utterance is None:
            self._drop()
            return
        if committed == event.started_t_ns:
            # Decided at a pause; what came after is not decided again. Its command is still
            # decoded (result unused), so the decoder's history is what it was without
            # speculation (see ``recognizer``).
            self._drop()
            work = _Work(utterance)
            plan = await self._plan(work, heard, streamed, ctx)
            if plan.cut is not None:
                # Runs in its lane; nobody awaits it.
                self._recognition(work, plan.cut, ctx, timed=plan.timed)
            return
        pause = self._work
        if pause is not None and not pause.utterance.same(utterance):
            self._drop()  # speech came after the pause
            pause = None
        # Decided on the ended utterance, as without speculation; the pause's transcription (of
        # the same speech), when the grammar rejects it, is already under way.
        work = self._work = _Work(utterance, pause)
        try:
            await self._decide(work, ctx, heard=heard, streamed=streamed, barged_in=barged_in)
        finally:
            self._drop()

    async def _paused(self, event: SpeechPaused, ctx: StageContext) -> None:
        """The first silent frame after speech: start the utterance's work (speculation)."""
        utterance = _Utterance.of(event, self.settings.pause_pad_ms)
        if (
            not self.settings.speculate
            or utterance is None
            or event.started_t_ns == self._committed
        ):
            return
        if self._work is not None and self._work.utterance.same(utterance):
            return
        if self._work is not None:
            self.speculations_dropped += 1  # speech resumed since the last pause
        self._drop()
        work = self._work = _Work(utterance, at_pause=True)
        plan = await self._plan(work, self._heard, self._streamed_utterance, ctx)
        if plan.cut is not None:
            self._recognition(work, plan.cut, ctx, timed=plan.timed)

    async def _follow_pause(self, event: SpeechAudio, ctx: StageContext) -> None:
        """Streamed audio during a pause: speech resumed (drop the pause's work), or the
        silence has lasted long enough to commit a command or to transcribe open speech."""
        work = self._work
        if work is None or work.stale:
            return
        if event.silence_ns == 0:
            self.speculations_dropped += 1
            self._drop()
            return
        s = self.settings
        silence_ms = event.silence_ns / 1e6
        heard, streamed = list(self._heard), self._streamed_utterance
        if (
            s.early_commit_ms is not None
            and silence_ms >= s.early_commit_ms
            and "commit" not in work.steps
        ):
            work.steps.add("commit")
            committed = await self._decide(
                work, ctx, heard=heard, streamed=streamed, barged_in=self._barged_in, early=True
            )
            if committed:
                self.early_commits += 1
                self._committed = work.utterance.started_t_ns
                self._drop()
                return
        if self.open_speech is not None and silence_ms >= s.speculate_open_ms:
            if "open" in work.steps:
                return
            work.steps.add("open")
            plan = await self._plan(work, heard, streamed, ctx)
            if plan.cut is None:
                return
            result = await self._recognition(work, plan.cut, ctx, timed=plan.timed)
            if not await self._accepted(work, plan, result, ctx):
                # Started here, awaited at the decision.
                self._transcription(work, ctx, after_wake=plan.wake is not None)

    async def _plan(
        self, work: _Work, heard: list[WakeDetection], streamed: bool, ctx: StageContext
    ) -> _Plan:
        """What ``work``'s utterance is (see ``_Plan``), from the stage's state now: the
        wake phrase ``heard`` in the stream so far (a search of the whole utterance if none
        was and the spotter is cold or was not fed). Nothing is said or changed here."""
        u = work.utterance
        s = self.settings
        echo = self.own_voice.during(u.start_ns, u.end_ns)
        own_wakes = list(self._own_wakes)
        if not echo:
            if s.mode == "always" or (
                self._awake_until_ns is not None and u.start_ns <= self._awake_until_ns
            ):
                return _Plan(echo, awake=True, cut=0)
            if s.mode != "wake":
                return _Plan(echo)  # push to talk: speech without a tap first is not for us
        wake = [h for h in heard if h.t_ns >= u.start_ns]
        if not wake and (not streamed or self._spotted_s < COLD_SPOTTER_S):
            # Not streamed (a VAD stage without ``stream_audio``), or the spotter's
            # normalisation is still cold: search the utterance on its own, warmed up on it.
            lane: Lane = "pause" if work.at_pause else "grammar"
            found = await self._job(
                work, ("spot",), lambda: spot(u.audio, self.spotting), s.wake_cost_ms, ctx, lane
            )
            wake = [replace(h, t_ns=u.start_ns + h.t_ns) for h in found]
        spotted = wake
        refractory_ns = int(s.wake.refractory_s * NS_PER_S)
        if s.wake.check:
            # In order, up to the first confirmed: a peak after a confirmed detection is the
            # same phrase (``second_look``), not worth a check. A detection within the
            # refractory period of one before it is that second look: its segment may reach
            # into the command's first word (``WakeCheck.confirms``).
            confirmed = None
            for i, h in enumerate(wake):
                again = bool(_looked_at(h, wake[:i], refractory_ns))
                if await self._confirmed(work, h, ctx, second_look=again):
                    confirmed = h
                    break
            wake = [confirmed] if confirmed is not None else []
        if not wake:
            return _Plan(echo)  # speech without the wake phrase is not for us
        # A second look (``second_look``) is the phrase of the detection it follows within the
        # refractory period: our own voice's if that one was.
        same = [wake[0], *_looked_at(wake[0], spotted, refractory_ns)]
        if echo and any(abs(h.t_ns - t) <= OWN_WAKE_SLACK_NS for h in same for t in own_wakes):
            return _Plan(echo, own_wake=True)
        after = max(0, min(len(u.audio), (wake[0].t_ns - u.start_ns) * RATE // NS_PER_S))
        speech_end = (u.end_ns - u.start_ns) * RATE // NS_PER_S  # the margins are not speech
        # The spotter decides up to ~200 ms after the phrase ends, or before it ends: cut well
        # before that; the command starts where the grammar hears the phrase end
        # (``_recognition``'s ``timed``).
        timed = max(0, after - int(s.wake_lead_in_s * RATE))
        has_command = speech_end - after >= s.min_command_s * RATE
        pause = self._pause_after(u, wake[0])
        if pause is not None and pause >= speech_end:
            # "Hey glasses," and a pause, nothing since: no command yet. The spotter may decide
            # up to ~0.35 s before the phrase ends (at 0.3), so the timed cut below would take
            # the phrase's tail for a command: decoded, rejected, sent to Whisper for nothing.
            return _Plan(echo, wake=wake[0])
        if pause is not None and speech_end - pause >= s.min_command_s * RATE:
            # The wearer paused after the wake phrase ("hey glasses, read this"): the command
            # starts there. The timed cut moves in the spotter's 80 ms steps and may land
            # inside "glasses", where the grammar hears no command at all.
            # The second opinion decodes from its own cut (``confirm_lead_in_s``), as it is: from
            # where the phrase ends it would hear what the pause cut heard.
            second = max(0, after - int(s.confirm_lead_in_s * RATE))
            return _Plan(
                echo,
                wake=wake[0],
                cut=pause,
                paused=True,
                timed_cut=second if has_command else None,
            )
        if has_command:
            return _Plan(echo, wake=wake[0], cut=timed)
        return _Plan(echo, wake=wake[0])

    async def _confirmed(
        self, work: _Work, hit: WakeDetection, ctx: StageContext, *, second_look: bool = False
    ) -> bool:
        """Does the wake check confirm ``hit`` in ``work``'s utterance (``WakeCheck``)? Each
        detection is checked once, on the audio of the pause or end that asks first.
        ``second_look``: ``hit`` is the spotter's second look at the phrase of the detection
        before it (``WakeCheck.confirms``)."""
        u = work.utterance
        key = (u.started_t_ns, hit.t_ns)
        task = self._checks.get(key)
        if task is None or task.cancelled():
            check = self.wake_check
            start, end = check.segment(u.audio, (hit.t_ns - u.start_ns) * RATE // NS_PER_S)
            audio = u.audio[start:end]

            def confirm() -> bool:
                confirmed = check.confirms(audio, second_look=second_look)
                self.wakes_unconfirmed += not confirmed
                return confirmed

            task = self._job(
                work, ("wake check", hit.t_ns), confirm, self.settings.wake_check_cost_ms, ctx,
                "wake",
            )  # fmt: skip
            self._checks[key] = task
        return await task

    def _pause_after(self, u: _Utterance, wake: WakeDetection) -> int | None:
        """Where, in ``u``'s audio (samples), the speech of the VAD pause that follows the wake
        phrase ended: the first pause of the utterance whose speech ended within
        ``wake_pause_window_s`` of the wake's detection (the spotter decides near the phrase's
        end, a little before or after it). None: the wearer went on without a pause. At or past
        the end of ``u``'s speech: the pause ends the utterance so far (no command yet)."""
        before, after = (round(x * NS_PER_S) for x in self.settings.wake_pause_window_s)
        for started, end_ns in self._pauses:
            if started == u.started_t_ns and -before <= end_ns - wake.t_ns <= after:
                return (end_ns - u.start_ns) * RATE // NS_PER_S
        return None

    async def _decide(
        self,
        work: _Work,
        ctx: StageContext,
        *,
        heard: list[WakeDetection],
        streamed: bool,
        barged_in: bool,
        early: bool = False,
    ) -> bool:
        """Decide ``work``'s utterance: say what it is (wake word, intent, rejection) or nothing.
        ``early`` (at a pause): only a command that may be committed early (module
        docstring) is; otherwise nothing is said or changed and False is returned."""
        s = self.settings
        u = work.utterance
        plan = await self._plan(work, heard, streamed, ctx)
        if early:
            if plan.cut is None:
                return False
            result = await self._recognition(work, plan.cut, ctx, timed=plan.timed)
            if not await self._commits_early(work, plan, result, ctx):
                return False
        if not plan.echo:
            self._awake_until_ns = None
        if plan.awake:
            await self._command(work, 0, ctx)
            return True
        if plan.own_wake:
            self.self_wakes_ignored += 1
        if plan.wake is None:
            if plan.echo:
                self.echo_ignored += 1
            return True
        self.wakes += 1
        if plan.echo and not barged_in:
            self._interrupt(ctx)
        # The turn's clock starts when the wearer stopped speaking: the latency that matters.
        self._turn = ctx.new_turn(u.end_ns, "SpeechEnd")
        ctx.emit(
            WakeWord(
                t_ns=ctx.now_ns(),
                source=self.name,
                turn_id=self._turn,
                phrase=plan.wake.phrase,
                score=plan.wake.score,
                heard_t_ns=plan.wake.t_ns,
            )
        )
        if plan.cut is not None:
            await self._command(work, plan.cut, ctx, same_utterance=True, plan=plan)
        else:
            self._awake_until_ns = u.end_ns + int(s.command_window_s * NS_PER_S)
        return True

    async def _commits_early(
        self, work: _Work, plan: _Plan, result: CommandResult, ctx: StageContext
    ) -> bool:
        """A command heard whole, confidently, that no longer phrase continues."""
        return (
            result.intent is not None
            and result.margin >= self.settings.early_commit_margin
            and not self.pause_recognizer.continued(result.phrase)
            and await self._accepted(work, plan, result, ctx)
        )

    async def _accepted(
        self, work: _Work, plan: _Plan, result: CommandResult, ctx: StageContext
    ) -> bool:
        """Is ``result`` (of ``plan.cut``) a command? One cut at the pause after the wake
        phrase (``plan.paused``) needs a margin of ``pause_cut_margin``, or the same command
        heard from the cut timed from the spotter (``plan.timed_cut``, a second opinion)."""
        if result.intent is None:
            return False
        if not plan.paused or result.margin >= self.settings.pause_cut_margin:
            return True
        if plan.timed_cut is None:
            return False
        audio = work.utterance.audio[plan.timed_cut :]
        check = await self._job(
            work,
            ("check", plan.timed_cut),
            lambda: self.check_recognizer.recognize(audio),
            self.settings.command_cost_ms,
            ctx,
            "check",
        )
        return check.intent == result.intent

    def _job(
        self,
        work: _Work,
        what: tuple[object, ...],
        fn: Callable[[], T],
        cost_ms: float,
        ctx: StageContext,
        lane: Lane,
    ) -> asyncio.Task[T]:
        """``fn`` (blocking) on ``work``'s utterance, started once per ``what``: in a worker,
        after every piece of work started before it in ``lane`` (on any utterance); skipped if
        ``work`` is stale by then. The task is named after the stage (its compute is the
        stage's)."""
        task = work.jobs.get(what)
        if task is not None:
            return task
        before = self._last_job.get(lane)

        async def run() -> T:
            if before is not None and not before.done():
                await asyncio.wait([before])
            if work.stale:
                raise asyncio.CancelledError  # speech resumed: nobody will ask for this
            return await ctx.clock.run_blocking(fn, cost_ns=int(cost_ms * 1e6))

        task = asyncio.get_running_loop().create_task(run(), name=self.name)
        task.add_done_callback(lambda t: self._job_done(what, t))
        work.jobs[what] = task
        self._last_job[lane] = task
        return task

    @staticmethod
    def _job_done(what: tuple[object, ...], task: asyncio.Task[Any]) -> None:
        if not task.cancelled() and (error := task.exception()) is not None:
            # Retrieved here (a piece nobody awaits, its speech resumed); a decision that
            # awaits it raises it too, and the stage crashes as it would have.
            log.warning("listen: %s failed: %s", what[0], error)

    def _recognition(
        self, work: _Work, cut: int, ctx: StageContext, *, timed: bool = False
    ) -> asyncio.Task[CommandResult]:
        """The grammar's verdict on ``work``'s audio from ``cut``. ``timed``: the cut was timed
        from the spotter's decision, before the wake phrase's end: the command starts where
        the grammar, with the phrase before the commands, hears the phrase end."""
        audio = work.utterance.audio[cut:]
        # The decoders load in the worker on first use (~0.5 s): never on the loop.
        recognizer = self.pause_recognizer if work.at_pause else self.recognizer

        def recognize() -> CommandResult:
            start = recognizer.wake_phrase_end(audio) if timed else 0
            return recognizer.recognize(audio[start:])

        return self._job(
            work,
            ("command", cut, timed),  # one cut, two searches: the same audio is two jobs
            recognize,
            self.settings.command_cost_ms,
            ctx,
            "pause" if work.at_pause else "grammar",
        )

    def _transcription(
        self, work: _Work, ctx: StageContext, *, after_wake: bool
    ) -> asyncio.Task[str] | None:
        """Open speech's transcript of ``work``'s utterance, or the one its pause started.
        ``after_wake``: the utterance began with the wake phrase: the transcript starts from it
        (the transcriber's ``opening``). On the speech bench's held-out clips
        (``docs/experiments/listen_sets/sets_eval.py``) "hey glasses, <command>" right went
        from 248 to 284 of 600 and one breath from 16 to 20 of 48, with the same 2 commands
        taken from 20 out-of-grammar sentences that woke."""
        open_speech = self.open_speech
        if open_speech is None:
            return None
        opening = _wake_opening(self.settings.wake.phrase) if after_wake else ""
        what = ("transcribe", opening)
        started = work.pause.jobs.get(what) if work.pause is not None else None
        if started is not None:
            return started
        audio = work.utterance.audio
        return self._job(
            work,
            what,
            lambda: open_speech.transcribe(audio, opening=opening),
            open_speech.settings.cost_ms,
            ctx,
            "open",
        )

    def _drop(self) -> None:
        """The utterance in progress is decided, or its speech resumed: its work is stale."""
        work, self._work = self._work, None
        while work is not None:
            work.stale = True
            work = work.pause

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
                lambda: new_spotter(self.spotting), cost_ns=0
            )
        samples, t_ns = event.samples, event.t_ns
        self._streamed_utterance = True
        self._streamed_ns = event.t_ns + len(samples) * NS_PER_S // RATE
        if event.lead_in is not None and len(event.lead_in):
            # What preceded the utterance: the spotter's window holds it, not the end of the
            # previous utterance (the phrase's score no longer depends on what was said before).
            samples = np.concatenate([event.lead_in, samples])
            t_ns -= len(event.lead_in) * NS_PER_S // RATE
        self._spotted_s += len(samples) / RATE
        hits = await ctx.clock.run_blocking(
            lambda: spotter.process(samples, t_ns),
            cost_ns=int(self.settings.wake_cost_ms * 1e6 * len(samples) / (2 * RATE)),
        )
        if not hits:
            return
        self._heard += hits
        # A second look at a phrase (within the refractory period of the detection before) is
        # the same phrase: our own voice saying it must not barge in on a later peak.
        refractory_ns = int(spotter.settings.refractory_s * NS_PER_S)
        fresh = []
        for h in hits:
            if self._fresh_hit_ns is None or h.t_ns - self._fresh_hit_ns > refractory_ns:
                self._fresh_hit_ns = h.t_ns
                fresh.append(h)
        if not fresh:
            return
        speaking = self.own_voice.speaking(event.t_ns)
        if speaking and not self._barged_in and not self._own_wake(fresh[0].t_ns):
            self._barged_in = True
            self._interrupt(ctx)

    async def _command(
        self,
        work: _Work,
        cut: int,
        ctx: StageContext,
        *,
        same_utterance: bool = False,
        plan: _Plan | None = None,
    ) -> None:
        """Decode the utterance's audio from ``cut`` as a command. What the grammar rejects,
        open speech transcribes whole (with the wake phrase): a large recogniser finds the
        boundary after the wake phrase better than the spotter's timing does. ``plan``: the
        utterance's plan, when the cut is at the pause after the wake phrase (``_accepted``)."""
        result = await self._recognition(work, cut, ctx, timed=plan is not None and plan.timed)
        confirmed = plan is None or await self._accepted(work, plan, result, ctx)
        if result.intent is not None and not confirmed:
            floor = self.settings.pause_cut_margin
            why = f"margin {result.margin:.2f} after a pause, under {floor:g}, unconfirmed"
            result = replace(result, intent=None, phrase="", rejected=why)
        if self._turn is None or not same_utterance:
            self._turn = ctx.new_turn(work.utterance.end_ns, "SpeechEnd")
        turn, self._turn = self._turn, None
        if result.intent is None:
            await self._open_speech(work, result, turn, ctx, after_wake=same_utterance)
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
        self,
        work: _Work,
        result: CommandResult,
        turn: int,
        ctx: StageContext,
        *,
        after_wake: bool = False,
    ) -> None:
        """Speech the grammar rejected: a question (``ask``) when the transcriber hears one,
        otherwise the "didn't catch that" toast. ``after_wake``: the utterance began with the
        wake phrase (the spotter heard it there), so a transcript that does not spell it may
        still hold a command after it (``CommandRecognizer.match_after_wake``), and its
        misheard opening is no part of the question (``after_wake_like``). A transcript that
        bears out the grammar's rejected hypothesis (``CommandRecognizer.agrees``) is that
        command."""
        heard, reason = result.hypothesis, result.rejected
        open_speech = self.open_speech
        transcription = self._transcription(work, ctx, after_wake=after_wake)
        if open_speech is not None and transcription is not None:
            try:
                text = await transcription
            except OpenSpeechUnavailable as exc:
                log.warning("open speech unavailable, treated as not understood: %s", exc)
                text = ""
            phrase = self.settings.wake.phrase
            rest = open_speech.after_wake(text, phrase)
            if after_wake and rest == text:  # the transcript does not spell the wake phrase
                command = self.recognizer.match_after_wake(text, phrase)
                # Open speech without the wake phrase's misheard words ("I A-glass and
                # remember …"): the skills' patterns match from the request's first word.
                rest = self.recognizer.after_wake_like(text, phrase)
            else:
                command = self.recognizer.match_text(rest)
            text = rest
            if not command and self.recognizer.agrees(text, result.hypothesis):
                # Two weak opinions that agree: the grammar heard the phrase but its margin
                # rejected it, and the transcript sounds like it ("Yes, miss": "dismiss").
                command = result.hypothesis
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
        self._drop()
        self._pauses = []
        self._committed = None
        self._barged_in = False
        self._fresh_hit_ns = None
        self._spotter = None
        self._heard = []
        self._checks.clear()
        self._streamed_utterance = False
        self._spotted_s = 0.0
        self._awake_until_ns = None
        self._turn = None
        self.own_voice.clear()
        self._own_wakes = []

    async def stop(self) -> None:
        self._drop()
        for job in self._last_job.values():
            job.cancel()  # work nobody waits for (a blocking call in a worker runs to its end)
