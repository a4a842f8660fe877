"""The plain-text renderer: what the HUD shows, as lines of text (expectations read this)."""

from __future__ import annotations

from glasses.hud.layout import layout_card
from glasses.hud.profile import DisplayProfile
from glasses.runtime.events import Card


def render_text(card: Card | None, profile: DisplayProfile, page: int = 0) -> str:
    """The text of page ``page`` of ``card`` on ``profile``: its runs in reading order, one line
    each, as laid out by pixels (``glasses.hud.layout``); a paged card's last line is ``k/n``.

    ``page`` is clamped to the card's pages. An empty string means a dark (transparent) display.
    """
    pages = layout_card(card, profile)
    return pages[min(max(page, 0), len(pages) - 1)].text
