"""The everyday skills on the virtual clock, through the real dispatcher and HUD stage: timer,
time and date, battery, repeat, stop; and which open speech each one claims."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, timezone
from typing import ClassVar

import pytest

from glasses.assistant.dispatch import SkillStage
from glasses.assistant.intents import ASK, BATTERY, REPEAT, STOP, TIME, TIMER, TIMER_CANCEL
from glasses.assistant.services import Services
from glasses.assistant.skill import Reply, Skill, SkillContext
from glasses.assistant.skills import builtin_skills
from glasses.assistant.skills.battery import BatterySkill
from glasses.assistant.skills.repeat import RepeatSkill
from glasses.assistant.skills.stop import StopSkill
from glasses.assistant.skills.time_date import TimeSkill
from glasses.assistant.skills.timer import TimerSettings, TimerSkill
from glasses.assistant.triggers import TriggerTable
from glasses.hud.profile import get_profile
from glasses.hud.stage import HudStage
from glasses.runtime.clock import NS_PER_S, RealClock, VirtualClock
from glasses.runtime.events import (
    Card,
    Event,
    HudDrawn,
    HudUpdate,
    Intent,
    Interrupt,
    Say,
)
from glasses.runtime.testing import Driven, drive

S = NS_PER_S
EPOCH_S = 1_767_261_600.0  # 2026-01-01 10:00 UTC, a Thursday


class Screen:
    def draw(self, text: str) -> None:
        pass


def run(
    skills: list[Skill], events: list[Event], until_s: float, services: Services | None = None
) -> tuple[Driven, SkillStage]:
    stage = SkillStage(skills, services)
    hud = HudStage(Screen(), get_profile("frame"))
    driven = drive([stage, hud], events, round(until_s * S), observers=[stage.see])
    driven.raise_on_crash()
    return driven, stage


def said(t_s: float, text: str, turn: int) -> Intent:
    """Open speech (the transcriber's words), as the listener sends it."""
    return Intent(t_ns=round(t_s * S), source="listen", turn_id=turn, name=ASK, phrase=text)


def command(t_s: float, name: str, phrase: str, turn: int) -> Intent:
    return Intent(t_ns=round(t_s * S), source="listen", turn_id=turn, name=name, phrase=phrase)


def drawn(driven: Driven) -> list[tuple[float, str]]:
    """What the display showed, when (s); one entry per draw."""
    out: list[tuple[float, str]] = []
    for d in driven.of(HudDrawn):
        if not out or out[-1] != (d.t_ns / S, d.text):
            out.append((d.t_ns / S, d.text))
    return out


def sayings(driven: Driven) -> list[str]:
    return [s.text for s in driven.of(Say)]


# --------------------------------------------------------------------------------------------
# Timer


def test_a_short_timer_counts_down_every_second_then_goes_off() -> None:
    services = Services()
    driven, _ = run([TimerSkill()], [said(1.0, "Set a timer for 5 seconds.", 1)], 20.0, services)
    assert drawn(driven) == [
        (1.0, "Timer 5 seconds\n0:05"),
        (2.0, "Timer 5 seconds\n0:04"),
        (3.0, "Timer 5 seconds\n0:03"),
        (4.0, "Timer 5 seconds\n0:02"),
        (5.0, "Timer 5 seconds\n0:01"),
        (6.0, "Timer done\n5 seconds"),
        (16.0, ""),  # the alert card's 10 s
    ]
    assert sayings(driven) == ["Timer set for 5 seconds.", "Timer done."]
    assert services.conversation.last_said == "Timer done."  # "repeat that" can say it again
    cards = [u.card for u in driven.of(HudUpdate) if u.card is not None]
    assert cards[0].layout == "progress" and cards[0].progress == 1.0
    assert [c.progress for c in cards[:5]] == pytest.approx([1.0, 0.8, 0.6, 0.4, 0.2])


def test_a_long_timer_shows_its_countdown_after_it_is_set_and_before_it_ends() -> None:
    skill = TimerSkill()
    driven, _ = run([skill], [said(1.0, "set a timer for five minutes", 1)], 310.0)
    shown = drawn(driven)
    texts = [text for _, text in shown]
    assert texts[:11] == [f"Timer 5 minutes\n{c}" for c in (
        "5:00", "4:59", "4:58", "4:57", "4:56", "4:55", "4:54", "4:53", "4:52", "4:51", "4:50"
    )]  # fmt: skip
    # Then each countdown card expires by itself: the display is free, and dims, until the
    # last ten seconds, which count down again.
    assert shown[11] == (12.5, "")
    assert shown[12] == (291.0, "Timer 5 minutes\n0:10")
    assert shown[21] == (300.0, "Timer 5 minutes\n0:01")
    assert shown[22] == (301.0, "Timer done\n5 minutes")
    # Modest: 22 countdown updates and the alert for five minutes, not 300.
    assert len([u for u in driven.of(HudUpdate) if u.source == "timer"]) == 21
    assert skill.alerts == 1 and skill.timer is None


@pytest.mark.parametrize(
    ("transcript", "title"),
    [
        ("Set a timer for 1.5 minutes.", "Timer 1 minute 30 seconds"),
        ("Set a 10-minute timer, please.", "Timer 10 minutes"),
        # Only the words after "timer" are the duration.
        ("After 5 minutes in the oven, set a timer for 2 minutes.", "Timer 2 minutes"),
        ("I have no T-glasses at a timer for 10 seconds.", "Timer 10 seconds"),
    ],
)
def test_the_duration_is_read_from_the_transcript(transcript: str, title: str) -> None:
    driven, _ = run([TimerSkill()], [said(1.0, transcript, 1)], 2.0)
    assert drawn(driven)[0][1].split("\n")[0] == title


@pytest.mark.parametrize(
    ("phrase", "title"),
    [
        ("set a timer for forty five minutes", "Timer 45 minutes"),
        ("set a timer for one minute", "Timer 1 minute"),
        ("set a timer for twelve second", "Timer 12 seconds"),  # a plural s not heard
        # Over the limit: the answer a transcript gets.
        ("set a timer for sixty hours", "Timer\nTimers run up to 24 hours."),
    ],
)
def test_a_grammar_timer_command_carries_its_duration(phrase: str, title: str) -> None:
    # The grammar's intent is TIMER with the words it heard and no slots; the router reads its
    # slots with the skill's own pattern, so the duration is parsed as a transcript's is.
    driven, _ = run([TimerSkill()], [command(1.0, TIMER, phrase, 1)], 2.0)
    first = drawn(driven)[0][1]
    assert first == title or first.split("\n")[0] == title, first


def test_a_new_timer_replaces_the_running_one() -> None:
    driven, _ = run(
        [TimerSkill()],
        [said(1.0, "set a timer for ten seconds", 1), said(2.0, "set a timer for 3 seconds", 2)],
        30.0,
    )
    alerts = [(t, text) for t, text in drawn(driven) if text.startswith("Timer done")]
    assert alerts == [(5.0, "Timer done\n3 seconds")]
    assert sayings(driven).count("Timer done.") == 1


def test_cancel_the_timer() -> None:
    driven, _ = run(
        [TimerSkill()],
        [
            command(0.5, TIMER_CANCEL, "cancel the timer", 1),
            said(1.0, "set a timer for 5 seconds", 2),
            command(2.5, TIMER_CANCEL, "cancel the timer", 3),
        ],
        10.0,
    )
    texts = [text for _, text in drawn(driven)]
    assert texts[0] == "No timer running"
    assert "Timer cancelled" in texts and not [t for t in texts if "Timer done" in t]
    assert texts[-1] == ""  # the cancelled countdown never comes back
    assert sayings(driven) == ["Timer set for 5 seconds.", "Timer cancelled."]


def test_the_countdown_leaves_another_skill_s_card_alone() -> None:
    services = Services(battery=lambda: 0.5)
    driven, _ = run(
        [TimerSkill(), BatterySkill()],
        [said(1.0, "set a timer for thirty seconds", 1), command(3.2, BATTERY, "battery level", 2)],
        40.0,
        services,
    )
    shown = drawn(driven)
    battery_at = next(t for t, text in shown if text.startswith("Battery"))
    # From the battery card on, the countdown waits for an empty HUD in its last 10 s.
    after = [(t, text) for t, text in shown if t > battery_at]
    assert after[0] == (pytest.approx(7.2), "")  # the battery card's 4 s
    assert after[1] == (21.0, "Timer 30 seconds\n0:10")
    assert after[-1] == (31.0, "Timer done\n30 seconds")


def test_how_much_time_is_left_shows_the_countdown_again() -> None:
    driven, _ = run(
        [TimerSkill()],
        [said(1.0, "set a timer for 2 minutes", 1), said(60.4, "how much time is left", 2)],
        75.0,
    )
    shown = drawn(driven)
    assert (60.4, "Timer 2 minutes\n1:01") in shown
    assert (62.0, "Timer 2 minutes\n0:59") in shown
    assert "1 minute 1 second left." in sayings(driven)


@pytest.mark.parametrize(
    ("text", "card"),
    [
        ("set a timer", "Timer\nFor how long? Say: set a timer for five minutes."),
        ("set a timer for 25 hours", "Timer\nTimers run up to 24 hours."),
        ("show the timer", "No timer running"),
    ],
)
def test_timer_requests_it_cannot_set(text: str, card: str) -> None:
    driven, _ = run([TimerSkill()], [said(1.0, text, 1)], 3.0)
    assert drawn(driven)[0] == (1.0, card)


def test_timer_settings_are_checked() -> None:
    with pytest.raises(ValueError, match="tick_s"):
        TimerSettings(tick_s=0)


# --------------------------------------------------------------------------------------------
# Time and date, battery, repeat, stop


def wall(services: Services, clock: VirtualClock) -> Services:
    services.wall_time = lambda: EPOCH_S + clock.now_ns() / S
    return services


def test_time_and_date_on_the_simulated_wall_clock() -> None:
    clock = VirtualClock()
    services = wall(Services(), clock)
    stage = SkillStage([TimeSkill()], services)
    driven = drive(
        [stage, HudStage(Screen(), get_profile("frame"))],
        [command(61.0, TIME, "what time is it", 1), command(62.0, TIME, "what day is it", 2),
         said(63.0, "What's the date today?", 3)],
        70 * S,
        clock=clock,
        observers=[stage.see],
    )  # fmt: skip
    assert drawn(driven)[0] == (61.0, "10:01\nThursday 1 January 2026")
    assert sayings(driven) == [
        "It's 10:01.",
        "It's Thursday, January 1.",
        "It's Thursday, January 1.",
    ]


def test_time_zone_a_given_one_else_local_on_a_real_clock() -> None:
    services = Services(wall_time=lambda: EPOCH_S)
    tokyo = timezone(timedelta(hours=9))
    virtual = SkillContext(clock=VirtualClock(), latest_frame=lambda: None, services=services)
    real = SkillContext(clock=RealClock(), latest_frame=lambda: None, services=services)
    assert TimeSkill().now(virtual) == datetime(2026, 1, 1, 10, tzinfo=UTC)
    assert TimeSkill(tz=tokyo).now(virtual).hour == 19
    assert TimeSkill().now(real) == datetime.fromtimestamp(EPOCH_S).astimezone()
    assert TimeSkill().now(real).utcoffset() is not None


@pytest.mark.parametrize(
    ("level", "card", "speech"),
    [
        (None, "Battery level unknown", "Battery level unknown."),
        (math.nan, "Battery level unknown", "Battery level unknown."),
        (0.72, "Battery\n72%", "Battery at 72 percent."),
        (0.1, "Battery low\n10%", "Battery low at 10 percent."),
        (1.4, "Battery\n100%", "Battery at 100 percent."),
    ],
)
def test_battery(level: float | None, card: str, speech: str) -> None:
    services = Services(battery=lambda: level)
    driven, _ = run([BatterySkill()], [command(1.0, BATTERY, "battery level", 1)], 2.0, services)
    assert drawn(driven)[0] == (1.0, card)
    assert sayings(driven) == [speech]


def test_repeat_says_the_last_thing_said_again_with_its_card() -> None:
    services = Services(battery=lambda: 0.5)
    driven, _ = run(
        [BatterySkill(), RepeatSkill()],
        [
            command(0.5, REPEAT, "repeat", 1),
            command(1.0, BATTERY, "battery level", 2),
            said(2.0, "Say that again, please.", 3),
        ],
        3.0,
        services,
    )
    assert drawn(driven)[0] == (0.5, "Nothing to repeat yet")
    assert drawn(driven)[-1] == (2.0, "Repeat\nBattery at 50 percent.")
    assert sayings(driven) == ["Battery at 50 percent.", "Battery at 50 percent."]


class Streams(Skill):
    """A streaming skill that writes for 10 s unless cancelled."""

    name: ClassVar[str] = "streams"
    intents: ClassVar[tuple[str, ...]] = ("stream",)
    streaming: ClassVar[bool] = True

    async def handle(self, intent: Intent, ctx: SkillContext) -> Reply:
        ctx.emit(HudUpdate(t_ns=ctx.clock.now_ns(), turn_id=ctx.turn_id, card=Card(body="…")))
        await ctx.clock.sleep(10.0)  # the runtime's (virtual) clock
        return Reply(card=Card(body="finished"))


def test_stop_interrupts_speech_and_answers_but_not_the_timer_or_the_card() -> None:
    driven, stage = run(
        [Streams(), StopSkill(), TimerSkill()],
        [
            said(0.5, "set a timer for 5 seconds", 1),
            command(1.0, "stream", "", 2),
            command(2.0, STOP, "stop", 3),
        ],
        8.0,
    )
    (interrupt,) = driven.of(Interrupt)
    assert (interrupt.t_ns, interrupt.source, interrupt.reason) == (2 * S, "skills", "stop")
    assert interrupt.turn_id is None  # every turn's speech and pending HUD updates
    assert stage.cancelled == 1  # the streaming answer
    assert "finished" not in [text for _, text in drawn(driven)]
    assert (5.5, "Timer done\n5 seconds") in drawn(driven)


# --------------------------------------------------------------------------------------------
# Which open speech each skill claims (among all the built-in skills)


@pytest.mark.parametrize(
    ("transcript", "intent"),
    [
        ("Set a timer for 5 minutes.", TIMER),
        ("Set a 10-minute timer.", TIMER),
        ("Timer for one hour and a half, please.", TIMER),
        ("Can you start a timer for 90 seconds?", TIMER),
        ("at a timer for 10 seconds.", TIMER),  # "hey glasses set…" without a pause
        ("How much time is left?", TIMER),
        ("Cancel the timer.", TIMER_CANCEL),
        ("Stop the timer.", TIMER_CANCEL),
        ("What's the time?", TIME),
        ("What's today's date?", TIME),
        ("Tell me my date.", TIME),  # as Whisper heard espeak's "tell me the date"
        ("How much battery is left?", BATTERY),
        ("What's my battery at?", BATTERY),
        ("Say that again.", REPEAT),
        ("Repeat that.", REPEAT),
        ("What did you say?", REPEAT),
        ("Stop talking.", STOP),
        ("Never mind.", STOP),
        ("What is this?", "see"),
        ("What am I looking at?", "see"),
        ("Describe what you see.", "see"),
        # Questions for the language model stay questions.
        ("What time does the shop open?", None),
        ("How long is the Golden Gate bridge?", None),
        ("What is the capital of France?", None),
        ("Is the timer on the oven broken?", None),
    ],
)
def test_open_speech_each_skill_claims(transcript: str, intent: str | None) -> None:
    claimed = TriggerTable.build(builtin_skills()).text(transcript)
    assert (claimed[0] if claimed else None) == intent
