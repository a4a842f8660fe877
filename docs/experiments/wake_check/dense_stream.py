"""The wake check on ``wake_figures``' dense 4 h stream (look-alikes once a minute, strings of
dictionary words, everyday sentences; voices held out of training), the head alone at each
threshold: ``python docs/experiments/wake_check/dense_stream.py 0.2 0.3 0.4``. Each firing's
stretch (1.8 s before to 0.25 s after) is checked as the listen stage checks it; firings that
start within 3 s after a look-alike's onset are counted apart. Needs ``wake_figures``' cache
(``python -m glasses.bench.wake_figures --hours 4`` once)."""

import os
import pickle
import sys

import numpy as np

from glasses.bench import wake_figures as wf
from glasses.speech.wake import WakeSettings
from glasses.speech.wake_check import WakeCheck
from glasses.speech.wake_model import Head, ModelWakeSpotter
from glasses.training import wake_data

RATE = 16_000
thresholds = [float(t) for t in sys.argv[1:]] or [0.3]
head = Head()
scorer = ModelWakeSpotter(WakeSettings(backend="model"), head=head)
deciders = [
    ModelWakeSpotter(WakeSettings(threshold=t, backend="model", confirm_steps=1), head=head)
    for t in thresholds
]
emb, lookalikes = wf._stream(4.0, print)
fires = wf._detections(scorer, deciders, emb)
check = WakeCheck("hey glasses")
confirmed: list[list[tuple[float, bool]]] = [[] for _ in thresholds]
segments: list[list[tuple[float, bool, np.ndarray]]] = [[] for _ in thresholds]
prev = np.zeros(0, np.int16)
audio = wf.stream_minutes(240, np.random.default_rng(20_242), wake_data.voices("eval"), [])
for minute, pcm in enumerate(audio):
    both = np.concatenate([prev, pcm])
    off = minute * 60 - len(prev) / RATE
    for k, times in enumerate(fires):
        for f in times:
            if minute * 60 <= f < (minute + 1) * 60:
                at = int((f - off) * RATE)
                start, end = check.segment(both, at)
                near = bool(np.any((f - lookalikes >= -0.5) & (f - lookalikes <= 3.0)))
                confirmed[k].append((near, check.confirms(both[start:end])))
                segments[k].append((f, near, both[start:end].copy()))
    prev = pcm[-3 * RATE :]
print("look-alikes in the stream", len(lookalikes))
for t, rows in zip(thresholds, confirmed, strict=True):
    print(
        f"threshold {t}: firings {len(rows)} (near a look-alike {sum(n for n, _ in rows)}), "
        f"confirmed {sum(c for _, c in rows)} (near a look-alike {sum(n and c for n, c in rows)})",
        flush=True,
    )
if os.environ.get("SAVE"):  # every firing's (time s, near a look-alike, stretch checked)
    with open(os.environ["SAVE"], "wb") as f:
        pickle.dump(dict(zip(thresholds, segments, strict=True)), f)
