"""Record a live session so that it replays as a scenario: ``glasses run --record DIR``.

The recorder watches the session's bus (an observer: it sees every event as it is published,
before any stage) and writes into ``DIR``::

    scenario.yaml    the replay (``glasses sim --headless DIR/scenario.yaml``), written last
    camera.avi       every camera frame the pipeline was given, lossless (HuffYUV in AVI)
    camera.times     the time of each frame, seconds from the session's start, one per line
    microphone.wav   what the speech stages heard: 16 kHz mono 16-bit, sample for sample
    events.jsonl     every event but frames and audio, one JSON object a line, with ``t_ns``
                     (and every other ``*t_ns`` time) in ns from the session's start

The frames are stored losslessly because a replay must see what the session saw: a JPEG'd frame
may read differently (a code at the edge of legibility, OCR). That costs space (about 20 MB/s
for a noisy 640×480 camera at 30 fps; a still view compresses far better). A camera whose frame
size changes mid-session starts a new video (``camera-2.avi``); audio interrupted for more than
``AUDIO_GAP_S`` (a lost microphone) starts a new WAV (``microphone-2.wav``), each replayed from
its own time. Taps, swipes and head gestures become timeline steps, a lost and restored device
``unplug:`` and ``replug:`` steps, and the text each turn left on the HUD an expectation.

Every file is written atomically (a temporary name, renamed when complete: see
:mod:`glasses.atomic`), ``scenario.yaml`` last; paths in it are relative, so the folder replays
wherever it is copied. Frames and audio are encoded on a thread of their own, never on the
event loop; a frame the thread cannot take in time (``MAX_PENDING_FRAMES`` queued) is left out
of the recording and counted, audio and events are always kept.

It imports nothing from the simulator: the scenario format is the one documented in
``docs/scenarios.md``, written as YAML.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import queue
import secrets
import threading
import wave
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

import cv2
import numpy as np
import yaml

from glasses.atomic import atomic_writer, replace_durably, write_text
from glasses.runtime.clock import NS_PER_S
from glasses.runtime.events import (
    AudioChunk,
    DeviceLost,
    DeviceRestored,
    Event,
    EventKind,
    HeadGesture,
    HudDrawn,
    Swipe,
    Tap,
    VideoFrame,
)

SCENARIO = "scenario.yaml"
EVENTS = "events.jsonl"
AUDIO_RATE = 16_000
"""Hz: the rate of ``AudioChunk`` events, and so of the recorded WAV."""
AUDIO_GAP_S = 0.25
"""A break in the microphone's time line longer than this (s) starts a new WAV. Shorter jumps
(a live device re-anchored after a late read) stay in one file: the replay then hears the very
samples the session heard, back to back."""
MAX_PENDING_FRAMES = 64
"""Frames waiting for the encoder before new ones are left out of the recording."""
REPLAY_MARGIN_S = 2.0
"""The replay runs this much longer than the session (s), for stages to finish on its clock."""
MAX_EXPECTATIONS = 50
"""HUD texts turned into expectations, at most (the first ones)."""
_REPLUG_LEAD_S = 0.25  # half the first reconnection back-off: see _device_steps
_VIDEO_FOURCC = "HFYU"  # HuffYUV: lossless, ~2 ms a 640×480 frame, read by every FFmpeg build


class RecordingError(Exception):
    """The recording cannot be made or finished; the message is one line naming the file."""


def recording_problem(directory: str | os.PathLike[str]) -> str:
    """Why ``directory`` cannot take a recording ("" if it can): it must be a new or empty
    folder, so that a recording never mixes with, or replaces, the files of another."""
    target = Path(directory)
    if target.exists() and not target.is_dir():
        return "is a file, not a folder"
    if target.is_dir():
        if any(target.iterdir()):
            return "is not empty; record into a new folder (a recording replaces nothing)"
        if not os.access(target, os.W_OK | os.X_OK):
            return "is not writable"
        return ""
    parent = target.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
        return f"cannot be created: {parent} is not a writable folder"
    return ""


@dataclass(frozen=True, slots=True)
class Recording:
    """What a recording holds: ``frames`` camera frames (``frames_stored`` of them in the
    video files, the others repeats of a stored one; ``frames_left_out``: not recorded, the
    encoder fell behind), ``audio_s`` seconds of microphone audio, ``inputs`` taps, swipes
    and gestures, ``events`` lines of ``events.jsonl``, ``expected`` the HUD texts that became
    expectations, and ``files`` the names in ``directory``, the scenario last."""

    directory: Path
    frames: int
    frames_stored: int
    frames_left_out: int
    audio_s: float
    inputs: int
    events: int
    expected: tuple[str, ...]
    files: tuple[str, ...]

    @property
    def scenario(self) -> Path:
        return self.directory / SCENARIO

    def describe(self) -> list[str]:
        """Lines for a summary: what was written and how to replay it."""
        notes = []
        if self.frames_stored < self.frames:
            notes.append(f"{self.frames_stored} stored, the others repeat them")
        if self.frames_left_out:
            notes.append(f"{self.frames_left_out} left out: the encoder fell behind")
        frames = f"{self.frames} frames" + (f" ({'; '.join(notes)})" if notes else "")
        lines = [
            f"recorded into {self.directory}: {frames}, {self.audio_s:.2f} s of audio, "
            f"{self.inputs} inputs, {self.events} events",
            f"  replay: glasses sim --headless {self.scenario}",
        ]
        if not self.expected:
            lines.append(
                f"  the HUD showed nothing: add an expectation to {SCENARIO} before replaying"
            )
        return lines


# --------------------------------------------------------------------------------------------
# the files, written on the recorder's thread


def _segment_name(stem: str, index: int, suffix: str) -> str:
    return f"{stem}{suffix}" if index == 1 else f"{stem}-{index}{suffix}"


class _Video:
    """One video file and its frame times (ns from the session's start)."""

    def __init__(self, directory: Path, index: int, shape: tuple[int, ...], fps: float) -> None:
        """Frame times are written relative to ``base_ns``, the time of the scenario step that
        plays this video: the session's start for the first video (so that its first frame
        is in view from the camera's very first read, as it was), its first frame for those
        after a change of frame size."""
        self.name = _segment_name("camera", index, ".avi")
        self.base_ns: int | None = 0 if index == 1 else None
        self.times_name = _segment_name("camera", index, ".times")
        self.path = directory / self.name
        # OpenCV picks the container from the suffix: the temporary name keeps ``.avi``.
        self.tmp = directory / f".{self.path.stem}.{secrets.token_hex(4)}.tmp.avi"
        self.shape = shape
        self.times_ns: list[int] = []
        self._last: np.ndarray | None = None  # the frame written last
        self._held: tuple[int, np.ndarray] | None = None  # a repeat of it, not yet written
        self.repeats = 0  # frames left out as repeats of the one before (see add)
        height, width = shape[:2]
        self.writer = cv2.VideoWriter(
            str(self.tmp), cv2.VideoWriter.fourcc(*_VIDEO_FOURCC), fps, (width, height)
        )
        if not self.writer.isOpened():
            self.writer.release()
            with contextlib.suppress(FileNotFoundError):
                self.tmp.unlink()
            why = "OpenCV has no HuffYUV encoder"
            if not os.access(directory, os.W_OK | os.X_OK):
                why = "the folder is gone or not writable"
            raise RecordingError(f"cannot write {self.path}: {why}")

    def add(self, t_ns: int, image: np.ndarray) -> None:
        """Take a frame. Of a run of identical frames (a still image, a paused feed) only the
        first and the last are written: the replay's camera keeps the frame in view until the
        next one, and the last one keeps the time at which the next frame takes over."""
        if self._last is not None and np.array_equal(image, self._last):
            if self._held is not None:
                self.repeats += 1
            self._held = (t_ns, image)
            return
        self._release()
        self._write(t_ns, image)

    def _release(self) -> None:
        if self._held is not None:
            self._write(*self._held)
            self._held = None

    def _write(self, t_ns: int, image: np.ndarray) -> None:
        self.writer.write(image)
        self.times_ns.append(t_ns)
        self._last = image
        if self.base_ns is None:
            self.base_ns = t_ns

    def commit(self) -> None:
        self._release()
        self.writer.release()
        if not self.tmp.is_file() or self.tmp.stat().st_size == 0:
            raise RecordingError(f"cannot write {self.path}: the encoder left no file")
        replace_durably(self.tmp, self.path)
        base = self.base_ns or 0
        lines = [f"# {self.name}: when each frame was captured, s from {base / NS_PER_S:.6f} s"]
        lines[0] += " into the session"
        lines += [f"{(t - base) / NS_PER_S:.6f}" for t in self.times_ns]
        write_text(self.path.with_name(self.times_name), "\n".join(lines) + "\n")

    def discard(self) -> None:
        self.writer.release()
        with contextlib.suppress(FileNotFoundError):
            self.tmp.unlink()


class _Audio:
    """One WAV file: contiguous microphone audio from ``start_ns`` (from the session's start)."""

    def __init__(self, directory: Path, index: int, start_ns: int, stack: contextlib.ExitStack):
        self.name = _segment_name("microphone", index, ".wav")
        self.start_ns = start_ns
        self.next_ns = start_ns  # where the next chunk continues this file
        self.samples = 0
        out: BinaryIO = stack.enter_context(atomic_writer(directory / self.name))
        self.wav = wave.open(out, "wb")  # noqa: SIM115 — closed by close(), before the rename
        self.wav.setnchannels(1)
        self.wav.setsampwidth(2)
        self.wav.setframerate(AUDIO_RATE)

    def write(self, t_ns: int, samples: np.ndarray) -> None:
        self.wav.writeframes(np.asarray(samples, dtype="<i2").tobytes())
        self.samples += len(samples)
        self.next_ns = t_ns + len(samples) * NS_PER_S // AUDIO_RATE

    def close(self) -> None:
        self.wav.close()  # patches the header; the file object stays open for its rename


@dataclass
class _Files:
    """The writer thread's state: the files open and those done."""

    directory: Path
    fps: float
    stack: contextlib.ExitStack = field(default_factory=contextlib.ExitStack)
    videos: list[_Video] = field(default_factory=list)
    audios: list[_Audio] = field(default_factory=list)
    events: BinaryIO | None = None
    event_lines: int = 0

    def frame(self, t_ns: int, image: np.ndarray) -> None:
        video = self.videos[-1] if self.videos else None
        if video is None or video.shape != image.shape:
            video = _Video(self.directory, len(self.videos) + 1, image.shape, self.fps)
            self.videos.append(video)
        video.add(t_ns, image)

    def audio(self, t_ns: int, samples: np.ndarray) -> None:
        audio = self.audios[-1] if self.audios else None
        if audio is None or t_ns - audio.next_ns > AUDIO_GAP_S * NS_PER_S:
            if audio is not None:
                audio.close()
            audio = _Audio(self.directory, len(self.audios) + 1, t_ns, self.stack)
            self.audios.append(audio)
        audio.write(t_ns, samples)

    def _events_file(self) -> BinaryIO:
        if self.events is None:
            self.events = self.stack.enter_context(atomic_writer(self.directory / EVENTS))
        return self.events

    def event(self, line: str) -> None:
        self._events_file().write(line.encode("utf-8") + b"\n")
        self.event_lines += 1

    def commit(self) -> None:
        if self.audios:
            self.audios[-1].close()
        for video in self.videos:
            video.commit()
        self._events_file()  # a session without a single event still has its file
        self.stack.close()  # renames the WAVs and events.jsonl

    def discard(self, exc: BaseException) -> None:
        for video in self.videos:
            video.discard()
        self.stack.__exit__(type(exc), exc, exc.__traceback__)  # removes the temporary files


# --------------------------------------------------------------------------------------------
# the recorder


@dataclass(frozen=True, slots=True)
class _Step:
    t_ns: int
    action: dict[str, Any]


class SessionRecorder:
    """Records one session into ``directory`` (see the module docstring).

    ``profile`` (a display profile's name) and ``listen`` (the listening mode) go into the
    scenario's ``device:`` section; ``note`` (e.g. the command line) into its description.
    Call ``start`` once the session runs, hand ``observe`` every event (``Runtime.observe``),
    and call ``finish`` after it ended: it blocks until the files are written (run it off the
    event loop) and returns the ``Recording``, or raises ``RecordingError``.
    """

    def __init__(
        self,
        directory: str | os.PathLike[str],
        *,
        profile: str,
        listen: str = "wake",
        note: str = "",
    ) -> None:
        self.directory = Path(directory)
        self.profile = profile
        self.listen = listen
        self.note = note
        self._t0_ns: int | None = None
        self._camera = ""
        self._microphone: str | None = None
        self._fps = 0.0
        self._frame_size: tuple[int, int] | None = None  # (width, height) of the first frame
        self._frame_span: tuple[int, int] | None = None  # times (ns) of the first, last frame
        # (kind, t_ns from the start, frame or samples), or ("event", t0_ns, event); None: stop
        self._queue: queue.SimpleQueue[tuple[str, int, Any] | None] = queue.SimpleQueue()
        self._room = threading.BoundedSemaphore(MAX_PENDING_FRAMES)
        self._thread: threading.Thread | None = None
        self._files: _Files | None = None
        self._error: str = ""
        self.frames = 0
        self.frames_left_out = 0
        self.audio_samples = 0
        self._steps: list[_Step] = []
        self._inputs = 0
        self._hud: dict[int | None, tuple[int, str]] = {}  # turn → (t_ns, last text drawn)
        self._hud_order: list[int | None] = []
        self._loose_hud: list[tuple[int, str]] = []  # texts drawn outside any turn

    # -- lifecycle ---------------------------------------------------------------------------

    @property
    def started(self) -> bool:
        return self._thread is not None

    def start(self, t0_ns: int, *, camera: str, camera_fps: float, microphone: str | None) -> None:
        """The session started at ``t0_ns`` (clock time; recorded times count from it).
        ``camera``/``microphone`` describe the devices (``Camera.describe()``), ``camera_fps``
        is the camera's nominal rate. Creates the folder; raises ``RecordingError``."""
        if self._thread is not None:
            raise RuntimeError("the recorder has already started")
        problem = recording_problem(self.directory)
        if problem:
            raise RecordingError(f"{self.directory} {problem}")
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise RecordingError(f"cannot create {self.directory}: {exc.strerror or exc}") from None
        self._t0_ns = t0_ns
        self._camera, self._microphone = camera, microphone
        self._fps = camera_fps if 0 < camera_fps <= 240 else 30.0
        self._files = _Files(self.directory, self._fps)
        self._thread = threading.Thread(target=self._write, name="recorder", daemon=True)
        self._thread.start()

    def observe(self, event: Event) -> None:
        """Take one event of the session (never raises: a failing disk stops the recording,
        which ``finish`` reports, not the session)."""
        t0 = self._t0_ns
        if t0 is None or self._error:
            return
        t_ns = event.t_ns - t0
        if isinstance(event, VideoFrame):
            if self._frame_size is None:
                self._frame_size = (event.width, event.height)
            first = self._frame_span[0] if self._frame_span is not None else t_ns
            self._frame_span = (first, t_ns)
            if not self._room.acquire(blocking=False):
                self.frames_left_out += 1
                return
            # A copy: consumers may draw on their frame before the thread encodes it.
            self._queue.put(("frame", t_ns, event.image.copy()))
            self.frames += 1
            return
        if isinstance(event, AudioChunk):
            self._queue.put(("audio", t_ns, event.samples.copy()))
            self.audio_samples += len(event.samples)
            return
        if event.kind is EventKind.DATA:
            return  # speech audio streamed for captions: already in the microphone's WAV
        self._queue.put(("event", t0, event))  # turned into JSON on the thread
        self._note(t_ns, event)

    def finish(self, end_ns: int, *, ended_by: str = "") -> Recording:
        """Write the files out (blocking), ``scenario.yaml`` last; ``end_ns`` is the clock
        time the session ended. Raises ``RecordingError`` (nothing half-written is left)."""
        if self._thread is None or self._files is None or self._t0_ns is None:
            raise RuntimeError("the recorder has not started")
        self._queue.put(None)
        self._thread.join()
        files = self._files
        if self._error:
            files.discard(RecordingError(self._error))
            raise RecordingError(self._error)
        try:
            files.commit()
        except (OSError, cv2.error) as exc:
            files.discard(exc)
            raise RecordingError(f"cannot write into {self.directory}: {exc}") from None
        except RecordingError as exc:
            files.discard(exc)
            raise
        duration_s = (end_ns - self._t0_ns) / NS_PER_S
        expected = self._expected()
        text = self._scenario(files, duration_s, ended_by, expected)
        try:
            write_text(self.directory / SCENARIO, text)
        except OSError as exc:
            raise RecordingError(
                f"cannot write {self.directory / SCENARIO}: {exc.strerror or exc}"
            ) from None
        names = [v.name for v in files.videos] + [v.times_name for v in files.videos]
        names += [a.name for a in files.audios] + [EVENTS, SCENARIO]
        return Recording(
            directory=self.directory,
            frames=self.frames,
            frames_stored=sum(len(v.times_ns) for v in files.videos),
            frames_left_out=self.frames_left_out,
            audio_s=self.audio_samples / AUDIO_RATE,
            inputs=self._inputs,
            events=files.event_lines,
            expected=tuple(text for _, text in expected),
            files=tuple(names),
        )

    def _write(self) -> None:
        """The writer thread: encodes what ``observe`` queued until ``finish`` says stop."""
        files = self._files
        assert files is not None  # set by start() before the thread starts
        while (item := self._queue.get()) is not None:
            kind, t_ns, payload = item
            if kind == "frame":
                self._room.release()
            if self._error:
                continue  # drain the queue; nothing more is written
            try:
                if kind == "frame":
                    files.frame(t_ns, payload)
                elif kind == "audio":
                    files.audio(t_ns, payload)
                else:
                    files.event(_event_line(payload, t_ns))
            except RecordingError as exc:
                self._error = str(exc)
            except Exception as exc:  # a full disk, a failing encoder: reported by finish()
                self._error = f"cannot write into {self.directory}: {exc}"

    # -- what the scenario needs -------------------------------------------------------------

    def _note(self, t_ns: int, event: Event) -> None:
        if isinstance(event, Tap):
            self._input(t_ns, {"tap": "double" if event.count == 2 else 1})
        elif isinstance(event, Swipe):
            self._input(t_ns, {"swipe": event.direction})
        elif isinstance(event, HeadGesture):
            self._input(t_ns, {event.gesture: True})
        elif isinstance(event, DeviceLost | DeviceRestored):
            self._device_step(t_ns, event)
        elif isinstance(event, HudDrawn) and event.text.strip():
            if event.turn_id is None:
                self._loose_hud.append((t_ns, event.text))
                return
            if event.turn_id not in self._hud:
                self._hud_order.append(event.turn_id)
            self._hud[event.turn_id] = (t_ns, event.text)

    def _input(self, t_ns: int, action: dict[str, Any]) -> None:
        self._inputs += 1
        self._steps.append(_Step(t_ns, action))

    def _device_step(self, t_ns: int, event: DeviceLost | DeviceRestored) -> None:
        """A device lost and back: ``unplug:`` when it was lost, ``replug:`` a little before it
        came back. The replay's device loop retries on the live one's schedule (0.5 s, then
        doubling), so a replug half a back-off before the attempt that succeeded makes the
        same attempt succeed."""
        device = event.source
        if device not in ("camera", "microphone"):
            return
        if isinstance(event, DeviceLost):
            self._steps.append(_Step(t_ns, {"unplug": device}))
            return
        lost = max((s.t_ns for s in self._steps if s.action.get("unplug") == device), default=0)
        at = max(lost + 1_000_000, t_ns - round(_REPLUG_LEAD_S * NS_PER_S))
        self._steps.append(_Step(at, {"replug": device}))

    def _expected(self) -> list[tuple[int, str]]:
        """The HUD texts to expect, with when they were drawn: the last text each turn drew
        (a progressive answer's whole answer, not its first words), and texts drawn outside
        turns; each text once, in order."""
        seen: list[tuple[int, str]] = [self._hud[turn] for turn in self._hud_order]
        seen += self._loose_hud
        out: list[tuple[int, str]] = []
        for t_ns, text in sorted(seen, key=lambda item: item[0]):
            if all(text != known for _, known in out):
                out.append((t_ns, text))
        return out[:MAX_EXPECTATIONS]

    def _scenario(
        self, files: _Files, duration_s: float, ended_by: str, expected: list[tuple[int, str]]
    ) -> str:
        when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        timeline: list[dict[str, Any]] = []
        steps = [_Step(v.base_ns or 0, {"video": v}) for v in files.videos]
        steps += [_Step(a.start_ns, {"audio": a}) for a in files.audios]
        steps += self._steps
        counts: dict[str, int] = {}
        for step in sorted(steps, key=lambda s: s.t_ns):
            entry: dict[str, Any] = {"at": _seconds(step.t_ns)}
            ((action, value),) = step.action.items()
            name = "double_tap" if value == "double" else action
            counts[name] = counts.get(name, 0) + 1
            entry["id"] = f"{name}{counts[name]}"
            if isinstance(value, _Video):
                entry["video"] = _Flow(file=value.name, times=value.times_name)
            elif isinstance(value, _Audio):
                entry["audio"] = value.name
            else:
                entry[action] = value
            timeline.append(entry)
        if not timeline:
            timeline.append({"at": "0s", "wait": "0s"})
        last_step_s = max((s.t_ns for s in steps), default=0) / NS_PER_S
        run_s = max(duration_s, last_step_s) + REPLAY_MARGIN_S
        width, height = self._frame_size or (640, 480)
        device: dict[str, Any] = {"profile": self.profile}
        if 16 <= width <= 4096 and 16 <= height <= 4096:
            device["camera"] = _Flow(width=width, height=height, fps=self._replay_fps())
        device["microphone"] = _Flow(sample_rate=AUDIO_RATE, channels=1)
        device["echo"] = "off"  # the recorded audio already holds whatever the room gave back
        device["listen"] = self.listen
        data: dict[str, Any] = {
            "name": f"Recorded session, {when}",
            "description": self._description(duration_s, ended_by),
            "device": device,
            "timeline": timeline,
            "duration": f"{math.ceil(run_s * 1000) / 1000:.3f}s",
            "expect": [
                {
                    "name": f"on the HUD {t_ns / NS_PER_S:.3f} s into the recorded session",
                    "hud_contains": _Quoted(text),
                }
                for t_ns, text in expected
            ],
        }
        header = [
            f"# Recorded by `glasses run --record` on {when}; replays the session on the virtual",
            "# clock, through the same pipeline:",
            "#   glasses sim --headless scenario.yaml",
            "# (with the --config, --skill and --llm options of the recording, if it had any).",
            "# camera*.avi: the frames, lossless; camera*.times: when each was captured;",
            "# microphone*.wav: what the speech stages heard (16 kHz mono); events.jsonl: every",
            "# event of the session, times in ns from its start.",
            "# The expectations are the texts each turn left on the HUD: tighten them (after: a",
            "# step's id, within_ms) or add your own, e.g. what the HUD should have shown.",
        ]
        if not expected:
            header += [
                "# The HUD showed nothing in the session, so there is no expectation yet, and a",
                '# scenario needs one: add it under expect: (e.g. - hud_contains: "...").',
            ]
        body = yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=96)
        return "\n".join(header) + "\n" + body

    def _replay_fps(self) -> float:
        """The replay camera's rate: the camera's own, unless the frames came at a rate more
        than 10 % off it (a driver that reports 30 fps and delivers 15 in the dark)."""
        fps = self._fps
        span = self._frame_span
        if span is not None and self.frames + self.frames_left_out > 1 and span[1] > span[0]:
            measured = (self.frames + self.frames_left_out - 1) * NS_PER_S / (span[1] - span[0])
            if abs(measured - fps) > 0.1 * fps and 0 < measured <= 240:
                fps = measured
        return round(fps, 3)

    def _description(self, duration_s: float, ended_by: str) -> str:
        parts = [f"camera {self._camera}", f"microphone {self._microphone or 'none'}"]
        parts.append(f"{duration_s:.2f} s")
        if ended_by:
            parts.append(f"ended: {ended_by}")
        if self.frames_left_out:
            parts.append(f"{self.frames_left_out} frames left out of the recording")
        text = "Recorded with " + "; ".join(parts) + "."
        return f"{text} {self.note}".strip()


def _seconds(t_ns: int) -> str:
    return f"{max(0, t_ns) / NS_PER_S:.6f}s"


def _event_line(event: Event, t0_ns: int) -> str:
    """``event.to_dict()`` as one JSON line, its clock times made relative to ``t0_ns``."""
    out = event.to_dict()
    for key, value in out.items():
        if key.endswith("t_ns") and isinstance(value, int):
            out[key] = value - t0_ns
    return json.dumps(out, ensure_ascii=False, default=str)


class _Quoted(str):
    """A string written in double quotes (HUD texts: line breaks stay ``\\n``)."""


class _Dumper(yaml.SafeDumper):
    pass


def _quoted(dumper: yaml.SafeDumper, text: _Quoted) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", str(text), style='"')


class _Flow(dict[str, Any]):
    """A small mapping written on one line (``{file: camera.avi, times: camera.times}``)."""


def _flow(dumper: yaml.SafeDumper, data: _Flow) -> yaml.MappingNode:
    return dumper.represent_mapping("tag:yaml.org,2002:map", data.items(), flow_style=True)


def _plain_dict(dumper: yaml.SafeDumper, data: dict[str, Any]) -> yaml.MappingNode:
    return dumper.represent_mapping("tag:yaml.org,2002:map", data.items())


_Dumper.add_representer(_Quoted, _quoted)
_Dumper.add_representer(_Flow, _flow)
_Dumper.add_representer(dict, _plain_dict)  # in the order written, not sorted
