"""``glasses run --record DIR`` and its replay: a session recorded on file devices replays
headless on the virtual clock with the same decisions, from wherever the folder is copied.

The first test is issue 14's "done means": the real command on the real clock, then
``glasses sim --headless`` on a copy of the recording. The others run the live session on the
virtual clock, so that they can hold the replay to exact frames, samples and times.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import shutil
import wave
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from glasses.app import LiveConfig, LiveStarted, LiveSummary, run_live
from glasses.app.recorder import RecordingError, SessionRecorder
from glasses.cli.main import main
from glasses.runtime import AudioChunk, Event, VideoFrame, VirtualClock
from glasses.runtime.clock import NS_PER_S
from glasses.runtime.events import (
    DeviceLost,
    DeviceRestored,
    HeadGesture,
    HudDrawn,
    Intent,
    Swipe,
    Tap,
)
from glasses.runtime.stage import Stage
from glasses.runtime.testing import SensorProbe
from glasses.speech.tts import synthesize_16k
from simulator.harness import ScenarioResult, run_scenario
from simulator.scenario import ScenarioError, load_scenario
from simulator.scenes import SceneSpec, render_scene

RATE = 16_000


def write_wav(path: Path, samples: np.ndarray) -> Path:
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(RATE)
        wav.writeframes(samples.astype("<i2").tobytes())
    return path


def write_clip(path: Path, frames: list[np.ndarray], fps: float) -> Path:
    height, width = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"HFYU"), fps, (width, height))
    assert writer.isOpened()
    for image in frames:
        writer.write(image)
    writer.release()
    return path


def events_of(folder: Path) -> list[dict[str, Any]]:
    lines = (folder / "events.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def decisions(events: list[dict[str, Any]]) -> tuple[list[str], list[str]]:
    """The intents, in order, and the texts the HUD showed, each once, in order."""
    intents = [e["name"] for e in events if e["type"] == "Intent"]
    texts: list[str] = []
    for e in events:
        if e["type"] == "HudDrawn" and e["text"] and e["text"] not in texts:
            texts.append(e["text"])
    return intents, texts


def replay(folder: Path, stages: tuple[Stage, ...] = ()) -> ScenarioResult:
    result = run_scenario(load_scenario(folder / "scenario.yaml"), stages=stages)
    assert result.passed, [o.detail for o in result.outcomes if not o.passed] or result.error
    return result


# --------------------------------------------------------------------------------------------
# issue 14, done means: glasses run --record, then glasses sim --headless on a copy


def test_a_recorded_run_replays_headless_with_the_same_intents_and_hud_from_a_copy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sign = render_scene(SceneSpec(kind="text", content="PLATFORM 4", scale=0.6, noise_sigma=5))
    clip = write_clip(tmp_path / "sign.avi", [sign] * 40, fps=10.0)  # 4 s, then it ends
    rng = np.random.default_rng(7)
    speech = synthesize_16k("hey glasses, read this")
    pause = np.zeros(RATE // 2, np.int16)
    said = np.concatenate([pause, speech, pause, pause]).astype(np.float64)
    said += rng.normal(0, 30, len(said))  # a microphone's hiss, never digital silence
    wav = write_wav(tmp_path / "said.wav", np.clip(said, -32768, 32767).astype(np.int16))
    rec = tmp_path / "rec"

    command = ["run", "--camera", f"file:{clip}", "--mic", f"file:{wav}", "--speaker", "none"]
    code = main([*command, "--headless", "--record", str(rec)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "HUD: Read | PLATFORM 4" in out
    assert f"replay: glasses sim --headless {rec / 'scenario.yaml'}" in out
    # Every file complete under its final name; no temporary file left behind.
    names = sorted(p.name for p in rec.iterdir())
    assert names == [
        "camera.avi",
        "camera.times",
        "events.jsonl",
        "microphone.wav",
        "scenario.yaml",
    ]
    intents, texts = decisions(events_of(rec))
    assert intents == ["read"]
    assert texts == ["Read\nPLATFORM 4"]

    # Self-contained: a copy replays after the recording and its sources are gone.
    copy = tmp_path / "elsewhere" / "bug-1234"
    shutil.copytree(rec, copy)
    for gone in (rec, clip, wav):
        shutil.rmtree(gone) if gone.is_dir() else gone.unlink()
    report = tmp_path / "replay.json"
    code = main(["sim", "--headless", str(copy / "scenario.yaml"), "--report", str(report)])
    out = capsys.readouterr().out
    assert code == 0, out
    (result,) = json.loads(report.read_text(encoding="utf-8"))["scenarios"]
    assert result["passed"] and result["expectations"]
    assert decisions(result["events"]) == (intents, texts)


# --------------------------------------------------------------------------------------------
# exact replay, on the virtual clock


def record_on_the_virtual_clock(
    config: LiveConfig, inputs: Sequence[tuple[float, Event]] = ()
) -> tuple[list[Event], LiveSummary]:
    """Run ``config`` (with ``record`` set) on a virtual clock, publishing ``inputs`` (session
    seconds, event) as a front end would. Returns every event seen, its ``t_ns`` from the
    session's start (frames copied as they come: a stage may draw on its frame), and the
    summary."""
    clock = VirtualClock()
    seen: list[Event] = []
    start: list[int] = []

    def on_start(info: LiveStarted) -> None:
        start.append(info.t_ns)
        loop = asyncio.get_running_loop()
        for t_s, event in inputs:
            stamped = dataclasses.replace(event, t_ns=info.t_ns + round(t_s * NS_PER_S))
            loop.call_later(t_s, info.publish, stamped)

    def on_event(event: Event) -> None:
        if isinstance(event, VideoFrame):
            event = dataclasses.replace(event, image=event.image.copy())
        seen.append(dataclasses.replace(event, t_ns=event.t_ns - start[0]))

    summary = clock.run(run_live(config, on_event=on_event, on_start=on_start, clock=clock))
    return seen, summary


def test_the_replay_sees_the_very_frames_and_samples_at_their_times(tmp_path: Path) -> None:
    # Distinct frames, then a still stretch (stored as its first and last frame only).
    frames = [
        render_scene(SceneSpec(kind="text", content=f"F{k}", scale=0.5, noise_sigma=4, seed=k))
        for k in range(6)
    ]
    frames += [frames[-1]] * 6 + [render_scene(SceneSpec(kind="qr", content="last", scale=0.4))]
    clip = write_clip(tmp_path / "clip.avi", frames, fps=10.0)
    noise = np.random.default_rng(3).integers(-2000, 2000, RATE, dtype=np.int16)  # 1 s
    wav = write_wav(tmp_path / "mic.wav", noise)
    rec = tmp_path / "rec"
    config = LiveConfig(camera=f"file:{clip}", mic=f"file:{wav}", profile="g1", record=rec)
    seen, summary = record_on_the_virtual_clock(config)

    recording = summary.recording
    assert recording is not None and recording.directory == rec
    assert recording.frames == len(frames) and recording.frames_stored == 8  # 13 - 5 repeats
    assert recording.audio_s == pytest.approx(1.0)
    assert recording.files[-1] == "scenario.yaml"
    live_frames = [e for e in seen if isinstance(e, VideoFrame)]
    assert len(live_frames) == len(frames)

    probe = SensorProbe()
    result = replay(rec, (probe,))
    replayed = {f.t_ns: f.image for f in probe.frames}
    for live in live_frames:  # the same frame at the same time, pixel for pixel
        assert np.array_equal(replayed[live.t_ns], live.image), live.index
    heard = np.concatenate([c.samples for c in probe.chunks])
    first = next(c for c in probe.chunks if np.array_equal(c.samples[:32], noise[:32]))
    start = round(first.t_ns * RATE / NS_PER_S)
    assert np.array_equal(heard[start : start + len(noise)], noise)  # sample for sample
    live_audio = next(e for e in seen if isinstance(e, AudioChunk))
    assert abs(first.t_ns - live_audio.t_ns) < 512 * NS_PER_S // RATE  # within a chunk
    # The code seen on the last frame: the same card, as the expectation written says.
    assert decisions(events_of(rec))[1] == ["QR code\nlast"]
    assert [o.text for o in result.outcomes] == ["QR code\nlast"]


def test_inputs_become_steps_and_replay_to_the_same_intents(tmp_path: Path) -> None:
    sign = tmp_path / "exit.png"
    cv2.imwrite(str(sign), render_scene(SceneSpec(kind="text", content="EXIT", scale=0.6)))
    rec = tmp_path / "rec"
    config = LiveConfig(camera=f"file:{sign}", mic=None, duration_s=3.0, record=rec)
    inputs: list[tuple[float, Event]] = [
        (0.5, Tap(t_ns=0, source="keys", count=2)),  # read this
        (1.0, Swipe(t_ns=0, source="keys", direction="forward")),
        (1.25, HeadGesture(t_ns=0, source="keys", gesture="shake")),
        (2.0, Tap(t_ns=0, source="keys", count=1)),  # dismiss the card
    ]
    seen, summary = record_on_the_virtual_clock(config, inputs)
    assert summary.recording is not None and summary.recording.inputs == 4

    scenario = load_scenario(rec / "scenario.yaml")
    steps = [(round(t.t_s, 6), t.step.action, t.step.id) for t in scenario.steps]
    assert steps[1:] == [
        (0.5, "tap", "double_tap1"),
        (1.0, "swipe", "swipe1"),
        (1.25, "shake", "shake1"),
        (2.0, "tap", "tap1"),
    ]
    assert scenario.steps[1].step.tap is not None and scenario.steps[1].step.tap.count == 2
    live_intents = [e.name for e in seen if isinstance(e, Intent)]
    assert live_intents[:2] == ["read", "dismiss"]
    result = replay(rec)
    assert [e["name"] for e in result.events if e["type"] == "Intent"] == live_intents
    assert [o.text for o in result.outcomes] == ["Read\nEXIT"]


def test_a_recording_into_a_folder_that_is_not_empty_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "old.txt").write_text("a previous recording", encoding="utf-8")
    code = main(["run", "--camera", "sim:", "--mic", "none", "--record", str(tmp_path)])
    assert code == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line == f"glasses run: --record {tmp_path} is not empty; record into a new folder " + (
        "(a recording replaces nothing)"
    )


# --------------------------------------------------------------------------------------------
# the recorder on its own: files split where the session broke, device steps, no HUD text


def test_a_new_frame_size_and_a_break_in_the_audio_start_new_files(tmp_path: Path) -> None:
    rec = tmp_path / "rec"
    recorder = SessionRecorder(rec, profile="g1", listen="always")
    t0 = 5 * NS_PER_S  # the session's clock does not start at 0

    def at(t_s: float) -> int:
        return t0 + round(t_s * NS_PER_S)

    recorder.start(t0, camera="test camera", camera_fps=10.0, microphone="test mic")
    small, large = np.full((32, 48, 3), 50, np.uint8), np.full((40, 64, 3), 90, np.uint8)
    chunk = np.arange(512, dtype=np.int16)
    events: list[Event] = [
        VideoFrame(t_ns=at(0.01), source="camera", image=small, index=0),
        AudioChunk(t_ns=at(0.0), source="microphone", samples=chunk),
        AudioChunk(t_ns=at(0.032), source="microphone", samples=chunk),
        DeviceLost(t_ns=at(0.1), source="microphone", device="usb:1", reason="unplugged"),
        VideoFrame(t_ns=at(0.11), source="camera", image=large, index=1),
        VideoFrame(t_ns=at(0.21), source="camera", image=large, index=2),
        DeviceRestored(t_ns=at(1.6), source="microphone", device="usb:1", attempts=2),
        AudioChunk(t_ns=at(1.6), source="microphone", samples=chunk),
        HudDrawn(t_ns=at(1.7), source="hud", turn_id=3, text="Timer\n1 min", update_t_ns=0),
    ]
    for event in events:
        recorder.observe(event)
    recording = recorder.finish(at(2.0), ended_by="stopped")

    assert recording.files == (
        "camera.avi",
        "camera-2.avi",
        "camera.times",
        "camera-2.times",
        "microphone.wav",
        "microphone-2.wav",
        "events.jsonl",
        "scenario.yaml",
    )
    assert sorted(p.name for p in rec.iterdir()) == sorted(recording.files)
    with wave.open(str(rec / "microphone.wav")) as first:
        assert (first.getframerate(), first.getnchannels(), first.getnframes()) == (RATE, 1, 1024)
    scenario = load_scenario(rec / "scenario.yaml")
    steps = [(round(t.t_s, 3), t.step.action) for t in scenario.steps]
    assert steps == [
        (0.0, "video"),
        (0.0, "audio"),
        (0.1, "unplug"),
        (0.11, "video"),
        (1.35, "replug"),  # a quarter second before the microphone was back
        (1.6, "audio"),
    ]
    video2 = scenario.steps[3].step.video
    assert video2 is not None and video2.file == "camera-2.avi"
    times = (rec / "camera-2.times").read_text(encoding="utf-8").splitlines()
    assert times[1:] == ["0.000000", "0.100000"]  # from the step, which is the first frame
    device = scenario.model.device
    assert (device.profile, device.listen, device.echo) == ("g1", "always", None)
    assert (device.camera.width, device.camera.height, device.camera.fps) == (48, 32, 10.0)
    assert scenario.duration_s == pytest.approx(2.0 + 2.0)
    assert [e.hud_contains for e in scenario.model.expect] == ["Timer\n1 min"]
    lines = events_of(rec)
    assert [e["type"] for e in lines] == ["DeviceLost", "DeviceRestored", "HudDrawn"]
    assert lines[0]["t_ns"] == round(0.1 * NS_PER_S)  # from the session's start


def test_a_session_that_showed_nothing_asks_for_an_expectation(tmp_path: Path) -> None:
    rec = tmp_path / "rec"
    recorder = SessionRecorder(rec, profile="frame")
    recorder.start(0, camera="c", camera_fps=30.0, microphone=None)
    image = np.zeros((48, 64, 3), np.uint8)
    recorder.observe(VideoFrame(t_ns=0, source="camera", image=image, index=0))
    recording = recorder.finish(NS_PER_S)
    assert recording.expected == ()
    assert any("the HUD showed nothing" in line for line in recording.describe())
    text = (rec / "scenario.yaml").read_text(encoding="utf-8")
    assert "# The HUD showed nothing in the session" in text
    with pytest.raises(ScenarioError, match="needs at least one expectation"):
        load_scenario(rec / "scenario.yaml")


def test_a_folder_that_goes_away_is_a_recording_error_and_no_scenario(tmp_path: Path) -> None:
    rec = tmp_path / "rec"
    recorder = SessionRecorder(rec, profile="frame")
    recorder.start(0, camera="c", camera_fps=30.0, microphone="m")
    shutil.rmtree(rec)
    recorder.observe(VideoFrame(t_ns=0, source="camera", image=np.zeros((48, 64, 3), np.uint8)))
    recorder.observe(AudioChunk(t_ns=0, source="microphone", samples=np.zeros(512, np.int16)))
    with pytest.raises(RecordingError, match=f"cannot write {rec / 'camera.avi'}: the folder is"):
        recorder.finish(NS_PER_S)
    assert not rec.exists()
