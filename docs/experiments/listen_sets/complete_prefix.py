"""A grammar search that ends on a prefix of phrases ("what day" for "what day is it") decoded
again with a grammar of the phrases it begins, and accepted by the margin and extra-speech rules
of ``CommandRecognizer.recognize`` (not shipped: docs/speech_synthesis.md, "The commands' first
words after a second look").

``[VARIANT=shipped] python docs/experiments/listen_sets/complete_prefix.py command:push_to_talk
oog:push_to_talk no_pause:wake oog_wake:wake``: right and taken-for-command counts per set
(kind:mode), all voices and held-out ones, and how many completions were tried and accepted."""
import math, os, sys
import numpy as np
from glasses.speech import commands as C
from glasses.speech.commands import CommandRecognizer, CommandResult, build_jsgf, normalize
orig = CommandRecognizer.recognize
stats = {"tried": 0, "accepted": 0}
def verdict(self, search, audio):
    hyp, g_score, frames, heard = self._decode(search, audio)
    words = normalize(hyp).split()
    hyp = " ".join(words[C._tail_words(words, self.lead_in.split()):])
    intent = self._lookup(hyp)
    if intent is None:
        return None
    span = C._span(heard)
    _, p_score, frames, phones = self._decode(C._PHONES, audio)
    sp = C._span(phones)
    margin = -math.inf if g_score <= 0 or p_score <= 0 else 1000.0 * math.log(g_score / p_score) / frames
    if margin <= self.min_margin:
        return None
    if span and sp:
        before = max(0, span[0] - sp[0]) * C._FRAME_MS
        after = max(0, sp[1] - span[1]) * C._FRAME_MS
        if after > self.max_extra_ms or before > 2 * self.max_extra_ms:
            return None
    return CommandResult(intent, hyp, hyp, margin)
def recognize(self, audio):
    r = orig(self, audio)
    if os.environ.get("VARIANT", "complete") != "complete":
        return r
    if r.rejected != "not a complete command" or not r.hypothesis:
        return r
    hyp = r.hypothesis
    cands = [p for p in self.phrases if not p.slots and p.phrase.startswith(hyp + " ")]
    if not cands:
        return r
    name = "complete_" + "_".join(hyp.split())
    known = getattr(self, "_completions", None)
    if known is None:
        known = self._completions = set()
    if name not in known:
        self._decoder.add_jsgf_string(name, build_jsgf(cands, self.lead_in))
        known.add(name)
    stats["tried"] += 1
    v = verdict(self, name, audio)
    if v is None:
        return r
    stats["accepted"] += 1
    return v
CommandRecognizer.recognize = recognize

from glasses.assistant.skills import builtin_skills
from glasses.speech.commands import phrases_from_skills
from glasses.speech.wake import WakeSettings
from glasses.speech.vad import SileroVad
from glasses.bench.speech_listen import play, LISTEN
from glasses.bench.speech_corpus import build_corpus, warmup_clips, is_held_out
phrases = tuple(phrases_from_skills(builtin_skills()))
warm = warmup_clips(phrases, WakeSettings().phrase)
corpus = build_corpus(phrases, WakeSettings().phrase, progress=lambda s: None)
for arg in sys.argv[1:]:
    kind, mode = arg.split(":")
    stats.update(tried=0, accepted=0)
    s = play(corpus[kind], phrases, SileroVad(), {LISTEN: WakeSettings()}, mode=mode, warmup=warm, timed=False)
    heard = s.heard[LISTEN]
    ho = [h for h in heard if is_held_out(h.clip.voice)]
    cmd = lambda hs: sum(h.command is not None for h in hs)
    print(os.environ.get("VARIANT", "complete"), arg, "all: right", sum(h.right for h in heard), "commands", cmd(heard), "of", len(heard),
          "| held-out: woke", sum(h.woke for h in ho), "right", sum(h.right for h in ho), "commands", cmd(ho), "of", len(ho), "|", stats, flush=True)
