"""The swipe, unplug and replug steps and absent windows (``for_ms``), in real runs on the
virtual clock: the real pipeline pages the HUD, and the device loops lose and restore devices."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from simulator.harness import ScenarioResult, run_scenario
from simulator.scenario import parse_scenario

LONG = (
    "alpha bravo charlie delta echo foxtrot golf hotel india juliett kilo lima mike november "
    "oscar papa quebec romeo sierra tango uniform victor whiskey xray yankee zulu one two "
    "three four five six seven eight nine ten"
)


def run(text: str) -> ScenarioResult:
    return run_scenario(parse_scenario(text, Path("steps.yaml")))


def events(result: ScenarioResult, kind: str) -> list[dict[str, Any]]:
    return [e for e in result.events if e["type"] == kind]


def failed(result: ScenarioResult) -> list[str]:
    return [f"{o.label}: {o.detail}" for o in result.outcomes if not o.passed]


SWIPE = f"""name: swipe through a long card
device: {{profile: g1}}
timeline:
  - at: 0.3s
    id: shown
    show: {{qr: "{LONG}", scale: 0.6}}
  - at: 2s
    id: forward
    swipe: forward
  - at: 2.5s
    id: past_the_end
    swipe: forward
  - at: 3s
    id: back
    swipe: back
settle: 1s
expect:
  - hud_contains: alpha bravo
    after: shown
    within_ms: 500
  - name: page 2 replaces page 1
    absent: alpha bravo
    after: forward
    for_ms: 1000
  - hud_contains: seven eight nine ten
    after: forward
    within_ms: 50
  - name: back shows page 1 again
    hud_contains: alpha bravo
    after: back
    within_ms: 50
"""


def test_swipe_pages_the_hud() -> None:
    result = run(SWIPE)
    assert result.passed, failed(result)
    swipes = [(e["t_ns"], e["direction"]) for e in events(result, "Swipe")]
    assert swipes == [
        (2_000_000_000, "forward"),
        (2_500_000_000, "forward"),
        (3_000_000_000, "back"),
    ]
    pages = [(e["page"], e["pages"]) for e in events(result, "HudDrawn")]
    # Drawn on page 1 of 2, swiped to 2; a swipe past the last page draws nothing; back to 1.
    assert pages == [(0, 2), (1, 2), (0, 2)]


UNPLUG_CAMERA = """name: the camera is unplugged, then plugged back in
timeline:
  - at: 0.2s
    id: pulled
    unplug: camera
  - at: 0.5s
    show: {qr: "https://example.org/unplugged"}
  - at: 3s
    id: back
    replug: camera
settle: 3s
expect:
  - name: an unplugged camera reads nothing
    absent: example.org
    after: pulled
    for_ms: 2800
  - name: plugged back in, it reads the code
    hud_contains: example.org/unplugged
    after: back
    within_ms: 2000
"""


def test_unplugged_camera_is_lost_then_restored() -> None:
    result = run(UNPLUG_CAMERA)
    assert result.passed, failed(result)
    (lost,) = events(result, "DeviceLost")
    (restored,) = events(result, "DeviceRestored")
    assert lost["source"] == "camera" and "unplugged" in lost["reason"]
    # The first read after the unplug fails (30 fps: within a frame of 0.2 s).
    assert 200_000_000 <= lost["t_ns"] <= 240_000_000
    # Reopening is retried after 0.5, 1 and 2 s: the third try, after the replug, succeeds.
    assert restored["source"] == "camera" and restored["attempts"] == 3
    assert 3_000_000_000 <= restored["t_ns"] <= 4_000_000_000
    # No frames while unplugged: about 0.2 s + (6 s - 3.7 s) of the 6 s at 30 fps.
    assert 70 <= result.data_events["VideoFrame"] <= 80


UNPLUG_MICROPHONE = """name: speech into an unplugged microphone is lost
seed: 2
device: {profile: frame}
timeline:
  - at: 0.3s
    show: {text: "PLATFORM 4", scale: 0.6, noise: 5}
  - at: 0.5s
    unplug: microphone
  - at: 1s
    id: unheard
    say: "hey glasses, read this"
  - at: 3s
    replug: microphone
  - at: 5s
    id: heard
    say: "hey glasses, read this"
settle: 4s
expect:
  - name: nobody hears the wearer while the microphone is out
    absent: PLATFORM 4
    after: unheard
    for_ms: 4000
  - name: plugged back in, the same request reads the sign
    hud_contains: PLATFORM 4
    after: heard
    within_ms: 3500
"""


def test_unplugged_microphone_hears_nothing_until_replugged() -> None:
    result = run(UNPLUG_MICROPHONE)
    assert result.passed, failed(result)
    (lost,) = events(result, "DeviceLost")
    (restored,) = events(result, "DeviceRestored")
    assert lost["source"] == restored["source"] == "microphone"
    assert 3_000_000_000 <= restored["t_ns"] < 5_000_000_000
    reads = [e for e in events(result, "Intent") if e["source"] == "listen"]
    assert [e["name"] for e in reads] == ["read"] and reads[0]["t_ns"] > 5_000_000_000


def test_an_absent_window_fails_when_the_text_shows_inside_it() -> None:
    text = SWIPE.replace("for_ms: 1000", "for_ms: 1100")  # reaches the swipe back at 3 s
    result = run(text)
    (outcome,) = [o for o in result.outcomes if o.label == "page 2 replaces page 1"]
    assert not outcome.passed and outcome.detail == "shown at +1000 ms"


def test_a_new_scenario_starts_with_every_device_plugged_in() -> None:
    # The interactive session plays one scenario after another on the same rig.
    from glasses.runtime.clock import VirtualClock
    from glasses.runtime.events import DeviceRestored, Event
    from simulator.rig import SimRig

    def scenario(steps: str) -> Any:
        return parse_scenario(
            f"name: s\ntimeline:\n{steps}expect:\n  - absent: x\n", Path("s.yaml")
        )

    pulls = scenario("  - unplug: camera\n  - unplug: microphone\n")
    taps = scenario("  - at: 5s\n    tap:\n")
    clock = VirtualClock()
    rig = SimRig(clock, pulls.model.device)
    restored: list[str] = []

    def record(event: Event) -> None:
        if isinstance(event, DeviceRestored):
            restored.append(event.source)

    async def play() -> None:
        rig.runtime.observe(record)
        await rig.start()
        rig.play(pulls, {}, {})
        await clock.sleep(0.2)
        rig.play(taps, {}, {}, offset_ns=clock.now_ns())  # replaces it, devices plugged in
        await clock.sleep(1.0)
        await rig.stop()

    clock.run(play())
    assert sorted(restored) == ["camera", "microphone"]
