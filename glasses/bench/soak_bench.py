"""``glasses bench soak``: a long generated session through the headless harness; how fast it
runs and whether its memory stays flat.

The scenario is ``simulator.soak`` (a code, a tap, a spoken request through the real audio
path and a nod, every 20 s), played by ``simulator.harness.run_scenario`` on the default stack
(zxing-cpp, Silero VAD, PocketSphinx, Whisper for open speech, the OCR reader, the face
detector, espeak-ng): the harness a user runs, not a model of it.

Figures:

* ``harness_speed_x``: virtual seconds played per wall-clock second, model loading and the
  scenario's preparation included (target: at least 20); ``harness_speed_cpu_x`` the same per
  second of this process's CPU time, which other programs on the machine do not change.
* ``rss_mb_peak``: the process's peak resident memory (``VmHWM``), every model the soak uses
  loaded (all of them are used in its first minute) (target: at most 500 MB).
* ``rss_growth_pct``: growth over the last 80 % of the run: the median RSS of the last tenth
  of the run against the median around the 20 % mark (15–25 %) (target: under 5 %).
* ``restarts``: stage and device restarts (crashes) over the run; ``gave_up`` the stages that
  gave up for good; ``dropped_frames``: camera frames dropped by flow limiting (latest wins);
  ``code_reads``: frames the code reader read (the rest were skipped by its duty cycle).
* ``passed``, ``expectations`` and ``expectations_failed``: the scenario's own checks (each
  code read, each request answered, each photo saved).

RSS is sampled once per second of virtual time by an observer of the run's events.
"""

from __future__ import annotations

import os
import resource
import statistics
import tempfile
import time
from collections.abc import Callable
from typing import Any

from glasses.runtime.clock import NS_PER_S
from glasses.runtime.events import Event

PROGRESS_EVERY_S = 60.0
"""Virtual seconds between progress lines, at most (a tenth of a shorter run)."""


def rss_mb() -> float:
    """The process's resident memory now (MiB); its peak where ``/proc`` is missing."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / (1 << 20)
    except (OSError, ValueError, IndexError):
        return peak_rss_mb()


def peak_rss_mb() -> float:
    """The process's peak resident memory so far (MiB)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass  # not Linux: getrusage's peak (KiB on Linux, bytes on macOS)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1 << 20) if peak > 1 << 32 else peak / 1024


class _Sampler:
    """An event observer: RSS once per virtual second, a progress line every ``every_s``."""

    def __init__(self, total_s: float, every_s: float, progress: Callable[[str], None]) -> None:
        self.total_s = total_s
        self.every_ns = round(every_s * NS_PER_S)
        self.progress = progress
        self.samples: list[tuple[float, float]] = []  # (virtual s, RSS MiB)
        self.started = time.perf_counter()
        self._next_sample_ns = 0
        self._next_line_ns = self.every_ns

    def __call__(self, event: Event) -> None:
        t = event.t_ns
        if t < self._next_sample_ns:
            return
        self._next_sample_ns = (t // NS_PER_S + 1) * NS_PER_S
        rss = rss_mb()
        self.samples.append((t / NS_PER_S, rss))
        if t >= self._next_line_ns:
            self._next_line_ns = (t // self.every_ns + 1) * self.every_ns
            wall = time.perf_counter() - self.started
            self.progress(
                f"bench soak: {t / NS_PER_S:.0f}/{self.total_s:.0f} s of virtual time in "
                f"{wall:.1f} s ({t / NS_PER_S / wall:.1f}×), RSS {rss:.0f} MB"
            )

    def median_between(self, start: float, end: float) -> float | None:
        """The median RSS sampled between fractions ``start`` and ``end`` of the run."""
        window = [rss for t, rss in self.samples if start * self.total_s <= t <= end * self.total_s]
        return statistics.median(window) if window else None


def run(
    minutes: float,
    *,
    seed: int = 0,
    progress: Callable[[str], None] = lambda _: None,
    progress_every_s: float = PROGRESS_EVERY_S,
) -> dict[str, Any]:
    """Play the soak of ``minutes`` and return its figures (module docstring). Photos go to a
    temporary folder, removed after."""
    from simulator.harness import run_scenario
    from simulator.soak import CYCLE_S, soak_scenario

    scenario = soak_scenario(minutes, seed=seed)
    total_s = scenario.duration_s
    progress(
        f"bench soak: {total_s / 60:g} min of virtual time, {total_s / CYCLE_S:.0f} cycles of a "
        "code, a tap, a spoken request and a nod, on the default stack …"
    )
    sampler = _Sampler(total_s, min(progress_every_s, total_s / 10), progress)
    cpu0 = time.process_time()
    with tempfile.TemporaryDirectory(prefix="glasses-soak-photos-") as photos:
        previous = os.environ.get("GLASSES_PHOTOS_DIR")
        os.environ["GLASSES_PHOTOS_DIR"] = photos
        try:
            sampler.started = time.perf_counter()
            result = run_scenario(scenario, observers=[sampler])
            wall_s = time.perf_counter() - sampler.started
        finally:
            if previous is None:
                os.environ.pop("GLASSES_PHOTOS_DIR", None)
            else:
                os.environ["GLASSES_PHOTOS_DIR"] = previous
    cpu_s = time.process_time() - cpu0
    stages: dict[str, dict[str, Any]] = result.metrics.get("stages", {})
    codes = stages.get("codes", {})
    early, late = sampler.median_between(0.15, 0.25), sampler.median_between(0.9, 1.0)
    growth = round(100 * (late - early) / early, 2) if early and late is not None else None
    failed = [o.label for o in result.outcomes if not o.passed]
    figures: dict[str, Any] = {
        "minutes": round(total_s / 60, 3),
        "virtual_s": total_s,
        "wall_s": round(wall_s, 2),
        "cpu_s": round(cpu_s, 2),
        "harness_speed_x": round(total_s / wall_s, 2),
        "harness_speed_cpu_x": round(total_s / cpu_s, 2) if cpu_s > 0 else None,
        "rss_mb_peak": round(max([peak_rss_mb()] + [r for _, r in sampler.samples]), 1),
        "rss_mb_at_20pct": round(early, 1) if early is not None else None,
        "rss_mb_end": round(late, 1) if late is not None else None,
        "rss_growth_pct": growth,
        "restarts": sum(result.metrics.get("restarts", {}).values()),
        "gave_up": sorted(result.metrics.get("failed", {})),
        "dropped_frames": sum(s.get("dropped", 0) for s in stages.values()),
        "frames": result.data_events.get("VideoFrame", 0),
        "code_reads": codes.get("processed", 0) - codes.get("skipped", 0),
        "passed": result.passed,
        "expectations": len(result.outcomes),
        "expectations_failed": len(failed),
        "failed": failed[:10],
        "error": result.error,
    }
    return figures
