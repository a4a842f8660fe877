"""Speakers: the WAV file speaker (checked with numbers), the sound-card speaker on a machine
without one, ``open_speaker`` URIs, and ``glasses run --speaker``.

The file speaker is how a machine without a sound card hears the glasses: every reply lands in
one WAV whose length, level and rate the tests measure.
"""

from __future__ import annotations

import asyncio
import os
import re
import wave
from pathlib import Path

import cv2
import numpy as np
import pytest

from glasses.app import LiveConfig, LiveStarted, run_live
from glasses.cli.main import main
from glasses.cli.run_cmd import NO_SPEAKER_NOTICE
from glasses.devices import BadDeviceUri, DeviceError, DeviceNotFound, SimSpeaker, Speaker
from glasses.devices.errors import BackendUnavailable
from glasses.devices.file import SPEAKER_RATE, FileSpeaker
from glasses.devices.uri import open_speaker
from glasses.devices.usb import SoundDeviceSpeaker, list_devices
from glasses.runtime import Event, VirtualClock
from glasses.runtime.events import Speaking, SpeakingStopped, Tap
from glasses.speech.tts import mix_noise, synthesize, synthesize_16k
from simulator.scenes import SceneSpec, render_scene

SIGN = "NO PARKING\nAT ANY TIME"
SAID = "NO PARKING. AT ANY TIME"  # what the read skill says for that sign: its lines, joined


def read_wav(path: Path) -> tuple[np.ndarray, int, int, int]:
    """(int16 samples, rate Hz, channels, bytes per sample)."""
    with wave.open(str(path), "rb") as wav:
        data = wav.readframes(wav.getnframes())
        return (
            np.frombuffer(data, dtype="<i2").astype(np.int16),
            wav.getframerate(),
            wav.getnchannels(),
            wav.getsampwidth(),
        )


def rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(x.astype(np.float64) ** 2))) if len(x) else 0.0


def tone(seconds: float, rate: int, amplitude: float = 8000.0, hz: float = 440.0) -> np.ndarray:
    t = np.arange(round(seconds * rate)) / rate
    return np.rint(amplitude * np.sin(2 * np.pi * hz * t)).astype(np.int16)


def no_sound_card() -> bool:
    return not list_devices()["speakers"]


# --------------------------------------------------------------------------------------------
# FileSpeaker


def test_file_speaker_writes_every_clip_in_order_at_22050_hz(tmp_path: Path) -> None:
    out = tmp_path / "said.wav"
    speaker = FileSpeaker(out)
    speaker.open()
    first = tone(1.0, SPEAKER_RATE, 8000.0)  # espeak's own rate: written as is
    second = tone(0.5, 16_000, 4000.0, hz=300.0)  # resampled to 22 050 Hz
    third = np.stack([tone(0.25, 44_100, 2000.0)] * 2, axis=1)  # stereo: downmixed
    speaker.play(first, SPEAKER_RATE)
    speaker.play(second, 16_000)
    speaker.play(third, 44_100)
    speaker.close()

    samples, rate, channels, width = read_wav(out)
    assert (rate, channels, width) == (22_050, 1, 2)
    assert len(samples) == 22_050 + 11_025 + 5_513  # ceil(n · 22050 / rate) per clip
    assert speaker.frames_written == len(samples)
    assert speaker.duration_s == pytest.approx(1.75, abs=1e-3)
    assert speaker.clips == 3 and speaker.cut == 0
    np.testing.assert_array_equal(samples[:22_050], first)
    # A sine of amplitude A has an RMS of A/√2; resampling keeps the level (inner part, away
    # from the filter's edges).
    assert rms(samples[:22_050]) == pytest.approx(8000 / np.sqrt(2), rel=0.01)
    assert rms(samples[22_050 + 500 : 33_075 - 500]) == pytest.approx(4000 / np.sqrt(2), rel=0.01)
    assert rms(samples[33_075 + 500 : -500]) == pytest.approx(2000 / np.sqrt(2), rel=0.01)


def test_file_speaker_cuts_a_clip_where_the_clock_says_it_was(tmp_path: Path) -> None:
    clock = VirtualClock()
    out = tmp_path / "cut.wav"
    speaker = FileSpeaker(out, clock=clock)
    clip = tone(2.0, SPEAKER_RATE)

    async def session() -> None:
        speaker.open()
        speaker.play(clip, SPEAKER_RATE)
        await clock.sleep(0.5)
        speaker.stop()  # barge-in after 0.5 s
        await clock.sleep(0.1)
        speaker.play(clip, SPEAKER_RATE)
        await clock.sleep(0.25)
        speaker.play(clip, SPEAKER_RATE)  # replaces the one playing after 0.25 s
        await clock.sleep(3.0)
        speaker.stop()  # played out already: nothing to cut
        speaker.close()

    clock.run(session())
    samples, rate, _, _ = read_wav(out)
    assert rate == SPEAKER_RATE
    assert len(samples) == 11_025 + 5_512 + 44_100  # 0.5 s + 0.25 s + the whole 2 s
    assert speaker.cut == 2 and speaker.clips == 3
    np.testing.assert_array_equal(samples[:11_025], clip[:11_025])


def test_file_speaker_close_cuts_the_clip_playing(tmp_path: Path) -> None:
    clock = VirtualClock()
    out = tmp_path / "end.wav"
    speaker = FileSpeaker(out, clock=clock)

    async def session() -> None:
        speaker.open()
        speaker.play(tone(2.0, SPEAKER_RATE), SPEAKER_RATE)
        await clock.sleep(1.2)
        speaker.close()  # the session ends mid-sentence

    clock.run(session())
    assert len(read_wav(out)[0]) == round(1.2 * SPEAKER_RATE)
    assert speaker.cut == 1


def test_without_a_clock_a_stopped_clip_is_written_whole(tmp_path: Path) -> None:
    speaker = FileSpeaker(tmp_path / "whole.wav")
    speaker.open()
    speaker.play(tone(0.4, SPEAKER_RATE), SPEAKER_RATE)
    speaker.stop()
    speaker.close()
    assert len(read_wav(tmp_path / "whole.wav")[0]) == round(0.4 * SPEAKER_RATE)
    assert speaker.cut == 0


def test_file_speaker_open_and_close_are_idempotent_and_silence_is_a_valid_wav(
    tmp_path: Path,
) -> None:
    out = tmp_path / "quiet.wav"
    speaker = FileSpeaker(out)
    speaker.play(tone(0.1, SPEAKER_RATE), SPEAKER_RATE)  # not open: nothing happens
    speaker.close()  # never opened: nothing to do, no error
    speaker.open()
    speaker.open()
    speaker.close()
    speaker.close()
    speaker.play(tone(0.1, SPEAKER_RATE), SPEAKER_RATE)  # closed: nothing happens
    samples, rate, channels, width = read_wav(out)
    assert (len(samples), rate, channels, width) == (0, 22_050, 1, 2)


def test_file_speaker_in_a_missing_folder_is_a_one_line_error(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "out.wav"
    with pytest.raises(DeviceNotFound) as exc:
        open_speaker(f"file:{missing}").open()
    message = str(exc.value)
    assert message.startswith(f"speaker file:{missing}: no folder {missing.parent}")
    assert "--speaker none" in message and "\n" not in message


def test_file_speaker_on_a_folder_is_a_one_line_error(tmp_path: Path) -> None:
    folder = tmp_path / "looks.wav"
    folder.mkdir()
    with pytest.raises(DeviceError, match="is a folder") as exc:
        FileSpeaker(folder).open()
    assert "\n" not in str(exc.value)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root writes anywhere")
def test_file_speaker_in_a_read_only_folder_is_a_one_line_error(tmp_path: Path) -> None:
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(DeviceError) as exc:
            FileSpeaker(folder / "out.wav").open()
    finally:
        folder.chmod(0o700)
    assert "cannot write" in str(exc.value) and "\n" not in str(exc.value)


@pytest.mark.parametrize(
    ("path", "problem"),
    [("/sys/glasses-speaker.wav", "cannot write"), ("/dev/full", "No space left on device")],
)
def test_file_speaker_that_cannot_write_is_a_one_line_error(path: str, problem: str) -> None:
    if not Path("/sys/kernel").is_dir() or not Path("/dev/full").exists():
        pytest.skip("needs Linux's /sys and /dev/full")
    with pytest.raises(DeviceError) as exc:
        FileSpeaker(path).open()  # /dev/full: a disk that is full
    message = str(exc.value)
    assert message.startswith(f"speaker file:{path}: cannot write {path}: ")
    assert problem in message and "\n" not in message


# --------------------------------------------------------------------------------------------
# open_speaker, the protocol, the sound card


def test_open_speaker_forms(tmp_path: Path) -> None:
    assert isinstance(open_speaker(f"file:{tmp_path / 'a.wav'}"), FileSpeaker)
    assert isinstance(open_speaker(f"file://{tmp_path / 'a.WAV'}"), FileSpeaker)
    assert isinstance(open_speaker("sim:"), SimSpeaker)
    default = open_speaker("default")
    usb = open_speaker("usb:3")
    assert isinstance(default, SoundDeviceSpeaker) and default.device is None
    assert isinstance(usb, SoundDeviceSpeaker) and usb.device == 3
    for speaker in (default, usb, open_speaker("sim:"), FileSpeaker(tmp_path / "b.wav")):
        assert isinstance(speaker, Speaker)


@pytest.mark.parametrize(
    ("uri", "problem"),
    [
        ("bogus", "unknown device URI"),
        ("usb:left", "'left' is not a device index"),
        ("file:", "no path after file:"),
        ("file:replies.mp3", "a file speaker writes a WAV file — write file:replies.wav"),
    ],
)
def test_malformed_speaker_uris(uri: str, problem: str) -> None:
    with pytest.raises(BadDeviceUri) as exc:
        open_speaker(uri)
    assert str(exc.value).startswith(f"speaker {uri}: ")
    assert problem in str(exc.value)


@pytest.mark.skipif(not no_sound_card(), reason="this machine has a sound output")
def test_default_speaker_without_a_sound_card_says_what_to_do() -> None:
    speaker = SoundDeviceSpeaker()
    speaker.play(tone(0.1, 22_050), 22_050)  # not open: nothing happens
    speaker.stop()
    with pytest.raises((BackendUnavailable, DeviceNotFound)) as exc:
        speaker.open()
    message = str(exc.value)
    assert message.startswith("speaker default: ") and "\n" not in message
    assert "--speaker file:PATH.wav or none" in message
    speaker.close()  # never opened: never raises
    speaker.close()


# --------------------------------------------------------------------------------------------
# run_live with a speaker (virtual clock)


def test_run_live_speaks_through_a_sim_speaker() -> None:
    clock = VirtualClock()
    starts: list[LiveStarted] = []
    config = LiveConfig(camera="sim:", mic=None, speaker="sim:", duration_s=0.5)
    summary = clock.run(run_live(config, on_start=starts.append, clock=clock))
    assert starts[0].speaker == "sim:"
    assert [s.stage for s in summary.stages][-1] == "speak"
    assert summary.replies_spoken == 0  # a grey view: nothing to say


def test_double_tap_reads_the_sign_aloud_into_the_wav_and_a_tap_cuts_it(
    tmp_path: Path,
) -> None:
    """Double tap → OCR → card + Say → FileSpeaker; a single tap 0.5 s in cuts the reply, and
    the WAV ends exactly there (virtual clock: the numbers are exact)."""
    sign = tmp_path / "sign.png"
    cv2.imwrite(str(sign), render_scene(SceneSpec(kind="text", content=SIGN, scale=0.8)))
    out = tmp_path / "reply.wav"
    clock = VirtualClock()
    seen: list[Event] = []
    started: list[LiveStarted] = []

    def on_start(info: LiveStarted) -> None:
        started.append(info)
        asyncio.get_running_loop().call_later(
            0.3, lambda: info.publish(Tap(t_ns=clock.now_ns(), source="test", count=2))
        )

    def on_event(event: Event) -> None:
        seen.append(event)
        if isinstance(event, Speaking):
            asyncio.get_running_loop().call_later(
                0.5, lambda: started[0].publish(Tap(t_ns=clock.now_ns(), source="test"))
            )

    config = LiveConfig(
        camera=f"file:{sign}", mic=None, speaker=f"file:{out}", duration_s=4.0, profile="g1"
    )
    summary = clock.run(run_live(config, on_event=on_event, on_start=on_start, clock=clock))

    assert started[0].speaker == f"file:{out} (WAV 22050 Hz mono)"
    (speaking,) = [e for e in seen if isinstance(e, Speaking)]
    (stopped,) = [e for e in seen if isinstance(e, SpeakingStopped)]
    assert speaking.text == SAID
    assert stopped.cut and stopped.reason == "tap"
    assert summary.replies_spoken == 1
    full, rate = synthesize(SAID)
    assert speaking.duration_ns == len(full) * 1_000_000_000 // rate > 1_000_000_000
    samples, rate, channels, _ = read_wav(out)
    assert (rate, channels) == (SPEAKER_RATE, 1)
    played_s = (stopped.t_ns - speaking.t_ns) / 1e9
    assert played_s == pytest.approx(0.5, abs=0.01)
    assert len(samples) == pytest.approx(played_s * SPEAKER_RATE, abs=1)
    np.testing.assert_array_equal(samples, full[: len(samples)])  # the reply's first 0.5 s
    assert rms(samples) > 500


# --------------------------------------------------------------------------------------------
# glasses run --speaker (real clock)


def ask_to_read(tmp_path: Path) -> tuple[Path, Path]:
    """A folder with one frame of the sign, and a WAV of the wearer saying the command."""
    frames = tmp_path / "frames"
    frames.mkdir()
    cv2.imwrite(
        str(frames / "sign.png"), render_scene(SceneSpec(kind="text", content=SIGN, scale=0.8))
    )
    voice = mix_noise(synthesize_16k("hey glasses, read this"), 20.0, seed=3, pad_s=1.0)
    wav_path = tmp_path / "ask.wav"
    with wave.open(str(wav_path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(16_000)
        wav.writeframes(voice.astype("<i2").tobytes())
    return frames, wav_path


def test_glasses_run_speaks_the_reply_into_a_wav(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    frames, ask = ask_to_read(tmp_path)
    out = tmp_path / "out.wav"
    args = ["run", "--camera", f"file:{frames}", "--mic", f"file:{ask}"]
    code = main([*args, "--speaker", f"file:{out}", "--headless"])
    captured = capsys.readouterr()
    assert code == 0, captured.out + captured.err
    assert captured.err == ""
    assert f"speaker     file:{out} (WAV 22050 Hz mono)" in captured.out
    assert re.search(r"HUD: Read \| NO PARKING \| AT ANY TIME$", captured.out, re.MULTILINE)
    assert re.search(r"^\s*replies spoken\s+1 \(\d+\.\d\d s\)$", captured.out, re.MULTILINE)
    samples, rate, channels, width = read_wav(out)
    assert (rate, channels, width) == (22_050, 1, 2)
    full, _ = synthesize(SAID)
    # The session waited for the reply to play out: the whole sentence is in the file.
    assert len(samples) == len(full)
    assert len(samples) / rate > 1.0
    assert rms(samples) > 500
    np.testing.assert_array_equal(samples, full)


@pytest.mark.skipif(not no_sound_card(), reason="this machine has a sound output")
def test_an_explicit_speaker_that_is_missing_is_exit_3(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sign = tmp_path / "sign.png"
    cv2.imwrite(str(sign), render_scene(SceneSpec(kind="text", content=SIGN, scale=0.8)))
    code = main(["run", "--camera", f"file:{sign}", "--mic", "none", "--speaker", "default"])
    captured = capsys.readouterr()
    assert code == 3
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("glasses run: speaker default: ")
    assert captured.out == ""


@pytest.mark.skipif(not no_sound_card(), reason="this machine has a sound output")
def test_auto_speaker_runs_without_one_after_a_notice(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sign = tmp_path / "sign.png"
    cv2.imwrite(str(sign), render_scene(SceneSpec(kind="text", content=SIGN, scale=0.8)))
    args = ["run", "--camera", f"file:{sign}", "--mic", "none", "--duration", "0.3"]
    code = main([*args, "--headless"])  # --speaker auto is the default
    captured = capsys.readouterr()
    assert code == 0, captured.out + captured.err
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith(f"glasses run: {NO_SPEAKER_NOTICE} (speaker default: ")
    assert "speaker     none" in captured.out
    assert "replies spoken" not in captured.out


def test_speaker_none_runs_silently(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sign = tmp_path / "sign.png"
    cv2.imwrite(str(sign), render_scene(SceneSpec(kind="text", content=SIGN, scale=0.8)))
    args = ["run", "--camera", f"file:{sign}", "--mic", "none", "--duration", "0.3"]
    assert main([*args, "--speaker", "none", "--headless"]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    assert "speaker     none" in captured.out


def test_malformed_speaker_uri_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--camera", "sim:", "--mic", "none", "--speaker", "bogus"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("glasses run: speaker bogus: unknown device URI")
    assert len(err.splitlines()) == 1
