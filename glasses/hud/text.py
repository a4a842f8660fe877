"""The plain-text renderer: what the HUD shows, as lines of text (expectations read this)."""

from __future__ import annotations

import textwrap

from glasses.hud.profile import DisplayProfile
from glasses.runtime.events import Card


def render_text(card: Card | None, profile: DisplayProfile) -> str:
    """Lay ``card`` out on ``profile``'s text grid: title line, then the wrapped body.

    Lines longer than the grid wrap at word boundaries (long words are split); lines past the
    last row are cut and the last visible line ends with an ellipsis, as the display would page.
    An empty string means a dark (transparent) display.
    """
    if card is None:
        return ""
    lines: list[str] = []
    if card.title:
        lines.extend(_wrap(card.title, profile.cols))
    for paragraph in card.body.splitlines() or [""]:
        if paragraph or card.body:
            lines.extend(_wrap(paragraph, profile.cols) or [""])
    if len(lines) > profile.rows:
        lines = lines[: profile.rows]
        lines[-1] = lines[-1][: profile.cols - 1] + "…"
    return "\n".join(lines)


def _wrap(text: str, width: int) -> list[str]:
    return textwrap.wrap(text, width=width, break_long_words=True, break_on_hyphens=False)
