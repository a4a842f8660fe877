"""``glasses run``: the webcam demo, a camera and a microphone through the assistant, live,
with its replies spoken through a speaker.

The session itself is :func:`glasses.app.live.run_live`; this module parses the options, prints
what happens (headless: one line per HUD change, then a summary) and turns device problems into
one-line messages and exit codes.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from glasses.cli import assistant_options, hud_options
from glasses.cli.arg_types import positive_number

if TYPE_CHECKING:  # the session modules load OpenCV: imported when the command runs
    from glasses.app.live import LiveConfig, LiveStarted, LiveSummary
    from glasses.hud.pictures import HudPictures
    from glasses.runtime.clock import Clock
    from glasses.runtime.events import Event

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_DEVICE = 3

NO_CAMERAS = "no cameras found"
NO_MICROPHONES = (
    "no microphones found (install glasses[audio] and libportaudio2 for microphone support)"
)
NO_SPEAKERS = "no speakers found (install glasses[audio] and libportaudio2 for sound output)"
NO_SPEAKER_NOTICE = "no speaker: replies are shown, not spoken"

EPILOG = """\
devices:
  --camera  usb:N, default, file:PATH (image, folder of images or video), sim:
  --mic     usb:N, default, file:PATH.wav, sim:, or none (no microphone)
  --speaker auto (the default output if there is one, else none, with a notice), default,
            usb:N, file:PATH.wav (every reply written to one WAV), sim:, or none
  The session ends after --duration seconds, when every file source has ended (a video, a
  folder, a WAV), or on Ctrl-C. A single image repeats forever: give it a --duration.

output:
  One line per HUD change, then a summary (frames, frames dropped by the flow limiter, frames
  of a damaged video skipped, audio chunks, HUD updates, replies spoken, stage latencies,
  capture LED). This plain output is
  what --headless asks for and what a pipe always gets; for now a terminal gets it too.

record:
  --record DIR writes the session into DIR, a new or empty folder: the camera's frames
  (lossless), what the microphone heard, the taps, swipes and gestures, every event, and
  DIR/scenario.yaml, which replays it: glasses sim --headless DIR/scenario.yaml

exit codes:
  0  the session ran and ended (duration, end of the files, or Ctrl-C)
  1  a stage or source crashed and gave up during the session, or the recording could not
     be written
  2  usage error (bad option, unknown profile, malformed device URI), or the config file,
     a --skill or the language model cannot be set up (one line per problem)
  3  device error: a camera, microphone or speaker asked for is missing, unreadable or failed,
     or a model file is missing or not what the model manifest says (one-line message with
     the fix)
"""


_seconds = positive_number("a number of seconds")


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "run",
        help="run the assistant live on a camera and microphone (webcam demo)",
        description="Run the assistant on a real camera and microphone, or on files, on the "
        "real clock: QR codes and barcodes in view appear on the emulated HUD.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--camera", default="usb:0", metavar="URI", help="camera URI (default usb:0)")
    p.add_argument(
        "--mic",
        "--microphone",
        dest="mic",
        default="default",
        metavar="URI",
        help="microphone URI, or none (default: default, the system's input)",
    )
    p.add_argument(
        "--speaker",
        default="auto",
        metavar="URI",
        help="speaker URI for the spoken replies, auto or none (default: auto, the system's "
        "output if there is one)",
    )
    p.add_argument(
        "--duration",
        type=_seconds,
        metavar="SECONDS",
        help="end the session after this many seconds (default: when the files end, or Ctrl-C)",
    )
    p.add_argument(
        "--headless",
        action="store_true",
        help="plain output: HUD changes, then a summary (always so when stdout is not a tty)",
    )
    p.add_argument(
        "--list-devices",
        action="store_true",
        help="list the cameras, microphones and speakers found",
    )
    p.add_argument(
        "--record",
        type=Path,
        metavar="DIR",
        help="record the session into DIR (new or empty) as a scenario that replays it",
    )
    assistant_options.add_options(p, profile=True)
    hud_options.add_options(p)
    p.set_defaults(func=run)


def _error(message: str) -> None:
    print(f"glasses run: {message}", file=sys.stderr, flush=True)


def list_devices(out: TextIO) -> int:
    from glasses.devices.usb import list_devices as probe

    found = probe()
    print("cameras:", file=out)
    for line in found["cameras"] or [NO_CAMERAS]:
        print(f"  {line}", file=out)
    print("microphones:", file=out)
    for line in found["microphones"] or [NO_MICROPHONES]:
        print(f"  {line}", file=out)
    print("speakers:", file=out)
    for line in found["speakers"] or [NO_SPEAKERS]:
        print(f"  {line}", file=out)
    return EXIT_OK


def _choose_speaker(choice: str) -> tuple[str | None, str]:
    """``--speaker`` to (speaker URI or None, notice to print once the session runs, or "").

    ``auto`` is ``default`` when the system has an output that opens, else no speaker and a
    notice saying why. The probe only asks PortAudio about the device (nothing is played); the
    session opens it again. Any device error counts as "no speaker" here: ``auto`` never stops
    a session. The notice waits for the session to start, so that a session that cannot start
    prints only the error that stops it.
    """
    from glasses.devices.errors import DeviceError
    from glasses.devices.uri import open_speaker

    word = choice.strip().lower()
    if word == "none":
        return None, ""
    if word != "auto":
        return choice, ""
    speaker = open_speaker("default")
    try:
        speaker.open()
    except DeviceError as exc:
        return None, f"{NO_SPEAKER_NOTICE} ({exc})"
    finally:
        speaker.close()
    return "default", ""


def run(args: argparse.Namespace) -> int:
    from glasses.app.live import LiveConfig
    from glasses.app.recorder import RecordingError
    from glasses.devices.errors import BadDeviceUri, DeviceError
    from glasses.runtime.clock import RealClock
    from models.registry import ModelError

    if args.list_devices:
        return list_devices(sys.stdout)
    try:  # the config file and --profile, --skill, --llm…: checked, the model loaded
        settings = assistant_options.load(args)
        setup = assistant_options.assistant_setup(args, settings, simulator=False)
    except assistant_options.SetupError as exc:
        for line in str(exc).splitlines():
            _error(line)
        return EXIT_USAGE
    problem = hud_options.problem(args)
    if problem:
        _error(problem)
        return EXIT_USAGE
    pictures = hud_options.recorder(args)
    if args.record is not None:
        from glasses.app.recorder import recording_problem

        if problem := recording_problem(args.record):
            _error(f"--record {args.record} {problem}")
            return EXIT_USAGE
    mic = None if args.mic.strip().lower() == "none" else args.mic
    speaker, notice = _choose_speaker(args.speaker)
    config = LiveConfig(
        camera=args.camera,
        mic=mic,
        profile=settings.profile,
        duration_s=args.duration,
        speaker=speaker,
        listen=settings.listen_settings(),
        assistant=setup,
        record=args.record,
    )
    if not args.headless and _interactive():
        code = _run_tui(config, notice, pictures)
        if pictures is not None and not hud_options.write(args, pictures, prog="glasses run"):
            return EXIT_USAGE
        return code
    out = HeadlessOutput(sys.stdout, notice=notice)
    clock = RealClock()
    try:
        summary = clock.run(_session(config, out, clock, pictures))
    except BadDeviceUri as exc:
        _error(str(exc))
        return EXIT_USAGE
    except (DeviceError, ModelError) as exc:
        _error(str(exc))
        return EXIT_DEVICE
    except RecordingError as exc:
        _error(f"--record: {exc}")
        return EXIT_FAILED
    out.summary(summary)
    if summary.recording is not None:
        for line in summary.recording.describe():
            out._line(line)
    if out.broken:
        raise BrokenPipeError  # the reader went away (``| head``): main() exits quietly
    if pictures is not None and not hud_options.write(args, pictures, prog="glasses run"):
        return EXIT_USAGE
    for message in summary.errors:
        _error(message)
    if summary.errors:
        return EXIT_DEVICE
    for task, error in summary.failed.items():
        _error(f"{task} crashed and gave up: {error}")
    return EXIT_FAILED if summary.failed else EXIT_OK


def _interactive() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty() and not os.environ.get("CI")


def _run_tui(config: LiveConfig, notice: str = "", pictures: HudPictures | None = None) -> int:
    """The same TUI as ``glasses sim``, on the live devices (keys: tap, swipe, nod, shake);
    ``pictures`` watch the HUD."""
    from glasses.devices.errors import BadDeviceUri, DeviceError
    from models.registry import ModelError
    from simulator.tui.app import GlassesApp
    from simulator.tui.live_session import LiveSession

    def on_start(info: LiveStarted) -> None:
        if pictures is not None:
            pictures.begin(info.t_ns, info.profile)

    observers = [pictures.observe] if pictures is not None else []
    session = LiveSession(config, observers=observers, on_start=on_start)
    try:
        session.start()  # opens the devices: their errors come out here, before the TUI
    except BadDeviceUri as exc:
        _error(str(exc))
        return EXIT_USAGE
    except (DeviceError, ModelError) as exc:
        _error(str(exc))
        return EXIT_DEVICE
    if notice:
        _error(notice)
    GlassesApp(session, start_session=False, title="glasses run").run()
    session.stop()
    return EXIT_OK


async def _session(
    config: LiveConfig, out: HeadlessOutput, clock: Clock, pictures: HudPictures | None = None
) -> LiveSummary:
    from glasses.app.live import run_live

    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    out.on_broken = stop.set  # nobody reads the output any more: end the session

    def on_sigint() -> None:
        if stop.is_set():  # a second Ctrl-C: give the default handler back (force quit)
            loop.remove_signal_handler(signal.SIGINT)
        stop.set()

    try:
        loop.add_signal_handler(signal.SIGINT, on_sigint)
        handled = True
    except (NotImplementedError, RuntimeError, ValueError):  # Windows, or not the main thread
        handled = False  # Ctrl-C then raises KeyboardInterrupt; the runtime still stops

    def on_event(event: Event) -> None:
        out.event(event)
        if pictures is not None:
            pictures.observe(event)

    def on_start(info: LiveStarted) -> None:
        out.started(info)
        if pictures is not None:
            pictures.begin(info.t_ns, info.profile)

    try:
        return await run_live(config, on_event=on_event, on_start=on_start, stop=stop, clock=clock)
    finally:
        if handled:
            loop.remove_signal_handler(signal.SIGINT)


class HeadlessOutput:
    """Prints the session as lines: a header, HUD changes and device trouble, a summary.

    ``notice`` (e.g. "no speaker: …") goes to stderr once the session has started.
    """

    def __init__(self, out: TextIO, *, notice: str = "") -> None:
        self.out = out
        self.notice = notice
        self.t0_ns: int | None = None
        self.mic = True
        self.speaker = False
        self.shown = ""
        self.broken = False  # the reader closed the pipe; nothing more is printed
        self.on_broken: Callable[[], None] | None = None

    def _line(self, text: str) -> None:
        if self.broken:
            return
        try:
            print(text, file=self.out, flush=True)
        except BrokenPipeError:
            # Raising here would crash whichever stage published the event being printed.
            self.broken = True
            if self.on_broken is not None:
                self.on_broken()

    def _stamp(self, t_ns: int) -> str:
        t0 = self.t0_ns if self.t0_ns is not None else t_ns
        return f"[{(t_ns - t0) / 1e9:7.3f} s]"

    def started(self, info: LiveStarted) -> None:
        if self.notice:
            _error(self.notice)
        self.t0_ns = info.t_ns
        self.mic = info.mic is not None
        self.speaker = info.speaker is not None
        p = info.profile
        self._line(f"camera      {info.camera}")
        self._line(f"microphone  {info.mic or 'none'}")
        self._line(f"speaker     {info.speaker or 'none'}")
        self._line(f"profile     {p.name} — {p.description or f'{p.width_px}×{p.height_px}'}")
        self._line("running … (Ctrl-C to stop)")

    def event(self, event: Event) -> None:
        from glasses.runtime.events import DeviceLost, DeviceRestored, HudDrawn, StageCrashed

        if isinstance(event, HudDrawn):
            if event.text == self.shown:
                return  # redrawn, not changed
            self.shown = event.text
            hud = " | ".join(event.text.splitlines()) if event.text else "(clear)"
            self._line(f"{self._stamp(event.t_ns)} HUD: {hud}")
        elif isinstance(event, DeviceLost):
            self._line(
                f"{self._stamp(event.t_ns)} {event.source} {event.device} lost: {event.reason}"
            )
        elif isinstance(event, DeviceRestored):
            self._line(
                f"{self._stamp(event.t_ns)} {event.source} {event.device} back "
                f"after {event.attempts} attempt(s)"
            )
        elif isinstance(event, StageCrashed):
            what = (
                f"crashed {event.restart} times and gave up (it stays down)"
                if event.gave_up
                else "crashed"
            )
            self._line(f"{self._stamp(event.t_ns)} {event.stage} {what}: {event.error}")

    def summary(self, s: LiveSummary) -> None:
        from glasses.app.live import ENDED_BY

        why = ENDED_BY[s.ended_by]
        rows = [
            ("frames captured", str(s.frames)),
            ("frames dropped", f"{s.frames_dropped} (flow limiter)"),
        ]
        if s.frames_skipped:
            rows.append(("frames skipped", f"{s.frames_skipped} (undecodable, in the video)"))
        rows += [
            ("audio chunks", f"{s.audio_chunks} ({s.audio_s:.2f} s)" if self.mic else "0 (no mic)"),
            ("HUD updates", str(s.hud_updates)),
        ]
        if self.speaker:
            rows.append(("replies spoken", f"{s.replies_spoken} ({s.spoken_s:.2f} s)"))
        if s.audio_held_back_s or s.queue_overflows:
            lag = f"{s.audio_held_back_s:.2f} s behind, {s.queue_overflows} queue overflows"
            rows.append(("audio lagged", f"{lag}; nothing dropped"))
        if s.device_losses:
            rows.append(("devices lost", str(s.device_losses)))
        if s.failed:
            rows.append(("gave up", ", ".join(sorted(s.failed))))
        self._line(f"ended after {s.duration_s:.2f} s: {why}")
        for label, value in rows:
            self._line(f"  {label:<18}{value}")
        self._line(f"  {'latency (ms)':<18}{'p50':>8} {'p95':>8}  events")
        for st in s.stages:
            p50, p95 = (f"{st.p50_ms:8.1f}", f"{st.p95_ms:8.1f}") if st.processed else ("-", "-")
            self._line(f"    {st.stage:<16}{p50:>8} {p95:>8}  {st.processed}")
        self._line(f"  {'capture LED':<18}{'on' if s.led_on else 'off'}")
