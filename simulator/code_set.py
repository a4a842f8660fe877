"""A harder generated code set: codes as a worn camera sees them, and frames with no code.

Each sample is a 640×480 BGR frame holding one code: QR (3 in 10), EAN-13 (2 in 10),
DataMatrix, Code 128, UPC-A, PDF417 and EAN-8 (1 in 10 each), with the value it encodes. On a
readable base (3–6 px per module for 2-D codes, 2–4 for 1-D ones; ±10°; blur σ 0.3–0.6 px;
sensor noise σ 2–6) each frame gets two of six degradations, drawn at random:

* ``blur``: Gaussian σ 1.0–1.5 px (modules no finer than 3.2 / 2.6 px, which such a blur
  would erase);
* ``small``: 2.0–2.6 px per module (2-D), 1.4–1.8 (1-D);
* ``rotated``: 25–45° either way;
* ``perspective``: the frame's corners moved by up to 12 % of its shorter side (seen off-axis);
* ``low_contrast``: 20–40 % of the grey range left, around a mid grey 90–170;
* ``glare``: a soft reflection of +50..110 grey levels over part of the code.

Deterministic given the index: ``hard_sample(i)`` is always the same array. ``noise_frame(i)``
is a blank wall (grey 60–220) with sensor noise σ 3–12, for false positives.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from simulator.scenes import (
    SceneKind,
    SceneSpec,
    code_width_modules,
    gs1_check_digit,
    render_scene,
)

WIDTH, HEIGHT = 640, 480
SEED = 15
NOISE_SEED = 16
KINDS: tuple[SceneKind, ...] = (
    "qr", "ean13", "datamatrix", "qr", "code128", "upca", "qr", "ean13", "pdf417", "ean8",
)  # fmt: skip
DEGRADATIONS = ("blur", "small", "rotated", "perspective", "low_contrast", "glare")
_TWO_D = ("qr", "datamatrix", "pdf417")


@dataclass(frozen=True, slots=True)
class CodeSample:
    """A frame, the scene kind of its code, the value a reader should report (a UPC-A as its
    12 digits) and the two degradations applied."""

    image: np.ndarray
    kind: SceneKind
    value: str
    degradations: tuple[str, ...]


def hard_sample(index: int) -> CodeSample:
    """The ``index``-th frame of the set (module docstring)."""
    rng = np.random.default_rng([SEED, index])
    kind = KINDS[index % len(KINDS)]
    value = _content(kind, rng)
    picked = rng.choice(len(DEGRADATIONS), size=2, replace=False)
    deg = tuple(sorted(DEGRADATIONS[int(j)] for j in picked))
    two_d = kind in _TWO_D
    if "small" in deg:
        module_px = rng.uniform(2.0, 2.6) if two_d else rng.uniform(1.4, 1.8)
    else:
        module_px = rng.uniform(3.0, 6.0) if two_d else rng.uniform(2.0, 4.0)
    if "rotated" in deg:
        rotate = float(rng.uniform(25, 45) * rng.choice([-1, 1]))
    else:
        rotate = float(rng.uniform(-10, 10))
    blur = rng.uniform(1.0, 1.5) if "blur" in deg else rng.uniform(0.3, 0.6)
    if "blur" in deg:
        module_px = max(module_px, 3.2 if two_d else 2.6)
    scale = min(0.95, module_px * code_width_modules(kind, value) / min(WIDTH, HEIGHT))
    centre = (float(rng.uniform(0.4, 0.6)), float(rng.uniform(0.4, 0.6)))
    spec = SceneSpec(kind, value, scale=scale, rotate_deg=rotate, center=centre, seed=index)
    frame: np.ndarray = render_scene(spec, WIDTH, HEIGHT).astype(np.float32)
    h, w = frame.shape[:2]
    if "perspective" in deg:
        src = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
        dst = src + rng.uniform(-0.12, 0.12, (4, 2)).astype(np.float32) * min(w, h)
        frame = cv2.warpPerspective(
            frame,
            cv2.getPerspectiveTransform(src, dst),
            (w, h),
            flags=cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_REPLICATE,
        )
    if "low_contrast" in deg:
        contrast, mid = float(rng.uniform(0.2, 0.4)), float(rng.uniform(90, 170))
        frame = mid + (frame - 128.0) * contrast
    if "glare" in deg:
        cx, cy = rng.uniform(0.4, 0.6) * w, rng.uniform(0.4, 0.6) * h
        radius = rng.uniform(0.05, 0.12) * min(w, h)
        peak = rng.uniform(50, 110)
        yy, xx = np.mgrid[0:h, 0:w]
        blob = peak * np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * radius * radius))
        frame = frame + blob[:, :, None].astype(np.float32)
    frame = cv2.GaussianBlur(frame, (0, 0), float(blur))
    frame = frame + rng.normal(0, float(rng.uniform(2, 6)), frame.shape).astype(np.float32)
    image = np.clip(np.rint(frame), 0, 255).astype(np.uint8)
    return CodeSample(image, kind, value, deg)


def hard_set(n: int) -> list[CodeSample]:
    return [hard_sample(i) for i in range(n)]


def noise_frame(index: int) -> np.ndarray:
    """A frame with no code: a blank wall with sensor noise (module docstring)."""
    rng = np.random.default_rng([NOISE_SEED, index])
    spec = SceneSpec(
        "blank",
        noise_sigma=float(rng.uniform(3, 12)),
        background=int(rng.integers(60, 220)),
        seed=1000 + index,
    )
    return render_scene(spec, WIDTH, HEIGHT)


def _content(kind: SceneKind, rng: np.random.Generator) -> str:
    if kind == "qr":
        return f"https://example.com/item/{int(rng.integers(100_000))}"
    if kind == "datamatrix":
        return f"LOT{int(rng.integers(10**6)):06d}-{int(rng.integers(100)):02d}"
    if kind == "code128":
        return f"GLS-{int(rng.integers(10**5)):05d}"
    if kind == "pdf417":
        seat = f"{int(rng.integers(1, 40))}{'ABCDEF'[int(rng.integers(6))]}"
        return f"TICKET {int(rng.integers(10**4)):04d} SEAT {seat}"
    n = {"ean13": 12, "upca": 11, "ean8": 7}[kind]
    lead = "4" if kind == "ean13" else ""  # an EAN-13 from 0 would be reported as a UPC-A
    digits = lead + "".join(str(int(d)) for d in rng.integers(0, 10, n - len(lead)))
    return digits + str(gs1_check_digit(digits))
