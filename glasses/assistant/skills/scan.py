"""The ``scan`` skill: show what a QR code or barcode says."""

from __future__ import annotations

from typing import ClassVar

from glasses.assistant.skill import Reply, Skill, SkillContext
from glasses.runtime.events import Card, Intent

_TITLES = {
    "QR": "QR code",
    "EAN_13": "EAN-13",
    "EAN_8": "EAN-8",
    "UPC_A": "UPC-A",
    "UPC_E": "UPC-E",
}


class ScanSkill(Skill):
    name: ClassVar[str] = "scan"
    intents: ClassVar[tuple[str, ...]] = ("scan",)
    phrases: ClassVar[tuple[str, ...]] = ("scan this", "what does this code say")

    async def handle(self, intent: Intent, ctx: SkillContext) -> Reply:
        symbology = intent.slot("symbology")
        value = intent.slot("value")
        title = _TITLES.get(symbology, symbology.replace("_", "-") or "Code")
        return Reply(card=Card(title=title, body=value, layout="reference"))
