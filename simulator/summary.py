"""The human-readable summary of scenario runs, printed by ``glasses sim --headless``.

``print_result`` prints one file's verdict as soon as it has run (so a long batch shows its
progress, and what Ctrl-C cut short is visible); ``print_totals`` closes the batch.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TextIO

from simulator.harness import BatchRun, ScenarioResult


def print_result(r: ScenarioResult, *, out: TextIO) -> None:
    if r.status == "invalid":
        print("INVALID  " + r.error.replace("\n", "\n         "), file=out, flush=True)
        return
    if r.status == "crashed":
        print(f"CRASHED  {r.name}  ({r.file}): {r.error}", file=out, flush=True)
        return
    mark = "PASS" if r.passed else "FAIL"
    print(f"{mark}  {r.name}  ({r.file}, {r.duration_s:g} s of virtual time)", file=out)
    for line in r.error.splitlines():
        print(f"  ✗ {line}", file=out)
    for o in r.outcomes:
        print(f"  {'✓' if o.passed else '✗'} {o.label}: {o.detail}", file=out)
    for turn, marks in r.turns.items():
        print(f"  turn {turn}: {timeline_text(marks, r.folded.get(turn))} (ms)", file=out)
    frames = r.data_events.get("VideoFrame", 0)
    stages = r.metrics.get("stages", {})
    gave_up = r.metrics.get("failed", {})
    dropped = sum(s["dropped"] for s in stages.values())
    print(f"  camera: {frames} frames, {dropped} dropped by flow limiting", file=out)
    for name, s in stages.items():
        print(
            f"  stage {name:<7} {s['processed']:>5} events  latency p50 "
            f"{s['latency_ms_p50']:g} ms  p95 {s['latency_ms_p95']:g} ms"
            + (f"  crashes {s['crashes']}" if s["crashes"] else "")
            + ("  GAVE UP" if name in gave_up else ""),
            file=out,
        )
    for photo in r.photos:
        print(f"  photo saved: {photo}", file=out)
    out.flush()


def print_totals(batch: BatchRun, *, out: TextIO) -> None:
    counts = {status: 0 for status in ("passed", "failed", "invalid", "crashed")}
    for r in batch.results:
        counts["passed" if r.passed else "failed" if r.status == "ran" else r.status] += 1
    extra = "".join(f", {counts[k]} {k}" for k in ("invalid", "crashed") if counts[k])
    total = len(batch.results) + len(batch.not_run)
    line = f"{total} scenarios: {counts['passed']} passed, {counts['failed']} failed{extra}"
    if batch.interrupted:
        line += f", {len(batch.not_run)} not run (interrupted)"
    print(line, file=out, flush=True)


def timeline_text(
    marks: Sequence[tuple[str, float]], folded: Mapping[str, int] | None = None
) -> str:
    """A turn's marks as ``Label +ms → …``. A label that repeats (a streamed answer's hundred
    HUD updates) is one entry at its first time, with its count and last time:
    ``HudUpdate +902 (×97, last +2822)``. ``folded``: marks of the turn left out of ``marks``
    (label → how many; ``ScenarioResult.folded``), counted in."""
    first: dict[str, float] = {}
    last: dict[str, float] = {}
    count: dict[str, int] = dict(folded or {})
    for label, ms in marks:
        first.setdefault(label, ms)
        last[label] = ms
        count[label] = count.get(label, 0) + 1
    parts = []
    for label, ms in first.items():
        more = f" (×{count[label]}, last +{last[label]:g})" if count[label] > 1 else ""
        parts.append(f"{label} +{ms:g}{more}")
    return " → ".join(parts)
