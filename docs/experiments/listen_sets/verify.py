"""VERIFY=log|filter: a second opinion on each wake the spotter hears. Whisper base decodes
the ~2 s of the utterance that end just after the spotter fired (a short fitted window), and
``VERIFY=filter`` keeps the wake only if the words heard hold the wake phrase. Every check is
appended to ``VERIFY_LOG`` as a JSON line (score, transcript, verdict). A monkeypatch of
``ListenStage._plan``, imported by ``sweep_eval.py``."""

import json
import os
import re
from dataclasses import replace

import numpy as np

from glasses.speech import listen_stage as ls

VERIFY = os.environ.get("VERIFY", "")
LOG = os.environ.get("VERIFY_LOG", "/tmp/verify.jsonl")
BEFORE_S = float(os.environ.get("VERIFY_BEFORE_S", "1.8"))
AFTER_S = float(os.environ.get("VERIFY_AFTER_S", "0.25"))
SAVE = os.environ.get("VERIFY_SAVE", "")  # a directory: each checked segment as .npy
DECODE = os.environ.get("VERIFY_DECODE", "1") == "1"
RATE = 16_000

_HEY = r"(hey|hay|hi|heh|eh|a|hey-)"
_GLASSES = r"(glass(es|is|y|ez)?|glases|glasss\w*|glac\w*|glas\w*)"
_PHRASE = re.compile(rf"\b{_HEY}\W*{_GLASSES}\b")


def holds_phrase(text: str) -> bool:
    return _PHRASE.search(text.lower()) is not None


_decoder = None


def _decode(audio: np.ndarray) -> str:
    global _decoder
    from glasses.speech.whisper_backend import WhisperSettings, _Decoder, load_model

    if _decoder is None:
        settings = WhisperSettings(final_window="fit", pad_s=0.5, min_window_s=3.0)
        _decoder = _Decoder(load_model(settings=settings), settings)
    return _decoder.decode(audio.astype(np.float32) / 32768.0, "fit")


if VERIFY:
    _plan = ls.ListenStage._plan
    _seen: dict = {}

    async def _plan_verified(self, work, heard, streamed, ctx):
        plan = await _plan(self, work, heard, streamed, ctx)
        if plan.wake is None:
            return plan
        u = work.utterance
        key = (self.name, u.started_t_ns, plan.wake.t_ns)
        ok = _seen.get(key)
        if ok is None:
            at = max(0, (plan.wake.t_ns - u.start_ns) * RATE // 1_000_000_000)
            seg = u.audio[max(0, at - int(BEFORE_S * RATE)) : at + int(AFTER_S * RATE)]
            text = _decode(seg) if DECODE else ""
            if SAVE:
                os.makedirs(SAVE, exist_ok=True)
                name = f"{SAVE}/{len(os.listdir(SAVE)):05d}.npy"
                np.save(name, seg)
            ok = holds_phrase(text)
            _seen[key] = ok
            with open(LOG, "a") as f:
                f.write(json.dumps({"stage": self.name, "score": plan.wake.score,
                                    "t": u.started_t_ns, "text": text, "ok": ok,
                                    "file": name if SAVE else None}) + "\n")
        if VERIFY == "filter" and not ok:
            return replace(plan, wake=None, cut=None, paused=False, timed_cut=None)
        return plan

    ls.ListenStage._plan = _plan_verified
