"""LEAD_IN_S: how much audio before each utterance the VAD stage streams to the wake spotter
(``VadStage(lead_in_ms=…)``, ``SpeechAudio.lead_in``), for every VAD stage these scripts build.
Unset or 0: none, the pipeline before the lead-in shipped (the figures measured before it);
2: the shipped default. Imported by ``sweep_eval.py``. (Before the product had it, this file
was a monkeypatch doing the same: its figures are reproduced by ``LEAD_IN_S=2``.)"""

import functools
import os

from glasses.speech import vad_stage as vs

LEAD_IN_S = float(os.environ.get("LEAD_IN_S", "0"))

_init = vs.VadStage.__init__


@functools.wraps(_init)
def _init_with_lead_in(self, *args, **kwargs):
    kwargs["lead_in_ms"] = LEAD_IN_S * 1000.0
    _init(self, *args, **kwargs)


vs.VadStage.__init__ = _init_with_lead_in
