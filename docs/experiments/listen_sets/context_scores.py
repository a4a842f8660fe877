"""How the wake decision on one phrase depends on the sentence said 5 s before it.

``[LEAD_IN_S=2] python context_scores.py``: a sentence at 0.5 s, quiet (a seeded noise floor)
until 6 s, then "hey glasses, what time is it", identical samples from 3 s on; VAD → listen on
the virtual clock; prints the score of the step the spotter decided on, per sentence before.
"""

import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, os.path.dirname(__file__))
import lead_in
import numpy as np

from glasses.assistant.skills import builtin_skills
from glasses.runtime import NS_PER_S, AudioChunk, WakeWord
from glasses.runtime.testing import drive
from glasses.speech.commands import phrases_from_skills
from glasses.speech.listen_stage import ListenSettings, ListenStage
from glasses.speech.tts import synthesize_16k
from glasses.speech.vad_stage import VadStage

RATE = 16_000
cache = Path(tempfile.mkdtemp())


def say(text):
    x = synthesize_16k(text, cache_dir=cache).astype(np.float64)
    return x * 1000.0 / np.sqrt(np.mean(x**2))  # 20 dB over the noise floor


def session(before):
    audio = np.random.default_rng(11).normal(0.0, 100.0, 9 * RATE)
    first, wake = say(before), say("hey glasses, what time is it")
    audio[RATE // 2 : RATE // 2 + len(first)] += first
    audio[6 * RATE : 6 * RATE + len(wake)] += wake
    return np.clip(np.round(audio), -32768, 32767).astype(np.int16)


BEFORE = [
    "the weather is nice today",
    "please pass the salt",
    "good morning",
    "scan this",
    "I need to buy some milk and bread",
    "see you tomorrow",
    "what time is it",
]
scores = []
for before in BEFORE:
    audio = session(before)
    chunks = [
        AudioChunk(t_ns=i * NS_PER_S // RATE, source="mic", samples=audio[i : i + 512])
        for i in range(0, len(audio), 512)
    ]
    listen = ListenStage(phrases_from_skills(builtin_skills()), ListenSettings())
    driven = drive([VadStage(stream_audio=True), listen], chunks, chunks[-1].t_ns + 2 * NS_PER_S)
    wakes = [w for w in driven.of(WakeWord) if w.heard_t_ns > 5 * NS_PER_S]
    scores.append(round(wakes[0].score, 3) if wakes else None)
print("LEAD_IN_S", lead_in.LEAD_IN_S, "scores at the deciding step", scores)
