"""Expectation verdicts on a HUD history, relative to a cue."""

from simulator.expectations import evaluate, shown_at
from simulator.scenario import Expectation

MS = 1_000_000
# Shown at 1.2 s, replaced at 2 s, cleared at 3 s.
HISTORY = [(1_200 * MS, "QR code\nhello"), (2_000 * MS, "EAN-13\n123"), (3_000 * MS, "")]
END = 5_000 * MS


def check(cue_ms: int, **kw: object) -> tuple[bool, str]:
    outcome = evaluate(Expectation.model_validate(kw), HISTORY, cue_ms * MS, END)
    return outcome.passed, outcome.detail


def test_shown_at() -> None:
    assert shown_at(HISTORY, 0) == ""
    assert shown_at(HISTORY, 1_500 * MS) == "QR code\nhello"
    assert shown_at(HISTORY, 3_000 * MS) == ""


def test_contains_within_window() -> None:
    assert check(1_000, hud_contains="hello", within_ms=500) == (True, "shown at +200 ms")
    assert check(1_000, hud_contains="hello", within_ms=100) == (
        False,
        "shown at +200 ms, later than the 100 ms allowed",
    )
    assert check(1_500, hud_contains="hello", within_ms=10) == (
        True,
        "already on the HUD at the cue",
    )
    passed, detail = check(0, hud_contains="nowhere", within_ms=1000)
    assert not passed and detail == "never shown up to +1000 ms; the HUD then showed: '(nothing)'"


def test_contains_only_counts_draws_after_the_cue() -> None:
    passed, _ = check(3_500, hud_contains="hello")
    assert not passed


def test_absent() -> None:
    assert check(2_500, absent="123", within_ms=600)[0]  # cleared at +500 ms, inside the grace
    passed, detail = check(2_500, absent="123", within_ms=100)
    assert not passed and detail == "still on the HUD at +100 ms"
    passed, detail = check(0, absent="hello")
    assert not passed and detail == "shown at +1200 ms"
    assert check(0, absent="Error") == (True, "never shown from +0 to +5000 ms")


def test_text_wrapped_over_lines_still_counts_as_shown() -> None:
    from simulator.expectations import on_hud

    assert on_hud("example.org/menu/today", "QR code\nhttps://example.org/\nmenu/today")
    assert on_hud("read the sign", "Note\nplease read the\nsign carefully")
    assert not on_hud("gone", "QR code\nhello")


def test_absent_for_a_window() -> None:
    # "hello" is shown 1.2 s to 2 s: a window that closes before 1.2 s, or opens at 2 s, holds.
    assert check(0, absent="hello", for_ms=1_000) == (True, "never shown from +0 to +1000 ms")
    assert check(2_000, absent="hello", for_ms=500) == (True, "never shown from +0 to +500 ms")
    assert check(0, absent="hello", for_ms=1_300) == (False, "shown at +1200 ms")
    # Half-open: a draw at the window's very end belongs to what follows.
    assert check(0, absent="hello", for_ms=1_200)[0]
    # A grace period moves the window: from +500 ms for 1 s, "123" (2 s to 3 s) is not seen.
    assert check(500, absent="123", within_ms=500, for_ms=1_000) == (
        True,
        "never shown from +500 to +1500 ms",
    )
    assert check(500, absent="123", within_ms=600, for_ms=1_000) == (False, "shown at +1500 ms")
