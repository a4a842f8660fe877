import sys
from glasses.assistant.skills import builtin_skills
from glasses.speech.commands import phrases_from_skills
from glasses.speech.wake import WakeSettings
from glasses.speech.vad import SileroVad
from glasses.bench.speech_listen import play, LISTEN
from glasses.bench.speech_corpus import build_corpus, warmup_clips, HELD_OUT_VOICES
phrases = tuple(phrases_from_skills(builtin_skills()))
import os
settings = WakeSettings(threshold=float(os.environ.get("THR", "0.5")))
warm = warmup_clips(phrases, settings.phrase)
corpus = build_corpus(phrases, settings.phrase, progress=lambda s: None)
for kind in sys.argv[1:]:
    s = play(corpus[kind], phrases, SileroVad(), {LISTEN: settings}, warmup=warm, timed=False)
    heard = s.heard[LISTEN]
    held = [h for h in heard if h.clip.voice in HELD_OUT_VOICES or kind.endswith("_other")]
    withcmd = [h for h in held if h.clip.intent is not None]
    print(kind, "clips", len(heard), "held", len(held), "woke", sum(h.woke for h in held),
          "right (with a command)", sum(h.right for h in withcmd), "/", len(withcmd),
          "commands on OOG", sum(h.command is not None for h in held if h.clip.intent is None and h.woke), flush=True)
