"""The event vocabulary: everything that moves through the runtime is one of these.

Every event is a small frozen dataclass stamped with ``t_ns``, nanoseconds on the runtime clock
(never wall-clock time), the ``source`` that produced it, and, for anything caused by a user turn,
that turn's ``turn_id``. Events come in three kinds:

* ``DATA``: high-rate sensor data (camera frames, microphone audio). Camera frames may be dropped by
  a flow limiter; audio is never dropped: a full queue holds its producers back (backpressure)
  and says so with a ``QueueOverflow`` event.
* ``CONTROL``: what perception and the assistant conclude (codes seen, intents, HUD updates).
* ``SYSTEM``: lifecycle and faults (device lost, stage crashed, shutdown). They skip queues: a
  subscriber receives them before any queued data or control event.

Each event says what it is in words: ``describe()`` is one plain line ("intent scan
(value=…)"), what the TUI's event log and ``glasses -vv`` print.
"""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np


class EventKind(enum.Enum):
    DATA = "data"
    CONTROL = "control"
    SYSTEM = "system"


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    """Base of every event. ``t_ns`` is on the runtime clock (virtual under the harness)."""

    kind: ClassVar[EventKind] = EventKind.CONTROL

    t_ns: int
    source: str = ""
    turn_id: int | None = None

    @property
    def type_name(self) -> str:
        """The event's class name (``Intent``); not ``name``, which some events use as a field."""
        return type(self).__name__

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary: arrays become their shape, nested dataclasses become dicts."""
        out: dict[str, Any] = {"type": self.type_name, "kind": self.kind.value}
        for f in dataclasses.fields(self):
            out[f.name] = _jsonable(getattr(self, f.name))
        return out

    def describe(self) -> str:
        """One plain line saying what happened, for logs; each event type words its own.

        This default lists the fields a subclass adds (arrays by their shape)."""
        base = {"t_ns", "source", "turn_id"}
        fields = ", ".join(
            f"{f.name}={_short(getattr(self, f.name))}"
            for f in dataclasses.fields(self)
            if f.name not in base
        )
        return f"{self.type_name} ({fields})" if fields else self.type_name


def _jsonable(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return {"shape": list(value.shape), "dtype": str(value.dtype)}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, tuple | list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return value


def _short(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return "×".join(str(n) for n in value.shape) + f" {value.dtype}"
    return repr(value)


def _quote(text: str) -> str:
    """``text`` on one line: its line breaks shown as `` | ``; "(nothing)" when empty."""
    return " | ".join(text.splitlines()) if text.strip() else "(nothing)"


# --------------------------------------------------------------------------------------------
# Data


@dataclass(frozen=True, slots=True, kw_only=True)
class VideoFrame(Event):
    """One camera frame: ``image`` is H×W×3 uint8 BGR (OpenCV order); ``index`` counts from 0.

    ``view``: what the camera sees, when the camera knows (the simulated camera numbers its
    scenes): frames with the same ``view`` hold the same pixels, so perception may reuse what
    it found in an earlier one. None (a live sensor, whose every frame is new) says nothing.
    """

    kind: ClassVar[EventKind] = EventKind.DATA

    image: np.ndarray = field(repr=False)
    index: int = 0
    view: int | None = None

    @property
    def width(self) -> int:
        return int(self.image.shape[1])

    @property
    def height(self) -> int:
        return int(self.image.shape[0])

    def describe(self) -> str:
        return f"camera frame {self.index} ({self.width}×{self.height})"


@dataclass(frozen=True, slots=True, kw_only=True)
class AudioChunk(Event):
    """Mono int16 PCM. ``t_ns`` is the time of the first sample; ``sample_rate`` in Hz."""

    kind: ClassVar[EventKind] = EventKind.DATA

    samples: np.ndarray = field(repr=False)
    sample_rate: int = 16_000

    @property
    def duration_ns(self) -> int:
        return len(self.samples) * 1_000_000_000 // self.sample_rate

    def describe(self) -> str:
        return f"audio {self.duration_ns / 1e6:.0f} ms at {self.sample_rate} Hz"


# --------------------------------------------------------------------------------------------
# Control


@dataclass(frozen=True, slots=True)
class DecodedCode:
    """A decoded code: ``symbology`` e.g. ``"QR"`` or ``"EAN_13"``; ``corners`` in px."""

    symbology: str
    value: str
    corners: tuple[tuple[float, float], ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class CodesDetected(Event):
    """Codes decoded in the frame numbered ``frame_index``, captured at ``frame_t_ns``."""

    codes: tuple[DecodedCode, ...]
    frame_index: int
    frame_t_ns: int

    def describe(self) -> str:
        if not self.codes:
            return "no code in view"
        seen = ", ".join(f"{c.symbology} {c.value}" for c in self.codes)
        return f"{'code' if len(self.codes) == 1 else 'codes'} in view: {seen}"


@dataclass(frozen=True, slots=True, kw_only=True)
class TextRead(Event):
    """Text lines read (OCR) in the frame numbered ``frame_index``, captured at ``frame_t_ns``;
    ``lines`` in reading order (top to bottom, left to right), word spaces kept."""

    lines: tuple[str, ...]
    frame_index: int
    frame_t_ns: int

    def describe(self) -> str:
        lines = _quote("\n".join(self.lines))
        return f"read: {lines}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Tap(Event):
    """A tap on the glasses' touch pad (or the push-to-talk button); ``count`` 1 or 2."""

    count: int = 1

    def describe(self) -> str:
        return {1: "tap", 2: "double tap"}.get(self.count, f"{self.count} taps")


@dataclass(frozen=True, slots=True, kw_only=True)
class Swipe(Event):
    """A swipe on the touch pad: ``direction`` is ``"forward"`` or ``"back"``."""

    direction: str = "forward"

    def describe(self) -> str:
        return f"swipe {self.direction}"


@dataclass(frozen=True, slots=True, kw_only=True)
class HeadGesture(Event):
    """A head gesture from the IMU: ``gesture`` is ``"nod"`` or ``"shake"``."""

    gesture: str

    def describe(self) -> str:
        return f"head {self.gesture}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Intent(Event):
    """What the user wants, decided by the router: ``name`` selects a skill; ``slots`` its args."""

    name: str
    slots: tuple[tuple[str, str], ...] = ()
    phrase: str = ""

    def slot(self, key: str, default: str = "") -> str:
        return dict(self.slots).get(key, default)

    def describe(self) -> str:
        slots = " ".join(f"{k}={v}" for k, v in self.slots)
        return f"intent {self.name} ({slots})" if slots else f"intent {self.name}"


LAYOUTS = (
    "text_wall",  # body text filling the display
    "double_text_wall",  # two columns: ``items[0]`` left, ``items[1]`` right
    "reference",  # title + body
    "list",  # title + ``items`` as a list
    "captions",  # scrolling speech captions: the newest lines of ``body`` stay visible
    "toast",  # a short notification box over the lower part of the display
    "progress",  # title + a bar at ``progress`` (0..1) + ``body`` as its label
)
CARD_INPUTS = ("tap", "double_tap", "nod", "shake")  # what a card may ask for (``Card.actions``)


@dataclass(frozen=True, slots=True)
class Card:
    """A device-neutral HUD card; ``layout`` (one of ``LAYOUTS``) says how it is laid out.

    ``ttl_s``: seconds after which the HUD clears the card by itself (None: until replaced).
    ``actions``: the inputs this card asks for, as ``(input, intent)`` pairs (input one of
    ``CARD_INPUTS``); while the card is shown they win over every global tap or gesture.
    ``follow``: show the card's last page (a progressive answer turns its own pages).
    """

    title: str = ""
    body: str = ""
    layout: str = "reference"
    items: tuple[str, ...] = ()
    progress: float | None = None
    ttl_s: float | None = None
    actions: tuple[tuple[str, str], ...] = ()
    follow: bool = False

    def __post_init__(self) -> None:
        if self.layout not in LAYOUTS:
            raise ValueError(f"unknown HUD layout {self.layout!r}; layouts: {', '.join(LAYOUTS)}")
        if self.progress is not None and not 0.0 <= self.progress <= 1.0:
            raise ValueError(f"progress must be within 0..1, got {self.progress}")
        for action, _ in self.actions:
            if action not in CARD_INPUTS:
                inputs = ", ".join(CARD_INPUTS)
                raise ValueError(f"unknown card input {action!r}; inputs: {inputs}")


@dataclass(frozen=True, slots=True, kw_only=True)
class HudUpdate(Event):
    """Show ``card`` on the HUD; ``card=None`` clears it.

    ``stream``: updates of one progressive response (tokens, OCR lines, caption partials) share
    a stream id; each carries the whole card so far, so coalescing keeps the newest.
    """

    card: Card | None
    stream: str = ""

    def describe(self) -> str:
        if self.card is None:
            return "hud update: clear"
        what = self.card.title or self.card.body
        return f"hud update: {self.card.layout} {_quote(what)}"


@dataclass(frozen=True, slots=True, kw_only=True)
class HudDrawn(Event):
    """Acknowledges a ``HudUpdate`` (same ``turn_id``): ``text`` is what the display shows now.

    ``update_t_ns`` is when that update was emitted; ``coalesced`` counts the other updates
    merged into the same draw by the display's update-rate limit (0 when drawn on its own).
    ``card`` is the card drawn (None: the display was cleared) and ``text`` its page ``page``,
    so a renderer can picture what the wearer saw (``glasses.hud.pictures``).
    """

    text: str
    update_t_ns: int
    coalesced: int = 0
    page: int = 0
    pages: int = 1
    actions: tuple[tuple[str, str], ...] = ()  # the shown card's ``Card.actions``
    card: Card | None = None  # the card drawn (``text`` is its page ``page``); None: cleared

    def describe(self) -> str:
        shown = " | ".join(self.text.splitlines()) if self.text else "(clear)"
        paged = f" (page {self.page + 1}/{self.pages})" if self.pages > 1 else ""
        extra = f" (+{self.coalesced} coalesced)" if self.coalesced else ""
        return f"hud drawn: {shown}{paged}{extra}"


@dataclass(frozen=True, slots=True, kw_only=True)
class HudDimmed(Event):
    """The display dimmed (``level`` 0..1 of full brightness; 0 is off) after inactivity."""

    level: float

    def describe(self) -> str:
        if self.level == 0:
            return "hud off"
        return "hud at full brightness" if self.level == 1 else f"hud dimmed to {self.level:.0%}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Say(Event):
    """Speak ``text`` through the speaker. A new ``Say`` replaces what is playing, unless
    ``queued``: then it plays after what this turn already has playing or queued (an answer
    spoken sentence by sentence)."""

    text: str
    queued: bool = False

    def describe(self) -> str:
        return f"say{' (queued)' if self.queued else ''}: {self.text}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Speaking(Event):
    """The speaker started playing ``text`` (``t_ns``: the playback start, runtime clock).

    ``audio`` is what is played, as 16 kHz mono int16: the echo canceller's reference and what
    tells the listener which sounds are the glasses' own voice. ``duration_ns`` is its length.
    """

    text: str
    audio: np.ndarray | None = field(default=None, repr=False)
    duration_ns: int = 0

    def describe(self) -> str:
        return f"speaking ({self.duration_ns / 1e9:.1f} s): {self.text}"


@dataclass(frozen=True, slots=True, kw_only=True)
class SpeakingStopped(Event):
    """Playback ended (``t_ns``): played to the end, or ``cut`` short by a barge-in
    (``reason``: what cut it, e.g. "wake word", "tap")."""

    cut: bool = False
    reason: str = ""

    def describe(self) -> str:
        return f"speech cut ({self.reason or 'no reason'})" if self.cut else "speech done"


@dataclass(frozen=True, slots=True, kw_only=True)
class SpeechAudio(Event):
    """Audio of the utterance in progress, streamed while the VAD is in speech (for live
    captions and the wake word): ``samples`` 16 kHz mono int16 starting at ``t_ns``, echo
    already cancelled. ``silence_ns``: how long the VAD has heard silence at the end of these
    samples (its stop hangover running, see ``SpeechPaused``); 0 while speech goes on, so a 0
    after a pause says the speech resumed. ``lead_in``: the audio just before ``t_ns`` that no
    ``SpeechAudio`` carried (up to the VAD stage's ``lead_in_ms``; None when it follows the
    previous one without a gap): the first event of an utterance holds what preceded it, so
    that the wake spotter's window sees what was really said before the phrase, not the end of
    the previous utterance. Captions ignore it."""

    kind: ClassVar[EventKind] = EventKind.DATA
    samples: np.ndarray = field(repr=False)
    silence_ns: int = 0
    lead_in: np.ndarray | None = field(default=None, repr=False)

    def describe(self) -> str:
        return f"speech audio {len(self.samples) / 16:.0f} ms"


@dataclass(frozen=True, slots=True, kw_only=True)
class SpeechStarted(Event):
    """The voice activity detector decided speech has begun (``t_ns``: when, after the start
    hangover); when the speech itself began is in the matching ``SpeechEnded.started_t_ns``."""

    def describe(self) -> str:
        return "voice: speech started"


@dataclass(frozen=True, slots=True, kw_only=True)
class _SpeechSpan(Event):
    """What ``SpeechEnded`` and ``SpeechPaused`` carry: ``started_t_ns``, when the first speech
    frame began; ``audio``, the utterance as 16 kHz mono int16 from then to the end of its last
    speech frame (None when the detector was told not to keep audio); ``context``, the same
    with its surroundings from ``context_t_ns`` (recognisers are calibrated on audio with
    margins)."""

    started_t_ns: int
    audio: np.ndarray | None = field(default=None, repr=False)
    context: np.ndarray | None = field(default=None, repr=False)
    context_t_ns: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class SpeechEnded(_SpeechSpan):
    """The voice activity detector decided speech has ended (``t_ns``: when, after the stop
    hangover); ``started_t_ns`` is when its first speech frame began.

    ``audio``: the utterance as 16 kHz mono int16, from ``started_t_ns`` to the end of its last
    speech frame (the stop hangover's silence is not included), for the recogniser; None when
    the detector was told not to keep audio. ``context``: up to ``context_ms`` before, and the
    stop hangover after.
    """

    def describe(self) -> str:
        length = len(self.audio) / 16_000 if self.audio is not None else 0.0
        return f"voice: speech ended ({length:.2f} s)"


@dataclass(frozen=True, slots=True, kw_only=True)
class SpeechPaused(_SpeechSpan):
    """The voice activity detector heard the first silent frame after speech (``t_ns``: when):
    its stop hangover starts, and unless speech resumes (``SpeechAudio.silence_ns`` back to 0)
    the ``SpeechEnded`` that follows carries this same utterance. Listeners may start their
    work on it now (speculation), and must drop that work if speech resumes.

    The fields are ``SpeechEnded``'s, as far as heard: ``audio`` from ``started_t_ns`` to the
    end of the last speech frame, ``context`` from ``context_t_ns`` to the end of the first
    silent frame (the margins the recognisers want; None without audio).
    """

    def describe(self) -> str:
        length = len(self.audio) / 16_000 if self.audio is not None else 0.0
        return f"voice: pause after {length:.2f} s of speech"


@dataclass(frozen=True, slots=True, kw_only=True)
class WakeWord(Event):
    """The wake phrase was heard (``t_ns``: when it was recognised, at the end of the audio chunk
    that completed it); ``score`` is the spotter's confidence, 0..1."""

    phrase: str
    score: float = 0.0
    heard_t_ns: int = 0  # when the phrase ended in the audio (``t_ns`` is when it was decided)

    def describe(self) -> str:
        return f"wake word {self.phrase} ({self.score:.2f})"


@dataclass(frozen=True, slots=True, kw_only=True)
class CommandRejected(Event):
    """Speech after the wake word that is no command (``reason``, e.g. "out of grammar");
    ``heard`` is what the grammar search made of it."""

    reason: str
    heard: str = ""

    def describe(self) -> str:
        heard = f": heard {self.heard!r}" if self.heard else ""
        return f"command rejected ({self.reason}){heard}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Transcript(Event):
    """Recognised speech: a partial (``final=False``, may still change) or the final text of an
    utterance."""

    text: str
    final: bool = True

    def describe(self) -> str:
        return f"{'heard' if self.final else 'hearing'}: {self.text}"


# --------------------------------------------------------------------------------------------
# System


@dataclass(frozen=True, slots=True, kw_only=True)
class SystemEvent(Event):
    kind: ClassVar[EventKind] = EventKind.SYSTEM


@dataclass(frozen=True, slots=True, kw_only=True)
class Interrupt(SystemEvent):
    """Barge-in: cancel speech and pending HUD output of ``turn_id`` (or of every turn)."""

    reason: str = ""

    def describe(self) -> str:
        return f"interrupt: {self.reason or 'no reason'}"


@dataclass(frozen=True, slots=True, kw_only=True)
class DeviceLost(SystemEvent):
    device: str
    reason: str

    def describe(self) -> str:
        return f"{self.device} lost: {self.reason}"


@dataclass(frozen=True, slots=True, kw_only=True)
class DeviceRestored(SystemEvent):
    device: str
    attempts: int

    def describe(self) -> str:
        return f"{self.device} restored after {self.attempts} attempt(s)"


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueOverflow(SystemEvent):
    """The inbox ``queue`` ran over its ``size``: it holds ``depth`` events. Nothing was dropped:
    the sources and stages that feed it wait for room (backpressure), so the timeline lags
    instead; ``total`` counts the times this queue has run over."""

    queue: str
    depth: int
    size: int
    total: int

    def describe(self) -> str:
        return f"queue {self.queue} full ({self.depth}/{self.size}): lagging"


@dataclass(frozen=True, slots=True, kw_only=True)
class StageCrashed(SystemEvent):
    """A stage raised; the supervisor restarts it (``restart`` counts its crashes so far), or,
    with ``gave_up``, it crashed too often within the restart window and stays down for good
    (see ``RestartPolicy``)."""

    stage: str
    error: str
    restart: int
    gave_up: bool = False

    def describe(self) -> str:
        if self.gave_up:
            return f"stage {self.stage} gave up after {self.restart} crashes: {self.error}"
        return f"stage {self.stage} crashed: {self.error} (restart {self.restart})"


@dataclass(frozen=True, slots=True, kw_only=True)
class Shutdown(SystemEvent):
    reason: str = ""

    def describe(self) -> str:
        return f"shutdown: {self.reason}" if self.reason else "shutdown"
