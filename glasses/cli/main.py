"""The ``glasses`` command: ``sim``, ``run``, ``bench``, ``models``, ``read``, ``scan``, ``blur``,
``transcribe``, ``listen``, ``memory``, ``config``."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

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
    parser.add_argument("-v", "--verbose", action="store_true", help="log runtime details")
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


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.ERROR,
        format="%(levelname)s %(name)s: %(message)s",
    )
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
