"""The ``read`` skill ("read this"): OCR of what the wearer is looking at, onto the HUD."""

from __future__ import annotations

from typing import ClassVar

from glasses.assistant.intents import READ
from glasses.assistant.skill import Reply, Skill, SkillContext
from glasses.assistant.triggers import OnTap, Phrase, Trigger
from glasses.perception.ocr import OcrLine, OcrReader
from glasses.perception.scene_change import SceneChangeDetector
from glasses.runtime.events import Card, Intent

# What one OCR pass is charged on the virtual clock; real cost: glasses read / bench.
NOMINAL_COST_NS = 180_000_000


class ReadSkill(Skill):
    """Reads the newest frame's centre region (what the wearer looks at) in reading order.

    The reader is built lazily, on the first request, then kept: loading and warming up the
    PP-OCR sessions takes ~0.4 s that nobody who never asks to read should pay.

    Scene gating: when the view has not changed since the last read (``SceneChangeDetector``),
    the last result is shown again without running OCR. ``ocr_runs`` counts the OCR passes and
    ``reused`` the requests answered from the last result.
    """

    name: ClassVar[str] = "read"
    intents: ClassVar[tuple[str, ...]] = (READ,)
    phrases: ClassVar[tuple[str | Phrase, ...]] = ("read this", "what does it say")
    triggers: ClassVar[tuple[Trigger, ...]] = (OnTap(2, READ),)

    def __init__(
        self,
        reader: OcrReader | None = None,
        *,
        center_fraction: float = 0.8,
        change_detector: SceneChangeDetector | None = None,
    ) -> None:
        self._reader = reader
        self.center_fraction = center_fraction
        self.change_detector = change_detector or SceneChangeDetector()
        self.ocr_runs = 0
        self.reused = 0
        self._last_lines: list[OcrLine] | None = None

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
        image, fraction = frame.image, self.center_fraction
        if self.change_detector.changed(image) or self._last_lines is None:
            # Forget the last result first: if this read fails, the next request on this
            # (already accepted) view must not be answered with an older view's text.
            self._last_lines = None
            # Loaded off the loop (models and a warm-up): a blocked loop delays everything.
            reader = self._reader
            if reader is None:
                reader = await ctx.clock.run_blocking(lambda: self.reader)
            self.ocr_runs += 1
            lines = await ctx.clock.run_blocking(
                lambda: reader.read(image, center_fraction=fraction), cost_ns=NOMINAL_COST_NS
            )
            self._last_lines = lines
        else:
            lines = self._last_lines
            self.reused += 1
        if not lines:
            return Reply(
                card=Card(title="Read", body="No text in view.", layout="toast", ttl_s=3.0)
            )
        # Spoken too: glasses are read to, not only read from (a barge-in cuts it short).
        return Reply(
            card=Card(
                title="Read", body="\n".join(line.text for line in lines), layout="reference"
            ),
            say=". ".join(line.text for line in lines),
        )
