"""``glasses scan`` and ``glasses blur`` on image files."""

from __future__ import annotations

import json
import resource
import signal
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from glasses.cli.main import main
from simulator.faces_drawing import draw_face
from simulator.scenes import SceneSpec, render_scene


def write(path: Path, image: np.ndarray) -> Path:
    assert cv2.imwrite(str(path), image)
    return path


@pytest.fixture
def qr_and_ean(tmp_path: Path) -> Path:
    qr = render_scene(SceneSpec(kind="qr", content="https://example.org/menu", scale=0.35))
    ean = render_scene(
        SceneSpec(kind="ean13", content="4006381333931", scale=0.45, center=(0.5, 0.5))
    )
    frame = np.concatenate([qr, ean], axis=1)  # 1280×480: the QR left, the barcode right
    return write(tmp_path / "codes.png", frame)


@pytest.fixture
def faces_photo(tmp_path: Path) -> Path:
    photo = np.full((480, 640, 3), 120, np.uint8)
    draw_face(photo, (180, 240), 130)
    draw_face(photo, (470, 230), 100)
    return write(tmp_path / "people.jpg", photo)


def test_scan_prints_codes_with_their_type(
    qr_and_ean: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["scan", str(qr_and_ean)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines == ["QR\thttps://example.org/menu", "EAN_13\t4006381333931"]


def test_scan_json(qr_and_ean: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", str(qr_and_ean), "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert [(c["type"], c["value"]) for c in payload] == [
        ("QR", "https://example.org/menu"),
        ("EAN_13", "4006381333931"),
    ]
    assert all(len(c["corners"]) == 4 for c in payload)


def test_scan_without_codes_prints_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blank = write(tmp_path / "blank.png", render_scene(SceneSpec(kind="blank", noise_sigma=5)))
    assert main(["scan", str(blank), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []


@pytest.mark.parametrize("command", ["scan", "blur"])
@pytest.mark.parametrize("problem", ["missing", "corrupt", "directory"])
def test_unreadable_image_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str, problem: str
) -> None:
    path = tmp_path / "photo.png"
    if problem == "corrupt":
        path.write_bytes(b"\x89PNG\r\n\x1a\n not really")
    elif problem == "directory":
        path.mkdir()
    extra = [str(tmp_path / "out.png")] if command == "blur" else []
    assert main([command, str(path), *extra]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    err = captured.err.strip()
    assert "\n" not in err and str(path) in err and err.startswith(f"glasses {command}:")
    assert ("not found" if problem == "missing" else "not a readable image") in err
    assert not (tmp_path / "out.png").exists()


def test_blur_writes_the_photo_and_counts_faces(
    faces_photo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "blurred.png"
    assert main(["blur", str(faces_photo), str(out)]) == 0
    assert capsys.readouterr().out.strip() == f"2 faces blurred → {out}"
    original = cv2.imread(str(faces_photo))
    blurred = cv2.imread(str(out))
    assert blurred is not None and blurred.shape == original.shape
    assert main(["blur", str(out), str(tmp_path / "again.png"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["faces"] == 0  # none left to find


def test_blur_json(faces_photo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "blurred.jpg"
    assert main(["blur", str(faces_photo), str(out), "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["faces"] == 2 and payload["out"] == str(out)
    assert all(len(b) == 4 and b[2] > 50 for b in payload["boxes"])
    assert out.is_file()


@pytest.mark.parametrize("target", ["no-such-dir/out.png", "out", "out.xyz", "is-a-dir.png"])
def test_unwritable_out_is_one_line_and_exit_2(
    faces_photo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], target: str
) -> None:
    (tmp_path / "is-a-dir.png").mkdir()
    out = tmp_path / target
    assert main(["blur", str(faces_photo), str(out)]) == 2
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert captured.out == "" and "\n" not in err and err.startswith(f"glasses blur: {out}:")


@pytest.mark.parametrize("state", ["not pulled", "altered"])
def test_blur_with_yunet_needs_the_pulled_model(
    state: str,
    faces_photo: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    models = tmp_path / "models"
    monkeypatch.setenv("GLASSES_MODELS_DIR", str(models))
    if state == "altered":
        (models / "face-yunet").mkdir(parents=True)
        (models / "face-yunet" / "face_detection_yunet_2023mar.onnx").write_bytes(b"not onnx")
    out = tmp_path / "out.png"
    assert main(["blur", str(faces_photo), str(out), "--detector", "yunet"]) == 3
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and err.startswith("glasses blur:")
    assert "glasses models pull face-yunet" in err
    assert ("not pulled" if state == "not pulled" else "sha256 mismatch") in err
    assert not out.exists()


def test_blur_refuses_to_overwrite_its_input_without_force(
    faces_photo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    photo = tmp_path / "mine.png"
    photo.write_bytes(faces_photo.read_bytes())
    before = photo.read_bytes()
    link = tmp_path / "link.png"
    link.symlink_to(photo)
    for out in (photo, link):  # the same file under its own name or another
        assert main(["blur", str(photo), str(out)]) == 2
        err = capsys.readouterr().err
        assert (
            err
            == f"glasses blur: {out}: is the input image {photo}; pass --force to overwrite it\n"
        )
        assert photo.read_bytes() == before
    assert main(["blur", str(photo), str(photo), "--force"]) == 0
    assert photo.read_bytes() != before
    leftovers = {p.name for p in tmp_path.iterdir()} - {"link.png", "mine.png", faces_photo.name}
    assert not leftovers  # no temporary file


def _small_file_limit() -> None:
    """In the child: files may not grow past 10 kB, as on a disk that is nearly full."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # the write fails with EFBIG instead
    resource.setrlimit(resource.RLIMIT_FSIZE, (10_000, resource.RLIM_INFINITY))


def test_blur_writes_its_output_whole_or_not_at_all(faces_photo: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.png"
    out.write_bytes(b"the previous output")
    proc = subprocess.run(
        [sys.executable, "-m", "glasses.cli.main", "blur", str(faces_photo), str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        preexec_fn=_small_file_limit,
    )
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr == f"glasses blur: {out}: cannot write (File too large)\n"
    assert out.read_bytes() == b"the previous output"
    assert sorted(p.name for p in out.parent.iterdir()) == sorted(  # no half-written temporary
        {"out.png", faces_photo.name}
    )
