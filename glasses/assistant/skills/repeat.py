"""The ``repeat`` skill: "repeat that" → the last thing the glasses said, spoken again.

What was said is ``services.conversation.last_said`` (the dispatcher records every reply's
speech there; skills that speak later, such as the timer's alert, record theirs). It is shown
on a card too, for a wearer who missed it because of noise.
"""

from __future__ import annotations

from typing import ClassVar

from glasses.assistant.intents import REPEAT
from glasses.assistant.skill import Reply, Skill, SkillContext
from glasses.assistant.triggers import OnText, Phrase, Trigger
from glasses.runtime.events import Card, Intent

REPEAT_PATTERN = (
    r"(?:(?:please |can you |could you )?(?:repeat(?: that| it| yourself)?"
    r"|say (?:that|it) again)(?: please)?|what did you (?:just )?say|come again)"
)


class RepeatSkill(Skill):
    name: ClassVar[str] = "repeat"
    intents: ClassVar[tuple[str, ...]] = (REPEAT,)
    phrases: ClassVar[tuple[str | Phrase, ...]] = ("repeat",)
    triggers: ClassVar[tuple[Trigger, ...]] = (OnText(REPEAT_PATTERN, REPEAT),)

    async def handle(self, intent: Intent, ctx: SkillContext) -> Reply:
        said = ctx.services.conversation.last_said.strip()
        if not said:
            return Reply(card=Card(title="Nothing to repeat yet", layout="toast", ttl_s=2.0))
        return Reply(card=Card(title="Repeat", body=said, layout="reference"), say=said)
