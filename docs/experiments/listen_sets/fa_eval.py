import os, sys
sys.path.insert(0, os.path.dirname(__file__))
import spotter_reset  # noqa: F401  (RESET=1)
from glasses.assistant.skills import builtin_skills
from glasses.speech.commands import phrases_from_skills
from glasses.speech.wake import WakeSettings
from glasses.speech.vad import SileroVad
from glasses.bench.speech_listen import stream_wakes, LISTEN
from glasses.bench.speech_corpus import DistractorStream
phrases = tuple(phrases_from_skills(builtin_skills()))
m = float(sys.argv[1])
stream = DistractorStream(m, look_alikes=False)
c = stream_wakes(iter(stream), stream.samples, phrases, SileroVad(), {LISTEN: WakeSettings(threshold=float(os.environ.get("THR", "0.5")))}, progress=lambda s: None)
print("RESET", os.environ.get("RESET"), "minutes", m, "false accepts", len(c[LISTEN]), flush=True)
