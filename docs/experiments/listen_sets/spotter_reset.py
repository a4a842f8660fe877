"""RESET=1: the listen stage resets its wake spotter at each utterance's onset (model backend)."""
import os

from glasses.speech import listen_stage as ls

if os.environ.get("RESET") == "1":
    _stream_wake = ls.ListenStage._stream_wake

    async def _reset_then_stream(self, event, ctx):
        if self._spotter is not None and event.t_ns > self._streamed_ns and self.settings.wake.backend == "model":
            self._spotter.reset()
        return await _stream_wake(self, event, ctx)

    ls.ListenStage._stream_wake = _reset_then_stream
