"""The optional YOLO-style ONNX object detector, on tiny hand-built models with known outputs.

Each model ignores its image (the output is a constant tensor, plus 0 × the input's mean so the
input stays part of the graph), so decoding, letterbox mapping, thresholds and NMS are exact.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from glasses.perception.detector import (
    PAD_VALUE,
    Detection,
    ObjectDetector,
    letterbox,
    nms,
    parse_names,
)
from models.registry import ModelError

NAMES = "{0: 'cat', 1: 'dog'}"


def build_model(
    path: Path,
    output: np.ndarray,
    *,
    input_hw: tuple[int | str, int | str] = (64, 64),
    metadata: dict[str, str] | None = None,
) -> Path:
    """An ONNX model with input ``images`` (1×3×H×W float) whose output is ``output``."""
    const = numpy_helper.from_array(output.astype(np.float32), "const")
    nodes = [
        helper.make_node("ReduceMean", ["images"], ["mean"], keepdims=0),
        helper.make_node("Mul", ["mean", "zero"], ["nothing"]),
        helper.make_node("Add", ["const", "nothing"], ["output0"]),
    ]
    graph = helper.make_graph(
        nodes,
        "tiny-yolo",
        [helper.make_tensor_value_info("images", TensorProto.FLOAT, [1, 3, *input_hw])],
        [helper.make_tensor_value_info("output0", TensorProto.FLOAT, list(output.shape))],
        initializer=[const, numpy_helper.from_array(np.zeros((), np.float32), "zero")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    if metadata:
        helper.set_model_props(model, metadata)
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path


def v8_output(
    boxes: list[tuple[float, float, float, float, int, float]], classes: int = 2
) -> np.ndarray:
    """YOLOv8 layout 1×(4+C)×N from (cx, cy, w, h, class, score) per box."""
    out = np.zeros((1, 4 + classes, len(boxes)), np.float32)
    for i, (cx, cy, w, h, cls, score) in enumerate(boxes):
        out[0, :4, i] = cx, cy, w, h
        out[0, 4 + cls, i] = score
    return out


def v5_output(
    boxes: list[tuple[float, float, float, float, float, int, float]], classes: int = 2
) -> np.ndarray:
    """YOLOv5 layout 1×N×(5+C) from (cx, cy, w, h, objectness, class, class score) per box."""
    out = np.zeros((1, len(boxes), 5 + classes), np.float32)
    for i, (cx, cy, w, h, obj, cls, score) in enumerate(boxes):
        out[0, i, :5] = cx, cy, w, h, obj
        out[0, i, 5 + cls] = score
    return out


# A 128×64 frame into a 64×64 model: scale 0.5, resized to 64×32, padded 16 px above and below.
FRAME = np.full((64, 128, 3), 30, np.uint8)


def test_letterbox_keeps_aspect_and_pads_with_114() -> None:
    image = np.full((64, 128, 3), 7, np.uint8)
    boxed = letterbox(image, 64, 64)
    assert boxed.image.shape == (64, 64, 3)
    assert boxed.scale == 0.5 and boxed.pad == (0, 16)
    assert (boxed.image[:16] == PAD_VALUE).all() and (boxed.image[48:] == PAD_VALUE).all()
    assert (boxed.image[16:48] == 7).all()
    tall = letterbox(np.zeros((100, 50, 3), np.uint8), 64, 64)
    assert tall.scale == pytest.approx(0.64) and tall.pad == (16, 0)
    # Model px → frame px, and clipped to the frame.
    mapped = boxed.to_frame(np.array([[10.0, 16.0, 20.0, 26.0], [-8, 0, 70, 60]]), 128, 64)
    assert mapped.tolist() == [[20.0, 0.0, 40.0, 20.0], [0.0, 0.0, 128.0, 64.0]]


def test_yolov8_boxes_are_decoded_and_mapped_to_the_frame(tmp_path: Path) -> None:
    out = v8_output([(32, 32, 20, 10, 0, 0.9), (10, 20, 8, 8, 1, 0.6)])
    detector = ObjectDetector(build_model(tmp_path / "v8.onnx", out, metadata={"names": NAMES}))
    assert detector.layout_of(out.shape) == "yolov8"
    found = detector.detect(FRAME)
    assert found == [
        Detection("cat", pytest.approx(0.9), (44.0, 22.0, 84.0, 42.0), 0),  # type: ignore[arg-type]
        Detection("dog", pytest.approx(0.6), (12.0, 0.0, 28.0, 16.0), 1),  # type: ignore[arg-type]
    ]


def test_yolov5_score_is_objectness_times_class_score(tmp_path: Path) -> None:
    out = v5_output([(32, 32, 20, 10, 0.5, 1, 0.8), (40, 40, 4, 4, 0.9, 0, 0.2)])
    detector = ObjectDetector(build_model(tmp_path / "v5.onnx", out, metadata={"names": NAMES}))
    assert detector.layout_of(out.shape) == "yolov5"
    found = detector.detect(FRAME)
    # 0.5 × 0.8 = 0.4 is kept; 0.9 × 0.2 = 0.18 is under the default threshold of 0.25.
    assert [(d.label, round(d.score, 6), d.box) for d in found] == [
        ("dog", 0.4, (44.0, 22.0, 84.0, 42.0))
    ]


def test_score_threshold(tmp_path: Path) -> None:
    out = v8_output([(32, 32, 20, 10, 0, 0.9), (10, 20, 8, 8, 1, 0.3)])
    path = build_model(tmp_path / "m.onnx", out, metadata={"names": NAMES})
    assert [d.label for d in ObjectDetector(path, score_threshold=0.25).detect(FRAME)] == [
        "cat",
        "dog",
    ]
    assert [d.label for d in ObjectDetector(path, score_threshold=0.5).detect(FRAME)] == ["cat"]
    assert ObjectDetector(path, score_threshold=0.95).detect(FRAME) == []


def test_nms_is_per_class(tmp_path: Path) -> None:
    out = v8_output(
        [
            (32, 32, 20, 20, 0, 0.7),  # a cat
            (33, 32, 20, 20, 0, 0.9),  # the same cat, more sure: wins
            (32, 33, 20, 20, 1, 0.5),  # a dog in the same place: another class, kept
            (10, 10, 6, 6, 0, 0.4),  # another cat, apart: kept
        ]
    )
    found = ObjectDetector(build_model(tmp_path / "m.onnx", out, metadata={"names": NAMES})).detect(
        FRAME
    )
    assert [(d.label, round(d.score, 6)) for d in found] == [
        ("cat", 0.9),
        ("dog", 0.5),
        ("cat", 0.4),
    ]
    # A looser IoU threshold keeps the overlapping cat too (IoU of the two cats is 19/21).
    loose = ObjectDetector(
        build_model(tmp_path / "m.onnx", out, metadata={"names": NAMES}), iou_threshold=0.95
    ).detect(FRAME)
    assert len(loose) == 4


def test_nms_function_orders_and_breaks_ties_by_index() -> None:
    boxes = np.array([[0, 0, 10, 10], [0, 0, 10, 10], [20, 20, 30, 30]], np.float64)
    scores = np.array([0.5, 0.5, 0.8])
    assert nms(boxes, scores, np.array([0, 0, 0]), 0.5) == [2, 0]
    assert nms(boxes, scores, np.array([0, 1, 0]), 0.5) == [2, 0, 1]


def test_max_detections(tmp_path: Path) -> None:
    out = v8_output([(8 + 12 * i, 32, 6, 6, 0, 0.9 - i / 100) for i in range(5)])
    path = build_model(tmp_path / "m.onnx", out, metadata={"names": NAMES})
    found = ObjectDetector(path, max_detections=2).detect(FRAME)
    assert [round(d.score, 6) for d in found] == [0.9, 0.89]


def test_names_given_or_missing(tmp_path: Path) -> None:
    out = v8_output([(32, 32, 20, 10, 1, 0.9)])
    with_meta = build_model(tmp_path / "a.onnx", out, metadata={"names": NAMES})
    assert ObjectDetector(with_meta, names=["bird", "fish"]).detect(FRAME)[0].label == "fish"
    bare = build_model(tmp_path / "b.onnx", out)
    assert ObjectDetector(bare).detect(FRAME)[0].label == "class_1"
    listed = build_model(tmp_path / "c.onnx", out, metadata={"names": "['x', 'y']"})
    assert ObjectDetector(listed).detect(FRAME)[0].label == "y"


def test_parse_names() -> None:
    assert parse_names("{0: 'person', 1: 'bicycle'}") == ["person", "bicycle"]
    assert parse_names("['a', 'b']") == ["a", "b"]
    for bad in ("{0: 'a', 2: 'b'}", "not python", "{0: 1}", "42"):
        with pytest.raises(ValueError, match="names metadata"):
            parse_names(bad)


def test_bad_names_metadata_is_a_model_error(tmp_path: Path) -> None:
    path = build_model(tmp_path / "m.onnx", v8_output([]), metadata={"names": "{oops"})
    with pytest.raises(ModelError, match=r"m\.onnx.*names metadata.*pass names="):
        ObjectDetector(path)


def test_output_that_fits_neither_layout(tmp_path: Path) -> None:
    # 80 names, but an output with 2 class scores per box.
    names = str(dict(enumerate(f"c{i}" for i in range(80))))
    out = v8_output([(1, 1, 1, 1, 0, 0.9)])
    path = build_model(tmp_path / "m.onnx", out, metadata={"names": names})
    with pytest.raises(ModelError, match=r"fits neither YOLOv5 \(1×N×85\) nor YOLOv8 \(1×84×N\)"):
        ObjectDetector(path).detect(FRAME)
    four_d = build_model(tmp_path / "d.onnx", np.zeros((1, 1, 6, 3), np.float32))
    with pytest.raises(ModelError, match="not a YOLO detection output"):
        ObjectDetector(four_d).detect(FRAME)


def test_layout_heuristic_without_names_and_override(tmp_path: Path) -> None:
    # Many boxes, few attributes: the usual exports are told apart without names.
    v8 = v8_output([(32, 32, 20, 10, 0, 0.9)] * 10)
    detector = ObjectDetector(build_model(tmp_path / "v8.onnx", v8))
    assert detector.layout_of(v8.shape) == "yolov8"
    v5 = v5_output([(32, 32, 20, 10, 1.0, 0, 0.9)] * 10)
    assert detector.layout_of(v5.shape) == "yolov5"
    # One layout leaving no class score is ruled out: 1×3×7 can only be YOLOv5, 1×6×1 YOLOv8.
    assert detector.layout_of((1, 3, 7)) == "yolov5"
    assert detector.layout_of((1, 6, 1)) == "yolov8"
    # Six boxes of seven attributes look like YOLOv8 to the heuristic: say which it is.
    few = v5_output([(32, 32, 20, 10, 0.5, 1, 0.8)] * 6)
    path = build_model(tmp_path / "v5.onnx", few)
    assert ObjectDetector(path).layout_of(few.shape) == "yolov8"
    found = ObjectDetector(path, layout="yolov5").detect(FRAME)
    assert [(d.label, round(d.score, 6)) for d in found] == [("class_1", 0.4)]


def test_dynamic_input_size_uses_metadata_or_default(tmp_path: Path) -> None:
    out = v8_output([(32, 32, 20, 10, 0, 0.9)])
    meta = {"names": NAMES, "imgsz": "[64, 64]"}
    dynamic = build_model(tmp_path / "m.onnx", out, input_hw=("h", "w"), metadata=meta)
    detector = ObjectDetector(dynamic)
    assert detector.input_size == (64, 64)
    assert detector.detect(FRAME)[0].box == (44.0, 22.0, 84.0, 42.0)
    plain = build_model(tmp_path / "p.onnx", out, input_hw=("h", "w"))
    assert ObjectDetector(plain).input_size == (640, 640)
    assert ObjectDetector(plain, input_size=(96, 48)).input_size == (96, 48)


def test_preprocess_is_rgb_in_0_1_with_grey_padding(tmp_path: Path) -> None:
    path = build_model(tmp_path / "m.onnx", v8_output([]), metadata={"names": NAMES})
    blue = np.zeros((64, 128, 3), np.uint8)
    blue[:, :, 0] = 255  # BGR
    tensor, boxed = ObjectDetector(path).preprocess(blue)
    assert tensor.shape == (1, 3, 64, 64) and tensor.dtype == np.float32
    assert boxed.pad == (0, 16)
    assert tensor[0, :, 20, 10].tolist() == [0.0, 0.0, 1.0]  # red, green, blue
    assert tensor[0, :, 5, 10] == pytest.approx([PAD_VALUE / 255] * 3)
    grey_tensor, _ = ObjectDetector(path).preprocess(np.full((64, 128), 51, np.uint8))
    assert grey_tensor[0, :, 20, 10] == pytest.approx([0.2] * 3)


def test_corrupt_and_missing_model_files(tmp_path: Path) -> None:
    corrupt = tmp_path / "yolo.onnx"
    corrupt.write_bytes(b"\x08\x07 not an onnx model at all" * 10)
    with pytest.raises(ModelError, match=r"yolo\.onnx cannot be loaded by onnxruntime") as info:
        ObjectDetector(corrupt)
    assert "\n" not in str(info.value)
    with pytest.raises(ModelError, match="missing"):
        ObjectDetector(tmp_path / "nope.onnx")


def test_model_without_an_image_input(tmp_path: Path) -> None:
    graph = helper.make_graph(
        [helper.make_node("Identity", ["x"], ["y"])],
        "not-a-detector",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(tmp_path / "id.onnx"))
    with pytest.raises(ModelError, match=r"not an image detector: expected one 1×3×H×W input"):
        ObjectDetector(tmp_path / "id.onnx")


@pytest.mark.parametrize(
    ("image", "match"),
    [
        (None, "got NoneType"),
        (np.zeros((4, 4, 4, 3), np.uint8), "shape"),
        (np.zeros((8, 8, 4), np.uint8), "shape"),
        (np.zeros((8, 8, 3), np.float32), "uint8"),
        (np.zeros((0, 8, 3), np.uint8), "non-empty"),
    ],
)
def test_bad_images_raise_value_error(tmp_path: Path, image: object, match: str) -> None:
    path = build_model(tmp_path / "m.onnx", v8_output([]), metadata={"names": NAMES})
    with pytest.raises(ValueError, match=match):
        ObjectDetector(path).detect(image)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"score_threshold": 1.5}, "score_threshold"),
        ({"iou_threshold": 0.0}, "iou_threshold"),
        ({"max_detections": 0}, "max_detections"),
        ({"layout": "yolov3"}, "layout"),
    ],
)
def test_bad_settings(tmp_path: Path, kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        ObjectDetector(tmp_path / "m.onnx", **kwargs)  # type: ignore[arg-type]


def test_float16_model_input(tmp_path: Path) -> None:
    out = v8_output([(32, 32, 20, 10, 0, 0.9)])
    nodes = [
        helper.make_node("Cast", ["images"], ["as_float"], to=TensorProto.FLOAT),
        helper.make_node("ReduceMean", ["as_float"], ["mean"], keepdims=0),
        helper.make_node("Mul", ["mean", "zero"], ["nothing"]),
        helper.make_node("Add", ["const", "nothing"], ["output0"]),
    ]
    graph = helper.make_graph(
        nodes,
        "tiny-yolo-fp16",
        [helper.make_tensor_value_info("images", TensorProto.FLOAT16, [1, 3, 64, 64])],
        [helper.make_tensor_value_info("output0", TensorProto.FLOAT, list(out.shape))],
        initializer=[
            numpy_helper.from_array(out, "const"),
            numpy_helper.from_array(np.zeros((), np.float32), "zero"),
        ],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(tmp_path / "fp16.onnx"))
    detector = ObjectDetector(tmp_path / "fp16.onnx", names=["cat", "dog"])
    assert detector.preprocess(FRAME)[0].dtype == np.float16
    assert [(d.label, d.box) for d in detector.detect(FRAME)] == [("cat", (44.0, 22.0, 84.0, 42.0))]
