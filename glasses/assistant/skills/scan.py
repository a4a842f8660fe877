"""The ``scan`` skill: show what a QR code or barcode says."""

from __future__ import annotations

from typing import ClassVar

from glasses.assistant.intents import SCAN
from glasses.assistant.skill import Reply, Skill, SkillContext
from glasses.assistant.triggers import OnCode, Phrase, Trigger
from glasses.perception.codes import CodeReader
from glasses.runtime.events import Card, Intent

SCAN_COST_NS = 12_000_000  # what one read is charged on the virtual clock, as in CodeStage

_TITLES = {
    "QR": "QR code",
    "EAN_13": "EAN-13",
    "EAN_8": "EAN-8",
    "UPC_A": "UPC-A",
    "UPC_E": "UPC-E",
    "DATA_MATRIX": "Data Matrix",
    "CODE_128": "Code 128",
    "PDF_417": "PDF417",
}


class ScanSkill(Skill):
    name: ClassVar[str] = "scan"
    intents: ClassVar[tuple[str, ...]] = (SCAN,)
    phrases: ClassVar[tuple[str | Phrase, ...]] = ("scan this", "what does this code say")
    # Any code in view; skills that know a kind of code (a price, a payment) claim it first.
    triggers: ClassVar[tuple[Trigger, ...]] = (OnCode(SCAN),)

    def __init__(self) -> None:
        self._reader: CodeReader | None = None

    async def handle(self, intent: Intent, ctx: SkillContext) -> Reply:
        symbology = intent.slot("symbology")
        value = intent.slot("value")
        if not value:  # asked by voice: read the codes in the newest frame
            frame = ctx.latest_frame()
            if frame is None:
                return Reply(
                    card=Card(title="Scan", body="No camera view yet.", layout="toast", ttl_s=3.0)
                )
            reader = self._reader = self._reader or CodeReader()
            image = frame.image
            codes = await ctx.clock.run_blocking(lambda: reader.read(image), cost_ns=SCAN_COST_NS)
            if not codes:
                return Reply(
                    card=Card(title="Scan", body="No code in view.", layout="toast", ttl_s=3.0)
                )
            symbology, value = codes[0].symbology, codes[0].value
        title = _TITLES.get(symbology, symbology.replace("_", "-") or "Code")
        return Reply(card=Card(title=title, body=value, layout="reference"))
