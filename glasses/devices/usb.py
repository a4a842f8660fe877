"""Real hardware: ``usb:N`` cameras through OpenCV, ``default`` / ``usb:N`` microphones and
speakers through sounddevice (PortAudio), and ``list_devices()``.

sounddevice is an optional extra (``pip install 'glasses[audio]'``) and needs the PortAudio shared
library, so it is imported only when a microphone or speaker is opened or listed; a missing piece
becomes a ``DeviceError`` that says what to install.
"""

from __future__ import annotations

import logging
import math
import threading
from types import ModuleType
from typing import Any, Literal

import cv2
import numpy as np

from glasses.devices._fifo import SampleFifo
from glasses.devices.errors import (
    BackendUnavailable,
    DeviceDisconnected,
    DeviceError,
    DeviceNotFound,
)
from glasses.devices.opencv_quiet import quiet_opencv
from glasses.devices.resample import TARGET_RATE, StreamingResampler, resample

log = logging.getLogger(__name__)

DEFAULT_CAMERA_FPS = 30.0
_PROBE_INDICES = range(4)
_NO_CAMERA_HINT = "plug one in, or use --camera file:PATH or sim:"
_NO_MIC_HINT = (
    "plug one in (see `glasses run --list-devices`), or use --microphone file:PATH.wav or sim:"
)
_NO_SPEAKER_HINT = (
    "plug one in (see `glasses run --list-devices`), or use --speaker file:PATH.wav or none"
)
_AUDIO_INSTALL_HINT = "pip install 'glasses[audio]' and apt-get install libportaudio2"
_AUDIO_FALLBACK = {
    "microphone": "or use --microphone file:PATH.wav or sim:",
    "speaker": "or use --speaker file:PATH.wav or none",
}


def _to_bgr(frame: np.ndarray) -> np.ndarray:
    # Most backends already convert to BGR; a few hand over gray or BGRA frames.
    if frame.ndim == 2:
        return cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR)
    if frame.shape[2] == 4:
        return cv2.cvtColor(frame, cv2.COLOR_BGRA2BGR)
    return frame


class UsbCamera:
    """Camera number ``index`` (``/dev/videoN`` on Linux) through ``cv2.VideoCapture``.

    ``fps`` (frames/s), ``width`` and ``height`` (px) are requests; the driver may pick the
    nearest mode it has, and the attributes report what it actually delivers once open.
    """

    live = True

    def __init__(
        self,
        index: int,
        *,
        fps: float | None = None,
        width: int | None = None,
        height: int | None = None,
        uri: str | None = None,
    ) -> None:
        if index < 0:
            raise ValueError(f"camera index must be >= 0, got {index}")
        self.index = index
        self.uri = uri or f"usb:{index}"
        self._want = (fps, width, height)
        self.fps = float(fps) if fps else DEFAULT_CAMERA_FPS
        self.width = 0
        self.height = 0
        self._cap: cv2.VideoCapture | None = None
        # read() runs in a worker thread on the real clock; close() must not release the
        # capture under a read in progress.
        self._lock = threading.Lock()

    def describe(self) -> str:
        """``"{uri} (640×480 @ 30 fps)"``: the URI and what ``open()`` found."""
        return f"{self.uri} ({self.width}×{self.height} @ {self.fps:g} fps)"

    def open(self) -> None:
        with self._lock:
            if self._cap is not None:
                return
            with quiet_opencv():
                cap = cv2.VideoCapture(self.index)
            if not cap.isOpened():
                cap.release()
                raise DeviceNotFound(
                    "camera", self.uri, f"no camera at index {self.index}", _NO_CAMERA_HINT
                )
            fps, width, height = self._want
            if width:
                cap.set(cv2.CAP_PROP_FRAME_WIDTH, width)
            if height:
                cap.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
            if fps:
                cap.set(cv2.CAP_PROP_FPS, fps)
            actual = float(cap.get(cv2.CAP_PROP_FPS))
            self.fps = actual if 0 < actual < 1000 else (fps or DEFAULT_CAMERA_FPS)
            self.width = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH))
            self.height = int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
            self._cap = cap

    def read(self) -> np.ndarray | None:
        with self._lock:
            if self._cap is None:
                return None
            ok, frame = self._cap.read()
        if not ok or frame is None:
            raise DeviceDisconnected(
                "camera",
                self.uri,
                "the camera stopped delivering frames",
                "check its cable; reconnecting",
            )
        frame = _to_bgr(frame)
        self.height, self.width = frame.shape[:2]
        return frame

    def close(self) -> None:
        with self._lock:
            if self._cap is not None:
                self._cap.release()
            self._cap = None


def _import_sounddevice(kind: Literal["microphone", "speaker"], uri: str) -> ModuleType:
    fallback = _AUDIO_FALLBACK[kind]
    try:
        import sounddevice
    except ImportError as exc:
        raise BackendUnavailable(
            kind,
            uri,
            "the sounddevice package is not installed",
            f"{_AUDIO_INSTALL_HINT}, {fallback}",
        ) from exc
    except OSError as exc:  # sounddevice raises this when the PortAudio library is missing
        raise BackendUnavailable(
            kind,
            uri,
            f"PortAudio is missing ({exc})",
            f"apt-get install libportaudio2 (macOS: brew install portaudio), {fallback}",
        ) from exc
    return sounddevice


class SoundDeviceMicrophone:
    """A sound-card input through sounddevice: ``device`` None (system default) or an index.

    The stream is opened at the device's native rate and up to ``max_channels`` channels (input
    devices such as ALSA's ``default`` advertise dozens of virtual channels) and converted to
    16 kHz mono int16 chunks of ``chunk_samples`` samples by a ``StreamingResampler``.
    ``overflows`` counts input overruns reported by PortAudio (audio lost before we read it).
    """

    live = True
    sample_rate = TARGET_RATE

    def __init__(
        self,
        device: int | None = None,
        *,
        chunk_samples: int = 512,
        max_channels: int = 2,
        uri: str | None = None,
    ) -> None:
        if chunk_samples < 1 or max_channels < 1:
            raise ValueError(
                f"need chunk_samples, max_channels >= 1, got {chunk_samples}, {max_channels}"
            )
        self.device = device
        self.uri = uri or ("default" if device is None else f"usb:{device}")
        self.chunk_samples = chunk_samples
        self.max_channels = max_channels
        self.native_rate = 0
        self.channels = 0
        self.overflows = 0
        self._stream: Any = None
        self._resampler: StreamingResampler | None = None
        self._out = SampleFifo()
        self._block = 0  # native frames per blocking read
        self._lock = threading.Lock()
        self._sd: ModuleType | None = None

    def describe(self) -> str:
        """``"default (48000 Hz, 2 ch → 16 kHz mono)"``: the URI, what ``open()`` found and
        what it is served as."""
        rate = f"{self.sample_rate / 1000:g} kHz mono"
        return f"{self.uri} ({self.native_rate} Hz, {self.channels} ch → {rate})"

    def open(self) -> None:
        with self._lock:
            if self._stream is not None:
                return
            sd = _import_sounddevice("microphone", self.uri)
            self._sd = sd
            try:
                info = sd.query_devices(self.device, "input")
            except (ValueError, sd.PortAudioError) as exc:
                what = (
                    "no default input device"
                    if self.device is None
                    else (f"no input device {self.device}")
                )
                raise DeviceNotFound(
                    "microphone", self.uri, f"{what} ({exc})", _NO_MIC_HINT
                ) from exc
            rate = round(float(info["default_samplerate"]))
            channels = max(1, min(int(info["max_input_channels"]), self.max_channels))
            try:
                stream = sd.InputStream(
                    device=self.device, samplerate=rate, channels=channels, dtype="float32"
                )
                stream.start()
            except sd.PortAudioError as exc:
                raise DeviceError(
                    "microphone",
                    self.uri,
                    f"cannot open the input ({exc})",
                    "close programs using it, or pick another with usb:N",
                ) from exc
            self.native_rate, self.channels = rate, channels
            self._resampler = StreamingResampler(rate, TARGET_RATE)
            self._block = math.ceil(self.chunk_samples * rate / TARGET_RATE)
            self._out.clear()
            self._stream = stream

    @property
    def max_hold_back_ns(self) -> int:
        """The most audio the resampler holds back (ns), once open: reads lag that much."""
        return 0 if self._resampler is None else round(self._resampler.max_latency_s * 1e9)

    def read(self) -> np.ndarray | None:
        with self._lock:
            if self._stream is None or self._resampler is None or self._sd is None:
                return None
            while len(self._out) < self.chunk_samples:
                try:
                    data, overflowed = self._stream.read(self._block)
                except self._sd.PortAudioError as exc:
                    raise DeviceDisconnected(
                        "microphone",
                        self.uri,
                        f"input failed ({exc})",
                        "check the device; reconnecting",
                    ) from exc
                if overflowed:
                    self.overflows += 1
                    log.warning(
                        "microphone %s: input overflow (audio lost, %d so far)",
                        self.uri,
                        self.overflows,
                    )
                self._out.push(self._resampler.process(np.asarray(data)))
            return self._out.pop(self.chunk_samples)

    def close(self) -> None:
        with self._lock:
            stream, self._stream = self._stream, None
            self._resampler = None
            self._out.clear()
            if stream is None or self._sd is None:
                return
            try:
                stream.stop()
                stream.close()
            except self._sd.PortAudioError as exc:  # an unplugged device may fail to close
                log.info("microphone %s: error while closing: %s", self.uri, exc)


class SoundDeviceSpeaker:
    """A sound-card output through sounddevice: ``device`` None (system default) or an index.

    ``play`` hands the clip to ``sounddevice.play``, which opens an output stream for it and
    returns once playback has started (a few ms; the clip plays from PortAudio's thread); a new
    clip or ``stop()`` cuts the one playing. Clips go out mono (or on two identical channels if
    the device takes no mono) at their own rate when the device accepts it, otherwise resampled
    to the device's default rate ``native_rate`` (Hz). ``name`` is the device's name once open;
    ``clips`` counts the clips played and ``resampled`` those that needed resampling.
    """

    live = True

    def __init__(self, device: int | None = None, *, uri: str | None = None) -> None:
        if device is not None and device < 0:
            raise ValueError(f"device index must be >= 0, got {device}")
        self.device = device
        self.uri = uri or ("default" if device is None else f"usb:{device}")
        self.name = ""
        self.native_rate = 0
        self.channels = 0
        self.clips = 0
        self.resampled = 0
        self._sd: ModuleType | None = None
        self._accepted: dict[int, bool] = {}  # clip rate (Hz) -> the device takes it as is
        self._lock = threading.Lock()

    def _supports(self, sd: ModuleType, rate: int, channels: int) -> bool:
        try:
            sd.check_output_settings(
                device=self.device, channels=channels, dtype="int16", samplerate=rate
            )
        except (ValueError, sd.PortAudioError):
            return False
        return True

    def describe(self) -> str:
        """``"default (HDA Intel PCH: ALC3246 Analog, 48000 Hz)"``: the URI and the output
        ``open()`` found."""
        return f"{self.uri} ({self.name}, {self.native_rate} Hz)"

    def open(self) -> None:
        with self._lock:
            if self._sd is not None:
                return
            sd = _import_sounddevice("speaker", self.uri)
            try:
                info = sd.query_devices(self.device, "output")
            except (ValueError, sd.PortAudioError) as exc:
                what = (
                    "no default output device"
                    if self.device is None
                    else f"no output device {self.device}"
                )
                raise DeviceNotFound(
                    "speaker", self.uri, f"{what} ({exc})", _NO_SPEAKER_HINT
                ) from exc
            rate = round(float(info["default_samplerate"]))
            channels = (
                1 if self._supports(sd, rate, 1) else min(2, int(info["max_output_channels"]))
            )
            if not self._supports(sd, rate, channels):
                raise DeviceError(
                    "speaker",
                    self.uri,
                    f"{info['name']} takes neither mono nor stereo 16-bit audio at {rate} Hz",
                    "pick another output with usb:N (`glasses run --list-devices`)",
                )
            self.name = str(info["name"])
            self.native_rate, self.channels = rate, channels
            self._accepted = {rate: True}
            self._sd = sd

    def _start(self, sd: ModuleType, mono: np.ndarray, rate: int) -> None:
        data = mono if self.channels == 1 else np.repeat(mono[:, None], self.channels, axis=1)
        sd.play(data, samplerate=rate, device=self.device)

    def play(self, samples: np.ndarray, sample_rate: int) -> None:
        if sample_rate <= 0:
            raise ValueError(f"sample_rate must be > 0 Hz, got {sample_rate}")
        with self._lock:
            sd = self._sd
            if sd is None:
                return
            arr = np.asarray(samples)
            mono = (
                arr
                if arr.dtype == np.int16 and arr.ndim == 1
                else resample(arr, sample_rate, sample_rate)
            )
            accepted = self._accepted.get(sample_rate)
            if accepted is None:
                accepted = self._accepted[sample_rate] = self._supports(
                    sd, sample_rate, self.channels
                )
            if accepted:
                try:
                    self._start(sd, mono, sample_rate)
                    self.clips += 1
                    return
                except sd.PortAudioError as exc:  # the check passed but the stream refused
                    if sample_rate == self.native_rate:
                        raise self._failed(exc) from exc
                    log.info(
                        "speaker %s refused %d Hz (%s); resampling", self.uri, sample_rate, exc
                    )
                    self._accepted[sample_rate] = False
            try:
                self._start(sd, resample(mono, sample_rate, self.native_rate), self.native_rate)
            except sd.PortAudioError as exc:
                raise self._failed(exc) from exc
            self.clips += 1
            self.resampled += 1

    def _failed(self, exc: Exception) -> DeviceDisconnected:
        return DeviceDisconnected(
            "speaker",
            self.uri,
            f"cannot play ({exc})",
            "check the device (replies are still shown on the HUD)",
        )

    def stop(self) -> None:
        with self._lock:
            if self._sd is not None:
                self._sd.stop()  # ignore_errors=True: an unplugged device cannot fail this

    def close(self) -> None:
        with self._lock:
            sd, self._sd = self._sd, None
            if sd is None:
                return
            try:
                sd.stop()
            except sd.PortAudioError as exc:  # never raise from close()
                log.info("speaker %s: error while closing: %s", self.uri, exc)


def _probe_cameras() -> list[str]:
    found = []
    for index in _PROBE_INDICES:
        try:
            with quiet_opencv():
                cap = cv2.VideoCapture(index)
            try:
                if cap.isOpened():
                    w = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH))
                    h = int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
                    fps = float(cap.get(cv2.CAP_PROP_FPS))
                    found.append(f"usb:{index} — {w}×{h} @ {fps:g} fps")
            finally:
                cap.release()
        except cv2.error as exc:  # a broken driver must not stop the listing
            log.info("probing camera %d failed: %s", index, exc)
    return found


def _list_sound_devices(kind: Literal["input", "output"]) -> list[str]:
    """``"usb:N — name, C ch @ R Hz"`` for each sound device with ``kind`` channels, preceded
    by a ``"default — …"`` line for the system's default one."""
    try:
        sd = _import_sounddevice("microphone" if kind == "input" else "speaker", "default")
    except BackendUnavailable as exc:
        log.info("%s", exc)
        return []
    try:
        devices = sd.query_devices()
        default = sd.default.device[0 if kind == "input" else 1]
    except sd.PortAudioError as exc:
        log.info("listing sound devices failed: %s", exc)
        return []
    found = []
    for index, dev in enumerate(devices):
        channels = int(dev.get(f"max_{kind}_channels", 0))
        if channels > 0:
            rate = float(dev["default_samplerate"])
            label = f"{dev['name']}, {channels} ch @ {rate:g} Hz"
            if index == default:
                found.append(f"default — {label}")
            found.append(f"usb:{index} — {label}")
    return found


def list_devices() -> dict[str, list[str]]:
    """Cameras (indices 0..3, probed quietly), microphones and speakers (if sounddevice is
    importable).

    Each entry reads ``"URI — description"``; the URI part is what ``--camera`` /
    ``--microphone`` / ``--speaker`` accept. Never raises: missing backends give empty lists.
    """
    return {
        "cameras": _probe_cameras(),
        "microphones": _list_sound_devices("input"),
        "speakers": _list_sound_devices("output"),
    }
