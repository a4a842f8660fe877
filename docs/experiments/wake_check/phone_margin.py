"""The wake check with a phone-loop margin, offline: would the phrase's grammar scoring near a
free phone loop (as ``CommandRecognizer.recognize`` rejects out-of-grammar speech) tell false
firings from true ones?

``python docs/experiments/wake_check/phone_margin.py /tmp/checks_*.pkl /tmp/dense_segments.pkl
[STREAM_TIMES=2115.5,2903.3]``: replays the logged stretches (``log_checks.py``,
``dense_stream.py`` with ``SAVE=``) through ``WakeCheck`` as shipped and, for each stretch it
confirms, prints the phrase's path score per 1000 frames less the phone loop's (the margin).
``STREAM_TIMES``: also the stretches (1.8 s before to 0.25 s after) at those times (s) of the
speech bench's 240 min distractor stream with look-alikes, the listen stage's accepts
(``sweep_eval.py fa 240`` with ``LOOK_ALIKES=1`` prints them)."""
import math
import os
import pickle
import sys

import numpy as np

from glasses.bench.speech_corpus import DistractorStream
from glasses.speech.commands import _PHONES
from glasses.speech.wake_check import WakeCheck

PHRASE = "hey glasses"
RATE = 16_000


class Margined(WakeCheck):
    """``WakeCheck.confirms`` that keeps the phone-loop margin of each stretch it confirms."""

    margin = math.nan

    def confirms(self, audio):
        self.margin = math.nan
        if len(audio) == 0:
            return False
        noise = np.random.default_rng(0).normal(0.0, self.dither_rms, len(audio))
        audio = np.clip(np.rint(audio + noise), -32768, 32767).astype(np.int16)
        heard, score = self.recognizer.scored_phrase(audio)
        if heard != self.phrase or self.look_alike_recognizer.scored_phrase(audio)[1] > score:
            return False
        _, p, frames, _ = self.recognizer._decode(_PHONES, audio)
        self.margin = score - (1000.0 * math.log(p) / frames if p > 0 else -math.inf)
        return True


def stream_stretches(times):
    """The distractor stream's audio from 1.8 s before to 0.25 s after each of ``times`` (s)."""
    parts = {t: [] for t in times}
    pos = 0
    for piece in DistractorStream(240):
        a = np.asarray(piece)
        for t in times:
            lo, hi = max(int((t - 1.8) * RATE), pos), min(int((t + 0.25) * RATE), pos + len(a))
            if lo < hi:
                parts[t].append(a[lo - pos : hi - pos])
        pos += len(a)
        if pos > (max(times) + 1) * RATE:
            break
    return [np.concatenate(parts[t]) for t in times]


def report(name, stretches, labels):
    check = Margined(PHRASE)
    margins = []
    for stretch, label in zip(stretches, labels, strict=True):
        if check.confirms(stretch):
            margins.append((round(check.margin, 3), label))
    values = sorted(m for m, _ in margins)
    at = lambda q: values[min(len(values) - 1, int(q * len(values)))] if values else None  # noqa: E731
    print(f"{name}: checks {len(stretches)}, confirmed {len(margins)}; lowest margins "
          f"{values[:6]}, 1st percentile {at(0.01)}, 5th {at(0.05)}, median {at(0.5)}", flush=True)
    if len(margins) <= 12:
        print("   ", margins)


if os.environ.get("STREAM_TIMES"):
    times = [float(t) for t in os.environ["STREAM_TIMES"].split(",")]
    report("bench stream accepts", stream_stretches(times), times)
for path in sys.argv[1:]:
    with open(path, "rb") as f:
        data = pickle.load(f)
    if "rows" in data:  # log_checks.py: (set, _, _, _, stretch, verdict)
        rows = data["rows"]
        report(rows[0][0], [r[4] for r in rows], list(range(len(rows))))
    else:  # dense_stream.py: {threshold: [(time s, near a look-alike, stretch)]}
        rows = next(iter(data.values()))
        report("dense 4 h", [r[2] for r in rows], [(round(r[0], 1), r[1]) for r in rows])
