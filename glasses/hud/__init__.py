"""Device-neutral HUD: display profiles, layouts and renderers."""

from glasses.hud.profile import DEFAULT_PROFILE, PROFILES, DisplayProfile, get_profile
from glasses.hud.stage import HudStage
from glasses.hud.text import render_text

__all__ = [
    "DEFAULT_PROFILE",
    "PROFILES",
    "DisplayProfile",
    "HudStage",
    "get_profile",
    "render_text",
]
