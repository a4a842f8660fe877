"""The ``captions`` skills: "start captions" / "stop captions" switch live captions.

The captions themselves come from ``glasses.speech.caption_stage.CaptionStage``, which watches
for these intents; the skills only confirm the switch on the HUD.
"""

from __future__ import annotations

from typing import ClassVar

from glasses.assistant.skill import Reply, Skill, SkillContext
from glasses.runtime.events import Card, Intent
from glasses.speech.caption_stage import CAPTIONS_OFF, CAPTIONS_ON


class CaptionsOnSkill(Skill):
    name: ClassVar[str] = "captions on"
    intents: ClassVar[tuple[str, ...]] = (CAPTIONS_ON,)
    phrases: ClassVar[tuple[str, ...]] = ("start captions", "show captions")

    async def handle(self, intent: Intent, ctx: SkillContext) -> Reply:
        return Reply(card=Card(title="Captions on", layout="toast", ttl_s=1.5))


class CaptionsOffSkill(Skill):
    name: ClassVar[str] = "captions off"
    intents: ClassVar[tuple[str, ...]] = (CAPTIONS_OFF,)
    phrases: ClassVar[tuple[str, ...]] = ("stop captions", "hide captions")

    async def handle(self, intent: Intent, ctx: SkillContext) -> Reply:
        return Reply(card=Card(title="Captions off", layout="toast", ttl_s=1.5))
