"""The display controller: a back buffer the commands draw on, a front page the wearer sees.

Pixels are palette indices of the display profile (1 bit on a monochrome display, 4 bits on a
16-level one). ``DisplayText`` is drawn with the HUD font, thresholded on a 1-bit display and
anti-aliased on a brightness ramp; ``DisplayBitmap`` passes are applied as progressive.py
describes; ``DisplayPage`` copies the back buffer to the front page. ``png()`` exports the front
page as the wearer sees it (palette colours, scaled by the brightness).
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

from glasses.devices.link import messages as m
from glasses.devices.link import progressive
from glasses.hud.font import displayable, hud_font
from glasses.hud.profile import DisplayProfile


class DisplayCommandError(ValueError):
    """A display command the controller cannot carry out (the glasses report it and go on)."""


@dataclass(frozen=True, slots=True)
class ShownText:
    """A line of text on the front page: where, how big, which colour."""

    x: int
    y: int
    size: int
    colour: int
    text: str


class Framebuffer:
    def __init__(self, profile: DisplayProfile) -> None:
        if profile.colours > 16:
            raise ValueError(f"{profile.name}: the link carries at most 4 bits per pixel")
        self.profile = profile
        self.width = profile.width_px
        self.height = profile.height_px
        self.bpp = 1 if profile.colours == 2 else 4
        self.back = np.zeros((self.height, self.width), dtype=np.uint8)
        self.front = np.zeros_like(self.back)
        self.page = 0  # the id of the page shown
        self.pages = 0  # pages shown so far
        self.brightness = 100  # percent
        self.newest_image = 0
        self.stale_passes = 0  # bitmap passes of an older image, ignored
        self.commands = 0
        self._back_text: list[ShownText] = []
        self.text: list[ShownText] = []  # the text lines on the front page

    @property
    def shown_text(self) -> str:
        """The text on the front page, one line per ``DisplayText``, top to bottom."""
        return "\n".join(t.text for t in sorted(self.text, key=lambda t: (t.y, t.x)))

    def apply(self, msg: m.Message) -> None:
        """Carry out one display command; ``DisplayCommandError`` if it cannot be."""
        if isinstance(msg, m.DisplayClear):
            self._colour(msg.colour)
            self.back[...] = msg.colour
            self._back_text = []
        elif isinstance(msg, m.DisplayText):
            self._colour(msg.colour)
            self._text(msg)
        elif isinstance(msg, m.DisplayBitmap):
            self._bitmap(msg)
        elif isinstance(msg, m.DisplayPage):
            self.front = self.back.copy()
            self.text = list(self._back_text)
            self.page = msg.page
            self.pages += 1
        elif isinstance(msg, m.DisplayBrightness):
            self.brightness = msg.percent
        else:
            raise DisplayCommandError(f"{type(msg).__name__} is not a display command")
        self.commands += 1

    def _colour(self, colour: int) -> None:
        if colour >= self.profile.colours:
            raise DisplayCommandError(
                f"colour {colour} outside the {self.profile.colours}-colour palette"
            )

    def _text(self, msg: m.DisplayText) -> None:
        text = displayable(msg.text)
        self._back_text.append(ShownText(msg.x, msg.y, msg.size, msg.colour, msg.text))
        if not text.strip():
            return
        font = hud_font(msg.size)
        pad = msg.size  # ink may overhang the line box (accents, bearings)
        # Only the characters that can reach the display are drawn: a line as long as any a
        # companion may send would otherwise render a mask of gigapixels.
        x = msg.x
        advances = [font.getlength(c) for c in text]
        edge = 0.0
        first = 0
        while first < len(text) and x + edge + advances[first] < -pad:
            edge += advances[first]
            first += 1
        last, reach = first, edge
        while last < len(text) and x + reach < self.width + pad:
            reach += advances[last]
            last += 1
        text, x = text[first:last], x + round(edge)
        if not text:
            return
        width = round(font.getlength(text)) + 2 * pad
        canvas = Image.new("L", (width, 3 * msg.size), 0)
        try:
            ImageDraw.Draw(canvas).text((pad, pad), text, fill=255, font=font, anchor="la")
        except Exception as exc:  # a glyph Pillow refuses: the command fails, the glasses go on
            raise DisplayCommandError(f"text not drawable: {exc}") from None
        cover = np.asarray(canvas)
        x0, y0 = x - pad, msg.y - pad
        cx0, cy0 = max(0, -x0), max(0, -y0)
        cx1, cy1 = min(cover.shape[1], self.width - x0), min(cover.shape[0], self.height - y0)
        if cx1 <= cx0 or cy1 <= cy0:
            return
        cover = cover[cy0:cy1, cx0:cx1]
        target = self.back[y0 + cy0 : y0 + cy1, x0 + cx0 : x0 + cx1]
        if self.profile.antialias:
            level = ((cover.astype(np.uint16) * msg.colour + 127) // 255).astype(np.uint8)
            np.maximum(target, level, out=target)
        else:
            target[cover >= 128] = msg.colour

    def _bitmap(self, msg: m.DisplayBitmap) -> None:
        if msg.bpp > self.bpp:
            raise DisplayCommandError(f"a {msg.bpp}-bit bitmap on a {self.bpp}-bit display")
        if msg.x + msg.width > self.width or msg.y + msg.height > self.height:
            raise DisplayCommandError(
                f"bitmap {msg.width}×{msg.height} at ({msg.x}, {msg.y}) is off the "
                f"{self.width}×{self.height} display"
            )
        if msg.passes != 1 and msg.passes != len(progressive.ADAM5):
            raise DisplayCommandError(f"{msg.passes} passes: only 1 or 5 are defined")
        if msg.image:
            if progressive.newer(self.newest_image, msg.image):
                self.stale_passes += 1
                return
            self.newest_image = msg.image
        try:
            pixels = progressive.decode_bitmap(msg)
        except ValueError as exc:
            raise DisplayCommandError(str(exc)) from None
        region = self.back[msg.y : msg.y + msg.height, msg.x : msg.x + msg.width]
        progressive.apply_pass(region, pixels, msg.pass_index, msg.passes)

    def rgb(self) -> np.ndarray:
        """The front page as H×W×3 RGB, as lit (palette colours × brightness)."""
        palette = np.zeros((256, 3), dtype=np.float32)
        palette[: self.profile.colours] = np.array(self.profile.palette, dtype=np.float32)
        lit = palette[self.front] * (self.brightness / 100.0)
        return np.clip(lit + 0.5, 0, 255).astype(np.uint8)

    def png(self) -> bytes:
        buf = io.BytesIO()
        Image.fromarray(self.rgb()).save(buf, format="PNG")
        return buf.getvalue()

    @property
    def lit_fraction(self) -> float:
        """Share of pixels lit on the front page (display power depends on it)."""
        return float(np.count_nonzero(self.front)) / self.front.size
