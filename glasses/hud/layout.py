"""Lay a ``Card`` out on a display profile: pages of text runs and boxes, in px.

The model is device-neutral and pixel-exact: every run is measured with the HUD font
(``glasses.hud.font``) and wrapped by pixels (``glasses.hud.wrap``), and everything lies inside
the profile's margins. Text that does not fit is split into pages; a paged card shows ``k/n``
in the bottom-right corner, and the last line of every page is kept clear of it. Renderers
(plain text, raster, SVG, the Textual widget) only draw what ``layout_card`` returns.

Coordinates: x grows rightwards and y downwards from the display's top-left pixel. A
``TextRun``'s ``(x_px, y_px)`` is the top-left of its line box; the baseline lies
``ascent`` px below (``TextRun.baseline_px``), and the box is ``ascent + descent`` px tall.

Layouts (``Card.layout``):

* ``text_wall``: the body filling the display (the title, if any, above it).
* ``reference``: the title, a divider, then the body.
* ``double_text_wall``: the title across, then ``items[0]`` and ``items[1]`` as two columns
  (without items, the body is the left column).
* ``list``: the title, the body if any, then each item behind a bullet (continuation lines
  hang under the item's first word).
* ``captions``: the newest lines of the body that fit, bottom-aligned (older lines scroll off
  the top); the title, if any, is a label above them. Never paged.
* ``toast``: a framed box over the lower part of the display, title and body in the small size.
* ``progress``: the title, a bar filled to ``progress``, then the body as the bar's label.

The title and a page break: the title is shown on the first page only, so each word of a card
appears on exactly one page.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass, field

from glasses.hud.font import FontMetrics, font_metrics, text_width
from glasses.hud.profile import DisplayProfile
from glasses.hud.wrap import wrap_text
from glasses.runtime.events import Card

TEXT_ROLES = ("title", "body", "item", "caption", "toast", "label", "page")
"""``TextRun.role``: ``page`` is the ``k/n`` indicator; ``label`` a progress or caption label."""

BOX_ROLES = ("divider", "toast", "track", "fill", "bullet")
"""``Box.role``: ``toast`` is a toast's frame; ``track``/``fill`` a progress bar's outline, fill."""


@dataclass(frozen=True, slots=True)
class TextRun:
    """One line of text at ``(x_px, y_px)``, the top-left of its line box (see the module doc).

    ``colour``: palette index; ``size_px``: font size; ``width_px``: measured width, rounded up.
    """

    x_px: int
    y_px: int
    text: str
    role: str
    colour: int
    size_px: int
    width_px: int

    @property
    def metrics(self) -> FontMetrics:
        return font_metrics(self.size_px)

    @property
    def height_px(self) -> int:
        return self.metrics.height_px

    @property
    def baseline_px(self) -> int:
        return self.y_px + self.metrics.ascent_px


@dataclass(frozen=True, slots=True)
class Box:
    """A rectangle: filled, or an outline ``stroke_px`` wide drawn inside its bounds."""

    x_px: int
    y_px: int
    w_px: int
    h_px: int
    role: str
    colour: int
    filled: bool = True
    stroke_px: int = 1


@dataclass(frozen=True, slots=True)
class HudPage:
    """What the display shows: ``runs`` in reading order, ``boxes``; page ``index`` of ``count``."""

    runs: tuple[TextRun, ...] = ()
    boxes: tuple[Box, ...] = ()
    index: int = 0
    count: int = 1

    @property
    def text(self) -> str:
        """The runs' texts in reading order, one line each ("" for a dark display)."""
        return "\n".join(run.text for run in self.runs)

    @property
    def is_blank(self) -> bool:
        return not self.runs and not self.boxes


def layout_card(card: Card | None, profile: DisplayProfile) -> list[HudPage]:
    """The pages of ``card`` on ``profile``: at least one (``None`` gives one blank page).

    Layouts are cached per (card, profile): both are frozen, so re-rendering a card is free.
    """
    try:
        return list(_layout(card, profile))
    except TypeError:
        # Unhashable (``items`` passed as a list): lay it out uncached. A TypeError raised by
        # the layout itself is raised again by this second call.
        return list(_layout.__wrapped__(card, profile))


def clear_cache() -> None:
    """Forget cached layouts and measurements (for benchmarks that time a cold layout)."""
    _layout.cache_clear()
    text_width.cache_clear()


@functools.lru_cache(maxsize=256)
def _layout(card: Card | None, profile: DisplayProfile) -> tuple[HudPage, ...]:
    if card is None:
        return (HudPage(),)
    try:
        lay_out = _LAYOUTS[card.layout]
    except KeyError:  # Card validates its layout: a layout added to LAYOUTS needs a function here
        raise ValueError(f"no HUD layout function for {card.layout!r}") from None
    return lay_out(card, profile)


# --------------------------------------------------------------------------------------------
# The flow: blocks of text wrapped into rows of a region, rows split into pages


@dataclass(frozen=True, slots=True)
class _Block:
    text: str = ""
    role: str = "body"
    colour: int = 1
    indent_px: int = 0
    bullet: bool = False  # a bullet before the block's first line (list items)
    rule_below: bool = False  # a divider under the block's last line, if more rows follow
    bar: float | None = None  # a progress bar row (fill 0..1) instead of text
    is_bar: bool = False


@dataclass(frozen=True, slots=True)
class _Section:
    """Rows side by side: ``columns[i]`` is laid out at ``geometry[i]`` = (x offset, width)."""

    columns: tuple[tuple[_Block, ...], ...]
    geometry: tuple[tuple[int, int], ...]
    divider_between: bool = False


@dataclass(frozen=True, slots=True)
class _Region:
    """Where a flow is drawn: ``rows`` rows of ``size_px`` text from ``(x, y)``, ``w`` wide."""

    x: int
    y: int
    w: int
    rows: int
    size_px: int
    spacing: int
    metrics: FontMetrics = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "metrics", font_metrics(self.size_px))

    @property
    def pitch(self) -> int:
        return self.metrics.height_px + self.spacing

    def row_y(self, row: int) -> int:
        return self.y + row * self.pitch


def _rows_fitting(height_px: int, size_px: int, spacing: int) -> int:
    return max(1, (height_px + spacing) // (font_metrics(size_px).height_px + spacing))


@dataclass(frozen=True, slots=True)
class _Placed:
    g: int  # row index over all pages: page g // rows, row g % rows
    x_off: int
    width: int  # the width the row had (a bar's length)
    block: _Block
    text: str
    first: bool
    last: bool
    section: int
    rightmost: bool  # in the column that ends at the region's right edge


def _flow(sections: list[_Section], region: _Region, reserve_px: int) -> tuple[list[_Placed], int]:
    """Wrap every block into rows; rows on a page's last line of the rightmost column are
    ``reserve_px`` shorter (room for the page indicator). Returns the rows and the row count."""
    size, rows = region.size_px, region.rows
    placed: list[_Placed] = []
    start = 0

    def measure(s: str) -> float:
        return text_width(s, size)

    for s_index, section in enumerate(sections):
        end = start
        for (x_off, col_w), blocks in zip(section.geometry, section.columns, strict=True):
            rightmost = x_off + col_w >= region.w
            g = start
            for block in blocks:
                width = col_w - block.indent_px

                def limit(i: int, g0: int = g, width: int = width, right: bool = rightmost) -> int:
                    if right and reserve_px and (g0 + i) % rows == rows - 1:
                        return width - reserve_px
                    return width

                if block.is_bar:
                    placed.append(
                        _Placed(g, x_off, limit(0), block, "", True, True, s_index, rightmost)
                    )
                    g += 1
                    continue
                lines = wrap_text(block.text, limit, measure)
                for i, line in enumerate(lines):
                    placed.append(
                        _Placed(
                            g + i,
                            x_off + block.indent_px,
                            limit(i),
                            block,
                            line,
                            i == 0,
                            i == len(lines) - 1,
                            s_index,
                            rightmost,
                        )
                    )
                g += len(lines)
            end = max(end, g)
        start = end
    return placed, start


def _paginate(
    sections: list[_Section], region: _Region, indicator_px: int
) -> tuple[list[_Placed], int, int]:
    """Flow ``sections``, re-flowing with room for ``k/n`` when they take more than one page.

    Returns the rows, the page count and the number of rows used (of the first page).
    """
    placed, used = _flow(sections, region, 0)
    pages = max(1, math.ceil(used / region.rows))
    reserved_for = 1
    while pages > 1 and pages != reserved_for:
        reserved_for = pages
        reserve = _indicator_width(pages, indicator_px) + max(4, indicator_px // 2)
        if _clear_of(placed, region, reserve):
            break  # every bottom line leaves room for k/n already: keep this flow
        placed, used = _flow(sections, region, reserve)
        pages = max(1, math.ceil(used / region.rows))
    return placed, pages, min(used, region.rows)


def _clear_of(placed: list[_Placed], region: _Region, reserve: int) -> bool:
    """Whether every page's bottom line (rightmost column) leaves ``reserve`` px free."""
    bottom = region.rows - 1
    return all(
        not p.block.is_bar and text_width(p.text, region.size_px) <= p.width - reserve
        for p in placed
        if p.rightmost and p.g % region.rows == bottom
    )


def _indicator_width(pages: int, size_px: int) -> int:
    return math.ceil(max(text_width(f"{k}/{pages}", size_px) for k in range(1, pages + 1)))


def _emit(
    placed: list[_Placed],
    pages: int,
    region: _Region,
    sections: list[_Section],
    profile: DisplayProfile,
    frame: Box | None = None,
) -> tuple[HudPage, ...]:
    rows, metrics, stroke = region.rows, region.metrics, profile.stroke_px
    indicator_px = min(profile.small_font_px, region.size_px)
    out: list[HudPage] = []
    for k in range(pages):
        on_page = [p for p in placed if p.g // rows == k]
        occupied = {p.g % rows for p in on_page}
        runs: list[TextRun] = []
        boxes: list[Box] = [frame] if frame is not None else []
        for p in on_page:
            r = p.g % rows
            x, y = region.x + p.x_off, region.row_y(r)
            if p.block.is_bar:
                boxes.extend(_bar(x, y, p.width, metrics, p.block.bar, profile))
                continue
            runs.append(
                TextRun(
                    x,
                    y,
                    p.text,
                    p.block.role,
                    p.block.colour,
                    region.size_px,
                    math.ceil(text_width(p.text, region.size_px)),
                )
            )
            if p.block.bullet and p.first:
                boxes.append(_bullet(x - p.block.indent_px, y, metrics, p.block.colour))
            if p.block.rule_below and p.last and r + 1 < rows and r + 1 in occupied:
                gap_mid = y + metrics.height_px + max(0, (region.spacing - stroke) // 2)
                boxes.append(Box(region.x, gap_mid, region.w, stroke, "divider", profile.muted))
        for s_index, section in enumerate(sections):
            if not section.divider_between:
                continue
            rs = [p.g % rows for p in on_page if p.section == s_index]
            if rs:
                (lx, lw), (rx, _rw) = section.geometry[0], section.geometry[1]
                x = region.x + (lx + lw + rx - stroke) // 2
                top, bottom = region.row_y(min(rs)), region.row_y(max(rs)) + metrics.height_px
                boxes.append(Box(x, top, stroke, bottom - top, "divider", profile.muted))
        if pages > 1:
            label = f"{k + 1}/{pages}"
            width = math.ceil(text_width(label, indicator_px))
            y = region.row_y(rows - 1) + metrics.ascent_px - font_metrics(indicator_px).ascent_px
            runs.append(
                TextRun(
                    region.x + region.w - width,
                    y,
                    label,
                    "page",
                    profile.muted,
                    indicator_px,
                    width,
                )
            )
        out.append(HudPage(tuple(runs), tuple(boxes), k, pages))
    return tuple(out)


def _bar(
    x: int,
    y: int,
    width: int,
    metrics: FontMetrics,
    progress: float | None,
    profile: DisplayProfile,
) -> list[Box]:
    stroke = profile.stroke_px
    height = max(4 * stroke + 1, round(metrics.height_px * 0.6))
    top = y + (metrics.height_px - height) // 2
    boxes = [Box(x, top, width, height, "track", profile.muted, filled=False, stroke_px=stroke)]
    inner = width - 4 * stroke
    fill = round(inner * (progress or 0.0))
    if fill > 0:
        boxes.append(
            Box(x + 2 * stroke, top + 2 * stroke, fill, height - 4 * stroke, "fill", profile.accent)
        )
    return boxes


def _bullet(x: int, y: int, metrics: FontMetrics, colour: int) -> Box:
    size = max(2, round(metrics.size_px * 0.22))
    # Centred on the x-height (about half an em above the baseline, halved again).
    centre_y = y + metrics.ascent_px - round(metrics.size_px * 0.26)
    return Box(x + round(metrics.size_px * 0.2), centre_y - size // 2, size, size, "bullet", colour)


# --------------------------------------------------------------------------------------------
# The layouts


def _content_region(profile: DisplayProfile, size_px: int | None = None) -> _Region:
    size = size_px or profile.font_px
    return _Region(
        profile.margin_px,
        profile.margin_px,
        profile.content_width_px,
        _rows_fitting(profile.content_height_px, size, profile.line_spacing_px),
        size,
        profile.line_spacing_px,
    )


def _title(card: Card, profile: DisplayProfile, rule: bool = True) -> tuple[_Block, ...]:
    if not card.title:
        return ()
    return (_Block(card.title, "title", profile.accent, rule_below=rule),)


def _single_column(
    card: Card, profile: DisplayProfile, blocks: tuple[_Block, ...]
) -> tuple[HudPage, ...]:
    region = _content_region(profile)
    sections = [_Section((blocks,), ((0, region.w),))]
    placed, pages, _ = _paginate(sections, region, profile.small_font_px)
    return _emit(placed, pages, region, sections, profile)


def _text_wall(card: Card, profile: DisplayProfile) -> tuple[HudPage, ...]:
    body = _Block(card.body, "body", profile.fg)
    return _single_column(card, profile, (*_title(card, profile), body))


def _reference(card: Card, profile: DisplayProfile) -> tuple[HudPage, ...]:
    body = _Block(card.body, "body", profile.fg)
    return _single_column(card, profile, (*_title(card, profile), body))


def _list(card: Card, profile: DisplayProfile) -> tuple[HudPage, ...]:
    indent = round(profile.font_px * 0.8)
    blocks = [*_title(card, profile)]
    if card.body:
        blocks.append(_Block(card.body, "body", profile.fg))
    blocks.extend(
        _Block(item, "item", profile.fg, indent_px=indent, bullet=True) for item in card.items
    )
    return _single_column(card, profile, tuple(blocks))


def _progress(card: Card, profile: DisplayProfile) -> tuple[HudPage, ...]:
    blocks = (
        *_title(card, profile, rule=False),
        _Block(bar=card.progress, is_bar=True),
        _Block(card.body, "label", profile.fg),
    )
    return _single_column(card, profile, blocks)


def _double_text_wall(card: Card, profile: DisplayProfile) -> tuple[HudPage, ...]:
    region = _content_region(profile)
    gap = profile.font_px
    left_w = (region.w - gap) // 2
    left, right = (*card.items, "", "")[:2] if card.items else (card.body, "")
    sections = [
        _Section((_title(card, profile),), ((0, region.w),)),
        _Section(
            ((_Block(left, "body", profile.fg),), (_Block(right, "body", profile.fg),)),
            ((0, left_w), (left_w + gap, region.w - left_w - gap)),
            divider_between=True,
        ),
    ]
    placed, pages, _ = _paginate(sections, region, profile.small_font_px)
    return _emit(placed, pages, region, sections, profile)


def _toast(card: Card, profile: DisplayProfile) -> tuple[HudPage, ...]:
    size, stroke, spacing = profile.small_font_px, profile.stroke_px, profile.line_spacing_px
    pad = stroke + round(size * 0.4)
    m = profile.margin_px
    max_box_h = max(
        round(profile.content_height_px * 0.6),
        min(profile.content_height_px, 2 * pad + font_metrics(size).height_px),
    )
    rows = _rows_fitting(max_box_h - 2 * pad, size, spacing)
    region = _Region(m + pad, 0, profile.content_width_px - 2 * pad, rows, size, spacing)
    blocks = (
        *_title(card, profile, rule=False),
        _Block(card.body, "toast", profile.fg),
    )
    sections = [_Section((blocks,), ((0, region.w),))]
    placed, pages, used = _paginate(sections, region, size)
    if not placed:
        return (HudPage(),)
    rows_shown = region.rows if pages > 1 else used
    box_h = rows_shown * region.pitch - spacing + 2 * pad
    box_y = profile.height_px - m - box_h
    region = _Region(region.x, box_y + pad, region.w, region.rows, size, spacing)
    frame = Box(m, box_y, profile.content_width_px, box_h, "toast", profile.muted, False, stroke)
    return _emit(placed, pages, region, sections, profile, frame=frame)


def _captions(card: Card, profile: DisplayProfile) -> tuple[HudPage, ...]:
    region = _content_region(profile)
    size = region.size_px

    def measure(s: str) -> float:
        return text_width(s, size)

    label = wrap_text(card.title, region.w, measure)[: max(0, region.rows - 1)]
    lines = wrap_text(card.body, region.w, measure)
    visible = lines[max(0, len(lines) - (region.rows - len(label))) :]
    runs = [
        TextRun(
            region.x,
            region.row_y(r),
            text,
            "label",
            profile.muted,
            size,
            math.ceil(measure(text)),
        )
        for r, text in enumerate(label)
    ]
    first = region.rows - len(visible)
    runs.extend(
        TextRun(
            region.x,
            region.row_y(first + i),
            text,
            "caption",
            profile.fg,
            size,
            math.ceil(measure(text)),
        )
        for i, text in enumerate(visible)
    )
    return (HudPage(tuple(runs)),)


_LAYOUTS: dict[str, Callable[[Card, DisplayProfile], tuple[HudPage, ...]]] = {
    "text_wall": _text_wall,
    "double_text_wall": _double_text_wall,
    "reference": _reference,
    "list": _list,
    "captions": _captions,
    "toast": _toast,
    "progress": _progress,
}
