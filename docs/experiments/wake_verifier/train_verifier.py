import sys, pickle, numpy as np, torch
sys.path.insert(0, __import__("os").path.dirname(__file__)); import feats
tr = pickle.load(open("/tmp/verif/train.pkl", "rb"))
import os
if os.path.exists("/tmp/verif/train_feats.npz"):
    z = np.load("/tmp/verif/train_feats.npz"); X, y = z["X"], z["y"]
else:
    P = [feats.feature(a, 2.5) for a in tr["pos"]]
    N = [feats.feature(a, 2.5) for a in tr["neg"]]
    X = np.array(P + N); y = np.array([1] * len(P) + [0] * len(N), np.float32)
    np.savez("/tmp/verif/train_feats.npz", X=X, y=y)
print("train", X.shape, y.sum(), (1 - y).sum())
ev = pickle.load(open("/tmp/verif/eval_feats.pkl", "rb"))
mu, sd = X.mean(0), X.std(0) + 1e-6
def fit(hidden, wd, epochs=300, seed=0):
    torch.manual_seed(seed)
    Xt = torch.tensor((X - mu) / sd); yt = torch.tensor(y)
    if hidden:
        net = torch.nn.Sequential(torch.nn.Dropout(0.2), torch.nn.Linear(X.shape[1], hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 1))
    else:
        net = torch.nn.Sequential(torch.nn.Linear(X.shape[1], 1))
    opt = torch.optim.AdamW(net.parameters(), lr=1e-3, weight_decay=wd)
    pw = torch.tensor((1 - y).sum() / y.sum())
    for e in range(epochs):
        net.train(); opt.zero_grad()
        loss = torch.nn.functional.binary_cross_entropy_with_logits(net(Xt)[:, 0], yt, pos_weight=pw)
        loss.backward(); opt.step()
    net.eval()
    return net
def prob(net, V):
    with torch.no_grad():
        return torch.sigmoid(net(torch.tensor((np.asarray(V) - mu) / sd))[:, 0]).numpy()
def report(net, tag):
    s = prob(net, ev["stream"])
    clip_p = {n: [prob(net, hs) if hs else np.zeros(0) for hs in items] for n, items in ev["clips"].items()}
    for thr in (0.5, 0.8, 0.9, 0.95, 0.98, 0.99):
        fa = int((s >= thr).sum())
        row = {n: round(float(np.mean([bool(len(p)) and bool((p >= thr).any()) for p in ps])), 3) for n, ps in clip_p.items()}
        print(tag, thr, "FA/4h", fa, row)
for hidden, wd in ((0, 1e-2), (0, 1e-1), (64, 1e-2)):
    report(fit(hidden, wd), f"h{hidden} wd{wd}")
