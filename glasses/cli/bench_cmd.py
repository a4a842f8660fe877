"""``glasses bench NAME [--json PATH]``: performance figures, printed and optionally saved."""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any


def add_parser(sub: Any) -> None:
    p = sub.add_parser("bench", help="measure performance (runtime, hud, vision)")
    p.add_argument("name", choices=["runtime", "hud", "vision"], help="what to measure")
    p.add_argument("--json", type=Path, metavar="PATH", help="write a flat JSON object of figures")
    p.add_argument(
        "--events", type=int, default=20_000, help="runtime: events per run (default 20000)"
    )
    p.add_argument(
        "--rounds", type=int, default=3, help="hud: rounds over every card and profile (default 3)"
    )
    p.add_argument(
        "--frames", type=int, default=40, help="vision: generated OCR frames (default 40)"
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.name == "hud":
        return _hud(args)
    if args.name == "vision":
        return _vision(args)
    return _runtime(args)


def _runtime(args: argparse.Namespace) -> int:
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
    _print_table(rows)
    if args.json:
        _write_json(args.json, runtime_bench.flat(figures))
    return 0


def _hud(args: argparse.Namespace) -> int:
    from glasses.bench import hud_bench
    from glasses.hud.profile import PROFILES

    if args.rounds < 1:
        print("glasses bench: --rounds must be at least 1")
        return 2
    cards = len(hud_bench.sample_cards())
    print(
        f"bench hud: {cards} cards × {len(PROFILES)} profiles × {args.rounds} rounds, "
        "each update timed cold (layout + render) …"
    )
    figures = hud_bench.run(rounds=args.rounds)
    rows = [("renderer", "updates", "p50 ms", "p99 ms")]
    for name, f in figures.items():
        rows.append((name, f"{f['updates']:.0f}", f"{f['ms_p50']:.3f}", f"{f['ms_p99']:.3f}"))
    _print_table(rows)
    if args.json:
        _write_json(args.json, hud_bench.flat(figures))
    return 0


def _vision(args: argparse.Namespace) -> int:
    from glasses.bench import vision_bench
    from models.registry import ModelError
    from simulator.ocr_set import FontsMissing

    if args.frames < 1:
        print("glasses bench: --frames must be at least 1")
        return 2
    print(f"bench vision: {args.frames} generated OCR frames (640×480), codes, camera at 30 fps …")
    try:
        figures = vision_bench.run(
            frames=args.frames,
            code_frames=max(10, min(100, 2 * args.frames)),
            progress=lambda line: print(line, flush=True),
        )
    except (ModelError, FontsMissing) as exc:
        print(f"glasses bench: {exc}")
        return 3
    rows = [("OCR reader", "p50 ms", "p95 ms", "lines exact %", "CER")]
    for name, label in (("int8", "ours int8"), ("fp32", "ours fp32"), ("raw", "raw rapidocr")):
        if name in figures:
            f = figures[name]
            rows.append(
                (label, f"{f['ms_p50']:.0f}", f"{f['ms_p95']:.0f}", f"{f['line_exact']:.1f}",
                 f"{f['cer']:.4f}")
            )  # fmt: skip
    _print_table(rows)
    c, cam = figures["codes"], figures["camera"]
    print(f"codes: {c['decode_rate']:.1f} % decoded, p50 {c['ms_p50']:.1f} ms")
    print(
        f"camera at 30 fps: {cam['processed']:.0f}/{cam['frames']:.0f} frames read, "
        f"{cam['dropped']:.0f} dropped (latest wins), frame age at the model p50 "
        f"{cam['frame_age_ms_p50']:.1f} ms, p95 {cam['frame_age_ms_p95']:.1f} ms"
    )
    flat = vision_bench.flat(figures)
    print(
        f"speedup vs raw rapidocr {flat['speedup_vs_raw']}×, int8 vs fp32 {flat['int8_speedup']}×"
    )
    if args.json:
        _write_json(args.json, flat)
    return 0


def _print_table(rows: Sequence[tuple[str, ...]]) -> None:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        print(
            "  ".join(
                cell.rjust(w) if i else cell.ljust(w)
                for i, (cell, w) in enumerate(zip(r, widths, strict=True))
            )
        )


def _write_json(path: Path, figures: dict[str, Any]) -> None:
    path.write_text(json.dumps(figures, indent=2) + "\n")
    print(f"wrote {path}")
