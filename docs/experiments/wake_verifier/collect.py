"""Collect audio segments ending at stage-1 firings (threshold T) of the shipped head:
positives from the held-out clip sets, negatives from the 4 h distractor stream."""
import sys, time, pickle
import numpy as np
from glasses.bench import wake_figures as wf
from glasses.bench.speech_corpus import HELD_OUT_VOICES, HELD_OUT_OTHER_VOICES, installed_voices, NEAR_MISSES, EVERYDAY, DICTATION
from glasses.speech.wake import WakeSettings
from glasses.speech.wake_model import Head, ModelWakeSpotter
from glasses.training import wake_data

T = float(sys.argv[1]) if len(sys.argv) > 1 else 0.05
RATE = 16000
PRE, POST = 2.5, 1.0
head = Head()
scorer = ModelWakeSpotter(WakeSettings(backend="model"), head=head)
dec = ModelWakeSpotter(WakeSettings(threshold=T, backend="model", confirm_steps=1), head=head)

# --- clip audio: rerun the clip-set recipes, capturing the audio passed to _embed
captured = []
orig = wf._embed
def cap(audio, features):
    captured.append(np.asarray(audio).copy())
    return orig(audio, features)
wf._embed = cap
out = {"clips": {}, "stream": []}
for voices, suffix, seed, ob in ((HELD_OUT_VOICES, "", 20_241, wf._espeak_one_breath),
                                  (installed_voices(HELD_OUT_OTHER_VOICES), wf.OTHER, 20_243, wf._parts_one_breath)):
    captured.clear()
    sets = wf._clip_sets(voices, suffix, np.random.default_rng(seed), ob, lambda s: None)
    k = 0
    # order of captures inside _clip_sets: per (voice,rate): per text: noisy, clean, clean40; then one_breath clips
    names = list(sets)
    flat = []
    idx = {n: 0 for n in names}
    texts = 1 + len(wf.COMMANDS)
    per_pair = texts * 3 + len(wf.ONE_BREATH)
    for p in range(len(captured) // per_pair):
        base = p * per_pair
        for t in range(texts):
            for j, n in enumerate(names[:3]):
                flat.append((n, idx[n], captured[base + t * 3 + j])); idx[n] += 1
        for t in range(len(wf.ONE_BREATH)):
            flat.append((names[3], idx[names[3]], captured[base + texts * 3 + t])); idx[names[3]] += 1
    for n, i, audio in flat:
        s = sets[n][i]
        hits = wf._detections(scorer, [dec], s.embeddings)[0]
        out["clips"].setdefault(n, []).append({"audio": audio, "hits": hits, "cut_at": s.cut_at})
    print(suffix or "espeak", {n: len(v) for n, v in sets.items()}, flush=True)
wf._embed = orig

# --- stream firings from the cached embeddings
emb, lookalikes = wf._stream(4.0, print)
fires = wf._detections(scorer, [dec], emb)[0]
print("stream fires", len(fires), flush=True)
out["lookalikes"] = lookalikes
# regenerate the stream audio minute by minute (same rng draws as wf._stream) and cut segments
prev = np.zeros(0, np.int16)
t0 = time.monotonic()
audio = wf.stream_minutes(240, np.random.default_rng(20_242), wake_data.voices("eval"), [])
for minute, pcm in enumerate(audio):
    both = np.concatenate([prev, pcm]); off = minute * 60 - len(prev) / RATE
    for f in fires:
        if minute * 60 <= f < (minute + 1) * 60:
            a = int((f - PRE - off) * RATE); b = int((f + POST - off) * RATE)
            seg = both[max(a, 0):b]
            out["stream"].append({"t": f, "audio": seg, "partial_post": b > len(both)})
    prev = pcm[-int(3 * RATE):]
    if (minute + 1) % 20 == 0:
        print("minute", minute + 1, round(time.monotonic() - t0), flush=True)
# segments whose POST crosses into next minute are cut short; fine for the study
pickle.dump(out, open(f"/tmp/verif/seg_{T}.pkl", "wb"))
print("saved")
