"""Stage timing and per-turn latency timelines, all on the runtime clock (nanoseconds).

Both are bounded however long the session (a wearable runs for hours, a soak for 60 min):

* ``Distribution`` keeps counts of values, not the values: exact while it has seen at most
  ``MAX_EXACT`` distinct values (the virtual clock's nominal costs repeat, so a scenario's
  figures are exact), then in log-spaced buckets whose percentiles are within
  ``RELATIVE_ERROR`` (1 %) of the exact ones. Either way at most a few thousand counters.
* ``Timelines`` keeps the newest ``max_turns`` turns and, per turn, its first ``max_marks``
  marks in order; marks after those are folded per label into a count and the last time (a
  streamed answer's hundreds of ``HudUpdate``/``HudDrawn``), so every label keeps its first
  and last time and its count.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from glasses.runtime.events import Event

MAX_EXACT = 1024
"""Distinct values a ``Distribution`` keeps exactly before it folds them into buckets."""
RELATIVE_ERROR = 0.01
"""Once folded, a percentile is within this fraction of the exact value (DDSketch's bound:
log-spaced buckets of ratio (1 + e) / (1 - e), each read as its centre)."""
_GAMMA = (1 + RELATIVE_ERROR) / (1 - RELATIVE_ERROR)
_LOG_GAMMA = math.log(_GAMMA)


def percentile(values: list[int] | list[float], q: float) -> float:
    """Nearest-rank percentile (``q`` in 0..100); 0.0 for no values. Deterministic, no numpy."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1))))
    return float(ordered[rank])


class Distribution:
    """Values (ns, or any non-negative number) in fixed memory; ``percentile`` as the function
    of that name would give on all of them, exactly or (once ``folded``) within
    ``RELATIVE_ERROR``. Negative values count as 0."""

    __slots__ = ("_counts", "count", "folded", "max", "min")

    def __init__(self) -> None:
        self._counts: dict[float, int] = {}  # value (or bucket index, once folded) → count
        self.count = 0
        self.folded = False
        self.min = math.inf
        self.max = -math.inf

    def add(self, value: float) -> None:
        value = max(value, 0)
        self.count += 1
        self.min = min(self.min, value)
        self.max = max(self.max, value)
        key = _bucket(value) if self.folded else value
        self._counts[key] = self._counts.get(key, 0) + 1
        if not self.folded and len(self._counts) > MAX_EXACT:
            self._fold()

    def _fold(self) -> None:
        buckets: dict[float, int] = {}
        for value, n in self._counts.items():
            b = _bucket(value)
            buckets[b] = buckets.get(b, 0) + n
        self._counts = buckets
        self.folded = True

    def percentile(self, q: float) -> float:
        """Nearest-rank percentile (``q`` in 0..100); 0.0 when empty."""
        if not self.count:
            return 0.0
        rank = max(0, min(self.count - 1, round(q / 100 * (self.count - 1))))
        if rank == 0 or rank == self.count - 1:  # the extremes are kept exactly
            return float(self.min if rank == 0 else self.max)
        seen = 0
        for key in sorted(self._counts):
            seen += self._counts[key]
            if seen > rank:
                value = _centre(key) if self.folded else key
                return float(min(max(value, self.min), self.max))
        return float(self.max)  # not reached: the counts add up to ``count``

    def __len__(self) -> int:
        return self.count


def _bucket(value: float) -> float:
    """The log bucket of ``value``: -1 holds everything under 1 (0 ns), bucket k >= 0 holds
    (γ^(k-1), γ^k]."""
    return -1.0 if value < 1 else float(math.ceil(math.log(value) / _LOG_GAMMA))


def _centre(bucket: float) -> float:
    """The value bucket ``bucket`` is read as: within ``RELATIVE_ERROR`` of anything in it."""
    return 0.0 if bucket < 0 else 2 * _GAMMA**bucket / (_GAMMA + 1)


@dataclass
class StageStats:
    """``busy``: time inside ``process``; ``latency``: from the event's ``t_ns`` to done;
    ``skipped``: events the stage's ``skip`` took (in ``processed``, not in the figures)."""

    processed: int = 0
    crashes: int = 0
    skipped: int = 0
    busy: Distribution = field(default_factory=Distribution)
    latency: Distribution = field(default_factory=Distribution)

    def record(self, busy_ns: int, latency_ns: int) -> None:
        """One event processed: ``busy_ns`` inside ``process``, done ``latency_ns`` after the
        event's time."""
        self.processed += 1
        self.busy.add(busy_ns)
        self.latency.add(latency_ns)

    def summary(self) -> dict[str, Any]:
        return {
            "processed": self.processed,
            "crashes": self.crashes,
            "skipped": self.skipped,
            "busy_ms_p50": round(self.busy.percentile(50) / 1e6, 3),
            "busy_ms_p95": round(self.busy.percentile(95) / 1e6, 3),
            "latency_ms_p50": round(self.latency.percentile(50) / 1e6, 3),
            "latency_ms_p95": round(self.latency.percentile(95) / 1e6, 3),
        }


@dataclass(frozen=True, slots=True)
class TimelineMark:
    t_ns: int
    label: str


@dataclass(slots=True)
class _Turn:
    marks: list[TimelineMark]  # the first ``max_marks``, in order
    later: dict[str, list[int]] = field(default_factory=dict)  # label → [count, last t_ns]


MAX_TURNS = 1000
"""Turns a ``Timelines`` keeps by default (the newest): about 17 h at one turn a minute."""
MAX_MARKS = 64
"""Marks per turn kept in order by default; later ones are folded per label."""


class Timelines:
    """Per-turn latency timelines: each turn's marks in order, relative to its first mark.

    Bounded: the newest ``max_turns`` turns (older ones are forgotten, ``dropped_turns`` counts
    them) and, per turn, the first ``max_marks`` marks; later marks count per label and keep
    their last time (``relative_ms`` ends with each such label's last mark, ``counts`` gives
    every label's count).
    """

    def __init__(self, *, max_turns: int = MAX_TURNS, max_marks: int = MAX_MARKS) -> None:
        if max_turns < 1 or max_marks < 1:
            raise ValueError(f"need max_turns, max_marks >= 1, got {max_turns}, {max_marks}")
        self.max_turns = max_turns
        self.max_marks = max_marks
        self._turns: dict[int, _Turn] = {}
        self._next_turn = 1
        self._forgotten_upto = 0  # turns up to this id were dropped: their marks are ignored
        self.dropped_turns = 0

    def new_turn(self, t_ns: int, origin: str) -> int:
        """Open a turn whose clock starts at ``t_ns`` (e.g. the capture time of the frame)."""
        turn = self._next_turn
        self._next_turn += 1
        self._mark(turn, TimelineMark(t_ns, origin))
        return turn

    def observe(self, event: Event) -> None:
        if event.turn_id is not None:
            self._mark(event.turn_id, TimelineMark(event.t_ns, event.type_name))

    def _mark(self, turn_id: int, mark: TimelineMark) -> None:
        turn = self._turns.get(turn_id)
        if turn is None:
            if turn_id <= self._forgotten_upto:
                return  # a late event of a turn already forgotten
            turn = self._turns[turn_id] = _Turn([])
            while len(self._turns) > self.max_turns:
                oldest = next(iter(self._turns))
                del self._turns[oldest]
                self._forgotten_upto = max(self._forgotten_upto, oldest)
                self.dropped_turns += 1
        if len(turn.marks) < self.max_marks:
            turn.marks.append(mark)
            return
        folded = turn.later.get(mark.label)
        if folded is None:
            turn.later[mark.label] = [1, mark.t_ns]
        else:
            folded[0] += 1
            folded[1] = mark.t_ns

    def start_ns(self, turn_id: int) -> int | None:
        """When ``turn_id`` opened (its cue: a tap, the end of the speech that asked), or None
        for a turn never opened (or forgotten)."""
        turn = self._turns.get(turn_id)
        return turn.marks[0].t_ns if turn is not None else None

    def turns(self) -> dict[int, list[TimelineMark]]:
        """Each kept turn's marks: the first ``max_marks`` in order, then the last mark of each
        label folded after them."""
        return {turn_id: self._marks(turn) for turn_id, turn in self._turns.items()}

    @staticmethod
    def _marks(turn: _Turn) -> list[TimelineMark]:
        last = sorted(
            (TimelineMark(t, label) for label, (_, t) in turn.later.items()),
            key=lambda m: m.t_ns,
        )
        return turn.marks + last

    def counts(self, turn_id: int) -> dict[str, int]:
        """How many marks of each label ``turn_id`` had, folded ones included."""
        turn = self._turns.get(turn_id)
        if turn is None:
            return {}
        out: dict[str, int] = {}
        for mark in turn.marks:
            out[mark.label] = out.get(mark.label, 0) + 1
        for label, (n, _) in turn.later.items():
            out[label] = out.get(label, 0) + n
        return out

    def folded(self, turn_id: int) -> dict[str, int]:
        """The marks of ``turn_id`` left out of ``relative_ms`` (of the marks after its first
        ``max_marks``, each label's last one is in): label → how many. Empty for most turns."""
        turn = self._turns.get(turn_id)
        if turn is None:
            return {}
        return {label: n - 1 for label, (n, _) in turn.later.items() if n > 1}

    def relative_ms(self, turn_id: int) -> list[tuple[str, float]]:
        turn = self._turns.get(turn_id)
        if turn is None:
            return []
        marks = self._marks(turn)
        t0 = marks[0].t_ns
        return [(m.label, round((m.t_ns - t0) / 1e6, 3)) for m in marks]

    def format(self, turn_id: int) -> str:
        return " → ".join(f"{label} +{ms:g} ms" for label, ms in self.relative_ms(turn_id))
