"""A second look's check with the commands' first words after the phrase (``WakeCheck``'s
``followers``), on and off, side by side through the real pipeline (VAD with the 2 s lead-in →
listen → skills, the shipped wake settings).

``python docs/experiments/listen_sets/followers.py sets no_pause wake_clean oog_wake wake``:
held-out voices' clips woken and right per set, for a listen stage as shipped and one whose
check has no followers (as before); ``… followers.py fa 240``: false accepts on the speech
bench's distractor stream with its look-alikes, each stage's accept times (s)."""
import sys

from glasses.assistant.skills import builtin_skills
from glasses.bench.speech_corpus import (
    HELD_OUT_VOICES,
    DistractorStream,
    build_corpus,
    warmup_clips,
)
from glasses.bench.speech_listen import LISTEN, play, stream_wakes
from glasses.speech.commands import phrases_from_skills
from glasses.speech.listen_stage import ListenStage
from glasses.speech.vad import SileroVad
from glasses.speech.wake import WakeSettings

WITHOUT = "without followers"
shipped = ListenStage._followers


def followers(self):
    return [] if self.name == WITHOUT else shipped(self)


ListenStage._followers = followers
phrases = tuple(phrases_from_skills(builtin_skills()))
wakes = {LISTEN: WakeSettings(), WITHOUT: WakeSettings()}
if sys.argv[1] == "fa":
    minutes = float(sys.argv[2])
    stream = DistractorStream(minutes)
    times = stream_wakes(iter(stream), stream.samples, phrases, SileroVad(), wakes,
                         progress=lambda s: None)
    for name, t in times.items():
        print(f"fa {name}: {minutes:g} min, {len(stream.look_alike_starts_s)} look-alikes, "
              f"{len(t)} false accepts, {stream.near_look_alikes(t)} near a look-alike",
              [round(x, 1) for x in t], flush=True)
else:
    warm = warmup_clips(phrases, WakeSettings().phrase)
    corpus = build_corpus(phrases, WakeSettings().phrase, progress=lambda s: None)
    for kind in sys.argv[2:]:
        session = play(corpus[kind], phrases, SileroVad(), wakes, warmup=warm, timed=False)
        for name in wakes:
            held = [h for h in session.heard[name] if h.clip.voice in HELD_OUT_VOICES]
            commands = [h for h in held if h.clip.intent is not None]
            oog = sum(h.command is not None for h in held if h.clip.intent is None and h.woke)
            print(kind, name, "held", len(held), "woke", sum(h.woke for h in held),
                  f"right {sum(h.right for h in commands)} / {len(commands)}",
                  "commands on out-of-grammar", oog, flush=True)
