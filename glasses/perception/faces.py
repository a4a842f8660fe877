"""Faces in view, and blurring bystanders' faces in saved photos.

``FaceDetector`` uses the Haar cascades OpenCV's 4.x wheels ship in ``cv2.data.haarcascades``
(frontal, plus the profile cascade on the image and its mirror image, since it is trained on
one facing direction only). It needs no download; the files are checked against their sha256
in the model manifest (``haar-frontalface``, ``haar-profileface``) when they are loaded.
``YuNetFaceDetector`` is the optional DNN detector (``cv2.FaceDetectorYN``) for the
``face-yunet`` model users pull with ``glasses models pull face-yunet``.

``blur_faces`` hides each box (padded) beyond recovery: the region is averaged down to a few
cells and smoothly scaled back, so no detail finer than ~1/6 of the padded face survives.

Boxes are ``FaceBox`` in px of the input image.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from glasses.devices.opencv_quiet import quiet_opencv
from models.registry import ModelError, Registry, default_registry

FRONTAL_CASCADE = "haarcascade_frontalface_default.xml"
PROFILE_CASCADE = "haarcascade_profileface.xml"
CASCADE_MODEL_IDS = {FRONTAL_CASCADE: "haar-frontalface", PROFILE_CASCADE: "haar-profileface"}
"""The manifest entries of the bundled cascades (``models/manifest.toml``)."""
# Frames are searched at most this large (longer side, px); larger photos are downscaled for
# detection (a 12 MP photo would take seconds at full size) and the boxes scaled back.
_DETECT_MAX_SIDE = 960
# Boxes overlapping by more than this fraction of the smaller one are one face.
_SAME_FACE_OVERLAP = 0.5
# The optional DNN detector's model, for the manifest entry ``face-yunet`` (source "url:…"):
# opencv_zoo's file, its sha256 and size as recorded in that repository's Git LFS pointer.
YUNET_MODEL_ID = "face-yunet"
YUNET_URL = (
    "https://github.com/opencv/opencv_zoo/raw/main/models/face_detection_yunet/"
    "face_detection_yunet_2023mar.onnx"
)
YUNET_SHA256 = "8f2383e4dd3cfbb4553ea8718107fc0423210dc964f9f4280604804ed2552fa4"
YUNET_SIZE_BYTES = 232589
# blur_faces: cells across the longer side of a padded face box. Measured on synthetic faces
# 60–200 px: at 8 cells the cascade still found the blurred faces (3 of 3), at 6 none.
_BLUR_CELLS = 6


class FaceModelError(RuntimeError):
    """A cascade or model file is missing or unreadable; the message is one line with the fix."""


@dataclass(frozen=True, slots=True)
class FaceBox:
    """A face: top-left ``x``, ``y`` and size ``w``×``h`` in px; ``kind`` names the detector."""

    x: int
    y: int
    w: int
    h: int
    kind: str = "frontal"
    score: float = 1.0

    def padded(self, fraction: float, width: int, height: int) -> tuple[int, int, int, int]:
        """(x0, y0, x1, y1) grown by ``fraction`` of the box size on each side, clipped."""
        dx, dy = round(self.w * fraction), round(self.h * fraction)
        x0, y0 = max(0, self.x - dx), max(0, self.y - dy)
        x1, y1 = min(width, self.x + self.w + dx), min(height, self.y + self.h + dy)
        return x0, y0, x1, y1


def haar_cascade_dir() -> Path:
    """Where OpenCV's wheel keeps its Haar cascades."""
    data = getattr(cv2, "data", None)
    base = getattr(data, "haarcascades", "")
    return Path(base) if base else Path()


def load_cascade(path: Path) -> cv2.CascadeClassifier:
    """Load one cascade file; a missing or corrupt file raises ``FaceModelError`` (one line)."""
    fix = "reinstall opencv-python-headless 4.x (its wheel ships cv2/data/haarcascades)"
    if not path.is_file():
        raise FaceModelError(f"face cascade {path} not found; fix: {fix}")
    try:
        with quiet_opencv():  # a broken file makes OpenCV log its own parser errors
            cascade = cv2.CascadeClassifier(str(path))
    except (cv2.error, SystemError):  # the bindings wrap a parser exception in SystemError
        cascade = None
    if cascade is None or cascade.empty():
        raise FaceModelError(f"face cascade {path} is corrupt or not a cascade; fix: {fix}")
    return cascade


@dataclass(frozen=True, slots=True)
class _Cascade:
    """A loaded cascade and the lock its detections take (OpenCV's hold state while running)."""

    classifier: cv2.CascadeClassifier
    lock: threading.Lock


_CASCADES: dict[tuple[str, int, int], _Cascade] = {}
_CASCADES_LOCK = threading.Lock()


def _shared_cascade(path: Path) -> _Cascade:
    """The cascade at ``path``, loaded once per process (again when the file changes) and
    shared by every detector: the photo skill's, the frame summary's, each run's of a batch.
    A cascade keeps its detection buffers, ~35 MB for a 640×480 frame, so each copy costs
    that much."""
    try:
        info = path.stat()
    except OSError:  # load_cascade says what is wrong, in one line
        return _Cascade(load_cascade(path), threading.Lock())
    key = (str(path.resolve()), info.st_mtime_ns, info.st_size)
    with _CASCADES_LOCK:
        cascade = _CASCADES.get(key)
        if cascade is None:
            cascade = _CASCADES[key] = _Cascade(load_cascade(path), threading.Lock())
    return cascade


class FaceDetector:
    """Haar-cascade face detector (frontal, and profile faces looking either way).

    ``min_size_px``: smallest face searched, px of the input image. ``min_neighbors``: how many
    overlapping raw detections a face needs (higher: fewer false positives, fewer faces).
    ``cascade_dir``: where the cascade files are (default: OpenCV's bundled ones, checked
    through ``registry``, by default the bundled manifest's: an altered file raises
    ``FaceModelError`` naming the fix; files from a ``cascade_dir`` are loaded as they are).
    Detectors share their cascades (loaded once per process); detections on one cascade take
    its turn, so a detector may be used from any thread.
    """

    def __init__(
        self,
        *,
        profile: bool = True,
        min_size_px: int = 24,
        min_neighbors: int = 7,
        scale_factor: float = 1.1,
        cascade_dir: Path | None = None,
        registry: Registry | None = None,
    ) -> None:
        def path(name: str) -> Path:
            if cascade_dir is not None:
                return cascade_dir / name
            try:
                return (registry or default_registry()).check(CASCADE_MODEL_IDS[name])
            except ModelError as exc:
                raise FaceModelError(str(exc)) from None

        self._frontal = _shared_cascade(path(FRONTAL_CASCADE))
        self._profile = _shared_cascade(path(PROFILE_CASCADE)) if profile else None
        self.min_size_px = min_size_px
        self.min_neighbors = min_neighbors
        self.scale_factor = scale_factor

    def detect(self, image: np.ndarray) -> list[FaceBox]:
        """Faces in ``image`` (H×W×3 BGR or H×W grey, uint8), largest first, in image px."""
        grey = _as_grey(image)
        height, width = grey.shape
        factor = min(1.0, _DETECT_MAX_SIDE / max(height, width))
        small = (
            cv2.resize(grey, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)
            if factor < 1.0
            else grey
        )
        # No histogram equalisation: measured, it hid every synthetic face on a flat background
        # and made noisy frames ~10× slower (amplified noise passes more cascade stages).
        min_px = max(12, round(self.min_size_px * factor))
        found: list[FaceBox] = []
        found += self._run(self._frontal, small, min_px, "frontal", mirrored=False)
        if self._profile is not None:
            found += self._run(self._profile, small, min_px, "profile", mirrored=False)
            found += self._run(self._profile, small, min_px, "profile", mirrored=True)
        boxes = [
            FaceBox(
                round(b.x / factor),
                round(b.y / factor),
                round(b.w / factor),
                round(b.h / factor),
                b.kind,
            )
            for b in found
        ]
        return _merge(boxes)

    def _run(
        self,
        cascade: _Cascade,
        grey: np.ndarray,
        min_px: int,
        kind: str,
        *,
        mirrored: bool,
    ) -> list[FaceBox]:
        src = cv2.flip(grey, 1) if mirrored else grey
        with cascade.lock:
            rects = cascade.classifier.detectMultiScale(
                src,
                scaleFactor=self.scale_factor,
                minNeighbors=self.min_neighbors,
                minSize=(min_px, min_px),
            )
        width = grey.shape[1]
        out = []
        for x, y, w, h in np.asarray(rects, dtype=np.int64).reshape(-1, 4):
            left = width - int(x) - int(w) if mirrored else int(x)
            out.append(FaceBox(left, int(y), int(w), int(h), kind))
        return out


class YuNetFaceDetector:
    """The optional DNN face detector: YuNet ONNX (``face-yunet`` in the model manifest).

    ``model_path``: the pulled ``.onnx`` file (``models.registry.default_registry().path(
    "face-yunet")`` verifies it). ``score_threshold``: minimum face confidence (0–1).
    """

    def __init__(self, model_path: Path, *, score_threshold: float = 0.7) -> None:
        if not model_path.is_file():
            raise FaceModelError(
                f"face model {model_path} not found; fix: glasses models pull face-yunet"
            )
        try:
            self._net = cv2.FaceDetectorYN.create(str(model_path), "", (320, 320), score_threshold)
        except cv2.error as exc:
            first = str(exc).strip().splitlines()[-1] if str(exc).strip() else "load failed"
            raise FaceModelError(
                f"face model {model_path} could not be loaded ({first}); fix: glasses models "
                "pull face-yunet"
            ) from None

    def detect(self, image: np.ndarray) -> list[FaceBox]:
        """Faces in ``image`` (H×W×3 BGR uint8), most confident first, in image px."""
        if image.ndim == 2:
            image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
        height, width = image.shape[:2]
        self._net.setInputSize((width, height))
        _, faces = self._net.detect(image)
        if faces is None:
            return []
        boxes = [
            FaceBox(round(f[0]), round(f[1]), round(f[2]), round(f[3]), "yunet", float(f[-1]))
            for f in faces
        ]
        return sorted(boxes, key=lambda b: -b.score)


def blur_faces(image: np.ndarray, boxes: list[FaceBox], *, pad: float = 0.2) -> np.ndarray:
    """A copy of ``image`` with every box (grown by ``pad`` of its size per side) made
    unrecognisable: averaged down to ~6 cells across and scaled back smoothly."""
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8 or image.size == 0:
        raise ValueError("expected a non-empty uint8 grey or BGR image")
    out = image.copy()
    height, width = image.shape[:2]
    for box in boxes:
        x0, y0, x1, y1 = box.padded(pad, width, height)
        if x1 - x0 < 2 or y1 - y0 < 2:
            continue
        region = out[y0:y1, x0:x1]
        rh, rw = region.shape[:2]
        cell = max(rw, rh) / _BLUR_CELLS
        coarse = cv2.resize(
            region,
            (max(1, round(rw / cell)), max(1, round(rh / cell))),
            interpolation=cv2.INTER_AREA,
        )
        smooth = cv2.resize(coarse, (rw, rh), interpolation=cv2.INTER_LINEAR)
        # A Gaussian of half a cell removes the interpolation's ridges between cells.
        sigma = cell / 2
        out[y0:y1, x0:x1] = cv2.GaussianBlur(smooth, (0, 0), sigmaX=sigma, sigmaY=sigma)
    return out


def _as_grey(image: np.ndarray) -> np.ndarray:
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8 or image.size == 0:
        raise ValueError("expected a non-empty uint8 grey or BGR image")
    if image.ndim == 3 and image.shape[2] == 3:
        grey: np.ndarray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
        return grey
    if image.ndim == 3 and image.shape[2] == 1:
        return np.ascontiguousarray(image[:, :, 0])
    if image.ndim == 2:
        return np.ascontiguousarray(image)
    raise ValueError(f"expected an H×W grey or H×W×3 BGR uint8 image, got shape {image.shape}")


def _overlap(a: FaceBox, b: FaceBox) -> float:
    """Intersection over the smaller box's area (a box inside another counts as the same)."""
    ix = max(0, min(a.x + a.w, b.x + b.w) - max(a.x, b.x))
    iy = max(0, min(a.y + a.h, b.y + b.h) - max(a.y, b.y))
    smaller = min(a.w * a.h, b.w * b.h)
    return ix * iy / smaller if smaller > 0 else 0.0


def _merge(boxes: list[FaceBox]) -> list[FaceBox]:
    """One box per face, largest first: the frontal and profile passes often find the same face
    (the profile cascade's box is looser); the frontal box wins, then the larger."""
    kept: list[FaceBox] = []
    for box in sorted(boxes, key=lambda b: (b.kind != "frontal", -(b.w * b.h))):
        if all(_overlap(box, k) <= _SAME_FACE_OVERLAP for k in kept):
            kept.append(box)
    return sorted(kept, key=lambda b: -(b.w * b.h))
