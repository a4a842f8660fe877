"""False accepts on the speech bench's distractor stream with look-alikes, with and without the
wake check's look-alikes, in one pass: ``python docs/experiments/wake_check/stream_fa.py 240``.

Two listen stages hear the same VAD (the shipped settings; one's ``WakeCheck`` has no
look-alikes) on ``speech_corpus.DistractorStream(minutes)``; prints each one's accepts, how
many came within 3 s of a look-alike's start, and the times."""
import sys

from glasses.assistant.skills import builtin_skills
from glasses.bench.speech_corpus import DistractorStream
from glasses.bench.speech_listen import LISTEN, stream_wakes
from glasses.speech.commands import phrases_from_skills
from glasses.speech.listen_stage import ListenStage
from glasses.speech.vad import SileroVad
from glasses.speech.wake import WakeSettings
from glasses.speech.wake_check import WakeCheck

PLAIN = "without look-alikes"
shipped = ListenStage.wake_check


def wake_check(self):
    if self.name == PLAIN and self._wake_check is None:
        self._wake_check = WakeCheck(self.settings.wake.phrase, look_alikes=())
    return shipped.fget(self)


ListenStage.wake_check = property(wake_check)
minutes = float(sys.argv[1])
stream = DistractorStream(minutes)
phrases = phrases_from_skills(builtin_skills())
wakes = {LISTEN: WakeSettings(), PLAIN: WakeSettings()}
times = stream_wakes(iter(stream), stream.samples, phrases, SileroVad(), wakes, progress=print)
print(f"{minutes:g} min, {len(stream.look_alike_starts_s)} look-alikes, {stream.sentences} sentences")
for name, t in times.items():
    print(f"{name}: {len(t)} false accepts, {stream.near_look_alikes(t)} near a look-alike;",
          [round(x, 1) for x in t], flush=True)
