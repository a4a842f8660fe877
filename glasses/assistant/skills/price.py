"""The ``price`` skill: what a product costs, from the catalogue (a price check).

Started by a product barcode coming into view (EAN-13, EAN-8, UPC-A, UPC-E: the names the code
reader reports), by "how much is this" (the command grammar), or by open speech such as "what
does oat drink cost" (the catalogue is searched by name). For "this", the code is the newest
product code perception reported (``ctx.seen()``) if it is still in view, else the newest frame
is read. A known product shows its name, cheapest price and shop; an unknown code says so and
shows the code. A question is answered aloud too; a barcode that merely comes into view is not
(walking down a supermarket aisle must not read out every price).

The catalogue is ``ctx.services.catalogue`` (``glasses.assistant.catalogue``; the simulator and
a session without one configured get the demo catalogue).
"""

from __future__ import annotations

from typing import ClassVar

from glasses.assistant.catalogue import upc_e_to_upc_a
from glasses.assistant.intents import PRICE
from glasses.assistant.money import format_money, spoken_money
from glasses.assistant.services import Catalogue, Product
from glasses.assistant.skill import Reply, Skill, SkillContext
from glasses.assistant.triggers import OnCode, OnText, Phrase, Trigger
from glasses.perception.codes import CodeReader
from glasses.runtime.clock import NS_PER_S
from glasses.runtime.events import Card, DecodedCode, Intent

PRODUCT_SYMBOLOGIES = ("EAN_13", "EAN_8", "UPC_A", "UPC_E")
# What one catalogue query is charged on the virtual clock (measured on the demo catalogue:
# ~20 µs in memory; a user's file on disk costs more, a page read or two).
LOOKUP_COST_NS = 1_000_000
SCAN_COST_NS = 12_000_000  # one read of the newest frame, as in CodeStage
# A code perception last reported longer ago than this is out of view: the frame is read.
FRESH_NS = int(1.5 * NS_PER_S)
# Words that mean "what I am looking at", not a product name.
_DEICTIC = frozenset({"", "this", "that", "it", "these", "those", "this one", "that one"})


def _product_codes(codes: tuple[DecodedCode, ...] | list[DecodedCode]) -> list[DecodedCode]:
    return [c for c in codes if c.symbology in PRODUCT_SYMBOLOGIES]


def lookup_code(symbology: str, value: str) -> str:
    """The code to look up: a UPC-E is expanded to the UPC-A it stands for."""
    if symbology == "UPC_E":
        return upc_e_to_upc_a(value) or value
    return value


def code_label(symbology: str, value: str) -> str:
    """``EAN 4006381333931`` / ``UPC 036000291452``: the code as the card shows it (no
    ``symbology``: a 12-digit code is a UPC-A)."""
    upc = symbology.startswith("UPC") if symbology else len(value) == 12
    kind = "UPC" if upc else "EAN"
    return f"{kind} {value}"


def product_card(product: Product, symbology: str, value: str) -> Card:
    price = format_money(product.price, product.currency)
    where = f"{price} at {product.shop}" if product.shop else price
    return Card(title=product.name, body=f"{where}\n{code_label(symbology, value)}")


def product_speech(product: Product) -> str:
    price = spoken_money(product.price, product.currency)
    return f"{product.name}: {price}" + (f" at {product.shop}." if product.shop else ".")


class PriceSkill(Skill):
    """``reader``: reads the newest frame when no product code was reported recently (built on
    first use)."""

    name: ClassVar[str] = "price"
    intents: ClassVar[tuple[str, ...]] = (PRICE,)
    phrases: ClassVar[tuple[str | Phrase, ...]] = ("how much is this",)
    triggers: ClassVar[tuple[Trigger, ...]] = (
        OnCode(PRICE, symbologies=PRODUCT_SYMBOLOGIES),
        # Open speech (transcribed, lower case, no punctuation), when the grammar did not take it.
        OnText(r"how much (?:is|are) (?P<item>this|that|it|these|those)(?: one| thing)?", PRICE),
        OnText(r"how much (?:does|do|is|are) (?P<item>.+) cost", PRICE),
        OnText(r"what does (?P<item>.+) cost", PRICE),
        OnText(r"what(?:'s| is) the price of (?P<item>.+)", PRICE),
    )

    def __init__(self, reader: CodeReader | None = None) -> None:
        self._reader = reader

    async def handle(self, intent: Intent, ctx: SkillContext) -> Reply:
        catalogue = ctx.services.catalogue
        symbology, value = intent.slot("symbology"), intent.slot("value")
        item = intent.slot("item").strip()
        if not value and item not in _DEICTIC:
            if catalogue is None:
                return _no_catalogue("")
            return await self._search(catalogue, item, ctx)
        # Asked (by voice) → answered aloud too; a barcode merely in view is shown, not spoken:
        # walking down an aisle must not read out every price.
        asked = not value
        if not value:
            code = await self._code_in_view(ctx)
            if code is None:
                return Reply(
                    card=Card(title="Price", body="No barcode in view.", layout="toast", ttl_s=3.0)
                )
            symbology, value = code.symbology, code.value
        if catalogue is None:
            return _no_catalogue(code_label(symbology, value))
        key = lookup_code(symbology, value)
        product = await ctx.clock.run_blocking(
            lambda: catalogue.lookup(key), cost_ns=LOOKUP_COST_NS
        )
        if product is None:
            return Reply(
                card=Card(
                    title="Unknown product",
                    body=f"Not in the catalogue\n{code_label(symbology, value)}",
                ),
                say="That product is not in the catalogue." if asked else "",
            )
        return Reply(
            card=product_card(product, symbology, value),
            say=product_speech(product) if asked else "",
        )

    async def _code_in_view(self, ctx: SkillContext) -> DecodedCode | None:
        """The newest product code in view: from perception if recent, else read now."""
        seen = ctx.seen()
        if seen.codes and ctx.clock.now_ns() - seen.codes_t_ns <= FRESH_NS:
            found = _product_codes(seen.codes)
            if found:
                return found[0]
        frame = ctx.latest_frame()
        if frame is None:
            return None
        reader = self._reader = self._reader or CodeReader()
        image = frame.image
        codes = await ctx.clock.run_blocking(lambda: reader.read(image), cost_ns=SCAN_COST_NS)
        found = _product_codes(codes)
        return found[0] if found else None

    async def _search(self, catalogue: Catalogue, item: str, ctx: SkillContext) -> Reply:
        found = await ctx.clock.run_blocking(
            lambda: catalogue.search(item, limit=3), cost_ns=LOOKUP_COST_NS
        )
        if not found:
            return Reply(
                card=Card(
                    title="Price",
                    body=f"No “{item}” in the catalogue.",
                    layout="toast",
                    ttl_s=3.0,
                ),
                say=f"I found no {item} in the catalogue.",
            )
        if len(found) == 1:
            product = found[0]
            return Reply(
                card=product_card(product, "", product.code),
                say=product_speech(product),
            )
        return Reply(
            card=Card(
                title=f"Prices: {item}",
                layout="list",
                items=tuple(f"{p.name}: {format_money(p.price, p.currency)}" for p in found),
            ),
            say=product_speech(found[0]),
        )


def _no_catalogue(code: str) -> Reply:
    body = "No product catalogue is set up."
    return Reply(
        card=Card(
            title="Price", body=f"{body}\n{code}" if code else body, layout="toast", ttl_s=3.0
        )
    )
