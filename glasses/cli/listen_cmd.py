"""``glasses listen AUDIO``: wake-word detections and recognised commands in a WAV file.

Prints one line per finding, times in seconds from the start of the file::

    1.216  wake      hey glasses  (score 0.81)
    2.304  command   scan         "scan this"
    7.480  command   ask          "What time is it?"
    9.120  rejected  no question heard  (heard "Thank you.")

The file goes through the same stages as the glasses' microphone (``VadStage`` then
``ListenStage``, on the virtual clock): after each wake word, the command is the rest of that
utterance, or the next utterance within a few seconds; what the grammar rejects is transcribed
by Whisper and becomes a question (``ask``) when it holds words. Speech without a wake word is
ignored.

exit codes: 0 listened (even if nothing was found); 2 the audio is missing, unreadable or
unsupported; 3 a speech model cannot be loaded, or its files are not what the model manifest
says (one line with the fix).
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
CHUNK = 512  # samples per chunk, as a microphone delivers them


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


def listen(audio: np.ndarray) -> list[Finding]:
    """Wake words, then the command after each, in 16 kHz mono int16 ``audio``.

    The file is played, chunk by chunk, through the runtime's own ``VadStage`` and
    ``ListenStage`` on the virtual clock: what is printed is what the glasses would do.
    """
    from glasses.app.pipeline import check_speech_models
    from glasses.assistant.skills import builtin_skills
    from glasses.runtime import (
        AudioChunk,
        CommandRejected,
        Event,
        Intent,
        Runtime,
        VirtualClock,
        WakeWord,
    )
    from glasses.speech.commands import phrases_from_skills
    from glasses.speech.listen_stage import ListenSettings, ListenStage
    from glasses.speech.open_speech import new_open_speech
    from glasses.speech.vad_stage import VadStage

    check_speech_models()  # as build_pipeline does: Silero VAD and PocketSphinx, hash-checked
    clock = VirtualClock()
    runtime = Runtime(clock)
    runtime.add_stage(VadStage(stream_audio=True))
    settings = ListenSettings()
    # As build_pipeline wires it: what the grammar rejects goes to open speech (Whisper).
    open_speech = new_open_speech(settings.open_speech)
    runtime.add_stage(
        ListenStage(phrases_from_skills(builtin_skills()), settings, open_speech=open_speech)
    )
    found: list[Finding] = []

    def record(e: Event) -> None:
        if isinstance(e, WakeWord):
            found.append(Finding(e.heard_t_ns, "wake", e.phrase, f"(score {e.score:.2f})"))
        elif isinstance(e, Intent):
            found.append(Finding(e.t_ns, "command", e.name, f'"{e.phrase}"'))
        elif isinstance(e, CommandRejected):
            heard = f'(heard "{e.heard}")' if e.heard else ""
            found.append(Finding(e.t_ns, "rejected", e.reason, heard))

    runtime.observe(record)
    # Half a second of the file's own quietest level after it, so speech that runs to the
    # end of the file is closed by the detector's stop hangover, as a live stream would be.
    tail = np.zeros(RATE // 2, dtype=np.int16)

    async def play() -> None:
        await runtime.start()
        samples = np.concatenate([audio, tail])
        for i in range(0, len(samples), CHUNK):
            t_ns = i * NS_PER_S // RATE
            await clock.sleep_until(t_ns + CHUNK * NS_PER_S // RATE)
            runtime.publish(AudioChunk(t_ns=t_ns, source="file", samples=samples[i : i + CHUNK]))
        await clock.sleep(2.0)  # let the last utterance be decided and decoded
        await runtime.stop()

    clock.run(play())
    failed = runtime.supervisor.failed
    if failed:
        raise RuntimeError("; ".join(f"{k}: {v}" for k, v in failed.items()))
    return sorted(found, key=lambda f: f.t_ns)


def run(args: argparse.Namespace) -> int:
    from glasses.devices.errors import DeviceError
    from glasses.speech._sphinx import SphinxUnavailable
    from glasses.speech.vad import VadModelError
    from models.registry import ModelError

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
    except (SphinxUnavailable, VadModelError, ModelError) as exc:
        print(f"glasses listen: {exc}", file=sys.stderr)
        return EXIT_BACKEND
    for f in findings:
        print(f.line())
    return EXIT_OK
