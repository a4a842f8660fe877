"""``HudView``: a Textual widget that emulates a glasses display in terminal cells.

The display is shown at its aspect ratio, one cell per ``CELL_W_PX × CELL_H_PX`` px (terminal
cells are about twice as tall as wide), black, inside a border titled with the profile's name.
Each text run of the page is written at the row and column proportional to its pixel position,
in its palette colour; boxes become cell graphics (``─ │`` dividers, a ``╭╮╰╯`` toast frame,
``░``/``█`` progress bars, ``•`` bullets). Cells are rebuilt once per update and served from a
cache by ``render_line``, so an update costs a layout plus a few hundred cell writes.
"""

from __future__ import annotations

import math

from rich.color import Color as RichColor
from rich.segment import Segment
from rich.style import Style
from textual.color import Color
from textual.geometry import Size
from textual.reactive import reactive
from textual.strip import Strip
from textual.widget import Widget

from glasses.hud.font import displayable
from glasses.hud.layout import Box, HudPage, layout_card
from glasses.hud.profile import DEFAULT_PROFILE, Colour, DisplayProfile, get_profile
from glasses.runtime.events import Card

CELL_W_PX = 10
CELL_H_PX = 20
DIM_BRIGHTNESS = 0.4


def cell_size(profile: DisplayProfile) -> tuple[int, int]:
    """The (columns, rows) of terminal cells that show ``profile``'s display."""
    return max(1, round(profile.width_px / CELL_W_PX)), max(1, round(profile.height_px / CELL_H_PX))


class HudView(Widget):
    """Shows one page of a card as ``profile``'s display would (see the module doc).

    ``HudView(profile, card, page=0, level=1.0)``; ``update_card(card, page, level=…)`` shows
    another card (or page, or brightness). ``level`` is the display's brightness (0..1, 0 off,
    as in ``HudDimmed``); ``dim`` caps it at ``DIM_BRIGHTNESS``. The border's subtitle shows a
    brightness below full ("40%", "off").
    """

    DEFAULT_CSS = """
    HudView {
        width: auto;
        height: auto;
        background: black;
        border: round white;
        border-title-align: left;
        border-subtitle-align: right;
    }
    """

    dim: reactive[bool] = reactive(False)
    """Drawn at ``DIM_BRIGHTNESS`` at most (a dimmed display)."""
    level: reactive[float] = reactive(1.0)
    """Brightness 0..1 (``HudDimmed.level``); 0 is off: nothing is drawn."""

    def __init__(
        self,
        profile: DisplayProfile | str = DEFAULT_PROFILE,
        card: Card | None = None,
        *,
        page: int = 0,
        level: float = 1.0,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._profile = get_profile(profile) if isinstance(profile, str) else profile
        self._card = card
        self._page = HudPage()
        self._lines: list[Strip] = []
        self._shown = False  # whether a page has been laid out for ``self._card``
        self.set_reactive(HudView.level, _check_level(level))
        self._apply_profile()
        self.update_card(card, page)

    # ---------------------------------------------------------------------------------------
    # Public API

    @property
    def profile(self) -> DisplayProfile:
        return self._profile

    @property
    def card(self) -> Card | None:
        return self._card

    @property
    def page(self) -> HudPage:
        """The page shown now."""
        return self._page

    @property
    def cells(self) -> tuple[int, int]:
        """(columns, rows) of the display area, inside the border."""
        return cell_size(self._profile)

    def update_card(self, card: Card | None, page: int = 0, *, level: float | None = None) -> None:
        """Show page ``page`` (clamped to the card's pages) of ``card``; ``None`` blanks it.

        ``level``: the display's brightness now (0..1, 0 off), if it changed. Showing what is
        shown already costs nothing, so a UI may call this on every poll.
        """
        if level is not None and level != self.level:
            self.set_reactive(HudView.level, _check_level(level))
            self._apply_profile()
        elif self._shown and card == self._card and page == self._page.index:
            return
        pages = layout_card(card, self._profile)
        self._card = card
        self.show_page(pages[min(max(page, 0), len(pages) - 1)])
        self._shown = True

    def show_page(self, page: HudPage) -> None:
        """Show a page laid out already (for ``self.profile``)."""
        self._page = page
        self._rebuild()
        self.refresh()

    def set_profile(self, profile: DisplayProfile | str) -> None:
        """Emulate another display: re-lays out the card and resizes the widget."""
        self._profile = get_profile(profile) if isinstance(profile, str) else profile
        self._shown = False
        self._apply_profile()
        self.update_card(self._card, self._page.index)
        self.refresh(layout=True)

    def text_lines(self) -> list[str]:
        """The cells as plain text, one string per row (for tests and logs)."""
        return [strip.text for strip in self._lines]

    # ---------------------------------------------------------------------------------------
    # Textual hooks

    def watch_dim(self, _dim: bool) -> None:
        self._apply_profile()
        self._rebuild()
        self.refresh()

    def validate_level(self, level: float) -> float:
        return _check_level(level)

    def watch_level(self, _level: float) -> None:
        self._apply_profile()
        self._rebuild()
        self.refresh()

    def get_content_width(self, container: Size, viewport: Size) -> int:
        return self.cells[0]

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return self.cells[1]

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        if y >= len(self._lines):
            return Strip.blank(width, self._style(0))
        strip = self._lines[y]
        if strip.cell_length != width:
            strip = strip.crop_extend(0, width, self._style(0))
        return strip

    # ---------------------------------------------------------------------------------------
    # Cells

    def _brightness(self) -> float:
        return min(self.level, DIM_BRIGHTNESS) if self.dim else self.level

    def _rgb(self, index: int) -> Colour:
        r, g, b = self._profile.palette[index]
        k = self._brightness()
        return round(r * k), round(g * k), round(b * k)

    def _apply_profile(self) -> None:
        self._styles: dict[int, Style] = {}
        brightness = self._brightness()
        r, g, b = self._profile.rgb(self._profile.accent)
        k = max(brightness, 0.25)  # the border frames the emulator: it stays visible when off
        self.styles.border = ("round", Color(round(r * k), round(g * k), round(b * k)))
        self.border_title = self._profile.name
        if brightness == 0:
            self.border_subtitle = "off"
        else:
            self.border_subtitle = "" if brightness == 1 else f"{brightness:.0%}"

    def _style(self, index: int) -> Style:
        style = self._styles.get(index)
        if style is None:
            style = Style(
                color=RichColor.from_rgb(*self._rgb(index)) if index else None,
                bgcolor=RichColor.from_rgb(0, 0, 0),
            )
            self._styles[index] = style
        return style

    def _rebuild(self) -> None:
        canvas = _Canvas(self._profile, *self.cells)
        page = self._page if self._brightness() > 0 else HudPage()
        placed = []
        for run in page.runs:
            text = displayable(run.text)
            row = canvas.row_of(run.y_px + run.height_px / 2)
            if run.role == "page":  # right-aligned: keep its right edge
                col = round((run.x_px + run.width_px) / canvas.cw) - len(text)
                col = min(col, canvas.cols - len(text))
            else:
                col = round(run.x_px / canvas.cw)
            placed.append((row, max(0, col), text, run.colour))
            if text.strip():
                canvas.lines.append((run.y_px, run.y_px + run.height_px, row))
        for box in page.boxes:
            canvas.box(box)
        for row, col, text, colour in placed:
            for i, char in enumerate(text):
                canvas.put(row, col + i, char, colour)
        self._lines = [self._strip(canvas.chars[r], canvas.colours[r]) for r in range(canvas.rows)]

    def _strip(self, chars: list[str], colours: list[int]) -> Strip:
        segments: list[Segment] = []
        start = 0
        for i in range(1, len(chars) + 1):
            if i == len(chars) or colours[i] != colours[start]:
                segments.append(Segment("".join(chars[start:i]), self._style(colours[start])))
                start = i
        return Strip(segments, len(chars))


def _check_level(level: float) -> float:
    if not 0.0 <= level <= 1.0:
        raise ValueError(f"level must be within 0..1, got {level}")
    return float(level)


class _Canvas:
    """A grid of terminal cells (a character and a palette index each) over a display."""

    def __init__(self, profile: DisplayProfile, cols: int, rows: int) -> None:
        self.cols, self.rows = cols, rows
        self.cw, self.ch = profile.width_px / cols, profile.height_px / rows
        self.chars = [[" "] * cols for _ in range(rows)]
        self.colours = [[0] * cols for _ in range(rows)]
        self.lines: list[tuple[int, int, int]] = []  # text lines: (top px, bottom px, row)

    def put(self, row: int, col: int, char: str, colour: int) -> None:
        if 0 <= row < self.rows and 0 <= col < self.cols:
            self.chars[row][col] = char
            self.colours[row][col] = colour

    def row_of(self, y: float) -> int:
        return min(self.rows - 1, max(0, int(y / self.ch)))

    def line_row(self, y: float) -> int:
        """The row of the text line whose box contains ``y`` (a bullet's line), else ``row_of``."""
        for top, bottom, row in self.lines:
            if top <= y < bottom:
                return row
        return self.row_of(y)

    def col_of(self, x: float) -> int:
        return min(self.cols - 1, max(0, int(x / self.cw)))

    def box(self, box: Box) -> None:
        c, put = box.colour, self.put
        left, right = round(box.x_px / self.cw), round((box.x_px + box.w_px) / self.cw)
        if box.role == "bullet":
            row = self.line_row(box.y_px + box.h_px / 2)
            put(row, self.col_of(box.x_px + box.w_px / 2), "•", c)
        elif box.role in ("track", "fill"):
            row = self.row_of(box.y_px + box.h_px / 2)
            for col in range(left, max(left + 1, right)):
                put(row, col, "░" if box.role == "track" else "█", c)
        elif not box.filled:  # a frame (toasts)
            r0, r1 = self.row_of(box.y_px), self.row_of(box.y_px + box.h_px - 1)
            c0 = self.col_of(box.x_px)
            c1 = min(self.cols - 1, math.ceil((box.x_px + box.w_px) / self.cw) - 1)
            for col in range(c0 + 1, c1):
                put(r0, col, "─", c)
                put(r1, col, "─", c)
            for row in range(r0 + 1, r1):
                put(row, c0, "│", c)
                put(row, c1, "│", c)
            for row, col, char in ((r0, c0, "╭"), (r0, c1, "╮"), (r1, c0, "╰"), (r1, c1, "╯")):
                put(row, col, char, c)
        elif box.w_px >= box.h_px:  # a horizontal divider, unless text shares its row
            row = self.row_of(box.y_px + box.h_px / 2)
            if all(row != text_row for _top, _bottom, text_row in self.lines):
                for col in range(left, right):
                    put(row, col, "─", c)
        else:  # a vertical divider, over the rows of the text lines beside it
            col = self.col_of(box.x_px + box.w_px / 2)
            beside = [
                row
                for top, bottom, row in self.lines
                if box.y_px <= (top + bottom) / 2 < box.y_px + box.h_px
            ]
            if not beside:
                beside = [self.row_of(box.y_px + box.h_px / 2)]
            for row in range(min(beside), max(beside) + 1):
                put(row, col, "│", c)
