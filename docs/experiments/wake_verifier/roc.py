import pickle, sys, numpy as np
r = pickle.load(open(sys.argv[1], "rb"))
agg = lambda s: max(s)  # best candidate spelling
neg = np.array([agg(s) for s in r["stream"]])
negs = np.sort(neg)[::-1]
print("neg top10", np.round(negs[:10], 3))
for k in (0, 1, 2, 4):
    thr = negs[k] if k < len(negs) else -99
    row = {}
    for name, items in r["clips"].items():
        row[name] = round(np.mean([any(agg(s) > thr for s in clip) if clip else False for clip in items]), 3)
    print(f"FA {k} in 4h thr {thr:.3f}", row)
