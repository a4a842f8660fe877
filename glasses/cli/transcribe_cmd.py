"""``glasses transcribe AUDIO [--backend pocketsphinx|vosk|whisper] [--model DIR]``: a WAV's
transcript.

Any PCM WAV (8–32-bit, 8–192 kHz, 1–8 channels) is converted to 16 kHz mono first.
``--backend vosk`` uses the Vosk model directory ``--model DIR``, or by default the
``vosk-small-en`` model (``glasses models pull vosk-small-en``); it needs
``pip install 'glasses[vosk]'``. ``--backend whisper`` uses Whisper base, joined from its pip
packages into the model cache on first use (``--model DIR``: another faster-whisper model
directory, e.g. the pulled ``whisper-small``); no network. Whisper is the default: on real read
speech it makes 4 % word errors, PocketSphinx 22–39 %.

exit codes: 0 transcribed (an empty line when nothing was recognised); 2 the audio is missing,
unreadable or unsupported, or ``--model`` was given to pocketsphinx; 3 the recogniser cannot be
loaded: package or model missing or unusable (one-line message with the fix).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import numpy as np

EXIT_OK = 0
EXIT_AUDIO = 2
EXIT_BACKEND = 3


def add_parser(sub: Any) -> None:
    from glasses.speech.dictation import BACKENDS, DEFAULT_BACKEND

    p = sub.add_parser("transcribe", help="print the transcript of a WAV file (offline)")
    p.add_argument("audio", type=Path, help="WAV file (any rate, any channels)")
    p.add_argument(
        "--backend",
        choices=BACKENDS,
        default=DEFAULT_BACKEND,
        help="recogniser (default: %(default)s)",
    )
    p.add_argument(
        "--model",
        type=Path,
        default=None,
        metavar="DIR",
        help="vosk: an unpacked Vosk model directory (default: the pulled vosk-small-en); "
        "whisper: a faster-whisper model directory (default: whisper-base)",
    )
    p.set_defaults(func=run)


def load_audio(path: Path) -> np.ndarray:
    """The whole file as 16 kHz mono int16; raises ``DeviceError`` (one line) if it cannot,
    or if it holds no audio (a WAV of 0 frames would otherwise print nothing, as silence does)."""
    from glasses.devices.errors import UnreadableMedia
    from glasses.devices.file import FileMicrophone

    mic = FileMicrophone(path, chunk_samples=16_000)
    mic.open()
    try:
        chunks = []
        while (chunk := mic.read()) is not None:
            chunks.append(chunk)
    finally:
        mic.close()
    audio = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int16)
    if not len(audio):
        raise UnreadableMedia(
            "microphone", f"file:{path}", f"{path} holds no audio (0 samples)",
            "record again, or check the file's data chunk",
        )  # fmt: skip
    return audio


def run(args: argparse.Namespace) -> int:
    from glasses.devices.errors import DeviceError
    from glasses.speech.dictation import UNAVAILABLE, transcribe
    from models.registry import ModelError, default_registry

    if args.model is not None and args.backend == "pocketsphinx":
        print("glasses transcribe: --model DIR is for --backend vosk or whisper", file=sys.stderr)
        return EXIT_AUDIO
    if not args.audio.exists():
        print(f"glasses transcribe: {args.audio}: no such file", file=sys.stderr)
        return EXIT_AUDIO
    try:
        audio = load_audio(args.audio)
    except DeviceError as exc:
        print(f"glasses transcribe: {exc}", file=sys.stderr)
        return EXIT_AUDIO
    unavailable: tuple[type[Exception], ...] = (*UNAVAILABLE, ModelError)
    try:
        if args.backend == "pocketsphinx":  # the bundled model, checked against the manifest
            default_registry().check("pocketsphinx-en-us")
        text = transcribe(audio, backend=args.backend, model_dir=args.model)
    except unavailable as exc:
        print(f"glasses transcribe: {exc}", file=sys.stderr)
        return EXIT_BACKEND
    print(text)
    return EXIT_OK
