"""Real hardware: ``usb:N`` cameras through OpenCV, ``default`` / ``usb:N`` microphones through
sounddevice (PortAudio), and ``list_devices()``.

sounddevice is an optional extra (``pip install 'glasses[audio]'``) and needs the PortAudio shared
library, so it is imported only when a microphone is opened or listed; a missing piece becomes a
``DeviceError`` that says what to install.
"""

from __future__ import annotations

import logging
import math
import threading
from types import ModuleType
from typing import Any

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
from glasses.devices.resample import TARGET_RATE, StreamingResampler

log = logging.getLogger(__name__)

DEFAULT_CAMERA_FPS = 30.0
_PROBE_INDICES = range(4)
_NO_CAMERA_HINT = "plug one in, or use --camera file:PATH or sim:"
_NO_MIC_HINT = (
    "plug one in (see `glasses run --list-devices`), or use --microphone file:PATH.wav or sim:"
)
_AUDIO_INSTALL_HINT = (
    "pip install 'glasses[audio]' and apt-get install libportaudio2, "
    "or use --microphone file:PATH.wav or sim:"
)


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


def _import_sounddevice(uri: str) -> ModuleType:
    try:
        import sounddevice
    except ImportError as exc:
        raise BackendUnavailable(
            "microphone", uri, "the sounddevice package is not installed", _AUDIO_INSTALL_HINT
        ) from exc
    except OSError as exc:  # sounddevice raises this when the PortAudio library is missing
        raise BackendUnavailable(
            "microphone",
            uri,
            f"PortAudio is missing ({exc})",
            "apt-get install libportaudio2 (macOS: brew install portaudio)",
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

    def open(self) -> None:
        with self._lock:
            if self._stream is not None:
                return
            sd = _import_sounddevice(self.uri)
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


def _list_microphones() -> list[str]:
    try:
        sd = _import_sounddevice("default")
    except BackendUnavailable as exc:
        log.info("%s", exc)
        return []
    try:
        devices = sd.query_devices()
        default_in = sd.default.device[0]
    except sd.PortAudioError as exc:
        log.info("listing sound devices failed: %s", exc)
        return []
    found = []
    for index, dev in enumerate(devices):
        channels = int(dev["max_input_channels"])
        if channels > 0:
            rate = float(dev["default_samplerate"])
            label = f"{dev['name']}, {channels} ch @ {rate:g} Hz"
            if index == default_in:
                found.append(f"default — {label}")
            found.append(f"usb:{index} — {label}")
    return found


def list_devices() -> dict[str, list[str]]:
    """Cameras (indices 0..3, probed quietly) and microphones (if sounddevice is importable).

    Each entry reads ``"URI — description"``; the URI part is what ``--camera`` /
    ``--microphone`` accept. Never raises: missing backends give empty lists.
    """
    return {"cameras": _probe_cameras(), "microphones": _list_microphones()}
