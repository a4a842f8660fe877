"""Speech: the audio front end and voice activity detection.

Everything here takes what the runtime hears, 16 kHz mono int16 (``glasses.devices.resample``
converts any microphone to that). ``Rechunker`` cuts audio into the exact frames a model needs,
``SileroVad`` scores each 32 ms frame, ``Endpointer`` decides where speech starts and stops, and
``VadStage`` runs all three in the runtime, emitting ``SpeechStarted`` / ``SpeechEnded``.
"""

from glasses.speech.rechunk import Frame, Rechunker
from glasses.speech.vad import (
    Endpoint,
    Endpointer,
    EndpointSettings,
    SileroVad,
    VadModelError,
    silero_model_path,
)
from glasses.speech.vad_stage import VadStage

__all__ = [
    "Endpoint",
    "EndpointSettings",
    "Endpointer",
    "Frame",
    "Rechunker",
    "SileroVad",
    "VadModelError",
    "VadStage",
    "silero_model_path",
]
