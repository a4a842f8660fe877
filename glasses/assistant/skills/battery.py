"""The ``battery`` skill: "battery level" → the charge on a progress card, and said."""

from __future__ import annotations

import math
from typing import ClassVar

from glasses.assistant.intents import BATTERY
from glasses.assistant.skill import Reply, Skill, SkillContext
from glasses.assistant.triggers import OnText, Phrase, Trigger
from glasses.runtime.events import Card, Intent

BATTERY_PATTERN = (
    r"(?:how much battery(?: is left| do i have| have i got| left)?"
    r"|(?:what(?: is|'s)|how(?: is|'s)|check) (?:the |my )?battery(?: level| status| at)?"
    r"|battery(?: status| left| charge)?)"
)
LOW = 0.15  # at or below this charge the card says "low"


class BatterySkill(Skill):
    """Reads ``services.battery()`` (0..1; None: unknown, e.g. no device reports it)."""

    name: ClassVar[str] = "battery"
    intents: ClassVar[tuple[str, ...]] = (BATTERY,)
    phrases: ClassVar[tuple[str | Phrase, ...]] = ("battery level",)
    triggers: ClassVar[tuple[Trigger, ...]] = (OnText(BATTERY_PATTERN, BATTERY),)

    async def handle(self, intent: Intent, ctx: SkillContext) -> Reply:
        level = ctx.services.battery()
        if level is None or not math.isfinite(level):
            return Reply(
                card=Card(title="Battery level unknown", layout="toast", ttl_s=3.0),
                say="Battery level unknown.",
            )
        level = min(1.0, max(0.0, level))
        percent = round(level * 100)
        title = "Battery low" if level <= LOW else "Battery"
        return Reply(
            card=Card(
                title=title, body=f"{percent}%", layout="progress", progress=level, ttl_s=4.0
            ),
            say=f"{title} at {percent} percent.",
        )
