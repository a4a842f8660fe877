"""The HUD stage: draws cards on the display and acknowledges every draw."""

from __future__ import annotations

from typing import ClassVar, Protocol

from glasses.hud.profile import DisplayProfile
from glasses.hud.text import render_text
from glasses.runtime.events import Event, HudDrawn, HudUpdate, Interrupt
from glasses.runtime.stage import Stage, StageContext


class TextDisplay(Protocol):
    def draw(self, text: str) -> None: ...


class HudStage(Stage):
    """Renders each ``HudUpdate`` for ``profile`` and draws it; emits ``HudDrawn`` (same turn).

    An ``Interrupt`` clears the display (barge-in cancels pending output).
    """

    name: ClassVar[str] = "hud"
    accepts: ClassVar[tuple[type[Event], ...]] = (HudUpdate, Interrupt)

    def __init__(self, display: TextDisplay, profile: DisplayProfile) -> None:
        self.display = display
        self.profile = profile
        self.text = ""

    async def process(self, event: Event, ctx: StageContext) -> None:
        if isinstance(event, HudUpdate):
            text = render_text(event.card, self.profile)
        elif isinstance(event, Interrupt):
            text = ""
        else:
            return
        self.display.draw(text)
        self.text = text
        ctx.emit(
            HudDrawn(
                t_ns=ctx.now_ns(),
                source=self.name,
                turn_id=event.turn_id,
                text=text,
                update_t_ns=event.t_ns,
            )
        )
