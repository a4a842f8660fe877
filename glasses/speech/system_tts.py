"""Debian's Flite and Festival synthesisers, run through their command lines: more voices.

These are *data* voices, not the product's: the wake word's training and the speech bench use
them so that neither learns nor measures one synthesiser (espeak-ng) alone. Nothing imports or
runs them unless a ``flite:<voice>`` or ``festival:<voice>`` voice is asked for, and without the
Debian package such a voice is a one-line ``TtsError`` naming the ``apt-get`` command.

- ``flite:<voice>``: CMU Flite 2.2 (package ``flite``, BSD-style licence): ``kal``, ``kal16``
  (diphone), ``awb``, ``rms``, ``slt`` (statistical parametric voices of three CMU ARCTIC
  speakers). Pitch moves the voice's mean F0; rate its duration stretch.
- ``festival:<voice>``: Festival 2.5 (package ``festival``, X11-style licence) with the
  ``festvox-kallpc16k`` (``kal``), ``festvox-kdlpc16k`` (``ked``) diphone voices and the
  ``festvox-us-slt-hts`` HMM voice (``slt_hts``). Rate moves its duration stretch; it has no
  pitch setting here (only 50).

Both are deterministic (the same text, voice, rate and pitch give the same samples), which the
speech cache and scenario reports rely on. Output is mono int16 at the voice's own rate.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from glasses.speech.tts import TtsError

FLITE_PREFIX = "flite:"
FESTIVAL_PREFIX = "festival:"
_TIMEOUT_S = 60.0
# Bump when the synthesis path changes what a request produces (a part of the TTS cache key).
# 2: Festival's HTS voice follows the rate.
SYNTH_VERSION = 2
_NATURAL_WPM = (
    170.0  # both synthesisers' speaking rate at stretch 1 (measured on the bench's sentences)
)


@dataclass(frozen=True, slots=True)
class SystemVoice:
    """A voice of a system synthesiser: ``program`` and Debian ``package`` that speak it,
    the synthesiser's own name for it, and its mean F0 in Hz (``None``: no pitch setting)."""

    program: str
    package: str
    name: str
    f0_hz: float | None


VOICES: dict[str, SystemVoice] = {
    "flite:kal": SystemVoice("flite", "flite", "kal", 105.0),
    "flite:kal16": SystemVoice("flite", "flite", "kal16", 105.0),
    "flite:awb": SystemVoice("flite", "flite", "awb", 115.0),
    "flite:rms": SystemVoice("flite", "flite", "rms", 100.0),
    "flite:slt": SystemVoice("flite", "flite", "slt", 170.0),
    "festival:kal": SystemVoice("text2wave", "festival festvox-kallpc16k", "kal_diphone", None),
    "festival:ked": SystemVoice("text2wave", "festival festvox-kdlpc16k", "ked_diphone", None),
    "festival:slt_hts": SystemVoice(
        "text2wave", "festival festvox-us-slt-hts", "cmu_us_slt_arctic_hts", None
    ),
}


def is_system_voice(voice: str) -> bool:
    """True for a ``flite:`` or ``festival:`` voice name (known or not, installed or not)."""
    return voice.startswith((FLITE_PREFIX, FESTIVAL_PREFIX))


def voice_info(voice: str) -> SystemVoice:
    """The voice ``voice`` names; ``TtsError`` for one we do not know."""
    info = VOICES.get(voice)
    if info is None:
        family = FLITE_PREFIX if voice.startswith(FLITE_PREFIX) else FESTIVAL_PREFIX
        known = ", ".join(v for v in VOICES if v.startswith(family))
        raise TtsError(f"no voice {voice!r} — known: {known}")
    return info


def cache_tag(voice: str) -> list[object]:
    """What a cached clip of ``voice`` also depends on: our synthesis version and the program."""
    return [SYNTH_VERSION, voice_info(voice).program]


def check_voice(voice: str) -> None:
    """Raise ``TtsError`` unless ``voice`` is known and its program is installed (one line
    naming the ``apt-get install`` that provides it)."""
    info = voice_info(voice)
    if shutil.which(info.program) is None:
        raise TtsError(
            f"{voice} needs {info.program}, which is not installed — apt-get install {info.package}"
        )
    if info.program == "text2wave" and not _festival_has(info.name):
        raise TtsError(f"Festival has no voice {info.name} — apt-get install {info.package}")


def _festival_has(name: str) -> bool:
    roots = (Path("/usr/share/festival/voices"), Path("/usr/lib/festival/voices"))
    return any(any(root.glob(f"*/{name}")) for root in roots if root.is_dir())


def synthesize(text: str, voice: str, rate_wpm: int, pitch: int) -> tuple[np.ndarray, int]:
    """Speak ``text``: (mono int16 samples, sample rate in Hz). ``rate_wpm`` words per minute,
    ``pitch`` 0..99 (50: the voice's own; ±50 moves a Flite voice's F0 by a factor of
    2^±0.5). Raises ``TtsError`` when the program is missing or fails."""
    check_voice(voice)
    info = voice_info(voice)
    stretch = _NATURAL_WPM / rate_wpm
    with tempfile.TemporaryDirectory(prefix="glasses-tts-") as tmp:
        out = Path(tmp) / "speech.wav"
        if info.program == "flite":
            if info.f0_hz is None:  # pragma: no cover - every Flite voice has one
                raise TtsError(f"{voice} has no pitch setting")
            f0 = info.f0_hz * 2 ** ((pitch - 50) / 100)
            settings = [f"duration_stretch={stretch:.4f}", f"int_f0_target_mean={f0:.2f}"]
            args = ["flite", "-voice", info.name, "-t", text, "-o", str(out)]
            for setting in settings:
                args += ["--setf", setting]
        else:
            if pitch != 50:
                raise ValueError(f"{voice} has no pitch setting (got pitch {pitch}; use 50)")
            script = Path(tmp) / "text.txt"
            script.write_text(text, encoding="utf-8")
            if info.name.endswith("_hts"):
                # An HTS voice ignores Duration_Stretch; its engine's own speed (-r) works.
                speed = f'(list "-r" {1 / stretch:.4f})'
                rate = f"(set! hts_engine_params (append hts_engine_params (list {speed})))"
            else:
                rate = f"(Parameter.set 'Duration_Stretch {stretch:.4f})"
            setup = f"(begin (voice_{info.name}) {rate})"
            args = ["text2wave", "-eval", setup, str(script), "-o", str(out)]
        try:
            done = subprocess.run(args, capture_output=True, timeout=_TIMEOUT_S, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise TtsError(f"{voice}: {info.program} failed: {exc}") from exc
        if done.returncode != 0 or not out.is_file():
            err = done.stderr.decode(errors="replace").strip().splitlines()
            raise TtsError(f"{voice}: {info.program} failed: {err[-1] if err else done.returncode}")
        return _read_wav(out)


def _read_wav(path: Path) -> tuple[np.ndarray, int]:
    with wave.open(str(path), "rb") as w:
        if w.getsampwidth() != 2:
            raise TtsError(f"{path.name}: expected 16-bit PCM, got {8 * w.getsampwidth()}-bit")
        samples = np.frombuffer(w.readframes(w.getnframes()), "<i2")
        channels, rate = w.getnchannels(), w.getframerate()
    if channels > 1:
        samples = samples.reshape(-1, channels)[:, 0]
    return samples.astype(np.int16), rate
