"""A damaged video: its bad frames are skipped and counted; the session plays to the end."""

from __future__ import annotations

import io
from pathlib import Path

import cv2
import numpy as np
import pytest

from glasses.app import LiveConfig, run_live
from glasses.cli.run_cmd import HeadlessOutput
from glasses.devices.file import FileCamera
from glasses.runtime import VideoFrame, VirtualClock

FRAMES = 20
FPS = 10.0
SOI = b"\xff\xd8"  # the start of each MJPG frame's JPEG


def shade(index: int) -> int:
    """Frame ``index`` is filled with this grey, so a frame tells which one it is."""
    return 10 * index + 5


def index_of(frame: np.ndarray) -> int:
    """Which frame this is (JPEG moves the grey by a level or two; frames are 10 apart)."""
    return round((float(frame.mean()) - 5) / 10)


@pytest.fixture
def damaged_avi(tmp_path: Path) -> Path:
    """An MJPG AVI of 20 frames whose 11th frame (index 10) has its JPEG header overwritten."""
    path = tmp_path / "damaged.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), FPS, (64, 48))
    assert writer.isOpened()
    for i in range(FRAMES):
        writer.write(np.full((48, 64, 3), shade(i), np.uint8))
    writer.release()
    data = bytearray(path.read_bytes())
    starts = [i for i in range(len(data) - 1) if data[i : i + 2] == SOI]
    assert len(starts) == FRAMES
    middle = starts[FRAMES // 2]
    data[middle : middle + 200] = bytes(200)  # the bytes in the middle of the file, zeroed
    path.write_bytes(bytes(data))
    return path


def test_the_camera_skips_the_bad_frame_and_counts_it(damaged_avi: Path) -> None:
    camera = FileCamera(damaged_avi)
    camera.open()
    frames = []
    while (frame := camera.read()) is not None:
        frames.append(frame)
    camera.close()
    assert [index_of(f) for f in frames] == [i for i in range(FRAMES) if i != FRAMES // 2]
    assert camera.bad_frames == 1


def test_an_intact_video_has_no_bad_frames(tmp_path: Path) -> None:
    path = tmp_path / "ok.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), FPS, (64, 48))
    for i in range(5):
        writer.write(np.full((48, 64, 3), shade(i), np.uint8))
    writer.release()
    camera = FileCamera(path)
    camera.open()
    count = 0
    while camera.read() is not None:
        count += 1
    assert count == 5 and camera.bad_frames == 0


def test_the_session_plays_on_past_the_bad_frame_and_says_so(damaged_avi: Path) -> None:
    clock = VirtualClock()
    frames: list[VideoFrame] = []
    config = LiveConfig(camera=f"file:{damaged_avi}", mic=None)
    summary = clock.run(
        run_live(
            config,
            on_event=lambda e: frames.append(e) if isinstance(e, VideoFrame) else None,
            clock=clock,
        )
    )
    assert summary.ended_by == "sources"  # the end of the file, not the bad frame
    assert summary.frames == FRAMES - 1 == len(frames)
    assert summary.frames_skipped == 1
    assert index_of(frames[-1].image) == FRAMES - 1  # played to the last frame

    out = io.StringIO()
    HeadlessOutput(out).summary(summary)
    assert "  frames skipped    1 (undecodable, in the video)" in out.getvalue().splitlines()
