"""Push-to-talk: the speech bench's 144 command clips through VAD → listen (push to talk), and
what each wrong or rejected one was heard as (intents, transcripts)."""
import os, sys
sys.path.insert(0, os.path.dirname(__file__))
import non_rhotic  # noqa: F401  (NON_RHOTIC=1)
from collections import Counter
from glasses.assistant.skills import builtin_skills
from glasses.speech.commands import phrases_from_skills
from glasses.speech.wake import WakeSettings
from glasses.speech.vad import SileroVad
from glasses.bench.speech_listen import play, LISTEN
from glasses.bench.speech_corpus import build_corpus, warmup_clips, HELD_OUT_VOICES
phrases = tuple(phrases_from_skills(builtin_skills()))
warm = warmup_clips(phrases, WakeSettings().phrase)
corpus = build_corpus(phrases, WakeSettings().phrase, progress=lambda s: None)
s = play(corpus["command"], phrases, SileroVad(), {LISTEN: WakeSettings()}, mode="push_to_talk", warmup=warm, timed=False)
heard = s.heard[LISTEN]
print("right", sum(h.right for h in heard), "/", len(heard))
kinds = Counter()
for h in heard:
    if h.right: continue
    kind = "rejected" if h.command is None else "wrong"
    kinds[kind] += 1
    print(kind, "|", h.clip.text, "|", h.clip.voice, "| intents", h.intents, "| heard", h.transcripts)
print(kinds)
