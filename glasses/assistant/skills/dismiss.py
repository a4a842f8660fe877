"""The ``dismiss`` skill: clear the HUD."""

from __future__ import annotations

from typing import ClassVar

from glasses.assistant.intents import DISMISS
from glasses.assistant.skill import Reply, Skill, SkillContext
from glasses.assistant.triggers import OnTap, Phrase, Trigger
from glasses.runtime.events import Intent


class DismissSkill(Skill):
    name: ClassVar[str] = "dismiss"
    intents: ClassVar[tuple[str, ...]] = (DISMISS,)
    phrases: ClassVar[tuple[str | Phrase, ...]] = ("dismiss", "clear")
    triggers: ClassVar[tuple[Trigger, ...]] = (OnTap(1, DISMISS, when="card"),)

    async def handle(self, intent: Intent, ctx: SkillContext) -> Reply:
        return Reply(clear=True)
