""""start captions" and "stop captions" through the command grammar alone, in every bench
voice (training and held-out espeak-ng) at 140/170/200 wpm, 15 dB SNR: what each was heard as."""
import os, sys
sys.path.insert(0, os.path.dirname(__file__))
import non_rhotic  # noqa: F401  (NON_RHOTIC=1)
from glasses.assistant.skills import builtin_skills
from glasses.speech.commands import CommandRecognizer, phrases_from_skills
from glasses.speech.tts import synthesize_16k, mix_noise
from glasses.bench.speech_corpus import HELD_OUT_VOICES, TRAINING_VOICES, RATES_WPM
r = CommandRecognizer(phrases_from_skills(builtin_skills()))
voices = list(HELD_OUT_VOICES) + list(TRAINING_VOICES)
bad = 0; n = 0
for text in ("start captions", "stop captions"):
    for v in voices:
        for rate in RATES_WPM:
            a = mix_noise(synthesize_16k(text, voice=v, rate_wpm=rate), 15.0, seed=1)
            res = r.recognize(a)
            n += 1
            if res.phrase != text:
                bad += 1
                print(text, "|", v, rate, "->", repr(res.phrase), res.hypothesis, round(res.margin, 2), res.rejected)
print(bad, "/", n)
