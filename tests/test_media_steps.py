"""Scenario steps for recorded media: ``video:`` plays frames on the simulated camera at their
times, ``audio:`` feeds a 16 kHz mono WAV to the simulated microphone; bad files are
``file:line:`` problems at load."""

from __future__ import annotations

import wave
from pathlib import Path

import cv2
import numpy as np
import pytest

from glasses.runtime.clock import NS_PER_S
from glasses.runtime.testing import SensorProbe
from simulator.harness import run_scenario
from simulator.media_steps import shown_from
from simulator.scenario import ScenarioError, load_scenario

WIDTH, HEIGHT = 64, 48


def frame(level: int) -> np.ndarray:
    return np.full((HEIGHT, WIDTH, 3), level, dtype=np.uint8)


def write_video(path: Path, levels: list[int], fps: float = 10.0) -> Path:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"HFYU"), fps, (WIDTH, HEIGHT))
    assert writer.isOpened()
    for level in levels:
        writer.write(frame(level))
    writer.release()
    return path


def write_wav(path: Path, samples: np.ndarray, *, rate: int = 16_000, channels: int = 1) -> Path:
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(channels)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(samples.astype("<i2").tobytes())
    return path


def write_scenario(folder: Path, timeline: str, *, extra: str = "") -> Path:
    path = folder / "scenario.yaml"
    path.write_text(
        f"""name: media
device:
  camera: {{width: {WIDTH}, height: {HEIGHT}, fps: 10}}
  echo: off
timeline:
{timeline}
{extra}
expect:
  - absent: "nothing of the kind"
""",
        encoding="utf-8",
    )
    return path


def problems(path: Path) -> list[str]:
    with pytest.raises(ScenarioError) as exc:
        load_scenario(path)
    return exc.value.problems


# --------------------------------------------------------------------------------------------
# playing


def test_video_frames_play_at_their_times_and_the_last_stays(tmp_path: Path) -> None:
    write_video(tmp_path / "clip.avi", [40, 80, 120, 160])
    # The camera reads at 0, 0.1, 0.2 … s; each read sees the frame nearest in time.
    (tmp_path / "clip.times").write_text("# frame times\n0\n0.1\n0.32\n0.52\n", encoding="utf-8")
    path = write_scenario(
        tmp_path,
        "  - at: 0s\n    video: {file: clip.avi, times: clip.times}",
        extra="settle: 300ms",
    )
    scenario = load_scenario(path)
    assert scenario.duration_s == pytest.approx(0.52 + 0.3)  # settle counts from the video's end
    probe = SensorProbe()
    run_scenario(scenario, stages=[probe])
    seen = [(round(f.t_ns / NS_PER_S, 3), int(f.image[0, 0, 0])) for f in probe.frames]
    assert seen == [
        (0.0, 40),  # in view from the very first read
        (0.1, 80),
        (0.2, 80),  # 0.1 is nearer than 0.32
        (0.3, 120),
        (0.4, 120),  # 0.32 is nearer than 0.52
        (0.5, 160),
        (0.6, 160),  # the last frame stays in view
        (0.7, 160),
        (0.8, 160),
    ]


def test_shown_from_is_halfway_to_the_frame_before() -> None:
    assert shown_from([0.0, 0.1, 0.3]) == pytest.approx([0.0, 0.05, 0.2])
    assert shown_from([0.02, 0.12]) == pytest.approx([0.0, 0.07])
    assert shown_from([1.0]) == [1.0]


def test_a_video_without_times_plays_at_its_own_rate(tmp_path: Path) -> None:
    write_video(tmp_path / "clip.avi", [30, 90, 150], fps=4.0)  # at 0, 0.25 and 0.5 s
    path = write_scenario(tmp_path, "  - at: 1.05s\n    video: clip.avi", extra="settle: 500ms")
    scenario = load_scenario(path)
    assert scenario.duration_s == pytest.approx(1.05 + 0.5 + 0.5)
    probe = SensorProbe()
    run_scenario(scenario, stages=[probe])
    level = {round(f.t_ns / NS_PER_S, 3): int(f.image[0, 0, 0]) for f in probe.frames}
    # The camera's grey until the step; then each read sees the frame nearest in time.
    assert [level[round(1.0 + k / 10, 1)] for k in range(7)] == [128, 30, 90, 90, 90, 150, 150]


def test_a_show_step_stops_the_video(tmp_path: Path) -> None:
    write_video(tmp_path / "clip.avi", [10, 20, 30, 40, 50, 60], fps=10.0)
    timeline = "  - at: 0s\n    video: clip.avi\n  - at: 0.25s\n    show: {blank: true}"
    scenario = load_scenario(write_scenario(tmp_path, timeline, extra="settle: 500ms"))
    probe = SensorProbe()
    run_scenario(scenario, stages=[probe])
    levels = [int(f.image[0, 0, 0]) for f in probe.frames if f.t_ns >= 0.3 * NS_PER_S]
    assert levels and not set(levels) & {40, 50, 60}


def test_audio_is_fed_sample_for_sample_from_its_time(tmp_path: Path) -> None:
    rng = np.random.default_rng(4)
    clip = rng.integers(-3000, 3000, 16_000 // 2, dtype=np.int16)  # 0.5 s
    write_wav(tmp_path / "mic.wav", clip)
    path = write_scenario(tmp_path, "  - at: 0.3s\n    audio: mic.wav", extra="settle: 200ms")
    scenario = load_scenario(path)
    assert scenario.duration_s == pytest.approx(0.3 + 0.5 + 0.2)
    probe = SensorProbe()
    run_scenario(scenario, stages=[probe])
    heard = np.concatenate([c.samples for c in probe.chunks])
    first = next(c for c in probe.chunks if np.array_equal(c.samples[:16], clip[:16]))
    start = round(first.t_ns * 16_000 / NS_PER_S)
    assert np.array_equal(heard[start : start + len(clip)], clip)
    assert abs(first.t_ns / NS_PER_S - 0.3) <= 0.032  # within the chunk the step fell in


# --------------------------------------------------------------------------------------------
# validation


def test_missing_media_files_name_the_line(tmp_path: Path) -> None:
    timeline = (
        "  - at: 0s\n"
        "    video: {file: nowhere.avi}\n"
        "  - at: 1s\n"
        "    audio: nothing.wav\n"
        "  - at: 2s\n"
        "    video: {file: nowhere.avi, times: none.times}"
    )
    path = write_scenario(tmp_path, timeline)
    found = problems(path)
    assert len(found) == 3
    assert found[0].startswith(f"{path}:7: timeline[0].video.file: no such file ")
    assert "nowhere.avi" in found[0]
    assert found[1].startswith(f"{path}:9: timeline[1].audio: no such file ")
    assert found[2].startswith(f"{path}:11: timeline[2].video.times: no such file ")


@pytest.mark.parametrize(
    ("rate", "channels", "message"),
    [
        (44_100, 1, "is 44100 Hz; an audio step plays 16 kHz mono 16-bit WAV"),
        (16_000, 2, "has 2 channels; an audio step plays mono"),
    ],
)
def test_audio_in_another_format_is_a_clear_error(
    tmp_path: Path, rate: int, channels: int, message: str
) -> None:
    silence = np.zeros(rate * channels // 10, np.int16)
    write_wav(tmp_path / "talk.wav", silence, rate=rate, channels=channels)
    path = write_scenario(tmp_path, "  - at: 0s\n    audio: talk.wav")
    (problem,) = problems(path)
    assert problem.startswith(f"{path}:7: timeline[0].audio: ")
    assert message in problem and "ffmpeg -i IN -ac 1 -ar 16000" in problem


def test_audio_that_is_no_wav_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "talk.wav").write_bytes(b"ID3 not a wave file at all")
    (problem,) = problems(write_scenario(tmp_path, "  - audio: talk.wav"))
    assert "talk.wav is not a WAV file" in problem


def test_times_that_do_not_match_the_video(tmp_path: Path) -> None:
    write_video(tmp_path / "clip.avi", [1, 2, 3])
    (tmp_path / "two.times").write_text("0\n0.1\n", encoding="utf-8")
    (tmp_path / "bad.times").write_text("0\n0.1\nsoon\n", encoding="utf-8")
    (tmp_path / "back.times").write_text("0\n0.2\n0.1\n", encoding="utf-8")
    timeline = "\n".join(
        f"  - at: {i}s\n    video: {{file: clip.avi, times: {name}}}"
        for i, name in enumerate(["two.times", "bad.times", "back.times"])
    )
    path = write_scenario(tmp_path, timeline)
    found = problems(path)
    assert "lists 2 frame times but video" in found[0] and "has 3 frames" in found[0]
    assert found[1].startswith(f"{path}:9: timeline[1].video.times: ")
    assert "bad.times:3: not a time in seconds: 'soon'" in found[1]
    assert "back.times:3: 0.1 s is before the frame above it" in found[2]


def test_a_file_that_is_no_video(tmp_path: Path) -> None:
    (tmp_path / "clip.avi").write_bytes(b"garbage" * 100)
    (problem,) = problems(write_scenario(tmp_path, "  - video: clip.avi"))
    assert "cannot open video" in problem or "no readable frames" in problem


def test_a_step_has_one_action_including_media(tmp_path: Path) -> None:
    write_video(tmp_path / "clip.avi", [1])
    (problem,) = problems(write_scenario(tmp_path, "  - video: clip.avi\n    tap:"))
    assert (
        "exactly one of" in problem and "video, audio" in problem and "(got tap, video)" in problem
    )
