"""The HUD display model: pixel-exact layout and paging, the font, the text/raster/SVG renderers."""

from __future__ import annotations

import base64
import io
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from PIL import Image

from glasses.hud import (
    PROFILES,
    DisplayProfile,
    HudPage,
    displayable,
    font_metrics,
    get_profile,
    hud_font,
    layout_card,
    render_image,
    render_png,
    render_svg,
    render_text,
    text_width,
    wrap_text,
)
from glasses.runtime.events import LAYOUTS, Card

PROFILE_NAMES = sorted(PROFILES)
SHORT = "Turn left onto Baker Street."
LONG = (
    "The museum opens at nine; the east wing with the early instruments is closed for "
    "restoration until spring. Audio guides are free at the desk beside the cloakroom, and "
    "the cafe on the top floor serves lunch until half past two. Photography without flash "
    "is allowed everywhere except in the manuscripts room. "
) * 3
LONG_WORD = "Donaudampfschifffahrtsgesellschaftskapitaenswitwe" * 3
URL = "https://example.org/a/very/long/path/that/does/not/fit/on/one/line?query=1&page=2"
MANY_ITEMS = tuple(f"Item {i}: {'spare parts ' * (i % 4)}done" for i in range(40))


def variants(layout: str) -> list[Card]:
    """Cards that stress ``layout``: short, long, unbreakable words, many items, blank lines."""
    cards = [
        Card(layout=layout),
        Card(title="Short", body=SHORT, layout=layout, progress=0.5),
        Card(title="A title long enough to need two lines " * 2, body=LONG, layout=layout),
        Card(title=LONG_WORD, body=f"{LONG_WORD} {URL} {LONG_WORD}", layout=layout),
        Card(body="first\n\nthird paragraph\n" * 6, layout=layout),
        Card(title="Things", body=SHORT, layout=layout, items=MANY_ITEMS, progress=1.0),
        Card(title="Two", layout=layout, items=(LONG, LONG_WORD + " " + URL)),
        Card(title="Ünïcödé – “quotes” • 東京", body="Grüße aus Köln × 3 → 日本", layout=layout),
    ]
    return cards


def all_pages() -> list[tuple[DisplayProfile, Card, HudPage]]:
    out = []
    for name in PROFILE_NAMES:
        profile = PROFILES[name]
        for layout in LAYOUTS:
            for card in variants(layout):
                out.extend((profile, card, page) for page in layout_card(card, profile))
    return out


ALL_PAGES = all_pages()


def body_runs(page: HudPage) -> list[str]:
    return [run.text for run in page.runs if run.role != "page"]


def squash(text: str) -> str:
    return "".join(text.split())


# --------------------------------------------------------------------------------------------
# Geometry


@pytest.mark.parametrize("name", PROFILE_NAMES)
def test_every_line_fits_and_everything_is_inside_the_margins(name: str) -> None:
    profile = PROFILES[name]
    m, w, h = profile.margin_px, profile.width_px, profile.height_px
    pages = [page for p, _card, page in ALL_PAGES if p is profile]
    assert len(pages) > len(LAYOUTS) * 8  # the variants did page
    for page in pages:
        for run in page.runs:
            measured = text_width(run.text, run.size_px)
            assert measured <= profile.content_width_px, run
            assert run.width_px == np.ceil(measured)
            assert m <= run.x_px and run.x_px + measured <= w - m, run
            assert m <= run.y_px and run.y_px + run.height_px <= h - m, run
        for box in page.boxes:
            assert box.w_px > 0 and box.h_px > 0, box
            assert m <= box.x_px and box.x_px + box.w_px <= w - m, box
            assert m <= box.y_px and box.y_px + box.h_px <= h - m, box


@pytest.mark.parametrize("name", PROFILE_NAMES)
def test_text_runs_never_overlap(name: str) -> None:
    profile = PROFILES[name]
    for p, card, page in ALL_PAGES:
        if p is not profile:
            continue
        boxes = [
            (r.x_px, r.y_px, r.x_px + r.width_px, r.y_px + r.height_px, r.text)
            for r in page.runs
            if r.text
        ]
        for i, a in enumerate(boxes):
            for b in boxes[i + 1 :]:
                apart = a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1]
                assert apart, (card.layout, a, b)


def test_pages_are_numbered_and_indicated_in_the_bottom_right_corner() -> None:
    for profile, card, page in ALL_PAGES:
        pages = layout_card(card, profile)
        assert page.count == len(pages) and pages[page.index] == page
        indicators = [r for r in page.runs if r.role == "page"]
        if page.count == 1:
            assert not indicators
            continue
        (ind,) = indicators
        assert ind.text == f"{page.index + 1}/{page.count}"
        assert ind is page.runs[-1]  # read last
        assert ind.x_px + ind.width_px == profile.width_px - profile.margin_px or (
            card.layout == "toast"  # inside the toast's frame
        )


# --------------------------------------------------------------------------------------------
# Paging


PAGED_LAYOUTS = ("text_wall", "reference", "list", "toast", "progress")


@pytest.mark.parametrize("name", PROFILE_NAMES)
@pytest.mark.parametrize("layout", PAGED_LAYOUTS)
def test_long_text_is_paged_and_every_word_appears_exactly_once(name: str, layout: str) -> None:
    profile = PROFILES[name]
    items = MANY_ITEMS if layout == "list" else ()
    card = Card(title="Museum", body=f"{LONG} {LONG_WORD} {URL}", layout=layout, items=items)
    pages = layout_card(card, profile)
    assert len(pages) > 1
    shown = " ".join(" ".join(body_runs(page)) for page in pages)
    expected = " ".join((card.title, card.body, *items))
    assert squash(shown) == squash(expected)  # every character once, in order
    # Words are broken only when longer than a line.
    unbroken = [w for w in expected.split() if text_width(w, pages[0].runs[0].size_px) < 200]
    assert set(unbroken) <= set(shown.split())


@pytest.mark.parametrize("name", PROFILE_NAMES)
def test_double_text_wall_pages_both_columns(name: str) -> None:
    profile = PROFILES[name]
    left_text, right_text = LONG, LONG.upper()
    card = Card(title="Translate", layout="double_text_wall", items=(left_text, right_text))
    pages = layout_card(card, profile)
    assert len(pages) > 1
    middle = profile.width_px / 2
    left = [r.text for p in pages for r in p.runs if r.role == "body" and r.x_px < middle]
    right = [r.text for p in pages for r in p.runs if r.role == "body" and r.x_px > middle]
    assert squash(" ".join(left)) == squash(left_text)
    assert squash(" ".join(right)) == squash(right_text)
    assert render_text(card, profile).split("\n")[0] == "Translate"


def test_a_card_with_a_list_of_items_is_laid_out_too() -> None:
    card = Card(title="Shopping", layout="list", items=["Milk", "Eggs"])  # type: ignore[arg-type]
    assert layout_card(card, get_profile("g1"))[0].text == "Shopping\nMilk\nEggs"


def test_title_shows_on_the_first_page_only() -> None:
    pages = layout_card(Card(title="Museum", body=LONG), get_profile("g1"))
    assert [r.text for r in pages[0].runs if r.role == "title"] == ["Museum"]
    assert all(r.role != "title" for page in pages[1:] for r in page.runs)


def test_short_cards_are_one_page_without_indicator() -> None:
    for name in PROFILE_NAMES:
        pages = layout_card(Card(title="QR code", body="hello"), PROFILES[name])
        assert len(pages) == 1 and pages[0].text == "QR code\nhello"


# --------------------------------------------------------------------------------------------
# Layouts


@pytest.mark.parametrize("name", PROFILE_NAMES)
def test_captions_keep_the_newest_lines_bottom_aligned(name: str) -> None:
    profile = PROFILES[name]
    words = [f"w{i}" for i in range(400)]
    card = Card(body=" ".join(words), layout="captions")
    (page,) = layout_card(card, profile)
    lines = [r for r in page.runs if r.role == "caption"]
    assert len(lines) == profile.max_lines
    shown = " ".join(r.text for r in lines).split()
    assert shown == words[-len(shown) :]  # a suffix: the newest words, in order
    assert shown[0] != "w0"
    bottom = lines[-1].y_px + lines[-1].height_px
    assert profile.height_px - profile.margin_px - bottom < profile.line_height_px


def test_captions_with_a_label_and_short_text() -> None:
    profile = get_profile("frame")
    (page,) = layout_card(Card(title="Dana", body="Hello there", layout="captions"), profile)
    assert [(r.role, r.text) for r in page.runs] == [("label", "Dana"), ("caption", "Hello there")]
    assert page.runs[0].y_px == profile.margin_px
    assert page.runs[1].y_px > profile.height_px / 2  # new text appears at the bottom


@pytest.mark.parametrize("name", PROFILE_NAMES)
@pytest.mark.parametrize("progress", [0.0, 0.1, 0.25, 0.5, 0.9, 1.0])
def test_progress_fill_is_proportional(name: str, progress: float) -> None:
    profile = PROFILES[name]
    card = Card(title="Download", body="maps", layout="progress", progress=progress)
    (page,) = layout_card(card, profile)
    (track,) = [b for b in page.boxes if b.role == "track"]
    fills = [b for b in page.boxes if b.role == "fill"]
    inner = track.w_px - 4 * profile.stroke_px
    if progress == 0:
        assert not fills
        return
    (fill,) = fills
    assert abs(fill.w_px - progress * inner) <= 0.5
    assert track.x_px < fill.x_px and fill.x_px + fill.w_px < track.x_px + track.w_px
    assert track.y_px < fill.y_px and fill.y_px + fill.h_px < track.y_px + track.h_px
    assert [r.role for r in page.runs] == ["title", "label"]


def test_toast_is_a_frame_over_the_lower_part() -> None:
    for name in PROFILE_NAMES:
        profile = PROFILES[name]
        card = Card(title="Error", body="broken: no network", layout="toast")
        (page,) = layout_card(card, profile)
        (frame,) = page.boxes
        assert frame.role == "toast" and not frame.filled
        assert frame.y_px + frame.h_px == profile.height_px - profile.margin_px
        assert frame.y_px > profile.height_px / 3
        for run in page.runs:
            assert run.size_px == profile.small_font_px
            assert frame.x_px < run.x_px and run.x_px + run.width_px < frame.x_px + frame.w_px
            assert frame.y_px < run.y_px and run.y_px + run.height_px < frame.y_px + frame.h_px


def test_list_items_have_bullets_and_hanging_indents() -> None:
    profile = get_profile("frame")
    card = Card(title="Shopping", layout="list", items=("Milk", "Eggs " * 30, "Bread"))
    (page,) = layout_card(card, profile)
    bullets = [b for b in page.boxes if b.role == "bullet"]
    items = [r for r in page.runs if r.role == "item"]
    assert len(bullets) == 3
    assert len({r.x_px for r in items}) == 1  # continuation lines hang under the first word
    assert all(b.x_px + b.w_px < items[0].x_px for b in bullets)
    for bullet in bullets:  # each bullet sits on the line of its item
        assert any(r.y_px <= bullet.y_px < r.y_px + r.height_px for r in items)


def test_dividers_separate_a_title_from_what_follows() -> None:
    profile = get_profile("z100")
    (page,) = layout_card(Card(title="QR code", body="hello"), profile)
    (rule,) = page.boxes
    title, body = page.runs
    assert rule.role == "divider"
    assert title.y_px + title.height_px <= rule.y_px < rule.y_px + rule.h_px <= body.y_px
    (lone,) = layout_card(Card(title="Only a title"), profile)
    assert lone.boxes == ()


# --------------------------------------------------------------------------------------------
# Plain text


def test_render_text_examples() -> None:
    frame = get_profile("frame")
    assert render_text(Card(title="QR code", body="hello"), frame) == "QR code\nhello"
    toast = Card(title="Error", body="broken: no network", layout="toast")
    assert render_text(toast, frame) == "Error\nbroken: no network"
    assert render_text(None, frame) == ""
    assert render_text(Card(), frame) == ""
    shopping = Card(title="Shopping", layout="list", items=("Milk", "Eggs"))
    assert render_text(shopping, frame) == "Shopping\nMilk\nEggs"
    two = Card(layout="double_text_wall", items=("Where?", "Wo?"))
    assert render_text(two, frame) == "Where?\nWo?"
    progress = Card(title="Upload", body="3 of 4", layout="progress", progress=0.75)
    assert render_text(progress, frame) == "Upload\n3 of 4"
    assert render_text(Card(body="a\n\nb"), frame) == "a\n\nb"  # explicit newlines stay


def test_render_text_pages_are_clamped() -> None:
    g1 = get_profile("g1")
    card = Card(body=LONG)
    count = len(layout_card(card, g1))
    assert render_text(card, g1, page=99) == render_text(card, g1, page=count - 1)
    assert render_text(card, g1, page=-3) == render_text(card, g1)
    assert render_text(card, g1, page=1).endswith(f"\n2/{count}")


# --------------------------------------------------------------------------------------------
# Card validation (events.py)


def test_card_rejects_unknown_layouts_and_bad_progress() -> None:
    with pytest.raises(ValueError, match="unknown HUD layout 'grid'"):
        Card(layout="grid")
    with pytest.raises(ValueError, match=r"progress must be within 0\.\.1"):
        Card(layout="progress", progress=1.5)
    with pytest.raises(ValueError, match=r"progress must be within 0\.\.1"):
        Card(progress=-0.1)


# --------------------------------------------------------------------------------------------
# Wrap and font


def measure24(text: str) -> float:
    return text_width(text, 24)


def test_wrap_keeps_newlines_and_breaks_only_overlong_words() -> None:
    assert wrap_text("", 300, measure24) == []
    assert wrap_text("  \n ", 300, measure24) == []
    assert wrap_text("one\n\ntwo\n", 300, measure24) == ["one", "", "two"]
    lines = wrap_text(f"see {LONG_WORD} now", 300, measure24)
    assert lines[0] == "see" and lines[-1].split()[-1] == "now"
    assert "".join(lines[1:])[: len(LONG_WORD)] == LONG_WORD
    assert all(measure24(line) <= 300 for line in lines)


def test_wrap_prefers_breaking_urls_after_a_separator() -> None:
    lines = wrap_text(URL, 250, measure24)
    assert "".join(lines) == URL
    assert all(line[-1] in "/?&=" for line in lines[:-1])


@pytest.mark.parametrize("width", [40, 97, 150, 301, 555])
def test_wrap_never_exceeds_the_width(width: int) -> None:
    text = f"{LONG} {LONG_WORD} {URL} a b c"
    lines = wrap_text(text, width, measure24)
    assert all(measure24(line) <= width for line in lines)
    assert squash(" ".join(lines)) == squash(text)


def test_wrap_with_a_width_per_line() -> None:
    lines = wrap_text(LONG, lambda i: 200 if i % 2 else 400, measure24)
    assert all(measure24(line) <= (200 if i % 2 else 400) for i, line in enumerate(lines))
    assert any(measure24(line) > 200 for line in lines[::2])


def test_wrap_falls_back_to_whole_line_measures_for_other_measures() -> None:
    # A measure that is not the sum of its parts (each line costs 10 px extra).
    def padded(text: str) -> float:
        return len(text) * 10 + 10.0

    lines = wrap_text("aa bb cc dd ee ff", 60, padded)
    assert lines == ["aa bb", "cc dd", "ee ff"]


def test_text_width_is_pillows_measure_of_what_is_drawn() -> None:
    samples = [SHORT, LONG[:200], URL, "WAVE Ta To", "ﬁne “quotes” …", "Grüße – 東京 ×"]
    for size in (16, 21, 24, 28, 30):
        font = hud_font(size)
        for text in samples:
            assert text_width(text, size) == font.getlength(displayable(text))


def test_displayable_maps_what_the_font_lacks() -> None:
    assert displayable("hello") == "hello"
    assert displayable("Grüße – “hi” • café") == "Grusse - “hi” · cafe"
    assert displayable("東京\x07") == "??"
    assert displayable("a\u00a0b\u200bc") == "a bc"


def test_font_metrics_and_profiles() -> None:
    metrics = font_metrics(28)
    assert metrics.height_px == metrics.ascent_px + metrics.descent_px > 28
    g1 = get_profile("g1")
    assert g1.max_lines == 5 and g1.rows == 5 and 40 <= g1.cols <= 55
    for profile in PROFILES.values():
        assert len(profile.palette) == profile.colours and profile.palette[0] == (0, 0, 0)
        assert 200 <= profile.min_update_interval_ms <= 250
        assert profile.additive
        assert profile.dim_after_s and profile.timeout_s and profile.dim_after_s < profile.timeout_s
    assert get_profile("frame").colours == 16 and get_profile("g2").antialias
    with pytest.raises(ValueError, match="unknown display profile 'x'"):
        get_profile("x")
    with pytest.raises(ValueError, match="palette has 2 colours, profile says 3"):
        DisplayProfile("bad", 100, 100, 3)


# --------------------------------------------------------------------------------------------
# Raster and SVG


def rgb(image: Image.Image) -> np.ndarray:
    return np.asarray(image.convert("RGB")).astype(np.int32)


@pytest.mark.parametrize("name", PROFILE_NAMES)
def test_raster_is_the_display_size_in_palette_colours(name: str) -> None:
    profile = PROFILES[name]
    card = Card(title="Downloading", body="maps of Berlin", layout="progress", progress=0.3)
    image = render_image(card, profile)
    assert image.size == (profile.width_px, profile.height_px) and image.mode == "RGB"
    pixels = rgb(image)
    colours = {tuple(c) for c in pixels.reshape(-1, 3)}
    assert colours <= set(profile.palette) and len(colours) > 1
    margin = profile.margin_px
    lit = pixels.max(axis=2) > 0
    assert not lit[:margin].any() and not lit[-margin:].any()
    assert not lit[:, :margin].any() and not lit[:, -margin:].any()
    png = Image.open(io.BytesIO(render_png(card, profile)))
    assert (rgb(png) == pixels).all()
    assert render_image(None, profile).getbbox() is None


def test_raster_preview_adds_the_hud_to_the_world() -> None:
    profile = get_profile("frame")
    card = Card(title="Exit", body="to the left")
    rng = np.random.default_rng(3)
    world = rng.integers(0, 100, (480, 640, 3), dtype=np.uint8)  # BGR, 4:3
    hud = rgb(render_image(card, profile))
    seen = rgb(render_image(card, profile, background=world))
    # The camera frame is cropped to 16:10 and resized: a pixel where the HUD is black shows it.
    expected_world = np.asarray(
        Image.fromarray(world[:, :, ::-1][40:440]).resize((640, 400), Image.Resampling.BILINEAR)
    ).astype(np.int32)
    dark = hud.max(axis=2) == 0
    assert np.abs(seen[dark] - expected_world[dark]).mean() < 3
    assert (seen >= hud).all()  # additive: light only adds
    dim = rgb(render_image(card, profile, brightness=0.5))
    assert dim.max() == round(255 * 0.5)
    with pytest.raises(ValueError, match="brightness"):
        render_image(card, profile, brightness=2)


def test_svg_is_pixel_true_and_readable() -> None:
    profile = get_profile("g2")
    card = Card(title="QR <code>", body="a & b")
    svg = render_svg(card, profile)
    root = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    assert (root.get("width"), root.get("height")) == ("576", "288")
    assert root.findtext(f"{ns}desc") == "QR <code>\na & b"
    texts = [t.text for t in root.iter(f"{ns}text")]
    assert texts == ["QR <code>", "a & b"]
    image = root.find(f"{ns}image")
    assert image is not None and "pixelated" in (image.get("style") or "")
    href = image.get("href") or ""
    png = base64.b64decode(href.removeprefix("data:image/png;base64,"))
    assert (rgb(Image.open(io.BytesIO(png))) == rgb(render_image(card, profile))).all()
