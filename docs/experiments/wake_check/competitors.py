"""The wake check with and without look-alikes (``glasses.speech.wake_check.LOOK_ALIKES``), offline.

``python docs/experiments/wake_check/competitors.py /tmp/checks_*.pkl /tmp/dense_segments.pkl``:
replays the stretches the listen stage checked (``log_checks.py``: the speech bench's sets) and
those at the wake head's firings on ``wake_figures``' dense 4 h stream (``dense_stream.py`` with
``SAVE=``), in the order they were checked (the decoders carry their estimates from one check to
the next), through ``WakeCheck`` as it ships, without look-alikes, and with the look-alikes in one
grammar beside the phrase (a stretch confirmed when the search ends on the phrase)."""
import pickle
import sys

import numpy as np

from glasses.speech.commands import CommandPhrase, CommandRecognizer
from glasses.speech.wake_check import LOOK_ALIKES, WakeCheck

PHRASE = "hey glasses"


class OneGrammar(WakeCheck):
    """The phrase and its look-alikes in one grammar: confirmed when the search ends on it."""

    def confirms(self, audio):
        if len(audio) == 0:
            return False
        if self._recognizer is None:
            phrases = [CommandPhrase(PHRASE, "wake")]
            phrases += [CommandPhrase(p, "other") for p in LOOK_ALIKES[PHRASE]]
            self._recognizer = CommandRecognizer(phrases)
        noise = np.random.default_rng(0).normal(0.0, self.dither_rms, len(audio))
        audio = np.clip(np.rint(audio + noise), -32768, 32767).astype(np.int16)
        return self._recognizer.heard_phrase(audio) == PHRASE


for path in sys.argv[1:]:
    with open(path, "rb") as f:
        data = pickle.load(f)
    if "rows" in data:  # log_checks.py: (set, _, _, _, stretch, verdict)
        name, stretches = data["rows"][0][0], [r[4] for r in data["rows"]]
        near = [False] * len(stretches)
    else:  # dense_stream.py: {threshold: [(time s, near a look-alike, stretch)]}
        name, rows = "dense 4 h", next(iter(data.values()))
        stretches, near = [r[2] for r in rows], [r[1] for r in rows]
    line = [f"{name}: checks {len(stretches)}"]
    for label, check in (
        ("without look-alikes", WakeCheck(PHRASE, look_alikes=())),
        ("shipped", WakeCheck(PHRASE)),
        ("one grammar", OneGrammar(PHRASE, look_alikes=())),
    ):
        verdicts = [check.confirms(a) for a in stretches]
        by_look_alikes = sum(v and n for v, n in zip(verdicts, near, strict=True))
        line.append(f"{label} {sum(verdicts)} (near a look-alike {by_look_alikes})")
    print("; ".join(line), flush=True)
