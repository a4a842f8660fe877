"""The ``captions`` skill: "start captions" / "stop captions" switch live captions.

The one owner of both intents and their phrases. The captions themselves come from
``glasses.speech.caption_stage.CaptionStage``, which watches for these intents; the skill only
confirms the switch on the HUD.
"""

from __future__ import annotations

from typing import ClassVar

from glasses.assistant.intents import CAPTIONS_OFF, CAPTIONS_ON
from glasses.assistant.skill import Reply, Skill, SkillContext
from glasses.assistant.triggers import Phrase
from glasses.runtime.events import Card, Intent


class CaptionsSkill(Skill):
    name: ClassVar[str] = "captions"
    intents: ClassVar[tuple[str, ...]] = (CAPTIONS_ON, CAPTIONS_OFF)
    phrases: ClassVar[tuple[str | Phrase, ...]] = (
        Phrase("start captions", CAPTIONS_ON),
        Phrase("show captions", CAPTIONS_ON),
        Phrase("stop captions", CAPTIONS_OFF),
        Phrase("hide captions", CAPTIONS_OFF),
    )

    async def handle(self, intent: Intent, ctx: SkillContext) -> Reply:
        title = "Captions on" if intent.name == CAPTIONS_ON else "Captions off"
        return Reply(card=Card(title=title, layout="toast", ttl_s=1.5))
