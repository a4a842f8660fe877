import os, sys
from glasses.speech import listen_stage as ls
if os.environ.get("RESET") == "1":
    orig = ls.ListenStage._stream_wake
    async def patched(self, event, ctx):
        if self._spotter is not None and event.t_ns > self._streamed_ns and self.settings.wake.backend == "model":
            self._spotter.reset()
        return await orig(self, event, ctx)
    ls.ListenStage._stream_wake = patched
from glasses.assistant.skills import builtin_skills
from glasses.speech.commands import phrases_from_skills
from glasses.speech.wake import WakeSettings
from glasses.speech.vad import SileroVad
from glasses.bench.speech_listen import stream_wakes, LISTEN
from glasses.bench.speech_corpus import DistractorStream
phrases = tuple(phrases_from_skills(builtin_skills()))
m = float(sys.argv[1])
stream = DistractorStream(m)
c = stream_wakes(iter(stream), stream.samples, phrases, SileroVad(), {LISTEN: WakeSettings(threshold=float(os.environ.get("THR", "0.5")))}, progress=lambda s: None)
print("RESET", os.environ.get("RESET"), "minutes", m, "false accepts", c[LISTEN], flush=True)
