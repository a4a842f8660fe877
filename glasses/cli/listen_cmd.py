"""``glasses listen AUDIO``: wake-word detections and recognised commands in a WAV file.

Prints one line per finding, times in seconds from the start of the file::

    1.216  wake      hey glasses  (score 0.81)
    2.304  command   scan         "scan this"
    5.120  rejected  out of grammar  (heard "read this")

After each wake word, the command is the rest of that utterance (as cut by the voice activity
detector) when it lasts at least ``MIN_COMMAND_S``, otherwise the next utterance beginning
within ``COMMAND_WINDOW_S``. Speech without a wake word before it is ignored.

exit codes: 0 listened (even if nothing was found); 2 the audio is missing, unreadable or
unsupported; 3 a speech model cannot be loaded.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from glasses.cli.transcribe_cmd import EXIT_AUDIO, EXIT_BACKEND, EXIT_OK, load_audio

NS_PER_S = 1_000_000_000
RATE = 16_000
MIN_COMMAND_S = 0.3
COMMAND_WINDOW_S = 5.0


@dataclass(frozen=True, slots=True)
class Finding:
    """``kind``: "wake", "command" or "rejected"; ``t_ns`` from the start of the audio."""

    t_ns: int
    kind: str
    text: str
    detail: str = ""

    def line(self) -> str:
        return f"{self.t_ns / NS_PER_S:7.3f}  {self.kind:<8}  {self.text}  {self.detail}".rstrip()


def add_parser(sub: Any) -> None:
    p = sub.add_parser("listen", help="print wake words and commands heard in a WAV file")
    p.add_argument("audio", type=Path, help="WAV file (any rate, any channels)")
    p.set_defaults(func=run)


def speech_segments(audio: np.ndarray) -> list[tuple[int, int]]:
    """(start, end) sample indices of the utterances Silero VAD finds in 16 kHz audio."""
    from glasses.runtime.events import AudioChunk
    from glasses.speech import Endpointer, Rechunker, SileroVad

    vad, ends, rechunk = SileroVad(), Endpointer(), Rechunker()
    frames = rechunk.push(AudioChunk(t_ns=0, samples=audio)) + rechunk.flush()
    scores = [(vad.probability(f.window), f.t_ns, f.end_t_ns) for f in frames]
    if scores:
        # Speech running to the end of the file: close it with one long silent frame.
        end_ns = scores[-1][2]
        scores.append((0.0, end_ns, end_ns + int(ends.settings.stop_hangover_ms * 1e6) + 1))
    out: list[tuple[int, int]] = []
    for probability, start_ns, end_ns in scores:
        ep = ends.update(probability, start_ns, end_ns)
        if ep is not None and ep.kind == "ended" and ep.speech_end_ns is not None:
            start, end = ep.speech_start_ns, min(ep.speech_end_ns, len(audio) * NS_PER_S // RATE)
            out.append((start * RATE // NS_PER_S, end * RATE // NS_PER_S))
    return out


def listen(audio: np.ndarray) -> list[Finding]:
    """Wake words, then the command after each, in 16 kHz mono int16 ``audio``."""
    from glasses.assistant.skills import builtin_skills
    from glasses.speech.commands import CommandRecognizer, phrases_from_skills
    from glasses.speech.wake import spot

    wakes = spot(audio)
    segments = speech_segments(audio)
    commands = CommandRecognizer(phrases_from_skills(builtin_skills()))
    found: list[Finding] = []
    for wake in wakes:
        found.append(Finding(wake.t_ns, "wake", wake.phrase, f"(score {wake.score:.2f})"))
        at = wake.t_ns * RATE // NS_PER_S
        span: tuple[int, int] | None = None
        for start, end in segments:
            if start <= at < end and end - at >= MIN_COMMAND_S * RATE:
                span = (at, end)
                break
            if at <= start <= at + COMMAND_WINDOW_S * RATE:
                span = (start, end)
                break
        if span is None:
            continue
        pad = int(0.3 * RATE)  # context either side, as in the calibration of min_margin
        clip = audio[max(span[0] - pad, at) : span[1] + pad]
        result = commands.recognize(clip)
        t_end = min(len(audio), span[1] + pad) * NS_PER_S // RATE
        if result.intent is not None:
            found.append(Finding(t_end, "command", result.intent, f'"{result.phrase}"'))
        else:
            heard = f'(heard "{result.hypothesis}")' if result.hypothesis else ""
            found.append(Finding(t_end, "rejected", result.rejected, heard))
    return found


def run(args: argparse.Namespace) -> int:
    from glasses.devices.errors import DeviceError
    from glasses.speech._sphinx import SphinxUnavailable
    from glasses.speech.vad import VadModelError

    if not args.audio.exists():
        print(f"glasses listen: {args.audio}: no such file", file=sys.stderr)
        return EXIT_AUDIO
    try:
        audio = load_audio(args.audio)
    except DeviceError as exc:
        print(f"glasses listen: {exc}", file=sys.stderr)
        return EXIT_AUDIO
    try:
        findings = listen(audio)
    except (SphinxUnavailable, VadModelError) as exc:
        print(f"glasses listen: {exc}", file=sys.stderr)
        return EXIT_BACKEND
    for f in findings:
        print(f.line())
    return EXIT_OK
