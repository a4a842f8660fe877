"""``glasses config show|check``: the config file that ``glasses sim`` and ``glasses run`` read.

``show [--config PATH] [--json]`` prints the effective config as TOML, each value with where it
came from (the file and line, the environment, ``wake.toml``'s calibrated defaults, or the
defaults); ``check [PATH]`` checks a file (default: the one ``sim`` and ``run`` read) and prints
``PATH: ok`` or its problems, one ``file:line: message`` a line. See ``glasses.config``.

exit codes: 0 the config is fine (no file at the default place counts: the defaults apply);
2 it has problems (printed on stderr), or the file given does not exist.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

EXIT_OK = 0
EXIT_INVALID = 2

EPILOG = """\
file:
  $XDG_CONFIG_HOME/glasses/config.toml, else ~/.config/glasses/config.toml, or --config PATH
  on sim and run. Sections: [display] profile; [wake] backend, threshold; [listen] mode;
  [asr] open_speech, captions; [llm] backend, model, url, api_key_env, chat_format,
  max_tokens, n_ctx, threads, timeout_s, vision; [paths] photos, data.
  `glasses config show` prints every key with its value: a starting point for a file.

exit codes:
  0  the config is fine (no file at the default place: the defaults apply)
  2  problems, one file:line: message a line on stderr; or the file given does not exist
"""


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "config",
        help="show the effective config or check a config file",
        description="The config file of glasses sim and glasses run: show what applies and "
        "where each value comes from, or check a file.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    show = actions.add_parser("show", help="the effective config, with where each value comes from")
    show.add_argument(
        "--config", type=Path, metavar="PATH", help="config file (default: the user's)"
    )
    show.add_argument("--json", action="store_true", help="print JSON instead of TOML")
    show.set_defaults(func=run_show)
    check = actions.add_parser("check", help="check a config file: ok, or file:line problems")
    check.add_argument(
        "path", nargs="?", type=Path, metavar="PATH", help="config file (default: the user's)"
    )
    check.set_defaults(func=run_check)


def run_show(args: argparse.Namespace) -> int:
    from glasses.config import ConfigError, config_json, config_text, load_config

    try:
        config = load_config(args.config)
    except ConfigError as exc:
        print("\n".join(exc.problems), file=sys.stderr)
        return EXIT_INVALID
    if args.json:
        print(json.dumps(config_json(config), indent=2))
    else:
        print(config_text(config), end="")
    return EXIT_OK


def run_check(args: argparse.Namespace) -> int:
    from glasses.config import ConfigError, load_config

    try:
        config = load_config(args.path)
    except ConfigError as exc:
        print("\n".join(exc.problems), file=sys.stderr)
        return EXIT_INVALID
    note = "" if config.found else " (no file there: the defaults apply)"
    print(f"{config.path}: ok{note}")
    return EXIT_OK
