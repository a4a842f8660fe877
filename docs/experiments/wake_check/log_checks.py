"""Every stretch the listen stage's wake check decides on, per speech bench set, with its verdict.

``python docs/experiments/wake_check/log_checks.py oog wake_clean no_pause wake``: plays each
set (all voices) through VAD → listen → skills on the virtual clock, as the speech bench does,
and pickles ``[(set, clip index or None, voice, text, stretch int16, verdict)]`` in call order
to ``$OUT/checks_<set>.pkl`` (``OUT`` default /tmp) for ``competitors.py``."""
import os
import pickle
import sys

from glasses.assistant.skills import builtin_skills
from glasses.bench.speech_corpus import build_corpus, warmup_clips
from glasses.bench.speech_listen import LISTEN, play
from glasses.speech.commands import phrases_from_skills
from glasses.speech.vad import SileroVad
from glasses.speech.wake import WakeSettings
from glasses.speech.wake_check import WakeCheck

calls = []
original = WakeCheck.confirms


def confirms(self, audio):
    verdict = original(self, audio)
    calls.append((audio.copy(), verdict))
    return verdict


WakeCheck.confirms = confirms
phrases = tuple(phrases_from_skills(builtin_skills()))
settings = WakeSettings()
warm = warmup_clips(phrases, settings.phrase)
corpus = build_corpus(phrases, settings.phrase, progress=lambda s: None)
for kind in sys.argv[1:]:
    clips = corpus[kind]
    calls.clear()
    s = play(clips, phrases, SileroVad(), {LISTEN: settings}, warmup=warm, timed=False)
    heard = s.heard[LISTEN]
    rows = [(kind, None, "", "", a, v) for a, v in calls]
    out = os.environ.get("OUT", "/tmp")
    with open(f"{out}/checks_{kind}.pkl", "wb") as f:
        pickle.dump(dict(rows=rows, woke=[(h.clip.voice, h.clip.text, h.woke) for h in heard]), f)
    print(kind, "clips", len(clips), "checks", len(rows), "confirmed", sum(v for *_, v in rows),
          "woke", sum(h.woke for h in heard), flush=True)
