"""Router, skills and HUD stage wired on a runtime, driven with events (one stage's view)."""

from typing import ClassVar

from glasses.assistant import Reply, RouterStage, Skill, SkillContext, SkillStage
from glasses.assistant.skills import builtin_skills
from glasses.assistant.triggers import OnCode, Trigger
from glasses.hud import HudStage, get_profile, layout_card, render_text, text_width
from glasses.runtime import (
    Card,
    CodesDetected,
    DecodedCode,
    Event,
    HudDrawn,
    Intent,
    Tap,
)
from glasses.runtime import testing as harness


class Screen:
    def __init__(self) -> None:
        self.drawn: list[str] = []

    def draw(self, text: str) -> None:
        self.drawn.append(text)


def codes(t_ns: int, *values: str) -> CodesDetected:
    return CodesDetected(
        t_ns=t_ns,
        codes=tuple(DecodedCode("QR", v) for v in values),
        frame_index=0,
        frame_t_ns=t_ns,
    )


def drive(inputs: list[Event], skills: list[Skill] | None = None) -> tuple[list[Event], Screen]:
    """Router, skills and HUD on the stage harness, until 1 s after the last input."""
    screen = Screen()
    skill_stage = SkillStage(builtin_skills() if skills is None else skills)
    stages = [
        RouterStage(skill_stage.table, forget_after_s=1.0),
        skill_stage,
        HudStage(screen, get_profile("frame")),
    ]
    until_ns = (inputs[-1].t_ns if inputs else 0) + 1_000_000_000
    return harness.drive(stages, inputs, until_ns).events, screen


S = 1_000_000_000


def test_code_in_view_is_announced_once_then_again_after_leaving() -> None:
    inputs: list[Event] = [codes(S, "hello"), codes(S + S // 10, "hello"), codes(4 * S, "hello")]
    events, screen = drive(inputs)
    intents = [e for e in events if isinstance(e, Intent)]
    assert [(i.name, i.slot("value")) for i in intents] == [("scan", "hello"), ("scan", "hello")]
    assert screen.drawn == ["QR code\nhello", "QR code\nhello"]
    drawn = [e for e in events if isinstance(e, HudDrawn)]
    assert [d.turn_id for d in drawn] == [i.turn_id for i in intents]


def test_tap_dismisses_only_when_a_card_is_shown() -> None:
    events, screen = drive([Tap(t_ns=S // 2), codes(S, "x"), Tap(t_ns=2 * S)])
    assert [i.name for i in events if isinstance(i, Intent)] == ["scan", "dismiss"]
    assert screen.drawn == ["QR code\nx", ""]


def test_failing_skill_shows_an_error_card_and_the_loop_goes_on() -> None:
    class Broken(Skill):
        name: ClassVar[str] = "broken"
        intents: ClassVar[tuple[str, ...]] = ("scan",)
        triggers: ClassVar[tuple[Trigger, ...]] = (OnCode("scan"),)

        async def handle(self, intent: Intent, ctx: SkillContext) -> Reply:
            raise ValueError("no network")

    events, screen = drive([codes(S, "a"), codes(3 * S, "b")], skills=[Broken()])
    assert [e.name for e in events if isinstance(e, Intent)] == ["scan", "scan"]
    assert screen.drawn == ["Error\nbroken: no network", "Error\nbroken: no network"]


def test_text_renderer_wraps_and_pages_to_the_profile() -> None:
    g1 = get_profile("g1")  # 640×200: 5 lines
    card = Card(title="Title", body="word " * 60)
    lines = render_text(card, g1).split("\n")
    pages = layout_card(card, g1)
    # Five lines fill the display; the page indicator shares the last one.
    assert len(pages) > 1 and lines[-1] == f"1/{len(pages)}"
    assert len(lines) - 1 == g1.max_lines == 5
    assert all(text_width(line, g1.font_px) <= g1.content_width_px for line in lines)
    assert render_text(card, g1, page=len(pages) - 1).endswith(f"{len(pages)}/{len(pages)}")
    assert render_text(None, g1) == ""


def test_double_tap_asks_to_read_and_without_a_frame_says_so() -> None:
    # No camera in this rig: the read skill answers with a short toast, not an error.
    events, screen = drive([Tap(t_ns=S, count=2)])
    assert [i.name for i in events if isinstance(i, Intent)] == ["read"]
    assert screen.drawn[0] == "Read\nNo camera view yet."
