"""Reading QR codes, DataMatrix and PDF417 symbols and 1-D barcodes (EAN-13, EAN-8, UPC-A,
UPC-E, Code 128) from camera frames with zxing-cpp.

Pure and blocking: ``CodeReader.read`` takes one image and returns what it decoded; a perception
stage runs it off the event loop.

One zxing-cpp pass over the grey frame reads every symbology at once. It finds QR codes and
DataMatrix at any angle, but a 1-D barcode only where one scan line crosses all its bars (an
EAN-13 as tall as GS1's up to ~35° from level) and PDF417 within ~5° (its maintainer's words:
zxing-cpp issues #369 and #826). So, when that pass decodes nothing:

1. A symbol zxing-cpp located but could not decode (too few px per module, blur) is read again
   on a crop around it enlarged to ~400 px.
2. The frame is read again with zxing-cpp's global-histogram binarizer instead of its local
   one (a fraction of the first pass's time): it reads some small codes and some under glare
   that the local one misses.
3. Where bars dominate the frame's gradients (the structure tensor's coherence: 0.4–0.98 on the
   bench's barcodes and PDF417, under 0.1 on noise, QR and DataMatrix), the frame is turned so
   that they stand upright and read again: 1-D barcodes and PDF417 at any angle. (Retries 1
   and 2 on the turned frame as well rescued no frame of the bench's hard set.)

Measured on ``glasses bench vision``'s hard set (200 frames; two of blur, small, rotated up to
45°, perspective, low contrast and glare each) — see the README for the figures and command.
OpenCV's reader, which this one replaced, added no decoded frame as a fallback after these
passes, so it is not used (``glasses.bench.opencv_codes`` keeps it for the side-by-side bench).

Symbology names are the ones the skills match on: ``QR``, ``EAN_13``, ``EAN_8``, ``UPC_A``,
``UPC_E``, ``DATA_MATRIX``, ``CODE_128``, ``PDF_417`` (OpenCV's and ZXing's own upper-case
names). An EAN-13 starting with 0 is reported as the 12-digit UPC-A it encodes, and a UPC-E
as its 8 digits, as OpenCV did. Corners are always reported in px of the input image.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import cv2
import numpy as np
import zxingcpp

from glasses.runtime.events import DecodedCode

QR = "QR"
_F = zxingcpp.BarcodeFormat
_MATRIX: dict[zxingcpp.BarcodeFormat, str] = {
    _F.QRCode: QR,
    _F.DataMatrix: "DATA_MATRIX",
    _F.PDF417: "PDF_417",
}
_LINEAR: dict[zxingcpp.BarcodeFormat, str] = {
    _F.EAN13: "EAN_13",
    _F.EAN8: "EAN_8",
    _F.UPCA: "UPC_A",
    _F.UPCE: "UPC_E",
    _F.Code128: "CODE_128",
}
_ToFrame = Callable[[np.ndarray, float], np.ndarray]  # (points in a copy, its scale) → frame px
SYMBOLOGIES: tuple[str, ...] = (*_MATRIX.values(), *_LINEAR.values())
"""Every symbology name ``CodeReader`` reports."""

# Size, in px of its longer side, a located-but-undecoded symbol's crop is enlarged to before
# the retry; never shrunk, at most 6×: the size the OpenCV reader had measured for small QR
# codes. On the bench's hard set this retry reads 1 frame in 200 that nothing else does.
_RETRY_PX = 400
_RETRY_MAX_FACTOR = 6.0
# Margin around a candidate for the retry, as a fraction of its larger side: the quiet zone
# (4 QR modules ≈ 15 % of a version-1 symbol) and loose corners.
_CROP_MARGIN = 0.25
# Coherence of the frame's structure tensor from which bars are taken to dominate it; measured
# on the bench's frames: 1-D barcodes 0.79–0.98, PDF417 0.43–0.54, noise, QR and DataMatrix
# 0.003–0.07.
_BARS_COHERENCE = 0.25
# Below this angle (degrees) the first pass already had the bars upright: no second look.
_MIN_TURN_DEG = 3.0


class CodeReader:
    """Decodes the codes visible in an image.

    ``qr`` switches the 2-D codes (QR, DataMatrix, PDF417) on or off, ``barcodes`` the 1-D ones
    (EAN-13, EAN-8, UPC-A, UPC-E, Code 128). zxing-cpp holds no state between calls: one reader
    may serve several threads.
    """

    def __init__(self, *, qr: bool = True, barcodes: bool = True) -> None:
        names = {**(_MATRIX if qr else {}), **(_LINEAR if barcodes else {})}
        self._names = names
        self._formats = zxingcpp.BarcodeFormats(list(names))

    def read(self, image: np.ndarray) -> list[DecodedCode]:
        """Decode every code in ``image`` (H×W×3 BGR or H×W grey, uint8).

        Returns one ``DecodedCode`` per distinct (symbology, value), QR codes first, then the
        other 2-D codes, then barcodes, with ``corners`` in px of ``image``. Raises
        ``ValueError`` for anything but a non-empty uint8 grey or BGR image.
        """
        grey = as_grey(image)
        if not self._names:
            return []
        found = self._read_frame(grey)
        if not found:
            found = self._read_upright(grey)
        # Stable: in ``SYMBOLOGIES`` order (QR codes first), then as zxing-cpp found them.
        return dedupe(sorted(found, key=lambda c: SYMBOLOGIES.index(c.symbology)))

    def _read_frame(self, grey: np.ndarray) -> list[DecodedCode]:
        """The first pass, then retries 1 and 2 (module docstring) while nothing is decoded."""
        found, located = self._scan(grey)
        if not found:
            for quad in located:
                found += self._read_enlarged(grey, quad)
        if not found:
            found, _ = self._scan(grey, zxingcpp.Binarizer.GlobalHistogram)
        return found

    def _scan(
        self, grey: np.ndarray, binarizer: zxingcpp.Binarizer = zxingcpp.Binarizer.LocalAverage
    ) -> tuple[list[DecodedCode], list[np.ndarray]]:
        """Decoded codes, and the quads (4×2 px) of symbols located but not decoded."""
        # try_rotate off: the upright pass covers other angles, and on for every frame it cost
        # 2–3× the time. try_invert off: light-on-dark codes are rare on paper (+40 % time).
        barcodes = zxingcpp.read_barcodes(
            grey,
            formats=self._formats,
            try_rotate=False,
            try_invert=False,
            binarizer=binarizer,
            return_errors=True,
        )
        found: list[DecodedCode] = []
        located: list[np.ndarray] = []
        for b in barcodes:
            quad = _quad(b.position)
            if not b.valid:
                located.append(quad)
                continue
            code = self._code(b, quad)
            if code is not None:
                found.append(code)
        return found, located

    def _code(self, barcode: zxingcpp.Barcode, quad: np.ndarray) -> DecodedCode | None:
        name = self._names.get(barcode.format)
        if name is None:
            return None
        value = barcode.text
        if name == "EAN_13" and len(value) == 13 and value.startswith("0"):
            name, value = "UPC_A", value[1:]
        elif name == "UPC_E":
            extra = barcode.extra  # zxing-cpp's text is the UPC-A; the UPC-E digits are here
            if isinstance(extra, dict):
                value = str(extra.get("UPCE", value))
        return DecodedCode(name, value, as_corners(quad))

    def _read_enlarged(self, grey: np.ndarray, quad: np.ndarray) -> list[DecodedCode]:
        """Re-read a located symbol on a crop around it enlarged to ~``_RETRY_PX`` px."""
        crop = Crop.around(quad, grey.shape[:2])
        pixels = crop.of(grey)
        factor = float(np.clip(_RETRY_PX / max(pixels.shape[:2]), 1.0, _RETRY_MAX_FACTOR))
        big = cv2.resize(pixels, None, fx=factor, fy=factor, interpolation=cv2.INTER_CUBIC)
        found, _ = self._scan(big)
        return [_moved(c, crop.to_frame, factor) for c in found]

    def _read_upright(self, grey: np.ndarray) -> list[DecodedCode]:
        """Turn the frame so that dominant bars stand upright, and read it again."""
        angle = _bars_angle(grey)
        if angle is None or abs(angle) < _MIN_TURN_DEG:
            return []
        turned, matrix = _turn(grey, angle)
        found, _ = self._scan(turned)
        back = cv2.invertAffineTransform(matrix)

        def to_frame(points: np.ndarray, scale: float) -> np.ndarray:
            pts = np.asarray(points, np.float32).reshape(-1, 1, 2) / scale
            return cv2.transform(pts, back).reshape(-1, 2)

        return [_moved(c, to_frame, 1.0) for c in found]


def _bars_angle(grey: np.ndarray) -> float | None:
    """The turn (degrees, counter-clockwise) that stands the frame's dominant bars upright, or
    None when no orientation dominates (noise, 2-D codes, nothing): the structure tensor of
    the whole frame, whose strongest edges are a code's when one is in view."""
    g = grey.astype(np.float32)
    gx = cv2.Sobel(g, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(g, cv2.CV_32F, 0, 1, ksize=3)
    gx, gy = gx.ravel(), gy.ravel()
    jxx, jyy, jxy = float(gx @ gx), float(gy @ gy), float(gx @ gy)
    total = jxx + jyy
    if total <= 0 or math.hypot(jxx - jyy, 2 * jxy) / total < _BARS_COHERENCE:
        return None
    # The gradients run across the bars; turning them level stands the bars upright.
    return 0.5 * math.degrees(math.atan2(2 * jxy, jxx - jyy))


def _turn(grey: np.ndarray, angle: float) -> tuple[np.ndarray, np.ndarray]:
    """``grey`` turned by ``angle`` degrees about its centre on a canvas that holds all of it,
    and the 2×3 matrix from frame to turned px."""
    h, w = grey.shape[:2]
    cos, sin = abs(math.cos(math.radians(angle))), abs(math.sin(math.radians(angle)))
    out_w, out_h = math.ceil(w * cos + h * sin), math.ceil(w * sin + h * cos)
    matrix = cv2.getRotationMatrix2D((w / 2.0, h / 2.0), angle, 1.0)
    matrix[0, 2] += out_w / 2.0 - w / 2.0
    matrix[1, 2] += out_h / 2.0 - h / 2.0
    # The new corners are filled with the frame's mean grey: replicating its edges would draw
    # a code that touches them out into long streaks.
    fill = float(grey.mean())
    turned: np.ndarray = cv2.warpAffine(
        grey,
        matrix,
        (out_w, out_h),
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=fill,
    )
    return turned, matrix


@dataclass(frozen=True, slots=True)
class Crop:
    """An axis-aligned window of a frame: ``x``, ``y`` its top-left corner in frame px."""

    x: int
    y: int
    w: int
    h: int

    @staticmethod
    def around(quad: np.ndarray, frame_hw: tuple[int, ...]) -> Crop:
        """The bounding box of ``quad`` (4×2 px) plus a margin, clipped to the frame."""
        lo = quad.min(axis=0)
        hi = quad.max(axis=0)
        margin = _CROP_MARGIN * float(max(hi - lo))
        height, width = int(frame_hw[0]), int(frame_hw[1])
        x0 = int(np.clip(np.floor(lo[0] - margin), 0, width - 1))
        y0 = int(np.clip(np.floor(lo[1] - margin), 0, height - 1))
        x1 = int(np.clip(np.ceil(hi[0] + margin), x0 + 1, width))
        y1 = int(np.clip(np.ceil(hi[1] + margin), y0 + 1, height))
        return Crop(x0, y0, x1 - x0, y1 - y0)

    def of(self, image: np.ndarray) -> np.ndarray:
        """A view of this window of ``image``."""
        return image[self.y : self.y + self.h, self.x : self.x + self.w]

    def to_crop(self, quad: np.ndarray) -> np.ndarray:
        """Frame-px points ``quad`` in this crop's px."""
        return (quad - np.array([self.x, self.y], np.float32)).astype(np.float32)

    def to_frame(self, quad: np.ndarray, scale: float) -> np.ndarray:
        """Points found in this crop resized by ``scale``, in frame px."""
        points = np.asarray(quad, np.float32).reshape(-1, 2) / scale
        return points + np.array([self.x, self.y], np.float32)


def _quad(position: zxingcpp.Position) -> np.ndarray:
    corners = (position.top_left, position.top_right, position.bottom_right, position.bottom_left)
    return np.array([(p.x, p.y) for p in corners], np.float32)


def _moved(code: DecodedCode, to_frame: _ToFrame, scale: float) -> DecodedCode:
    """``code`` with its corners, found in a resized or turned copy, in frame px."""
    quad = to_frame(np.asarray(code.corners, np.float32), scale)
    return DecodedCode(code.symbology, code.value, as_corners(quad))


def as_grey(image: np.ndarray) -> np.ndarray:
    if not isinstance(image, np.ndarray):
        raise ValueError(f"expected a numpy uint8 image, got {type(image).__name__}")
    if image.dtype != np.uint8:
        raise ValueError(f"expected a uint8 image, got dtype {image.dtype} (shape {image.shape})")
    if image.size == 0:
        raise ValueError(f"expected a non-empty image, got shape {image.shape}")
    if image.ndim == 3 and image.shape[2] == 3:
        grey: np.ndarray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
        return grey
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    if image.ndim == 2:
        # zxing-cpp reads a contiguous buffer; one channel of a BGR frame is strided.
        return np.ascontiguousarray(image)
    raise ValueError(f"expected an H×W grey or H×W×3 BGR uint8 image, got shape {image.shape}")


def as_corners(
    quad: np.ndarray | Sequence[tuple[float, float]],
) -> tuple[tuple[float, float], ...]:
    return tuple((float(x), float(y)) for x, y in np.asarray(quad).reshape(-1, 2))


def dedupe(codes: Iterable[DecodedCode]) -> list[DecodedCode]:
    """Keep the first of each (symbology, value): overlapping candidates decode twice."""
    seen: set[tuple[str, str]] = set()
    out: list[DecodedCode] = []
    for code in codes:
        key = (code.symbology, code.value)
        if key not in seen:
            seen.add(key)
            out.append(code)
    return out
