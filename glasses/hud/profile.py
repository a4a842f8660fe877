"""Display profiles of real glasses: the pixel canvas a HUD card must fit."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class DisplayProfile:
    """A glasses display. Sizes in px; ``cell_w_px``/``line_h_px`` are the nominal text cell.

    ``cols`` and ``rows`` follow from the cell size; the pixel-exact wrapper (HUD issue) will
    replace this cell approximation with measured glyph widths.
    """

    name: str
    width_px: int
    height_px: int
    colours: int
    cell_w_px: int = 16
    line_h_px: int = 32
    min_update_interval_ms: int = 200
    description: str = ""

    @property
    def cols(self) -> int:
        return self.width_px // self.cell_w_px

    @property
    def rows(self) -> int:
        return self.height_px // self.line_h_px


PROFILES: dict[str, DisplayProfile] = {
    p.name: p
    for p in (
        DisplayProfile(
            "frame", 640, 400, 16, description="640×400 16-colour OLED (Brilliant Labs Frame class)"
        ),
        DisplayProfile(
            "g1",
            640,
            200,
            2,
            cell_w_px=16,
            line_h_px=40,
            description="640×200 monochrome green, 5 lines (Even Realities G1 class)",
        ),
        DisplayProfile(
            "g2",
            576,
            288,
            16,
            cell_w_px=16,
            line_h_px=36,
            description="576×288, 16 greens (Even Realities G2 class)",
        ),
        DisplayProfile("z100", 640, 480, 2, description="640×480 monochrome (Vuzix Z100 class)"),
    )
}

DEFAULT_PROFILE = "frame"


def get_profile(name: str) -> DisplayProfile:
    try:
        return PROFILES[name]
    except KeyError:
        known = ", ".join(sorted(PROFILES))
        raise ValueError(f"unknown display profile {name!r}; known profiles: {known}") from None
