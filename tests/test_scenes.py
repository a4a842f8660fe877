"""Synthetic scenes: shapes, determinism, EAN-13 encoding, the other codes and every SceneError
path."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from simulator.scenes import (
    SceneError,
    SceneKind,
    SceneSpec,
    code_width_modules,
    ean13_checksum,
    gs1_check_digit,
    render_scene,
)

ALL_KINDS = [
    SceneSpec("qr", "hello"),
    SceneSpec("ean13", "4006381333931"),
    SceneSpec("upca", "03600029145"),
    SceneSpec("ean8", "9638507"),
    SceneSpec("code128", "GLS-0042"),
    SceneSpec("datamatrix", "LOT 42"),
    SceneSpec("pdf417", "TICKET 42"),
    SceneSpec("text", "EXIT\nthis way"),
    SceneSpec("blank"),
]


@pytest.mark.parametrize("spec", ALL_KINDS, ids=lambda s: s.kind)
@pytest.mark.parametrize(("width", "height"), [(640, 480), (320, 240), (16, 16), (400, 600)])
def test_shape_and_dtype(spec: SceneSpec, width: int, height: int) -> None:
    frame = render_scene(spec, width, height)
    assert frame.shape == (height, width, 3)
    assert frame.dtype == np.uint8


@pytest.mark.parametrize("kind", ["qr", "ean13", "text", "blank"])
def test_same_seed_same_frame_other_seed_other_noise(kind: SceneKind) -> None:
    content = {"qr": "hello", "ean13": "400638133393", "text": "EXIT", "blank": ""}[kind]

    def render(seed: int) -> np.ndarray:
        spec = SceneSpec(kind, content, rotate_deg=7, noise_sigma=10, blur_sigma=0.8, seed=seed)
        return render_scene(spec)

    first = render(3)
    assert np.array_equal(first, render(3))
    assert not np.array_equal(first, render(4))


def test_blank_is_background() -> None:
    frame = render_scene(SceneSpec("blank", background=123))
    assert (frame == 123).all()


def test_noise_has_requested_sigma() -> None:
    frame = render_scene(SceneSpec("blank", background=128, noise_sigma=12, seed=1))
    assert abs(float(frame.std()) - 12) < 0.5
    assert abs(float(frame.mean()) - 128) < 0.5


def test_qr_is_centred_and_scaled() -> None:
    # The QR symbol (quiet zone excluded) spans scale × 480 px, around the requested centre.
    frame = render_scene(SceneSpec("qr", "hello", scale=0.5, center=(0.25, 0.5)))
    dark = np.argwhere(frame[:, :, 0] < 100)
    (y0, x0), (y1, x1) = dark.min(axis=0), dark.max(axis=0)
    assert abs((x1 - x0 + 1) - 240) <= 2
    assert abs((y1 - y0 + 1) - 240) <= 2
    assert abs((x0 + x1) / 2 - 160) <= 2
    assert abs((y0 + y1) / 2 - 240) <= 2


def test_qr_has_white_quiet_zone_on_background() -> None:
    frame = render_scene(SceneSpec("qr", "hello", background=90))
    assert frame[0, 0, 0] == 90
    centre_row = frame[240, :, 0]
    assert 255 in centre_row  # quiet zone and light modules


@pytest.mark.parametrize(
    ("digits12", "check"),
    [("400638133393", 1), ("590123412345", 7), ("978020137962", 4), ("000000000000", 0)],
)
def test_ean13_checksum(digits12: str, check: int) -> None:
    assert ean13_checksum(digits12) == check


@pytest.mark.parametrize("bad", ["12345", "40063813339a", ""])
def test_ean13_checksum_rejects_non_12_digits(bad: str) -> None:
    with pytest.raises(SceneError, match="12 digits"):
        ean13_checksum(bad)


def test_ean13_twelve_and_thirteen_digits_render_the_same() -> None:
    assert np.array_equal(
        render_scene(SceneSpec("ean13", "400638133393")),
        render_scene(SceneSpec("ean13", "4006381333931")),
    )


def test_ean13_bad_check_digit() -> None:
    with pytest.raises(SceneError, match=r"check digit 2, expected 1"):
        render_scene(SceneSpec("ean13", "4006381333932"))


@pytest.mark.parametrize("bad", ["", "400638133", "40063813339x", "40063813339312"])
def test_ean13_bad_digits(bad: str) -> None:
    with pytest.raises(SceneError, match="not 12 or 13 digits"):
        render_scene(SceneSpec("ean13", bad))


@pytest.mark.parametrize(
    ("digits", "check"), [("03600029145", 2), ("9638507", 4), ("400638133393", 1)]
)
def test_gs1_check_digit(digits: str, check: int) -> None:
    assert gs1_check_digit(digits) == check  # UPC-A, EAN-8, EAN-13


@pytest.mark.parametrize(
    ("spec", "match"),
    [
        (SceneSpec("upca", "036000291453"), r"UPC-A .* check digit 3, expected 2"),
        (SceneSpec("ean8", "12345"), "EAN-8 .* not 7 or 8 digits"),
        (SceneSpec("code128", "  "), "empty content"),
        (SceneSpec("datamatrix", ""), "empty content"),
        (SceneSpec("code128", "naïve " * 40), "cannot be encoded"),
    ],
)
def test_other_codes_bad_content(spec: SceneSpec, match: str) -> None:
    with pytest.raises(SceneError, match=match):
        render_scene(spec)


def test_code_width_in_modules_sets_the_module_size() -> None:
    assert code_width_modules("ean13", "400638133393") == 95
    assert code_width_modules("upca", "03600029145") == 95
    assert code_width_modules("ean8", "9638507") == 67
    assert code_width_modules("qr", "hello") == 21  # version 1
    with pytest.raises(SceneError, match="hold no code"):
        code_width_modules("text", "EXIT")


@pytest.mark.parametrize("kind", ["qr", "text", "image"])
def test_empty_content(kind: SceneKind) -> None:
    with pytest.raises(SceneError, match="empty content"):
        render_scene(SceneSpec(kind, "  "))


def test_qr_content_too_long() -> None:
    with pytest.raises(SceneError, match="shorter text"):
        render_scene(SceneSpec("qr", "x" * 5000))


@pytest.mark.parametrize(
    ("spec", "size", "match"),
    [
        (SceneSpec("blank", scale=0.0), (640, 480), "scale"),
        (SceneSpec("blank", scale=1.5), (640, 480), "scale"),
        (SceneSpec("blank", noise_sigma=-1), (640, 480), "noise_sigma"),
        (SceneSpec("blank", blur_sigma=float("nan")), (640, 480), "blur_sigma"),
        (SceneSpec("blank", background=300), (640, 480), "background"),
        (SceneSpec("blank"), (15, 480), "too small"),
        (SceneSpec("blank"), (640, 8), "too small"),
        (SceneSpec("hologram"), (640, 480), "unknown scene kind"),  # type: ignore[arg-type]
    ],
)
def test_bad_spec(spec: SceneSpec, size: tuple[int, int], match: str) -> None:
    with pytest.raises(SceneError, match=match):
        render_scene(spec, *size)


def test_scene_error_is_value_error() -> None:
    assert issubclass(SceneError, ValueError)


def test_image_is_fitted_and_letterboxed(tmp_path: Path) -> None:
    path = tmp_path / "red.png"
    red = np.zeros((100, 200, 3), np.uint8)
    red[:, :, 2] = 255
    assert cv2.imwrite(str(path), red)
    frame = render_scene(SceneSpec("image", str(path), background=50))
    # 200×100 fitted into 640×480 → 640×320, letterboxed by 80 px above and below.
    assert tuple(frame[240, 320]) == (0, 0, 255)
    assert tuple(frame[40, 320]) == (50, 50, 50)
    assert tuple(frame[440, 320]) == (50, 50, 50)
    assert tuple(frame[100, 5]) == (0, 0, 255)


def test_corrupt_image_file(tmp_path: Path) -> None:
    path = tmp_path / "x.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n this is not really a png" * 3)
    with pytest.raises(SceneError, match=r"x\.png.*could not be read as an image") as info:
        render_scene(SceneSpec("image", str(path)))
    assert "valid PNG or JPEG" in str(info.value)


def test_missing_image_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.jpg"
    with pytest.raises(SceneError, match=r"nope\.jpg.*does not exist"):
        render_scene(SceneSpec("image", str(path)))


def test_image_path_is_a_directory(tmp_path: Path) -> None:
    with pytest.raises(SceneError, match="could not be opened"):
        render_scene(SceneSpec("image", str(tmp_path)))


def test_default_backgrounds() -> None:
    assert (render_scene(SceneSpec("blank")) == 200).all()
    face = render_scene(SceneSpec("face"))
    assert tuple(face[0, 0]) == (128, 128, 128)  # a mid-grey room: faces stand out on it
    assert tuple(render_scene(SceneSpec("face", background=90))[0, 0]) == (90, 90, 90)


def test_faces_are_drawn_where_asked_and_detected() -> None:
    from glasses.perception.faces import FaceDetector

    spec = SceneSpec("face", faces=((0.3, 0.5, 0.32), (0.72, 0.45, 0.24)), noise_sigma=4)
    frame = render_scene(spec)
    assert frame.shape == (480, 640, 3)
    found = sorted(FaceDetector().detect(frame), key=lambda b: b.x)
    assert len(found) == 2
    for box, (x, y, width) in zip(found, spec.faces, strict=True):
        assert abs(box.x + box.w / 2 - x * 640) < 0.1 * 640
        assert abs(box.y + box.h / 2 - y * 480) < 0.1 * 480
        assert 0.8 < box.w / (width * 480) < 1.6  # the cascade's box includes some hair
    assert np.array_equal(frame, render_scene(spec))  # deterministic


def test_one_face_at_center_and_scale_by_default() -> None:
    frame = render_scene(SceneSpec("face", scale=0.3, center=(0.25, 0.5)))
    columns = np.argwhere((frame[:, :, 0] != 128).any(axis=0))
    x0, x1 = int(columns.min()), int(columns.max())
    assert abs((x0 + x1) / 2 - 160) <= 3
    assert abs((x1 - x0) - 0.3 * 480) <= 0.25 * 0.3 * 480  # face plus hair and soft edges
    same = SceneSpec("face", faces=((0.25, 0.5, 0.3),))
    assert np.array_equal(frame, render_scene(same))


@pytest.mark.parametrize(
    ("spec", "match"),
    [
        (SceneSpec("face", rotate_deg=10), "not supported in face scenes"),
        (SceneSpec("face", faces=((0.5, 0.5, 0.01),)), "5 px wide, too small"),
        (SceneSpec("face", faces=((0.5, 0.5, 1.5),)), "face 0 width 1.5 is out of range"),
        (SceneSpec("face", faces=((0.5, float("nan"), 0.3),)), "three finite numbers"),
        (SceneSpec("face", faces=((0.5, 0.5),)), "three finite numbers"),  # type: ignore[arg-type]
        (SceneSpec("qr", "hi", faces=((0.5, 0.5, 0.3),)), "only drawn in face scenes"),
    ],
)
def test_bad_face_specs(spec: SceneSpec, match: str) -> None:
    with pytest.raises(SceneError, match=match):
        render_scene(spec)


@pytest.mark.parametrize(("sigma", "seed", "size"), [(5.0, 0, (640, 480)), (6.0, 3, (641, 97))])
def test_noise_is_drawn_a_few_rows_at_a_time_with_the_whole_frames_values(
    sigma: float, seed: int, size: tuple[int, int]
) -> None:
    spec = SceneSpec(kind="text", content="PLATFORM 4", noise_sigma=sigma, seed=seed)
    clean = render_scene(SceneSpec(kind="text", content="PLATFORM 4"), *size)
    noise = np.random.default_rng(seed).normal(0.0, sigma, clean.shape).astype(np.float32)
    whole = np.clip(np.rint(clean.astype(np.float32) + noise), 0, 255).astype(np.uint8)
    assert np.array_equal(render_scene(spec, *size), whole)
