"""Spoken durations → seconds, and seconds → words and a countdown clock."""

from __future__ import annotations

import pytest

from glasses.assistant.durations import countdown, describe_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("set a timer for five minutes", 300),
        ("Set a timer for 5 minutes, please.", 300),
        ("1 minute 30 seconds", 90),
        ("one minute and thirty seconds", 90),
        ("ninety seconds", 90),
        ("90 secs", 90),
        ("an hour", 3600),
        ("a minute", 60),
        ("set a 10-minute timer", 600),
        ("twenty-five minutes", 1500),
        ("twenty five minutes", 1500),
        ("half an hour", 1800),
        ("a quarter of an hour", 900),
        ("three quarters of an hour", 2700),
        ("one and a half minutes", 90),
        ("an hour and a half", 5400),
        ("a minute and a half", 90),
        ("2.5 hours", 9000),
        ("1.5 minutes", 90),
        ("1:30", 90),  # Whisper's clock form: minutes and seconds
        ("1:30 hours", 5400),
        ("1:02:03", 3723),
        ("a hundred and twenty seconds", 120),
        ("one hundred twenty seconds", 120),
        ("two hours and fifteen minutes", 8100),
        ("a couple of minutes", 120),
        ("nineteen minutes", 1140),
    ],
)
def test_durations_are_parsed(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize(
    "text",
    [
        "set a timer",  # the "a" of "a timer" is no duration
        "set a timer for five",  # a number without a unit
        "0 seconds",
        "",
        "what time is it",
    ],
)
def test_no_duration_is_none(text: str) -> None:
    assert parse_duration(text) is None


def test_numbers_that_do_not_continue_each_other_are_two_numbers() -> None:
    # "twenty thirty" is not fifty; only the number right before the unit counts.
    assert parse_duration("twenty thirty seconds") == 30
    assert parse_duration("five five minutes") == 300


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (5, "5 seconds"),
        (1, "1 second"),
        (60, "1 minute"),
        (90, "1 minute 30 seconds"),
        (3600, "1 hour"),
        (4500, "1 hour 15 minutes"),
        (3661, "1 hour 1 minute 1 second"),
        (0, "0 seconds"),
    ],
)
def test_durations_are_described_in_words(seconds: float, words: str) -> None:
    assert describe_duration(seconds) == words


@pytest.mark.parametrize(
    ("seconds", "clock"),
    [(300, "5:00"), (299.5, "5:00"), (299.0, "4:59"), (5, "0:05"), (0.2, "0:01"), (0, "0:00"),
     (3725, "1:02:05")],
)  # fmt: skip
def test_countdown_counts_up_to_the_next_whole_second(seconds: float, clock: str) -> None:
    assert countdown(seconds) == clock
