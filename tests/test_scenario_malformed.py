"""Malformed scenario files: each one is a clean ``file:line:`` error, never a traceback, never a
silent pass.

Every file in ``tests/data/malformed/`` is one way to get a scenario wrong (the cases found by
trying main as an attacker would, and more). A text file's first line says what it must give,
``# error: LINE: TEXT``; files that cannot hold a comment (empty, binary) are listed below.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from glasses.cli.main import main
from simulator.scenario import MAX_FILE_BYTES, MAX_PROBLEMS, ScenarioError, load_scenario

DATA = Path(__file__).resolve().parent / "data" / "malformed"
FILES = sorted(DATA.glob("*.yaml"))
HEADER = re.compile(rb"# error: (\d+): (.*)\n")
WITHOUT_HEADER = {
    "empty.yaml": (1, "the file is empty; a scenario needs name, timeline and expect"),
    "blank_lines.yaml": (1, "the file is empty"),
    "binary_png.yaml": (1, "not UTF-8 text (byte 0x89 at column 1)"),
    "utf16.yaml": (1, "not UTF-8 text (byte 0xff at column 1)"),
    "latin1.yaml": (1, "not UTF-8 text (byte 0xe9 at column 10)"),
}


def expected(path: Path) -> tuple[int, str]:
    """The line and the text of the first problem ``path`` must give."""
    if path.name in WITHOUT_HEADER:
        return WITHOUT_HEADER[path.name]
    m = HEADER.match(path.read_bytes())
    assert m is not None, f"{path.name} needs a first line '# error: LINE: TEXT'"
    return int(m.group(1)), m.group(2).decode("utf-8")


def test_there_are_at_least_fifty() -> None:
    assert len(FILES) >= 50


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_malformed_file_is_a_located_error(path: Path) -> None:
    line, text = expected(path)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    problems = info.value.problems
    assert problems[0].startswith(f"{path}:{line}: "), problems
    assert text in problems[0], problems
    # Every problem names file and line, on one line of its own.
    assert all(re.match(rf"{re.escape(str(path))}:\d+: \S", p) for p in problems), problems
    assert all("\n" not in p for p in problems)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_cli_reports_it_as_invalid(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    line, text = expected(path)
    assert main(["sim", "--headless", str(path)]) == 2
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    assert f"{path}:{line}: " in captured.out and text in captured.out


def test_the_console_script_gives_no_traceback_for_any_of_them() -> None:
    # One batch of every file, through the installed entry point, as a user would run it.
    proc = subprocess.run(
        [sys.executable, "-m", "glasses.cli.main", "sim", "--headless", *map(str, FILES)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 2, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "Traceback" not in proc.stdout + proc.stderr
    assert not re.search(r"^(PASS|FAIL)\b", proc.stdout, re.MULTILINE)  # none of them ran
    for path in FILES:
        line, _ = expected(path)
        assert f"{path}:{line}: " in proc.stdout


def test_a_file_over_the_size_cap(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    padding = "#" * 1000 + "\n"
    path.write_text(
        "name: big\ntimeline:\n  - tap:\nexpect:\n  - absent: x\n"
        + padding * (MAX_FILE_BYTES // len(padding) + 1)
    )
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert info.value.problems == [f"{path}:1: larger than 1 MiB, the cap on a scenario file"]


def test_many_problems_are_counted_not_all_printed(tmp_path: Path) -> None:
    path = tmp_path / "many.yaml"
    path.write_text(
        "name: many\ntimeline:\n" + "  - tap: 3\n" * (MAX_PROBLEMS + 5) + "expect:\n  - absent: x\n"
    )
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    problems = info.value.problems
    assert len(problems) == MAX_PROBLEMS + 1
    assert problems[0].startswith(f"{path}:3: timeline[0].tap.count:")
    assert problems[-1] == f"{path}: … and 5 more problems"


def test_a_long_value_is_cut_short_in_the_message(tmp_path: Path) -> None:
    path = tmp_path / "long.yaml"
    path.write_text(f"name: x\ntimeline:\n  - at: {'9' * 5000}x\n    tap:\n")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert len(info.value.problems[0]) < 300
