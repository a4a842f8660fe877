"""The speech bench's captions figures (dictation_wer, captions_rtf: its dictation clips through
VAD -> captions on the compute clock) with the finals' window as shipped, or with OLD=1 the 30 s
window of before. Run from the repository root:
[OLD=1] python docs/experiments/whisper_window/captions.py
"""
import os
from glasses.allocator import limit_retention
limit_retention()
from glasses.speech import whisper_backend as wb
if os.environ.get("OLD"):
    orig = wb.WhisperDictation.__init__
    def init(self, settings=None, **kw):
        orig(self, settings or wb.WhisperSettings(final_window="full", pad_s=3.0, min_window_s=0.0), **kw)
    wb.WhisperDictation.__init__ = init
from glasses.assistant.skills import builtin_skills
from glasses.speech.commands import phrases_from_skills
from glasses.speech.wake import WakeSettings
from glasses.speech.vad import SileroVad
from glasses.bench.speech_listen import play, CAPTIONS
from glasses.bench.speech_corpus import build_corpus, warmup_clips
from glasses.bench.speech_scoring import corpus_wer
phrases = tuple(phrases_from_skills(builtin_skills()))
warm = warmup_clips(phrases, WakeSettings().phrase)
corpus = build_corpus(phrases, WakeSettings().phrase, progress=lambda s: None)
clips = corpus["dictation"]
s = play(clips, phrases, SileroVad(), {}, warmup=warm, captions=True)
heard = s.heard[CAPTIONS]
audio_s = sum(len(c.audio) for c in clips) / 16000
print("OLD" if os.environ.get("OLD") else "NEW", "clips", len(clips), "dictation_wer", round(corpus_wer([(h.clip.text, " ".join(h.transcripts)) for h in heard]), 4),
      "captions_rtf", round(s.captions_ms / 1000 / audio_s, 4))
