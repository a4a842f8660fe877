"""The ``stop`` skill: "stop" / "cancel" → stop speaking and stop an answer being written.

It emits an ``Interrupt`` for every turn: the speaker stops at once, the HUD drops the
updates still waiting to be drawn, and the dispatcher cancels a streaming answer (a language
model's). What is on the HUD stays (a tap dismisses it), and a running timer keeps running:
"cancel the timer" is the timer's own command.
"""

from __future__ import annotations

from typing import ClassVar

from glasses.assistant.intents import STOP
from glasses.assistant.skill import Reply, Skill, SkillContext
from glasses.assistant.triggers import OnText, Phrase, Trigger
from glasses.runtime.events import Intent, Interrupt

STOP_PATTERN = (
    r"(?:stop(?: it| that| talking| speaking| please)?|(?:please )?be quiet|quiet please"
    r"|shut up|never ?mind|cancel (?:that|it)|that's enough|enough)"
)


class StopSkill(Skill):
    name: ClassVar[str] = "stop"
    intents: ClassVar[tuple[str, ...]] = (STOP,)
    phrases: ClassVar[tuple[str | Phrase, ...]] = ("stop", "cancel")
    triggers: ClassVar[tuple[Trigger, ...]] = (OnText(STOP_PATTERN, STOP),)

    async def handle(self, intent: Intent, ctx: SkillContext) -> Reply:
        ctx.emit(Interrupt(t_ns=ctx.clock.now_ns(), source="skills", reason="stop"))
        return Reply()
