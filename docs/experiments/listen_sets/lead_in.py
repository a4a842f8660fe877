"""LEAD_IN_S=2: the VAD stage streams, ahead of each utterance's first ``SpeechAudio``, up to
that many seconds of the audio before it not streamed yet (prepended to that first chunk), so
the wake spotter's ~2 s window holds what really preceded the phrase instead of the end of the
previous utterance. Imported by ``sweep_eval.py``; captions would get the lead-in too (not
measured here)."""

import os
from collections import deque

from glasses.speech import vad_stage as vs

LEAD_IN_S = float(os.environ.get("LEAD_IN_S", "0"))

if LEAD_IN_S > 0:
    _keep = vs.VadStage._keep
    _stream = vs.VadStage._stream

    def _keep_with_history(self, frame):
        if not hasattr(self, "_lead_history"):
            self._lead_history = deque(maxlen=int(LEAD_IN_S * 1000 // 32) + 20)
            self._lead_end = -1
        self._lead_history.append(frame)
        onset = self.endpointer.in_speech and not self._utterance
        _keep(self, frame)
        if onset and self._utterance:
            first = self._utterance[0].t_ns
            since = max(self._lead_end, first - int(LEAD_IN_S * 1e9))
            self._lead_pending = [f for f in self._lead_history if since <= f.t_ns < first]

    def _stream_with_lead_in(self, frames, silence_ns, ctx):
        lead = getattr(self, "_lead_pending", None)
        if frames and lead:
            frames[:0] = lead
            self._lead_pending = None
        if frames:
            self._lead_end = frames[-1].end_t_ns
        return _stream(self, frames, silence_ns, ctx)

    vs.VadStage._keep = _keep_with_history
    vs.VadStage._stream = _stream_with_lead_in
