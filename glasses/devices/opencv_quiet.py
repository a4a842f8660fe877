"""OpenCV helpers shared by the file and USB backends."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import cv2


@contextmanager
def quiet_opencv() -> Iterator[None]:
    """Silence OpenCV's own warnings (probing a missing camera prints several) for a moment.

    FFmpeg's messages about corrupt files bypass OpenCV's logger and may still appear.
    """
    previous = cv2.utils.logging.getLogLevel()
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)
    try:
        yield
    finally:
        cv2.utils.logging.setLogLevel(previous)
