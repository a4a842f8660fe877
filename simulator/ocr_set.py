"""A harder generated OCR set: signs, menus and labels in real TrueType faces, photographed badly.

Each sample is a 640×480 BGR frame with its ground-truth lines in reading order. The text is
set with Pillow in one of the DejaVu faces (sans, bold, oblique, serif, mono, condensed), on a
coloured panel (dark on light or light on dark), which is then:

1. placed with a perspective warp (the panel's corners jittered, as seen off-axis),
2. lit unevenly (a linear brightness gradient across the frame),
3. smeared by a short motion blur (a line kernel at a random angle),
4. given sensor noise, and
5. re-encoded as JPEG at quality 35–80.

Everything is deterministic given ``(seed, index)``: ``sample(i, seed=s)`` is always the same
array. ``calibration_set`` and ``validation_set`` use disjoint seeds.

Fonts: the DejaVu TTFs come from the ``rinoh-typeface-dejavu*`` wheels (installed by
``make setup`` with ``--no-deps``: their ``rinohtype`` dependency is a document processor we
never import) or, failing those, the system's ``/usr/share/fonts/truetype/dejavu`` (Debian
``fonts-dejavu-core``/``-extra``). ``FontsMissing`` says how to get them.
"""

from __future__ import annotations

import importlib.util
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

WIDTH, HEIGHT = 640, 480
CALIBRATION_SEED = 1_000
VALIDATION_SEED = 0

# The six faces of the set: file names as the DejaVu distribution spells them.
FACES: tuple[str, ...] = (
    "DejaVuSans.ttf",
    "DejaVuSans-Bold.ttf",
    "DejaVuSans-Oblique.ttf",
    "DejaVuSerif.ttf",
    "DejaVuSansMono.ttf",
    "DejaVuSansCondensed.ttf",
)
_FONT_PACKAGES = (
    "rinoh_typeface_dejavusans",
    "rinoh_typeface_dejavuserif",
    "rinoh_typeface_dejavusansmono",
)
SYSTEM_FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FONT_FIX = (
    "make setup (installs the rinoh-typeface-dejavusans, -dejavuserif and -dejavusansmono "
    "wheels with --no-deps), or apt-get install fonts-dejavu-core fonts-dejavu-extra"
)

_SIGNS = (
    "EMERGENCY EXIT",
    "Platform 4",
    "No parking",
    "Keep door closed",
    "Staff only",
    "Push to open",
    "Lift out of order",
    "Way out",
    "Toilets",
    "Please wait here",
    "Mind the step",
    "Fire assembly point",
    "Reception",
    "Bus stop 27",
    "Gate B12",
    "Quiet zone",
)
_SIGN_SUBS = (
    "Use stairs",
    "Thank you",
    "Mon-Fri 9am-5pm",
    "Level 2",
    "Cameras in use",
    "Turn left",
    "Open 24 hours",
    "Next train 5 min",
)
_MENU_ITEMS = (
    "Coffee",
    "Tea",
    "Flat white",
    "Hot chocolate",
    "Orange juice",
    "Croissant",
    "Soup of the day",
    "Cheese toastie",
    "Green salad",
    "Apple pie",
    "Water",
    "Bagel",
)
_LABEL_NAMES = ("Oat milk", "Basmati rice", "Olive oil", "Rye bread", "Tomato soup", "Honey")


@dataclass(frozen=True, slots=True)
class OcrSample:
    """One frame (``HEIGHT``×``WIDTH``×3 uint8 BGR) and what is written on it.

    ``lines``: the ground-truth text lines in reading order. ``kind``: sign, menu or label.
    ``face``: the font file's name. ``seed`` and ``index``: what generated it.
    """

    image: np.ndarray
    lines: tuple[str, ...]
    kind: str
    face: str
    seed: int
    index: int


class FontsMissing(RuntimeError):
    """The DejaVu TTF files are not installed; the message names the fix."""


def font_paths() -> dict[str, Path]:
    """Each of ``FACES`` → its file: from the font wheels, else the system directory.

    Raises ``FontsMissing`` naming the faces not found and how to install them.
    """
    dirs: list[Path] = []
    for package in _FONT_PACKAGES:
        # find_spec does not import the package (its __init__ imports rinohtype).
        spec = importlib.util.find_spec(package)
        if spec is not None and spec.submodule_search_locations:
            dirs += [Path(p) for p in spec.submodule_search_locations]
    dirs.append(SYSTEM_FONT_DIR)
    found: dict[str, Path] = {}
    for face in FACES:
        for d in dirs:
            if (d / face).is_file():
                found[face] = d / face
                break
    missing = [f for f in FACES if f not in found]
    if missing:
        raise FontsMissing(f"DejaVu fonts missing ({', '.join(missing)}); fix: {FONT_FIX}")
    return found


_FONT_CACHE: dict[tuple[Path, int], ImageFont.FreeTypeFont] = {}


def _font(path: Path, size: int) -> ImageFont.FreeTypeFont:
    key = (path, size)
    if key not in _FONT_CACHE:
        _FONT_CACHE[key] = ImageFont.truetype(str(path), size)
    return _FONT_CACHE[key]


def sample(index: int, *, seed: int = VALIDATION_SEED) -> OcrSample:
    """The ``index``-th sample of the set seeded ``seed`` (deterministic)."""
    rng = np.random.default_rng([seed, index])
    fonts = font_paths()
    face = FACES[index % len(FACES)]
    kind = ("sign", "menu", "label")[int(rng.integers(3))]
    lines = _text(kind, rng)
    image = _render(lines, fonts[face], rng)
    return OcrSample(image, lines, kind, face, seed, index)


def generate(n: int, *, seed: int = VALIDATION_SEED) -> list[OcrSample]:
    """Samples ``0..n-1`` of the set seeded ``seed``."""
    return [sample(i, seed=seed) for i in range(n)]


def calibration_set(n: int) -> list[OcrSample]:
    """Frames for quantization calibration; disjoint from ``validation_set``."""
    return generate(n, seed=CALIBRATION_SEED)


def validation_set(n: int) -> list[OcrSample]:
    """Frames for accuracy figures (the bench and the quantization report)."""
    return generate(n, seed=VALIDATION_SEED)


# --------------------------------------------------------------------------------------------
# Scoring


@dataclass(frozen=True, slots=True)
class OcrScore:
    """``lines``: ground-truth lines; ``exact``: how many were read exactly (spaces and case
    included); ``char_errors``: edit distance between the ground truth and what was read (lines
    joined with newlines); ``chars``: ground-truth characters."""

    lines: int = 0
    exact: int = 0
    char_errors: int = 0
    chars: int = 0

    def __add__(self, other: OcrScore) -> OcrScore:
        return OcrScore(
            self.lines + other.lines,
            self.exact + other.exact,
            self.char_errors + other.char_errors,
            self.chars + other.chars,
        )

    @property
    def line_exact(self) -> float:
        """Fraction of ground-truth lines read exactly (0..1)."""
        return self.exact / self.lines if self.lines else 0.0

    @property
    def cer(self) -> float:
        """Character error rate (0 = perfect; can exceed 1)."""
        return self.char_errors / self.chars if self.chars else 0.0


def score(truth: Sequence[str], read: Sequence[str]) -> OcrScore:
    """Compare the lines read with the ground truth: each truth line counts as exact when an
    identical line was read (each read line matches once)."""
    pool = list(read)
    exact = 0
    for line in truth:
        if line in pool:
            pool.remove(line)
            exact += 1
    want, got = "\n".join(truth), "\n".join(read)
    return OcrScore(len(truth), exact, edit_distance(want, got), len(want))


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance (insertions, deletions, substitutions each cost 1)."""
    if len(a) < len(b):
        a, b = b, a
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        cur = [i]
        for j, cb in enumerate(b, start=1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


# --------------------------------------------------------------------------------------------
# Text


def _text(kind: str, rng: np.random.Generator) -> tuple[str, ...]:
    if kind == "sign":
        first = str(rng.choice(_SIGNS))
        if rng.random() < 0.5:
            return (first,)
        return (first, str(rng.choice(_SIGN_SUBS)))
    if kind == "menu":
        n = int(rng.integers(3, 5))
        items = rng.choice(len(_MENU_ITEMS), size=n, replace=False)
        prices = [f"{int(rng.integers(1, 9))}.{int(rng.integers(0, 20)) * 5:02d}" for _ in items]
        return ("MENU", *(f"{_MENU_ITEMS[i]} {p}" for i, p in zip(items, prices, strict=True)))
    name = str(rng.choice(_LABEL_NAMES))
    day, month = int(rng.integers(1, 29)), int(rng.integers(1, 13))
    grams = int(rng.integers(1, 20)) * 50
    return (name, f"Best before {day:02d}/{month:02d}/2027", f"Net wt {grams} g")


# --------------------------------------------------------------------------------------------
# Rendering


def _render(lines: Sequence[str], font_path: Path, rng: np.random.Generator) -> np.ndarray:
    dark_on_light = rng.random() < 0.7
    hue = rng.integers(0, 256, 3)
    if dark_on_light:
        panel_rgb = tuple(int(v) for v in 200 + hue % 56)
        ink_rgb = tuple(int(v) for v in hue % 60)
    else:
        panel_rgb = tuple(int(v) for v in 20 + hue % 90)
        ink_rgb = tuple(int(v) for v in 225 + hue % 31)
    size = int(rng.integers(30, 48))
    panel = _panel(lines, _font(font_path, size), panel_rgb, ink_rgb)

    # Scale the panel to span 35-85 % of the frame's width (and fit the height).
    ph, pw = panel.shape[:2]
    span = rng.uniform(0.35, 0.85) * WIDTH
    factor = min(span / pw, 0.85 * HEIGHT / ph)
    w, h = pw * factor, ph * factor
    cx = WIDTH / 2 + rng.uniform(-1, 1) * (WIDTH - w) / 2 * 0.8
    cy = HEIGHT / 2 + rng.uniform(-1, 1) * (HEIGHT - h) / 2 * 0.8
    angle = np.deg2rad(rng.uniform(-8, 8))
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    corners = np.array([[-w, -h], [w, -h], [w, h], [-w, h]]) / 2 @ rot.T + [cx, cy]
    jitter = rng.uniform(-0.07, 0.07, (4, 2)) * [w, h]
    dst = (corners + jitter).astype(np.float32)
    src = np.array([[0, 0], [pw, 0], [pw, ph], [0, ph]], np.float32)
    matrix = cv2.getPerspectiveTransform(src, dst)

    frame = _background(rng)
    warped = cv2.warpPerspective(panel, matrix, (WIDTH, HEIGHT), flags=cv2.INTER_AREA)
    mask = cv2.warpPerspective(
        np.full((ph, pw), 255, np.uint8), matrix, (WIDTH, HEIGHT), flags=cv2.INTER_AREA
    )
    alpha = mask[:, :, None].astype(np.float32) / 255.0
    out = frame * (1 - alpha) + warped.astype(np.float32) * alpha

    # Uneven light: brightness from lo to hi along a random direction.
    lo, hi = rng.uniform(0.55, 0.85), rng.uniform(1.0, 1.2)
    theta = rng.uniform(0, 2 * np.pi)
    yy, xx = np.mgrid[0:HEIGHT, 0:WIDTH].astype(np.float32)
    t = (np.cos(theta) * xx / WIDTH + np.sin(theta) * yy / HEIGHT + 1) / 2
    out *= (lo + (hi - lo) * t)[:, :, None]

    blurred: np.ndarray = cv2.filter2D(out.astype(np.float32), -1, _motion_kernel(rng))
    noisy = blurred + rng.normal(0, rng.uniform(2, 6), blurred.shape)
    img = np.clip(np.rint(noisy), 0, 255).astype(np.uint8)
    quality = int(rng.integers(35, 81))
    ok, jpeg = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:  # pragma: no cover - OpenCV always encodes a valid uint8 image
        raise RuntimeError("JPEG encoding failed")
    decoded = cv2.imdecode(jpeg, cv2.IMREAD_COLOR)
    if decoded is None:  # pragma: no cover - we just encoded it
        raise RuntimeError("JPEG decoding failed")
    return np.asarray(decoded, np.uint8)


def _panel(
    lines: Sequence[str],
    font: ImageFont.FreeTypeFont,
    panel_rgb: tuple[int, ...],
    ink_rgb: tuple[int, ...],
) -> np.ndarray:
    """The panel as BGR uint8: lines centred, padded by half a line height."""
    ascent, descent = font.getmetrics()
    line_h = ascent + descent
    widths = [math.ceil(font.getbbox(line)[2]) for line in lines]
    pad = line_h // 2
    gap = line_h // 3
    w = max(widths) + 2 * pad
    h = line_h * len(lines) + gap * (len(lines) - 1) + 2 * pad
    img = Image.new("RGB", (w, h), tuple(panel_rgb))
    draw = ImageDraw.Draw(img)
    y = pad
    for line, lw in zip(lines, widths, strict=True):
        draw.text(((w - lw) // 2, y), line, font=font, fill=tuple(ink_rgb))
        y += line_h + gap
    return np.ascontiguousarray(np.asarray(img)[:, :, ::-1])


def _background(rng: np.random.Generator) -> np.ndarray:
    """A smooth, mottled background (wall, street): low-resolution noise scaled up."""
    base = rng.uniform(60, 200, 3)
    blobs = rng.normal(0, 25, (6, 8, 3)).astype(np.float32)
    texture = cv2.resize(blobs, (WIDTH, HEIGHT), interpolation=cv2.INTER_CUBIC)
    out: np.ndarray = np.clip(texture + base.astype(np.float32), 0, 255)
    return out


def _motion_kernel(rng: np.random.Generator) -> np.ndarray:
    """A normalised line kernel 1-7 px long at a random angle (hand or head motion)."""
    length = int(rng.integers(1, 8))
    size = 2 * (length // 2) + 1
    kernel = np.zeros((size, size), np.float32)
    angle = rng.uniform(0, np.pi)
    c = size // 2
    dx, dy = np.cos(angle) * length / 2, np.sin(angle) * length / 2
    cv2.line(kernel, (round(c - dx), round(c - dy)), (round(c + dx), round(c + dy)), 1.0, 1)
    kernel /= kernel.sum()
    return kernel
