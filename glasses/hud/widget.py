"""``HudView``: a Textual widget that emulates a glasses display in terminal cells.

The display is shown at its aspect ratio, one cell per ``CELL_W_PX × CELL_H_PX`` px (terminal
cells are about twice as tall as wide), black, inside a border titled with the profile's name.
Each text run of the page is written at the row and column proportional to its pixel position,
in its palette colour; boxes become cell graphics (``─ │`` dividers, a ``╭╮╰╯`` toast frame,
``░``/``█`` progress bars, ``•`` bullets). Cells are rebuilt once per update and served from a
cache by ``render_line``, so an update costs a layout plus a few hundred cell writes.

``fit(cols, rows)`` draws the display in fewer cells, for a small terminal: the rows shrink
down to ``min_rows(profile)``, where each line of any page still has a row of its own (lines
keep their order and nothing is written over), and a line that would run off the right edge
of fewer columns is moved left.
"""

from __future__ import annotations

import functools
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
        label: str = "",
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._profile = get_profile(profile) if isinstance(profile, str) else profile
        self._label = label
        self._fit: tuple[int, int] | None = None
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
        """(columns, rows) of the display area, inside the border: ``cell_size(profile)``, or
        less after ``fit`` (never fewer rows than ``min_rows(profile)``)."""
        cols, rows = cell_size(self._profile)
        if self._fit is None:
            return cols, rows
        fit_cols, fit_rows = self._fit
        return max(1, min(cols, fit_cols)), min(rows, max(min_rows(self._profile), fit_rows))

    def fit(self, cols: int | None, rows: int | None = None) -> None:
        """Draw the display in at most ``cols`` × ``rows`` cells (inside the border); None
        for both: its natural size, ``cell_size(profile)``. See the module doc."""
        natural = cell_size(self._profile)
        fit = None if cols is None and rows is None else (cols or natural[0], rows or natural[1])
        if fit == self._fit:
            return
        self._fit = fit
        self._rebuild()
        self.refresh(layout=True)

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
        self.border_title = (
            f"{self._label} · {self._profile.name}" if self._label else self._profile.name
        )
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
        page = self._page if self._brightness() > 0 else HudPage()
        canvas = _Canvas(self._profile, *self.cells, page)
        placed = []
        for run in page.runs:
            text = displayable(run.text)
            row = canvas.row_of(run.y_px + run.height_px / 2)
            if run.role == "page":  # right-aligned: keep its right edge
                col = round((run.x_px + run.width_px) / canvas.cw) - len(text)
            else:
                col = round(run.x_px / canvas.cw)
            col = min(col, canvas.cols - len(text))  # a line that would run off: moved left
            placed.append((row, max(0, col), text, run.colour))
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


@functools.cache
def min_rows(profile: DisplayProfile) -> int:
    """The fewest cell rows that still give every line of any page a row of its own: the body
    lines of a full page, or a full toast's lines and its frame."""
    longest_toast = Card(layout="toast", body="word " * 400)
    toast = layout_card(longest_toast, profile)[0]
    return max(profile.max_lines, len(_bands(toast)))


def _bands(page: HudPage) -> list[tuple[float, float, float]]:
    """The horizontal bands of ``page`` that each need a cell row of their own, top to bottom:
    (top px, bottom px, the y that picks the band's row at full size). A band is a text line
    (the runs side by side on it, the page number beside the last one), a toast frame's top or
    bottom edge, or a progress bar."""
    spans: list[tuple[float, float, float]] = []
    for run in page.runs:
        if displayable(run.text).strip():
            spans.append((run.y_px, run.y_px + run.height_px, run.y_px + run.height_px / 2))
    for box in page.boxes:
        y0, y1 = box.y_px, box.y_px + box.h_px
        if box.role == "track":
            spans.append((y0, y1, y0 + box.h_px / 2))
        elif not box.filled:  # a frame: its two edges
            spans.append((y0, y0 + box.stroke_px, y0))
            spans.append((y1 - box.stroke_px, y1, y1 - 1))
    spans.sort()
    bands: list[tuple[float, float, float]] = []
    for top, bottom, anchor in spans:
        if bands and top < bands[-1][1]:  # overlaps the band above: the same row
            above = bands[-1]
            bands[-1] = (above[0], max(above[1], bottom), above[2])
        else:
            bands.append((top, bottom, anchor))
    return bands


class _Canvas:
    """A grid of terminal cells (a character and a palette index each) over a display.

    At the display's full cell size each band of the page (``_bands``) takes the row its
    pixels fall in; in fewer rows (a small terminal) the bands keep their order and each its
    own row, squeezed from the bottom up, so no line is lost or written over.
    """

    def __init__(self, profile: DisplayProfile, cols: int, rows: int, page: HudPage) -> None:
        self.cols, self.rows = cols, rows
        self.cw, self.ch = profile.width_px / cols, profile.height_px / rows
        self.chars = [[" "] * cols for _ in range(rows)]
        self.colours = [[0] * cols for _ in range(rows)]
        bands = _bands(page)
        want = [self._natural_row(anchor) for _top, _bottom, anchor in bands]
        for i in range(1, len(want)):  # each band below the one above…
            want[i] = max(want[i], want[i - 1] + 1)
        for i in range(len(want) - 1, -1, -1):  # …and room below it for the ones that follow
            want[i] = max(0, min(want[i], rows - (len(want) - i)))
        self.bands = [(top, bottom, row) for (top, bottom, _), row in zip(bands, want, strict=True)]
        self.text_rows = {row for top, bottom, row in self.bands}

    def put(self, row: int, col: int, char: str, colour: int) -> None:
        if 0 <= row < self.rows and 0 <= col < self.cols:
            self.chars[row][col] = char
            self.colours[row][col] = colour

    def _natural_row(self, y: float) -> int:
        return min(self.rows - 1, max(0, int(y / self.ch)))

    def row_of(self, y: float) -> int:
        """The row of the band that holds ``y``; between bands, the row ``y`` falls in at this
        scale, kept between the rows of the bands above and below it."""
        low, high = 0, self.rows - 1
        for top, bottom, row in self.bands:
            if top <= y < bottom:
                return row
            if bottom <= y:
                low = row
            else:  # the first band below ``y``
                high = row
                break
        return min(max(self._natural_row(y), low), high)

    def free_row(self, y: float) -> int | None:
        """A row for a mark at ``y`` (a divider) that no band uses, or None if there is none."""
        row = self.row_of(y)
        return None if row in self.text_rows else row

    def col_of(self, x: float) -> int:
        return min(self.cols - 1, max(0, int(x / self.cw)))

    def box(self, box: Box) -> None:
        c, put = box.colour, self.put
        left, right = round(box.x_px / self.cw), round((box.x_px + box.w_px) / self.cw)
        if box.role == "bullet":
            row = self.row_of(box.y_px + box.h_px / 2)
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
        elif box.w_px >= box.h_px:  # a horizontal divider, where no line needs the row
            free = self.free_row(box.y_px + box.h_px / 2)
            if free is not None:
                for col in range(left, right):
                    put(free, col, "─", c)
        else:  # a vertical divider, over the rows of the text lines beside it
            col = self.col_of(box.x_px + box.w_px / 2)
            beside = [
                row
                for top, bottom, row in self.bands
                if box.y_px <= (top + bottom) / 2 < box.y_px + box.h_px
            ]
            if not beside:
                beside = [self.row_of(box.y_px + box.h_px / 2)]
            for row in range(min(beside), max(beside) + 1):
                put(row, col, "│", c)
