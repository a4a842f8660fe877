"""Pixel-accurate word wrap: greedy, by the measured width of each candidate line.

A returned line never measures more than its limit, unless a single character is wider than
the line, which no wrap can help. Widths are found incrementally (a line's width plus the next
word's, plus the kerning where they meet), which is exact for fonts laid out glyph by glyph with
pair kerning, such as the HUD font; every finished line is then measured whole, and should that
ever exceed the limit (another kind of ``measure``), the paragraph is wrapped again measuring
every candidate line whole.
"""

from __future__ import annotations

from collections.abc import Callable

Measure = Callable[[str], float]
"""Width in px of a string, e.g. ``functools.partial(text_width, size_px=24)``."""

Limit = float | Callable[[int], float]
"""The longest a line may measure: one number, or one per line index (0 = first line)."""

# A word too long for a line is broken by characters; a break just after one of these is
# preferred when it keeps at least half the line (URLs, paths, hyphenated words).
_SOFT_BREAKS = frozenset("-/_.:?&=,;@#\\")


def wrap_text(text: str, max_px: Limit, measure: Measure) -> list[str]:
    """Wrap ``text`` into lines that each measure at most ``max_px``.

    Explicit newlines are kept (an empty paragraph is an empty line; trailing newlines and
    spaces are dropped); runs of spaces collapse to one. Words wider than a whole line are
    broken by characters. Empty or blank text gives no lines.
    """
    limit: Callable[[int], float] = max_px if callable(max_px) else (lambda _i: float(max_px))
    paragraphs = text.replace("\r\n", "\n").replace("\r", "\n").rstrip().split("\n")
    if paragraphs == [""]:
        return []
    lines: list[str] = []
    for paragraph in paragraphs:
        words = paragraph.split()
        first = len(lines)
        wrapped = _greedy(words, first, limit, measure, incremental=True)
        if any(measure(line) > limit(first + i) for i, line in enumerate(wrapped) if len(line) > 1):
            wrapped = _greedy(words, first, limit, measure, incremental=False)
        lines.extend(wrapped)
    return lines


def _greedy(
    words: list[str],
    first: int,
    limit: Callable[[int], float],
    measure: Measure,
    *,
    incremental: bool,
) -> list[str]:
    """One paragraph's lines; ``first`` is the index of its first line (for ``limit``)."""
    lines: list[str] = []
    line, width = "", 0.0
    for word in words:
        if line:
            if incremental:
                # width(line + " " + word), from the parts: exact for pair-kerned layouts.
                joint = line[-1] + " "
                kern = measure(joint) - measure(line[-1]) - measure(" ")
                candidate_w = width + measure(" " + word) + kern
            else:
                candidate_w = measure(f"{line} {word}")
            if candidate_w <= limit(first + len(lines)):
                line, width = f"{line} {word}", candidate_w
                continue
            lines.append(line)
        while (word_w := measure(word)) > limit(first + len(lines)) and len(word) > 1:
            head = _fitting_prefix(word, limit(first + len(lines)), measure)
            lines.append(word[:head])
            word = word[head:]
        line, width = word, word_w
    lines.append(line)
    return lines


def _fitting_prefix(word: str, max_px: float, measure: Measure) -> int:
    """Length of the longest prefix of ``word`` within ``max_px`` (at least 1 character)."""
    lo, hi = 1, len(word) - 1  # the whole word is known not to fit
    best = 1
    while lo <= hi:
        mid = (lo + hi) // 2
        if measure(word[:mid]) <= max_px:
            best = mid
            lo = mid + 1
        else:
            hi = mid - 1
    # Kerning can make widths of prefixes not quite monotonic: make sure the pick fits.
    while best > 1 and measure(word[:best]) > max_px:
        best -= 1
    for cut in range(best, (best + 1) // 2, -1):
        if word[cut - 1] in _SOFT_BREAKS:
            return cut
    return best
