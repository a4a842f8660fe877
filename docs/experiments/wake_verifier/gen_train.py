"""Training data for a second-stage verifier: segments at stage-1 firings (head at 0.05) on
training voices only: positives (firings near the labelled end of "hey glasses"), hard
negatives (firings on negative clips and on a training-voice distractor stream)."""
import sys, time, pickle
import numpy as np
from glasses.speech.wake import WakeSettings, spot
from glasses.training import wake_data as w
from glasses.bench.speech_corpus import NEAR_MISSES, EVERYDAY, DICTATION
RATE = 16000; PRE, POST = 2.5, 1.0
S = WakeSettings(threshold=0.05, backend="model", confirm_steps=1)
pool = tuple(v for s in ("espeak", "piper", "flite") for v in w.voices("train", s))
rng = np.random.default_rng(777)
NPOS, NNEG, STREAM_MIN = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
def seg(audio, t):
    a = int((t - PRE) * RATE); b = int((t + POST) * RATE)
    x = audio[max(a, 0):b]
    return np.concatenate([np.zeros(max(0, -a), np.int16), x])  # firing at PRE s
pos, neg, stats = [], [], {"pos_clips": 0, "pos_found": 0, "neg_clips": 0}
t0 = time.monotonic()
for i in range(NPOS):
    c = w.positive_clip(rng, pool)
    hits = [h.t_ns / 1e9 for h in spot(c.audio, S)]
    end = c.ends[0] / RATE
    near = [h for h in hits if -0.2 <= h - end <= 0.8]
    stats["pos_clips"] += 1
    if near:
        stats["pos_found"] += 1
        pos.append(seg(c.audio, near[0]))
    for h in hits:
        if h - end > 1.5 or h - end < -1.0:
            neg.append(seg(c.audio, h))  # a firing elsewhere in a positive clip
    if i % 200 == 0: print("pos", i, round(time.monotonic() - t0), flush=True)
for i in range(NNEG):
    c = w.negative_clip(rng, pool)
    for h in spot(c.audio, S):
        neg.append(seg(c.audio, h.t_ns / 1e9))
    stats["neg_clips"] += 1
    if i % 500 == 0: print("neg", i, len(neg), round(time.monotonic() - t0), flush=True)
# a training-voice distractor stream in the stream recipe (different seed, training voices)
sneg = 0
from glasses.bench.wake_figures import stream_minutes
for minute, pcm in enumerate(stream_minutes(STREAM_MIN, rng, w.voices("train", "espeak"), [])):
    for h in spot(pcm, S):
        neg.append(seg(pcm, h.t_ns / 1e9)); sneg += 1
    if minute % 10 == 0: print("stream", minute, sneg, round(time.monotonic() - t0), flush=True)
stats["stream_negs"] = sneg
print(stats, len(pos), len(neg))
pickle.dump({"pos": pos, "neg": neg, "stats": stats}, open("/tmp/verif/train.pkl", "wb"))
