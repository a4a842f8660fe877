"""The wake check with a per-stretch cepstral mean, offline: the same verdicts as shipped?

``python docs/experiments/wake_check/cmn_check.py /tmp/checks_*.pkl /tmp/dense_segments.pkl``:
replays the logged stretches (``log_checks.py``, ``dense_stream.py`` with ``SAVE=``) through
``WakeCheck`` as shipped (its decoders carry their estimates from one check to the next), with
the model's default cepstral mean set before each decode, and with the stretch's own mean
(``CepstralMeter``); prints how many each confirms."""
import pickle, sys, numpy as np
from glasses.speech.wake_check import WakeCheck
from glasses.speech._sphinx import CepstralMeter, MODEL_CMN, cmn_repr
PHRASE = "hey glasses"
meter = CepstralMeter()
class Cmn(WakeCheck):
    mode = "model"
    def confirms(self, audio):
        if len(audio) == 0: return False
        noise = np.random.default_rng(0).normal(0.0, self.dither_rms, len(audio))
        audio = np.clip(np.rint(audio + noise), -32768, 32767).astype(np.int16)
        if self.mode == "model": mean = np.array(MODEL_CMN)
        else:
            mean, frames = meter.measure(audio)
            if not frames: mean = np.array(MODEL_CMN)
        rep = cmn_repr(mean)
        self.recognizer._decoder.set_cmn(rep)
        heard, score = self.recognizer.scored_phrase(audio)
        if heard != self.phrase: return False
        self.look_alike_recognizer._decoder.set_cmn(rep)
        _, rival = self.look_alike_recognizer.scored_phrase(audio)
        return rival <= score
class Own(Cmn):
    mode = "own"
for path in sys.argv[1:]:
    data = pickle.load(open(path, "rb"))
    if isinstance(data, dict) and "rows" in data:
        name, st = data["rows"][0][0], [r[4] for r in data["rows"]]
    elif path.endswith("fa_stretches.pkl"):
        name, st = "bench FA (0.3/0.2/0.15 accepts)", [data[t] for t in sorted(data)]
    else:
        name, st = "dense 4 h", [r[2] for r in next(iter(data.values()))]
    out = [name, len(st)]
    for label, c in (("shipped", WakeCheck(PHRASE)), ("model cmn", Cmn(PHRASE)), ("own cmn", Own(PHRASE))):
        out.append(f"{label} {sum(c.confirms(a) for a in st)}")
    print(*out, flush=True)
