"""One-breath cuts: a clip set through VAD → listen → skills with the listen stage as shipped.

``[CUT_S=0.6] [LEADIN=whole] python docs/experiments/listen_sets/cut_eval.py no_pause oog_wake
wake``: per set, all voices and held-out ones, woken, right commands, wrong ones and
out-of-grammar requests that woke taken for commands. ``CUT_S`` sets
``ListenSettings.wake_lead_in_s``; ``LEADIN=whole`` is the variant not shipped: the whole wake
phrase as the grammar's optional lead-in, decoded from the cut (no ``wake_phrase_end``).
"""

import os
import sys
from dataclasses import replace

from glasses.assistant.skills import builtin_skills
from glasses.bench import speech_listen
from glasses.bench.speech_corpus import HELD_OUT_VOICES, build_corpus, warmup_clips
from glasses.bench.speech_listen import LISTEN, play
from glasses.speech.commands import CommandRecognizer, phrases_from_skills
from glasses.speech.listen_stage import ListenStage
from glasses.speech.vad import SileroVad
from glasses.speech.wake import WakeSettings

if os.environ.get("LEADIN") == "whole":
    ListenStage._new_recognizer = lambda self: CommandRecognizer(  # type: ignore[method-assign]
        self.phrases, lead_in=self.settings.wake.phrase, wake_phrase=self.settings.wake.phrase
    )
    CommandRecognizer.wake_phrase_end = lambda self, audio: 0  # type: ignore[method-assign]
cut = os.environ.get("CUT_S")
if cut:
    shipped = speech_listen.listen_stage

    def listen_stage(*args, **kwargs):  # type: ignore[no-untyped-def]
        stage = shipped(*args, **kwargs)
        stage.settings = replace(stage.settings, wake_lead_in_s=float(cut))
        return stage

    speech_listen.listen_stage = listen_stage

phrases = tuple(phrases_from_skills(builtin_skills()))
warm = warmup_clips(phrases, WakeSettings().phrase)
corpus = build_corpus(phrases, WakeSettings().phrase, progress=lambda s: None)
for kind in sys.argv[1:]:
    session = play(corpus[kind], phrases, SileroVad(), {LISTEN: WakeSettings()}, warmup=warm, timed=False)
    heard = session.heard[LISTEN]
    for name, hs in (("all", heard), ("held", [h for h in heard if h.clip.voice in HELD_OUT_VOICES])):
        woke = [h for h in hs if h.woke]
        commands = [h for h in hs if h.clip.intent is not None]
        print(
            kind, name, "clips", len(hs), "woke", len(woke),
            "right", sum(h.right for h in commands), "of", len(commands),
            "wrong", sum(h.command is not None and not h.right for h in commands),
            "out-of-grammar taken for commands", sum(h.command is not None for h in woke if h.clip.intent is None),
            "of", sum(h.clip.intent is None for h in woke), flush=True,
        )  # fmt: skip
