"""Stage timing and per-turn latency timelines, all on the runtime clock (nanoseconds)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from glasses.runtime.events import Event


def percentile(values: list[int] | list[float], q: float) -> float:
    """Nearest-rank percentile (``q`` in 0..100); 0.0 for no values. Deterministic, no numpy."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1))))
    return float(ordered[rank])


@dataclass
class StageStats:
    """``busy_ns``: time inside ``process``; ``latency_ns``: from the event's ``t_ns`` to done."""

    processed: int = 0
    crashes: int = 0
    busy_ns: list[int] = field(default_factory=list)
    latency_ns: list[int] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        return {
            "processed": self.processed,
            "crashes": self.crashes,
            "busy_ms_p50": round(percentile(self.busy_ns, 50) / 1e6, 3),
            "busy_ms_p95": round(percentile(self.busy_ns, 95) / 1e6, 3),
            "latency_ms_p50": round(percentile(self.latency_ns, 50) / 1e6, 3),
            "latency_ms_p95": round(percentile(self.latency_ns, 95) / 1e6, 3),
        }


@dataclass(frozen=True, slots=True)
class TimelineMark:
    t_ns: int
    label: str


class Timelines:
    """Per-turn latency timelines: each turn's marks in order, relative to its first mark."""

    def __init__(self) -> None:
        self._marks: dict[int, list[TimelineMark]] = defaultdict(list)
        self._next_turn = 1

    def new_turn(self, t_ns: int, origin: str) -> int:
        """Open a turn whose clock starts at ``t_ns`` (e.g. the capture time of the frame)."""
        turn = self._next_turn
        self._next_turn += 1
        self._marks[turn].append(TimelineMark(t_ns, origin))
        return turn

    def observe(self, event: Event) -> None:
        if event.turn_id is not None:
            self._marks[event.turn_id].append(TimelineMark(event.t_ns, event.type_name))

    def start_ns(self, turn_id: int) -> int | None:
        """When ``turn_id`` opened (its cue: a tap, the end of the speech that asked), or None
        for a turn never opened."""
        marks = self._marks.get(turn_id)
        return marks[0].t_ns if marks else None

    def turns(self) -> dict[int, list[TimelineMark]]:
        return dict(self._marks)

    def relative_ms(self, turn_id: int) -> list[tuple[str, float]]:
        marks = self._marks.get(turn_id, [])
        if not marks:
            return []
        t0 = marks[0].t_ns
        return [(m.label, round((m.t_ns - t0) / 1e6, 3)) for m in marks]

    def format(self, turn_id: int) -> str:
        return " → ".join(f"{label} +{ms:g} ms" for label, ms in self.relative_ms(turn_id))
