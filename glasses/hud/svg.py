"""The SVG renderer: a pixel-true picture of a page that is still readable as text.

The picture is the PNG raster (``glasses.hud.raster``) embedded at the profile's size and drawn
``image-rendering: pixelated``, so it shows exactly the display's pixels at any zoom. The runs'
texts follow as transparent ``<text>`` elements at their positions (selectable, searchable), and
the whole page text is in ``<desc>``: a snapshot in git diffs as text.
"""

from __future__ import annotations

import base64
import re
from xml.sax.saxutils import escape, quoteattr

import numpy as np

from glasses.hud.layout import HudPage, layout_card
from glasses.hud.profile import DisplayProfile
from glasses.hud.raster import render_png
from glasses.runtime.events import Card


def render_svg(
    page: HudPage | Card | None,
    profile: DisplayProfile,
    *,
    background: np.ndarray | None = None,
    brightness: float = 1.0,
) -> str:
    """``page`` on ``profile`` as an SVG document of exactly ``width_px × height_px``."""
    if not isinstance(page, HudPage):
        page = layout_card(page, profile)[0]
    w, h = profile.width_px, profile.height_px
    png = render_png(page, profile, background=background, brightness=brightness)
    data = base64.b64encode(png).decode("ascii")
    title = f"glasses HUD: {profile.name} {w}×{h}, page {page.index + 1}/{page.count}"
    lines = [
        '<svg xmlns="http://www.w3.org/2000/svg" version="1.1" '
        f'width="{w}" height="{h}" viewBox="0 0 {w} {h}">',
        f"<title>{escape(title)}</title>",
        f"<desc>{_xml_text(page.text)}</desc>",
        f'<image x="0" y="0" width="{w}" height="{h}" style="image-rendering: pixelated" '
        f'href="data:image/png;base64,{data}"/>',
        '<g font-family="Aileron, sans-serif" fill="#000" fill-opacity="0">',
    ]
    for run in page.runs:
        if not run.text:
            continue
        lines.append(
            f'<text x="{run.x_px}" y="{run.baseline_px}" font-size="{run.size_px}" '
            f'textLength="{run.width_px}" data-role={quoteattr(run.role)} '
            f'xml:space="preserve">{_xml_text(run.text)}</text>'
        )
    lines += ["</g>", "</svg>", ""]
    return "\n".join(lines)


# Characters XML 1.0 cannot hold (C0 controls other than tab and newline, lone surrogates…).
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml_text(text: str) -> str:
    return escape(_NOT_XML.sub("\ufffd", text))
