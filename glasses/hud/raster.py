"""The raster renderer: a page as the display's pixels, or as the wearer sees it over the world.

Every pixel is a colour of the profile's palette. Text is drawn with the HUD font; on a display
whose palette is a brightness ramp (``profile.antialias``) glyph edges take intermediate levels,
on any other it is thresholded to one colour per pixel, as such a display would show it.

``background`` (an H×W×3 uint8 BGR image, as in ``VideoFrame.image``, or H×W grey) previews the
see-through view: it is scaled to cover the display (cropped to its aspect ratio) and the HUD is
added to it, so black is transparent on an additive display; on a non-additive one lit pixels
replace the background.
"""

from __future__ import annotations

import io

import cv2
import numpy as np
from PIL import Image, ImageDraw

from glasses.hud.font import displayable, hud_font
from glasses.hud.layout import Box, HudPage, layout_card
from glasses.hud.profile import DisplayProfile
from glasses.runtime.events import Card


def render_indices(page: HudPage | Card | None, profile: DisplayProfile) -> np.ndarray:
    """The page as an H×W uint8 array of palette indices (0 = off)."""
    page = _as_page(page, profile)
    h, w = profile.height_px, profile.width_px
    out = np.zeros((h, w), dtype=np.uint8)
    for box in page.boxes:
        _draw_box(out, box)
    for run in page.runs:
        text = displayable(run.text)
        if not text.strip():
            continue
        font = hud_font(run.size_px)
        pad = run.size_px  # ink may overhang the line box (accents, bearings)
        canvas = Image.new("L", (run.width_px + 2 * pad, run.height_px + 2 * pad), 0)
        ImageDraw.Draw(canvas).text((pad, pad), text, fill=255, font=font, anchor="la")
        cover = np.asarray(canvas)
        x0, y0 = run.x_px - pad, run.y_px - pad
        # Clip the canvas to the display.
        cx0, cy0 = max(0, -x0), max(0, -y0)
        cx1 = min(cover.shape[1], w - x0)
        cy1 = min(cover.shape[0], h - y0)
        if cx1 <= cx0 or cy1 <= cy0:
            continue
        cover = cover[cy0:cy1, cx0:cx1]
        target = out[y0 + cy0 : y0 + cy1, x0 + cx0 : x0 + cx1]
        if profile.antialias:
            level = ((cover.astype(np.uint16) * run.colour + 127) // 255).astype(np.uint8)
            np.maximum(target, level, out=target)
        else:
            target[cover >= 128] = run.colour
    return out


def render_image(
    page: HudPage | Card | None,
    profile: DisplayProfile,
    *,
    background: np.ndarray | None = None,
    brightness: float = 1.0,
) -> Image.Image:
    """The page as an RGB image of exactly ``width_px × height_px``.

    ``brightness`` (0..1) scales the HUD's light (a dimmed display); ``background`` previews
    the view through the glasses (see the module doc).
    """
    if not 0.0 <= brightness <= 1.0:
        raise ValueError(f"brightness must be within 0..1, got {brightness}")
    indices = render_indices(page, profile)
    hud = _palette_array(profile)[indices]
    if brightness != 1.0:
        hud = (hud.astype(np.float32) * brightness + 0.5).astype(np.uint8)
    if background is None:
        return Image.fromarray(hud)
    world = _fit_background(background, profile)
    if profile.additive:
        out = np.minimum(world.astype(np.uint16) + hud, 255).astype(np.uint8)
    else:
        out = np.where((indices > 0)[..., None], hud, world)
    return Image.fromarray(out)


def render_png(
    page: HudPage | Card | None,
    profile: DisplayProfile,
    *,
    background: np.ndarray | None = None,
    brightness: float = 1.0,
) -> bytes:
    """``render_image`` as PNG bytes; a plain page is stored palette-indexed (1 or 4 bits)."""
    buf = io.BytesIO()
    if background is None and brightness == 1.0:
        indices = render_indices(page, profile)
        image = Image.frombytes("P", (profile.width_px, profile.height_px), indices.tobytes())
        image.putpalette([c for rgb in profile.palette for c in rgb])
        image.save(buf, format="PNG")
    else:
        render_image(page, profile, background=background, brightness=brightness).save(
            buf, format="PNG"
        )
    return buf.getvalue()


def _as_page(page: HudPage | Card | None, profile: DisplayProfile) -> HudPage:
    if isinstance(page, HudPage):
        return page
    return layout_card(page, profile)[0]


def _palette_array(profile: DisplayProfile) -> np.ndarray:
    table = np.zeros((256, 3), dtype=np.uint8)
    table[: len(profile.palette)] = np.array(profile.palette, dtype=np.uint8)
    return table


def _draw_box(out: np.ndarray, box: Box) -> None:
    h, w = out.shape
    x0, y0 = max(0, box.x_px), max(0, box.y_px)
    x1, y1 = min(w, box.x_px + box.w_px), min(h, box.y_px + box.h_px)
    if x1 <= x0 or y1 <= y0:
        return
    if box.filled:
        out[y0:y1, x0:x1] = box.colour
        return
    s = box.stroke_px
    out[y0 : min(y1, y0 + s), x0:x1] = box.colour
    out[max(y0, y1 - s) : y1, x0:x1] = box.colour
    out[y0:y1, x0 : min(x1, x0 + s)] = box.colour
    out[y0:y1, max(x0, x1 - s) : x1] = box.colour


def _fit_background(image: np.ndarray, profile: DisplayProfile) -> np.ndarray:
    """``image`` (BGR or grey) as RGB, cropped to the display's aspect ratio and resized to it."""
    if image.ndim == 2:
        image = cv2.cvtColor(image, cv2.COLOR_GRAY2RGB)
    elif image.ndim == 3 and image.shape[2] == 3:
        image = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
    else:
        raise ValueError(f"background must be H×W×3 (BGR) or H×W, got shape {image.shape}")
    if image.dtype != np.uint8:
        raise ValueError(f"background must be uint8, got {image.dtype}")
    h, w = image.shape[:2]
    tw, th = profile.width_px, profile.height_px
    if w * th > h * tw:  # wider than the display: crop the sides
        cw = max(1, round(h * tw / th))
        x = (w - cw) // 2
        image = image[:, x : x + cw]
    else:
        ch = max(1, round(w * th / tw))
        y = (h - ch) // 2
        image = image[y : y + ch]
    shrinking = image.shape[1] > tw
    interpolation = cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR
    return cv2.resize(image, (tw, th), interpolation=interpolation)
