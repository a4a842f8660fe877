"""An example custom skill: "hey glasses, flip a coin" shows heads or tails and says it.

Load it into the simulator or a live run without installing anything::

    glasses sim --skill examples/coin_flip.py:CoinFlipSkill examples/coin_flip.yaml
    glasses run --skill examples/coin_flip.py:CoinFlipSkill

or, from an installed package, through its ``glasses.skills`` entry point (docs/skills.md).
"""

from __future__ import annotations

import random
from typing import ClassVar, Final

from glasses.assistant.skill import Reply, Skill, SkillContext
from glasses.assistant.triggers import OnCode, OnText, Phrase, Trigger
from glasses.runtime.events import Card, Intent

# An intent is a constant, named after the skill so that it cannot clash with another's.
FLIP: Final = "coin_flip.flip"


class CoinFlipSkill(Skill):
    """Flips a coin: on the spoken command, on open speech that asks for it, or on a QR code
    whose text starts with ``coin:`` (a card on the table that says "flip me")."""

    name: ClassVar[str] = "coin_flip"
    intents: ClassVar[tuple[str, ...]] = (FLIP,)
    # Spoken commands after the wake phrase: they join the command grammar (a bare string is
    # the skill's first intent).
    phrases: ClassVar[tuple[str | Phrase, ...]] = ("flip a coin", "toss a coin")
    triggers: ClassVar[tuple[Trigger, ...]] = (
        # The same request in other words, heard as open speech (a question to the assistant).
        OnText(r"(?:please )?(?:can you )?(?:flip|toss) (?:a|the|me a) coin(?: for me)?", FLIP),
        # A code in view: a prefix match wins over the scan skill's catch-all.
        OnCode(FLIP, prefixes=("coin:",)),
    )

    def __init__(self, rng: random.Random | None = None) -> None:
        self.rng = rng or random.Random()
        self.flips = 0

    async def handle(self, intent: Intent, ctx: SkillContext) -> Reply:
        side = self.rng.choice(("Heads", "Tails"))
        self.flips += 1
        return Reply(
            card=Card(title="Coin flip", body=side, layout="reference", ttl_s=4.0),
            say=f"{side}.",
        )
