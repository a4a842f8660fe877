"""Device-neutral HUD: display profiles, layouts and renderers.

``layout_card`` lays a ``Card`` out on a ``DisplayProfile`` as pages of text runs and boxes in
px; the renderers draw a page as plain text (``render_text``, what expectations read), pixels
(``render_image``/``render_png``), a reviewable SVG (``render_svg``) or terminal cells
(``glasses.hud.widget.HudView``, imported from there so that Textual loads only when needed).
"""

from glasses.hud.font import displayable, font_metrics, hud_font, text_width
from glasses.hud.layout import Box, HudPage, TextRun, layout_card
from glasses.hud.profile import DEFAULT_PROFILE, PROFILES, DisplayProfile, get_profile
from glasses.hud.raster import render_image, render_png
from glasses.hud.stage import HudStage
from glasses.hud.svg import render_svg
from glasses.hud.text import render_text
from glasses.hud.wrap import wrap_text

__all__ = [
    "DEFAULT_PROFILE",
    "PROFILES",
    "Box",
    "DisplayProfile",
    "HudPage",
    "HudStage",
    "TextRun",
    "displayable",
    "font_metrics",
    "get_profile",
    "hud_font",
    "layout_card",
    "render_image",
    "render_png",
    "render_svg",
    "render_text",
    "text_width",
    "wrap_text",
]
