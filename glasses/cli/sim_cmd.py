"""``glasses sim [FILE...] [--headless] [--report PATH] [--junit PATH]``."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

EXIT_FAILED = 1
EXIT_INVALID = 2


def bundled_scenario(name: str) -> Path:
    """A scenario shipped with glasses: in the wheel (simulator/scenarios) or the checkout."""
    import simulator

    here = Path(simulator.__file__).resolve().parent
    for candidate in (here / "scenarios" / name, here.parent / "scenarios" / name):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(name)


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "sim",
        help="run scenarios in the simulator",
        description="Run scenario files on the virtual clock and check their expectations. "
        "Without FILE, runs the bundled demo scenario.",
    )
    p.add_argument("files", nargs="*", type=Path, metavar="FILE", help="scenario YAML files")
    p.add_argument(
        "--headless",
        action="store_true",
        help="no TUI: run on free virtual time and print a summary (the default without a "
        "terminal, with --report/--junit, or with several files)",
    )
    p.add_argument(
        "--speed", type=float, default=1.0, help="TUI: virtual seconds per wall second (1)"
    )
    p.add_argument("--paused", action="store_true", help="TUI: start paused (space resumes)")
    p.add_argument("--report", type=Path, metavar="PATH", help="write a JSON report")
    p.add_argument("--junit", type=Path, metavar="PATH", help="write a JUnit XML report")
    p.set_defaults(func=run)


def wants_tui(args: argparse.Namespace, files: list[Path]) -> bool:
    interactive = sys.stdin.isatty() and sys.stdout.isatty() and not os.environ.get("CI")
    batch = args.headless or args.report or args.junit or len(files) > 1
    return interactive and not batch


def run_tui(path: Path, *, speed: float, paused: bool) -> int:
    from simulator.scenario import ScenarioError, load_scenario
    from simulator.session import SimSession
    from simulator.tui.app import SimApp

    if not speed > 0:
        print(f"glasses sim: --speed must be > 0, got {speed}", file=sys.stderr)
        return EXIT_INVALID
    try:
        session = SimSession(load_scenario(path), speed=speed, paused=paused)
    except ScenarioError as exc:
        print("\n".join(exc.problems), file=sys.stderr)
        return EXIT_INVALID
    SimApp(session).run()
    return 0


def run(args: argparse.Namespace) -> int:
    from simulator.harness import run_files
    from simulator.report import write_json, write_junit
    from simulator.summary import print_summary

    files: list[Path] = list(args.files) or [bundled_scenario("demo.yaml")]
    if wants_tui(args, files):
        return run_tui(files[0], speed=args.speed, paused=args.paused)
    results, errors = run_files(files)
    print_summary(results, errors, out=sys.stdout)
    for path, write in ((args.report, write_json), (args.junit, write_junit)):
        if path is not None:
            write(results, path)
            print(f"wrote {path}")
    if errors:
        return EXIT_INVALID
    return 0 if all(r.passed for r in results) else EXIT_FAILED
