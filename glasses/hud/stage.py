"""The HUD stage: draws cards the way real glasses do, and acknowledges every update.

Real glasses displays cannot redraw at will: they take an update at most every
``profile.min_update_interval_ms``. Updates arriving sooner are **coalesced**: the newest card
is drawn when the interval has passed, and every update merged into that draw is acknowledged
by its own ``HudDrawn`` (so each turn's latency timeline ends with the draw that showed it, and
``coalesced`` says how many updates shared it). Nothing is dropped without an acknowledgement.

After ``profile.dim_after_s`` without a draw the display dims, after ``profile.timeout_s`` it
turns off (``HudDimmed`` events); a card with ``ttl_s`` clears itself. A swipe pages through a
card that does not fit. An ``Interrupt`` (barge-in) cancels updates still waiting to be drawn.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import ClassVar, Protocol

from glasses.hud.layout import layout_card
from glasses.hud.profile import DisplayProfile
from glasses.hud.text import render_text
from glasses.runtime.clock import NS_PER_S
from glasses.runtime.events import (
    Card,
    Event,
    HudDimmed,
    HudDrawn,
    HudUpdate,
    Interrupt,
    Swipe,
)
from glasses.runtime.stage import Stage, StageContext

log = logging.getLogger(__name__)

DIM_LEVEL = 0.3


class TextDisplay(Protocol):
    def draw(self, text: str) -> None: ...


class HudStage(Stage):
    name: ClassVar[str] = "hud"
    accepts: ClassVar[tuple[type[Event], ...]] = (HudUpdate, Interrupt, Swipe)

    def __init__(self, display: TextDisplay, profile: DisplayProfile) -> None:
        self.display = display
        self.profile = profile
        self.interval_ns = profile.min_update_interval_ms * 1_000_000
        self.card: Card | None = None
        self.page = 0
        self.pages = 1
        self.text = ""
        self.level = 1.0  # brightness, 0..1
        self.draws = 0
        self.coalesced = 0  # updates merged into a later draw
        self.cancelled = 0  # updates cancelled by an Interrupt before being drawn
        self._pending: list[HudUpdate] = []
        self._last_draw_ns: int | None = None
        self._timers: dict[str, asyncio.Task[None]] = {}

    async def process(self, event: Event, ctx: StageContext) -> None:
        if isinstance(event, HudUpdate):
            self._pending.append(event)
            self._draw_when_allowed(ctx)
        elif isinstance(event, Swipe):
            step = 1 if event.direction == "forward" else -1
            page = min(max(self.page + step, 0), self.pages - 1)
            if page != self.page:
                self._pending.append(
                    HudUpdate(
                        t_ns=event.t_ns, source=self.name, turn_id=event.turn_id, card=self.card
                    )
                )
                self.page = page
                self._draw_when_allowed(ctx, keep_page=True)
        elif isinstance(event, Interrupt):
            cancel = [u for u in self._pending if event.turn_id in (None, u.turn_id)]
            self.cancelled += len(cancel)
            self._pending = [u for u in self._pending if u not in cancel]

    def _draw_when_allowed(self, ctx: StageContext, *, keep_page: bool = False) -> None:
        now = ctx.now_ns()
        due = now if self._last_draw_ns is None else self._last_draw_ns + self.interval_ns
        if now >= due:
            self._flush(ctx, keep_page=keep_page)
        elif "flush" not in self._timers:
            self._after(ctx, due, "flush", lambda: self._flush(ctx, keep_page=keep_page))

    def _flush(self, ctx: StageContext, *, keep_page: bool = False) -> None:
        if not self._pending:
            return
        updates, self._pending = self._pending, []
        card = updates[-1].card
        if card is not self.card and not keep_page:
            self.page = 0
        self.card = card
        self.pages = len(layout_card(card, self.profile))
        # A progressive answer turns its own pages: its newest words stay in view.
        if card is not None and card.follow and not keep_page:
            self.page = self.pages - 1
        self.page = min(self.page, self.pages - 1)
        self.text = render_text(card, self.profile, page=self.page)
        self.display.draw(self.text)
        self.draws += 1
        self.coalesced += len(updates) - 1
        now = ctx.now_ns()
        self._last_draw_ns = now
        for update in updates:
            ctx.emit(
                HudDrawn(
                    t_ns=now,
                    source=self.name,
                    turn_id=update.turn_id,
                    text=self.text,
                    update_t_ns=update.t_ns,
                    coalesced=len(updates) - 1,
                    page=self.page,
                    pages=self.pages,
                    actions=card.actions if card is not None else (),
                    card=card,
                )
            )
        if self.level != 1.0:
            self._set_level(ctx, 1.0)
        self._schedule_idle(ctx, card)

    def _schedule_idle(self, ctx: StageContext, card: Card | None) -> None:
        for name in ("dim", "off", "ttl"):
            self._cancel(name)
        if not self.text:
            return
        now = ctx.now_ns()
        if card is not None and card.ttl_s is not None:
            self._after(ctx, now + round(card.ttl_s * NS_PER_S), "ttl", lambda: self._expire(ctx))
        if self.profile.dim_after_s:
            at = now + round(self.profile.dim_after_s * NS_PER_S)
            self._after(ctx, at, "dim", lambda: self._set_level(ctx, DIM_LEVEL))
        if self.profile.timeout_s:
            at = now + round(self.profile.timeout_s * NS_PER_S)
            self._after(ctx, at, "off", lambda: self._set_level(ctx, 0.0))

    def _expire(self, ctx: StageContext) -> None:
        self._pending.append(HudUpdate(t_ns=ctx.now_ns(), source=self.name, card=None))
        self._draw_when_allowed(ctx)

    def _set_level(self, ctx: StageContext, level: float) -> None:
        self.level = level
        ctx.emit(HudDimmed(t_ns=ctx.now_ns(), source=self.name, level=level))

    def _after(self, ctx: StageContext, t_ns: int, name: str, action: Callable[[], None]) -> None:
        """Call ``action`` at ``t_ns`` on the runtime clock, as the named timer ``name``.

        A timer of the same name must have been cancelled or have fired before.
        """

        async def timer() -> None:
            await ctx.clock.sleep_until(t_ns)
            self._timers.pop(name, None)
            try:
                action()
            except Exception:  # a timer has no supervisor to report to: say what failed
                log.exception("HUD timer %s failed", name)

        self._timers[name] = asyncio.get_running_loop().create_task(timer(), name=f"hud-{name}")

    def _cancel(self, name: str) -> None:
        task = self._timers.pop(name, None)
        if task is not None:
            task.cancel()

    async def stop(self) -> None:
        self.reset()

    def reset(self) -> None:
        for name in list(self._timers):
            self._cancel(name)
        if self._pending:
            log.warning("HUD: %d update(s) not drawn (stage reset)", len(self._pending))
            self.cancelled += len(self._pending)
            self._pending.clear()
