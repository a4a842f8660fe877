"""The headless harness end to end: real frames, real code reader, virtual clock, reports."""

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from glasses.cli.main import main
from simulator.harness import run_scenario
from simulator.scenario import load_scenario

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "scenarios" / "demo.yaml"
SCAN = ROOT / "scenarios" / "scan_qr.yaml"
READ = ROOT / "scenarios" / "read_sign.yaml"
VOICE = ROOT / "scenarios" / "voice.yaml"
PRICE = ROOT / "scenarios" / "price_check.yaml"
PAY = ROOT / "scenarios" / "pay.yaml"


@pytest.mark.parametrize("path", [DEMO, SCAN, READ, VOICE, PRICE, PAY], ids=lambda p: p.name)
def test_bundled_scenarios_pass(path: Path) -> None:
    result = run_scenario(load_scenario(path))
    assert result.passed, [o.detail for o in result.outcomes if not o.passed]
    assert result.outcomes  # they check something
    frames = result.data_events["VideoFrame"]
    assert frames == pytest.approx(result.duration_s * 30, abs=2)


def test_demo_turn_timeline_goes_from_frame_to_hud() -> None:
    result = run_scenario(load_scenario(DEMO))
    first = result.turns[1]
    assert [label for label, _ in first] == ["VideoFrame", "Intent", "HudUpdate", "HudDrawn"]
    assert first[-1][1] > 0  # the code reader's (virtual) cost is on the timeline
    # At 12 ms a frame on the virtual clock the code reader keeps up: latest-wins drops none.
    codes = result.metrics["stages"]["codes"]
    assert codes["dropped"] == 0 and codes["processed"] >= codes["received"] - 1


def test_same_scenario_twice_gives_byte_identical_reports(tmp_path: Path) -> None:
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    assert main(["sim", "--headless", str(DEMO), "--report", str(a)]) == 0
    assert main(["sim", "--headless", str(DEMO), "--report", str(b)]) == 0
    assert a.read_bytes() == b.read_bytes()
    report = json.loads(a.read_text())
    assert report["passed"] is True
    stages = report["scenarios"][0]["stages"]
    assert {"codes", "router", "skills", "hud"} <= set(stages)
    assert stages["codes"]["latency_ms_p95"] >= stages["codes"]["latency_ms_p50"] > 0


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


FAILING = """name: expects the impossible
timeline:
  - id: shown
    show: {qr: "hello"}
settle: 1s
expect:
  - hud_contains: "goodbye"
    after: shown
    within_ms: 500
  - hud_contains: "hello"
"""


def test_failed_expectation_exits_1_with_reports(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "f.yaml", FAILING)
    junit = tmp_path / "out.xml"
    code = main(["sim", "--headless", str(path), "--junit", str(junit)])
    out = capsys.readouterr().out
    assert code == 1
    assert "✗ hud_contains 'goodbye' after shown within 500 ms: never shown" in out
    assert "✓ hud_contains 'hello'" in out
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None and suite.get("tests") == "2" and suite.get("failures") == "1"


def test_invalid_file_exits_2_and_other_files_still_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = write(tmp_path, "bad.yaml", "name: x\ntimeline:\n  - show: {qr: a, scale: 9}\n")
    code = main(["sim", "--headless", str(bad), str(SCAN)])
    out = capsys.readouterr().out
    assert code == 2
    assert f"{bad}:3: timeline[0].show.scale: Input should be less than or equal to 1" in out
    assert "PASS  Scan QR codes" in out


def test_unreadable_image_in_scenario_names_the_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "photo.png").write_bytes(b"not a png at all")
    path = write(
        tmp_path,
        "img.yaml",
        "name: x\ntimeline:\n  - tap:\n  - show: {image: photo.png}\nexpect:\n  - absent: y\n",
    )
    assert main(["sim", "--headless", str(path)]) == 2
    out = capsys.readouterr().out
    assert f"{path}:4: timeline[1].show:" in out and "photo.png" in out


def test_console_script_without_arguments_runs_the_demo_headless() -> None:
    # No terminal here (as in CI): the summary is printed and the exit code tells the verdict.
    proc = subprocess.run(
        [sys.executable, "-m", "glasses.cli.main", "sim"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "PASS  Demo" in proc.stdout
    assert "Traceback" not in proc.stderr


def test_voice_goes_through_the_real_audio_path() -> None:
    """Synthesised speech → mic → VAD → wake word → grammar → skill: timelines show each hop."""
    result = run_scenario(load_scenario(VOICE))
    assert result.passed, [o.detail for o in result.outcomes if not o.passed]
    spoken = [marks for marks in result.turns.values() if marks[0][0] == "SpeechEnd"]
    labels = [[label for label, _ in marks] for marks in spoken]
    # "hey glasses, read this": one turn from the end of speech to the HUD and the speaker.
    assert labels[0][:5] == ["SpeechEnd", "WakeWord", "Transcript", "Intent", "HudUpdate"]
    assert {"HudDrawn", "Say", "Speaking"} <= set(labels[0])
    intents = [e for e in result.events if e["type"] == "Intent" and e["source"] == "listen"]
    # "dismiss" alone: no wake, no intent; the out-of-grammar sentence is a question.
    assert [i["name"] for i in intents] == ["read", "dismiss", "ask"]
    assert result.data_events["AudioChunk"] == pytest.approx(result.duration_s * 16000 / 512, abs=2)


BUNDLED = sorted((ROOT / "scenarios").glob("*.yaml"))
SPEECH = [ROOT / "scenarios" / n for n in ("one_breath.yaml", "own_voice.yaml", "voice_clean.yaml")]


def test_every_bundled_scenario_is_run_by_some_test() -> None:
    # A bundled scenario nobody runs can break unnoticed (one_breath.yaml once did).
    assert len(BUNDLED) >= 19
    tested = {p.name for p in (DEMO, SCAN, READ, VOICE, PRICE, PAY, *SPEECH)}
    others = " ".join(
        f.read_text() for f in (ROOT / "tests").glob("test_*.py") if f.name != "test_harness.py"
    )
    untested = [p.name for p in BUNDLED if p.name not in tested and p.name not in others]
    assert untested == []


@pytest.mark.parametrize("path", SPEECH, ids=lambda p: p.name)
def test_speech_scenarios_pass(path: Path) -> None:
    result = run_scenario(load_scenario(path))
    assert result.passed, [o.detail for o in result.outcomes if not o.passed]
