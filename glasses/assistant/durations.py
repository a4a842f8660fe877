"""Spoken durations: "five minutes", "1 minute 30 seconds", "ninety seconds", "an hour and a
half", "1:30", "2.5 hours" → seconds; and seconds back to words and to a countdown clock.

``parse_duration`` reads a whole request ("Set a timer for 5 minutes, please.") as a
recogniser writes it: number words or digits (Whisper writes "5 minutes", "1.5 hours",
"1:30"), each followed by a unit. A number counts only with a unit after it, so the "a" of
"set a timer" is no duration; several terms add up ("1 hour 15 minutes"). Fractions: "half
an hour", "a quarter of an hour", "one and a half minutes", "an hour and a half".
"""

from __future__ import annotations

import math
import re

_UNITS = {
    "sec": 1,
    "secs": 1,
    "second": 1,
    "seconds": 1,
    "min": 60,
    "mins": 60,
    "minute": 60,
    "minutes": 60,
    "hr": 3600,
    "hrs": 3600,
    "hour": 3600,
    "hours": 3600,
}
_ONES = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
}
_TENS = {
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
_ARTICLES = frozenset({"a", "an"})
# "half" and "quarter(s)" after a number multiply it ("three quarters"); alone they are 1/2, 1/4.
_FRACTIONS = {"half": 0.5, "quarter": 0.25, "quarters": 0.25}
_TOKEN = re.compile(r"\d+(?::\d+){1,2}|\d*\.\d+|\d+|[a-z]+")


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(text.lower().replace("-", " "))


def _follows(current: float | None, word: str) -> bool:
    """Whether number ``word`` continues the number ``current`` ("twenty" + "five", "hundred"
    + "twenty"); "five five" and "twenty thirty" are two numbers."""
    if current is None:
        return True
    rest = current % 100
    if word in _TENS:
        return rest == 0 and current > 0
    if rest == 0:
        return current > 0
    return rest >= 20 and rest % 10 == 0 and 1 <= _ONES[word] <= 9


def _number(tokens: list[str], i: int) -> tuple[float | None, int]:
    """The number starting at ``tokens[i]`` and the index after it, or (None, i)."""
    n = len(tokens)
    if i >= n:
        return None, i
    tok = tokens[i]
    nxt = tokens[i + 1] if i + 1 < n else ""
    if tok[0].isdigit() or tok[0] == ".":
        if ":" in tok:
            return None, i  # a clock time: see ``_clock``
        value, j = float(tok), i + 1
    elif tok in _ARTICLES and nxt in ("hundred", "thousand"):
        value, j = _words(tokens, i + 1, 1.0)  # "a hundred and twenty"
    elif tok in _ARTICLES:
        # "a"/"an" is a number only before a unit or a fraction word: "an hour", "a half".
        if nxt not in _UNITS and nxt not in _FRACTIONS and nxt != "couple":
            return None, i
        value, j = 1.0, i + 1
    elif tok in _FRACTIONS:
        return _FRACTIONS[tok], i + 1  # "half an hour"
    elif tok in _ONES or tok in _TENS:
        value, j = _words(tokens, i, None)
    else:
        return None, i
    # A multiplier after the number: "a couple", "three quarters", "a half".
    while j < n and (tokens[j] == "couple" or tokens[j] in _FRACTIONS):
        value *= 2 if tokens[j] == "couple" else _FRACTIONS[tokens[j]]
        j += 1
    return value, j


def _words(tokens: list[str], j: int, current: float | None) -> tuple[float, int]:
    """A number in words from ``tokens[j]`` on ("twenty five", "one hundred and twenty"),
    ``current`` what came before it; (value, index after)."""
    n, total = len(tokens), 0.0
    while j < n:
        word = tokens[j]
        if word in _ONES or word in _TENS:
            if not _follows(current, word):
                break
            current = (current or 0.0) + _ONES.get(word, _TENS.get(word, 0))
        elif word == "hundred" and current is not None:
            current *= 100
        elif word == "thousand" and current is not None:
            total, current = total + current * 1000, 0.0
        elif (
            word == "and"
            and current is not None
            and current > 0
            and current % 100 == 0
            and j + 1 < n
            and (tokens[j + 1] in _ONES or tokens[j + 1] in _TENS)
        ):
            pass  # "a hundred and twenty"
        else:
            break
        j += 1
    return total + (current or 0.0), j


def _and_fraction(tokens: list[str], i: int) -> tuple[float, int]:
    """ "and a half" / "and a quarter" / "and three quarters" at ``i``: (fraction, index after),
    or (0, i)."""
    if i < len(tokens) and tokens[i] == "and":
        value, j = _number(tokens, i + 1)
        if value is not None and 0 < value < 1 and tokens[j - 1] in _FRACTIONS:
            return value, j
    return 0.0, i


def _clock(token: str, unit: int | None) -> float:
    """ "1:30" → seconds: m:ss, or h:mm when the unit after it is hours; "1:02:03" is h:mm:ss."""
    parts = [int(p) for p in token.split(":")]
    if len(parts) == 3:
        return parts[0] * 3600.0 + parts[1] * 60 + parts[2]
    scale = 3600 if unit == 3600 else 60
    return parts[0] * float(scale) + parts[1] * (scale // 60)


def parse_duration(text: str) -> float | None:
    """The duration ``text`` asks for, in seconds, or None when it names none (or only 0).

    >>> parse_duration("set a timer for one minute and thirty seconds")
    90.0
    """
    tokens = _tokens(text)
    total = 0.0
    found = False
    i, n = 0, len(tokens)
    while i < n:
        tok = tokens[i]
        if ":" in tok:
            unit = _UNITS.get(tokens[i + 1]) if i + 1 < n else None
            total += _clock(tok, unit)
            found = True
            i += 2 if unit is not None else 1
            continue
        value, j = _number(tokens, i)
        if value is None:
            i += 1
            continue
        fraction, j = _and_fraction(tokens, j)
        value += fraction
        while j < n and tokens[j] in ("of", "a", "an") and tokens[j] not in _UNITS:
            if j + 1 < n and (tokens[j + 1] in _UNITS or tokens[j + 1] in ("a", "an")):
                j += 1  # "half an hour", "a quarter of an hour", "a couple of minutes"
            else:
                break
        if j < n and tokens[j] in _UNITS:
            unit_s = _UNITS[tokens[j]]
            total += value * unit_s
            found = True
            extra, j = _and_fraction(tokens, j + 1)  # "an hour and a half"
            total += extra * unit_s
            i = j
            continue
        i = max(j, i + 1)
    if not found or not math.isfinite(total) or total <= 0:
        return None
    return total


def _plural(count: int, unit: str) -> str:
    return f"{count} {unit}" if count == 1 else f"{count} {unit}s"


def describe_duration(seconds: float) -> str:
    """Whole seconds as words for a card and for speech: "5 minutes", "1 hour 15 minutes",
    "1 minute 30 seconds"."""
    s = max(0, round(seconds))
    hours, rest = divmod(s, 3600)
    minutes, secs = divmod(rest, 60)
    parts = []
    if hours:
        parts.append(_plural(hours, "hour"))
    if minutes:
        parts.append(_plural(minutes, "minute"))
    if secs or not parts:
        parts.append(_plural(secs, "second"))
    return " ".join(parts)


def countdown(seconds: float) -> str:
    """Time left as a clock, counted up to the next whole second: "4:59", "0:05", "1:04:59"."""
    s = max(0, math.ceil(seconds - 1e-9))
    hours, rest = divmod(s, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
