"""``glasses bench NAME [--json PATH]``: performance figures, printed and optionally saved."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any


def add_parser(sub: Any) -> None:
    p = sub.add_parser("bench", help="measure performance (runtime)")
    p.add_argument("name", choices=["runtime"], help="what to measure")
    p.add_argument("--json", type=Path, metavar="PATH", help="write a flat JSON object of figures")
    p.add_argument("--events", type=int, default=20_000, help="events per run (default 20000)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from glasses.bench import runtime_bench

    if args.events < 1:
        print("glasses bench: --events must be at least 1")
        return 2
    print(f"bench runtime: {args.events} events through 5 pass-through stages, both clocks …")
    figures = runtime_bench.run(events=args.events)
    rows = [("clock", "events/s", "hop p50 µs", "hop p99 µs")]
    for clock, f in figures.items():
        rows.append(
            (clock, f"{f['events_per_s']:,.0f}", f"{f['hop_us_p50']:.1f}", f"{f['hop_us_p99']:.1f}")
        )
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    for r in rows:
        print(
            "  ".join(
                cell.rjust(w) if i else cell.ljust(w)
                for i, (cell, w) in enumerate(zip(r, widths, strict=True))
            )
        )
    if args.json:
        args.json.write_text(json.dumps(runtime_bench.flat(figures), indent=2) + "\n")
        print(f"wrote {args.json}")
    return 0
