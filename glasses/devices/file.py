"""File-backed devices: ``file:PATH`` cameras (image, folder of images, video), WAV microphones
and a WAV speaker (everything the glasses say, written to one file).

They are not ``live``: reaching the end of the recording ends the stream; it is not a lost device.
"""

from __future__ import annotations

import logging
import re
import struct
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Literal

import cv2
import numpy as np

from glasses.devices._fifo import SampleFifo
from glasses.devices.errors import (
    DeviceError,
    DeviceNotFound,
    UnreadableMedia,
    UnsupportedAudioFormat,
)
from glasses.devices.opencv_quiet import quiet_opencv
from glasses.devices.resample import TARGET_RATE, StreamingResampler, resample
from glasses.runtime.clock import NS_PER_S, Clock

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = frozenset(
    {".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff", ".pgm", ".ppm", ".pnm", ".jp2"}
)
DEFAULT_IMAGE_FPS = 10.0
"""Frames per second at which a still image or a folder of images is played."""
MAX_BAD_FRAMES_IN_A_ROW = 25
"""A video frame that cannot be decoded is skipped; this many in a row (or nothing decodable
after them) is the end of the file, as a damaged tail is."""

_CAMERA_HINT = "check the path, or use --camera usb:N or sim:"
_IMAGE_HINT = "use a PNG, JPEG, BMP, WebP or TIFF image"
_VIDEO_HINT = "use a video OpenCV can decode (e.g. .mp4 H.264 or .avi MJPG) or a folder of images"


def _natural_key(path: Path) -> tuple[tuple[int, int | str], ...]:
    """Sort frame2.png before frame10.png (numbers compare as numbers)."""
    parts = re.split(r"(\d+)", path.name)
    return tuple((1, int(p)) if p.isdigit() else (0, p) for p in parts)


def _check_readable(kind: str, uri: str, path: Path) -> None:
    """Turn permission and I/O problems into a clear error before a decoder hides them."""
    try:
        with path.open("rb") as fh:
            fh.read(1)
    except OSError as exc:
        raise UnreadableMedia(
            kind, uri, f"cannot read {path}: {exc.strerror or exc}", "check the file's permissions"
        ) from exc


class FileCamera:
    """Frames from ``path``: a still image (repeated at ``fps`` forever), a folder of images
    (played once in natural name order at ``fps``), or a video file (played once at its own
    frame rate unless ``fps`` is given). ``fps`` is in frames per second; frames are H×W×3 uint8
    BGR and ``width``/``height`` (px) are those of the latest frame.

    A video frame the decoder cannot read (a damaged file) is skipped, not taken for the end of
    the video: ``bad_frames`` counts them (the frame after it comes one frame period early).
    """

    live = False

    def __init__(
        self, path: str | Path, *, fps: float | None = None, uri: str | None = None
    ) -> None:
        if fps is not None and not fps > 0:
            raise ValueError(f"fps must be > 0, got {fps}")
        self.path = Path(path)
        self.uri = uri or f"file:{path}"
        self._fps_override = fps
        self.fps = float(fps) if fps is not None else DEFAULT_IMAGE_FPS
        self.width = 0
        self.height = 0
        self.mode = ""  # "image", "folder" or "video" once open
        self._image: np.ndarray | None = None
        self._files: list[Path] = []
        self._next_file = 0
        self._cap: cv2.VideoCapture | None = None
        self._pending: np.ndarray | None = None  # first video frame, decoded by open()
        self._open = False
        self.bad_frames = 0  # video frames that could not be decoded and were skipped

    def _error(
        self, cls: type[UnreadableMedia] | type[DeviceNotFound], problem: str, hint: str
    ) -> UnreadableMedia | DeviceNotFound:
        return cls("camera", self.uri, problem, hint)

    def _decode(self, path: Path) -> np.ndarray:
        _check_readable("camera", self.uri, path)
        image = cv2.imread(str(path), cv2.IMREAD_COLOR)  # always 8-bit, 3-channel BGR
        if image is None:
            raise self._error(UnreadableMedia, f"cannot decode image {path}", _IMAGE_HINT)
        return image

    def _set_size(self, image: np.ndarray) -> np.ndarray:
        self.height, self.width = image.shape[:2]
        return image

    def describe(self) -> str:
        """``"file:clip.avi (video, 640×480 @ 15 fps)"``: the URI and what ``open()`` found."""
        kind = f"{self.mode}, " if self.mode else ""
        return f"{self.uri} ({kind}{self.width}×{self.height} @ {self.fps:g} fps)"

    def open(self) -> None:
        if self._open:
            return
        p = self.path
        if not p.exists():
            raise self._error(DeviceNotFound, f"no such file or folder {p}", _CAMERA_HINT)
        if p.is_dir():
            files = [f for f in p.iterdir() if f.is_file() and f.suffix.lower() in IMAGE_SUFFIXES]
            if not files:
                raise self._error(
                    DeviceNotFound,
                    f"no images in folder {p}",
                    "put .png or .jpg frames in it (played in name order)",
                )
            self._files = sorted(files, key=_natural_key)
            self._next_file = 0
            self._set_size(self._decode(self._files[0]))  # fail now, not mid-run, if unreadable
            self.mode = "folder"
        elif p.suffix.lower() in IMAGE_SUFFIXES:
            self._image = self._set_size(self._decode(p))
            self.mode = "image"
        else:
            self._open_video(p)
            self.mode = "video"
        self._open = True

    def _open_video(self, p: Path) -> None:
        _check_readable("camera", self.uri, p)
        with quiet_opencv():
            cap = cv2.VideoCapture(str(p))
        if not cap.isOpened():
            cap.release()
            raise self._error(UnreadableMedia, f"cannot open video {p}", _VIDEO_HINT)
        frame = self._next_video_frame(cap)
        if frame is None:
            cap.release()
            raise self._error(UnreadableMedia, f"video {p} has no readable frames", _VIDEO_HINT)
        native = float(cap.get(cv2.CAP_PROP_FPS))
        if self._fps_override is None:
            # Some containers report 0 or NaN; fall back rather than divide by it.
            self.fps = native if 0 < native < 1000 else DEFAULT_IMAGE_FPS
        self._cap = cap
        self._pending = self._set_size(frame)

    def read(self) -> np.ndarray | None:
        if not self._open:
            return None
        if self.mode == "image":
            assert self._image is not None  # set by open() in this mode
            return self._image.copy()  # consumers may draw on their frame
        if self.mode == "folder":
            if self._next_file >= len(self._files):
                return None
            path = self._files[self._next_file]
            self._next_file += 1
            return self._set_size(self._decode(path))
        if self._pending is not None:
            frame, self._pending = self._pending, None
            return frame
        assert self._cap is not None  # set by open() in video mode
        decoded = self._next_video_frame(self._cap)
        return self._set_size(decoded) if decoded is not None else None

    def _next_video_frame(self, cap: cv2.VideoCapture) -> np.ndarray | None:
        """The next frame that decodes, skipping (and counting) those that do not; None at the
        end of the video. A failed read still moves past its frame, so trying again reads the
        next one; at the true end every read fails, quickly."""
        total = cap.get(cv2.CAP_PROP_FRAME_COUNT)
        failed = 0
        while failed <= MAX_BAD_FRAMES_IN_A_ROW:
            ok, frame = cap.read()  # FFmpeg prints its own line for a damaged frame
            if ok and frame is not None:
                if failed:
                    self.bad_frames += failed
                    log.warning(
                        "camera %s: skipped %d undecodable frame(s) (%d in all)",
                        self.uri,
                        failed,
                        self.bad_frames,
                    )
                return frame
            failed += 1
            if 0 < total <= cap.get(cv2.CAP_PROP_POS_FRAMES):
                break  # past the last frame the container announces: the end
        return None

    def close(self) -> None:
        if self._cap is not None:
            self._cap.release()
        self._cap = None
        self._pending = None
        self._open = False


# --------------------------------------------------------------------------------------------
# WAV microphone

MIN_WAV_RATE = 8_000
MAX_WAV_RATE = 192_000
MAX_WAV_CHANNELS = 8

_WAVE_FORMAT_PCM = 1
_WAVE_FORMAT_IEEE_FLOAT = 3
_WAVE_FORMAT_EXTENSIBLE = 0xFFFE
_WAV_FORMATS = {
    _WAVE_FORMAT_PCM: "PCM",
    2: "MS ADPCM",
    _WAVE_FORMAT_IEEE_FLOAT: "IEEE float",
    6: "A-law",
    7: "µ-law",
    17: "IMA ADPCM",
    85: "MP3",
    _WAVE_FORMAT_EXTENSIBLE: "WAVE_FORMAT_EXTENSIBLE",
}
# WAVE_FORMAT_EXTENSIBLE names its encoding by a sub-format GUID: the format tag in the first
# two bytes, then this fixed tail (KSDATAFORMAT_SUBTYPE_PCM / _IEEE_FLOAT and their kin).
_SUBFORMAT_TAIL = bytes.fromhex("000000001000800000aa00389b71")
_INT_BITS = (8, 16, 24, 32)
_FLOAT_BITS = (32, 64)
_SUPPORTED = "supported: 8/16/24/32-bit integer PCM or 32/64-bit IEEE float"
_CONVERT_HINT = "convert it: ffmpeg -i IN -ac 1 -ar 16000 -c:a pcm_s16le OUT.wav"
_REEXPORT_HINT = "re-export the recording"
_MIC_HINT = "check the path, or use --microphone default, usb:N or sim:"
_READ_FRAMES = 4096  # WAV frames decoded per refill


def decode_pcm(data: bytes, sample_width: int, channels: int) -> np.ndarray:
    """WAV PCM bytes (little-endian) to a (frames, channels) integer array.

    ``sample_width`` in bytes: 1 → uint8 (offset binary), 2 → int16, 3 → int32 scaled by 256
    (so full scale stays full scale), 4 → int32. A trailing partial frame is dropped.
    """
    frame_bytes = sample_width * channels
    usable = len(data) - len(data) % frame_bytes
    raw = np.frombuffer(data[:usable], dtype=np.uint8)
    if sample_width == 1:
        samples = raw
    elif sample_width == 2:
        samples = raw.view("<i2")
    elif sample_width == 3:
        # Place the 3 bytes in the top of an int32: sign and scale come out right.
        wide = np.zeros((len(raw) // 3, 4), dtype=np.uint8)
        wide[:, 1:] = raw.reshape(-1, 3)
        samples = wide.reshape(-1).view("<i4")
    elif sample_width == 4:
        samples = raw.view("<i4")
    else:
        raise ValueError(f"sample width must be 1..4 bytes, got {sample_width}")
    return samples.reshape(-1, channels)


def decode_float(data: bytes, sample_width: int, channels: int) -> np.ndarray:
    """IEEE float WAV bytes (little-endian, ``sample_width`` 4 or 8 bytes) to a (frames,
    channels) float64 array, full scale ±1.0; NaN and ±inf (never valid audio) become 0.0.
    A trailing partial frame is dropped."""
    if sample_width not in (4, 8):
        raise ValueError(f"float sample width must be 4 or 8 bytes, got {sample_width}")
    frame_bytes = sample_width * channels
    usable = len(data) - len(data) % frame_bytes
    samples = np.frombuffer(data[:usable], dtype="<f4" if sample_width == 4 else "<f8")
    out = samples.astype(np.float64)
    out[~np.isfinite(out)] = 0.0
    return out.reshape(-1, channels)


@dataclass(frozen=True, slots=True)
class WavFormat:
    """What a WAV file holds: ``encoding`` ``"pcm"`` (integers) or ``"float"``; ``sample_width``
    bytes per sample as stored (1–4 for PCM, 4 or 8 for float); ``channels``; ``rate`` in Hz;
    ``frames`` (samples per channel); ``data_offset`` and ``data_bytes`` locate the audio."""

    encoding: Literal["pcm", "float"]
    sample_width: int
    channels: int
    rate: int
    frames: int
    data_offset: int
    data_bytes: int

    @property
    def block_align(self) -> int:
        """Bytes per frame (one sample of every channel)."""
        return self.sample_width * self.channels


class WavProblem(ValueError):
    """Why a WAV file cannot be read (``unsupported``: well formed but not an encoding or layout
    we decode, as opposed to corrupt or truncated)."""

    def __init__(self, problem: str, *, unsupported: bool = False, hint: str = "") -> None:
        super().__init__(problem)
        self.unsupported = unsupported
        self.hint = hint


def _format_name(tag: int) -> str:
    return _WAV_FORMATS.get(tag, "unknown")


def read_wav_format(fh: BinaryIO) -> WavFormat:
    """Parse the RIFF chunks of a WAV file open for binary reading at its start.

    Accepts format tag 1 (PCM), 3 (IEEE float) and 0xFFFE (WAVE_FORMAT_EXTENSIBLE) with the PCM
    or IEEE float sub-format; the rate and channel count are not range-checked here. Raises
    ``WavProblem`` (one line) for anything else: not RIFF/WAVE, a missing or short ``fmt ``
    chunk, other encodings, a block size that does not match the sample size, or audio data
    shorter than its chunk header says (a truncated file).
    """
    fh.seek(0, 2)
    size = fh.tell()
    fh.seek(0)
    head = fh.read(12)
    if len(head) < 12:
        raise WavProblem("is empty or truncated", hint=_REEXPORT_HINT)
    if head[:4] == b"RIFX" and head[8:12] == b"WAVE":
        raise WavProblem("is a big-endian (RIFX) WAV file", unsupported=True)
    if head[:4] in (b"RF64", b"BW64") and head[8:12] == b"WAVE":
        raise WavProblem("is an RF64 (64-bit size) WAV file", unsupported=True)
    if head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        raise WavProblem("is not a WAV file")
    fmt: bytes | None = None
    while True:
        header = fh.read(8)
        if len(header) < 8:
            problem = "has no audio data chunk" if fmt is not None else "has no fmt chunk"
            raise WavProblem(f"{problem} (truncated?)", hint=_REEXPORT_HINT)
        chunk_id, chunk_size = header[:4], struct.unpack("<I", header[4:])[0]
        start = fh.tell()
        if chunk_id == b"fmt ":
            fmt = fh.read(chunk_size)
            if len(fmt) < chunk_size:
                raise WavProblem("is truncated inside its fmt chunk", hint=_REEXPORT_HINT)
        elif chunk_id == b"data":
            if fmt is None:
                raise WavProblem("has its audio data before the fmt chunk")
            available = size - start
            riff_size = struct.unpack("<I", head[4:8])[0]
            if _length_unknown(chunk_size, riff_size, start, available):
                # Written by a stream that could not go back to fill in the sizes: the
                # audio is the rest of the file.
                chunk_size = available
            if chunk_size > available:
                raise WavProblem(
                    f"is truncated: its data chunk says {chunk_size} bytes of audio, "
                    f"{available} are there",
                    hint=_REEXPORT_HINT,
                )
            return _wav_format(fmt, start, chunk_size)
        fh.seek(start + chunk_size + (chunk_size & 1))  # chunks are padded to even sizes
        if fh.tell() > size:
            raise WavProblem(
                f"is truncated inside its {chunk_id.decode('latin-1')!r} chunk",
                hint=_REEXPORT_HINT,
            )


UNKNOWN_LENGTH = 0x7FFFF000
"""A data chunk size at or above this that the file cannot hold is a placeholder: writers that
stream (``sox … -t wav -``, ffmpeg to a pipe, arecord killed mid-take) write 0x7FFFF000,
0xFFFFFFFF or 0 before they know the length, and never come back to fix it."""


def _length_unknown(data_size: int, riff_size: int, data_start: int, available: int) -> bool:
    """Does a data chunk's size field (``data_size``, bytes) hold a streaming writer's
    placeholder rather than the audio's length? ``riff_size``: the RIFF header's size field;
    ``data_start``: where the audio starts; ``available``: bytes from there to the end of the
    file. A size of 0 counts only if the RIFF size is a placeholder too (0, or short of the
    audio's start): otherwise it is a real empty chunk, perhaps followed by others."""
    if data_size >= UNKNOWN_LENGTH:
        return data_size > available
    if data_size == 0 and available > 0:
        return riff_size == 0 or riff_size >= UNKNOWN_LENGTH or riff_size + 8 <= data_start
    return False


def _wav_format(fmt: bytes, data_offset: int, data_bytes: int) -> WavFormat:
    if len(fmt) < 16:
        raise WavProblem(f"has a {len(fmt)}-byte fmt chunk (at least 16 expected)")
    tag, channels, rate, _byte_rate, block_align, bits = struct.unpack("<HHIIHH", fmt[:16])
    code = tag
    if tag == _WAVE_FORMAT_EXTENSIBLE:
        if len(fmt) < 40:
            raise WavProblem(
                f"is WAVE_FORMAT_EXTENSIBLE with a {len(fmt)}-byte fmt chunk (40 expected)"
            )
        subformat = fmt[24:40]
        code = struct.unpack("<H", subformat[:2])[0]
        if subformat[2:] != _SUBFORMAT_TAIL:
            raise WavProblem(
                f"is WAVE_FORMAT_EXTENSIBLE with an unknown sub-format {subformat.hex()}; "
                + _SUPPORTED,
                unsupported=True,
                hint=_CONVERT_HINT,
            )
    if code not in (_WAVE_FORMAT_PCM, _WAVE_FORMAT_IEEE_FLOAT):
        what = f"{_format_name(code)} WAV (format tag {code})"
        if tag == _WAVE_FORMAT_EXTENSIBLE:
            what = f"WAVE_FORMAT_EXTENSIBLE with {_format_name(code)} audio (sub-format {code})"
        raise WavProblem(f"is {what}; {_SUPPORTED}", unsupported=True, hint=_CONVERT_HINT)
    encoding: Literal["pcm", "float"] = "pcm" if code == _WAVE_FORMAT_PCM else "float"
    if channels == 0:
        raise WavProblem("has 0 channels")
    # The container size comes from the block size: a 24-bit-valid file may store 32 bits.
    width, extra = divmod(block_align, channels)
    allowed = _INT_BITS if encoding == "pcm" else _FLOAT_BITS
    if extra or 8 * width not in allowed or bits > 8 * width or bits == 0:
        kind = "integer PCM" if encoding == "pcm" else "IEEE float"
        raise WavProblem(
            f"has {bits}-bit {kind} samples in {block_align}-byte frames of {channels} "
            f"channel(s); {_SUPPORTED}",
            unsupported=True,
            hint=_CONVERT_HINT,
        )
    return WavFormat(
        encoding=encoding,
        sample_width=width,
        channels=channels,
        rate=rate,
        frames=data_bytes // block_align,
        data_offset=data_offset,
        data_bytes=data_bytes,
    )


class FileMicrophone:
    """Audio from a WAV file, served as 16 kHz mono int16 chunks of ``chunk_samples`` samples
    (512 = 32 ms); the last chunk may be shorter.

    Reads integer PCM (8-bit unsigned, 16/24/32-bit signed) and IEEE float (32/64-bit), plain
    or WAVE_FORMAT_EXTENSIBLE, at 8–192 kHz with 1–8 channels (averaged to mono). ``source_rate``
    (Hz), ``source_channels``, ``source_sample_width`` (bytes), ``source_encoding`` (``"pcm"`` or
    ``"float"``) and ``duration_s`` describe the file once open.
    """

    live = False
    sample_rate = TARGET_RATE

    def __init__(
        self, path: str | Path, *, chunk_samples: int = 512, uri: str | None = None
    ) -> None:
        if chunk_samples < 1:
            raise ValueError(f"chunk_samples must be >= 1, got {chunk_samples}")
        self.path = Path(path)
        self.uri = uri or f"file:{path}"
        self.chunk_samples = chunk_samples
        self.source_rate = 0
        self.source_channels = 0
        self.source_sample_width = 0  # bytes per sample
        self.source_encoding = ""  # "pcm" or "float" once open
        self.duration_s = 0.0
        self._fh: BinaryIO | None = None
        self._format: WavFormat | None = None
        self._left = 0  # bytes of audio data not yet read
        self._resampler: StreamingResampler | None = None
        self._out = SampleFifo()
        self._eof = False

    def _fail(
        self, cls: type[UnreadableMedia], problem: str, hint: str = _CONVERT_HINT
    ) -> UnreadableMedia:
        return cls("microphone", self.uri, problem, hint)

    def describe(self) -> str:
        """``"file:talk.wav (WAV 44100 Hz, 2 ch, 2.00 s → 16 kHz mono)"``: the URI, the file
        ``open()`` found and what it is served as."""
        source = f"WAV {self.source_rate} Hz, {self.source_channels} ch, {self.duration_s:.2f} s"
        return f"{self.uri} ({source} → {self.sample_rate / 1000:g} kHz mono)"

    def open(self) -> None:
        if self._fh is not None:
            return
        p = self.path
        if not p.exists():
            raise DeviceNotFound("microphone", self.uri, f"no such file {p}", _MIC_HINT)
        if p.is_dir():
            raise self._fail(UnreadableMedia, f"{p} is a folder, not a WAV file", _MIC_HINT)
        _check_readable("microphone", self.uri, p)
        try:
            fh = p.open("rb")
        except OSError as exc:
            raise self._fail(
                UnreadableMedia, f"cannot read {p}: {exc.strerror or exc}", _REEXPORT_HINT
            ) from exc
        try:
            fmt = self._read_format(fh, p)
            self._check_format(fmt, p)
            fh.seek(fmt.data_offset)
        except BaseException:
            fh.close()
            raise
        self._fh, self._format, self._left = fh, fmt, fmt.data_bytes
        self._resampler = StreamingResampler(self.source_rate, TARGET_RATE)
        self._out.clear()
        self._eof = False

    def _read_format(self, fh: BinaryIO, p: Path) -> WavFormat:
        try:
            return read_wav_format(fh)
        except WavProblem as exc:
            cls = UnsupportedAudioFormat if exc.unsupported else UnreadableMedia
            raise self._fail(cls, f"{p} {exc}", exc.hint or _CONVERT_HINT) from None
        except OSError as exc:
            raise self._fail(
                UnreadableMedia, f"cannot read {p}: {exc.strerror or exc}", _REEXPORT_HINT
            ) from exc

    def _check_format(self, fmt: WavFormat, p: Path) -> None:
        rate, channels = fmt.rate, fmt.channels
        if not MIN_WAV_RATE <= rate <= MAX_WAV_RATE:
            raise self._fail(
                UnsupportedAudioFormat,
                f"wrong sample rate {rate} Hz in {p}; supported: {MIN_WAV_RATE}..{MAX_WAV_RATE} Hz",
                "resample it: ffmpeg -i IN -ar 16000 -c:a pcm_s16le OUT.wav",
            )
        if not 1 <= channels <= MAX_WAV_CHANNELS:
            raise self._fail(
                UnsupportedAudioFormat,
                f"wrong channel count {channels} in {p}; supported: 1..{MAX_WAV_CHANNELS} channels",
                "downmix it: ffmpeg -i IN -ac 1 -c:a pcm_s16le OUT.wav",
            )
        self.source_rate, self.source_channels = rate, channels
        self.source_sample_width, self.source_encoding = fmt.sample_width, fmt.encoding
        self.duration_s = fmt.frames / rate

    def _refill(self) -> None:
        # read() only calls this while open, when all three are set.
        assert self._fh is not None
        assert self._format is not None
        assert self._resampler is not None
        fmt = self._format
        want = min(self._left, _READ_FRAMES * fmt.block_align)
        try:
            data = self._fh.read(want)
        except OSError as exc:
            raise self._fail(
                UnreadableMedia, f"cannot read {self.path}: {exc.strerror or exc}", _REEXPORT_HINT
            ) from exc
        if len(data) < want:
            # Checked at open(); the file shrank since.
            raise self._fail(
                UnreadableMedia, f"{self.path} was cut short while playing", _REEXPORT_HINT
            )
        self._left -= len(data)
        if fmt.encoding == "float":
            frames = decode_float(data, fmt.sample_width, fmt.channels)
        else:
            frames = decode_pcm(data, fmt.sample_width, fmt.channels)
        if len(frames):
            self._out.push(self._resampler.process(frames))
        else:
            self._out.push(self._resampler.flush())
            self._eof = True

    def read(self) -> np.ndarray | None:
        if self._fh is None:
            return None
        while len(self._out) < self.chunk_samples and not self._eof:
            self._refill()
        if not len(self._out):
            return None
        return self._out.pop(self.chunk_samples)

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
        self._fh = None
        self._format = None
        self._resampler = None
        self._out.clear()


# --------------------------------------------------------------------------------------------
# WAV speaker

SPEAKER_RATE = 22_050
"""Sample rate (Hz) of the WAV a ``FileSpeaker`` writes: espeak-ng's own, so speech is not
resampled."""

_SPEAKER_HINT = "check the path (its folder must exist and be writable), or use --speaker none"


class FileSpeaker:
    """Writes everything the glasses say into one 16-bit mono WAV at ``SPEAKER_RATE`` Hz.

    Clips are appended one after the other, in the order played, without the silences between
    them; other rates and channel counts are resampled and downmixed. ``open()`` creates (or
    overwrites) the file, ``close()`` finalises it; each clip is written once it is over
    (replaced, stopped, or at ``close()``), so the file is a valid WAV holding every clip
    finished so far.

    With a ``clock`` the speaker knows how much of a clip has played: ``stop()`` (a barge-in)
    and a new ``play()`` cut the clip where playback was, as a sound card would. Without one it
    cannot tell, and a cut clip is written whole. ``clips`` counts the clips played, ``cut``
    those cut short, ``frames_written`` the samples in the file (``duration_s`` seconds).
    """

    live = False
    sample_rate = SPEAKER_RATE

    def __init__(
        self, path: str | Path, *, clock: Clock | None = None, uri: str | None = None
    ) -> None:
        self.path = Path(path)
        self.uri = uri or f"file:{path}"
        self.clips = 0
        self.cut = 0
        self.frames_written = 0
        self._clock = clock
        self._file: BinaryIO | None = None
        self._wav: wave.Wave_write | None = None
        self._clip: np.ndarray | None = None  # the clip playing, at SPEAKER_RATE, not yet written
        self._clip_start_ns = 0

    @property
    def duration_s(self) -> float:
        """Seconds of audio written so far."""
        return self.frames_written / SPEAKER_RATE

    def _error(self, cls: type[DeviceError], problem: str) -> DeviceError:
        return cls("speaker", self.uri, problem, _SPEAKER_HINT)

    def describe(self) -> str:
        """``"file:out.wav (WAV 22050 Hz mono)"``: the URI and what it writes."""
        return f"{self.uri} (WAV {self.sample_rate} Hz mono)"

    def open(self) -> None:
        if self._wav is not None:
            return
        p = self.path
        if p.is_dir():
            raise self._error(DeviceError, f"{p} is a folder, not a WAV file")
        if not p.parent.is_dir():
            raise self._error(DeviceNotFound, f"no folder {p.parent} to write {p.name} in")
        try:
            fh = p.open("wb")
        except OSError as exc:
            raise self._cannot_write(exc) from exc
        wav = wave.open(fh, "wb")  # noqa: SIM115 — kept open until close()
        try:
            wav.setnchannels(1)
            wav.setsampwidth(2)
            wav.setframerate(SPEAKER_RATE)
            wav.writeframes(b"")  # the header, now: a speaker that never speaks leaves a valid WAV
            fh.flush()  # a full disk shows now, not at the end of the session
        except OSError as exc:
            self._close_quietly(wav, fh, logging.DEBUG)  # the error raised says it all
            raise self._cannot_write(exc) from exc
        self._file, self._wav = fh, wav
        self._clip = None
        self.frames_written = 0

    def _cannot_write(self, exc: OSError) -> DeviceError:
        return self._error(DeviceError, f"cannot write {self.path}: {exc.strerror or exc}")

    def _close_quietly(
        self, wav: wave.Wave_write, fh: BinaryIO, level: int = logging.WARNING
    ) -> None:
        # ``wave`` patches the header on close; the file is ours to close after it.
        for close in (wav.close, fh.close):
            try:
                close()
            except OSError as exc:
                log.log(level, "speaker %s: cannot finalise %s: %s", self.uri, self.path, exc)

    def _played(self, clip: np.ndarray) -> np.ndarray:
        """The part of the current clip played by now (all of it without a clock)."""
        if self._clock is None:
            return clip
        elapsed = max(0, self._clock.now_ns() - self._clip_start_ns)
        return clip[: min(len(clip), elapsed * SPEAKER_RATE // NS_PER_S)]

    def _finish(self) -> None:
        """Write the current clip, up to where playback is now (the whole clip if it has
        played out, or without a clock)."""
        clip, self._clip = self._clip, None
        if clip is None or self._wav is None:
            return
        played = self._played(clip)
        if len(played) < len(clip):
            self.cut += 1
        try:
            self._wav.writeframes(played.astype("<i2").tobytes())
            if self._file is not None:
                self._file.flush()
        except OSError as exc:
            raise self._cannot_write(exc) from exc
        self.frames_written += len(played)

    def play(self, samples: np.ndarray, sample_rate: int) -> None:
        if sample_rate <= 0:
            raise ValueError(f"sample_rate must be > 0 Hz, got {sample_rate}")
        if self._wav is None:
            return
        self._finish()  # a new clip replaces the one playing
        arr = np.asarray(samples)
        if arr.dtype == np.int16 and arr.ndim == 1 and sample_rate == SPEAKER_RATE:
            clip = arr.copy()
        else:
            clip = resample(arr, sample_rate, SPEAKER_RATE)
        self._clip = clip
        self._clip_start_ns = self._clock.now_ns() if self._clock is not None else 0
        self.clips += 1

    def stop(self) -> None:
        self._finish()

    def close(self) -> None:
        wav, fh = self._wav, self._file
        if wav is None or fh is None:
            return
        try:
            self._finish()  # the session ends: a clip still playing is cut where it was
        except DeviceError as exc:  # close() never raises
            log.warning("%s", exc)
        finally:
            self._wav = self._file = None
            self._clip = None
            self._close_quietly(wav, fh)
