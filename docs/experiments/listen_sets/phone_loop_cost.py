"""What the command recogniser's phone loop costs, and what cheaper settings of it decide.

``python docs/experiments/listen_sets/phone_loop_cost.py``: the speech bench's push-to-talk
command clips and its out-of-grammar clips (every voice, 10–20 dB SNR) through the grammar pass
of ``CommandRecognizer`` and through a phone loop in a decoder of its own, one per setting
(``VARIANTS``; ``ONLY=ds2,topn2`` for some): ms per clip, and the accept decisions the margin
and extra-speech rules give with each (right commands, wrong, out-of-grammar accepted, and
how many decisions differ from the default settings')."""
import math
import os
import time

import numpy as np
import pocketsphinx

from glasses.assistant.skills import builtin_skills
from glasses.bench.speech_corpus import build_corpus
from glasses.speech._sphinx import new_decoder
from glasses.speech.commands import (
    _FRAME_MS,
    _NOT_SPEECH,
    DEFAULT_MAX_EXTRA_MS,
    DEFAULT_MIN_MARGIN,
    CommandRecognizer,
    _span,
    phrases_from_skills,
)
from glasses.speech.wake import WakeSettings

VARIANTS = {
    "default": {},
    "beam 1e-30": dict(beam=1e-30, pbeam=1e-30),
    "beam 1e-20": dict(beam=1e-20, pbeam=1e-20),
    "maxhmmpf 2000": dict(maxhmmpf=2000),
    "ds 2": dict(ds=2),
    "topn 2": dict(topn=2),
}
if os.environ.get("ONLY"):
    VARIANTS = {k: VARIANTS[k] for k in ["default", *os.environ["ONLY"].split(",")]}
phrases = tuple(phrases_from_skills(builtin_skills()))
corpus = build_corpus(phrases, WakeSettings().phrase, progress=lambda s: None)
rec = CommandRecognizer(phrases)
phone_lm = os.path.join(pocketsphinx.get_model_path(), "en-us", "en-us-phone.lm.bin")
decoders = {n: new_decoder(lm=None, allphone=phone_lm, **cfg) for n, cfg in VARIANTS.items()}


def phone_loop(d, audio):
    d.start_utt()
    d.process_raw(np.ascontiguousarray(audio, dtype=np.int16).tobytes(), False, True)
    d.end_utt()
    hyp, frames = d.hyp(), max(1, int(d.n_frames()))
    if hyp is None:
        return 0.0, frames, None
    words = [(s.word, int(s.start_frame), int(s.end_frame)) for s in d.seg()
             if s.word not in _NOT_SPEECH and not s.word.startswith(("<", "["))]
    return float(hyp.score), frames, _span(words)


clips = [c for kind in ("command", "oog") for c in corpus[kind]]
spent = dict.fromkeys(VARIANTS, 0.0)
decided = {n: [] for n in VARIANTS}
for clip in clips:
    _, intent, g, _, command = rec._grammar_pass(clip.audio)
    for n, d in decoders.items():
        t0 = time.perf_counter()
        p, frames, speech = phone_loop(d, clip.audio)
        spent[n] += time.perf_counter() - t0
        ok = intent is not None and g > 0 and p > 0
        ok = ok and 1000 * math.log(g / p) / frames > DEFAULT_MIN_MARGIN
        if ok and command and speech:
            before = max(0, command[0] - speech[0]) * _FRAME_MS
            after = max(0, speech[1] - command[1]) * _FRAME_MS
            ok = after <= DEFAULT_MAX_EXTRA_MS and before <= 2 * DEFAULT_MAX_EXTRA_MS
        decided[n].append(intent if ok else None)
for n in VARIANTS:
    pairs = list(zip(clips, decided[n], strict=True))
    right = sum(c.kind == "command" and i == c.intent for c, i in pairs)
    wrong = sum(c.kind == "command" and i is not None and i != c.intent for c, i in pairs)
    oog = sum(c.kind == "oog" and i is not None for c, i in pairs)
    differ = sum(a != b for a, b in zip(decided[n], decided["default"], strict=True))
    print(f"{n:14s} {1000 * spent[n] / len(clips):6.1f} ms/clip; push to talk right {right}, "
          f"wrong {wrong} of {len(corpus['command'])}; out of grammar accepted {oog} of "
          f"{len(corpus['oog'])}; decisions unlike the default's {differ}", flush=True)
