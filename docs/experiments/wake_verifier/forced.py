"""Forced-decoding probability of candidate transcripts on each segment (Whisper base, fit window)."""
import sys, time, pickle
import numpy as np
from glasses.speech.whisper_backend import WhisperDictation, WhisperSettings
T = sys.argv[1]; PRE = float(sys.argv[2]); POST = float(sys.argv[3]); PAD = float(sys.argv[4])
d = pickle.load(open(f"/tmp/verif/seg_{T}.pkl", "rb"))
w = WhisperDictation(WhisperSettings()); dec = w.decoder
m = dec.model; tok = dec._tokenizer
start = list(dec._prompt)
CANDS = [" Hey glasses", " Hey, glasses", " hey glasses", " Hey Glasses"]
cand_tokens = [tok.encode(c) for c in CANDS]
RATE = 16000
def score(audio):
    x = np.asarray(audio, np.float32) / 32768.0
    feats = m.feature_extractor(x)
    n = feats.shape[1]
    frames = min(3000, n + int(PAD * 100))
    feats = np.pad(feats, ((0, 0), (0, frames - n)))
    import ctranslate2
    enc = m.encode(feats)
    # batch of candidates: repeat encoder output? align takes a batch of features; call once per cand
    out = []
    for ct in cand_tokens:
        r = m.model.align(enc, start, [ct], n // 2 if False else n)[0]
        p = np.array(r.text_token_probs)
        out.append(float(np.mean(np.log(np.maximum(p, 1e-9)))))
    return out
def cut(audio, t):
    return audio[max(0, int((t - PRE) * RATE)): int((t + POST) * RATE)]
res = {"clips": {}, "stream": []}; times = []
for name, items in d["clips"].items():
    for it in items:
        sc = []
        for h in it["hits"][:3]:
            t0 = time.perf_counter(); sc.append(score(cut(it["audio"], h))); times.append(time.perf_counter() - t0)
        res["clips"].setdefault(name, []).append(sc)
for it in d["stream"]:
    t0 = time.perf_counter(); res["stream"].append(score(cut(it["audio"], 2.5))); times.append(time.perf_counter() - t0)
print("ms p50/p95", np.percentile(times, 50) * 1000, np.percentile(times, 95) * 1000)
pickle.dump(res, open(f"/tmp/verif/fs_{T}_{PRE}_{POST}_{PAD}.pkl", "wb"))
