"""``scenarios/photo.yaml`` through the real harness: a nod saves the photo, faces blurred."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest

from glasses.assistant.skills.photo import PHOTOS_DIR_ENV
from glasses.cli.main import main
from glasses.perception.faces import FaceDetector
from simulator.harness import prepare_scenes, run_scenario
from simulator.scenario import ScenarioError, load_scenario

ROOT = Path(__file__).resolve().parent.parent
PHOTO = ROOT / "scenarios" / "photo.yaml"


def variance(image: np.ndarray, box: tuple[int, int, int, int]) -> float:
    """Variance of the grey levels' Laplacian in ``box`` (x, y, w, h): how much detail is left."""
    x, y, w, h = box
    grey = cv2.cvtColor(image[y : y + h, x : x + w], cv2.COLOR_BGR2GRAY)
    return float(cv2.Laplacian(grey, cv2.CV_64F).var())


@pytest.fixture
def photos(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    store = tmp_path / "photos"
    monkeypatch.setenv(PHOTOS_DIR_ENV, str(store))
    return store


def test_a_photo_with_faces_is_saved_blurred(photos: Path) -> None:
    scenario = load_scenario(PHOTO)
    result = run_scenario(scenario)
    assert result.passed, [o.detail for o in result.outcomes if not o.passed]
    gestures = [e["gesture"] for e in result.events if e["type"] == "HeadGesture"]
    assert gestures == ["nod", "nod", "shake"]
    intents = [e["name"] for e in result.events if e["type"] == "Intent"]
    assert intents == ["photo"]  # the second nod was at a card, the shake is no request

    saved_files = sorted(photos.iterdir())
    assert len(saved_files) == 1 and saved_files[0].suffix == ".png"
    saved = cv2.imread(str(saved_files[0]), cv2.IMREAD_COLOR)
    original = prepare_scenes(scenario)[0]  # what the camera showed
    assert saved is not None and saved.shape == original.shape

    faces = FaceDetector().detect(original)
    assert len(faces) == 2
    for face in faces:
        box = (face.x, face.y, face.w, face.h)
        region = np.s_[face.y : face.y + face.h, face.x : face.x + face.w]
        # Measured: detail (Laplacian variance) down ~100×, grey-level variance down ~10×.
        assert variance(saved, box) < variance(original, box) / 20
        assert saved[region].var() < original[region].var() / 5
    assert FaceDetector().detect(saved) == []
    # Away from the faces (and their blur padding) the photo is the frame, pixel for pixel.
    outside = np.ones(original.shape[:2], bool)
    for face in faces:
        x0, y0, x1, y1 = face.padded(0.2, original.shape[1], original.shape[0])
        outside[y0:y1, x0:x1] = False
    assert outside.mean() > 0.5
    assert np.array_equal(saved[outside], original[outside])


def test_photo_scenario_from_the_command_line(
    photos: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "report.json"
    assert main(["sim", "--headless", str(PHOTO), "--report", str(report)]) == 0
    out = capsys.readouterr().out
    saved = list(photos.glob("*.png"))
    assert "PASS" in out and len(saved) == 1
    assert f"photo saved: {saved[0]}" in out  # the summary says where the photo went
    assert json.loads(report.read_text())["scenarios"][0]["photos"] == [saved[0].name]


def test_without_a_configured_folder_the_simulator_keeps_photos_out_of_the_users(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv(PHOTOS_DIR_ENV, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    result = run_scenario(load_scenario(PHOTO))
    assert result.passed and len(result.photos) == 1
    folder = result.photos[0].parent
    assert folder.name.startswith("glasses-sim-photos-") and folder.stat().st_mode & 0o077 == 0
    assert not (tmp_path / "data").exists()  # the wearer's own photo folder is untouched
    shutil.rmtree(folder)


def test_a_face_too_small_to_draw_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "tiny.yaml"
    path.write_text(
        "name: tiny\ntimeline:\n  - nod:\n  - show: {face: [{scale: 0.01}]}\n"
        "expect:\n  - absent: Photo saved\n",
        encoding="utf-8",
    )
    with pytest.raises(ScenarioError) as info:
        prepare_scenes(load_scenario(path))
    assert info.value.problems == [
        f"{path}:4: timeline[1].show: face 0 is 5 px wide, too small to draw; make it at "
        "least 8 px (0.017 of 480 px)"
    ]
