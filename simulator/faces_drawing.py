"""Synthetic faces for scenes, tests and calibration: no photo of a real person may be shipped.

``draw_face`` paints a frontal face the detectors of :mod:`glasses.perception.faces` find; it
belongs to the simulator (the scenes' ``faces`` kind draws with it), not to perception, which
only looks at faces.
"""

from __future__ import annotations

import cv2
import numpy as np


def draw_face(
    canvas: np.ndarray,
    center: tuple[int, int],
    width_px: int,
    *,
    skin: int = 190,
    hair: int | None = 50,
) -> tuple[int, int, int, int]:
    """Draw a synthetic frontal face (hair, oval, brows, eyes, nose, mouth, soft edges) into
    ``canvas`` (grey or BGR uint8, in place) and return its (x, y, w, h) box in px.

    For tests and calibration, where no photo of a real person may be shipped: the frontal Haar
    cascade finds these faces from ~40 px wide up (measured 60–200 px: all found).
    """
    s = width_px / 200
    cx, cy = center
    half_w, half_h = width_px // 2, round(width_px * 0.675)
    ink = np.zeros(canvas.shape[:2], np.uint8)
    layer = np.zeros(canvas.shape[:2], np.uint8)

    def paint(level: int, draw: object) -> None:
        mask = np.zeros_like(ink)
        draw(mask)  # type: ignore[operator]
        layer[mask > 0] = level
        ink[mask > 0] = 255

    if hair is not None:  # a cap of hair above and beside the forehead
        paint(
            hair,
            lambda m: cv2.ellipse(
                m, (cx, cy - round(12 * s)), (half_w + round(10 * s), half_h + round(4 * s)),
                0, 180, 360, 255, -1,
            ),
        )  # fmt: skip
    paint(skin, lambda m: cv2.ellipse(m, (cx, cy), (half_w, half_h), 0, 0, 360, 255, -1))
    for side in (-1, 1):
        ex, ey = cx + side * round(42 * s), cy - round(25 * s)
        thick = max(1, round(7 * s))
        paint(
            60,
            lambda m, ex=ex, ey=ey, t=thick: cv2.ellipse(
                m, (ex, ey - round(28 * s)), (round(30 * s), round(8 * s)), 0, 180, 360, 255, t
            ),
        )
        paint(
            245,
            lambda m, ex=ex, ey=ey: cv2.ellipse(
                m, (ex, ey), (round(24 * s), round(12 * s)), 0, 0, 360, 255, -1
            ),
        )
        paint(30, lambda m, ex=ex, ey=ey: cv2.circle(m, (ex, ey), round(10 * s), 255, -1))
    nose = np.array(
        [[cx, cy - round(10 * s)], [cx - round(14 * s), cy + round(38 * s)],
         [cx + round(14 * s), cy + round(38 * s)]],
        np.int32,
    )  # fmt: skip
    paint(skin - 40, lambda m: cv2.fillPoly(m, [nose], 255))
    paint(
        skin - 70,
        lambda m: cv2.ellipse(
            m, (cx, cy + round(40 * s)), (round(20 * s), round(8 * s)), 0, 0, 360, 255, -1
        ),
    )
    paint(
        70,
        lambda m: cv2.ellipse(
            m, (cx, cy + round(75 * s)), (round(35 * s), round(10 * s)), 0, 0, 360, 255, -1
        ),
    )
    # Soft edges, as a lens would give: blend the blurred drawing over the canvas.
    sigma = max(0.8, 2 * s)
    alpha = cv2.GaussianBlur(ink, (0, 0), sigma).astype(np.float32) / 255
    drawn = cv2.GaussianBlur(layer, (0, 0), sigma).astype(np.float32)
    # Where alpha is partial the blurred layer is pre-multiplied: divide it back out.
    colour = np.divide(drawn, alpha, out=np.zeros_like(drawn), where=alpha > 1e-3)
    if canvas.ndim == 3:
        alpha, colour = alpha[:, :, None], colour[:, :, None]
    canvas[...] = np.clip(canvas * (1 - alpha) + colour * alpha, 0, 255).astype(np.uint8)
    return cx - half_w, cy - half_h, 2 * half_w, 2 * half_h
