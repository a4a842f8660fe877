"""``--hud-gif OUT.gif`` and ``--hud-png DIR``, the HUD pictures ``glasses sim`` and
``glasses run`` can write of a run (``glasses.hud.pictures``).

The paths are checked before the run (``problem``); the pictures are drawn and written after
it (``write``), on the profile the run used. ``--hud-png`` replaces the ``hud-*.png`` an
earlier run left in DIR, so the folder shows one run.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:  # PIL and the HUD's renderers load when a picture is asked for
    from glasses.hud.pictures import HudPictures

_SHOT_NAME = re.compile(r"hud-\d{4,}\.\d{3}s\.png")


def add_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("HUD pictures")
    g.add_argument(
        "--hud-gif",
        type=Path,
        metavar="OUT.gif",
        help="write an animated GIF of the HUD: one frame per update, shown as long as it was",
    )
    g.add_argument(
        "--hud-png",
        type=Path,
        metavar="DIR",
        help="write one PNG per HUD update into DIR, named by its time (hud-0001.250s.png)",
    )


def wanted(args: argparse.Namespace) -> bool:
    return args.hud_gif is not None or args.hud_png is not None


def problem(args: argparse.Namespace) -> str:
    """Why the pictures asked for cannot be written ("" if they can), checked before a run."""
    from glasses.atomic import output_problem

    if args.hud_gif is not None:
        why = output_problem(args.hud_gif)
        if why:
            return f"--hud-gif {args.hud_gif}: {why}"
    folder: Path | None = args.hud_png
    if folder is not None:
        if folder.exists() and not folder.is_dir():
            return f"--hud-png {folder}: is not a directory"
        if folder.is_dir():
            if not os.access(folder, os.W_OK | os.X_OK):
                return f"--hud-png {folder}: directory is not writable"
        else:
            why = output_problem(folder)
            if why:
                return f"--hud-png {folder}: {why}"
    return ""


def recorder(args: argparse.Namespace) -> HudPictures | None:
    """A ``HudPictures`` to watch the run with, if pictures are asked for."""
    if not wanted(args):
        return None
    from glasses.hud.pictures import HudPictures

    return HudPictures()


def write(
    args: argparse.Namespace, pictures: HudPictures, *, prog: str, out: TextIO | None = None
) -> bool:
    """Write the pictures asked for, on the run's display (``pictures.profile``; nothing when
    no run started); a line each on ``out`` (stdout), an error on stderr. Returns False if
    one could not be written."""
    out = out or sys.stdout
    profile = pictures.profile
    if profile is None:
        return True
    ok = True
    if args.hud_gif is not None:
        try:
            frames = pictures.write_gif(args.hud_gif, profile)
        except OSError as exc:
            print(f"{prog}: cannot write {args.hud_gif}: {exc.strerror or exc}", file=sys.stderr)
            ok = False
        else:
            print(f"wrote {args.hud_gif} ({frames} frames, {profile.name})", file=out)
    if args.hud_png is not None:
        folder: Path = args.hud_png
        try:
            folder.mkdir(parents=True, exist_ok=True)
            for old in folder.iterdir():
                if _SHOT_NAME.fullmatch(old.name):
                    old.unlink()
            written = pictures.write_pngs(folder, profile)
        except OSError as exc:
            print(f"{prog}: cannot write {folder}: {exc.strerror or exc}", file=sys.stderr)
            ok = False
        else:
            print(f"wrote {len(written)} PNGs in {folder} ({profile.name})", file=out)
    return ok
