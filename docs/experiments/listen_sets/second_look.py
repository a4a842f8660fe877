"""The spotter's second look (``WakeSettings.second_look``) on and off, side by side through the
real pipeline (VAD with the 2 s lead-in → listen → skills, the shipped wake settings).

``python docs/experiments/listen_sets/second_look.py sets wake_clean no_pause wake``: held-out
voices' clips woken per set, for a listen stage as shipped (it also transcribes, so its right
commands are counted) and one without the second look; ``… second_look.py fa 240``: false
accepts on the speech bench's distractor stream with its look-alikes, each stage's accept
times (s)."""
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

WITHOUT = "without second look"
shipped = ListenStage.spotting


def spotting(self):
    return self.settings.wake if self.name == WITHOUT else shipped.fget(self)


ListenStage.spotting = property(spotting)
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
            right = f"right {sum(h.right for h in commands)} / {len(commands)}"
            print(kind, name, "held", len(held), "woke", sum(h.woke for h in held),
                  right if name == LISTEN else "", "commands on out-of-grammar", oog, flush=True)
