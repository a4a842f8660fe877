"""Batch runs (``glasses sim --headless a.yaml b.yaml …``): one bad file never loses the others,
Ctrl-C keeps what finished, and output paths are checked before anything runs."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from glasses.cli.main import main
from simulator import harness
from simulator.harness import run_scenario
from simulator.scenario import Scenario

ROOT = Path(__file__).resolve().parent.parent
SCAN = ROOT / "scenarios" / "scan_qr.yaml"

LONG = """name: a long wait
timeline:
  - at: 0.2s
    id: shown
    show: {qr: "long run"}
duration: 10min
expect:
  - hud_contains: "long run"
    after: shown
    within_ms: 500
"""


def test_an_invalid_and_a_crashing_file_are_reported_and_the_others_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    invalid = tmp_path / "invalid.yaml"
    invalid.write_text("name: [unclosed\n", encoding="utf-8")
    crashing = tmp_path / "crashing.yaml"
    crashing.write_text(SCAN.read_text(encoding="utf-8"), encoding="utf-8")

    def run(scenario: Scenario, **kwargs: object) -> harness.ScenarioResult:
        if scenario.path == crashing:  # a harness bug, a model that will not load, memory …
            raise MemoryError("cannot allocate the scene")
        return run_scenario(scenario, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(harness, "run_scenario", run)
    report, junit = tmp_path / "r.json", tmp_path / "r.xml"
    args = [str(invalid), str(crashing), str(SCAN), "--report", str(report), "--junit", str(junit)]
    code = main(["sim", "--headless", *args])
    captured = capsys.readouterr()
    assert code == 2  # an invalid file is the gravest verdict short of Ctrl-C
    assert f"INVALID  {invalid}:" in captured.out  # file:line: what is wrong
    assert "CRASHED  Scan QR codes" in captured.out and "MemoryError" in captured.out
    assert "PASS  Scan QR codes" in captured.out
    assert "3 scenarios: 1 passed, 0 failed, 1 invalid, 1 crashed" in captured.out
    assert "Traceback" in captured.err and "cannot allocate the scene" in captured.err

    scenarios = json.loads(report.read_text())["scenarios"]
    assert [(s["file"], s["status"], s["passed"]) for s in scenarios] == [
        ("invalid.yaml", "invalid", False),
        ("crashing.yaml", "crashed", False),
        ("scenarios/scan_qr.yaml", "ran", True),
    ]
    assert scenarios[1]["error"] == "crashed: MemoryError: cannot allocate the scene"
    suites = ET.parse(junit).getroot().findall("testsuite")
    assert [s.get("errors") for s in suites] == ["1", "1", "0"]
    error = suites[1].find("testcase/error")
    assert error is not None and error.get("type") == "crashed"


@pytest.mark.parametrize("flag", ["--report", "--junit"])
def test_an_unwritable_output_path_fails_before_anything_runs(
    tmp_path: Path, flag: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("a scenario ran although its report could not be written")

    monkeypatch.setattr(harness, "run_scenario", never)
    missing = tmp_path / "no" / "such" / "dir" / "out"
    assert main(["sim", "--headless", str(SCAN), flag, str(missing)]) == 2
    err = capsys.readouterr().err
    assert err == f"glasses sim: {flag} {missing}: directory {missing.parent} does not exist\n"
    assert main(["sim", "--headless", str(SCAN), flag, str(tmp_path)]) == 2
    assert f"{flag} {tmp_path}: is a directory" in capsys.readouterr().err


def test_ctrl_c_stops_cleanly_and_writes_the_report_of_what_finished(tmp_path: Path) -> None:
    long = tmp_path / "long.yaml"
    long.write_text(LONG, encoding="utf-8")
    report, junit = tmp_path / "r.json", tmp_path / "r.xml"
    command = [sys.executable, "-m", "glasses.cli.main", "sim", "--headless", str(SCAN)]
    proc = subprocess.Popen(
        [*command, str(long), "--report", str(report), "--junit", str(junit)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env=os.environ | {"PYTHONUNBUFFERED": "1"},
        # A runner that starts the suite as a background job (``cmd &`` in a script) hands it
        # SIGINT ignored, and Python then never raises KeyboardInterrupt: what a terminal's
        # Ctrl-C does needs the default disposition back.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    lines: list[str] = []
    arrived: queue.Queue[str | None] = queue.Queue()

    def read() -> None:
        for line in proc.stdout or ():
            arrived.put(line)
        arrived.put(None)  # end of output

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        # The first file's verdict is printed as it finishes, before the long one starts:
        # block on the child's output lines until it comes (or the output ends).
        while not any("Scan QR codes" in line for line in lines):
            line = arrived.get(timeout=300)
            assert line is not None, "".join(lines) + (proc.stderr.read() if proc.stderr else "")
            lines.append(line)
        assert lines[0].startswith("PASS  Scan QR codes"), "".join(lines)
        proc.send_signal(signal.SIGINT)
        code = proc.wait(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    reader.join(timeout=10)
    while (line := arrived.get_nowait() if not arrived.empty() else None) is not None:
        lines.append(line)
    err = proc.stderr.read() if proc.stderr else ""
    out = "".join(lines)
    assert code == 130, out + err
    assert "Traceback" not in err
    assert "2 scenarios: 1 passed, 0 failed, 1 not run (interrupted)" in out
    data = json.loads(report.read_text())
    assert data["interrupted"] is True and data["passed"] is False
    assert [s["name"] for s in data["scenarios"]] == ["Scan QR codes — rotated, noisy, small"]
    assert data["not_run"] == ["long.yaml"]
    skipped = ET.parse(junit).getroot().find("testsuite[@name='long.yaml']/testcase/skipped")
    assert skipped is not None


def test_a_bench_checks_its_json_path_before_it_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nowhere" / "figures.json"
    assert main(["bench", "runtime", "--json", str(missing)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""  # nothing ran
    assert captured.err == (
        f"glasses bench: --json {missing}: directory {missing.parent} does not exist\n"
    )


@pytest.mark.parametrize("speed", ["0", "-1", "inf", "fast"])
def test_a_speed_that_is_no_positive_number_is_a_usage_error(
    speed: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # Headless runs ignore --speed, and took 0 or -1 without a word.
    with pytest.raises(SystemExit) as exited:
        main(["sim", "--headless", "--speed", speed, str(SCAN)])
    assert exited.value.code == 2
    assert "argument --speed:" in capsys.readouterr().err
