import numpy as np, torch
z = np.load("/tmp/verif/train_feats.npz"); X, y = z["X"], z["y"]
rng = np.random.default_rng(0); idx = rng.permutation(len(y)); cut = int(0.8 * len(y))
tr, te = idx[:cut], idx[cut:]
mu, sd = X[tr].mean(0), X[tr].std(0) + 1e-6
Xt = torch.tensor((X - mu) / sd); yt = torch.tensor(y)
torch.manual_seed(0)
net = torch.nn.Linear(X.shape[1], 1); opt = torch.optim.AdamW(net.parameters(), lr=1e-3, weight_decay=1e-2)
for e in range(300):
    opt.zero_grad(); l = torch.nn.functional.binary_cross_entropy_with_logits(net(Xt[tr])[:, 0], yt[tr]); l.backward(); opt.step()
with torch.no_grad():
    p = torch.sigmoid(net(Xt)[:, 0]).numpy()
for name, ix in (("train", tr), ("held", te)):
    pos = ix[y[ix] == 1]; neg = ix[y[ix] == 0]
    print(name, "pos>=0.5", (p[pos] >= 0.5).mean().round(3), "neg<0.5", (p[neg] < 0.5).mean().round(3))
