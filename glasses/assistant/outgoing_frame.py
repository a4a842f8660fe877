"""A camera frame that leaves the device (a vision endpoint) goes with bystanders' faces blurred.

The same rule as a saved photo: whoever is in view did not agree to be sent anywhere. The frame
is scaled down first (a vision model needs no more than ``max_side_px``, and fewer bytes cross
the network), then every face the detector finds is blurred, then it is JPEG-encoded.
"""

from __future__ import annotations

import cv2
import numpy as np

from glasses.perception.faces import FaceDetector, blur_faces

MAX_SIDE_PX = 640
JPEG_QUALITY = 80


class FrameError(ValueError):
    """The frame cannot be encoded (not an H×W×3 uint8 image)."""


def frame_for_upload(
    image: np.ndarray,
    detector: FaceDetector,
    *,
    max_side_px: int = MAX_SIDE_PX,
    quality: int = JPEG_QUALITY,
) -> tuple[bytes, int]:
    """``image`` (BGR uint8) scaled to at most ``max_side_px`` on its longer side, faces
    blurred, as JPEG bytes; and how many faces were blurred."""
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise FrameError(f"expected an H×W×3 uint8 frame, got {image.shape} {image.dtype}")
    scale = max_side_px / max(image.shape[:2])
    if scale < 1.0:
        size = (round(image.shape[1] * scale), round(image.shape[0] * scale))
        image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    faces = detector.detect(image)
    safe = blur_faces(image, faces) if faces else image
    ok, data = cv2.imencode(".jpg", safe, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:  # pragma: no cover - JPEG encoding of a uint8 BGR image does not fail
        raise FrameError("JPEG encoding failed")
    return data.tobytes(), len(faces)
