"""The camera preview: the current frame in half-block characters, detections outlined."""

from __future__ import annotations

import cv2
import numpy as np
from rich.color import Color
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip
from textual.widget import Widget

OUTLINE_BGR = (0, 255, 255)  # yellow: visible on grey scenes and on codes


def to_cells(image: np.ndarray, cols: int, rows: int) -> list[Strip]:
    """``rows`` strips of ``cols`` cells; each cell is "▀" = two stacked pixels (fg over bg).

    The frame is fitted (aspect kept, letterboxed in black) into ``cols`` × ``2·rows`` pixels.
    A terminal cell is about twice as tall as wide, so two pixels per cell keeps the aspect.
    """
    if cols < 1 or rows < 1:
        return []
    h, w = image.shape[:2]
    scale = min(cols / w, 2 * rows / h)
    tw, th = max(1, int(w * scale)), max(1, int(h * scale))
    small = cv2.resize(image, (tw, th), interpolation=cv2.INTER_AREA)
    canvas = np.zeros((2 * rows, cols, 3), np.uint8)
    y0, x0 = (2 * rows - th) // 2, (cols - tw) // 2
    canvas[y0 : y0 + th, x0 : x0 + tw] = small
    rgb = canvas[:, :, ::-1]
    strips = []
    for r in range(rows):
        top, bottom = rgb[2 * r], rgb[2 * r + 1]
        segments = [
            Segment(
                "▀",
                Style(
                    color=Color.from_rgb(int(t[0]), int(t[1]), int(t[2])),
                    bgcolor=Color.from_rgb(int(b[0]), int(b[1]), int(b[2])),
                ),
            )
            for t, b in zip(top, bottom, strict=True)
        ]
        strips.append(Strip(Segment.simplify(segments), cols))
    return strips


def outline(image: np.ndarray, polygons: list[np.ndarray]) -> np.ndarray:
    """A copy of ``image`` with each polygon (N×2 px) drawn thick enough to survive downscaling."""
    if not polygons:
        return image
    out = image.copy()
    thickness = max(2, image.shape[1] // 80)
    for poly in polygons:
        pts = np.round(poly).astype(np.int32).reshape(-1, 1, 2)
        cv2.polylines(out, [pts], isClosed=True, color=OUTLINE_BGR, thickness=thickness)
    return out


class CameraView(Widget):
    """Shows ``show(image, polygons)``; re-renders only when a new frame arrives."""

    DEFAULT_CSS = """
    CameraView { height: 1fr; width: 1fr; }
    """

    def __init__(self, *, id: str | None = None) -> None:  # Textual names it `id`
        super().__init__(id=id)
        self._image: np.ndarray | None = None
        self._strips: list[Strip] = []
        self._cells: tuple[int, int] = (0, 0)

    def show(self, image: np.ndarray | None, polygons: list[np.ndarray] | None = None) -> None:
        self._image = None if image is None else outline(image, polygons or [])
        self._cells = (0, 0)  # re-render at the next paint
        self.refresh()

    def render_line(self, y: int) -> Strip:
        size = (self.size.width, self.size.height)
        if self._image is None:
            return Strip.blank(self.size.width)
        if size != self._cells:
            self._strips = to_cells(self._image, *size)
            self._cells = size
        return self._strips[y] if y < len(self._strips) else Strip.blank(self.size.width)
