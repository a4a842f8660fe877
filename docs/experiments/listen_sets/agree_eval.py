"""``python docs/experiments/listen_sets/agree_eval.py /tmp/decisions_wake_wake.pkl …``
(``decisions_log.py``'s output): for clips whose command the grammar rejected, how many a
transcript agreeing with the grammar's hypothesis (``CommandRecognizer.agrees``' rule, at
0.35, 0.4 and 0.5 edits per phone) would have made right, wrong, or out-of-grammar requests
taken for commands."""
import pickle, sys
from glasses.assistant.skills import builtin_skills
from glasses.speech.commands import phrases_from_skills, CommandRecognizer, edit_distance, normalize, spell_digits
rec = CommandRecognizer(phrases_from_skills(builtin_skills()))
def agree(text, hyp, maxd):
    if not hyp or hyp not in rec._intent_of: return False
    h = rec.pronounce(normalize(spell_digits(text)))
    if not h: return False
    sc = sorted((edit_distance(rec._phrase_phones(p), h)/max(1,len(rec._phrase_phones(p))), p) for p in rec._intent_of)
    best = [p for d,p in sc if d == sc[0][0]]
    return sc[0][0] <= maxd and best == [hyp]
def rows_of(f):
    rows = pickle.load(open(f,"rb"))
    for r in rows:
        if "decisions" in r:
            d = r["decisions"][-1] if r["decisions"] else None
            r["g"] = (d[5], d[6]) if d else None
        else:
            d = r["rejected"][-1] if r["rejected"] else None
            r["g"] = (d[0], d[1]) if d else None
    return rows
for maxd in (0.35, 0.4, 0.5):
    for f in sys.argv[1:]:
        rows = rows_of(f)
        gain = wrong = oog = 0; ex=[]
        for r in rows:
            if (not r["woke"] and "push" not in f) or r["command"] is not None or r["g"] is None: continue
            text = r["transcripts"][-1] if r["transcripts"] else ""
            if agree(text, r["g"][0], maxd):
                intent = rec._intent_of[r["g"][0]]
                if r["intent"] is None: oog += 1; ex.append(("OOG", r["text"], r["g"][0], text))
                elif intent == r["intent"]: gain += 1
                else: wrong += 1; ex.append(("WRONG", r["text"], r["g"][0], text))
        print(maxd, f.split("/")[-1], "gain", gain, "wrong", wrong, "oog->cmd", oog, ex)
