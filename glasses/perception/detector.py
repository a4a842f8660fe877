"""Objects in view, with an optional YOLO-style ONNX detector users pull themselves.

No detector weights ship with glasses (the common YOLO exports are AGPL); ``ObjectDetector``
runs any ONNX export with one image input ``1×3×H×W`` (RGB, 0–1) and one of the two usual
output layouts, told apart by the output's shape:

- YOLOv5: ``1×N×(5+C)``, rows of ``cx, cy, w, h, objectness, C class scores``; a box's score
  is objectness × its best class score.
- YOLOv8 (and later Ultralytics models): ``1×(4+C)×N``, columns of ``cx, cy, w, h, C class
  scores``; a box's score is its best class score.

Box coordinates are px of the model input. Pipeline: letterbox the frame to the model's input
size (aspect kept, padded with grey 114 on both sides, as Ultralytics trains), run, keep boxes
scoring at least ``score_threshold``, suppress overlaps per class (greedy NMS, IoU above
``iou_threshold``), map the boxes back to frame px and clip them to the frame.

Class names come from the model's metadata (``names``, which Ultralytics stores as the text of a
Python dict ``{0: 'person', 1: 'bicycle', …}``) unless a list is given; without either a class
is called ``class_<id>``.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import cv2
import numpy as np

from glasses.perception.ocr import session_options
from models.registry import ModelError, open_session

Layout = Literal["auto", "yolov5", "yolov8"]

PAD_VALUE = 114  # Ultralytics' letterbox grey
DEFAULT_INPUT_PX = 640  # for a model whose input size is dynamic and not in its metadata


@dataclass(frozen=True, slots=True)
class Detection:
    """One object: ``label`` (class name), ``score`` (0–1), ``box`` = (x0, y0, x1, y1) in px of
    the frame, clipped to it; ``class_id`` is the model's class index."""

    label: str
    score: float
    box: tuple[float, float, float, float]
    class_id: int = -1


@dataclass(frozen=True, slots=True)
class Letterboxed:
    """A frame resized into the model's input: ``image`` (H×W×3 uint8 BGR at the model size),
    ``scale`` (model px per frame px) and ``pad`` (left, top) px added before the image."""

    image: np.ndarray
    scale: float
    pad: tuple[int, int]

    def to_frame(self, boxes: np.ndarray, width: int, height: int) -> np.ndarray:
        """Boxes (N×4, x0 y0 x1 y1 in model px) in px of the ``width``×``height`` frame,
        clipped to it."""
        out = np.asarray(boxes, dtype=np.float64).reshape(-1, 4).copy()
        out[:, [0, 2]] = (out[:, [0, 2]] - self.pad[0]) / self.scale
        out[:, [1, 3]] = (out[:, [1, 3]] - self.pad[1]) / self.scale
        out[:, [0, 2]] = out[:, [0, 2]].clip(0, width)
        out[:, [1, 3]] = out[:, [1, 3]].clip(0, height)
        return out


def letterbox(
    image: np.ndarray, width: int, height: int, pad_value: int = PAD_VALUE
) -> Letterboxed:
    """Fit ``image`` (H×W×3 BGR uint8) into ``width``×``height`` px keeping its aspect ratio,
    centred, the borders filled with ``pad_value``."""
    ih, iw = image.shape[:2]
    scale = min(width / iw, height / ih)
    nw, nh = max(1, min(width, round(iw * scale))), max(1, min(height, round(ih * scale)))
    left, top = (width - nw) // 2, (height - nh) // 2
    out = np.full((height, width, 3), pad_value, np.uint8)
    if (nw, nh) == (iw, ih):
        resized = image
    else:
        interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
        resized = cv2.resize(image, (nw, nh), interpolation=interpolation)
    out[top : top + nh, left : left + nw] = resized
    return Letterboxed(out, scale, (left, top))


def nms(
    boxes: np.ndarray, scores: np.ndarray, classes: np.ndarray, iou_threshold: float
) -> list[int]:
    """Class-aware greedy non-maximum suppression: indices kept, best score first.

    A box is dropped when it overlaps a better box of the same class by IoU > ``iou_threshold``.
    Ties in score keep the lower index first, so the result is deterministic.
    """
    order = np.lexsort((np.arange(len(scores)), -scores))
    keep: list[int] = []
    kept_by_class: dict[int, list[int]] = {}
    for i in order.tolist():
        mine = kept_by_class.setdefault(int(classes[i]), [])
        if mine and float(_iou(boxes[i], boxes[mine]).max()) > iou_threshold:
            continue
        mine.append(i)
        keep.append(i)
    return keep


def _iou(box: np.ndarray, others: np.ndarray) -> np.ndarray:
    x0 = np.maximum(box[0], others[:, 0])
    y0 = np.maximum(box[1], others[:, 1])
    x1 = np.minimum(box[2], others[:, 2])
    y1 = np.minimum(box[3], others[:, 3])
    inter = (x1 - x0).clip(0) * (y1 - y0).clip(0)
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (others[:, 2] - others[:, 0]) * (others[:, 3] - others[:, 1])
    union = area + areas - inter
    result: np.ndarray = np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)
    return result


def parse_names(text: str) -> list[str]:
    """Class names from a model's ``names`` metadata: ``{0: 'person', …}`` or ``['person', …]``.

    Raises ``ValueError`` for anything else (ids must be 0…C−1 without gaps)."""
    try:
        value = ast.literal_eval(text.strip())
    except (ValueError, SyntaxError, MemoryError, RecursionError) as exc:
        raise ValueError(f"names metadata is not a dict or list literal ({exc})") from None
    if isinstance(value, dict):
        if sorted(value) != list(range(len(value))):
            raise ValueError("names metadata ids must be 0, 1, … without gaps")
        value = [value[i] for i in range(len(value))]
    if not isinstance(value, list | tuple) or not all(isinstance(n, str) for n in value):
        raise ValueError("names metadata must map class ids to strings")
    return list(value)


class ObjectDetector:
    """A YOLO-style ONNX object detector (see the module docstring for the formats).

    ``model_path``: the ``.onnx`` file; a missing, corrupt or unloadable file, or a model with
    an unexpected input or output, raises ``ModelError`` (one line). ``names``: class names in
    class-id order, overriding the model's metadata. ``score_threshold``: minimum box score
    (0–1). ``iou_threshold``: overlap (IoU, 0–1) above which the weaker box of a class is
    dropped. ``max_detections``: most boxes returned. ``input_size``: (width, height) px for a
    model whose input size is dynamic (default: its ``imgsz`` metadata, else 640×640).
    ``layout``: ``auto`` tells YOLOv5 from YOLOv8 by the output shape (see ``layout_of``).
    Thread-safe: an onnxruntime session may run concurrently.
    """

    def __init__(
        self,
        model_path: Path,
        *,
        names: Sequence[str] | None = None,
        score_threshold: float = 0.25,
        iou_threshold: float = 0.45,
        max_detections: int = 300,
        input_size: tuple[int, int] | None = None,
        layout: Layout = "auto",
        threads: int = 1,
    ) -> None:
        if not 0.0 <= score_threshold <= 1.0:
            raise ValueError(f"score_threshold must be in 0..1, got {score_threshold!r}")
        if not 0.0 < iou_threshold <= 1.0:
            raise ValueError(f"iou_threshold must be in (0, 1], got {iou_threshold!r}")
        if max_detections < 1:
            raise ValueError(f"max_detections must be >= 1, got {max_detections!r}")
        if layout not in ("auto", "yolov5", "yolov8"):
            raise ValueError(f"layout must be auto, yolov5 or yolov8, got {layout!r}")
        self.model_path = Path(model_path)
        self.score_threshold = score_threshold
        self.iou_threshold = iou_threshold
        self.max_detections = max_detections
        self.layout: Layout = layout
        self._session = open_session(self.model_path, session_options(threads))
        meta = self._session.get_modelmeta().custom_metadata_map or {}
        if names is not None:
            self.names: list[str] | None = list(names)
        elif "names" in meta:
            try:
                self.names = parse_names(meta["names"])
            except ValueError as exc:
                raise ModelError(
                    f"model file {self.model_path}: {exc}; pass names=[…] to ObjectDetector"
                ) from None
        else:
            self.names = None
        inputs = self._session.get_inputs()
        if len(inputs) != 1 or len(inputs[0].shape) != 4 or inputs[0].shape[1] not in (3, "3"):
            shapes = ", ".join(str(i.shape) for i in inputs)
            raise ModelError(
                f"model file {self.model_path} is not an image detector: expected one 1×3×H×W "
                f"input, got {shapes or 'none'}"
            )
        self._input = inputs[0].name
        self._dtype = np.float16 if inputs[0].type == "tensor(float16)" else np.float32
        h, w = inputs[0].shape[2], inputs[0].shape[3]
        if isinstance(w, int) and isinstance(h, int) and w > 0 and h > 0:
            self.input_size = (w, h)
        else:
            default = (DEFAULT_INPUT_PX, DEFAULT_INPUT_PX)
            self.input_size = input_size or _imgsz(meta.get("imgsz", "")) or default

    def preprocess(self, image: np.ndarray) -> tuple[np.ndarray, Letterboxed]:
        """The model's input tensor (1×3×H×W, RGB in 0–1) for ``image``, and its letterbox."""
        bgr = _as_bgr(image)
        boxed = letterbox(bgr, *self.input_size)
        rgb = boxed.image[:, :, ::-1].transpose(2, 0, 1)[np.newaxis]
        tensor: np.ndarray = rgb.astype(np.float32) * np.float32(1 / 255)
        return np.ascontiguousarray(tensor, dtype=self._dtype), boxed

    def detect(self, image: np.ndarray) -> list[Detection]:
        """Objects in ``image`` (H×W×3 BGR or H×W grey, uint8), best score first, in frame px.

        Raises ``ValueError`` for anything but a non-empty uint8 grey or BGR image, and
        ``ModelError`` when the model's output fits neither layout."""
        tensor, boxed = self.preprocess(image)
        output = self._session.run(None, {self._input: tensor})[0]
        boxes, scores, classes = self.decode(np.asarray(output, dtype=np.float32))
        keep = scores >= self.score_threshold
        boxes, scores, classes = boxes[keep], scores[keep], classes[keep]
        kept = nms(boxes, scores, classes, self.iou_threshold)[: self.max_detections]
        height, width = image.shape[:2]
        frame_boxes = boxed.to_frame(boxes[kept], width, height)
        return [
            Detection(
                self._label(int(classes[i])),
                float(scores[i]),
                (float(b[0]), float(b[1]), float(b[2]), float(b[3])),
                int(classes[i]),
            )
            for i, b in zip(kept, frame_boxes, strict=True)
        ]

    def layout_of(self, shape: tuple[int, ...]) -> Literal["yolov5", "yolov8"]:
        """Which layout an output of ``shape`` (batch dimension included) has.

        With the class count known (from the names), YOLOv5 is ``N×(5+C)`` and YOLOv8
        ``(4+C)×N``. Without names, a layout that leaves no class score is ruled out. If both
        still fit, the smaller dimension is the attributes (exports have far more boxes than
        classes); pass ``layout`` when a model breaks that rule."""
        if self.layout != "auto":
            return self.layout
        rows, cols = shape[-2], shape[-1]
        if self.names is not None:
            n = len(self.names)
            v5, v8 = cols == 5 + n, rows == 4 + n
            if v5 != v8:
                return "yolov5" if v5 else "yolov8"
            if not v5:
                raise ModelError(
                    f"model file {self.model_path}: output shape {list(shape)} fits neither "
                    f"YOLOv5 (1×N×{5 + n}) nor YOLOv8 (1×{4 + n}×N) for {n} class names"
                )
        elif (cols > 5) != (rows > 4):
            return "yolov5" if cols > 5 else "yolov8"
        return "yolov8" if rows < cols else "yolov5"

    def decode(self, output: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Raw output → (boxes N×4 x0 y0 x1 y1 in model px, scores N, class ids N)."""
        shape = list(output.shape)
        if output.ndim != 3 or output.shape[0] != 1:
            raise ModelError(
                f"model file {self.model_path}: output shape {shape} is not a YOLO detection "
                "output (1×N×(5+C) or 1×(4+C)×N)"
            )
        layout = self.layout_of(output.shape)
        rows = output[0] if layout == "yolov5" else output[0].T
        first_class = 5 if layout == "yolov5" else 4
        classes_n = rows.shape[1] - first_class
        if classes_n < 1 or (self.names is not None and classes_n != len(self.names)):
            expected = f"{len(self.names)} classes" if self.names is not None else "a class"
            raise ModelError(
                f"model file {self.model_path}: {layout} output shape {shape} "
                f"has {max(classes_n, 0)} class scores per box, expected {expected}"
            )
        class_scores = rows[:, first_class:]
        classes = class_scores.argmax(axis=1)
        scores = class_scores[np.arange(len(rows)), classes]
        if layout == "yolov5":
            scores = scores * rows[:, 4]
        cx, cy, w, h = rows[:, 0], rows[:, 1], rows[:, 2], rows[:, 3]
        boxes = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1)
        return boxes.astype(np.float64), scores.astype(np.float64), classes

    def _label(self, class_id: int) -> str:
        if self.names is not None and 0 <= class_id < len(self.names):
            return self.names[class_id]
        return f"class_{class_id}"


def _imgsz(text: str) -> tuple[int, int] | None:
    """Ultralytics' ``imgsz`` metadata, ``[height, width]``, as (width, height)."""
    try:
        value = ast.literal_eval(text) if text else None
    except (ValueError, SyntaxError):
        return None
    if isinstance(value, int) and value > 0:
        return value, value
    if (
        isinstance(value, list | tuple)
        and len(value) == 2
        and all(isinstance(v, int) and v > 0 for v in value)
    ):
        return int(value[1]), int(value[0])
    return None


def _as_bgr(image: object) -> np.ndarray:
    if not isinstance(image, np.ndarray):
        raise ValueError(
            f"expected an H×W×3 BGR or H×W grey uint8 image, got {type(image).__name__}"
        )
    if image.dtype != np.uint8 or image.size == 0:
        raise ValueError(
            f"expected a non-empty uint8 image, got dtype {image.dtype} shape {image.shape}"
        )
    if image.ndim == 2 or (image.ndim == 3 and image.shape[2] == 1):
        grey = image if image.ndim == 2 else image[:, :, 0]
        bgr: np.ndarray = cv2.cvtColor(np.ascontiguousarray(grey), cv2.COLOR_GRAY2BGR)
        return bgr
    if image.ndim == 3 and image.shape[2] == 3:
        return image
    raise ValueError(f"expected an H×W×3 BGR or H×W grey uint8 image, got shape {image.shape}")
