"""The ``dismiss`` skill: clear the HUD."""

from __future__ import annotations

from typing import ClassVar

from glasses.assistant.skill import Reply, Skill, SkillContext
from glasses.runtime.events import Intent


class DismissSkill(Skill):
    name: ClassVar[str] = "dismiss"
    intents: ClassVar[tuple[str, ...]] = ("dismiss",)
    phrases: ClassVar[tuple[str, ...]] = ("dismiss", "clear")

    async def handle(self, intent: Intent, ctx: SkillContext) -> Reply:
        return Reply(clear=True)
