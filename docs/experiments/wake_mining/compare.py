"""Detection per held-out set at <= X false accepts per hour, from wake_figures JSON files.

For each limit: the sweep row (threshold, confirming steps) with the best mean detection over
all eight sets among the rows within the limit (every set read at that one row).

``python docs/experiments/wake_mining/compare.py A.json B.json …`` (wake_figures JSON files)."""

import json
import sys

SETS = [
    "noisy",
    "clean",
    "clean_40db",
    "one_breath",
    "noisy_other",
    "clean_other",
    "clean_40db_other",
    "one_breath_other",
]
LIMITS = (0.25, 1.0, 3.0, 5.0, 10.0, 15.0)
HEADER = "| head | FA/h limit | thr/steps | FA/h | " + " | ".join(SETS)
print(HEADER + " | mean espeak | mean other |")
print("|" + " --- |" * (len(SETS) + 6))
for path in sys.argv[1:]:
    with open(path) as f:
        rows = json.load(f)["sweep"]
    for limit in LIMITS:
        ok = [r for r in rows if r["false_accepts_per_hour"] <= limit]
        r = max(
            ok,
            key=lambda r: (sum(r[f"detect_{s}"] or 0 for s in SETS), -r["false_accepts_per_hour"]),
        )
        d = [r[f"detect_{s}"] or 0 for s in SETS]
        print(
            f"| {path.split('/')[-1].removesuffix('.json')} | {limit:g} | "
            f"{r['threshold']}/{r['confirm_steps']} | {r['false_accepts_per_hour']:g} | "
            + " | ".join(f"{x:.3f}" for x in d)
            + f" | {sum(d[:4]) / 4:.3f} | {sum(d[4:]) / 4:.3f} |"
        )
