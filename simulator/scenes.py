"""Synthetic camera scenes for the simulator: QR codes, EAN-13, UPC-A, EAN-8 and Code 128
barcodes, DataMatrix and PDF417 symbols, text signs, images, synthetic faces.

QR codes are encoded by segno; the other codes by zxing-cpp's writer (the bar and module
patterns of each standard; its EAN-13 bars are those of the encoder we used to write by hand,
bit for bit on 2 000 random codes). Both only give modules: sizing, quiet zones, the lens
softening and the human-readable digits are drawn here.

Everything is deterministic given ``SceneSpec.seed``: the same spec always renders the same
array, so perception tests can assert on exact decode results without flakiness.

Rendering pipeline (all kinds): build the item as an upright grey patch at its final pixel size,
rotate and place it on a uniform background with one ``cv2.warpAffine``, then blur, then add
Gaussian noise (``face`` scenes draw their faces upright straight onto the background). Frames
are H×W×3 uint8 BGR, like ``VideoFrame.image``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import cv2
import numpy as np
import segno
import zxingcpp

from simulator.faces_drawing import draw_face

SceneKind = Literal[
    "qr", "ean13", "upca", "ean8", "code128", "datamatrix", "pdf417",
    "text", "image", "blank", "face",
]  # fmt: skip
_KINDS: tuple[str, ...] = (
    "qr", "ean13", "upca", "ean8", "code128", "datamatrix", "pdf417",
    "text", "image", "blank", "face",
)  # fmt: skip
_CODE_KINDS = ("qr", "ean13", "upca", "ean8", "code128", "datamatrix", "pdf417")

_MIN_SIDE_PX = 16
_QR_QUIET_MODULES = 4  # ISO/IEC 18004 minimum quiet zone
# EAN-13 quiet zones (GS1): 11 modules left of the start guard, 7 right of the end guard.
_EAN_QUIET_LEFT = 11
_EAN_QUIET_RIGHT = 7
_EAN_MODULES = 95  # 3 + 6×7 + 5 + 6×7 + 3
# The codes zxing-cpp encodes, with their quiet zones in modules (left/right, or all round for
# the 2-D ones): GS1 for UPC-A (9) and EAN-8 (7), ISO/IEC 15417 for Code 128 (10), ISO/IEC
# 16022 for DataMatrix (1; 2 drawn) and ISO/IEC 15438 for PDF417 (2).
_ZXING_FORMATS = {
    "ean13": zxingcpp.BarcodeFormat.EAN13,
    "upca": zxingcpp.BarcodeFormat.UPCA,
    "ean8": zxingcpp.BarcodeFormat.EAN8,
    "code128": zxingcpp.BarcodeFormat.Code128,
    "datamatrix": zxingcpp.BarcodeFormat.DataMatrix,
    "pdf417": zxingcpp.BarcodeFormat.PDF417,
}
_QUIET = {"upca": 9, "ean8": 7, "code128": 10, "datamatrix": 2, "pdf417": 2}
# GS1 digit counts without / with the check digit.
_RETAIL_DIGITS = {"ean13": 12, "upca": 11, "ean8": 7}
# cv2.barcode decodes perfectly sharp synthetic bars only at some scales and pixel phases; the
# slight softening any real lens adds makes it reliable. As a fraction of the module width:
# measured, 0.2–0.3 decodes every scale from 1.6 px/module up, 0.5 already fails below 3 px.
_EAN_SOFTEN_PER_MODULE = 0.3
_WHITE = 255
_INK = 0
# Smallest face drawn, px wide: below this draw_face's features merge into a blob. (The Haar
# detector finds draw_face faces from ~40 px; smaller ones are allowed, for "too small" tests.)
_MIN_FACE_PX = 8
_BACKGROUND = 200
_FACE_BACKGROUND = 128


@dataclass(frozen=True, slots=True)
class SceneSpec:
    """What to render.

    ``content``: the code's text (QR, Code 128, DataMatrix, PDF417), the digits of an EAN-13
    (12 or 13), UPC-A (11 or 12) or EAN-8 (7 or 8) without or with its check digit, sign text
    (``\\n`` splits lines) or an image path.
    ``scale``: fraction (0, 1] of the frame's shorter side spanned by the code symbol (excluding
    its quiet zone), by the text sign or by the face's width; ignored for ``image`` (fitted to
    the frame).
    ``rotate_deg``: in-plane rotation in degrees, counter-clockwise as seen in the frame.
    ``noise_sigma``: additive Gaussian noise, standard deviation in 8-bit grey levels.
    ``blur_sigma``: Gaussian blur sigma in px.
    ``center``: the item's centre as fractions of frame width and height.
    ``background``: grey level 0–255 of the background; codes sit on a white quiet zone. None:
    200 (a light wall), but 128 for ``face`` scenes (measured: on 200 the Haar detector missed
    up to 9 in 32 faces 0.16–0.24 of the frame wide, light skin on a light wall; on 128 none).
    ``seed``: seeds the noise generator.
    ``faces``: for ``face`` scenes, each face as (centre x, centre y, width): the centre in
    fractions of frame width and height, the width a fraction of the frame's shorter side. Empty:
    one face at ``center``, ``scale`` wide. Faces are synthetic (``draw_face``), drawn upright
    (``rotate_deg`` must be 0) and found by the Haar face detector from ~40 px wide.

    EAN-13 bars are always softened by a Gaussian of 0.3 module widths (a lens would do the
    same), on top of ``blur_sigma``: OpenCV's barcode reader misses perfectly sharp bars.
    """

    kind: SceneKind
    content: str = ""
    scale: float = 0.4
    rotate_deg: float = 0.0
    noise_sigma: float = 0.0
    blur_sigma: float = 0.0
    center: tuple[float, float] = (0.5, 0.5)
    background: int | None = None
    seed: int = 0
    faces: tuple[tuple[float, float, float], ...] = ()


class SceneError(ValueError):
    """A spec that cannot be rendered; the message names the offending value and the fix."""


def render_scene(spec: SceneSpec, width: int = 640, height: int = 480) -> np.ndarray:
    """Render ``spec`` into a ``height``×``width``×3 uint8 BGR frame (sizes in px)."""
    patch = _patch(spec, width, height)
    frame: np.ndarray
    if patch is None:
        frame = np.full((height, width, 3), _background(spec), dtype=np.uint8)
    else:
        frame = _place(patch, spec, width, height)
    if spec.kind == "face":
        for x, y, size in _face_list(spec):
            draw_face(
                frame, (round(x * width), round(y * height)), round(size * min(width, height))
            )
    if spec.blur_sigma > 0:
        frame = cv2.GaussianBlur(frame, (0, 0), sigmaX=spec.blur_sigma, sigmaY=spec.blur_sigma)
    if spec.noise_sigma > 0:
        frame = _add_noise(frame, spec.noise_sigma, spec.seed)
    return frame


_NOISE_ROWS = 32


def _add_noise(frame: np.ndarray, sigma: float, seed: int) -> np.ndarray:
    """``frame`` plus seeded Gaussian noise of ``sigma``, rounded and clipped to uint8, made
    ``_NOISE_ROWS`` rows at a time: the same values as drawing the whole frame's noise at once
    (the generator's stream is the same), without its 7 MB of float64 and the float32 copies
    beside it (a 640×480 scene took ~20 MB for a moment; it is drawn on a worker thread, and a
    moment it shared with a Whisper decode set the soak's peak)."""
    rng = np.random.default_rng(seed)
    out = np.empty_like(frame)
    for y in range(0, frame.shape[0], _NOISE_ROWS):
        rows = frame[y : y + _NOISE_ROWS]
        noisy = rng.normal(0.0, sigma, rows.shape).astype(np.float32)
        noisy += rows
        np.rint(noisy, out=noisy)
        np.clip(noisy, 0, 255, out=noisy)
        out[y : y + _NOISE_ROWS] = noisy
    return out


def check_scene(spec: SceneSpec, width: int = 640, height: int = 480) -> None:
    """Raise the ``SceneError`` that ``render_scene`` would, without rendering the frame: the
    spec's values, the code's content, the sign's text, the image file (read, then let go).
    Every error ``render_scene`` raises comes from these checks."""
    _patch(spec, width, height)


def _patch(spec: SceneSpec, width: int, height: int) -> np.ndarray | None:
    """The validated spec's item before placement (None: nothing but the background)."""
    _validate(spec, width, height)
    short_side = min(width, height)
    patch: np.ndarray | None
    if spec.kind == "qr":
        patch = _qr_patch(spec.content, spec.scale * short_side)
    elif spec.kind == "ean13":
        patch = _ean13_patch(spec.content, spec.scale * short_side)
    elif spec.kind in ("upca", "ean8", "code128"):
        patch = _bars_patch(spec.kind, spec.content, spec.scale * short_side)
    elif spec.kind in ("datamatrix", "pdf417"):
        patch = _matrix_patch(spec.kind, spec.content, spec.scale * short_side)
    elif spec.kind == "text":
        patch = _text_patch(spec.content, spec.scale * short_side)
    elif spec.kind == "image":
        patch = _fit(_read_image(spec.content), width, height)
    else:
        patch = None
    return patch


def ean13_checksum(digits12: str) -> int:
    """The EAN-13 check digit (0–9) for the first 12 digits: weights 1,3,1,3… from the left."""
    if len(digits12) != 12 or not digits12.isascii() or not digits12.isdigit():
        raise SceneError(f"EAN-13 checksum needs exactly 12 digits, got {digits12!r}")
    return gs1_check_digit(digits12)


def code_width_modules(kind: SceneKind, content: str) -> int:
    """How many modules wide the symbol of a code scene is (quiet zone excluded): with
    ``scale``, it sets the px per module (``scale · min(width, height) / modules``)."""
    if kind == "qr":
        return int(_qr_modules(content).shape[1])
    if kind not in _ZXING_FORMATS:
        raise SceneError(f"{kind} scenes hold no code; use one of {', '.join(_CODE_KINDS)}")
    text = _retail_digits(kind, content) if kind in _RETAIL_DIGITS else content
    return int(_modules(kind, text).shape[1])


def gs1_check_digit(digits: str) -> int:
    """The GS1 check digit (EAN-13, UPC-A, EAN-8) of ``digits``: weights 3,1,3… from the right."""
    total = sum(int(d) * (1 if i % 2 else 3) for i, d in enumerate(reversed(digits)))
    return (10 - total % 10) % 10


# --------------------------------------------------------------------------------------------
# Validation


def _validate(spec: SceneSpec, width: int, height: int) -> None:
    if spec.kind not in _KINDS:
        raise SceneError(f"unknown scene kind {spec.kind!r}; use one of {', '.join(_KINDS)}")
    if width < _MIN_SIDE_PX or height < _MIN_SIDE_PX:
        raise SceneError(
            f"frame size {width}×{height} px is too small; width and height must be >= "
            f"{_MIN_SIDE_PX}"
        )
    if not (0.0 < spec.scale <= 1.0):
        raise SceneError(f"scale {spec.scale!r} is out of range; use a fraction in (0, 1]")
    if not (spec.noise_sigma >= 0.0 and math.isfinite(spec.noise_sigma)):
        raise SceneError(f"noise_sigma {spec.noise_sigma!r} must be a finite value >= 0")
    if not (spec.blur_sigma >= 0.0 and math.isfinite(spec.blur_sigma)):
        raise SceneError(f"blur_sigma {spec.blur_sigma!r} must be a finite value >= 0")
    if not math.isfinite(spec.rotate_deg):
        raise SceneError(f"rotate_deg {spec.rotate_deg!r} must be finite")
    if len(spec.center) != 2 or not all(math.isfinite(c) for c in spec.center):
        raise SceneError(f"center {spec.center!r} must be two finite fractions (x, y)")
    if not (0 <= _background(spec) <= 255):
        raise SceneError(f"background {spec.background!r} must be a grey level in 0..255")
    if spec.kind == "face":
        _validate_faces(spec, min(width, height))
    elif spec.faces:
        raise SceneError(f"faces are only drawn in face scenes, not in a {spec.kind} scene")
    text_kinds = ("qr", "code128", "datamatrix", "pdf417", "text", "image")
    if spec.kind in text_kinds and not spec.content.strip():
        what = {"text": "the sign text", "image": "an image path"}.get(
            spec.kind, "the text to encode"
        )
        raise SceneError(f"{spec.kind} scene has empty content; set content to {what}")


def _background(spec: SceneSpec) -> int:
    if spec.background is not None:
        return spec.background
    return _FACE_BACKGROUND if spec.kind == "face" else _BACKGROUND


def _face_list(spec: SceneSpec) -> tuple[tuple[float, float, float], ...]:
    return spec.faces or ((spec.center[0], spec.center[1], spec.scale),)


def _validate_faces(spec: SceneSpec, short_side: int) -> None:
    if spec.rotate_deg != 0:
        raise SceneError(
            f"rotate_deg {spec.rotate_deg!r} is not supported in face scenes; faces are upright"
        )
    for i, face in enumerate(_face_list(spec)):
        if len(face) != 3 or not all(math.isfinite(v) for v in face):
            raise SceneError(f"face {i} {face!r} must be three finite numbers (x, y, width)")
        if not (0.0 < face[2] <= 1.0):
            raise SceneError(
                f"face {i} width {face[2]!r} is out of range; use a fraction in (0, 1]"
            )
        if round(face[2] * short_side) < _MIN_FACE_PX:
            raise SceneError(
                f"face {i} is {round(face[2] * short_side)} px wide, too small to draw; make it "
                f"at least {_MIN_FACE_PX} px ({_MIN_FACE_PX / short_side:.3f} of {short_side} px)"
            )


# --------------------------------------------------------------------------------------------
# Placement


def _place(patch: np.ndarray, spec: SceneSpec, width: int, height: int) -> np.ndarray:
    """Rotate ``patch`` (grey or BGR) about its centre and put that centre at ``spec.center``."""
    ph, pw = patch.shape[:2]
    # getRotationMatrix2D turns counter-clockwise for positive angles in image coordinates
    # (y down), which is what a viewer sees as counter-clockwise.
    matrix = cv2.getRotationMatrix2D((pw / 2.0, ph / 2.0), spec.rotate_deg, 1.0)
    matrix[0, 2] += spec.center[0] * width - pw / 2.0
    matrix[1, 2] += spec.center[1] * height - ph / 2.0
    bgr = patch if patch.ndim == 3 else cv2.cvtColor(patch, cv2.COLOR_GRAY2BGR)
    # An upright patch at an integer offset is copied exactly; otherwise bilinear sampling
    # gives the anti-aliased edges a camera would.
    bg = float(_background(spec))
    placed: np.ndarray = cv2.warpAffine(
        bgr,
        matrix,
        (width, height),
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=(bg, bg, bg),
    )
    return placed


# --------------------------------------------------------------------------------------------
# QR


def _qr_modules(text: str) -> np.ndarray:
    """The QR symbol's modules (2-D uint8, 1 = dark), no quiet zone."""
    try:
        # make_qr, not make: segno.make silently picks a Micro QR for short text, which
        # most readers (OpenCV included) cannot decode.
        qr = segno.make_qr(text, error="m")
    except (segno.DataOverflowError, ValueError) as exc:
        raise SceneError(
            f"QR content {_short(text)} cannot be encoded ({exc}); use shorter text"
        ) from exc
    return np.asarray([list(row) for row in qr.matrix], dtype=np.uint8)


def _qr_patch(text: str, symbol_px: float) -> np.ndarray:
    """A grey QR patch whose symbol (quiet zone excluded) is ``symbol_px`` wide."""
    modules = _qr_modules(text)
    n = modules.shape[0]
    grey = np.where(modules > 0, _INK, _WHITE).astype(np.uint8)
    grey = np.pad(grey, _QR_QUIET_MODULES, constant_values=_WHITE)
    total_px = max(1, round(symbol_px * (n + 2 * _QR_QUIET_MODULES) / n))
    resized: np.ndarray = cv2.resize(grey, (total_px, total_px), interpolation=cv2.INTER_NEAREST)
    return resized


# --------------------------------------------------------------------------------------------
# EAN-13, UPC-A, EAN-8, Code 128, DataMatrix, PDF417: modules from zxing-cpp


def _retail_digits(kind: str, content: str) -> str:
    """Normalise EAN-13 / UPC-A / EAN-8 ``content`` to its digits with the check digit: append
    it when left out, verify it when given."""
    n = _RETAIL_DIGITS[kind]
    name = {"ean13": "EAN-13", "upca": "UPC-A", "ean8": "EAN-8"}[kind]
    digits = content.strip()
    if not digits.isascii() or not digits.isdigit() or len(digits) not in (n, n + 1):
        raise SceneError(
            f"{name} content {_short(content)} is not {n} or {n + 1} digits; give {n} digits "
            f"(the check digit is appended) or {n + 1} with a valid check digit"
        )
    check = gs1_check_digit(digits[:n])
    if len(digits) == n + 1 and int(digits[n]) != check:
        raise SceneError(
            f"{name} content {digits!r} has check digit {digits[n]}, expected {check}; fix the "
            f"last digit or give only the first {n}"
        )
    return digits[:n] + str(check)


def _ean13_digits(content: str) -> str:
    """Normalise ``content`` to 13 digits: append the check digit to 12, verify it on 13."""
    return _retail_digits("ean13", content)


def _modules(kind: str, content: str) -> np.ndarray:
    """The code's modules from zxing-cpp, no quiet zone: 2-D uint8, 1 = ink (one row for the
    1-D codes, whose bars are as tall as its writer draws them)."""
    try:
        barcode = zxingcpp.create_barcode(content, _ZXING_FORMATS[kind])
        image = np.asarray(zxingcpp.write_barcode_to_image(barcode, scale=1, add_quiet_zones=False))
    except (ValueError, RuntimeError) as exc:
        raise SceneError(
            f"{kind} content {_short(content)} cannot be encoded ({exc}); change the content"
        ) from exc
    return (image < 128).astype(np.uint8)


def _bar_row(pattern: np.ndarray, left: int, right: int, module_px: float) -> np.ndarray:
    """One px row of bars (``pattern``: 1 = bar) between white quiet zones of ``left`` and
    ``right`` modules, ``module_px`` px per module."""
    row = np.where(pattern > 0, _INK, _WHITE).astype(np.uint8)
    row = np.concatenate([np.full(left, _WHITE, np.uint8), row, np.full(right, _WHITE, np.uint8)])
    width_px = max(1, round(module_px * row.size))
    # INTER_AREA averages at fractional module widths, like a camera's pixels integrating light.
    bars: np.ndarray = cv2.resize(row[np.newaxis, :], (width_px, 1), interpolation=cv2.INTER_AREA)
    return bars


def _soften(patch: np.ndarray, module_px: float) -> np.ndarray:
    soften = _EAN_SOFTEN_PER_MODULE * module_px
    softened: np.ndarray = cv2.GaussianBlur(patch, (0, 0), sigmaX=soften, sigmaY=soften)
    return softened


def _bars_patch(kind: str, content: str, symbol_px: float) -> np.ndarray:
    """A grey UPC-A, EAN-8 or Code 128 patch: bars ``symbol_px`` wide, white quiet zones, as
    tall as 0.6 of the width (no human-readable line), softened like the EAN-13."""
    text = _retail_digits(kind, content) if kind in _RETAIL_DIGITS else content
    pattern = _modules(kind, text)[0]
    module_px = symbol_px / pattern.size
    quiet = _QUIET[kind]
    bars = _bar_row(pattern, quiet, quiet, module_px)
    bars_px = max(1, round(bars.shape[1] * 0.6))
    margin = max(1, round(module_px * 4))
    patch = np.full((bars_px + 2 * margin, bars.shape[1]), _WHITE, np.uint8)
    patch[margin : margin + bars_px] = np.repeat(bars, bars_px, axis=0)
    return _soften(patch, module_px)


def _matrix_patch(kind: str, content: str, symbol_px: float) -> np.ndarray:
    """A grey DataMatrix or PDF417 patch whose symbol (quiet zone excluded) is ``symbol_px``
    wide, modules averaged onto px like a camera's (PDF417 rows keep the writer's height)."""
    modules = _modules(kind, content)
    grey = np.where(modules > 0, _INK, _WHITE).astype(np.uint8)
    quiet = _QUIET[kind]
    grey = np.pad(grey, quiet, constant_values=_WHITE)
    module_px = symbol_px / modules.shape[1]
    size = (max(1, round(module_px * grey.shape[1])), max(1, round(module_px * grey.shape[0])))
    interpolation = cv2.INTER_AREA if module_px < 1 else cv2.INTER_NEAREST
    resized: np.ndarray = cv2.resize(grey, size, interpolation=interpolation)
    return resized


def _ean13_patch(content: str, symbol_px: float) -> np.ndarray:
    """A grey EAN-13 patch: bars ``symbol_px`` wide, white quiet zones, digits underneath."""
    digits = _ean13_digits(content)
    pattern = _modules("ean13", digits)[0]
    if pattern.size != _EAN_MODULES:
        raise RuntimeError(f"zxing-cpp drew {pattern.size} EAN-13 modules, not {_EAN_MODULES}")
    module_px = symbol_px / _EAN_MODULES
    bars = _bar_row(pattern, _EAN_QUIET_LEFT, _EAN_QUIET_RIGHT, module_px)
    width_px = bars.shape[1]
    # GS1 nominal symbol: 25.93 mm high for 37.29 mm wide (quiet zones included).
    bars_px = max(1, round(width_px * 0.6))
    margin = max(1, round(module_px * 4))
    text_px = max(1, round(module_px * 9))
    patch = np.full((bars_px + text_px + 2 * margin, width_px), _WHITE, np.uint8)
    patch[margin : margin + bars_px] = np.repeat(bars, bars_px, axis=0)
    _draw_ean_digits(patch, digits, margin + bars_px, text_px, module_px)
    return _soften(patch, module_px)


def _draw_ean_digits(
    patch: np.ndarray, digits: str, top: int, text_px: int, module_px: float
) -> None:
    """Human-readable digits: the first in the left quiet zone, then two groups of six."""
    font = cv2.FONT_HERSHEY_SIMPLEX
    if text_px < 6:  # below ~6 px the glyphs are mush; real labels would be unreadable too
        return
    font_scale = cv2.getFontScaleFromHeight(font, int(text_px * 0.8), 1)
    baseline_y = top + int(text_px * 0.9)
    groups = (
        (digits[0], 1.0),
        (digits[1:7], _EAN_QUIET_LEFT + 3 + 21),
        (digits[7:], _EAN_QUIET_LEFT + 3 + 42 + 5 + 21),
    )
    for text, centre_module in groups:
        (tw, _), _ = cv2.getTextSize(text, font, font_scale, 1)
        x = int(centre_module * module_px - tw / 2) if len(text) > 1 else int(module_px)
        cv2.putText(patch, text, (x, baseline_y), font, font_scale, _INK, 1, cv2.LINE_AA)


# --------------------------------------------------------------------------------------------
# Text sign

_SIGN_PANEL = 245
_TEXT_FONT = cv2.FONT_HERSHEY_SIMPLEX


def _text_patch(text: str, sign_px: float) -> np.ndarray:
    """A light sign panel with black text; the panel's longer side is ``sign_px``."""
    lines = [line for line in text.splitlines() if line.strip()] or [text]
    # Lay out at a reference size, then scale the whole sign: glyph metrics are then exact.
    ref_scale, ref_thick = 2.0, 5
    sizes = [cv2.getTextSize(line, _TEXT_FONT, ref_scale, ref_thick) for line in lines]
    line_h = max(h + base for (_, h), base in sizes)
    text_w = max(w for (w, _), _ in sizes)
    pad = line_h // 2
    ref_w = text_w + 2 * pad
    ref_h = line_h * len(lines) + pad * (len(lines) - 1) // 2 + 2 * pad
    factor = sign_px / max(ref_w, ref_h)
    font_scale = ref_scale * factor
    thickness = max(1, round(ref_thick * factor))
    w, h = max(1, round(ref_w * factor)), max(1, round(ref_h * factor))
    panel = np.full((h, w), _SIGN_PANEL, np.uint8)
    y = pad * factor
    for line, ((lw, lh), base) in zip(lines, sizes, strict=True):
        y += lh * factor
        x = (w - lw * factor) / 2
        cv2.putText(
            panel, line, (round(x), round(y)), _TEXT_FONT, font_scale, _INK, thickness,
            cv2.LINE_AA,
        )  # fmt: skip
        y += (base + pad / 2) * factor
    return panel


# --------------------------------------------------------------------------------------------
# Image


def _read_image(path_text: str) -> np.ndarray:
    """Decode the image at ``path_text`` as BGR; every failure becomes a ``SceneError``."""
    path = Path(path_text)
    try:
        # Reading the bytes ourselves (rather than cv2.imread) separates "missing" from
        # "corrupt" and works for non-ASCII paths, which imread mishandles on some platforms.
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise SceneError(
            f"image file {path_text!r} does not exist; check the path and the file name"
        ) from exc
    except OSError as exc:
        raise SceneError(
            f"image file {path_text!r} could not be opened ({exc.strerror or exc}); check that "
            "it is a readable file"
        ) from exc
    try:
        image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    except cv2.error as exc:  # some truncated files make a codec raise instead of return None
        image = None
        detail = str(exc).strip().splitlines()[-1] if str(exc).strip() else "decoder error"
    else:
        detail = "no decoder accepted the data"
    if image is None or image.size == 0:
        raise SceneError(
            f"image file {path_text!r} could not be read as an image (corrupt or not an image): "
            f"{detail}; replace it with a valid PNG or JPEG"
        )
    decoded: np.ndarray = image
    return decoded


def _fit(image: np.ndarray, width: int, height: int) -> np.ndarray:
    """Resize ``image`` to fit inside ``width``×``height`` px, keeping its aspect ratio."""
    ih, iw = image.shape[:2]
    factor = min(width / iw, height / ih)
    size = (max(1, round(iw * factor)), max(1, round(ih * factor)))
    interpolation = cv2.INTER_AREA if factor < 1 else cv2.INTER_LINEAR
    fitted: np.ndarray = cv2.resize(image, size, interpolation=interpolation)
    return fitted


def _short(text: str, limit: int = 40) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "…")
