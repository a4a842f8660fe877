"""Transcribe every collected segment with Whisper base, fit window (pad 1 s) and full window."""
import sys, time, pickle
import numpy as np
from glasses.speech.whisper_backend import WhisperDictation, WhisperSettings
T = sys.argv[1]; PRE = float(sys.argv[2]); POST = float(sys.argv[3]); window = sys.argv[4]
d = pickle.load(open(f"/tmp/verif/seg_{T}.pkl", "rb"))
w = WhisperDictation(WhisperSettings(final_window=window, pad_s=1.0))
dec = w.decoder
RATE = 16000
def seg_of(audio, t_end_in_audio):
    a = max(0, int((t_end_in_audio - PRE) * RATE)); b = int((t_end_in_audio + POST) * RATE)
    return audio[a:b]
res = {"clips": {}, "stream": []}
times = []
for name, items in d["clips"].items():
    for it in items:
        texts = []
        for h in it["hits"][:1]:
            s = seg_of(it["audio"], h)
            t0 = time.perf_counter(); texts.append(w.transcribe(s)); times.append(time.perf_counter() - t0)
        res["clips"].setdefault(name, []).append(texts)
    print(name, flush=True)
for it in d["stream"]:
    s = it["audio"]; end = 2.5  # firing at 2.5 s into the segment
    s = s[max(0, int((end - PRE) * RATE)): int((end + POST) * RATE)]
    t0 = time.perf_counter(); res["stream"].append(w.transcribe(s)); times.append(time.perf_counter() - t0)
print("decode ms p50/p95", np.percentile(times, 50) * 1000, np.percentile(times, 95) * 1000)
pickle.dump(res, open(f"/tmp/verif/tx_{T}_{PRE}_{POST}_{window}.pkl", "wb"))
