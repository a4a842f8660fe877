"""A second head over the same openWakeWord embeddings, trained on the first head's firings
(at 0.05) on training voices only; evaluated on the held-out firings of collect.py/wake_figures."""
import sys, os, pickle, numpy as np, torch
from glasses.bench import wake_figures as wf
from glasses.speech.wake import WakeSettings
from glasses.speech.wake_model import Head, ModelWakeSpotter
from glasses.speech.wake_features import clip_embeddings
BEFORE, AFTER = int(sys.argv[1]), int(sys.argv[2])
RATE, STEP = 16000, 1280
cache = "/tmp/verif/train_emb.pkl"
if os.path.exists(cache):
    P, N = pickle.load(open(cache, "rb"))
else:
    tr = pickle.load(open("/tmp/verif/train.pkl", "rb"))
    def emb(a):
        return clip_embeddings(np.concatenate([np.asarray(a[320:], np.int16), np.zeros(16000, np.int16)]))  # firing at the end of step 31; digital silence after, as a flush
    P = [emb(a) for a in tr["pos"]]; N = [emb(a) for a in tr["neg"]]
    pickle.dump((P, N), open(cache, "wb"))
FIRE = 30
def window(E, i):
    lo, hi = i - BEFORE + 1, i + AFTER + 1
    if lo < 0 or hi > len(E): 
        pad = np.zeros((max(0, -lo), 96), E.dtype); post = np.zeros((max(0, hi - len(E)), 96), E.dtype)
        E = np.concatenate([pad, E, post]); lo += len(pad); hi += len(pad)
    return np.asarray(E[lo:hi], np.float32).ravel()
X = np.array([window(E, FIRE) for E in P] + [window(E, FIRE) for E in N])
y = np.array([1] * len(P) + [0] * len(N), np.float32)
# eval: cached embeddings of wake_figures
sets, _ = wf._clips(lambda s: None)
stream, _ = wf._stream(4.0, lambda s: None)
head = Head(); scorer = ModelWakeSpotter(WakeSettings(backend="model"), head=head)
dec = ModelWakeSpotter(WakeSettings(threshold=0.05, backend="model", confirm_steps=1), head=head)
ev = {n: [[window(s.embeddings, round(h * 12.5) - 1) for h in wf._detections(scorer, [dec], s.embeddings)[0][:4]] for s in items] for n, items in sets.items()}
fires = wf._detections(scorer, [dec], stream)[0]
evs = np.array([window(stream, round(t * 12.5) - 1) for t in fires])
print("train", X.shape, int(y.sum()), "eval stream", len(evs))
def fit(hidden, wd, epochs, seed=0, drop=0.3):
    torch.manual_seed(seed)
    Xt, yt = torch.tensor(X), torch.tensor(y)
    net = torch.nn.Sequential(torch.nn.Dropout(drop), torch.nn.Linear(X.shape[1], hidden), torch.nn.ReLU(), torch.nn.Dropout(drop), torch.nn.Linear(hidden, 1))
    opt = torch.optim.AdamW(net.parameters(), lr=1e-3, weight_decay=wd)
    for e in range(epochs):
        perm = torch.randperm(len(yt))
        for b in range(0, len(yt), 128):
            ix = perm[b:b + 128]
            net.train(); opt.zero_grad()
            xb = Xt[ix] * (1 + 0.1 * torch.randn(len(ix), 1))  # gain jitter
            l = torch.nn.functional.binary_cross_entropy_with_logits(net(xb)[:, 0], yt[ix]); l.backward(); opt.step()
    net.eval(); return net
def prob(net, V):
    with torch.no_grad(): return torch.sigmoid(net(torch.tensor(np.asarray(V, np.float32)))[:, 0]).numpy()
for hidden, wd, ep in ((64, 1e-2, 40), (128, 1e-1, 80)):
    net = fit(hidden, wd, ep)
    s = prob(net, evs)
    cp = {n: [prob(net, hs) if hs else np.zeros(0) for hs in items] for n, items in ev.items()}
    for thr in (0.1, 0.3, 0.5, 0.7, 0.9):
        row = {n: round(float(np.mean([bool(len(p)) and bool((p >= thr).any()) for p in ps])), 3) for n, ps in cp.items()}
        print(f"h{hidden} {BEFORE}+{AFTER} thr {thr} FA/4h {int((s >= thr).sum())}", row, flush=True)
# in-distribution check: 80/20 split of the training firings
idx = np.random.default_rng(0).permutation(len(y)); cut = int(0.8 * len(y))
Xa, ya = X, y
X, y = Xa[idx[:cut]], ya[idx[:cut]]
net = fit(64, 1e-2, 40)
p = prob(net, Xa[idx[cut:]]); yy = ya[idx[cut:]]
print("in-dist held pos>=0.5", (p[yy == 1] >= 0.5).mean().round(3), "neg<0.5", (p[yy == 0] < 0.5).mean().round(3))
