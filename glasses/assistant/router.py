"""The router: turns what perception and the inputs report into intents, each opening a turn.

Its table is built from the registered skills' declared triggers (``TriggerTable``), never from
intent names written here: with the built-in skills, codes in view → ``scan`` (an EAN → ``price``,
a payment QR → ``pay``), a double tap → ``read``, a tap on a shown card → ``dismiss``, a nod
while no card is shown → ``photo``.
"""

from __future__ import annotations

from typing import ClassVar

from glasses.assistant.triggers import TriggerTable
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
    """Inputs and codes → intents through ``table``.

    A card that asks for inputs (``Card.actions``, reported by ``HudDrawn.actions``) wins while
    it is shown: its nod, shake or tap starts the card's intent, not the global one. A single
    tap while the glasses speak is a barge-in: an ``Interrupt`` stops the speech (and HUD output
    still pending, and a streaming answer) and the card stays.

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

    def __init__(self, table: TriggerTable, *, forget_after_s: float = 3.0) -> None:
        self.table = table
        self.forget_after_ns = int(forget_after_s * NS_PER_S)
        self._last_seen: dict[tuple[str, str], int] = {}
        self._hud_showing = False
        self._card_actions: dict[str, str] = {}
        self._own_voice = OwnVoice()

    async def process(self, event: Event, ctx: StageContext) -> None:
        if isinstance(event, CodesDetected):
            self._on_codes(event, ctx)
        elif self._own_voice.update(event):
            pass
        elif isinstance(event, Tap):
            card_input = "tap" if event.count == 1 else "double_tap"
            if card_input in self._card_actions:
                self._start(self._card_actions[card_input], event, ctx)
            elif event.count == 1 and self._own_voice.speaking(event.t_ns):
                ctx.emit(Interrupt(t_ns=ctx.now_ns(), source=self.name, reason="tap"))
            else:
                self._start(self.table.tap(event.count, self._hud_showing), event, ctx)
        elif isinstance(event, HeadGesture):
            intent = self._card_actions.get(event.gesture) or self.table.gesture(
                event.gesture, self._hud_showing
            )
            self._start(intent, event, ctx)
        elif isinstance(event, HudDrawn):
            self._hud_showing = bool(event.text)
            self._card_actions = dict(event.actions) if event.text else {}

    def _start(self, intent: str | None, cue: Event, ctx: StageContext) -> None:
        if intent is None:
            return
        turn = ctx.new_turn(cue.t_ns, cue.type_name)
        ctx.emit(Intent(t_ns=ctx.now_ns(), source=self.name, turn_id=turn, name=intent))

    def _on_codes(self, event: CodesDetected, ctx: StageContext) -> None:
        for code in event.codes:
            key = (code.symbology, code.value)
            last = self._last_seen.get(key)
            self._last_seen[key] = event.frame_t_ns
            if last is not None and event.frame_t_ns - last < self.forget_after_ns:
                continue
            intent = self.table.code(code.symbology, code.value)
            if intent is None:
                continue
            # The turn starts when the frame that showed the code was captured.
            turn = ctx.new_turn(event.frame_t_ns, "VideoFrame")
            ctx.emit(
                Intent(
                    t_ns=ctx.now_ns(),
                    source=self.name,
                    turn_id=turn,
                    name=intent,
                    slots=(("symbology", code.symbology), ("value", code.value)),
                )
            )

    def reset(self) -> None:
        self._own_voice.clear()
        self._last_seen.clear()
