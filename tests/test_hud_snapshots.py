"""Snapshots of what the HUD shows: one card per layout on every display profile.

Each snapshot is a PNG of the display's pixels and an SVG that embeds the same pixels plus the
text (``tests/snapshots/hud/<layout>-<profile>.{png,svg}``). Pixels are compared with a small
tolerance, as FreeType builds may anti-alias an edge pixel differently; the SVG's text must
match exactly. To create or accept snapshots after an intended change, run::

    GLASSES_UPDATE_SNAPSHOTS=1 .venv/bin/pytest tests/test_hud_snapshots.py

and review the changed files (the PNGs open in any image viewer) before committing them.
"""

from __future__ import annotations

import base64
import io
import os
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from glasses.hud import PROFILES, layout_card, render_png, render_svg
from glasses.runtime.events import LAYOUTS, Card

SNAPSHOTS = Path(__file__).parent / "snapshots" / "hud"
UPDATE = os.environ.get("GLASSES_UPDATE_SNAPSHOTS") == "1"
HOW = "create it with GLASSES_UPDATE_SNAPSHOTS=1 .venv/bin/pytest tests/test_hud_snapshots.py"

CARDS = {
    "text_wall": Card(
        body="Meeting with Dana at 3 pm in room 4.12. Bring the printed budget and the signed "
        "contract; she prefers paper copies. Parking is in the east garage, level 2, next to "
        "the lifts. Her assistant will meet you at reception and take you up to the fourth "
        "floor; the meeting room is the second door on the left.",
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
        "the coast, and walk the last part along the cliffs. If it rains we will take the bus "
        "instead and have lunch in the harbour first.",
        layout="captions",
    ),
    "toast": Card(title="Error", body="broken: no network", layout="toast"),
    "progress": Card(
        title="Downloading maps",
        body="Berlin: 42% of 180 MB",
        layout="progress",
        progress=0.42,
    ),
}
assert set(CARDS) == set(LAYOUTS)

# The camera view behind the preview snapshot: a dim synthetic street (grey levels, BGR).
_Y, _X = np.mgrid[0:480, 0:640]
WORLD = np.dstack([(40 + _Y // 8) % 256, (60 + _X // 10) % 256, 30 + (_X + _Y) // 40]).astype(
    np.uint8
)


def pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(np.int16)


def assert_same_pixels(actual: bytes, expected: bytes, what: str) -> None:
    a, e = pixels(actual), pixels(expected)
    assert a.shape == e.shape, f"{what}: size {a.shape[1::-1]} != snapshot {e.shape[1::-1]}"
    differ = int((np.abs(a - e).max(axis=2) > 64).sum())
    lit = int((e.max(axis=2) > 0).sum())
    allowed = max(16, lit // 50)  # edge pixels of glyphs, not a moved word
    assert differ <= allowed, f"{what}: {differ} pixels differ from the snapshot ({HOW})"


def svg_parts(svg: str) -> tuple[list[tuple[str, dict[str, str], str]], bytes]:
    """The SVG's elements (tag, attributes, text) without the image data, and the PNG."""
    root = ET.fromstring(svg)
    elements, png = [], b""
    for el in root.iter():
        attrs = dict(el.attrib)
        href = attrs.pop("href", None)
        if href is not None:
            png = base64.b64decode(href.removeprefix("data:image/png;base64,"))
        elements.append((el.tag, attrs, (el.text or "").strip()))
    return elements, png


def check(path: Path, actual: bytes | str) -> None:
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(actual, str):
            path.write_text(actual, encoding="utf-8")
        else:
            path.write_bytes(actual)
        return
    if not path.exists():
        pytest.fail(f"missing snapshot {path}: {HOW}")
    if isinstance(actual, str):
        got, got_png = svg_parts(actual)
        want, want_png = svg_parts(path.read_text(encoding="utf-8"))
        assert got == want, f"{path.name}: the SVG's text or structure changed ({HOW})"
        assert_same_pixels(got_png, want_png, path.name)
    else:
        assert_same_pixels(actual, path.read_bytes(), path.name)


@pytest.mark.parametrize("profile", sorted(PROFILES))
@pytest.mark.parametrize("layout", LAYOUTS)
def test_hud_snapshot(layout: str, profile: str) -> None:
    p = PROFILES[profile]
    page = layout_card(CARDS[layout], p)[0]
    check(SNAPSHOTS / f"{layout}-{profile}.png", render_png(page, p))
    check(SNAPSHOTS / f"{layout}-{profile}.svg", render_svg(page, p))


def test_hud_preview_snapshot() -> None:
    """What the wearer sees: the HUD added to the camera's view (black is transparent)."""
    p = PROFILES["frame"]
    check(
        SNAPSHOTS / "progress-frame-preview.png", render_png(CARDS["progress"], p, background=WORLD)
    )
