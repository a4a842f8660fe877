"""HUD pictures of a run: ``HudPictures`` from events, and ``--hud-gif``/``--hud-png`` on
``glasses sim`` and ``glasses run``."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from glasses.cli.main import main
from glasses.hud.pictures import MIN_FRAME_MS, HudPictures, HudShot
from glasses.hud.profile import get_profile
from glasses.hud.text import render_text
from glasses.runtime.events import Card, HudDimmed, HudDrawn, Shutdown

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "scenarios" / "demo.yaml"
MS = 1_000_000
FRAME = get_profile("frame")


def drawn(t_ms: float, card: Card | None, page: int = 0) -> HudDrawn:
    text = render_text(card, FRAME, page=page)
    return HudDrawn(t_ns=round(t_ms * MS), text=text, update_t_ns=0, card=card, page=page)


def test_shots_follow_the_draws_and_the_brightness() -> None:
    qr = Card(title="QR code", body="hello")
    pictures = HudPictures(FRAME)
    pictures.begin(1000 * MS)  # a live session's start on the real clock
    for event in (
        drawn(1500, qr),
        drawn(1500, qr),  # the acknowledgement of an update coalesced into the same draw
        drawn(1700, qr),  # redrawn, not changed
        HudDimmed(t_ns=11_500 * MS, level=0.3),
        drawn(12_000, None),
        HudDimmed(t_ns=12_000 * MS, level=1.0),  # the draw woke the display: no change
        Shutdown(t_ns=13_000 * MS),
    ):
        pictures.observe(event)
    assert pictures.shots == [
        HudShot(0),
        HudShot(500 * MS, qr),
        HudShot(10_500 * MS, qr, level=0.3),
        HudShot(11_000 * MS),
    ]
    assert pictures.end_ns == 12_000 * MS and pictures.changes == 3
    assert [ms for _, ms in pictures.gif_frames()] == [500, 10_000, 500, 1000]
    assert pictures.shots[1].name == "hud-0000.500s.png"


def test_gif_durations_add_up_to_the_run_and_skip_flashes() -> None:
    pictures = HudPictures(FRAME)
    for i, t in enumerate((100, 103, 108, 300)):  # a flash of 3 ms and one of 5 ms
        pictures.observe(drawn(t, Card(title=f"word {i}")))
    pictures.observe(Shutdown(t_ns=1_004 * MS))
    frames = pictures.gif_frames()
    assert [shot.card.title if shot.card else "" for shot, _ in frames] == ["", "word 2", "word 3"]
    assert all(ms >= MIN_FRAME_MS and ms % 10 == 0 for _, ms in frames)
    assert sum(ms for _, ms in frames) == 1000  # the run's length, rounded to 10 ms


def test_images_are_the_display_at_its_brightness() -> None:
    card = Card(title="QR code", body="hello")
    pictures = HudPictures(FRAME)
    full = pictures.image(HudShot(0, card), FRAME)
    dim = pictures.image(HudShot(0, card, level=0.3), FRAME)
    assert full.size == (FRAME.width_px, FRAME.height_px)
    assert max(dim.getextrema(), key=lambda e: e[1])[1] < max(full.getextrema())[1]
    assert pictures.image(HudShot(0)).getbbox() is None  # blank: all black


def test_sim_headless_writes_a_gif_and_pngs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gif, pngs = tmp_path / "demo.gif", tmp_path / "pngs"
    pngs.mkdir()
    (pngs / "hud-0099.000s.png").write_bytes(b"from an earlier run")
    (pngs / "mine.png").write_bytes(b"kept")
    code = main(["sim", "--headless", str(DEMO), "--hud-gif", str(gif), "--hud-png", str(pngs)])
    assert code == 0
    out = capsys.readouterr().out
    assert f"wrote {gif} (4 frames, frame)" in out
    with Image.open(gif) as image:
        assert image.is_animated and image.size == (640, 400)
        durations = []
        for i in range(image.n_frames):
            image.seek(i)
            durations.append(image.info["duration"])
    # Blank until the QR code at 0.545 s; the product at 3.046 s; dismissed at 5 s; the
    # scenario ends at 7.5 s.
    assert durations == [550, 2500, 1950, 2500]
    names = sorted(p.name for p in pngs.iterdir())
    assert names == [
        "hud-0000.000s.png",
        "hud-0000.545s.png",
        "hud-0003.046s.png",
        "hud-0005.000s.png",
        "mine.png",
    ]
    with Image.open(pngs / "hud-0000.545s.png") as shot:
        assert shot.size == (640, 400) and shot.getbbox() is not None


def test_pictures_take_one_file_and_a_writable_place(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    two = ["sim", "--headless", str(DEMO), str(DEMO), "--hud-gif", str(tmp_path / "a.gif")]
    assert main(two) == 2
    assert "picture one scenario file" in capsys.readouterr().err
    missing = tmp_path / "nowhere" / "a.gif"
    assert main(["sim", "--headless", str(DEMO), "--hud-gif", str(missing)]) == 2
    assert "does not exist" in capsys.readouterr().err
    a_file = tmp_path / "file"
    a_file.write_text("")
    assert main(["sim", "--headless", str(DEMO), "--hud-png", str(a_file)]) == 2
    assert "is not a directory" in capsys.readouterr().err


def test_run_writes_pictures_on_session_time(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import cv2

    from simulator.scenes import SceneSpec, render_scene

    poster = tmp_path / "poster.png"
    cv2.imwrite(str(poster), render_scene(SceneSpec(kind="qr", content="pictured", scale=0.4)))
    gif, pngs = tmp_path / "run.gif", tmp_path / "run"
    argv = ["run", "--camera", f"file:{poster}", "--mic", "none", "--speaker", "none"]
    argv += ["--duration", "1", "--headless", "--profile", "g1"]
    assert main([*argv, "--hud-gif", str(gif), "--hud-png", str(pngs)]) == 0
    out = capsys.readouterr().out
    assert f"wrote {gif}" in out and "g1" in out
    names = sorted(p.name for p in pngs.iterdir())
    assert names[0] == "hud-0000.000s.png" and len(names) == 2
    assert float(names[1][4:-5]) < 1.0  # the code's card, on the session's own time
    with Image.open(gif) as image:
        assert image.size == (640, 200)
        total = 0
        for i in range(image.n_frames):
            image.seek(i)
            total += image.info["duration"]
    assert 900 <= total <= 1100  # as long as the session
