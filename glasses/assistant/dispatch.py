"""The skill dispatcher: runs the skill that answers each intent and emits its reply."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import ClassVar

from glasses.assistant.skill import Reply, Skill, SkillContext
from glasses.runtime.events import Card, Event, HudUpdate, Intent, Say, VideoFrame
from glasses.runtime.stage import Stage, StageContext

log = logging.getLogger(__name__)


class SkillStage(Stage):
    """Each ``Intent`` goes to the skill registered for its name; the reply becomes HUD/speech.

    A skill that raises shows a short error card on the HUD; the stage carries on. Intents no
    skill answers are counted in ``unhandled`` (and logged), not silently dropped.
    """

    name: ClassVar[str] = "skills"
    accepts: ClassVar[tuple[type[Event], ...]] = (Intent,)

    def __init__(self, skills: Iterable[Skill]) -> None:
        self.by_intent: dict[str, Skill] = {}
        for skill in skills:
            for intent in skill.intents:
                if intent in self.by_intent:
                    other = self.by_intent[intent].name
                    raise ValueError(
                        f"intent {intent!r} claimed by skills {other} and {skill.name}"
                    )
                self.by_intent[intent] = skill
        self.unhandled: dict[str, int] = {}
        self._frame: VideoFrame | None = None

    def see(self, event: Event) -> None:
        """Bus observer: keep the newest camera frame for skills that look (``read``)."""
        if isinstance(event, VideoFrame):
            self._frame = event

    async def process(self, event: Event, ctx: StageContext) -> None:
        if not isinstance(event, Intent):
            return
        skill = self.by_intent.get(event.name)
        if skill is None:
            self.unhandled[event.name] = self.unhandled.get(event.name, 0) + 1
            log.info("no skill answers intent %r", event.name)
            return
        try:
            reply = await skill.handle(
                event, SkillContext(clock=ctx.clock, latest_frame=lambda: self._frame)
            )
        except Exception as exc:  # a failing skill shows an error card; the loop goes on
            log.exception("skill %s failed on %r", skill.name, event.name)
            reply = Reply(card=Card(title="Error", body=f"{skill.name}: {exc}", layout="toast"))
        self._emit_reply(reply, event, ctx)

    def _emit_reply(self, reply: Reply, intent: Intent, ctx: StageContext) -> None:
        now = ctx.now_ns()
        if reply.card is not None or reply.clear:
            ctx.emit(HudUpdate(t_ns=now, source=self.name, turn_id=intent.turn_id, card=reply.card))
        if reply.say:
            ctx.emit(Say(t_ns=now, source=self.name, turn_id=intent.turn_id, text=reply.say))
