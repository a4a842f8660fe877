"""The wake head's highest score on each distractor-stream pool sentence after 2 s of noise
(a fresh spotter per sentence, at the stream's SNR bounds): which sentences falsely wake."""
import numpy as np
from glasses.bench.speech_corpus import DistractorStream, STREAM_NOISE_RMS, SNR_DB, to_int16
from glasses.speech.wake_model import ModelWakeSpotter
from glasses.speech.wake import WakeSettings
st = DistractorStream(1.0)
sp = ModelWakeSpotter(WakeSettings(threshold=0.99))
rng = np.random.default_rng(0)
rows = []
for i,(text,(voice,rate)) in enumerate(st.pool):
    x = st._sentence(i)
    best = 0
    for snr in SNR_DB:
        seg = np.concatenate([np.zeros(32000), STREAM_NOISE_RMS*10**(snr/20)*x, np.zeros(8000)])
        seg = seg + rng.normal(0, STREAM_NOISE_RMS, len(seg))
        sp.reset()
        sp.process(to_int16(seg), 0)
        best = max(best, max(sp.last_scores))
    rows.append((best, text, voice, rate))
rows.sort(reverse=True)
for r in rows[:15]: print("%.3f %s | %s %s" % r)
