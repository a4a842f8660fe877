"""The ``see`` skill ("what do you see") through the dispatcher and the HUD, on virtual time."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from glasses.assistant.dispatch import SkillStage
from glasses.assistant.intents import ASK, SEE
from glasses.assistant.skills.see import NOMINAL_COST_NS, SeeSkill
from glasses.hud.profile import get_profile
from glasses.hud.stage import HudStage
from glasses.perception.frame_summary import FrameSummarizer, FrameSummary, summarize_frame
from glasses.runtime.clock import NS_PER_S
from glasses.runtime.events import (
    CodesDetected,
    DecodedCode,
    Event,
    HudDrawn,
    Intent,
    Say,
    VideoFrame,
)
from glasses.runtime.testing import Driven, drive
from simulator.scenes import SceneSpec, render_scene

S = NS_PER_S


class Screen:
    def draw(self, text: str) -> None:
        pass


def run(skill: SeeSkill, events: list[Event], until_s: float) -> Driven:
    stage = SkillStage([skill])
    driven = drive(
        [stage, HudStage(Screen(), get_profile("g1"))],
        events,
        round(until_s * S),
        observers=[stage.see],
    )
    driven.raise_on_crash()
    return driven


def frame(t_s: float, image: np.ndarray, index: int = 0) -> VideoFrame:
    return VideoFrame(t_ns=round(t_s * S), source="camera", image=image, index=index)


def see(t_s: float, turn: int, phrase: str = "what do you see") -> Intent:
    return Intent(t_ns=round(t_s * S), source="listen", turn_id=turn, name=SEE, phrase=phrase)


class FakeSummarizer(FrameSummarizer):
    """Records what it is given; summarises colours and light only."""

    def __init__(self) -> None:
        super().__init__()
        self.given: list[tuple[Sequence[str] | None, Sequence[DecodedCode] | None]] = []

    def summarize(
        self,
        image: np.ndarray,
        *,
        text: Sequence[str] | None = None,
        codes: Sequence[DecodedCode] | None = None,
    ) -> FrameSummary:
        self.given.append((text, codes))
        return summarize_frame(image, text=text or (), codes=codes or ())


def test_without_a_camera_view_it_says_so() -> None:
    driven = run(SeeSkill(FakeSummarizer()), [see(1.0, 1)], 2.0)
    assert driven.of(HudDrawn)[0].text == "See\nNo camera view yet."


def test_what_do_you_see_reads_the_newest_frame_onto_a_card_and_says_it() -> None:
    sign = render_scene(SceneSpec(kind="text", content="PLATFORM 4", scale=0.6, noise_sigma=5))
    skill = SeeSkill()  # the real models
    driven = run(skill, [frame(0.5, sign), see(1.0, 1)], 2.0)
    (shown,) = driven.of(HudDrawn)
    assert shown.text == "I see\nText: “PLATFORM 4”\nColours: light grey\nLight: bright"
    assert shown.t_ns == 1 * S + NOMINAL_COST_NS  # the summary's charge on the virtual clock
    (speech,) = driven.of(Say)
    assert speech.text == "It says: PLATFORM 4. Mostly light grey, in bright light."


def test_an_unchanged_view_is_answered_again_without_running_the_models() -> None:
    grey = np.full((480, 640, 3), 128, np.uint8)
    fake = FakeSummarizer()
    skill = SeeSkill(fake)
    driven = run(
        skill,
        [frame(0.5, grey), see(1.0, 1), frame(1.5, grey.copy(), 1), see(2.0, 2)],
        3.0,
    )
    assert (skill.summaries, skill.reused) == (1, 1)
    assert len(fake.given) == 1
    assert len(driven.of(Say)) == 2


def test_codes_the_code_stage_just_read_are_not_read_again() -> None:
    image = np.full((480, 640, 3), 200, np.uint8)
    code = DecodedCode("QR", "https://example.org")
    fake = FakeSummarizer()
    run(
        SeeSkill(fake),
        [
            frame(0.5, image),
            CodesDetected(t_ns=round(0.52 * S), codes=(code,), frame_index=0, frame_t_ns=S // 2),
            see(1.0, 1),
            frame(3.0, np.full((480, 640, 3), 60, np.uint8), 1),  # a new view, codes now stale
            see(3.5, 2),
        ],
        5.0,
    )
    assert fake.given == [(None, (code,)), (None, None)]


def test_open_speech_what_is_this_is_the_see_skill() -> None:
    grey = np.full((480, 640, 3), 128, np.uint8)
    ask = Intent(t_ns=S, source="listen", turn_id=1, name=ASK, phrase="What is this?")
    driven = run(SeeSkill(FakeSummarizer()), [frame(0.5, grey), ask], 2.0)
    assert driven.of(HudDrawn)[0].text.startswith("I see\n")
