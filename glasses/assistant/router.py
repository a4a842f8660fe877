"""The router: turns what perception and the inputs report into intents, each opening a turn."""

from __future__ import annotations

from typing import ClassVar

from glasses.runtime.clock import NS_PER_S
from glasses.runtime.events import (
    CodesDetected,
    Event,
    HeadGesture,
    HudDrawn,
    Intent,
    Interrupt,
    Speaking,
    SpeakingStopped,
    Tap,
)
from glasses.runtime.stage import Stage, StageContext
from glasses.speech.own_voice import OwnVoice


class RouterStage(Stage):
    """Codes in view → ``scan``; a double tap → ``read``; a tap on a shown card → ``dismiss``;
    a head nod while no card is shown → ``photo`` (a nod at a card is left to the card's skill).
    A single tap while the glasses speak is a barge-in: an ``Interrupt`` stops the speech (and
    HUD output still pending) and the card stays.

    A code is announced when it comes into view, not on every frame: it is announced again only
    after it has been out of view for ``forget_after_s`` seconds (runtime clock).
    """

    name: ClassVar[str] = "router"
    accepts: ClassVar[tuple[type[Event], ...]] = (
        CodesDetected,
        Tap,
        HeadGesture,
        HudDrawn,
        Speaking,
        SpeakingStopped,
    )

    def __init__(self, *, forget_after_s: float = 3.0) -> None:
        self.forget_after_ns = int(forget_after_s * NS_PER_S)
        self._last_seen: dict[tuple[str, str], int] = {}
        self._hud_showing = False
        self._own_voice = OwnVoice()

    async def process(self, event: Event, ctx: StageContext) -> None:
        if isinstance(event, CodesDetected):
            self._on_codes(event, ctx)
        elif self._own_voice.update(event):
            pass
        elif isinstance(event, Tap) and event.count == 1 and self._own_voice.speaking(event.t_ns):
            ctx.emit(Interrupt(t_ns=ctx.now_ns(), source=self.name, reason="tap"))
        elif isinstance(event, Tap):
            # Double tap: "read this". Single tap on a shown card: dismiss it.
            name = "read" if event.count == 2 else "dismiss" if self._hud_showing else None
            if name is not None:
                turn = ctx.new_turn(event.t_ns, "Tap")
                ctx.emit(Intent(t_ns=ctx.now_ns(), source=self.name, turn_id=turn, name=name))
        elif isinstance(event, HeadGesture):
            if event.gesture == "nod" and not self._hud_showing:
                turn = ctx.new_turn(event.t_ns, "HeadGesture")
                ctx.emit(Intent(t_ns=ctx.now_ns(), source=self.name, turn_id=turn, name="photo"))
        elif isinstance(event, HudDrawn):
            self._hud_showing = bool(event.text)

    def _on_codes(self, event: CodesDetected, ctx: StageContext) -> None:
        for code in event.codes:
            key = (code.symbology, code.value)
            last = self._last_seen.get(key)
            self._last_seen[key] = event.frame_t_ns
            if last is not None and event.frame_t_ns - last < self.forget_after_ns:
                continue
            # The turn starts when the frame that showed the code was captured.
            turn = ctx.new_turn(event.frame_t_ns, "VideoFrame")
            ctx.emit(
                Intent(
                    t_ns=ctx.now_ns(),
                    source=self.name,
                    turn_id=turn,
                    name="scan",
                    slots=(("symbology", code.symbology), ("value", code.value)),
                )
            )

    def reset(self) -> None:
        self._own_voice.clear()
        self._last_seen.clear()
