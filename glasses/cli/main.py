"""The ``glasses`` command: ``sim``, ``run``, ``bench``, ``models``, ``read``, ``scan``, ``blur``,
``transcribe``, ``listen``, ``memory``, ``config``.

``glasses --version`` prints the installed version. ``-v`` logs what the runtime does (INFO);
``-vv`` adds a line per stage decision (each event a stage emits, described in words, DEBUG),
e.g. ``DEBUG glasses.runtime.runtime: 0.545 s router: intent scan (value=…)``.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version

from glasses.allocator import limit_retention
from glasses.cli import (
    bench_cmd,
    blur_cmd,
    config_cmd,
    listen_cmd,
    memory_cmd,
    models_cmd,
    read_cmd,
    run_cmd,
    scan_cmd,
    sim_cmd,
    transcribe_cmd,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="glasses",
        description="Smart-glasses companion runtime and device simulator.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    parser.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=0,
        help="log runtime details; -vv: and one line per stage decision",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    sim_cmd.add_parser(sub)
    run_cmd.add_parser(sub)
    bench_cmd.add_parser(sub)
    models_cmd.add_parser(sub)
    read_cmd.add_parser(sub)
    scan_cmd.add_parser(sub)
    blur_cmd.add_parser(sub)
    transcribe_cmd.add_parser(sub)
    listen_cmd.add_parser(sub)
    config_cmd.add_parser(sub)
    memory_cmd.add_parser(sub)
    return parser


def _version() -> str:
    try:
        return version("glasses")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "(not installed)"


OUR_LOGGERS = ("glasses", "simulator", "models")


def configure_logging(verbosity: int) -> None:
    """0: errors only; 1 (``-v``): INFO; 2 (``-vv``): DEBUG for our own loggers (libraries
    stay at INFO, so their chatter does not bury the stage decisions)."""
    logging.basicConfig(
        level=logging.INFO if verbosity else logging.ERROR,
        format="%(levelname)s %(name)s: %(message)s",
    )
    if verbosity >= 2:
        for name in OUR_LOGGERS:
            logging.getLogger(name).setLevel(logging.DEBUG)


def main(argv: Sequence[str] | None = None) -> int:
    limit_retention()  # before any model loads or thread starts (glasses/allocator.py)
    parser = build_parser()
    args = parser.parse_args(argv)
    configure_logging(args.verbose)
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (``glasses sim | head``): not an error worth a traceback.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141


if __name__ == "__main__":
    sys.exit(main())
