"""The HUD font: Pillow's bundled Aileron Regular, so layout is the same on every machine.

``PIL.ImageFont.load_default(size=…)`` (Pillow ≥ 10.1, built with FreeType) returns a FreeType
font made from data inside Pillow itself, laid out with Pillow's basic (non-Raqm) engine: no
system font and no shaping library is involved, so a line measures the same number of pixels
everywhere. That bundled font has a limited character set (ASCII and a little punctuation);
``displayable`` maps other characters to the nearest ones it has (``é`` → ``e``, ``–`` → ``-``)
so the display never shows a missing-glyph box. Widths are measured on that displayable form,
which is also what the raster renderer draws.
"""

from __future__ import annotations

import functools
import io
import unicodedata
from dataclasses import dataclass

from PIL import ImageFont


@dataclass(frozen=True, slots=True)
class FontMetrics:
    """Vertical metrics of one font size, in px: a line's box is ``ascent + descent`` tall."""

    size_px: int
    ascent_px: int
    descent_px: int

    @property
    def height_px(self) -> int:
        return self.ascent_px + self.descent_px


@functools.cache
def hud_font(size_px: int) -> ImageFont.FreeTypeFont:
    """The HUD font at ``size_px`` (cached per size)."""
    if size_px < 1:
        raise ValueError(f"font size must be positive, got {size_px}")
    font = ImageFont.load_default(size=size_px)
    if not isinstance(font, ImageFont.FreeTypeFont):
        raise RuntimeError(
            "the HUD font needs Pillow ≥ 10.1 built with FreeType (pip install 'pillow>=10.1')"
        )
    if font.layout_engine != ImageFont.Layout.BASIC:
        # Some Pillow releases lay the default font out with Raqm when it is installed: force
        # the basic engine, so that widths do not depend on a system library.
        data = io.BytesIO(font.font_bytes)
        font = ImageFont.truetype(data, size_px, layout_engine=ImageFont.Layout.BASIC)
    return font


@functools.cache
def font_metrics(size_px: int) -> FontMetrics:
    ascent, descent = hud_font(size_px).getmetrics()
    return FontMetrics(size_px, int(ascent), int(descent))


@functools.lru_cache(maxsize=16_384)
def text_width(text: str, size_px: int) -> float:
    """Advance width in px of ``text`` as drawn (its ``displayable`` form) at ``size_px``.

    Equal to ``hud_font(size_px).getlength(displayable(text))``, computed from cached glyph
    advances and pair kernings: Pillow's basic layout adds exactly those, and measuring a line
    glyph by glyph through FreeType costs ~2 µs a glyph, which a greedy wrap pays many times.
    """
    return _widths(size_px).measure(displayable(text))


class _Widths:
    """Per font size: each character's advance and each pair's kerning, measured once."""

    __slots__ = ("advance", "font", "kerning")

    def __init__(self, size_px: int) -> None:
        self.font = hud_font(size_px)
        self.advance: dict[str, float] = {}
        self.kerning: dict[str, float] = {}

    def measure(self, text: str) -> float:
        advance, kerning, font = self.advance, self.kerning, self.font
        total = 0.0
        for char in text:
            width = advance.get(char)
            if width is None:
                width = advance[char] = float(font.getlength(char))
            total += width
        for i in range(len(text) - 1):
            pair = text[i : i + 2]
            kern = kerning.get(pair)
            if kern is None:
                kern = float(font.getlength(pair)) - advance[pair[0]] - advance[pair[1]]
                kerning[pair] = kern
            total += kern
        return total


@functools.cache
def _widths(size_px: int) -> _Widths:
    return _Widths(size_px)


# --------------------------------------------------------------------------------------------
# Characters the bundled font lacks

_PROBE_PX = 32
_SUBSTITUTES = {
    "\t": " ",
    "\u00a0": " ",  # no-break space
    "\u2007": " ",
    "\u202f": " ",
    "\u200b": "",  # zero-width space
    "\u00ad": "",  # soft hyphen
    "\ufeff": "",
    "•": "·",
    "‣": "›",
    "◦": "·",
    "‐": "-",
    "‑": "-",
    "‒": "-",
    "–": "-",
    "—": "-",
    "―": "-",
    "−": "-",
    "×": "x",
    "÷": "/",
    "‚": ",",
    "„": '"',
    "′": "'",
    "″": '"',
    "→": "->",
    "←": "<-",
    "⇒": "=>",
    "ß": "ss",
    "æ": "ae",
    "Æ": "AE",
    "œ": "oe",
    "Œ": "OE",
    "ø": "o",
    "Ø": "O",
    "ł": "l",
    "Ł": "L",
    "đ": "d",
    "Đ": "D",
    "ð": "d",
    "þ": "th",
    "Þ": "Th",
    "ı": "i",
    "€": "EUR",
    "£": "GBP",
    "¥": "JPY",
}


@functools.cache
def _notdef() -> tuple[tuple[int, int], bytes]:
    mask = hud_font(_PROBE_PX).getmask("\uffff")
    return mask.size, bytes(mask)


@functools.lru_cache(maxsize=4096)
def has_glyph(char: str) -> bool:
    """Whether the HUD font draws ``char`` (one character) with a glyph of its own."""
    if unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"):
        return False
    mask = hud_font(_PROBE_PX).getmask(char)
    return (mask.size, bytes(mask)) != _notdef()


@functools.lru_cache(maxsize=4096)
def _display_char(char: str) -> str:
    if has_glyph(char):
        return char
    if char in _SUBSTITUTES:
        return _SUBSTITUTES[char]
    base = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
    if base and base != char and all(has_glyph(c) for c in base):
        return base
    if unicodedata.category(char).startswith(("C", "M")):
        return ""  # controls and stray combining marks draw nothing
    if unicodedata.category(char).startswith("Z"):
        return " "
    return "?"


def displayable(text: str) -> str:
    """``text`` as the HUD font can draw it: characters it lacks become their nearest ones."""
    if text.isascii() and text.isprintable():
        return text
    return "".join(_display_char(c) for c in text)
