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
look_alikes = tuple(NEAR_MISSES) + tuple(t for t in w.LOOK_ALIKES if t not in {"hey", "glasses", "glass"})
sneg = 0
for minute in range(STREAM_MIN):
    floor_kind = w._pick(rng, ("white", "pink", "silence")); floor_rms = float(rng.uniform(20.0, 400.0))
    audio = []; n = 0; said = False
    while n < 60 * RATE:
        r = rng.random(); voice = w._pick(rng, w.voices("train", "espeak"))
        rate, pitch = int(rng.integers(120, 221)), int(rng.integers(25, 76))
        if r < 0.04 and not said: text = w._pick(rng, look_alikes); said = True
        elif r < 0.45: text = w.sentence(rng)
        elif r < 0.75: text = w._pick(rng, EVERYDAY + DICTATION)
        elif r < 0.88: text = w.word_string(rng)
        else: text = ""
        if text:
            x = w.engine().speak(text, voice, rate, pitch).samples.astype(np.float64); x *= 10 ** (rng.uniform(-12.0, 4.0) / 20)
        elif rng.random() < 0.5: x = w.tone(rng, float(rng.uniform(0.5, 3.0))) * 10 ** rng.uniform(2, 3.5)
        else:
            x = w.coloured_noise(rng, int(rng.uniform(0.3, 2.0) * RATE), w._pick(rng, ("white", "pink", "brown"))) * 10 ** rng.uniform(1.5, 3.5)
        gap = np.zeros(int(rng.uniform(0.1, 1.5) * RATE)); audio += [x, gap]; n += len(x) + len(gap)
    chunk = np.concatenate(audio)[: 60 * RATE]
    if floor_kind != "silence": chunk = chunk + w.coloured_noise(rng, len(chunk), floor_kind) * floor_rms
    pcm = np.clip(np.rint(chunk), -32768, 32767).astype(np.int16)
    for h in spot(pcm, S):
        neg.append(seg(pcm, h.t_ns / 1e9)); sneg += 1
    if minute % 10 == 0: print("stream", minute, sneg, round(time.monotonic() - t0), flush=True)
stats["stream_negs"] = sneg
print(stats, len(pos), len(neg))
pickle.dump({"pos": pos, "neg": neg, "stats": stats}, open("/tmp/verif/train.pkl", "wb"))
