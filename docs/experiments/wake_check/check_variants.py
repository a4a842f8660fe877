"""Variants of the wake check on logged stretches, offline: how many each confirms.

``python docs/experiments/wake_check/check_variants.py /tmp/dense_segments.pkl
/tmp/checks_wake_clean.pkl /tmp/checks_no_pause.pkl /tmp/checks_oog.pkl /tmp/checks_wake.pkl``
(``log_checks.py``, ``dense_stream.py`` with ``SAVE=``; ``STREAM_TIMES=2115.5,2903.3`` adds the
speech bench stream's two accepts, as in ``phone_margin.py``). Against the check as shipped
(phrase alone), per set: confirmed, and gained (+) and lost (−):

- ``cut0.1``/``cut0.2``/``any cut``: the stretch ending 0.1 or 0.2 s earlier, or any of the
  three (a detection decided late, its stretch reaching into the next word);
- ``trail``: every detection's stretch searched with each command's first word allowed after
  the phrase and after each look-alike (enumerated: one alternative per phrase and word);
  ``trail, phrase only``: followers after the phrase, the look-alikes alone;
- ``+hey guys``, ``+hey guy``: the bench stream's remaining false accept as a look-alike.

``ONLY="+hey guys,+hey guy"``: those variants alone (the enumerated ``trail`` ones take about a
second a stretch)."""
import os
import pickle
import sys

import numpy as np

from glasses.assistant.skills import builtin_skills
from glasses.speech.commands import CommandPhrase, CommandRecognizer, phrases_from_skills
from glasses.speech.wake_check import LOOK_ALIKE_INTENT, LOOK_ALIKES, WAKE_INTENT, WakeCheck

RATE = 16_000
FIRSTS = sorted({p.phrase.split()[0] for p in phrases_from_skills(builtin_skills())})


class Trail(WakeCheck):
    both = True

    @property
    def recognizer(self):
        if self._recognizer is None:
            ps = [self.phrase] + [f"{self.phrase} {w}" for w in FIRSTS]
            self._recognizer = CommandRecognizer([CommandPhrase(p, WAKE_INTENT) for p in ps])
        return self._recognizer

    @property
    def look_alike_recognizer(self):
        if self._look_alike_recognizer is None:
            ps = list(self.look_alikes)
            if self.both:
                ps += [f"{a} {w}" for a in self.look_alikes for w in FIRSTS]
            self._look_alike_recognizer = CommandRecognizer(
                [CommandPhrase(p, LOOK_ALIKE_INTENT) for p in ps]
            )
        return self._look_alike_recognizer

    def confirms(self, audio, *, second_look=False):
        if len(audio) == 0:
            return False
        noise = np.random.default_rng(0).normal(0.0, self.dither_rms, len(audio))
        audio = np.clip(np.rint(audio + noise), -32768, 32767).astype(np.int16)
        heard, score = self.recognizer.scored_phrase(audio)
        if heard != self.phrase and not heard.startswith(self.phrase + " "):
            return False
        return self.look_alike_recognizer.scored_phrase(audio)[1] <= score


class TrailPhraseOnly(Trail):
    both = False


def cut(seconds):
    n = int(seconds * RATE)
    return lambda a: a[: len(a) - n]


base = LOOK_ALIKES["hey glasses"]
VARIANTS = {
    "shipped": (WakeCheck, {}, None),
    "cut0.1": (WakeCheck, {}, cut(0.1)),
    "cut0.2": (WakeCheck, {}, cut(0.2)),
    "trail": (Trail, {}, None),
    "trail, phrase only": (TrailPhraseOnly, {}, None),
    "+hey guys": (WakeCheck, {"look_alikes": (*base, "hey guys")}, None),
    "+hey guy": (WakeCheck, {"look_alikes": (*base, "hey guy")}, None),
}
if os.environ.get("ONLY"):  # e.g. ONLY="+hey guys,+hey guy": those (and shipped) alone
    only = {"shipped", *os.environ["ONLY"].split(",")}
    VARIANTS = {k: v for k, v in VARIANTS.items() if k in only}
sets = {}
if os.environ.get("STREAM_TIMES"):
    sys.path.insert(0, os.path.dirname(__file__))
    argv, sys.argv = sys.argv, sys.argv[:1]
    from phone_margin import stream_stretches

    sys.argv = argv
    sets["bench stream accepts"] = stream_stretches(
        [float(t) for t in os.environ["STREAM_TIMES"].split(",")]
    )
for path in sys.argv[1:]:
    data = pickle.load(open(path, "rb"))
    if isinstance(data, dict) and "rows" in data:
        sets[data["rows"][0][0]] = [r[4] for r in data["rows"]]
    else:
        sets["dense 4 h"] = [r[2] for r in next(iter(data.values()))]
for name, stretches in sets.items():
    out = {}
    for label, (cls, kwargs, trim) in VARIANTS.items():
        check = cls("hey glasses", **kwargs)
        out[label] = [check.confirms(trim(a) if trim else a) for a in stretches]
    n = len(stretches)
    if "cut0.1" in out and "cut0.2" in out:
        out["any cut"] = [any(out[k][i] for k in ("shipped", "cut0.1", "cut0.2")) for i in range(n)]
    ship = out["shipped"]
    print(name, n, "; ".join(
        f"{k} {sum(v)} (+{sum(x and not s for s, x in zip(ship, v))} "
        f"-{sum(s and not x for s, x in zip(ship, v))})" for k, v in out.items()
    ), flush=True)
