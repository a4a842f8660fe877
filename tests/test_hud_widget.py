"""``HudView``: the glasses display emulated in terminal cells, driven headless with a Pilot.

The ``snap_compare`` tests keep SVG screenshots under ``tests/__snapshots__/``; after an
intended change, regenerate them with ``.venv/bin/pytest tests/test_hud_widget.py
--snapshot-update`` and review the SVGs (they open in a browser).
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable

import pytest
from textual.app import App, ComposeResult
from textual.geometry import Region

from glasses.hud import PROFILES, get_profile, layout_card
from glasses.hud.widget import DIM_BRIGHTNESS, HudView, cell_size
from glasses.runtime.events import LAYOUTS, Card

SnapCompare = Callable[..., bool]
TERMINAL = (70, 28)

CARDS = {
    "text_wall": Card(
        body="Meeting with Dana at 3 pm in room 4.12. Bring the printed budget and the signed "
        "contract; she prefers paper copies. Parking is in the east garage, level 2, next to "
        "the lifts. Her assistant will meet you at reception and take you up to the fourth "
        "floor; the meeting room is the second door on the left. " * 2,
        layout="text_wall",
    ),
    "double_text_wall": Card(
        title="Translate",
        layout="double_text_wall",
        items=("Where is the train station?", "Wo ist der Bahnhof?"),
    ),
    "reference": Card(title="QR code", body="https://github.com/glasses-sim"),
    "list": Card(
        title="Shopping",
        layout="list",
        items=("Milk", "Eggs, free range, a dozen of the large ones", "Bread", "Coffee beans"),
    ),
    "captions": Card(
        title="Dana",
        body="So the plan is that we meet at the station at nine, take the regional train to "
        "the coast, and walk the last part along the cliffs.",
        layout="captions",
    ),
    "toast": Card(title="Error", body="broken: no network", layout="toast"),
    "progress": Card(
        title="Downloading maps", body="Berlin: 42% of 180 MB", layout="progress", progress=0.42
    ),
}


class HudApp(App[None]):
    """The smallest app around one ``HudView``."""

    CSS = "Screen { background: #202020; }"

    def __init__(self, view: HudView) -> None:
        super().__init__()
        self.view = view

    def compose(self) -> ComposeResult:
        yield self.view


def run(test: Callable[[HudApp], object], view: HudView) -> None:
    async def main() -> None:
        app = HudApp(view)
        async with app.run_test(size=TERMINAL) as pilot:
            await pilot.pause()
            result = test(app)
            if asyncio.iscoroutine(result):
                await result
            await pilot.pause()

    asyncio.run(main())


def row_of(view: HudView, text: str) -> int:
    rows = [i for i, line in enumerate(view.text_lines()) if text in line]
    assert rows, f"{text!r} not shown: {view.text_lines()}"
    return rows[0]


# --------------------------------------------------------------------------------------------
# Pilot tests


@pytest.mark.parametrize("name", sorted(PROFILES))
def test_view_has_the_displays_aspect_ratio_inside_a_titled_border(name: str) -> None:
    profile = PROFILES[name]

    def check(app: HudApp) -> None:
        view = app.view
        cols, rows = cell_size(profile)
        assert (view.content_region.width, view.content_region.height) == (cols, rows)
        assert (view.region.width, view.region.height) == (cols + 2, rows + 2)
        # Cells are about 1:2, so the cell grid keeps the display's proportions.
        assert abs(cols / (2 * rows) - profile.width_px / profile.height_px) < 0.15
        assert view.border_title == name
        lines = [s.text for s in view.render_lines(Region(0, 0, cols + 2, rows + 2))]
        assert lines[0].startswith(f"╭─ {name} ─") and lines[-1].startswith("╰")
        assert any(line.startswith("│ QR code ") or line.startswith("│  QR code") for line in lines)

    run(check, HudView(profile, Card(title="QR code", body="hello")))


def test_runs_are_placed_in_proportion_to_their_pixels() -> None:
    profile = get_profile("frame")
    card = Card(title="Title", body="one\n\n\n\nfive")
    view = HudView(profile, card)
    (page,) = layout_card(card, profile)
    cols, rows = view.cells
    for run in page.runs:
        if not run.text:
            continue
        row = row_of(view, run.text)
        assert row == int((run.y_px + run.height_px / 2) / (profile.height_px / rows))
        assert view.text_lines()[row].index(run.text) == round(run.x_px / (profile.width_px / cols))


def test_update_card_dim_and_level() -> None:
    async def check(app: HudApp) -> None:
        view = app.view
        assert row_of(view, "hello") > row_of(view, "QR code")
        full = view.render_line(row_of(view, "hello"))
        view.update_card(Card(title="EAN-13", body="4006381333931"))
        await app.workers.wait_for_complete()
        title_row = row_of(view, "EAN-13")
        assert row_of(view, "4006381333931") > title_row  # the body below its title
        assert not any("hello" in s for s in view.text_lines())

        bright = view.render_line(title_row)
        view.dim = True
        await asyncio.sleep(0)
        dimmed = view.render_line(row_of(view, "EAN-13"))
        assert view.border_subtitle == f"{DIM_BRIGHTNESS:.0%}"
        fg = [s.style.color for s in bright if s.text.strip() and s.style and s.style.color]
        dim = [s.style.color for s in dimmed if s.text.strip() and s.style and s.style.color]
        assert fg and dim
        assert sum(dim[0].get_truecolor()) < sum(fg[0].get_truecolor())
        view.dim = False

        view.update_card(view.card, level=0.0)  # off: the display shows nothing
        assert view.border_subtitle == "off"
        assert not "".join(view.text_lines()).strip()
        view.update_card(view.card, level=1.0)
        assert row_of(view, "EAN-13") == title_row and view.border_subtitle == ""  # back as it was
        view.update_card(None)
        assert not "".join(view.text_lines()).strip()
        assert full.cell_length == view.cells[0]

    run(check, HudView("g1", Card(title="QR code", body="hello")))


def test_paging_and_switching_profiles() -> None:
    card = CARDS["text_wall"]

    async def check(app: HudApp) -> None:
        view = app.view
        count = view.page.count
        assert count > 1 and view.text_lines()[row_of(view, f"1/{count}")].endswith(f"1/{count} ")
        view.update_card(card, page=1)
        assert view.page.index == 1 and row_of(view, f"2/{count}") > row_of(view, "the")
        view.set_profile("z100")
        await app.workers.wait_for_complete()
        for _ in range(5):  # let the refresh the profile change queued run (no wall-clock wait)
            await asyncio.sleep(0)
        assert view.profile.name == "z100" and view.border_title == "z100"
        assert view.page.index <= 1 and len(view.text_lines()) == cell_size(view.profile)[1]

    run(check, HudView("g1", card))


# --------------------------------------------------------------------------------------------
# Screenshots


@pytest.mark.parametrize("name", sorted(PROFILES))
def test_snapshot_per_profile(snap_compare: SnapCompare, name: str) -> None:
    view = HudView(name, CARDS["reference"])
    assert snap_compare(HudApp(view), terminal_size=TERMINAL)


@pytest.mark.parametrize("layout", LAYOUTS)
def test_snapshot_per_layout(snap_compare: SnapCompare, layout: str) -> None:
    view = HudView("frame", CARDS[layout])
    assert snap_compare(HudApp(view), terminal_size=TERMINAL)


def test_snapshot_dimmed(snap_compare: SnapCompare) -> None:
    view = HudView("g2", CARDS["list"], level=0.3)
    assert snap_compare(HudApp(view), terminal_size=TERMINAL)


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("name", sorted(PROFILES))
def test_fit_keeps_every_line_in_fewer_rows(name: str, layout: str) -> None:
    """In a small terminal the display gives up rows, never lines: each text run of the page
    keeps a row of its own, in order, and a toast keeps its frame around its text."""
    from glasses.hud.widget import min_rows

    profile = get_profile(name)
    view = HudView(profile, CARDS[layout])
    view.fit(cell_size(profile)[0], 1)  # as few rows as allowed
    rows = view.cells[1]
    assert rows == min_rows(profile) <= cell_size(profile)[1]
    lines = view.text_lines()
    assert len(lines) == rows
    found = []
    for run in view.page.runs:
        if not run.text.strip():
            continue
        claimed = {r for _, r in found}
        rows_with = [i for i, line in enumerate(lines) if run.text in line]
        row = next((i for i in rows_with if i not in claimed), rows_with[0] if rows_with else None)
        assert row is not None, (run.text, lines)
        if run.role != "page":  # the page number shares the last line's row
            found.append((run.y_px, row))
    for (y1, r1), (y2, r2) in itertools.pairwise(sorted(found)):  # lower lines stay lower
        assert (r2 > r1) if y2 > y1 else (r2 == r1)
    if layout == "toast":
        top = next(i for i, line in enumerate(lines) if "╭" in line)
        bottom = next(i for i, line in enumerate(lines) if "╰" in line)
        assert top < min(r for _, r in found) and max(r for _, r in found) < bottom
    view.fit(None)
    assert view.cells == cell_size(profile)


def test_fit_moves_a_line_left_rather_than_cut_it() -> None:
    view = HudView("frame", CARDS["reference"])
    view.fit(34, None)
    assert any("https://github.com/glasses-sim" in line for line in view.text_lines())
