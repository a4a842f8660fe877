"""Display profiles of real glasses: the pixel canvas, palette and type size a HUD card must fit.

A profile is everything the layout and the renderers need to know about one display: its size in
px, its colours (``palette``; index 0 is always black, which an additive see-through display shows
as transparent), the HUD font size and spacing, and how the display behaves over time (how often
it may be updated, when it dims and when it turns off).
"""

from __future__ import annotations

from dataclasses import dataclass

Colour = tuple[int, int, int]
"""An sRGB colour, each channel 0..255."""

BLACK: Colour = (0, 0, 0)
# The green of green micro-LED / waveguide displays (about 525 nm), as sRGB.
HUD_GREEN: Colour = (48, 255, 96)


def ramp(colour: Colour, levels: int) -> tuple[Colour, ...]:
    """``levels`` brightness levels of one colour: index 0 black, the last index ``colour``."""
    if levels < 2:
        raise ValueError(f"a ramp needs at least 2 levels, got {levels}")
    top = levels - 1
    return tuple(
        (round(colour[0] * k / top), round(colour[1] * k / top), round(colour[2] * k / top))
        for k in range(levels)
    )


# Brilliant Labs Frame's default palette (the names of its SDK: VOID, WHITE, GREY, RED, PINK,
# DARKBROWN, BROWN, ORANGE, YELLOW, DARKGREEN, GREEN, LIGHTGREEN, NIGHTBLUE, SEABLUE, SKYBLUE,
# CLOUDBLUE); the values are Arne's 16-colour palette, which that default follows.
FRAME_PALETTE: tuple[Colour, ...] = (
    (0, 0, 0),
    (255, 255, 255),
    (157, 157, 157),
    (190, 38, 51),
    (224, 111, 139),
    (73, 60, 43),
    (164, 100, 34),
    (235, 137, 49),
    (247, 226, 107),
    (47, 72, 78),
    (68, 137, 26),
    (163, 206, 39),
    (27, 38, 50),
    (0, 87, 132),
    (49, 162, 242),
    (178, 220, 239),
)

MONO_GREEN: tuple[Colour, ...] = ramp(HUD_GREEN, 2)


@dataclass(frozen=True, slots=True)
class DisplayProfile:
    """A glasses display. Sizes in px, times in s (``min_update_interval_ms`` in ms).

    ``palette``: the display's colours (``colours`` of them); index 0 is black (off).
    ``fg``, ``accent``, ``muted``: palette indices of body text, of titles and progress fills,
    and of secondary marks (page numbers, frames, dividers, progress tracks).
    ``antialias``: the palette is a brightness ramp of one hue (index ∝ brightness), so glyph
    edges take intermediate levels; otherwise each pixel is one palette colour or off (text is
    thresholded, 1 bit per pixel).
    ``additive``: a see-through display that adds light: black shows the world behind it.
    ``font_px``: HUD font size; ``line_spacing_px``: gap between two lines' boxes; ``margin_px``:
    blank border on every side (nothing is drawn in it).
    ``dim_after_s`` / ``timeout_s``: seconds without an update after which the display dims /
    turns off (None: never).
    """

    name: str
    width_px: int
    height_px: int
    colours: int
    palette: tuple[Colour, ...] = MONO_GREEN
    fg: int = 1
    accent: int = 1
    muted: int = 1
    font_px: int = 24
    line_spacing_px: int = 6
    margin_px: int = 16
    antialias: bool = False
    additive: bool = True
    min_update_interval_ms: int = 200
    dim_after_s: float | None = 10.0
    timeout_s: float | None = 30.0
    description: str = ""

    def __post_init__(self) -> None:
        if self.width_px < 1 or self.height_px < 1:
            raise ValueError(f"{self.name}: display size must be positive")
        if len(self.palette) != self.colours or not 2 <= self.colours <= 256:
            raise ValueError(
                f"{self.name}: palette has {len(self.palette)} colours, profile says {self.colours}"
            )
        if self.palette[0] != BLACK:
            raise ValueError(f"{self.name}: palette index 0 must be black (the display off)")
        for role in ("fg", "accent", "muted"):
            index = getattr(self, role)
            if not 1 <= index < self.colours:
                raise ValueError(
                    f"{self.name}: {role} must be a palette index in 1..{self.colours - 1}"
                )
        if self.font_px < 6 or self.line_spacing_px < 0:
            raise ValueError(f"{self.name}: font_px must be ≥ 6 and line_spacing_px ≥ 0")
        if min(self.width_px, self.height_px) <= 2 * self.margin_px or self.margin_px < 0:
            raise ValueError(f"{self.name}: margins leave no room to draw")
        if self.max_lines < 1:
            raise ValueError(f"{self.name}: not one line of {self.font_px} px text fits")

    @property
    def content_width_px(self) -> int:
        """Width inside the margins: the longest a line may measure."""
        return self.width_px - 2 * self.margin_px

    @property
    def content_height_px(self) -> int:
        return self.height_px - 2 * self.margin_px

    @property
    def small_font_px(self) -> int:
        """The size of secondary text (toasts, page numbers)."""
        return max(6, round(self.font_px * 0.8))

    @property
    def stroke_px(self) -> int:
        """Width of frames, dividers and progress tracks."""
        return max(1, self.font_px // 12)

    @property
    def line_height_px(self) -> int:
        """Line pitch: one line's box (font ascent + descent) plus the spacing."""
        from glasses.hud.font import font_metrics

        return font_metrics(self.font_px).height_px + self.line_spacing_px

    @property
    def max_lines(self) -> int:
        """How many ``font_px`` lines fit between the top and bottom margins."""
        return (self.content_height_px + self.line_spacing_px) // self.line_height_px

    @property
    def rows(self) -> int:
        """Lines of body text per page: ``max_lines``."""
        return self.max_lines

    @property
    def cols(self) -> int:
        """About how many characters of ordinary text fit a line (for summaries only: the
        layout wraps by measured px, so a line of wide letters holds fewer)."""
        from glasses.hud.font import text_width

        sample = "the quick brown fox jumps over a lazy dog "
        return int(self.content_width_px // (text_width(sample, self.font_px) / len(sample)))

    def rgb(self, index: int) -> Colour:
        return self.palette[index]

    @property
    def fg_rgb(self) -> Colour:
        return self.palette[self.fg]


PROFILES: dict[str, DisplayProfile] = {
    p.name: p
    for p in (
        DisplayProfile(
            "frame",
            640,
            400,
            16,
            palette=FRAME_PALETTE,
            fg=1,  # WHITE
            accent=14,  # SKYBLUE
            muted=2,  # GREY
            font_px=28,
            line_spacing_px=6,
            margin_px=16,
            min_update_interval_ms=200,
            dim_after_s=10.0,
            timeout_s=30.0,
            description="640×400 16-colour OLED (Brilliant Labs Frame class)",
        ),
        DisplayProfile(
            "g1",
            640,
            200,
            2,
            palette=MONO_GREEN,
            font_px=26,
            line_spacing_px=4,
            margin_px=10,
            min_update_interval_ms=250,
            dim_after_s=6.0,
            timeout_s=15.0,
            description="640×200 monochrome green, 5 lines (Even Realities G1 class)",
        ),
        DisplayProfile(
            "g2",
            576,
            288,
            16,
            palette=ramp(HUD_GREEN, 16),
            fg=12,
            accent=15,
            muted=8,
            font_px=24,
            line_spacing_px=5,
            margin_px=12,
            antialias=True,
            min_update_interval_ms=200,
            dim_after_s=8.0,
            timeout_s=20.0,
            description="576×288, 16 greens (Even Realities G2 class)",
        ),
        DisplayProfile(
            "z100",
            640,
            480,
            2,
            palette=MONO_GREEN,
            font_px=30,
            line_spacing_px=6,
            margin_px=20,
            min_update_interval_ms=250,
            dim_after_s=10.0,
            timeout_s=30.0,
            description="640×480 monochrome green (Vuzix Z100 class)",
        ),
    )
}

DEFAULT_PROFILE = "frame"


def get_profile(name: str) -> DisplayProfile:
    try:
        return PROFILES[name]
    except KeyError:
        known = ", ".join(sorted(PROFILES))
        raise ValueError(f"unknown display profile {name!r}; known profiles: {known}") from None
