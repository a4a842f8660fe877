"""Whisper's final decodes, the full 30 s window against fitted ones, on synthesised speech:
10 short, 10 medium (the bench's DICTATION) and 5 long utterances in 8 voices of 4 synthesisers
(espeak-ng held-out accents, Flite, Festival, Piper when installed), white noise at 10-30 dB.
Prints WER, real-time factor and exact transcripts per window; writes every hypothesis to
fit_windows.json. Run from the repository root: python docs/experiments/whisper_window/fit_windows.py
"""
import json, zlib
from glasses.allocator import limit_retention
limit_retention()
import numpy as np
from glasses.bench import real_speech as rs
from glasses.bench.speech_corpus import DICTATION
from glasses.speech.tts import synthesize_16k, mix_noise
from glasses.speech.whisper_backend import WhisperDictation, WhisperSettings, load_model

SHORT = ("yes please", "thank you very much", "see you later", "good morning", "call me back",
         "that sounds good", "not today", "i am on my way", "running late", "ten minutes")
LONG = tuple(f"{DICTATION[i]} and {DICTATION[(i + 3) % len(DICTATION)]}" for i in range(0, 10, 2))
VOICES = ("en-us", "en-gb-scotland", "en-029+m6", "en-us-nyc+f4", "flite:slt", "festival:ked",
          "festival:slt_hts", "piper:joe")
VARIANTS = {
    "full": WhisperSettings(),
    "fit_pad3": WhisperSettings(final_window="fit"),
    "fit_pad3_floor6": WhisperSettings(final_window="fit", min_window_s=6.0),
    "fit_pad1_floor10": WhisperSettings(final_window="fit", pad_s=1.0, min_window_s=10.0),
}
clips = []
k = 0
for voice in VOICES:
    for kind, texts in (("short", SHORT), ("medium", DICTATION), ("long", LONG)):
        for text in texts:
            k += 1
            try:
                speech = synthesize_16k(text, voice=voice)
            except Exception as e:
                print("skip", voice, e); break
            snr = 10 + (zlib.crc32(f"{voice}{text}".encode()) % 21)
            audio = mix_noise(speech, snr, seed=k)
            clips.append((kind, rs.Clip(id=f"{voice}|{kind}|{k}", set=kind, audio=audio, text=text)))
print(len(clips), "clips", round(sum(c.seconds for _, c in clips)), "s", flush=True)
model = load_model()
out = {}
for name, s in VARIANTS.items():
    d = WhisperDictation(s, model=model)
    d.transcribe(clips[0][1].audio)
    row = {}
    allc = [c for _, c in clips]
    sc = rs.score(d.transcribe, allc)
    row["all"] = dict(wer=round(sc.wer, 4), rtf=round(sc.rtf, 3), cpu_rtf=round(sc.cpu_rtf, 3))
    hyp = {r[0]: r[2] for r in sc.rows}
    for kind in ("short", "medium", "long"):
        cs = [c for kd, c in clips if kd == kind]
        row[kind] = round(rs.wer([c.text for c in cs], [hyp[c.id] for c in cs]), 4)
    for v in VOICES:
        cs = [c for _, c in clips if c.id.startswith(v + "|")]
        if cs: row[v] = round(rs.wer([c.text for c in cs], [hyp[c.id] for c in cs]), 4)
    row["exact"] = sum(rs.normalise(c.text) == rs.normalise(hyp[c.id]) for c in allc)
    row["fallbacks"] = d.decoder.fit_fallbacks
    row["hyps"] = hyp
    out[name] = row
    print(name, json.dumps({k: v for k, v in row.items() if k != "hyps"}), flush=True)
json.dump(out, open("fit_windows.json", "w"), indent=1)
