"""``glasses sim [FILE...] [--headless] [--link] [--report PATH] [--junit PATH] [--hud-gif GIF]``.

Headless batches are safe to leave running: each file's verdict is printed as soon as it has
run; an invalid or crashing file is reported as such (summary and reports) and the others run;
Ctrl-C stops cleanly and still writes the reports of the files that finished; the report paths
are checked before anything runs.

exit codes: 0 every scenario passed; 1 a scenario failed (an expectation, a stage that gave up)
or crashed; 2 a scenario file is invalid, a report path cannot be written, or the config, a
custom skill or the language model cannot be set up (all checked first); 130 interrupted
(Ctrl-C), after writing the reports of what finished.

``--hud-gif``/``--hud-png`` picture the HUD of one file's run (headless or in the TUI).

``--link`` runs headless with the glasses' side emulated (``firmware_stubs``) and the camera,
microphone, display and battery reached over the link protocol, modelled as the scenario's
``link:`` section says (``firmware_stubs.scenario``).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from glasses.cli import assistant_options, hud_options
from glasses.cli.arg_types import positive_number

if TYPE_CHECKING:
    from glasses.app.setup import AssistantSetup
    from glasses.hud.pictures import HudPictures

EXIT_FAILED = 1
EXIT_INVALID = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as a shell reports a command stopped by Ctrl-C


def bundled_scenario(name: str) -> Path:
    """A scenario shipped with glasses: in the wheel (simulator/scenarios) or the checkout."""
    from simulator.bundled import bundled_scenario as find

    return find(name)


# Checked however the scenario runs: headless ignores --speed, but 0 or less is a mistake to
# say, not to pass over.
_speed = positive_number()


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
        "--speed", type=_speed, default=1.0, help="TUI: virtual seconds per wall second (1)"
    )
    p.add_argument("--paused", action="store_true", help="TUI: start paused (space resumes)")
    p.add_argument(
        "--link",
        action="store_true",
        help="headless, over the link: the glasses emulated by the firmware stub, their camera, "
        "microphone and display reached through link:// backends over a modelled radio (the "
        "scenario's link: section)",
    )
    p.add_argument("--report", type=Path, metavar="PATH", help="write a JSON report")
    p.add_argument("--junit", type=Path, metavar="PATH", help="write a JUnit XML report")
    # The config file, custom skills and the language model; a scenario's device: section wins
    # over the config's (and --profile's) profile and listening mode.
    assistant_options.add_options(p, profile=True)
    hud_options.add_options(p)
    p.set_defaults(func=run)


def wants_tui(args: argparse.Namespace, files: list[Path]) -> bool:
    interactive = sys.stdin.isatty() and sys.stdout.isatty() and not os.environ.get("CI")
    batch = args.headless or args.link or args.report or args.junit or len(files) > 1
    return interactive and not batch


def run_tui(
    path: Path,
    *,
    speed: float,
    paused: bool,
    setup: AssistantSetup | None = None,
    pictures: HudPictures | None = None,
) -> int:
    """The scenario at ``path`` in the TUI; ``pictures`` watch its HUD."""
    from simulator.scenario import ScenarioError, load_scenario
    from simulator.session import SimSession
    from simulator.tui.app import GlassesApp

    if not speed > 0:
        print(f"glasses sim: --speed must be > 0, got {speed}", file=sys.stderr)
        return EXIT_INVALID
    try:
        session = SimSession(load_scenario(path), speed=speed, paused=paused, setup=setup)
    except ScenarioError as exc:
        print("\n".join(exc.problems), file=sys.stderr)
        return EXIT_INVALID
    if pictures is not None:
        pictures.profile = session.profile
        session.rig.runtime.observe(pictures.observe)
    GlassesApp(session).run()
    session.stop()  # the app stopped it already; the runtime's Shutdown ends the pictures
    return 0


def run(args: argparse.Namespace) -> int:
    from glasses.atomic import output_problem

    files: list[Path] = list(args.files) or [bundled_scenario("demo.yaml")]
    tui = wants_tui(args, files)
    if hud_options.wanted(args):
        problem = hud_options.problem(args)
        if len(files) > 1:
            problem = "--hud-gif and --hud-png picture one scenario file, not several"
        if problem:
            print(f"glasses sim: {problem}", file=sys.stderr)
            return EXIT_INVALID
    if not tui:
        for flag, path in (("--report", args.report), ("--junit", args.junit)):
            problem = output_problem(path) if path is not None else ""
            if problem:
                print(f"glasses sim: {flag} {path}: {problem}", file=sys.stderr)
                return EXIT_INVALID
    try:
        config = assistant_options.load(args)
        setup = assistant_options.assistant_setup(args, config, simulator=True)
    except assistant_options.SetupError as exc:
        for line in str(exc).splitlines():
            print(f"glasses sim: {line}", file=sys.stderr)
        return EXIT_INVALID
    pictures = hud_options.recorder(args)
    if tui:
        code = run_tui(
            files[0], speed=args.speed, paused=args.paused, setup=setup, pictures=pictures
        )
    else:
        code = run_batch(
            files,
            report=args.report,
            junit=args.junit,
            setup=setup,
            pictures=pictures,
            link=args.link,
        )
    if pictures is not None and not hud_options.write(args, pictures, prog="glasses sim"):
        return code if code == EXIT_INTERRUPTED else EXIT_INVALID
    return code


def run_batch(
    files: list[Path],
    *,
    report: Path | None,
    junit: Path | None,
    setup: AssistantSetup | None = None,
    pictures: HudPictures | None = None,
    link: bool = False,
) -> int:
    """Run ``files`` headless, print each verdict as it comes, write the reports; see the
    module's exit codes. ``pictures`` watch the HUD (of one file: it gets every file's);
    ``link``: over the link, the glasses emulated."""
    from glasses.hud.profile import get_profile
    from simulator.harness import ScenarioResult, run_files
    from simulator.report import write_json, write_junit
    from simulator.summary import print_result, print_totals

    def finished(result: ScenarioResult) -> None:
        print_result(result, out=sys.stdout)
        if result.traceback:  # a crash: where it happened, for the bug report
            print(result.traceback, file=sys.stderr, end="", flush=True)
        if pictures is not None and result.status == "ran":
            pictures.profile = get_profile(result.profile)

    observers = [pictures.observe] if pictures is not None else []
    if link:
        from firmware_stubs.scenario import LinkRigs

        batch = run_files(
            files, on_result=finished, setup=setup, observers=observers, rig=LinkRigs()
        )
    else:
        batch = run_files(files, on_result=finished, setup=setup, observers=observers)
    print_totals(batch, out=sys.stdout)
    written = True
    for path, write in ((report, write_json), (junit, write_junit)):
        if path is None:
            continue
        try:
            write(batch.results, path, interrupted=batch.interrupted, not_run=batch.not_run)
        except OSError as exc:  # the disk filled up, or the folder went away meanwhile
            print(f"glasses sim: cannot write {path}: {exc.strerror or exc}", file=sys.stderr)
            written = False
            continue
        print(f"wrote {path}")
    if batch.interrupted:
        return EXIT_INTERRUPTED
    if any(r.status == "invalid" for r in batch.results) or not written:
        return EXIT_INVALID
    return 0 if batch.passed else EXIT_FAILED
