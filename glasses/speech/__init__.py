"""Speech: the audio front end and voice activity detection.

Everything here takes what the runtime hears, 16 kHz mono int16 (``glasses.devices.resample``
converts any microphone to that). ``Rechunker`` cuts audio into the exact frames a model needs,
``SileroVad`` scores each 32 ms frame, ``Endpointer`` decides where speech starts, pauses and
stops, and ``VadStage`` runs all three in the runtime, emitting ``SpeechStarted`` /
``SpeechPaused`` / ``SpeechEnded``.

On top of that, offline: ``WakeWordSpotter`` (PocketSphinx keyphrase spotting),
``CommandRecognizer`` (a JSGF grammar of the skills' phrases with out-of-grammar rejection),
``Dictation`` (PocketSphinx's en-US language model) and ``synthesize`` (espeak-ng to PCM).

No noise suppression runs before recognition: webrtc-noise-gain (WebRTC's, level 2, measured
for issue 15 on the real read-speech clips in white noise) left Whisper's WER unchanged (0.054
at 20 dB SNR, 0.130 at 10 dB) and helped PocketSphinx in noise (0.891 → 0.685 at 10 dB) but
hurt it on clean speech (0.217 → 0.272).
"""

from glasses.speech._sphinx import SphinxUnavailable
from glasses.speech.commands import (
    CommandPhrase,
    CommandRecognizer,
    CommandResult,
    build_jsgf,
    phrases_from_skills,
)
from glasses.speech.dictation import Dictation, transcribe
from glasses.speech.rechunk import Frame, Rechunker
from glasses.speech.tts import TtsError, mix_noise, synthesize, synthesize_16k, to_16k
from glasses.speech.vad import (
    Endpoint,
    Endpointer,
    EndpointSettings,
    SileroVad,
    VadModelError,
    silero_model_path,
)
from glasses.speech.vad_stage import VadStage
from glasses.speech.wake import WakeDetection, WakeSettings, WakeWordSpotter, spot

__all__ = [
    "CommandPhrase",
    "CommandRecognizer",
    "CommandResult",
    "Dictation",
    "Endpoint",
    "EndpointSettings",
    "Endpointer",
    "Frame",
    "Rechunker",
    "SileroVad",
    "SphinxUnavailable",
    "TtsError",
    "VadModelError",
    "VadStage",
    "WakeDetection",
    "WakeSettings",
    "WakeWordSpotter",
    "build_jsgf",
    "mix_noise",
    "phrases_from_skills",
    "silero_model_path",
    "spot",
    "synthesize",
    "synthesize_16k",
    "to_16k",
    "transcribe",
]
