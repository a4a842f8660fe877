"""The skill dispatcher: runs the skill that answers each intent and emits its reply."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from dataclasses import replace
from typing import ClassVar

from glasses.assistant.intents import ASK
from glasses.assistant.services import Services
from glasses.assistant.skill import Reply, Seen, Skill, SkillContext
from glasses.assistant.triggers import TriggerTable
from glasses.runtime.events import (
    Card,
    CodesDetected,
    Event,
    HudDrawn,
    HudUpdate,
    Intent,
    Interrupt,
    Say,
    TextRead,
    VideoFrame,
    WakeWord,
)
from glasses.runtime.stage import Stage, StageContext

log = logging.getLogger(__name__)


class SkillStage(Stage):
    """Each ``Intent`` goes to the skill registered for its name; the reply becomes HUD/speech.

    A skill that raises shows a short error card on the HUD; the stage carries on. Intents no
    skill answers are counted in ``unhandled`` (and logged), not silently dropped.

    Open speech (an ``ask`` intent) that a skill claims with an ``OnText`` trigger goes to that
    skill instead, with the pattern's groups as slots.

    A streaming skill (``Skill.streaming``, e.g. ``ask``) runs as its own task so the stage
    keeps taking intents; an ``Interrupt`` or the wake phrase cancels it at once (its speech and
    pending HUD output are stopped by the same ``Interrupt``), and a newer streaming turn
    replaces an older one. ``cancelled`` counts the streaming turns cut short.
    """

    name: ClassVar[str] = "skills"
    accepts: ClassVar[tuple[type[Event], ...]] = (Intent, Interrupt, WakeWord)

    def __init__(self, skills: Iterable[Skill], services: Services | None = None) -> None:
        skills = list(skills)
        self.table = TriggerTable.build(skills)  # refuses conflicts at start
        self.by_intent: dict[str, Skill] = {i: s for s in skills for i in s.intents}
        self.services = services or Services()
        self.unhandled: dict[str, int] = {}
        self.cancelled = 0
        self._frame: VideoFrame | None = None
        self._seen = Seen()
        self._shown: Card | None = None  # the card of the newest HudUpdate
        self._streaming: dict[int | None, asyncio.Task[None]] = {}

    def see(self, event: Event) -> None:
        """Bus observer: keep the newest camera frame, what perception last reported and the
        card the HUD was last asked to show."""
        if isinstance(event, VideoFrame):
            self._frame = event
        elif isinstance(event, HudUpdate):
            self._shown = event.card
        elif isinstance(event, HudDrawn) and not event.text:
            self._shown = None  # the display is empty: a card expired (``ttl_s``)
        elif isinstance(event, CodesDetected):
            self._seen = Seen(
                codes=event.codes,
                codes_t_ns=event.frame_t_ns,
                text=self._seen.text,
                text_t_ns=self._seen.text_t_ns,
            )
        elif isinstance(event, TextRead):
            self._seen = Seen(
                codes=self._seen.codes,
                codes_t_ns=self._seen.codes_t_ns,
                text=event.lines,
                text_t_ns=event.frame_t_ns,
            )

    def context(self, ctx: StageContext, turn_id: int | None) -> SkillContext:
        return SkillContext(
            clock=ctx.clock,
            latest_frame=lambda: self._frame,
            seen=lambda: self._seen,
            services=self.services,
            emit=ctx.emit,
            turn_id=turn_id,
            hud=lambda: self._shown,
        )

    async def process(self, event: Event, ctx: StageContext) -> None:
        if isinstance(event, Interrupt):
            self._cancel(event.turn_id)
            return
        if isinstance(event, WakeWord):
            if self._streaming:  # the wearer speaks over an answer being written: stop it
                ctx.emit(Interrupt(t_ns=ctx.now_ns(), source=self.name, reason="wake word"))
                self._cancel(None)
            return
        if not isinstance(event, Intent):
            return
        if event.name == ASK:
            claimed = self.table.text(event.phrase)
            if claimed is not None:  # open speech a skill asked for: "set a timer for …"
                event = replace(event, name=claimed[0], slots=event.slots + claimed[1])
        elif event.phrase and not event.slots:
            # A grammar phrase with slots ("set a timer for forty five minutes") gets the slots
            # its skill's own pattern reads from the same words as a transcript: one parser.
            claimed = self.table.text(event.phrase)
            if claimed is not None and claimed[0] == event.name:
                event = replace(event, slots=claimed[1])
        skill = self.by_intent.get(event.name)
        if skill is None:
            self.unhandled[event.name] = self.unhandled.get(event.name, 0) + 1
            log.info("no skill answers intent %r", event.name)
            return
        if skill.streaming:
            self._cancel(None)
            task = asyncio.get_running_loop().create_task(
                self._run(skill, event, ctx), name=f"skill-{skill.name}"
            )
            self._streaming[event.turn_id] = task
            task.add_done_callback(lambda _: self._forget(event.turn_id, task))
        else:
            await self._run(skill, event, ctx)

    async def _run(self, skill: Skill, intent: Intent, ctx: StageContext) -> None:
        try:
            reply = await skill.handle(intent, self.context(ctx, intent.turn_id))
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a failing skill shows an error card; the loop goes on
            log.exception("skill %s failed on %r", skill.name, intent.name)
            reply = Reply(card=Card(title="Error", body=f"{skill.name}: {exc}", layout="toast"))
        self._emit_reply(reply, intent, ctx)

    def _cancel(self, turn_id: int | None) -> None:
        for turn, task in list(self._streaming.items()):
            if turn_id is None or turn == turn_id:
                if not task.done():
                    task.cancel()
                    self.cancelled += 1
                self._streaming.pop(turn, None)

    def _forget(self, turn_id: int | None, task: asyncio.Task[None]) -> None:
        if self._streaming.get(turn_id) is task:
            del self._streaming[turn_id]
        if not task.cancelled() and task.exception() is not None:
            log.error("streaming skill task failed: %s", task.exception())

    def _emit_reply(self, reply: Reply, intent: Intent, ctx: StageContext) -> None:
        now = ctx.now_ns()
        if reply.card is not None or reply.clear:
            ctx.emit(HudUpdate(t_ns=now, source=self.name, turn_id=intent.turn_id, card=reply.card))
        if reply.say:
            self.services.conversation.last_said = reply.say
            ctx.emit(Say(t_ns=now, source=self.name, turn_id=intent.turn_id, text=reply.say))

    def reset(self) -> None:
        self._cancel(None)

    async def stop(self) -> None:
        self._cancel(None)
