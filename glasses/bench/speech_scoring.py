"""Scoring for the speech benchmark: words, word edits and WER, rates and percentiles."""

from __future__ import annotations

from collections.abc import Sequence

from glasses.runtime.metrics import percentile


def words(text: str) -> list[str]:
    """Lower-case words (letters and apostrophes), as WER compares them."""
    from glasses.speech.commands import normalize

    return normalize(text).split()


def word_edits(reference: Sequence[str], hypothesis: Sequence[str]) -> int:
    """Levenshtein distance in words: substitutions + deletions + insertions."""
    from glasses.speech.commands import edit_distance

    return edit_distance(reference, hypothesis)


def word_error_rate(reference: str, hypothesis: str) -> float:
    """Word edits / reference words (0 is perfect; can exceed 1 with many insertions).
    An empty reference gives 0.0 for an empty hypothesis, else 1.0."""
    ref, hyp = words(reference), words(hypothesis)
    if not ref:
        return 0.0 if not hyp else 1.0
    return word_edits(ref, hyp) / len(ref)


def corpus_wer(pairs: Sequence[tuple[str, str]]) -> float | None:
    """All word edits / all reference words over (reference, hypothesis) pairs (None: no
    reference words)."""
    edits = total = 0
    for reference, hypothesis in pairs:
        ref = words(reference)
        edits += word_edits(ref, words(hypothesis))
        total += len(ref)
    return round(edits / total, 4) if total else None


def rate(hits: int, n: int) -> float | None:
    """``hits / n`` as a fraction 0..1 (4 decimals), None when there is nothing to count."""
    return round(hits / n, 4) if n else None


def pctl(values: Sequence[float], q: float, digits: int = 1) -> float | None:
    """The nearest-rank ``q``-th percentile (``q`` 0..100), None for no values."""
    return round(percentile(list(values), q), digits) if values else None


def ratio(a: float | None, b: float | None) -> float | None:
    """``a / b`` (3 decimals), None when either is missing or ``b`` is 0."""
    return round(a / b, 3) if a is not None and b else None
