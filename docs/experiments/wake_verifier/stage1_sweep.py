import numpy as np, json
from glasses.bench import wake_figures as wf
from glasses.speech.wake import WakeSettings
from glasses.speech.wake_model import Head, ModelWakeSpotter
r = wf.wake_figures(4.0, thresholds=(0.02,0.05,0.1,0.2,0.3,0.5), confirm_steps=(1,), progress=lambda s: None)
for row in r["sweep"]:
    print(row["threshold"], {k: v for k, v in row.items() if k.startswith("detect_")}, row["false_accepts_per_hour"], row["false_accepts_after_look_alikes"])
