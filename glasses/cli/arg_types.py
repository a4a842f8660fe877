"""Value types for command-line options: a bad value is argparse's one-line usage error."""

from __future__ import annotations

import argparse
from collections.abc import Callable


def positive_number(what: str = "a number") -> Callable[[str], float]:
    """A finite float > 0 (``what`` names it in the error: "a number of seconds")."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not {what}: {text!r}") from None
        if not 0 < value < float("inf"):
            raise argparse.ArgumentTypeError(f"must be {what} > 0, got {text}")
        return value

    return parse


def whole_number(low: int, high: int, what: str) -> Callable[[str], int]:
    """An int from ``low`` to ``high`` inclusive (``what`` names it: "the limit")."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{what} must be a whole number, got {text!r}"
            ) from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{what} must be from {low} to {high}, got {text}")
        return value

    return parse
