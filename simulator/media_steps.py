"""Scenario steps that play recorded media: ``video:`` on the simulated camera and ``audio:``
into the simulated microphone (the steps a ``glasses run --record`` session replays with).

* ``video: FILE`` plays a video file's frames at its own frame rate from the step's time;
  ``video: {file: FILE, times: TIMES}`` plays them at the times listed in ``TIMES`` (a text file,
  one time in seconds from the step per frame, as ``glasses run --record`` writes beside its
  ``camera.avi``). At each moment the camera sees the frame whose time is nearest: frame k
  comes into view halfway between frame k-1's time and its own (so a camera read at the time a
  frame was recorded sees that frame, whatever the rounding), and the last frame stays in view,
  as a ``show:`` scene does. Frames are decoded as they are played, never held all at once.
* ``audio: FILE`` feeds a WAV to the microphone from the step's time: 16 kHz mono 16-bit PCM,
  what the speech stages hear (the recorder writes exactly that), so the samples the stages
  see are the file's, bit for bit.

The files are checked when the scenario loads (:func:`check_video`, :func:`check_audio`): a
missing file, an unreadable video, a times file that does not match its video, or a WAV in
another format is a ``file:line:`` problem of the step, before anything runs.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO

import cv2
import numpy as np

from glasses.devices.file import WavProblem, decode_pcm, read_wav_format
from glasses.devices.opencv_quiet import quiet_opencv
from glasses.devices.sim import SimCamera
from glasses.runtime.clock import NS_PER_S, Clock

AUDIO_RATE = 16_000
"""The only sample rate an ``audio:`` step takes (Hz): the rate of the speech stages."""

MAX_MEDIA_S = 3600.0
"""The longest media a step plays (s): a run is at most 60 min of virtual time."""

_CONVERT = "convert it: ffmpeg -i IN -ac 1 -ar 16000 -c:a pcm_s16le OUT.wav"


class MediaError(ValueError):
    """A media file a step cannot play; the message is one line naming the file."""


def _existing(path: Path) -> Path:
    if not path.exists():
        raise MediaError(f"no such file {path}")
    if not path.is_file():
        raise MediaError(f"{path} is not a file")
    return path


# --------------------------------------------------------------------------------------------
# audio


def _audio_format(path: Path, fh: BinaryIO) -> tuple[int, int]:
    """(data offset, frames) of a 16 kHz mono 16-bit PCM WAV; MediaError otherwise."""
    try:
        fmt = read_wav_format(fh)
    except WavProblem as exc:
        raise MediaError(f"{path} {exc}") from None
    if fmt.rate != AUDIO_RATE:
        raise MediaError(
            f"{path} is {fmt.rate} Hz; an audio step plays {AUDIO_RATE // 1000} kHz mono "
            f"16-bit WAV, what the speech stages hear ({_CONVERT})"
        )
    if fmt.channels != 1:
        raise MediaError(
            f"{path} has {fmt.channels} channels; an audio step plays mono 16 kHz 16-bit WAV "
            f"({_CONVERT})"
        )
    if fmt.encoding != "pcm" or fmt.sample_width != 2:
        bits = f"{8 * fmt.sample_width}-bit {'float' if fmt.encoding == 'float' else 'PCM'}"
        raise MediaError(
            f"{path} holds {bits} samples; an audio step plays 16-bit PCM ({_CONVERT})"
        )
    if fmt.frames / AUDIO_RATE > MAX_MEDIA_S:
        raise MediaError(
            f"{path} lasts {fmt.frames / AUDIO_RATE:.0f} s; a run is at most "
            f"{MAX_MEDIA_S / 60:g} min"
        )
    return fmt.data_offset, fmt.frames


def check_audio(path: Path) -> float:
    """The length (s) of the WAV an ``audio:`` step plays; raises ``MediaError``."""
    try:
        with _existing(path).open("rb") as fh:
            _, frames = _audio_format(path, fh)
    except OSError as exc:
        raise MediaError(f"cannot read {path}: {exc.strerror or exc}") from None
    return frames / AUDIO_RATE


def read_audio(path: Path) -> np.ndarray:
    """The samples of an ``audio:`` step's WAV, 16 kHz mono int16; raises ``MediaError``."""
    try:
        with _existing(path).open("rb") as fh:
            offset, frames = _audio_format(path, fh)
            fh.seek(offset)
            data = fh.read(frames * 2)
    except OSError as exc:
        raise MediaError(f"cannot read {path}: {exc.strerror or exc}") from None
    return decode_pcm(data, 2, 1)[:, 0].astype(np.int16)


# --------------------------------------------------------------------------------------------
# video


def read_times(path: Path) -> list[float]:
    """The frame times of a ``times:`` file: one number of seconds (from the step) per line,
    in order; blank lines and lines starting with ``#`` are skipped. Raises ``MediaError``
    naming the line of the first bad time."""
    try:
        text = _existing(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise MediaError(f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}") from None
    times: list[float] = []
    for n, line in enumerate(text.splitlines(), 1):
        word = line.strip()
        if not word or word.startswith("#"):
            continue
        try:
            t = float(word)
        except ValueError:
            raise MediaError(
                f"{path}:{n}: not a time in seconds: {word[:40]!r} (one time per frame, per line)"
            ) from None
        if not (math.isfinite(t) and 0 <= t <= MAX_MEDIA_S):
            raise MediaError(f"{path}:{n}: a frame time is within 0..{MAX_MEDIA_S:g} s, got {word}")
        if times and t < times[-1]:
            raise MediaError(
                f"{path}:{n}: {t:g} s is before the frame above it ({times[-1]:g} s); frame "
                "times must be in order"
            )
        times.append(t)
    if not times:
        raise MediaError(f"{path} lists no frame times")
    return times


def _open_video(path: Path) -> cv2.VideoCapture:
    _existing(path)
    with quiet_opencv():
        cap = cv2.VideoCapture(str(path))
    if not cap.isOpened():
        cap.release()
        raise MediaError(
            f"cannot open video {path}; use a video OpenCV can decode (a recording's .avi, "
            ".mp4 H.264, .avi MJPG)"
        )
    return cap


def _fps(cap: cv2.VideoCapture, path: Path) -> float:
    fps = float(cap.get(cv2.CAP_PROP_FPS))
    if not 0 < fps < 1000:
        raise MediaError(f"video {path} states no frame rate; give its frame times (times:)")
    return fps


def check_video(path: Path, times: Sequence[float] | None, *, times_name: str = "") -> float:
    """How long (s) a ``video:`` step plays: to its last frame's time. Raises ``MediaError``
    for a missing or undecodable video, or one whose count of frames is not the count of
    ``times`` (read from the file ``times_name`` by :func:`read_times`)."""
    cap = _open_video(path)
    try:
        with quiet_opencv():
            ok, frame = cap.read()
        if not ok or frame is None:
            raise MediaError(f"video {path} has no readable frames")
        frames = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
        if times is None:
            fps = _fps(cap, path)
            if frames <= 0:
                raise MediaError(
                    f"video {path} does not say how many frames it has; give its "
                    "frame times (times:)"
                )
            duration = (frames - 1) / fps
        else:
            if frames > 0 and frames != len(times):
                raise MediaError(
                    f"{times_name or 'times:'} lists {len(times)} frame "
                    f"time{'s' if len(times) != 1 else ''} but video {path} has {frames} "
                    "frames; it needs one time per frame"
                )
            duration = times[-1]
    finally:
        cap.release()
    if duration > MAX_MEDIA_S:
        raise MediaError(f"video {path} lasts {duration:.0f} s; a run is at most 60 min")
    return duration


def shown_from(times: Sequence[float]) -> list[float]:
    """When each frame comes into view (s from the step): halfway between the frame before and
    its own time (the first frame as far ahead of its time as the second is after it, not
    before the step), so that the camera always sees the frame nearest in time."""
    gaps = [b - a for a, b in itertools.pairwise(times)]
    leads = [gaps[0] / 2 if gaps else 0.0] + [gap / 2 for gap in gaps]
    return [max(0.0, t - lead) for t, lead in zip(times, leads, strict=True)]


def first_frame(path: Path) -> np.ndarray:
    """The first frame of a ``video:`` step's file (BGR); raises ``MediaError``."""
    cap = _open_video(path)
    try:
        with quiet_opencv():
            ok, frame = cap.read()
    finally:
        cap.release()
    if not ok or frame is None:
        raise MediaError(f"video {path} has no readable frames")
    return np.asarray(frame)


async def play_video(
    camera: SimCamera,
    clock: Clock,
    path: Path,
    *,
    times: Sequence[float] | None,
    start_ns: int,
) -> None:
    """Show the frames of ``path`` on ``camera`` at ``times`` (s after ``start_ns``; without
    times at the video's own frame rate), decoding each as it comes (see the module)."""
    cap = _open_video(path)
    try:
        if times is None:
            fps = _fps(cap, path)
            count = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
            times = [k / fps for k in range(max(count, 1))]
        starts = shown_from(times)
        for at in starts:
            with quiet_opencv():
                ok, frame = cap.read()
            if not ok or frame is None:
                break  # the end of the video (checked at load: it matches its times)
            await clock.sleep_until(start_ns + round(at * NS_PER_S))
            camera.show(frame)
    finally:
        cap.release()
