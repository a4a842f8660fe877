"""The human-readable summary of scenario runs, printed by ``glasses sim --headless``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TextIO

from simulator.harness import ScenarioResult
from simulator.scenario import ScenarioError


def print_summary(
    results: Sequence[ScenarioResult], errors: Sequence[ScenarioError], *, out: TextIO
) -> None:
    for r in results:
        mark = "PASS" if r.passed else "FAIL"
        print(f"{mark}  {r.name}  ({r.file}, {r.duration_s:g} s of virtual time)", file=out)
        for o in r.outcomes:
            print(f"  {'✓' if o.passed else '✗'} {o.label}: {o.detail}", file=out)
        for turn, marks in r.turns.items():
            timeline = " → ".join(f"{label} +{ms:g}" for label, ms in marks)
            print(f"  turn {turn}: {timeline} (ms)", file=out)
        frames = r.data_events.get("VideoFrame", 0)
        stages = r.metrics.get("stages", {})
        dropped = sum(s["dropped"] for s in stages.values())
        print(f"  camera: {frames} frames, {dropped} dropped by flow limiting", file=out)
        for name, s in stages.items():
            print(
                f"  stage {name:<7} {s['processed']:>5} events  latency p50 "
                f"{s['latency_ms_p50']:g} ms  p95 {s['latency_ms_p95']:g} ms"
                + (f"  crashes {s['crashes']}" if s["crashes"] else ""),
                file=out,
            )
    for e in errors:
        print("INVALID  " + "\n         ".join(e.problems), file=out)
    passed = sum(r.passed for r in results)
    failed = len(results) - passed
    invalid = f", {len(errors)} invalid" if errors else ""
    print(
        f"{len(results) + len(errors)} scenarios: {passed} passed, {failed} failed{invalid}",
        file=out,
    )
