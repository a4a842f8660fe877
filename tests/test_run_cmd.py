"""``glasses run``: device listing, one-line device errors and exit codes, file-backed sessions.

The sessions run on the real clock for a couple of seconds; the assertions are on counts and
text (what was captured, what the HUD showed), never on how long anything took.
"""

from __future__ import annotations

import asyncio
import importlib.util
import re
import signal
import subprocess
import sys
import wave
from pathlib import Path

import cv2
import numpy as np
import pytest

from glasses.app import LiveConfig, LiveStarted, run_live
from glasses.cli.main import main
from glasses.cli.run_cmd import NO_CAMERAS, NO_MICROPHONES, NO_SPEAKERS
from glasses.devices import list_devices
from glasses.runtime import AudioChunk, Event, VideoFrame, VirtualClock
from simulator.scenes import SceneSpec, render_scene

CLIP_FRAMES = 30
CLIP_FPS = 15.0
WAV_RATE = 44_100
WAV_SECONDS = 2.0


def glasses_run(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "glasses.cli.main", "run", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def figure(out: str, label: str) -> int:
    match = re.search(rf"^\s*{label}\s+(\d+)", out, re.MULTILINE)
    assert match, f"no {label!r} line in:\n{out}"
    return int(match.group(1))


@pytest.fixture
def qr_png(tmp_path: Path) -> Path:
    path = tmp_path / "poster.png"
    cv2.imwrite(str(path), render_scene(SceneSpec(kind="qr", content="hello run", scale=0.4)))
    return path


@pytest.fixture
def clip_avi(tmp_path: Path) -> Path:
    path = tmp_path / "clip.avi"
    frame = render_scene(SceneSpec(kind="qr", content="hello run", scale=0.4))
    height, width = frame.shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), CLIP_FPS, (width, height))
    assert writer.isOpened()
    for _ in range(CLIP_FRAMES):
        writer.write(frame)
    writer.release()
    return path


@pytest.fixture
def speech_wav(tmp_path: Path) -> Path:
    path = tmp_path / "speech.wav"
    n = round(WAV_SECONDS * WAV_RATE)
    t = np.arange(n) / WAV_RATE
    rng = np.random.default_rng(1)
    tone = 6000 * np.sin(2 * np.pi * 440 * t) + rng.normal(0, 300, n)
    stereo = np.stack([tone, tone[::-1]], axis=1).astype("<i2")
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(2)
        wav.setsampwidth(2)
        wav.setframerate(WAV_RATE)
        wav.writeframes(stereo.tobytes())
    return path


# --------------------------------------------------------------------------------------------
# listing and errors


def test_list_devices_prints_what_is_found_or_the_none_lines(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["run", "--list-devices"]) == 0
    out = capsys.readouterr().out
    found = list_devices()
    for line in found["cameras"] or [NO_CAMERAS]:
        assert line in out
    for line in found["microphones"] or [NO_MICROPHONES]:
        assert line in out
    for line in found["speakers"] or [NO_SPEAKERS]:
        assert line in out
    if not any(found.values()):  # this machine: no camera, no audio
        assert out.splitlines() == [
            "cameras:",
            f"  {NO_CAMERAS}",
            "microphones:",
            f"  {NO_MICROPHONES}",
            "speakers:",
            f"  {NO_SPEAKERS}",
        ]


def test_missing_camera_is_one_line_and_exit_3() -> None:
    if any(line.startswith("usb:7 ") for line in list_devices()["cameras"]):
        pytest.skip("this machine has a camera 7")
    proc = glasses_run("--camera", "usb:7")
    assert proc.returncode == 3, proc.stdout + proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("glasses run: camera usb:7: ")
    assert "Traceback" not in proc.stderr
    assert proc.stdout == ""


def test_missing_microphone_says_what_to_install(qr_png: Path) -> None:
    # Either sounddevice is absent (hint: glasses[audio]) or PortAudio is (hint: libportaudio2);
    # pocketsphinx depends on sounddevice, so on a machine set up by the README it is the latter.
    if list_devices()["microphones"]:
        pytest.skip("this machine has a microphone")
    proc = glasses_run("--camera", f"file:{qr_png}", "--mic", "default")
    assert proc.returncode == 3, proc.stdout + proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("glasses run: microphone default: ")
    assert "libportaudio2" in lines[0]
    if importlib.util.find_spec("sounddevice") is None:
        assert "glasses[audio]" in lines[0]
    assert "Traceback" not in proc.stderr


def test_garbage_image_names_the_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"this is not a png")
    assert main(["run", "--camera", f"file:{bad}", "--mic", "none"]) == 3
    err = capsys.readouterr().err
    assert err.startswith("glasses run: camera ") and str(bad) in err
    assert len(err.splitlines()) == 1


def test_garbage_wav_names_the_file(
    tmp_path: Path, qr_png: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "speech.wav"
    bad.write_bytes(b"RIFF but not really a wave file at all")
    assert main(["run", "--camera", f"file:{qr_png}", "--mic", f"file:{bad}"]) == 3
    err = capsys.readouterr().err
    assert err.startswith("glasses run: microphone ") and str(bad) in err
    assert len(err.splitlines()) == 1


def test_missing_file_is_a_device_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nowhere.mp4"
    assert main(["run", "--camera", f"file:{missing}", "--mic", "none"]) == 3
    assert str(missing) in capsys.readouterr().err


def test_unknown_profile_is_a_usage_error_listing_the_profiles(
    qr_png: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["run", "--camera", f"file:{qr_png}", "--mic", "none", "--profile", "hololens"])
    assert code == 2
    err = capsys.readouterr().err
    assert "hololens" in err and "g1" in err and "frame" in err


def test_malformed_uri_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--camera", "webcam", "--mic", "none"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("glasses run: camera webcam: unknown device URI")


@pytest.mark.parametrize("duration", ["0", "-1", "soon", "inf"])
def test_bad_duration_is_a_usage_error(duration: str) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["run", "--duration", duration])
    assert exc.value.code == 2


# --------------------------------------------------------------------------------------------
# sessions on the real clock


def test_file_backed_session_reads_the_qr_code_and_counts_everything(
    clip_avi: Path, speech_wav: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "run",
            "--camera",
            f"file:{clip_avi}",
            "--mic",
            f"file:{speech_wav}",
            "--speaker",
            "none",
            "--headless",
            "--profile",
            "g1",
        ]
    )
    captured = capsys.readouterr()
    out = captured.out
    assert code == 0, out + captured.err
    assert re.search(r"^\[\s*\d+\.\d{3} s\] HUD: QR code \| hello run$", out, re.MULTILINE), out
    assert "every source ended" in out
    assert figure(out, "frames captured") == CLIP_FRAMES
    chunks = WAV_SECONDS * 16_000 / 512
    assert abs(figure(out, "audio chunks") - chunks) <= 2
    assert figure(out, "HUD updates") >= 1
    assert re.search(r"^\s*codes\s+\d+\.\d\s+\d+\.\d\s+\d+$", out, re.MULTILINE), out
    assert re.search(r"^\s*capture LED\s+off$", out, re.MULTILINE), out
    assert captured.err == ""


def test_a_single_image_runs_for_the_duration(
    qr_png: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "run",
            "--camera",
            f"file:{qr_png}",
            "--mic",
            "none",
            "--speaker",
            "none",
            "--duration",
            "0.5",
            "--headless",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert "the duration elapsed" in out
    assert figure(out, "frames captured") > 0
    assert figure(out, "audio chunks") == 0
    assert re.search(r"^\s*capture LED\s+off$", out, re.MULTILINE), out


def test_a_file_failing_mid_run_ends_the_session_with_exit_3(
    tmp_path: Path, qr_png: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "frames"
    folder.mkdir()
    (folder / "frame1.png").write_bytes(qr_png.read_bytes())
    (folder / "frame2.png").write_bytes(b"truncated")
    code = main(
        ["run", "--camera", f"file:{folder}", "--mic", "none", "--speaker", "none", "--headless"]
    )
    captured = capsys.readouterr()
    assert code == 3
    assert "a device failed" in captured.out
    assert figure(captured.out, "frames captured") == 1
    assert re.search(r"^\s*capture LED\s+off$", captured.out, re.MULTILINE)
    err = captured.err.splitlines()
    assert len(err) == 1 and "frame2.png" in err[0], captured.err


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child needs POSIX signals")
def test_ctrl_c_stops_cleanly_with_a_summary(qr_png: Path) -> None:
    command = ["glasses.cli.main", "run", "--camera", f"file:{qr_png}", "--mic", "none"]
    command += ["--speaker", "none"]
    proc = subprocess.Popen(
        [sys.executable, "-m", *command, "--headless"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        head = []
        for line in proc.stdout:  # wait for the session to run: no sleeping on the wall clock
            head.append(line)
            if line.startswith("running"):
                break
        proc.send_signal(signal.SIGINT)
        rest, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    out = "".join(head) + rest
    assert proc.returncode == 0, out + err
    assert "stopped" in out
    assert re.search(r"^\s*capture LED\s+off$", out, re.MULTILINE), out
    assert "Traceback" not in err


# --------------------------------------------------------------------------------------------
# the API a UI builds on


def test_run_live_reports_every_event_and_the_summary_on_the_virtual_clock() -> None:
    clock = VirtualClock()
    events: list[Event] = []
    starts: list[tuple[LiveStarted, int]] = []

    def on_start(info: LiveStarted) -> None:
        starts.append((info, len(events)))

    config = LiveConfig(camera="sim:", mic="sim:", profile="g1", duration_s=1.0)
    summary = clock.run(run_live(config, on_event=events.append, on_start=on_start, clock=clock))

    assert len(starts) == 1
    info, seen_before = starts[0]
    assert seen_before == 0  # on_start comes before the first event
    assert info.camera.startswith("sim: (") and info.mic is not None
    assert info.speaker is None and summary.replies_spoken == 0  # LiveConfig: no speaker
    assert info.profile.name == "g1"
    assert summary.ended_by == "duration"
    assert summary.duration_s == pytest.approx(1.0)
    frames = sum(isinstance(e, VideoFrame) for e in events)
    chunks = sum(isinstance(e, AudioChunk) for e in events)
    assert summary.frames == frames and 15 <= frames <= 16  # 15 fps for 1 s
    assert summary.audio_chunks == chunks and 31 <= chunks <= 32  # 512-sample chunks at 16 kHz
    assert summary.hud_updates == 0 and summary.hud_text == ""  # a grey view has no code
    # With a microphone the speech stages run too; without a speaker nothing is spoken.
    stages = ["codes", "router", "skills", "hud", "vad", "listen", "captions"]
    assert [s.stage for s in summary.stages] == stages
    assert summary.led_on is False and info.led.on is False
    assert summary.errors == () and summary.failed == {}


def test_run_live_stops_when_asked() -> None:
    clock = VirtualClock()

    async def session() -> str:
        stop = asyncio.Event()
        asyncio.get_running_loop().call_later(0.3, stop.set)
        summary = await run_live(LiveConfig(camera="sim:", mic=None), stop=stop, clock=clock)
        return summary.ended_by

    assert clock.run(session()) == "stopped"


def test_live_config_rejects_a_duration_that_is_not_positive() -> None:
    for bad in (0.0, -1.0, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="duration_s"):
            LiveConfig(duration_s=bad)
