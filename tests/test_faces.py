"""Faces: the Haar detector on synthetic faces, blurring, and clear errors for bad cascades."""

from __future__ import annotations

import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest

from glasses.perception.faces import (
    FRONTAL_CASCADE,
    PROFILE_CASCADE,
    FaceBox,
    FaceDetector,
    FaceModelError,
    YuNetFaceDetector,
    blur_faces,
    haar_cascade_dir,
)
from simulator.faces_drawing import draw_face
from simulator.scenes import SceneSpec, render_scene


@pytest.fixture(scope="module")
def detector() -> FaceDetector:
    return FaceDetector()


def face_frame(
    width_px: int, *, center: tuple[int, int] = (320, 240), bg: int = 90, noise: float = 4.0
) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    frame = np.full((480, 640, 3), bg, np.uint8)
    box = draw_face(frame, center, width_px)
    if noise:
        rng = np.random.default_rng(width_px)
        frame = np.clip(frame + rng.normal(0, noise, frame.shape), 0, 255).astype(np.uint8)
    return frame, box


def lap_var(image: np.ndarray, box: FaceBox) -> float:
    grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)[box.y : box.y + box.h, box.x : box.x + box.w]
    return float(cv2.Laplacian(grey, cv2.CV_64F).var())


def centre_inside(box: FaceBox, drawn: tuple[int, int, int, int]) -> bool:
    x, y, w, h = drawn
    cx, cy = box.x + box.w / 2, box.y + box.h / 2
    return x <= cx <= x + w and y <= cy <= y + h


@pytest.mark.parametrize("width_px", [40, 60, 90, 130, 180, 240])
def test_haar_finds_synthetic_faces_of_every_size(detector: FaceDetector, width_px: int) -> None:
    frame, drawn = face_frame(width_px)
    faces = detector.detect(frame)
    assert len(faces) == 1
    assert faces[0].kind == "frontal" and centre_inside(faces[0], drawn)
    assert 0.8 * width_px <= faces[0].w <= 2.0 * width_px


def test_two_faces_two_boxes_and_grey_input(detector: FaceDetector) -> None:
    frame = np.full((480, 640, 3), 140, np.uint8)
    left = draw_face(frame, (170, 240), 120, skin=170)
    right = draw_face(frame, (470, 220), 90, skin=210)
    faces = detector.detect(frame)
    assert len(faces) == 2
    assert centre_inside(faces[0], left) and centre_inside(faces[1], right)  # largest first
    assert len(detector.detect(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY))) == 2


@pytest.mark.parametrize(
    "spec",
    [
        SceneSpec(kind="blank", noise_sigma=10),
        SceneSpec(kind="text", content="PLATFORM 4", scale=0.6, noise_sigma=5),
        SceneSpec(kind="text", content="MENU\nSOUP 4.50\nSALAD 6.00", scale=0.8),
        SceneSpec(kind="qr", content="https://example.org", scale=0.35),
        SceneSpec(kind="qr", content="WIFI:S:cafe;T:WPA;P:espresso;;", scale=0.5, rotate_deg=7),
        SceneSpec(kind="ean13", content="4006381333931", scale=0.6),
    ],
    ids=lambda s: s.kind,
)
def test_no_faces_in_scenes_without_faces(detector: FaceDetector, spec: SceneSpec) -> None:
    assert detector.detect(render_scene(spec)) == []


def test_large_photos_are_searched_downscaled_with_boxes_in_photo_px(
    detector: FaceDetector,
) -> None:
    frame = np.full((1440, 1920, 3), 90, np.uint8)
    drawn = draw_face(frame, (900, 700), 360)
    faces = detector.detect(frame)
    assert len(faces) == 1 and centre_inside(faces[0], drawn)
    assert faces[0].w >= 300


def test_blur_makes_the_face_unrecognisable(detector: FaceDetector) -> None:
    frame, _ = face_frame(150)
    faces = detector.detect(frame)
    out = blur_faces(frame, faces)
    assert out.shape == frame.shape and out.dtype == np.uint8
    assert lap_var(out, faces[0]) < lap_var(frame, faces[0]) / 20
    assert detector.detect(out) == []
    # Outside the padded box nothing changed; the input is not modified.
    assert np.array_equal(out[:, :100], frame[:, :100])
    assert not np.array_equal(out, frame)


def test_blur_with_given_boxes_clips_at_the_border() -> None:
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (100, 120, 3), dtype=np.uint8)
    box = FaceBox(90, 80, 40, 40)  # partly outside the image
    out = blur_faces(image, [box])
    inside = FaceBox(90, 80, 30, 20)
    assert lap_var(out, inside) < lap_var(image, inside) / 20
    assert np.array_equal(blur_faces(image, []), image)
    grey = blur_faces(image[:, :, 0].copy(), [FaceBox(10, 10, 50, 50)])
    assert grey.shape == (100, 120)
    with pytest.raises(ValueError, match="uint8"):
        blur_faces(np.zeros((4, 4), np.float32), [])


def test_missing_cascade_is_a_one_line_error_naming_file_and_fix(tmp_path: Path) -> None:
    with pytest.raises(FaceModelError) as info:
        FaceDetector(cascade_dir=tmp_path)
    message = str(info.value)
    assert str(tmp_path / FRONTAL_CASCADE) in message and "not found" in message
    assert "opencv-python-headless" in message and "\n" not in message


def test_corrupt_cascade_is_a_one_line_error(tmp_path: Path) -> None:
    shutil.copy(haar_cascade_dir() / FRONTAL_CASCADE, tmp_path / FRONTAL_CASCADE)
    (tmp_path / PROFILE_CASCADE).write_text("<opencv_storage><cascade>broken")
    with pytest.raises(FaceModelError) as info:
        FaceDetector(cascade_dir=tmp_path)
    message = str(info.value)
    assert str(tmp_path / PROFILE_CASCADE) in message and "corrupt" in message
    assert "\n" not in message
    # Without the profile pass the intact frontal cascade is enough.
    assert FaceDetector(cascade_dir=tmp_path, profile=False).detect(face_frame(100)[0])


def test_yunet_model_missing_or_corrupt_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FaceModelError, match="glasses models pull face-yunet"):
        YuNetFaceDetector(tmp_path / "face_detection_yunet_2023mar.onnx")
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"not an onnx model")
    with pytest.raises(FaceModelError) as info:
        YuNetFaceDetector(bad)
    assert str(bad) in str(info.value) and "\n" not in str(info.value)
