import sys, pickle, numpy as np
sys.path.insert(0, __import__("os").path.dirname(__file__)); import feats
d = pickle.load(open("/tmp/verif/seg_0.05.pkl", "rb"))
out = {"clips": {}, "stream": []}
for name, items in d["clips"].items():
    out["clips"][name] = [[feats.feature(it["audio"], h) for h in it["hits"][:4]] for it in items]
    print(name, flush=True)
out["stream"] = [feats.feature(it["audio"], 2.5) for it in d["stream"]]
out["stream_t"] = [it["t"] for it in d["stream"]]
pickle.dump(out, open("/tmp/verif/eval_feats.pkl", "wb"))
print("done")
