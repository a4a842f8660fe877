"""wake_figures with a finer threshold sweep (one and two confirming steps), from its cache.

``python docs/experiments/wake_mining/fine_sweep.py HEAD.onnx|committed OUT.json``
"""

import json
import sys
from pathlib import Path

from glasses.bench.wake_figures import wake_figures

THRESHOLDS = (
    0.05,
    0.1,
    0.2,
    0.3,
    0.4,
    0.5,
    0.6,
    0.7,
    0.75,
    0.8,
    0.85,
    0.9,
    0.93,
    0.95,
    0.97,
    0.98,
    0.99,
    0.995,
    0.998,
    0.999,
)
head = None if sys.argv[1] == "committed" else Path(sys.argv[1])
figures = wake_figures(4.0, thresholds=THRESHOLDS, head=head, progress=lambda line: None)
Path(sys.argv[2]).write_text(json.dumps(figures, indent=2) + "\n")
