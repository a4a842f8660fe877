"""The ``photo`` skill: a nod saves the newest frame with bystanders' faces blurred."""

from __future__ import annotations

import stat
from pathlib import Path

import cv2
import numpy as np
import pytest

from glasses.assistant.skills.photo import PHOTOS_DIR_ENV, PhotoSkill, default_photo_dir
from glasses.perception.faces import FaceDetector
from glasses.runtime.clock import NS_PER_S, VirtualClock
from glasses.runtime.events import HeadGesture, HudDrawn
from simulator.faces_drawing import draw_face
from simulator.harness import judge, prepare_scenes
from simulator.rig import SimRig
from simulator.scenario import load_scenario

SCENARIO = """name: Photo with a bystander
timeline:
  - at: 0.3s
    show: {image: face.png}
  - at: 1s
    id: nod
    wait: 0s
settle: 1.5s
expect:
  - hud_contains: "Photo saved (1 face blurred)"
    after: nod
    within_ms: 600
  - absent: "Error"
"""


def lap_var(image: np.ndarray, box: tuple[int, int, int, int]) -> float:
    x, y, w, h = box
    grey = cv2.cvtColor(image[y : y + h, x : x + w], cv2.COLOR_BGR2GRAY)
    return float(cv2.Laplacian(grey, cv2.CV_64F).var())


def run_with_gestures(
    scenario_path: Path, gestures: list[tuple[float, str]], store: Path
) -> tuple[SimRig, list[tuple[int, str]], float]:
    scenario = load_scenario(scenario_path)
    clock = VirtualClock()
    rig = SimRig(clock, scenario.model.device)
    skill = rig.pipeline.skills.by_intent["photo"]
    assert isinstance(skill, PhotoSkill)
    skill.store_dir = store
    hud: list[tuple[int, str]] = []
    rig.runtime.observe(lambda e: hud.append((e.t_ns, e.text)) if isinstance(e, HudDrawn) else None)

    async def imu() -> None:
        for t_s, gesture in gestures:
            await clock.sleep_until(round(t_s * NS_PER_S))
            rig.publish(HeadGesture(t_ns=clock.now_ns(), source="imu", gesture=gesture))

    async def play() -> None:
        await rig.start()
        rig.play(scenario, prepare_scenes(scenario))
        rig.runtime.spawn("imu", imu)
        await clock.sleep_until(round(scenario.duration_s * NS_PER_S))
        await rig.stop(reason="done")

    clock.run(play())
    return rig, hud, scenario.duration_s


@pytest.fixture
def face_scene(tmp_path: Path) -> Path:
    photo = np.full((480, 640, 3), 90, np.uint8)
    rng = np.random.default_rng(1)
    # A textured backdrop, so the blurred face stands out against an unblurred frame.
    photo[:, :200] = rng.integers(40, 140, (480, 200, 3), dtype=np.uint8)
    draw_face(photo, (400, 240), 150)
    photo = np.clip(photo + rng.normal(0, 3, photo.shape), 0, 255).astype(np.uint8)  # sensor
    cv2.imwrite(str(tmp_path / "face.png"), photo)
    path = tmp_path / "photo.yaml"
    path.write_text(SCENARIO)
    return path


def test_nod_saves_the_photo_with_the_face_blurred(
    face_scene: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PHOTOS_DIR_ENV, str(tmp_path / "unused"))
    store = tmp_path / "photos"
    rig, hud, duration = run_with_gestures(face_scene, [(1.0, "nod")], store)
    scenario = load_scenario(face_scene)
    outcomes = judge(scenario, hud, offset_ns=0, end_ns=round(duration * NS_PER_S))
    assert all(o.passed for o in outcomes), [o.detail for o in outcomes if not o.passed]

    skill = rig.pipeline.skills.by_intent["photo"]
    assert isinstance(skill, PhotoSkill)
    assert len(skill.saved) == 1 and skill.saved[0].parent == store
    assert sorted(store.iterdir()) == skill.saved
    assert not (tmp_path / "unused").exists()

    saved = cv2.imread(str(skill.saved[0]), cv2.IMREAD_COLOR)
    original = cv2.imread(str(tmp_path / "face.png"), cv2.IMREAD_COLOR)
    assert saved is not None and saved.shape == original.shape
    box = FaceDetector().detect(original)[0]
    face = (box.x, box.y, box.w, box.h)
    assert lap_var(saved, face) < lap_var(original, face) / 20
    assert FaceDetector().detect(saved) == []
    # The rest of the frame is kept as it was.
    assert np.array_equal(saved[:, :200], original[:, :200])


def test_nod_over_a_card_takes_no_photo_and_shake_does_nothing(
    face_scene: Path, tmp_path: Path
) -> None:
    store = tmp_path / "photos"
    # The first nod shows "Photo saved" (a 3 s toast); a nod while it shows takes no photo.
    rig, hud, _ = run_with_gestures(face_scene, [(0.5, "shake"), (1.0, "nod"), (1.8, "nod")], store)
    skill = rig.pipeline.skills.by_intent["photo"]
    assert isinstance(skill, PhotoSkill)
    assert len(skill.saved) == 1
    assert sum("Photo saved" in text for _, text in hud) == 1


def test_default_store_is_the_users_data_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(PHOTOS_DIR_ENV, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert default_photo_dir() == tmp_path / "data" / "glasses" / "photos"
    monkeypatch.setenv("XDG_DATA_HOME", "relative/dir")  # not absolute: ignored, as XDG says
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_photo_dir() == tmp_path / "home" / ".local" / "share" / "glasses" / "photos"
    monkeypatch.setenv(PHOTOS_DIR_ENV, str(tmp_path))
    assert default_photo_dir() == tmp_path


def test_photo_folder_and_file_are_private_and_the_toast_names_the_file(
    face_scene: Path, tmp_path: Path
) -> None:
    store = tmp_path / "data" / "photos"
    rig, hud, _ = run_with_gestures(face_scene, [(1.0, "nod")], store)
    skill = rig.pipeline.skills.by_intent["photo"]
    assert isinstance(skill, PhotoSkill) and len(skill.saved) == 1
    photo = skill.saved[0]
    assert stat.S_IMODE(store.stat().st_mode) == 0o700
    assert stat.S_IMODE(photo.stat().st_mode) == 0o600
    assert [p.name for p in store.iterdir()] == [photo.name]  # no temporary file left behind
    toasts = [text for _, text in hud if "Photo saved" in text]
    assert toasts and photo.name in toasts[0]


def test_a_symlinked_photo_folder_is_refused(face_scene: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "attacker"
    elsewhere.mkdir()
    planted = tmp_path / "photos"
    planted.symlink_to(elsewhere, target_is_directory=True)
    _, hud, _ = run_with_gestures(face_scene, [(1.0, "nod")], planted)
    assert list(elsewhere.iterdir()) == []
    refused = [text for _, text in hud if "Photo not saved" in text]
    assert refused and "symbolic link" in refused[0].replace("\n", " ")


def test_unwritable_store_shows_a_toast(face_scene: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    _, hud, _ = run_with_gestures(face_scene, [(1.0, "nod")], blocker / "photos")
    assert any("Photo not saved" in text for _, text in hud)
