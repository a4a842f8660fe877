"""Whole numbers in words, as speech says them and as recognisers' scoring compares them."""

from __future__ import annotations

_UNITS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
          "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
          "eighteen", "nineteen")  # fmt: skip
_TENS = ("_", "_", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")


def spell_number(n: int) -> str:
    """``n`` (0 ≤ n < 1,000,000) in words: 21 → "twenty one", 1905 → "one thousand nine hundred
    five" (no "and"; years are not read as "nineteen oh five")."""
    if not 0 <= n < 1_000_000:
        raise ValueError(f"spell_number takes 0 <= n < 1000000, got {n}")
    if n < 20:
        return _UNITS[n]
    if n < 100:
        return _TENS[n // 10] + ("" if n % 10 == 0 else " " + _UNITS[n % 10])
    if n < 1000:
        rest = n % 100
        return _UNITS[n // 100] + " hundred" + (" " + spell_number(rest) if rest else "")
    rest = n % 1000
    return spell_number(n // 1000) + " thousand" + (" " + spell_number(rest) if rest else "")
