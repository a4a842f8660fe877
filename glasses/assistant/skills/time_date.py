"""The ``time`` skill: "what time is it" / "what's the date" → the time and date on a card.

The time comes from ``services.wall_time`` (Unix seconds: the system's clock on a device; the
simulator's follows its virtual clock from a fixed start). It is shown in the local time zone
on a real clock, and in UTC on a virtual one (a simulated day: the same on every machine, so
scenario reports repeat byte for byte); ``TimeSkill(tz=…)`` fixes the zone. Day and month
names are English and written out here, not taken from the C library's locale.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from typing import ClassVar

from glasses.assistant.intents import TIME
from glasses.assistant.skill import Reply, Skill, SkillContext
from glasses.assistant.triggers import OnText, Phrase, Trigger
from glasses.runtime.clock import VirtualClock
from glasses.runtime.events import Card, Intent

DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
TIME_PATTERN = (
    r"(?:(?:what(?: is|'s)|tell me|give me) (?:the |my |today's |todays |the current )?"
    r"(?P<what>time|date|day)(?: today| now| please| is it)?"
    r"|what (?P<what2>time|day|date) is (?:it|today)(?: now| today| please)?"
    r"|(?:do you know )?what time it is)"
)


def _wants_date(text: str) -> bool:
    words = set(text.lower().replace("'", " ").split())
    return bool(words & {"date", "day", "today", "todays"})


class TimeSkill(Skill):
    name: ClassVar[str] = "time"
    intents: ClassVar[tuple[str, ...]] = (TIME,)
    phrases: ClassVar[tuple[str | Phrase, ...]] = ("what time is it", "what day is it")
    triggers: ClassVar[tuple[Trigger, ...]] = (OnText(TIME_PATTERN, TIME),)

    def __init__(self, *, tz: tzinfo | None = None) -> None:
        self.tz = tz

    def now(self, ctx: SkillContext) -> datetime:
        """The wall-clock time as this skill shows it (see the module docstring)."""
        seconds = ctx.services.wall_time()
        if self.tz is not None:
            return datetime.fromtimestamp(seconds, self.tz)
        if isinstance(ctx.clock, VirtualClock):
            return datetime.fromtimestamp(seconds, UTC)
        return datetime.fromtimestamp(seconds).astimezone()

    async def handle(self, intent: Intent, ctx: SkillContext) -> Reply:
        now = self.now(ctx)
        clock = f"{now.hour:02d}:{now.minute:02d}"
        day = DAYS[now.weekday()]
        date = f"{day} {now.day} {MONTHS[now.month - 1]} {now.year}"
        card = Card(title=clock, body=date, layout="reference", ttl_s=5.0)
        if _wants_date(" ".join(v for _, v in intent.slots) or intent.phrase):
            return Reply(card=card, say=f"It's {day}, {MONTHS[now.month - 1]} {now.day}.")
        return Reply(card=card, say=f"It's {clock}.")
