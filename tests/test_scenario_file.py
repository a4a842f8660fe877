"""Scenario files: valid ones load with resolved times; malformed ones name file and line."""

from pathlib import Path

import pytest

from simulator.scenario import (
    Scenario,
    ScenarioError,
    load_scenario,
    parse_scenario,
    parse_seconds,
)

ROOT = Path(__file__).resolve().parent.parent


def parse(text: str) -> object:
    return parse_scenario(text, Path("s.yaml"))


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("2.5s", 2.5), ("300ms", 0.3), ("1min", 60.0), (4, 4.0), ("0.25", 0.25), (".5s", 0.5)],
)
def test_durations(value: object, seconds: float) -> None:
    assert parse_seconds(value) == pytest.approx(seconds)


@pytest.mark.parametrize("value", ["2x", "-1s", True, "s", None])
def test_bad_durations(value: object) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_seconds(value)


def test_bundled_scenarios_load() -> None:
    for path in sorted((ROOT / "scenarios").glob("*.yaml")):
        scenario = load_scenario(path)
        assert scenario.steps and scenario.duration_s > scenario.steps[-1].t_s


def test_step_times_follow_at_and_wait() -> None:
    scenario = parse_scenario(
        """
name: t
timeline:
  - show: {qr: a}
  - wait: 1.5s
  - id: tap1
    tap:
  - at: 4s
    tap: double
settle: 500ms
expect:
  - absent: error
""",
        Path("s.yaml"),
    )
    assert [round(s.t_s, 3) for s in scenario.steps] == [0.0, 0.0, 1.5, 4.0]
    assert scenario.cues == {"tap1": 1.5}
    assert scenario.duration_s == pytest.approx(4.5)
    assert scenario.steps[3].step.tap is not None and scenario.steps[3].step.tap.count == 2


def problems(text: str) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        parse(text)
    return info.value.problems


def test_errors_carry_line_numbers_and_paths() -> None:
    found = problems(
        """name: bad
device:
  profile: nope
timeline:
  - at: 2x
    show: {qr: "hi", scale: 3}
  - show: {qr: a, text: b}
"""
    )
    assert found == [
        "s.yaml:3: device.profile: unknown display profile 'nope'; known: frame, g1, g2, z100",
        "s.yaml:5: timeline[0].at: expected a duration such as 2.5s or 300ms, got '2x'",
        "s.yaml:6: timeline[0].show.scale: Input should be less than or equal to 1",
        "s.yaml:7: timeline[1].show: show needs exactly one of qr, ean13, text, image, blank, "
        "face (got qr, text)",
    ]


def test_unknown_keys_and_missing_fields() -> None:
    found = problems("name: x\ntimeline:\n  - show: {qr: a}\n    colour: red\n")
    assert found == ["s.yaml:4: timeline[0].colour: Extra inputs are not permitted"]
    assert problems("timeline:\n  - tap:\n") == ["s.yaml:1: name: Field required"]


def test_expectation_must_refer_to_a_cue() -> None:
    found = problems(
        "name: x\ntimeline:\n  - id: a\n    tap:\nexpect:\n  - hud_contains: hi\n    after: b\n"
    )
    assert len(found) == 1 and "refers to cue 'b'" in found[0] and "(ids: a)" in found[0]


def test_invalid_yaml_and_non_mapping() -> None:
    assert problems("name: [unclosed\n")[0].startswith("s.yaml:2: invalid YAML")
    assert problems("- just\n- a list\n") == [
        "s.yaml:1: a scenario must be a mapping with name, timeline and expect"
    ]


def test_missing_and_binary_files(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="no such scenario file"):
        load_scenario(tmp_path / "nope.yaml")
    binary = tmp_path / "b.yaml"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ScenarioError, match=r"b\.yaml:1: not UTF-8 text \(byte 0xff at column 1\)"):
        load_scenario(binary)


def test_nod_and_shake_steps() -> None:
    scenario = parse_scenario(
        """
name: gestures
timeline:
  - id: first
    nod:
  - at: 1s
    nod: {}
  - at: 2s
    shake:
  - at: 3s
    shake: true
expect:
  - absent: Photo saved
""",
        Path("s.yaml"),
    )
    actions = [(t.t_s, t.step.action) for t in scenario.steps]
    assert actions == [(0.0, "nod"), (1.0, "nod"), (2.0, "shake"), (3.0, "shake")]
    assert scenario.cues == {"first": 0.0}


def test_malformed_nod_names_the_line() -> None:
    found = problems("name: x\ntimeline:\n  - tap:\n  - nod: {count: 2}\n  - shake: 3\n")
    assert found == [
        "s.yaml:4: timeline[1].nod: a head gesture takes no options; write it bare, as "
        "`- nod:`, got {'count': 2}",
        "s.yaml:5: timeline[2].shake: a head gesture takes no options; write it bare, as "
        "`- nod:`, got 3",
    ]
    assert problems("name: x\ntimeline:\n  - nod:\n    tap:\n") == [
        "s.yaml:3: timeline[0]: each timeline step needs exactly one of show, tap, say, nod, "
        "shake, wait, swipe, unplug, replug, video, audio, battery (got tap, nod)"
    ]


def test_face_scenes() -> None:
    scenario = parse_scenario(
        """
name: faces
timeline:
  - show: {face: true, scale: 0.3, center: [0.4, 0.5], noise: 4}
  - show: {face: {center: [0.2, 0.3]}}
  - show:
      face:
        - {center: [0.3, 0.5], scale: 0.32}
        - {scale: 0.2}
      center: [0.7, 0.6]
expect:
  - absent: Photo saved
""",
        Path("s.yaml"),
    )
    shows = [t.step.show for t in scenario.steps]
    assert all(s is not None and s.scene_kind == "face" for s in shows)
    assert [s.faces for s in shows if s is not None] == [
        ((0.4, 0.5, 0.3),),
        ((0.2, 0.3, 0.4),),
        ((0.3, 0.5, 0.32), (0.7, 0.6, 0.2)),
    ]


def test_malformed_face_scenes_name_the_line() -> None:
    found = problems(
        """name: x
timeline:
  - show: {face: false}
  - show: {face: []}
  - show:
      face:
        - {center: [0.3, 0.5], scale: 2}
  - show: {face: true, rotate: 10}
  - show: {face: [{size: 0.3}]}
"""
    )
    assert found == [
        "s.yaml:3: timeline[0].show.face: face takes true (one face at center, scale) or a list "
        "of faces such as [{center: [0.3, 0.5], scale: 0.3}], got False",
        "s.yaml:4: timeline[1].show.face: face takes true (one face at center, scale) or a list "
        "of faces such as [{center: [0.3, 0.5], scale: 0.3}], got []",
        "s.yaml:7: timeline[2].show.face[0].scale: Input should be less than or equal to 1",
        "s.yaml:8: timeline[3].show: rotate is not supported for face scenes (faces are drawn "
        "upright)",
        "s.yaml:9: timeline[4].show.face[0].size: Extra inputs are not permitted",
    ]


def test_swipe_unplug_and_replug_steps() -> None:
    scenario = parse(
        """name: devices
timeline:
  - swipe: forward
  - at: 1s
    unplug: camera
  - unplug: microphone
  - at: 2s
    replug: microphone
  - at: 2s
    swipe: back
  - at: 3s
    replug: camera
expect:
  - absent: x
    for_ms: 500
"""
    )
    assert isinstance(scenario, Scenario)
    assert [(t.t_s, t.step.action) for t in scenario.steps] == [
        (0.0, "swipe"),
        (1.0, "unplug"),
        (1.0, "unplug"),
        (2.0, "replug"),
        (2.0, "swipe"),
        (3.0, "replug"),
    ]
    assert [t.step.swipe for t in scenario.steps if t.step.swipe] == ["forward", "back"]
    assert scenario.model.expect[0].label == "absent 'x' for 500 ms"


def test_limits_that_still_pass() -> None:
    # Edges of every rule: steps at the same time, a centre on the frame's edge, a duration
    # that ends right after the last step, an absent window that opens as the run ends (it
    # checks the HUD as the run ends) or that closes exactly then, a run of exactly the cap.
    scenario = parse(
        """name: edges
duration: 60min
timeline:
  - id: first
    at: 1s
    show: {qr: a, center: [0, 1]}
  - at: 1s
    id: same_time
    say: {text: hello, voice: en-us+f3}
  - wait: 59min
expect:
  - absent: a
    after: first
    within_ms: 3599000
  - absent: b
    after: same_time
    for_ms: 3599000
"""
    )
    assert isinstance(scenario, Scenario)
    assert scenario.duration_s == 3600.0


def test_an_unplugged_device_may_stay_unplugged() -> None:
    scenario = parse("name: x\ntimeline:\n  - unplug: camera\nexpect:\n  - absent: x\n")
    assert isinstance(scenario, Scenario)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (".inf", "a duration must be a finite number, got inf"),
        (".nan", "a duration must be a finite number, got nan"),
        ("1.0e+999", "a duration must be a finite number, got inf"),
        ("61min", "a duration can be at most 60 min, got '61min'"),
        ("3601", "a duration can be at most 60 min, got 3601"),
        ("-2", "a duration cannot be negative, got -2"),
        ("-0.5s", "a duration cannot be negative, got '-0.5s'"),
    ],
)
def test_durations_are_finite_and_capped(value: str, message: str) -> None:
    found = problems(f"name: x\ntimeline:\n  - tap:\nsettle: {value}\nexpect:\n  - absent: x\n")
    assert found == [f"s.yaml:4: settle: {message}"]


def test_anchors_aliases_and_merge_keys_work() -> None:
    scenario = parse(
        """name: reuse
timeline:
  - show: &poster {qr: "https://example.org", scale: 0.3}
  - at: 1s
    show: *poster
  - at: 2s
    show: {<<: *poster, noise: 8}
expect:
  - hud_contains: example.org
"""
    )
    assert isinstance(scenario, Scenario)
    shows = [t.step.show for t in scenario.steps if t.step.show is not None]
    assert shows[0] == shows[1] and shows[2].noise == 8 and shows[2].qr == shows[0].qr


def test_a_repeated_key_names_both_lines() -> None:
    found = problems("name: a\ntimeline:\n  - tap:\nname: b\nexpect:\n  - absent: x\n")
    assert found == [
        "s.yaml:4: invalid YAML: duplicate key 'name' (first at line 1); YAML would keep only "
        "the last one"
    ]
