import pickle, sys, re, collections
r = pickle.load(open(sys.argv[1], "rb"))
def norm(t): return re.sub(r"[^a-z ]", " ", t.lower()).split()
for name, items in r["clips"].items():
    c = collections.Counter(" ".join(norm(t[0])) if t else "<nohit>" for t in items)
    print("==", name, len(items)); print("  ", c.most_common(12))
c = collections.Counter(" ".join(norm(t)[-3:]) for t in r["stream"])
print("== stream", len(r["stream"])); print(c.most_common(60))
