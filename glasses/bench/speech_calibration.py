"""Wake threshold calibration for ``glasses bench speech --calibrate``.

``sweep`` plays the ``wake`` clips, the ``oog`` clips and the distractor stream once through the
VAD stage into one real ``ListenStage`` per threshold (side by side on one runtime, on the
virtual clock: the counts do not depend on this machine's speed). ``choose_threshold`` picks the
threshold with the highest detect rate on held-out voices at <= ``MAX_FALSE_ACCEPTS_PER_HOUR``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from glasses.bench.speech_corpus import Clip, Corpus, DistractorStream, Progress
from glasses.bench.speech_listen import Heard, play, stream_wakes
from glasses.bench.speech_scoring import rate

if TYPE_CHECKING:
    from glasses.speech.commands import CommandPhrase
    from glasses.speech.vad import SileroVad
    from glasses.speech.wake import WakeSettings

SWEEP = (1e-50, 1e-45, 1e-40, 1e-35, 1e-30, 1e-25, 1e-20)  # PocketSphinx kws_threshold
MAX_FALSE_ACCEPTS_PER_HOUR = 0.5


@dataclass(frozen=True, slots=True)
class SweepRow:
    """One wake threshold, as the listen stage hears with it: the share of ``wake`` clips that
    woke it in held-out voices (``detect_rate``) and in the bench's training voices
    (``detect_rate_training``), false accepts in the distractor stream (held-out voices), and
    the share of held-out out-of-grammar utterances (no wake phrase) that woke it. Rates are
    fractions 0..1."""

    threshold: float
    detect_rate: float | None
    detect_rate_training: float | None
    false_accepts: int
    false_accepts_per_hour: float
    false_wake_rate_oog: float | None

    def record(self) -> dict[str, float | None]:
        """The row as a ``wake.toml`` sweep entry."""
        return {
            "threshold": self.threshold,
            "detect_rate": self.detect_rate,
            "detect_rate_training": self.detect_rate_training,
            "false_accepts_per_hour": self.false_accepts_per_hour,
            "false_wake_rate_oog": self.false_wake_rate_oog,
        }


def woke_rate(heard: Sequence[Heard], *, held_out: bool | None = None) -> float | None:
    """Share of ``heard`` clips (only held-out or only training voices, if asked) that woke."""
    picked = [h for h in heard if held_out is None or h.clip.held_out == held_out]
    return rate(sum(h.woke for h in picked), len(picked))


def sweep(
    corpus: Corpus,
    phrases: Sequence[CommandPhrase],
    vad: SileroVad,
    base: WakeSettings,
    thresholds: Sequence[float],
    stream: DistractorStream,
    *,
    warmup: Sequence[Clip] = (),
    progress: Progress = print,
) -> list[SweepRow]:
    """Every threshold (of ``base``'s backend) on the wake clips, the out-of-grammar clips and
    the distractor stream, one listen stage per threshold."""
    if not thresholds:
        raise ValueError("no thresholds to sweep")
    wakes = {f"listen@{t:g}": replace(base, threshold=t) for t in thresholds}
    n = len(wakes)
    progress(f"sweep: {n} listen stages on {len(corpus['wake'])} wake clips …")
    wake = play(corpus["wake"], phrases, vad, wakes, warmup=warmup, timed=False).heard
    progress(f"sweep: {n} listen stages on {len(corpus['oog'])} out-of-grammar clips …")
    oog = play(corpus["oog"], phrases, vad, wakes, warmup=warmup, timed=False).heard
    progress(f"sweep: {n} listen stages on {stream.minutes:g} min of distractor stream …")
    counts = stream_wakes(iter(stream), stream.samples, phrases, vad, wakes, progress=progress)
    return [
        SweepRow(
            threshold=w.threshold,
            detect_rate=woke_rate(wake[name], held_out=True),
            detect_rate_training=woke_rate(wake[name], held_out=False),
            false_accepts=len(counts[name]),
            false_accepts_per_hour=round(len(counts[name]) * 60 / stream.minutes, 3),
            false_wake_rate_oog=woke_rate(oog[name], held_out=True),
        )
        for name, w in wakes.items()
    ]


def choose_threshold(
    rows: Sequence[SweepRow], max_per_hour: float = MAX_FALSE_ACCEPTS_PER_HOUR
) -> tuple[SweepRow, bool]:
    """The row with the highest detect rate at <= ``max_per_hour`` false accepts (ties: fewer
    false wakes on out-of-grammar speech, then the higher threshold), and True; if none is
    within the bound, the one with the fewest false accepts, and False."""
    if not rows:
        raise ValueError("no thresholds were swept")
    within = [r for r in rows if r.false_accepts_per_hour <= max_per_hour]
    if within:
        best = max(
            within,
            key=lambda r: (r.detect_rate or 0.0, -(r.false_wake_rate_oog or 0.0), r.threshold),
        )
        return best, True
    best = min(rows, key=lambda r: (r.false_accepts, -(r.detect_rate or 0.0), -r.threshold))
    return best, False


def rule() -> str:
    """How ``choose_threshold`` chooses, in words (recorded in ``wake.toml``)."""
    return (
        f"highest detect rate on held-out voices at <= {MAX_FALSE_ACCEPTS_PER_HOUR:g} false "
        "accepts per hour (ties: fewer false wakes on out-of-grammar speech, then the higher "
        "threshold)"
    )


def calibration_record(
    rows: Sequence[SweepRow],
    chosen: SweepRow,
    meets_target: bool,
    *,
    corpus: str,
    date: str,
    figures: dict[str, float | None],
) -> dict[str, Any]:
    """The ``[calibration]`` table of ``wake.toml``: how the threshold was chosen."""
    return {
        "date": date,
        "tool": "glasses bench speech --calibrate",
        "corpus": corpus,
        "rule": rule(),
        "meets_target": meets_target,
        "detect_rate": chosen.detect_rate,
        "detect_rate_training": chosen.detect_rate_training,
        "false_accepts": chosen.false_accepts,
        "false_accepts_per_hour": chosen.false_accepts_per_hour,
        "false_wake_rate_oog": chosen.false_wake_rate_oog,
        "distractor_minutes": figures.get("distractor_minutes"),
        "wake_clips": int(figures.get("wake_clips") or 0),
        "oog_clips": int(figures.get("oog_clips") or 0),
        "sweep": [r.record() for r in rows],
    }
