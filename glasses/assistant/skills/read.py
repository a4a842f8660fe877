"""The ``read`` skill ("read this"): OCR of what the wearer is looking at, onto the HUD."""

from __future__ import annotations

from typing import ClassVar

from glasses.assistant.skill import Reply, Skill, SkillContext
from glasses.perception.ocr import OcrReader
from glasses.runtime.events import Card, Intent

# What one OCR pass is charged on the virtual clock; real cost: glasses read / bench.
NOMINAL_COST_NS = 180_000_000


class ReadSkill(Skill):
    """Reads the newest frame's centre region (what the wearer looks at) in reading order.

    The reader is built lazily, on the first request, then kept: loading and warming up the
    PP-OCR sessions takes ~0.4 s that nobody who never asks to read should pay.
    """

    name: ClassVar[str] = "read"
    intents: ClassVar[tuple[str, ...]] = ("read",)
    phrases: ClassVar[tuple[str, ...]] = ("read this", "what does it say")

    def __init__(self, reader: OcrReader | None = None, *, center_fraction: float = 0.8) -> None:
        self._reader = reader
        self.center_fraction = center_fraction

    @property
    def reader(self) -> OcrReader:
        if self._reader is None:
            self._reader = OcrReader()
        return self._reader

    async def handle(self, intent: Intent, ctx: SkillContext) -> Reply:
        frame = ctx.latest_frame()
        if frame is None:
            return Reply(
                card=Card(title="Read", body="No camera view yet.", layout="toast", ttl_s=3.0)
            )
        reader = self.reader
        image, fraction = frame.image, self.center_fraction
        lines = await ctx.clock.run_blocking(
            lambda: reader.read(image, center_fraction=fraction), cost_ns=NOMINAL_COST_NS
        )
        if not lines:
            return Reply(
                card=Card(title="Read", body="No text in view.", layout="toast", ttl_s=3.0)
            )
        return Reply(
            card=Card(title="Read", body="\n".join(line.text for line in lines), layout="reference")
        )
