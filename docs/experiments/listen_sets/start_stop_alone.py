""""start captions" and "stop captions" (every bench voice, 15 dB SNR): what the command
grammar hears, against scoring each phrase in a grammar of its own (``scored_phrase``, as the
wake check weighs look-alikes) and taking the higher: ``python
docs/experiments/listen_sets/start_stop_alone.py``."""
import numpy as np
from glasses.assistant.skills import builtin_skills
from glasses.speech.commands import CommandRecognizer, CommandPhrase, phrases_from_skills
from glasses.speech.tts import synthesize_16k, mix_noise
from glasses.bench.speech_corpus import HELD_OUT_VOICES, TRAINING_VOICES, RATES_WPM
phrases = phrases_from_skills(builtin_skills())
r = CommandRecognizer(phrases)
pair = ("start captions", "stop captions")
alone = {p: CommandRecognizer([CommandPhrase(p, "x")]) for p in pair}
voices = list(HELD_OUT_VOICES) + list(TRAINING_VOICES)
joint_ok = resc_ok = n = 0
for text in pair:
    for v in voices:
        for rate in RATES_WPM:
            a = mix_noise(synthesize_16k(text, voice=v, rate_wpm=rate), 15.0, seed=1)
            heard = r.heard_phrase(a)
            s = {p: alone[p].scored_phrase(a)[1] for p in pair}
            best = max(pair, key=lambda p: s[p])
            n += 1; joint_ok += heard == text; resc_ok += best == text
            if heard != text or best != text:
                print(text, "|", v, rate, "joint", repr(heard), "alone", {k: round(x, 2) for k, x in s.items()})
print("joint right", joint_ok, "alone-rescored right", resc_ok, "of", n)
