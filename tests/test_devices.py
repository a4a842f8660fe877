"""Device backends, their one-line errors, the state machine and the reconnecting loops."""

from __future__ import annotations

import struct
import sys
import wave
from pathlib import Path

import cv2
import numpy as np
import pytest

from glasses.devices import (
    BackendUnavailable,
    BadDeviceUri,
    DeviceDisconnected,
    DeviceError,
    DeviceNotFound,
    DeviceState,
    DeviceStateMachine,
    FileCamera,
    FileMicrophone,
    Reconnect,
    SharedIndicator,
    SimCamera,
    SimDisplay,
    SimIndicator,
    SimInputs,
    SimMicrophone,
    SimSpeaker,
    SoundDeviceMicrophone,
    UnreadableMedia,
    UnsupportedAudioFormat,
    UsbCamera,
    list_devices,
    open_camera,
    open_microphone,
    run_camera,
    run_inputs,
    run_microphone,
)
from glasses.devices.file import decode_pcm
from glasses.runtime import (
    NS_PER_S,
    AudioChunk,
    DeviceLost,
    DeviceRestored,
    Event,
    Tap,
    VideoFrame,
    VirtualClock,
)

MS = 1_000_000


# --------------------------------------------------------------------------------------------
# helpers


def write_wav(path: Path, pcm: np.ndarray, rate: int, sample_width: int = 2) -> Path:
    frames = pcm.reshape(len(pcm), -1)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(frames.shape[1])
        w.setsampwidth(sample_width)
        w.setframerate(rate)
        w.writeframes(frames.astype(f"<i{sample_width}").tobytes())
    return path


def write_alaw_wav(path: Path) -> Path:
    data = bytes(100)
    fmt = struct.pack("<HHIIHH", 6, 1, 8_000, 8_000, 1, 8)  # format tag 6 = A-law
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt
    body += b"data" + struct.pack("<I", len(data)) + data
    path.write_bytes(b"RIFF" + struct.pack("<I", len(body)) + body)
    return path


def garbage(path: Path) -> Path:
    path.write_bytes(np.random.default_rng(0).bytes(4096))
    return path


def solid(value: int, w: int = 64, h: int = 48) -> np.ndarray:
    return np.full((h, w, 3), value, dtype=np.uint8)


def error_of(fn: object) -> DeviceError:
    assert callable(fn)
    with pytest.raises(DeviceError) as info:
        fn()
    message = str(info.value)
    assert "\n" not in message
    assert message.count(" — ") == 1  # problem — hint
    return info.value


def no_sounddevice(monkeypatch: pytest.MonkeyPatch) -> None:
    # A None entry makes `import sounddevice` raise ImportError, installed or not.
    monkeypatch.setitem(sys.modules, "sounddevice", None)


# --------------------------------------------------------------------------------------------
# errors: one test per bad input, exact one-line message


def test_error_is_one_line_and_keeps_its_parts() -> None:
    err = DeviceError("camera", "usb:3", "no camera\nat index 3", "plug one in")
    assert str(err) == "camera usb:3: no camera at index 3 — plug one in"
    assert (err.device, err.hint) == ("usb:3", "plug one in")


def test_missing_usb_camera() -> None:
    err = error_of(lambda: open_camera("usb:7").open())
    assert isinstance(err, DeviceNotFound)
    assert err.device == "usb:7"
    assert str(err) == (
        "camera usb:7: no camera at index 7 — plug one in, or use --camera file:PATH or sim:"
    )


def test_missing_microphone_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    no_sounddevice(monkeypatch)
    err = error_of(lambda: open_microphone("default").open())
    assert isinstance(err, BackendUnavailable)
    assert str(err) == (
        "microphone default: the sounddevice package is not installed — pip install "
        "'glasses[audio]' and apt-get install libportaudio2, or use --microphone file:PATH.wav "
        "or sim:"
    )


def test_wav_with_wrong_sample_rate(tmp_path: Path) -> None:
    path = write_wav(tmp_path / "slow.wav", np.zeros(400, dtype=np.int16), 4000)
    err = error_of(lambda: FileMicrophone(path).open())
    assert isinstance(err, UnsupportedAudioFormat)
    assert str(err) == (
        f"microphone file:{path}: wrong sample rate 4000 Hz in {path}; supported: "
        "8000..192000 Hz — resample it: ffmpeg -i IN -ar 16000 -c:a pcm_s16le OUT.wav"
    )


def test_wav_with_wrong_channel_count(tmp_path: Path) -> None:
    path = write_wav(tmp_path / "many.wav", np.zeros((100, 9), dtype=np.int16), 16_000)
    err = error_of(lambda: FileMicrophone(path).open())
    assert isinstance(err, UnsupportedAudioFormat)
    assert str(err) == (
        f"microphone file:{path}: wrong channel count 9 in {path}; supported: 1..8 channels "
        "— downmix it: ffmpeg -i IN -ac 1 -c:a pcm_s16le OUT.wav"
    )


def test_compressed_wav_is_refused(tmp_path: Path) -> None:
    path = write_alaw_wav(tmp_path / "alaw.wav")
    err = error_of(lambda: FileMicrophone(path).open())
    assert isinstance(err, UnsupportedAudioFormat)
    assert str(err) == (
        f"microphone file:{path}: {path} is A-law WAV (format tag 6); supported: 8/16/24/32-bit "
        "integer PCM or 32/64-bit IEEE float — convert it: ffmpeg -i IN -ac 1 -ar 16000 "
        "-c:a pcm_s16le OUT.wav"
    )


def test_garbage_wav(tmp_path: Path) -> None:
    path = garbage(tmp_path / "noise.wav")
    err = error_of(lambda: open_microphone(f"file:{path}").open())
    assert isinstance(err, UnreadableMedia)
    assert str(err) == (
        f"microphone file:{path}: {path} is not a WAV file — convert it: ffmpeg -i IN -ac 1 "
        "-ar 16000 -c:a pcm_s16le OUT.wav"
    )


def test_empty_wav(tmp_path: Path) -> None:
    path = tmp_path / "empty.wav"
    path.write_bytes(b"")
    err = error_of(lambda: FileMicrophone(path).open())
    assert str(err) == (
        f"microphone file:{path}: {path} is empty or truncated — re-export the recording"
    )


def test_garbage_png(tmp_path: Path) -> None:
    path = garbage(tmp_path / "photo.png")
    err = error_of(lambda: open_camera(f"file:{path}").open())
    assert isinstance(err, UnreadableMedia)
    assert str(err) == (
        f"camera file:{path}: cannot decode image {path} — use a PNG, JPEG, BMP, WebP or TIFF image"
    )


def test_garbage_mp4(tmp_path: Path) -> None:
    path = garbage(tmp_path / "clip.mp4")
    err = error_of(lambda: open_camera(f"file:{path}").open())
    assert isinstance(err, UnreadableMedia)
    assert str(err) == (
        f"camera file:{path}: cannot open video {path} — use a video OpenCV can decode "
        "(e.g. .mp4 H.264 or .avi MJPG) or a folder of images"
    )


def test_missing_camera_file(tmp_path: Path) -> None:
    path = tmp_path / "nothere.png"
    err = error_of(lambda: open_camera(f"file:{path}").open())
    assert isinstance(err, DeviceNotFound)
    assert str(err) == (
        f"camera file:{path}: no such file or folder {path} — check the path, or use "
        "--camera usb:N or sim:"
    )


def test_missing_microphone_file(tmp_path: Path) -> None:
    path = tmp_path / "nothere.wav"
    err = error_of(lambda: open_microphone(f"file:{path}").open())
    assert isinstance(err, DeviceNotFound)
    assert str(err) == (
        f"microphone file:{path}: no such file {path} — check the path, or use --microphone "
        "default, usb:N or sim:"
    )


def test_empty_folder(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("not an image")
    err = error_of(lambda: open_camera(f"file:{tmp_path}").open())
    assert isinstance(err, DeviceNotFound)
    assert str(err) == (
        f"camera file:{tmp_path}: no images in folder {tmp_path} — put .png or .jpg frames in "
        "it (played in name order)"
    )


def test_corrupt_image_in_folder(tmp_path: Path) -> None:
    cv2.imwrite(str(tmp_path / "1.png"), solid(10))
    garbage(tmp_path / "2.png")
    cam = FileCamera(tmp_path)
    cam.open()
    assert cam.read() is not None
    err = error_of(cam.read)
    assert f"cannot decode image {tmp_path / '2.png'}" in str(err)


def test_unknown_uri() -> None:
    err = error_of(lambda: open_camera("rtsp://cam"))
    assert isinstance(err, BadDeviceUri)
    assert str(err) == (
        "camera rtsp://cam: unknown device URI — use one of: file:PATH (image, folder or "
        "video), usb:N, default, sim:, link://HOST:PORT"
    )
    err = error_of(lambda: open_microphone("clip.wav"))
    assert str(err) == (
        "microphone clip.wav: unknown device URI — for a file write file:clip.wav; otherwise "
        "use one of: file:PATH.wav, usb:N, default, sim:, link://HOST:PORT"
    )
    err = error_of(lambda: open_camera("usb:front"))
    assert str(err) == (
        "camera usb:front: 'front' is not a device index — write usb:0, usb:1, … "
        "(`glasses run --list-devices` lists them)"
    )


# --------------------------------------------------------------------------------------------
# URIs and listing


def test_uris_dispatch_to_backends(tmp_path: Path) -> None:
    assert isinstance(open_camera("usb:2"), UsbCamera)
    assert isinstance(open_camera("default"), UsbCamera)
    assert isinstance(open_camera("sim:"), SimCamera)
    assert isinstance(open_camera(f"file://{tmp_path}"), FileCamera)
    assert isinstance(open_microphone("usb:1"), SoundDeviceMicrophone)
    assert isinstance(open_microphone("default"), SoundDeviceMicrophone)
    assert isinstance(open_microphone("sim:"), SimMicrophone)
    assert open_camera("file:a.png").uri == "file:a.png"


def test_list_devices_never_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    no_sounddevice(monkeypatch)
    found = list_devices()
    assert set(found) == {"cameras", "microphones", "speakers"}
    assert found["microphones"] == []
    assert all(isinstance(c, str) and c.startswith("usb:") for c in found["cameras"])


# --------------------------------------------------------------------------------------------
# file backends


def test_file_camera_image_repeats(tmp_path: Path) -> None:
    path = tmp_path / "scene.jpg"
    cv2.imwrite(str(path), solid(200, 80, 60))
    cam = open_camera(f"file:{path}", fps=5)
    cam.open()
    assert (cam.width, cam.height, cam.fps) == (80, 60, 5.0)
    first, second = cam.read(), cam.read()
    assert first is not None
    assert second is not None
    assert first.shape == (60, 80, 3)
    assert first.dtype == np.uint8
    first[:] = 0  # a consumer drawing on its frame must not change the next one
    assert second.mean() > 150
    cam.close()
    assert cam.read() is None


def test_file_camera_folder_plays_in_natural_order_then_ends(tmp_path: Path) -> None:
    for i in (10, 2, 1):
        cv2.imwrite(str(tmp_path / f"frame{i}.png"), solid(i * 10))
    cam = FileCamera(tmp_path)
    cam.open()
    seen = []
    while (frame := cam.read()) is not None:
        seen.append(int(frame[0, 0, 0]))
    assert seen == [10, 20, 100]
    assert cam.live is False


def test_file_camera_video(tmp_path: Path) -> None:
    path = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), 20.0, (64, 48))
    assert writer.isOpened()
    for i in range(12):
        writer.write(solid(i * 20))
    writer.release()
    cam = open_camera(f"file:{path}")
    cam.open()
    assert cam.fps == pytest.approx(20.0)
    assert (cam.width, cam.height) == (64, 48)
    frames = []
    while (frame := cam.read()) is not None:
        frames.append(frame)
    assert len(frames) == 12
    levels = [int(f.mean()) for f in frames]
    assert levels == sorted(levels)  # in order, none skipped or repeated
    assert abs(levels[5] - 100) < 8  # MJPG is lossy


def test_file_microphone_resamples_stereo_44k_tone(tmp_path: Path) -> None:
    rate, seconds = 44_100, 1.5
    t = np.arange(round(rate * seconds)) / rate
    left = 0.4 * np.sin(2 * np.pi * 440 * t)
    pcm = np.stack([left, left], axis=1) * 32767
    path = write_wav(tmp_path / "tone.wav", pcm.astype(np.int16), rate)
    mic = open_microphone(f"file:{path}")
    mic.open()
    chunks = []
    while (chunk := mic.read()) is not None:
        chunks.append(chunk)
    assert all(c.dtype == np.int16 and c.ndim == 1 for c in chunks)
    assert all(len(c) == 512 for c in chunks[:-1])
    out = np.concatenate(chunks)
    assert abs(len(out) - 16_000 * seconds) <= 512
    spectrum = np.abs(np.fft.rfft(out * np.hanning(len(out))))
    assert np.fft.rfftfreq(len(out), 1 / 16_000)[spectrum.argmax()] == pytest.approx(440, abs=2)
    assert np.abs(out[1000:-1000]).max() == pytest.approx(0.4 * 32767, rel=0.02)
    assert (mic.sample_rate, mic.live) == (16_000, False)


@pytest.mark.parametrize("width", [1, 3, 4])
def test_wav_sample_widths_decode_to_the_same_level(tmp_path: Path, width: int) -> None:
    half = np.array([0.5, -0.5] * 2000)
    if width == 1:
        data = (half * 128 + 128).astype(np.uint8).tobytes()
    elif width == 3:
        ints = (half * 2**23).astype("<i4")
        data = ints.view(np.uint8).reshape(-1, 4)[:, :3].tobytes()
    else:
        data = (half * 2**31).astype("<i4").tobytes()
    path = tmp_path / f"w{width}.wav"
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(width)
        w.setframerate(16_000)
        w.writeframes(data)
    mic = FileMicrophone(path, chunk_samples=4000)
    mic.open()
    chunk = mic.read()
    assert chunk is not None
    assert chunk[:4].tolist() == [16384, -16384, 16384, -16384]


def test_decode_pcm_24_bit_sign() -> None:
    data = bytes([0xFF, 0xFF, 0x7F, 0x00, 0x00, 0x80, 0x01, 0x00, 0x00])
    assert decode_pcm(data, 3, 1)[:, 0].tolist() == [(2**23 - 1) * 256, -(2**23) * 256, 256]


# --------------------------------------------------------------------------------------------
# simulator devices


def test_sim_microphone_plays_feed_then_noise_never_silence() -> None:
    mic = SimMicrophone(chunk_samples=256, seed=3)
    mic.open()
    speech = np.arange(300, dtype=np.int16)
    mic.feed(speech)
    first, second, third = mic.read(), mic.read(), mic.read()
    assert first is not None
    assert second is not None
    assert third is not None
    np.testing.assert_array_equal(first, speech[:256])
    np.testing.assert_array_equal(second[:44], speech[256:])
    assert second[44:].any()
    assert third.any()
    assert np.abs(third).max() < 64  # a low floor: ≈ -72 dBFS
    again = SimMicrophone(chunk_samples=256, seed=3)
    again.open()
    again.feed(speech)
    again.read()
    again.read()
    np.testing.assert_array_equal(again.read(), third)  # deterministic


def test_sim_microphone_resamples_what_it_is_fed() -> None:
    mic = SimMicrophone()
    mic.feed(np.zeros((4800, 2), dtype=np.float32), sample_rate=48_000)
    assert mic.pending == 1600


def test_sim_outputs_record_with_clock_time() -> None:
    clock = VirtualClock()
    display, speaker, led = SimDisplay(clock), SimSpeaker(clock), SimIndicator(clock)
    inputs = SimInputs(clock)

    async def main() -> Event:
        display.draw("hello")
        led.set(True)
        speaker.play(np.zeros(16_000, dtype=np.int16), 16_000)
        await clock.sleep(0.25)
        assert speaker.playing
        speaker.stop()
        assert not speaker.playing
        display.draw("")
        led.set(True)  # no change, not recorded
        led.set(False)
        clock_task = inputs.get()
        inputs.tap(2)
        return await clock_task

    tap = clock.run(main())
    assert isinstance(tap, Tap)
    assert tap.count == 2
    assert tap.t_ns == 250 * MS
    assert display.history == [(0, "hello"), (250 * MS, "")]
    assert display.text == ""
    assert led.transitions == [(0, True), (250 * MS, False)]
    assert speaker.stopped == [250 * MS]


def test_run_inputs_forwards_taps() -> None:
    clock = VirtualClock()
    inputs = SimInputs(clock)
    got: list[Event] = []

    async def main() -> None:
        import asyncio

        task = asyncio.get_running_loop().create_task(run_inputs(inputs, got.append))
        await clock.sleep(1)
        inputs.tap()
        await clock.sleep(1)
        task.cancel()

    clock.run(main())
    assert [(e.t_ns, type(e)) for e in got] == [(NS_PER_S, Tap)]


def test_shared_indicator_stays_on_while_any_claim_is_on() -> None:
    led = SimIndicator()
    shared = SharedIndicator(led)
    cam, mic = shared.claim("camera"), shared.claim("microphone")
    cam.set(True)
    mic.set(True)
    mic.set(False)
    assert led.on
    cam.set(False)
    assert not led.on
    assert [on for _, on in led.transitions] == [True, False]


# --------------------------------------------------------------------------------------------
# state machine


def test_state_machine_rejects_invalid_transitions() -> None:
    sm = DeviceStateMachine("usb:0")
    with pytest.raises(ValueError, match="invalid transition connecting → lost"):
        sm.to(DeviceState.LOST)
    for state in (
        DeviceState.STREAMING,
        DeviceState.LOST,
        DeviceState.RECONNECTING,
        DeviceState.LOST,
        DeviceState.RECONNECTING,
        DeviceState.STREAMING,
    ):
        sm.to(state)
    with pytest.raises(ValueError, match="streaming → reconnecting"):
        sm.to(DeviceState.RECONNECTING)
    sm.close()
    sm.close()  # idempotent
    with pytest.raises(ValueError, match="closed → connecting"):
        sm.to(DeviceState.CONNECTING)
    assert sm.state is DeviceState.CLOSED


# --------------------------------------------------------------------------------------------
# device loops


class FlakyCamera:
    """Delivers ``fail_after`` frames, then its reads fail; the next ``failed_opens`` reopen
    attempts fail too, then it works again."""

    live = True

    def __init__(self, fail_after: int, failed_opens: int, fps: float = 10.0) -> None:
        self.uri = "fake:0"
        self.fps = fps
        self.width = self.height = 0
        self.fail_after = fail_after
        self.failed_opens = failed_opens
        self.open_calls = 0
        self.reads = 0
        self.is_open = False

    def open(self) -> None:
        self.open_calls += 1
        if self.open_calls > 1 and self.failed_opens > 0:
            self.failed_opens -= 1
            raise DeviceNotFound("camera", self.uri, "not there", "wait")
        self.is_open = True
        self.width, self.height = 32, 24

    def read(self) -> np.ndarray | None:
        if not self.is_open:
            return None
        self.reads += 1
        if self.reads == self.fail_after + 1:
            raise OSError("USB transfer error")
        return solid(self.reads, 32, 24)

    def close(self) -> None:
        self.is_open = False


def test_camera_loop_reconnects_with_backoff_and_keeps_the_led_honest() -> None:
    clock = VirtualClock()
    cam = FlakyCamera(fail_after=3, failed_opens=2)
    led = SimIndicator(clock)
    machine = DeviceStateMachine(cam.uri, clock)
    events: list[Event] = []

    def publish(event: Event) -> None:
        if isinstance(event, VideoFrame):
            assert led.on, "a frame was published while the capture LED was off"
        events.append(event)

    clock.run(run_camera(cam, clock, publish, max_frames=8, indicator=led, machine=machine))

    summary = [(type(e).__name__, e.t_ns // MS) for e in events]
    assert summary == [
        ("VideoFrame", 0),
        ("VideoFrame", 100),
        ("VideoFrame", 200),
        ("DeviceLost", 300),
        # back-off 0.5 s, 1 s, 2 s: attempts at 0.8 s and 1.8 s fail, 3.8 s succeeds
        ("DeviceRestored", 3800),
        ("VideoFrame", 3800),
        ("VideoFrame", 3900),
        ("VideoFrame", 4000),
        ("VideoFrame", 4100),
        ("VideoFrame", 4200),
    ]
    lost, restored = events[3], events[4]
    assert isinstance(lost, DeviceLost)
    assert lost.device == "fake:0"
    assert lost.reason == "OSError: USB transfer error"
    assert isinstance(restored, DeviceRestored)
    assert restored.attempts == 3
    assert [e.index for e in events if isinstance(e, VideoFrame)] == list(range(8))
    assert led.transitions == [(0, True), (300 * MS, False), (3800 * MS, True), (4200 * MS, False)]
    assert not led.on
    assert not cam.is_open
    assert [s.value for _, s in machine.history] == [
        "connecting",
        "streaming",
        "lost",
        "reconnecting",
        "lost",
        "reconnecting",
        "lost",
        "reconnecting",
        "streaming",
        "closed",
    ]


def test_camera_loop_gives_up_after_max_attempts() -> None:
    clock = VirtualClock()
    cam = FlakyCamera(fail_after=1, failed_opens=10)
    led = SimIndicator(clock)
    with pytest.raises(DeviceDisconnected) as info:
        clock.run(
            run_camera(
                cam, clock, lambda e: None, indicator=led, reconnect=Reconnect(max_attempts=2)
            )
        )
    assert "not back after 2 reconnection attempts" in str(info.value)
    assert not led.on


def test_first_open_failure_propagates_and_closes() -> None:
    clock = VirtualClock()
    machine = DeviceStateMachine("usb:7", clock)
    with pytest.raises(DeviceNotFound):
        clock.run(run_camera(UsbCamera(7), clock, lambda e: None, machine=machine))
    assert machine.state is DeviceState.CLOSED


def test_file_source_ends_cleanly(tmp_path: Path) -> None:
    for i in range(3):
        cv2.imwrite(str(tmp_path / f"{i}.png"), solid(i))
    clock = VirtualClock()
    events: list[Event] = []
    led = SimIndicator(clock)
    clock.run(run_camera(FileCamera(tmp_path, fps=4), clock, events.append, indicator=led))
    assert [(type(e), e.t_ns) for e in events] == [
        (VideoFrame, i * NS_PER_S // 4) for i in range(3)
    ]
    assert led.transitions == [(0, True), (750 * MS, False)]


def test_microphone_loop_stamps_first_sample_and_tiles_time(tmp_path: Path) -> None:
    path = write_wav(tmp_path / "a.wav", np.ones(16_000 // 4, dtype=np.int16) * 1000, 16_000)
    clock = VirtualClock()
    chunks: list[Event] = []
    clock.run(run_microphone(FileMicrophone(path, chunk_samples=1000), clock, chunks.append))
    assert all(isinstance(c, AudioChunk) for c in chunks)
    audio = [c for c in chunks if isinstance(c, AudioChunk)]
    assert [c.t_ns // MS for c in audio] == [0, 62, 125, 187]
    assert sum(len(c.samples) for c in audio) == 4000
    assert all(c.sample_rate == 16_000 for c in audio)


def test_microphone_loop_allows_for_the_resampler_hold_back() -> None:
    # A 48 kHz microphone's reads lag by what its resampler holds back (up to ~37 ms): a read
    # 50 ms late is not a drifting clock, so the time line keeps tiling (no re-anchor, no gap).
    clock = VirtualClock()
    mic = SimMicrophone(native_rate=48_000, channels=2)
    assert 30 * MS < mic.max_hold_back_ns < 40 * MS
    chunks: list[Event] = []
    clock.run(run_microphone(mic, clock, chunks.append, max_chunks=2, read_cost_ns=50 * MS))
    assert [c.t_ns // MS for c in chunks] == [0, 32]


def test_microphone_loop_survives_unplug() -> None:
    clock = VirtualClock()
    mic = SimMicrophone(chunk_samples=512)
    led = SimIndicator(clock)
    events: list[Event] = []

    async def main() -> None:
        import asyncio

        loop = asyncio.get_running_loop()
        task = loop.create_task(run_microphone(mic, clock, events.append, indicator=led))
        await clock.sleep(0.1)
        mic.unplug()  # the read due at 128 ms fails
        await clock.sleep(0.4)
        mic.plug()  # before the first reconnect attempt at 628 ms
        await clock.sleep(0.5)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    clock.run(main())
    kinds = [type(e).__name__ for e in events]
    assert kinds[:3] == ["AudioChunk"] * 3
    assert kinds[3:5] == ["DeviceLost", "DeviceRestored"]
    assert kinds[5:]
    assert set(kinds[5:]) == {"AudioChunk"}
    lost, restored = events[3], events[4]
    assert isinstance(lost, DeviceLost)
    assert lost.t_ns == 128 * MS
    assert lost.reason == "the simulated microphone was unplugged"
    assert isinstance(restored, DeviceRestored)
    assert restored.t_ns == 628 * MS
    assert restored.attempts == 1
    assert events[5].t_ns == 628 * MS  # the new time line starts at the recovery
    assert not led.on
    assert mic.opens == 2


class _FakePortAudioError(Exception):
    pass


class _FakeStream:
    """A 44.1 kHz stereo input delivering a 1 kHz tone, or failing after ``fail_after`` reads."""

    def __init__(self, device: int | None, samplerate: int, channels: int, dtype: str) -> None:
        assert (samplerate, channels, dtype) == (44_100, 2, "float32")
        self.pos = 0
        self.closed = False

    def start(self) -> None:
        pass

    def read(self, frames: int) -> tuple[np.ndarray, bool]:
        t = (self.pos + np.arange(frames)) / 44_100
        self.pos += frames
        mono = (0.25 * np.sin(2 * np.pi * 1000 * t)).astype(np.float32)
        return np.stack([mono, mono], axis=1), False

    def stop(self) -> None:
        pass

    def close(self) -> None:
        self.closed = True


def test_sounddevice_microphone_resamples_native_input(monkeypatch: pytest.MonkeyPatch) -> None:
    import types

    fake = types.SimpleNamespace(
        PortAudioError=_FakePortAudioError,
        InputStream=_FakeStream,
        default=types.SimpleNamespace(device=(1, 0)),
        query_devices=lambda *a: (
            {"name": "Fake USB mic", "default_samplerate": 44_100.0, "max_input_channels": 32}
            if a
            else [
                {"name": "Out", "default_samplerate": 48_000.0, "max_input_channels": 0},
                {"name": "Fake USB mic", "default_samplerate": 44_100.0, "max_input_channels": 32},
            ]
        ),
    )
    monkeypatch.setitem(sys.modules, "sounddevice", fake)
    mic = open_microphone("usb:1")
    mic.open()
    out = np.concatenate([mic.read() for _ in range(40)])
    assert out.dtype == np.int16
    assert len(out) == 40 * 512
    spectrum = np.abs(np.fft.rfft(out * np.hanning(len(out))))
    assert np.fft.rfftfreq(len(out), 1 / 16_000)[spectrum.argmax()] == pytest.approx(1000, abs=2)
    mic.close()
    assert mic.read() is None
    assert list_devices()["microphones"] == [
        "default — Fake USB mic, 32 ch @ 44100 Hz",
        "usb:1 — Fake USB mic, 32 ch @ 44100 Hz",
    ]


def test_sounddevice_without_input_device(monkeypatch: pytest.MonkeyPatch) -> None:
    import types

    def query_devices(*args: object) -> object:
        raise _FakePortAudioError("Error querying device -1")

    fake = types.SimpleNamespace(PortAudioError=_FakePortAudioError, query_devices=query_devices)
    monkeypatch.setitem(sys.modules, "sounddevice", fake)
    err = error_of(lambda: open_microphone("default").open())
    assert isinstance(err, DeviceNotFound)
    assert str(err) == (
        "microphone default: no default input device (Error querying device -1) — plug one in "
        "(see `glasses run --list-devices`), or use --microphone file:PATH.wav or sim:"
    )
