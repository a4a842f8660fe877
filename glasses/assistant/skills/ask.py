"""The ``ask`` skill: open questions ("hey glasses, how tall is the Eiffel tower").

The listener turns speech that is no grammar command into an ``ask`` intent carrying the
transcript. Until a language model answers (the assistant's LLM backends), the skill shows what
it heard and says plainly that it has no answer, so the wearer knows they were understood.
"""

from __future__ import annotations

from typing import ClassVar

from glasses.assistant.intents import ASK
from glasses.assistant.skill import Reply, Skill, SkillContext
from glasses.runtime.events import Card, Intent


class AskSkill(Skill):
    name: ClassVar[str] = "ask"
    intents: ClassVar[tuple[str, ...]] = (ASK,)

    async def handle(self, intent: Intent, ctx: SkillContext) -> Reply:
        question = intent.phrase.strip()
        if not question:
            return Reply(card=Card(title="Didn't catch that", layout="toast", ttl_s=2.0))
        return Reply(
            card=Card(
                title="You asked",
                body=f"“{question}”\nNo answer yet: no language model is set up.",
                layout="reference",
                ttl_s=6.0,
            ),
            say="I have no answer to that yet.",
        )
