"""Voice activity: Silero VAD scores each 32 ms frame, the endpointer turns scores into turns.

The model is Silero VAD v6 (fp32 ONNX, ``silero_vad/data/silero_vad.onnx``), taken from the
``silero-vad`` wheel, which setup installs with ``--no-deps``: its declared dependency on torch
only serves its Python API, which we never import (``import silero_vad`` imports torch). The
file is found with ``importlib.util.find_spec``, which locates the package without running its
``__init__``. We run it with our own onnxruntime session: one thread, no spinning, so the VAD
costs about 0.1–0.2 ms of one core per 32 ms frame and leaves the rest of the device alone.

Model contract (v5/v6, 16 kHz): ``input`` float32 (1, 576) in [-1, 1] — 64 samples of context
then 512 new ones (see ``glasses.speech.rechunk``); ``state`` float32 (2, 1, 128), carried from
call to call; ``sr`` int64 scalar 16000. Outputs: the speech probability (1, 1) and the new state.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import onnxruntime as ort

from glasses.devices.resample import TARGET_RATE
from glasses.speech.rechunk import SILERO_CONTEXT_SAMPLES, SILERO_FRAME_SAMPLES

SILERO_VERSION = "6.2.3"
"""The ``silero-vad`` wheel version setup installs (see the Makefile)."""

_MODEL_FILE = ("data", "silero_vad.onnx")  # fp32, opset 16; not the _half (fp16) variant
_INSTALL_HINT = (
    f"install it with: .venv/bin/python -m pip install --no-deps 'silero-vad=={SILERO_VERSION}'"
    " (or run `make setup`)"
)
_INPUTS = {"input", "state", "sr"}
_STATE_SHAPE = (2, 1, 128)


class VadModelError(RuntimeError):
    """The Silero VAD model file is missing or unreadable; the message says how to fix it."""


def silero_model_path() -> Path:
    """The fp32 Silero VAD ONNX file inside the installed ``silero-vad`` wheel.

    Does not import ``silero_vad`` (that would import torch): ``find_spec`` of a top-level
    package only locates it. Raises ``VadModelError`` if the wheel or the file is missing.
    """
    spec = importlib.util.find_spec("silero_vad")
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    for location in locations:
        path = Path(location).joinpath(*_MODEL_FILE)
        if path.is_file():
            return path
    where = f" (looked in {', '.join(locations)})" if locations else ""
    raise VadModelError(f"Silero VAD model silero_vad.onnx not found{where}; {_INSTALL_HINT}")


class SileroVad:
    """Speech probability (0..1) of each 32 ms frame of 16 kHz audio, with state between calls.

    ``model_path``: the ONNX file (default: ``silero_model_path()``). Not thread-safe: one
    instance per audio stream. ``reset()`` starts a new stream.
    """

    sample_rate: int = TARGET_RATE
    frame_samples: int = SILERO_FRAME_SAMPLES
    context_samples: int = SILERO_CONTEXT_SAMPLES

    def __init__(self, model_path: str | Path | None = None) -> None:
        path = Path(model_path) if model_path is not None else silero_model_path()
        if not path.is_file():
            raise VadModelError(f"Silero VAD model {path} not found; {_INSTALL_HINT}")
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 1
        opts.inter_op_num_threads = 1
        opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        # A spinning worker burns a core between 32 ms frames; a wearable cannot afford that.
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        opts.log_severity_level = 3  # errors only
        try:
            self._session = ort.InferenceSession(
                str(path), sess_options=opts, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:  # onnxruntime raises bare Exception subclasses (InvalidProtobuf…)
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise VadModelError(
                f"Silero VAD model {path} is unreadable ({first}); reinstall it: "
                f".venv/bin/python -m pip install --force-reinstall --no-deps "
                f"'silero-vad=={SILERO_VERSION}'"
            ) from exc
        names = {i.name for i in self._session.get_inputs()}
        if names != _INPUTS:
            raise VadModelError(
                f"{path} is not a Silero VAD v5/v6 model (inputs {sorted(names)}, expected "
                f"{sorted(_INPUTS)}); {_INSTALL_HINT}"
            )
        self.model_path = path
        self._sr = np.array(self.sample_rate, dtype=np.int64)
        self._state = np.zeros(_STATE_SHAPE, dtype=np.float32)

    def reset(self) -> None:
        """Forget the recurrent state: the next frame starts a new stream."""
        self._state = np.zeros(_STATE_SHAPE, dtype=np.float32)

    def probability(self, window: np.ndarray) -> float:
        """Speech probability of one window: 576 samples (64 context + 512 new), int16 or float.

        int16 is scaled to [-1, 1); float is taken as already in [-1, 1].
        """
        x = np.asarray(window)
        expected = self.context_samples + self.frame_samples
        if x.shape != (expected,):
            raise ValueError(
                f"Silero VAD takes windows of {expected} samples (64 context + 512 new at "
                f"16 kHz), got shape {x.shape}; cut the audio with glasses.speech.Rechunker"
            )
        if x.dtype == np.int16:
            x = x.astype(np.float32) / np.float32(32768.0)
        else:
            x = x.astype(np.float32)
        out, state = self._session.run(
            None, {"input": x[None, :], "state": self._state, "sr": self._sr}
        )
        self._state = state
        return float(out[0, 0])


@dataclass(frozen=True, slots=True)
class EndpointSettings:
    """When speech starts and stops. Probabilities are 0..1; durations in milliseconds.

    A frame scoring >= ``on_threshold`` is speech; during speech, only a frame below
    ``off_threshold`` counts as silence (hysteresis, so a soft syllable does not end a turn).
    """

    on_threshold: float = 0.5
    """Probability at or above which a frame is speech."""
    off_threshold: float = 0.35
    """Probability below which a frame, during speech, is silence."""
    start_hangover_ms: float = 64.0
    """Speech needed (ms, summed over speech frames) before ``SpeechStarted``: ignores clicks."""
    stop_hangover_ms: float = 192.0
    """Silence needed (ms) before ``SpeechEnded``: long enough not to split a sentence at a
    stop closure or a comma.

    Six 32 ms frames. Silero's probability itself takes 1–3 frames to fall below
    ``off_threshold`` after speech stops, so ``SpeechEnded`` comes ≈ 230–290 ms after the last
    sound. It is not the latency floor of a command: the first silent frame is a ``"paused"``
    decision (``SpeechPaused``), on which the listener starts decoding while the hangover runs,
    and commits a complete, confident command after a shorter silence
    (``glasses.speech.listen_stage.ListenSettings.early_commit_ms``).
    """
    max_speech_ms: float = 30_000.0
    """An utterance is ended after this long (ms) even without silence: bounds kept audio."""

    def __post_init__(self) -> None:
        if not 0.0 <= self.off_threshold <= self.on_threshold <= 1.0:
            raise ValueError(
                "need 0 <= off_threshold <= on_threshold <= 1, got "
                f"{self.off_threshold}, {self.on_threshold}"
            )
        if self.start_hangover_ms < 0 or self.stop_hangover_ms < 0:
            raise ValueError(
                f"hangovers must be >= 0 ms, got {self.start_hangover_ms}, {self.stop_hangover_ms}"
            )
        if self.max_speech_ms <= 0:
            raise ValueError(f"max_speech_ms must be > 0, got {self.max_speech_ms}")


@dataclass(frozen=True, slots=True)
class Endpoint:
    """A decision: speech ``"started"``, ``"paused"`` (the first silent frame after speech:
    the stop hangover starts) or ``"ended"``.

    ``speech_start_ns`` is the start of the utterance's first speech frame; ``speech_end_ns``
    (``"paused"`` and ``"ended"``) the end of its last speech frame, before the stop hangover.
    A pause the speech resumes after is followed by another pause or end with a later
    ``speech_end_ns``; one it does not is followed by an end with the same.
    """

    kind: Literal["started", "paused", "ended"]
    speech_start_ns: int
    speech_end_ns: int | None = None


class Endpointer:
    """Feeds on (probability, frame start, frame end) and says when speech starts, pauses and
    ends. ``silence_ns``: the silence heard since the last speech frame (0 in speech, and out
    of it).

    Times are integer nanoseconds of the stream (the frames' ``t_ns`` / ``end_t_ns``). Pure
    logic, no clock: the same scores always give the same decisions.
    """

    def __init__(self, settings: EndpointSettings | None = None) -> None:
        self.settings = settings or EndpointSettings()
        self.reset()

    def reset(self) -> None:
        """Back to silence, forgetting any utterance in progress."""
        self.in_speech = False
        self._onset_ns: int | None = None  # start of the candidate run / current utterance
        self._speech_ns = 0  # speech accumulated in the candidate run
        self._silence_ns = 0  # silence since the last speech frame, during speech
        self._last_speech_end_ns = 0

    def update(self, probability: float, start_ns: int, end_ns: int) -> Endpoint | None:
        """Take one frame's score; return a decision if this frame makes one."""
        s = self.settings
        frame_ns = end_ns - start_ns
        if not self.in_speech:
            if probability >= s.on_threshold:
                if self._onset_ns is None:
                    self._onset_ns = start_ns
                self._speech_ns += frame_ns
                if self._speech_ns >= s.start_hangover_ms * 1e6:
                    self.in_speech = True
                    self._silence_ns = 0
                    self._last_speech_end_ns = end_ns
                    return Endpoint("started", self._onset_ns)
            elif probability < s.off_threshold:
                self._onset_ns = None
                self._speech_ns = 0
            return None
        assert self._onset_ns is not None  # internal invariant: set before in_speech
        onset = self._onset_ns
        if probability < s.off_threshold:
            paused = self._silence_ns == 0
            self._silence_ns += frame_ns
            if self._silence_ns >= s.stop_hangover_ms * 1e6:
                return self._end(onset)
            if paused:
                return Endpoint("paused", onset, self._last_speech_end_ns)
        else:
            self._silence_ns = 0
            self._last_speech_end_ns = end_ns
            if end_ns - onset >= s.max_speech_ms * 1e6:
                return self._end(onset)
        return None

    @property
    def silence_ns(self) -> int:
        return self._silence_ns if self.in_speech else 0

    def _end(self, onset: int) -> Endpoint:
        end = self._last_speech_end_ns
        self.reset()
        return Endpoint("ended", onset, end)
