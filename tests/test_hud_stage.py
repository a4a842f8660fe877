"""The HUD stage on the virtual clock: update-rate limit, coalescing, acks, idling."""

from itertools import pairwise

from glasses.hud import HudStage, get_profile
from glasses.runtime import (
    Card,
    Event,
    HudDimmed,
    HudDrawn,
    HudUpdate,
    Interrupt,
    Swipe,
)
from glasses.runtime import testing as harness

MS = 1_000_000


class Screen:
    def __init__(self) -> None:
        self.drawn: list[str] = []

    def draw(self, text: str) -> None:
        self.drawn.append(text)


def drive(
    inputs: list[Event], *, until_ms: int = 2_000, profile: str = "frame"
) -> tuple[HudStage, Screen, list[Event]]:
    """The HUD stage alone on the stage harness, until ``until_ms``."""
    screen = Screen()
    stage = HudStage(screen, get_profile(profile))
    return stage, screen, harness.drive([stage], inputs, until_ms * MS).events


def update(t_ms: float, title: str, turn: int | None = None, **card: object) -> HudUpdate:
    return HudUpdate(t_ns=round(t_ms * MS), turn_id=turn, card=Card(title=title, **card))


def test_updates_inside_the_interval_are_coalesced_and_each_acknowledged() -> None:
    interval = get_profile("frame").min_update_interval_ms
    # Three updates 10 ms apart: the first draws at once, the other two wait for the interval
    # and are drawn together, showing the newest.
    stage, screen, events = drive(
        [update(100, "one", 1), update(110, "two", 2), update(120, "three", 3)]
    )
    assert screen.drawn == ["one", "three"]
    acks = [e for e in events if isinstance(e, HudDrawn)]
    assert [(a.turn_id, a.text, a.coalesced) for a in acks] == [
        (1, "one", 0),
        (2, "three", 1),
        (3, "three", 1),
    ]
    assert acks[1].t_ns == acks[0].t_ns + interval * MS  # not earlier than the display allows
    assert [a.update_t_ns // MS for a in acks] == [100, 110, 120]
    assert stage.draws == 2 and stage.coalesced == 1


def test_updates_spaced_beyond_the_interval_are_drawn_each() -> None:
    stage, screen, _ = drive([update(100, "a"), update(400, "b"), update(700, "c")])
    assert screen.drawn == ["a", "b", "c"]
    assert stage.coalesced == 0


def test_progressive_stream_shows_within_the_rate_limit() -> None:
    # 40 tokens 20 ms apart (an LLM answer streaming in): the HUD shows it progressively,
    # never faster than its limit, and ends with the whole text.
    words = [f"w{i}" for i in range(40)]
    inputs: list[Event] = [
        HudUpdate(
            t_ns=(100 + 20 * i) * MS,
            turn_id=7,
            stream="answer",
            card=Card(layout="text_wall", body=" ".join(words[: i + 1])),
        )
        for i in range(40)
    ]
    _stage, screen, events = drive(inputs, until_ms=3_000)
    acks = [e for e in events if isinstance(e, HudDrawn)]
    assert len(acks) == 40  # every update acknowledged
    draws = sorted({a.t_ns for a in acks})
    interval = get_profile("frame").min_update_interval_ms * MS
    assert all(b - a >= interval for a, b in pairwise(draws))
    assert 3 <= len(screen.drawn) <= 6  # 800 ms of tokens at one draw per interval
    assert screen.drawn[-1].split() == words
    assert all(len(a.split()) < len(b.split()) for a, b in pairwise(screen.drawn))


def test_card_ttl_clears_and_display_dims_then_turns_off() -> None:
    profile = get_profile("frame")
    _, screen, events = drive([update(100, "toast", layout="toast", ttl_s=1.0)], until_ms=1_500)
    assert screen.drawn == ["toast", ""]
    clear = [e for e in events if isinstance(e, HudDrawn)][-1]
    assert clear.t_ns == 1_100 * MS and clear.text == ""
    _stage, screen, events = drive(
        [update(100, "stays")], until_ms=int((profile.timeout_s + 1) * 1000)
    )
    levels = [(e.t_ns, e.level) for e in events if isinstance(e, HudDimmed)]
    assert [lvl for _, lvl in levels] == [0.3, 0.0]
    assert levels[0][0] == 100 * MS + round(profile.dim_after_s * 1e9)
    assert levels[1][0] == 100 * MS + round(profile.timeout_s * 1e9)


def test_new_draw_wakes_a_dimmed_display() -> None:
    profile = get_profile("frame")
    later = int(profile.dim_after_s * 1000) + 500
    _, _, events = drive([update(100, "a"), update(later, "b")], until_ms=later + 100)
    levels = [e.level for e in events if isinstance(e, HudDimmed)]
    assert levels == [0.3, 1.0]


def test_swipe_pages_through_a_long_card() -> None:
    body = " ".join(f"word{i}" for i in range(400))
    stage, screen, events = drive(
        [
            update(100, "Long", body=body),
            Swipe(t_ns=500 * MS),
            Swipe(t_ns=900 * MS),
            Swipe(t_ns=1_300 * MS, direction="back"),
        ]
    )
    pages = [e.page for e in events if isinstance(e, HudDrawn)]
    assert pages == [0, 1, 2, 1]
    assert stage.pages > 2
    assert screen.drawn[1] != screen.drawn[0]


def test_interrupt_cancels_pending_updates_of_its_turn() -> None:
    stage, screen, events = drive(
        [update(100, "first", 1), update(120, "pending", 2), Interrupt(t_ns=130 * MS, turn_id=2)]
    )
    assert screen.drawn == ["first"]
    assert stage.cancelled == 1
    assert [e.turn_id for e in events if isinstance(e, HudDrawn)] == [1]
