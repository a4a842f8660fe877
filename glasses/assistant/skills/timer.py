"""The ``timer`` skill: "set a timer for five minutes" → a countdown card, then "Timer done".

One timer at a time: a new one replaces the running one; "cancel the timer" stops it ("stop"
only stops speech, never the timer). The common request, "set a timer for
<number> <unit>" (one to sixty seconds, minutes or hours), is a grammar command with slots
(``glasses.speech.commands.SLOTS``): decided without Whisper. Its intent's phrase is the words
the grammar heard ("set a timer for forty five minutes"); the router gives it the slots of the
``OnText`` pattern below, so both paths parse the duration the same way
(``glasses.assistant.durations``). Every other duration ("1 minute 30 seconds", "an hour and a
half") comes as open speech claimed by those patterns. Eight listed durations were tried first
("set a timer for one/two/three/five/ten/fifteen/twenty/thirty minutes", espeak, 3 voices): 14
of 15 requests for other durations were accepted as a wrong one ("nine" → "five", "forty" →
"twenty"): a grammar must hold every number a wearer says. With one to sixty in seconds,
minutes and hours, 31 of 32 espeak requests at 15 dB were right and no more of 40 everyday
sentences were accepted as commands. A transcript's digits below 100 ("Set a timer for 7
minutes.") are read as the grammar's number words (``CommandRecognizer.match_text``), so a
request the grammar missed and Whisper heard is the same command.

What the wearer sees, all on the runtime clock:

* a ``progress`` card counting down, redrawn every ``tick_s`` for ``glance_s`` after the timer
  is set (or asked for: "how much time is left"), and again for the last ``final_s`` (a timer
  of a minute or less all the way); in between the HUD is left alone (a redraw every second
  would keep the display lit for the whole hour of a long timer, and fill the timeline with
  events). Each countdown card expires on its own shortly after its tick, so a countdown that
  stops never leaves a stale time on the display. The countdown only redraws its own card,
  or an empty HUD in the final seconds: a card another skill put up in the meantime stays;
* at the end, a "Timer done" card and the spoken "Timer done." (repeatable with "repeat that").
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import ClassVar

from glasses.assistant.durations import countdown, describe_duration, parse_duration
from glasses.assistant.intents import TIMER, TIMER_CANCEL
from glasses.assistant.skill import Reply, Skill, SkillContext
from glasses.assistant.triggers import OnText, Phrase, Trigger
from glasses.runtime.clock import NS_PER_S
from glasses.runtime.events import Card, HudUpdate, Intent, Say

log = logging.getLogger(__name__)

# What the duration of a spoken request may look like after "for": number words, digits and
# units (the transcript is lower-case words and digits; the duration itself is parsed from the
# raw transcript, which keeps "1.5" and "1:30").
_UNIT = r"(?:seconds?|secs?|minutes?|mins?|hours?|hrs?)"
_POLITE = r"(?:(?:please|can you|could you|would you|will you) )?"
_SET = rf"{_POLITE}(?:set|start|make|put on)(?: me| up)? (?:a |an |the |my |one )?"
SET_PATTERN = (
    rf"(?:{_SET})?timer(?: (?:for|of|to|at|on) ?(?P<duration>.+?))?(?: please)?"
    rf"|(?:{_SET})?(?P<duration2>[0-9a-z ]*?{_UNIT}) timer(?: please)?"
    # Whatever came before, when the request ends in "timer for <…unit>": the wake phrase
    # said without a pause can eat the first word ("at a timer for 10 seconds").
    rf"|.*?\btimer (?:for|of) (?P<duration3>[0-9a-z ]*?{_UNIT})(?: please)?"
)
CANCEL_PATTERN = (
    rf"{_POLITE}(?:cancel|stop|end|clear|delete|remove|turn off|switch off|kill|reset)"
    r" (?:the |my |that |this |a )?timer(?: please)?"
)
STATUS_PATTERN = (
    r"(?P<status>(?:how much time|how long)(?: is| do i have| have i got)?"
    r" (?:left|remaining)(?: on (?:the|my) timer)?"
    r"|(?:show|check)(?: me)? (?:the |my )?timer|timer status)"
)


@dataclass(frozen=True, slots=True)
class TimerSettings:
    """``tick_s``: seconds between countdown redraws. ``glance_s``: how long (s) the countdown
    shows after the timer is set or asked for; ``final_s``: the seconds before the end when it
    shows again; a timer of at most ``continuous_up_to_s`` counts down on the HUD all the
    way. ``alert_ttl_s``: how long the "Timer done" card stays (s). ``max_s``: the longest
    timer, s."""

    tick_s: float = 1.0
    glance_s: float = 10.0
    final_s: float = 10.0
    alert_ttl_s: float = 10.0
    max_s: float = 24 * 3600.0
    continuous_up_to_s: float = 60.0

    def __post_init__(self) -> None:
        if not self.tick_s > 0:
            raise ValueError(f"tick_s must be > 0, got {self.tick_s}")
        if self.glance_s < 0 or self.final_s < 0 or not self.alert_ttl_s > 0:
            raise ValueError("glance_s and final_s must be >= 0, alert_ttl_s > 0")


@dataclass(slots=True)
class RunningTimer:
    """The running timer: ``seconds`` long, from ``start_ns`` to ``end_ns`` (runtime clock);
    ``card`` is the countdown card it last put up (None: none yet)."""

    seconds: int
    start_ns: int
    end_ns: int
    card: Card | None = None
    task: asyncio.Task[None] | None = None

    def remaining_s(self, now_ns: int) -> float:
        return max(0, self.end_ns - now_ns) / NS_PER_S


class TimerSkill(Skill):
    name: ClassVar[str] = "timer"
    intents: ClassVar[tuple[str, ...]] = (TIMER, TIMER_CANCEL)
    phrases: ClassVar[tuple[str | Phrase, ...]] = (
        Phrase("set a timer for <number> <unit>", TIMER),
        Phrase("cancel the timer", TIMER_CANCEL),
    )
    triggers: ClassVar[tuple[Trigger, ...]] = (
        OnText(CANCEL_PATTERN, TIMER_CANCEL),
        OnText(STATUS_PATTERN, TIMER),
        OnText(SET_PATTERN, TIMER),
    )

    def __init__(self, settings: TimerSettings | None = None) -> None:
        self.settings = settings or TimerSettings()
        self.timer: RunningTimer | None = None
        self.alerts = 0  # timers that ran to the end

    async def handle(self, intent: Intent, ctx: SkillContext) -> Reply:
        if intent.name == TIMER_CANCEL:
            return self._cancel()
        now = ctx.clock.now_ns()
        if intent.slot("status"):
            return self._status(ctx, now)
        after = intent.slot("duration") or intent.slot("duration3")  # "timer for <…>"
        asked = after or intent.slot("duration2")  # "<…> timer"
        # Parsed from the raw transcript, which keeps what normalising drops ("1.5 hours",
        # "1:30"): the part after "timer", or before it.
        raw = intent.phrase
        cut = raw.lower().rfind("timer")
        if cut >= 0:
            raw = raw[cut:] if after else raw[:cut]
        seconds = parse_duration(raw) if asked else None
        if seconds is None and asked:
            seconds = parse_duration(asked)
        if seconds is None:
            return Reply(
                card=Card(
                    title="Timer",
                    body="For how long? Say: set a timer for five minutes.",
                    layout="toast",
                    ttl_s=4.0,
                ),
                say="For how long?",
            )
        if seconds > self.settings.max_s:
            limit = f"Timers run up to {describe_duration(self.settings.max_s)}."
            return Reply(card=Card(title="Timer", body=limit, layout="toast", ttl_s=4.0), say=limit)
        whole = max(1, round(seconds))
        self._stop_task()
        timer = RunningTimer(whole, now, now + whole * NS_PER_S)
        self.timer = timer
        timer.card = self._card(timer, now)
        self._run(timer, ctx, show_from_ns=now)
        return Reply(card=timer.card, say=f"Timer set for {describe_duration(whole)}.")

    # ----------------------------------------------------------------------------------------

    def _cancel(self) -> Reply:
        if self.timer is None:
            return Reply(card=Card(title="No timer running", layout="toast", ttl_s=2.0))
        self._stop_task()
        self.timer = None
        return Reply(
            card=Card(title="Timer cancelled", layout="toast", ttl_s=2.0), say="Timer cancelled."
        )

    def _status(self, ctx: SkillContext, now: int) -> Reply:
        timer = self.timer
        if timer is None:
            return Reply(card=Card(title="No timer running", layout="toast", ttl_s=2.0))
        self._stop_task()
        timer.card = self._card(timer, now)
        self._run(timer, ctx, show_from_ns=now)
        left = describe_duration(timer.remaining_s(now))
        return Reply(card=timer.card, say=f"{left} left.")

    def _card(self, timer: RunningTimer, now_ns: int) -> Card:
        left = timer.remaining_s(now_ns)
        return Card(
            title=f"Timer {describe_duration(timer.seconds)}",
            body=countdown(left),
            layout="progress",
            progress=min(1.0, left / timer.seconds),
            # Gone by itself soon after the next tick was due: a countdown that stops
            # redrawing never leaves a stale time up.
            ttl_s=1.5 * self.settings.tick_s,
        )

    def _stop_task(self) -> None:
        if self.timer is not None and self.timer.task is not None:
            self.timer.task.cancel()
            self.timer.task = None

    def _run(self, timer: RunningTimer, ctx: SkillContext, *, show_from_ns: int) -> None:
        task = asyncio.get_running_loop().create_task(
            self._count_down(timer, ctx, show_from_ns), name="timer"
        )
        timer.task = task
        task.add_done_callback(_report_failure)

    async def _count_down(self, timer: RunningTimer, ctx: SkillContext, show_from_ns: int) -> None:
        """Redraw the countdown in its two windows, then raise the alert at the end."""
        s = self.settings
        tick = round(s.tick_s * NS_PER_S)
        glance_end = show_from_ns + round(s.glance_s * NS_PER_S)
        if timer.seconds <= s.continuous_up_to_s:
            glance_end = timer.end_ns
        final_start = timer.end_ns - round(s.final_s * NS_PER_S)
        # Ticks fall on whole ticks from the start, where the countdown's digits change.
        k = (show_from_ns - timer.start_ns) // tick + 1
        while (t := timer.start_ns + k * tick) < timer.end_ns:
            if glance_end < t < final_start:  # nothing to draw until the final seconds
                k = -(-(final_start - timer.start_ns) // tick)
                continue
            await ctx.clock.sleep_until(t)
            k += 1
            now = ctx.clock.now_ns()
            shown = ctx.hud()
            ours = shown is not None and shown == timer.card
            if ours or (shown is None and now >= final_start):
                timer.card = self._card(timer, now)
                ctx.emit(HudUpdate(t_ns=now, source=self.name, card=timer.card))
        await ctx.clock.sleep_until(timer.end_ns)
        self.timer = None
        self.alerts += 1
        now = ctx.clock.now_ns()
        alert = Card(
            title="Timer done",
            body=describe_duration(timer.seconds),
            layout="toast",
            ttl_s=s.alert_ttl_s,
        )
        ctx.emit(HudUpdate(t_ns=now, source=self.name, card=alert))
        ctx.services.conversation.last_said = "Timer done."
        ctx.emit(Say(t_ns=now, source=self.name, text="Timer done."))


def _report_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("timer task failed", exc_info=task.exception())
