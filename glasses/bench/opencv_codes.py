"""The OpenCV code reader the runtime used until issue 15, kept for ``glasses bench vision``.

The runtime reads codes with zxing-cpp (``glasses.perception.codes``). This reader stays only so
the bench can report both side by side on the same frames: its figures carry ``_opencv`` in
their keys. It reads QR codes (``cv2.QRCodeDetectorAruco``) and EAN/UPC barcodes
(``cv2.barcode``), none of DataMatrix, Code 128 or PDF417; as a fallback after zxing-cpp it
rescued no frame of the bench's hard set, so the runtime does not use it.

Pure and blocking: ``OpenCvCodeReader.read`` takes one image and returns what it decoded.

QR codes are searched at reduced scale, then refined at full scale:

1. Candidates are located on a half-scale (area-averaged) grey frame.
2. Each is re-located in a full-resolution crop around it and decoded there; one that does not
   decode is retried on an upscaled crop, where small, noisy or rotated codes have enough
   pixels per module. Cropping keeps the cost independent of the frame size.
3. Only when the half-scale search decodes nothing is the full frame searched (codes under
   ~2.5 px per module at full scale are not found at half scale).

Barcodes: cv2.barcode already locates on its own downsampled copy (longer side 512 px) and
decodes at full resolution; undecoded candidates are retried on a 2× crop.

Measured on 100 generated 640×480 frames (60 QR at 0.15–0.5 of the short side, ±20°, noise
0–12; 30 EAN-13 at 0.3–0.8; 10 blank), 5 passes interleaved A/B in one process on the loaded
2-core machine, two runs: single scale 88/90 decoded, p50 13.6 / 11.9 ms (frames with codes
14.2 / 12.3 ms); half scale then refine 89/90, p50 12.7 / 10.2 ms (codes 13.1 / 10.7 ms).
Blank frames pay the extra half-scale look: 6.9 → 7.0 and 5.3 → 5.8 ms.
Tried and dropped: barcode search at half scale (lost codes under ~2 px per module); the
barcode detector's downsampling threshold at 320 px (p50 −10 %, blank −1.2 ms, same decode
rate, but its corners move by a pixel or two, which changes the simulator TUI's snapshot).

Corners are always reported in px of the input image.
"""

from __future__ import annotations

import cv2
import numpy as np

from glasses.perception.codes import Crop, as_corners, as_grey, dedupe
from glasses.runtime.events import DecodedCode

QR = "QR"
# cv2.barcode reports its own symbology names ("EAN_13", "EAN_8", "UPC_A", "UPC_E"); they are
# passed through. An EAN-13 starting with 0 comes back as the 12-digit UPC_A it encodes.

# Size, in px of its longer side, a QR crop is enlarged to before the retry; never shrunk.
# Measured on 100 small (80 px) codes: 300 px → 98, 400 px → 100, 600 px → 100 decoded, at
# ~7, ~10 and ~21 ms per retry. Cubic beat linear interpolation (2× crops: 89 vs 79).
_QR_RETRY_PX = 400
_QR_RETRY_MAX_FACTOR = 6.0
# Barcode retry: the crop enlarged 2×. It rescues only some bars thinner than ~1.6 px per
# module (measured at 1.0–1.5 px/module: 42 vs 38 of 100); from 1.6 px up the first pass reads.
_BARCODE_RETRY_UPSCALE = 2.0
# The margin around a candidate before the retry is the code reader's (``Crop``).
# Smoothing for QR localisation only: sensor noise otherwise yields thousands of contour
# candidates (measured on a noisy blank 640×480 frame: 12 ms → 1.3 ms) and a 3×3 kernel keeps
# finder patterns of codes down to ~2.5 px/module. Decoding always uses the unsmoothed image.
_QR_LOCATE_KERNEL = (3, 3)
# Frames whose shorter side is below this (px) are searched at full scale only: at half scale
# they would leave too few pixels per module.
_COARSE_MIN_SIDE = 240


class OpenCvCodeReader:
    """Decodes the QR codes and/or 1-D barcodes visible in an image.

    ``qr`` and ``barcodes`` switch the two detectors on or off. Not thread-safe: the OpenCV
    detector objects hold state, so use one reader per thread.
    """

    def __init__(self, *, qr: bool = True, barcodes: bool = True) -> None:
        # The ArUco-based QR detector finds finder patterns more robustly under noise and
        # rotation than cv2.QRCodeDetector (measured on hard synthetic frames: 98 vs 68 of 100
        # in one pass).
        self._qr = cv2.QRCodeDetectorAruco() if qr else None
        self._barcode = cv2.barcode.BarcodeDetector() if barcodes else None

    def read(self, image: np.ndarray) -> list[DecodedCode]:
        """Decode every code in ``image`` (H×W×3 BGR or H×W grey, uint8).

        Returns one ``DecodedCode`` per distinct (symbology, value), QR codes first, with
        ``corners`` in px of ``image``. Raises ``ValueError`` for anything but a non-empty uint8
        grey or BGR image.
        """
        grey = as_grey(image)
        half = (
            cv2.resize(grey, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
            if min(grey.shape[:2]) >= _COARSE_MIN_SIDE
            else None
        )
        found: list[DecodedCode] = []
        if self._qr is not None:
            found += self._read_qr(grey, half)
        if self._barcode is not None:
            found += self._read_barcodes(grey)
        return dedupe(found)

    # ----------------------------------------------------------------------------------------
    # QR

    def _read_qr(self, grey: np.ndarray, half: np.ndarray | None) -> list[DecodedCode]:
        found: list[DecodedCode] = []
        if half is not None:
            # Area averaging already smooths sensor noise: no extra blur at half scale.
            coarse = self._locate_qr(half)
            if coarse is not None:
                for quad in coarse * 2.0:
                    found += self._refine_qr(grey, quad)
                if found:
                    return found
        quads = self._locate_qr(cv2.GaussianBlur(grey, _QR_LOCATE_KERNEL, 0))
        for quad in quads if quads is not None else ():
            found += self._decode_qr_at(grey, quad)
        return found

    def _locate_qr(self, image: np.ndarray) -> np.ndarray | None:
        """Candidate QR quads (N×4×2 px of ``image``), or None."""
        assert self._qr is not None
        try:
            ok, quads = self._qr.detectMulti(image)
        except cv2.error:
            return None  # a degenerate candidate set can trip an internal assertion
        if not ok or quads is None:
            return None
        return np.asarray(quads, np.float32).reshape(-1, 4, 2)

    def _refine_qr(self, grey: np.ndarray, quad: np.ndarray) -> list[DecodedCode]:
        """Re-locate a code found at half scale in a full-scale crop around it, then decode.

        Corners found at half scale are up to ~2 px off at full scale, enough to fail the
        decode and fall through to the slower upscaled retry (measured: 19 vs 6 ms per code).
        """
        crop = Crop.around(quad, grey.shape[:2])
        fine = self._locate_qr(cv2.GaussianBlur(crop.of(grey), _QR_LOCATE_KERNEL, 0))
        if fine is None:
            return self._decode_qr_at(grey, quad)
        found: list[DecodedCode] = []
        for q in fine:
            found += self._decode_qr_at(grey, crop.to_frame(q, 1.0))
        return found

    def _decode_qr_at(self, grey: np.ndarray, quad: np.ndarray) -> list[DecodedCode]:
        """Decode the QR code located at ``quad`` (4×2 px), retrying on an upscaled crop."""
        assert self._qr is not None
        crop = Crop.around(quad, grey.shape[:2])
        pixels = crop.of(grey)
        try:
            # decode() on a crop rather than the frame: it binarises the whole image it is
            # given, which made it ~3× slower than on a crop (9 ms vs 2.5 ms).
            text = self._qr.decode(pixels, crop.to_crop(quad).reshape(1, 4, 2))[0]
        except cv2.error:
            text = ""
        if text:
            return [DecodedCode(QR, text, as_corners(quad))]
        # Retry: re-detect in the crop enlarged to ~400 px. The located quad is often a pixel
        # or two off for small or rotated codes (corners found on the smoothed frame), and
        # re-detection at more px per module both tightens it and resolves the modules.
        factor = _qr_retry_factor(pixels)
        big = cv2.resize(pixels, None, fx=factor, fy=factor, interpolation=cv2.INTER_CUBIC)
        try:
            ok, texts, quads, _ = self._qr.detectAndDecodeMulti(big)
        except cv2.error:
            return []
        if not ok or quads is None:
            return []
        return [
            DecodedCode(QR, t, as_corners(crop.to_frame(q, factor)))
            for t, q in zip(texts, quads, strict=False)
            if t
        ]

    # ----------------------------------------------------------------------------------------
    # 1-D barcodes

    def _read_barcodes(self, grey: np.ndarray) -> list[DecodedCode]:
        # Full scale only: cv2.barcode already searches a downsampled copy (longer side 512 px)
        # and measured at half scale it lost codes under ~2 px per module (EAN-13 at 0.4 of a
        # 480 px frame) that the full-scale pass reads.
        candidates = self._detect_barcodes(grey)
        found: list[DecodedCode] = []
        for text, kind, quad in candidates:
            if text:
                found.append(DecodedCode(kind, text, as_corners(quad)))
                continue
            crop = Crop.around(quad, grey.shape[:2])
            big = cv2.resize(
                crop.of(grey),
                None,
                fx=_BARCODE_RETRY_UPSCALE,
                fy=_BARCODE_RETRY_UPSCALE,
                interpolation=cv2.INTER_LINEAR,
            )
            found += [
                DecodedCode(k, t, as_corners(crop.to_frame(q, _BARCODE_RETRY_UPSCALE)))
                for t, k, q in self._detect_barcodes(big)
                if t
            ]
        return found

    def _detect_barcodes(self, grey: np.ndarray) -> list[tuple[str, str, np.ndarray]]:
        """(text, symbology, 4×2 quad) per candidate; text is "" where decoding failed."""
        assert self._barcode is not None
        try:
            _, texts, kinds, quads = self._barcode.detectAndDecodeWithType(grey)
        except cv2.error:
            return []
        if quads is None:
            return []
        # retval is False when nothing decoded, yet the undecoded candidates' quads are still
        # returned (with "" texts), which is what the retry needs.
        return [
            (t, k, np.asarray(q, np.float32).reshape(4, 2))
            for t, k, q in zip(texts, kinds, quads, strict=False)
        ]


def _qr_retry_factor(pixels: np.ndarray) -> float:
    longer = max(pixels.shape[:2])
    return float(np.clip(_QR_RETRY_PX / longer, 1.0, _QR_RETRY_MAX_FACTOR))
