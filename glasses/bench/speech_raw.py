"""The raw-library baseline of ``glasses bench speech``: a plain PocketSphinx JSGF decoder.

The same command and out-of-grammar clips as the listen stage hears, through
``pocketsphinx.Decoder(jsgf=…)`` with its default settings, one decoder for all clips (no
rejection pass, no warm-up, no VAD): what the library alone gives, for the side-by-side ratios.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from glasses.bench.speech_corpus import Clip
from glasses.bench.speech_scoring import pctl, rate

if TYPE_CHECKING:
    from glasses.speech.commands import CommandPhrase


def raw_pocketsphinx_figures(
    phrases: Sequence[CommandPhrase], commands: Sequence[Clip], oog: Sequence[Clip]
) -> dict[str, float | None]:
    """Right intents of ``commands``; ``oog`` clips it happens not to map to a complete phrase;
    the decode wall time per clip (p50, ms)."""
    import pocketsphinx

    from glasses.speech.commands import build_jsgf, normalize

    def intent_of(words: str) -> str | None:  # a slotted phrase's forms as well as fixed ones
        return next((p.intent for p in phrases if p.accepts(words)), None)

    with tempfile.TemporaryDirectory() as tmp:
        grammar = Path(tmp) / "commands.gram"
        grammar.write_text(build_jsgf(phrases), encoding="utf-8")
        decoder = pocketsphinx.Decoder(jsgf=str(grammar), loglevel="FATAL")  # FATAL: quiet

    ms: list[float] = []

    def decode(audio: np.ndarray) -> str | None:
        t = time.perf_counter()
        decoder.start_utt()
        decoder.process_raw(audio.tobytes())
        decoder.end_utt()
        hyp = decoder.hyp()
        ms.append((time.perf_counter() - t) * 1000)
        return intent_of(normalize(hyp.hypstr)) if hyp is not None else None

    right = sum(decode(c.audio) == c.intent for c in commands)
    rejected = sum(decode(c.audio) is None for c in oog)
    return {
        "raw_pocketsphinx_command_accuracy": rate(right, len(commands)),
        "raw_pocketsphinx_oog_rejection_rate": rate(rejected, len(oog)),
        "raw_pocketsphinx_ms_p50": pctl(ms, 50),
    }
