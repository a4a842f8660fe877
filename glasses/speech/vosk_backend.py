"""Vosk (Kaldi) recognisers: streaming dictation and grammar-restricted commands.

``VoskDictation`` has the same interface as :class:`glasses.speech.dictation.Dictation`:
``process(samples)`` takes 16 kHz mono int16 chunks and returns the partial transcript of the
utterance so far, ``finish()`` ends it and returns the final one. ``VoskCommands`` does the
same with a JSON grammar (``KaldiRecognizer(model, rate, json.dumps(phrases))``): only the
listed phrases' words can be recognised, which is far more robust than free dictation.

The model is a Vosk model directory: ``--model DIR``, or the ``vosk-small-en`` entry that
``glasses models pull vosk-small-en`` downloads and unpacks into the user cache directory.
``vosk`` is an optional extra (``pip install 'glasses[vosk]'``); it is imported only when a
recogniser is made, with Kaldi's log lines silenced. Every problem with the package or the
model directory (missing, unloadable) is a ``VoskUnavailable`` with a one-line message that
names the fix; a grammar word the model does not know is a ``ValueError``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from models.registry import Registry

VOSK_MODEL_ID = "vosk-small-en"
SAMPLE_RATE = 16_000
INSTALL_FIX = "pip install 'glasses[vosk]'"
PULL_FIX = f"glasses models pull {VOSK_MODEL_ID}"
# Kaldi's log verbosity while vosk runs: -1 drops its LOG lines (a dozen at every model load);
# warnings and errors still reach stderr. While a model loads it is -3, which drops errors too:
# a model that cannot be loaded is reported as one line of ours instead.
_LOG_LEVEL = -1
_LOAD_LOG_LEVEL = -3
# The out-of-grammar word of Vosk's English models; a grammar includes it when the model has it
# so that other speech is heard as "[unk]" instead of being forced onto a command.
UNKNOWN_WORD = "[unk]"


class VoskUnavailable(RuntimeError):
    """vosk or its model cannot be used; the message is one line with the fix."""


def import_vosk() -> Any:
    """The ``vosk`` module with Kaldi's logging turned down; ``VoskUnavailable`` if missing."""
    try:
        import vosk
    except ImportError:
        raise VoskUnavailable(
            f"the Vosk recogniser needs the vosk package, which is not installed; fix: "
            f"{INSTALL_FIX}"
        ) from None
    except OSError as exc:  # libvosk.so present but not loadable on this system
        raise VoskUnavailable(
            f"the vosk package cannot load its library ({str(exc).splitlines()[0][:120]}); "
            f"fix: pip install --force-reinstall vosk"
        ) from None
    vosk.SetLogLevel(_LOG_LEVEL)
    return vosk


def default_model_dir(registry: Registry | None = None) -> Path:
    """The pulled ``vosk-small-en`` directory, its archive's sha256 checked;
    ``VoskUnavailable`` naming the directory and ``glasses models pull`` if it is not there."""
    from models.registry import ModelError, default_registry

    registry = registry or default_registry()
    try:
        return registry.path(VOSK_MODEL_ID)
    except ModelError as exc:
        raise VoskUnavailable(str(exc)) from None


def check_model_dir(path: Path) -> Path:
    """``path`` if it looks like a Vosk model directory (``am/final.mdl``, or ``final.mdl`` in
    older models); ``VoskUnavailable`` naming it otherwise."""
    if not path.is_dir():
        what = "is not a directory" if path.exists() else "does not exist"
        raise VoskUnavailable(
            f"Vosk model directory {path} {what}; fix: pass --model DIR (an unpacked Vosk model) "
            f"or run {PULL_FIX}"
        )
    if not ((path / "am" / "final.mdl").is_file() or (path / "final.mdl").is_file()):
        raise VoskUnavailable(
            f"{path} is not a Vosk model directory (no am/final.mdl); fix: pass --model DIR "
            f"(an unpacked Vosk model) or run {PULL_FIX}"
        )
    return path


def load_model(model_dir: Path | None = None, *, vosk_module: Any = None) -> Any:
    """A ``vosk.Model`` from ``model_dir`` (default: the pulled ``vosk-small-en``).

    ``vosk_module``: stands in for the ``vosk`` package (tests). Loading takes seconds and
    hundreds of MB for big models: share one model between recognisers with ``model=``.
    """
    vosk = vosk_module or import_vosk()
    path = check_model_dir(model_dir if model_dir is not None else default_model_dir())
    vosk.SetLogLevel(_LOAD_LOG_LEVEL)
    try:
        return vosk.Model(str(path))
    except Exception as exc:  # vosk raises a bare Exception("Failed to create a model")
        raise VoskUnavailable(
            f"vosk could not load the model in {path} ({exc}); it is incomplete or not a Vosk "
            f"model; fix: pass --model DIR (an unpacked Vosk model) or run {PULL_FIX}"
        ) from None
    finally:
        vosk.SetLogLevel(_LOG_LEVEL)


class VoskDictation:
    """Streaming large-vocabulary recogniser (Vosk/Kaldi) over a model directory.

    ``model_dir``: an unpacked Vosk model (default: the pulled ``vosk-small-en``); or pass an
    already loaded ``model`` to share it. ``grammar``: a JSON list of phrases restricting what
    can be heard (see ``VoskCommands``); None for free dictation.
    """

    def __init__(
        self,
        model_dir: Path | None = None,
        *,
        model: Any = None,
        sample_rate: int = SAMPLE_RATE,
        grammar: str | None = None,
        vosk_module: Any = None,
    ) -> None:
        vosk = vosk_module or import_vosk()
        self.model = model if model is not None else load_model(model_dir, vosk_module=vosk)
        args = (self.model, float(sample_rate)) + ((grammar,) if grammar is not None else ())
        try:
            self._rec: Any = vosk.KaldiRecognizer(*args)
        except Exception as exc:  # a bare Exception("Failed to create a recognizer")
            raise VoskUnavailable(f"vosk could not create a recogniser ({exc})") from None
        self._done: list[str] = []  # segments Vosk already closed at a pause

    def process(self, samples: np.ndarray) -> str:
        """Feed one chunk; returns the partial transcript (may change with more audio)."""
        data = np.ascontiguousarray(samples, dtype="<i2").tobytes()
        if self._rec.AcceptWaveform(data):
            # Vosk closed a segment at a pause: keep it, the utterance goes on.
            self._append(json.loads(self._rec.Result()).get("text", ""))
            return self._joined("")
        return self._joined(json.loads(self._rec.PartialResult()).get("partial", ""))

    def finish(self) -> str:
        """End the utterance: the final transcript ("" when nothing was recognised)."""
        self._append(json.loads(self._rec.FinalResult()).get("text", ""))
        text = self._joined("")
        self._done = []
        self._rec.Reset()
        return text

    def _append(self, text: str) -> None:
        if text.strip():
            self._done.append(text.strip())

    def _joined(self, tail: str) -> str:
        return " ".join([*self._done, tail.strip()] if tail.strip() else self._done)


class VoskCommands(VoskDictation):
    """A recogniser that hears only the words of ``phrases`` (a Vosk JSON grammar).

    Every word must be in the model's vocabulary (else ``ValueError`` lists the unknown ones:
    Vosk would drop them with a warning). The model's ``[unk]`` word is added when it has one,
    so speech outside the grammar comes out as ``[unk]``. Vosk may string the grammar's words
    together in other orders ("photo take a"): ``match`` accepts only a whole phrase.
    """

    def __init__(
        self,
        phrases: Sequence[str],
        model_dir: Path | None = None,
        *,
        model: Any = None,
        sample_rate: int = SAMPLE_RATE,
        vosk_module: Any = None,
    ) -> None:
        vosk = vosk_module or import_vosk()
        model = model if model is not None else load_model(model_dir, vosk_module=vosk)
        cleaned = [" ".join(p.lower().split()) for p in phrases if p.strip()]
        if not cleaned:
            raise ValueError("VoskCommands needs at least one phrase")
        unknown = sorted({w for p in cleaned for w in p.split() if not _knows(model, w)})
        if unknown:
            raise ValueError(
                f"the Vosk model does not know the word(s) {', '.join(unknown)}; fix: use other "
                "words in the phrases, or a model with a larger vocabulary"
            )
        self.phrases = tuple(cleaned)
        grammar = [*cleaned, UNKNOWN_WORD] if _knows(model, UNKNOWN_WORD) else cleaned
        super().__init__(
            model=model,
            sample_rate=sample_rate,
            grammar=json.dumps(grammar, ensure_ascii=False),
            vosk_module=vosk,
        )

    def match(self, text: str) -> str | None:
        """The phrase ``text`` (a transcript) is exactly, or None (``[unk]``, partial, mixed)."""
        text = " ".join(text.split())
        return text if text in self.phrases else None


def _knows(model: Any, word: str) -> bool:
    find = getattr(model, "vosk_model_find_word", None)
    return find is None or int(find(word)) >= 0
