"""Flite and Festival, the data voices (`glasses.speech.system_tts`), and their wiring in
`glasses.speech.tts`: names, the one-line errors (an unknown voice, a missing Debian package),
and, where the packages are installed, the voices themselves (deterministic; the rate moves the
duration). CI installs neither package, so those tests skip there. Then the wake data's
part-by-part synthesis for voices without word timings (`wake_data._speak_parts`), with a fake
synthesiser: the end of "glasses" is exact, and no held-out voice is a training voice."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from glasses.bench import speech_corpus
from glasses.speech import system_tts, tts
from glasses.speech.tts import TtsError, backend_of, synthesize
from glasses.training import wake_data


def _installed(voice: str) -> bool:
    try:
        system_tts.check_voice(voice)
    except TtsError:
        return False
    return True


needs_flite = pytest.mark.skipif(
    not _installed("flite:slt"), reason="flite is not installed (apt-get install flite); not on CI"
)
needs_festival = pytest.mark.skipif(
    not _installed("festival:ked"),
    reason="festival is not installed (apt-get install festival festvox-kdlpc16k); not on CI",
)


@pytest.fixture(autouse=True)
def _fresh_checks() -> Iterator[None]:
    """``tts.check_voice`` is cached per process: each test starts, and leaves, without it."""
    tts.check_voice.cache_clear()
    yield
    tts.check_voice.cache_clear()


@pytest.fixture
def no_programs(monkeypatch: pytest.MonkeyPatch) -> None:
    """No program is on the PATH (as on CI, where neither package is installed)."""
    monkeypatch.setattr(shutil, "which", lambda *_args, **_kwargs: None)


# -- names and errors (always run) --------------------------------------------------------------


@pytest.mark.parametrize(
    ("voice", "backend"),
    [
        ("flite:slt", "system"),
        ("flite:nope", "system"),
        ("festival:ked", "system"),
        ("piper:joe", "piper"),
        ("en-us", "espeak"),
        ("en-us+f3", "espeak"),
    ],
)
def test_the_backend_follows_the_voice_name(voice: str, backend: str) -> None:
    assert backend_of(voice) == backend
    assert system_tts.is_system_voice(voice) == (backend == "system")


def test_every_voice_names_its_program_and_package_and_users_cannot_pick_them() -> None:
    for name, voice in system_tts.VOICES.items():
        assert backend_of(name) == "system"
        assert voice.program == ("flite" if name.startswith("flite:") else "text2wave")
        assert voice.package.split()[0] == ("flite" if voice.program == "flite" else "festival")
        assert (voice.f0_hz is not None) == (voice.program == "flite")  # Festival: no pitch
    assert "system" not in tts.TTS_BACKENDS  # data voices, not the product's


@pytest.mark.parametrize(
    ("voice", "family"), [("flite:nope", "flite:"), ("festival:nope", "festival:")]
)
def test_an_unknown_voice_is_one_line_listing_the_known_ones(voice: str, family: str) -> None:
    known = [v for v in system_tts.VOICES if v.startswith(family)]
    for attempt in (
        lambda: system_tts.check_voice(voice),
        lambda: tts.check_voice(voice),
        lambda: synthesize("hey glasses", voice=voice, use_cache=False),
    ):
        with pytest.raises(TtsError) as caught:
            attempt()
        message = str(caught.value)
        assert "\n" not in message and repr(voice) in message, message
        assert all(v in message for v in known), message
        assert not any(v in message for v in system_tts.VOICES if v not in known), message


@pytest.mark.usefixtures("no_programs")
@pytest.mark.parametrize("voice", list(system_tts.VOICES))
def test_a_missing_program_is_one_line_naming_the_apt_get_install(
    voice: str, tmp_path: Path
) -> None:
    install = f"apt-get install {system_tts.VOICES[voice].package}"
    for attempt in (
        lambda: system_tts.check_voice(voice),
        lambda: tts.check_voice(voice),
        lambda: synthesize("hey glasses", voice=voice, cache_dir=tmp_path),
    ):
        with pytest.raises(TtsError) as caught:
            attempt()
        message = str(caught.value)
        assert "\n" not in message and message.endswith(install), message
    assert not list(tmp_path.iterdir())  # nothing cached


@pytest.mark.usefixtures("no_programs")
def test_the_bench_leaves_out_the_voices_not_installed() -> None:
    assert speech_corpus.installed_voices(speech_corpus.HELD_OUT_OTHER_VOICES) == ()
    assert speech_corpus.installed_voices(("en-us", "flite:slt")) == ("en-us",)


# -- the voices themselves (where the Debian packages are installed) ----------------------------


def _speak(text: str, voice: str, rate_wpm: int = 170, pitch: int = 50) -> np.ndarray:
    samples, _ = synthesize(text, voice=voice, rate_wpm=rate_wpm, pitch=pitch, use_cache=False)
    return samples


def _rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(x.astype(np.float64) ** 2)))


@needs_flite
def test_flite_is_deterministic_and_its_rate_and_pitch_move_the_voice() -> None:
    samples, rate = synthesize(
        "hey glasses, read this", voice="flite:slt", rate_wpm=170, use_cache=False
    )
    assert rate == 16_000 and samples.dtype == np.int16 and samples.ndim == 1
    assert 0.8 < len(samples) / rate < 3.0 and _rms(samples) > 500
    assert np.array_equal(samples, _speak("hey glasses, read this", "flite:slt"))
    slow, fast = _speak("read this", "flite:slt", 120), _speak("read this", "flite:slt", 240)
    assert len(slow) > 1.4 * len(fast)
    assert not np.array_equal(
        _speak("read this", "flite:awb", pitch=20), _speak("read this", "flite:awb", pitch=80)
    )


@needs_festival
def test_festival_is_deterministic_and_its_rate_moves_the_duration() -> None:
    samples, rate = synthesize(
        "hey glasses, read this", voice="festival:ked", rate_wpm=170, use_cache=False
    )
    assert rate == 16_000 and samples.dtype == np.int16 and samples.ndim == 1
    assert 0.8 < len(samples) / rate < 3.0 and _rms(samples) > 500
    assert np.array_equal(samples, _speak("hey glasses, read this", "festival:ked"))
    slow, fast = _speak("read this", "festival:ked", 120), _speak("read this", "festival:ked", 240)
    assert len(slow) > 1.4 * len(fast)


@needs_festival
def test_festivals_hts_voice_follows_the_rate() -> None:
    # It ignores Duration_Stretch; its engine's "-r" (hts_engine_params) is what moves it.
    slow, fast = (
        _speak("read this", "festival:slt_hts", 120),
        _speak("read this", "festival:slt_hts", 240),
    )
    assert len(slow) > 1.4 * len(fast)


@needs_festival
def test_festival_has_no_pitch_setting() -> None:
    with pytest.raises(ValueError, match="no pitch setting"):
        system_tts.synthesize("read this", "festival:ked", 170, 70)
    with pytest.raises(ValueError, match="no pitch setting"):
        synthesize("read this", voice="festival:ked", pitch=70, use_cache=False)


@needs_flite
def test_a_cached_system_voice_reads_back_the_same_samples(tmp_path: Path) -> None:
    first = synthesize("scan this", voice="flite:kal", cache_dir=tmp_path)
    assert len(list(tmp_path.glob("*.npz"))) == 1
    again = synthesize("scan this", voice="flite:kal", cache_dir=tmp_path)
    assert first[1] == again[1] and np.array_equal(first[0], again[0])


# -- the wake data: voices without word timings, spoken part by part ----------------------------

RATE = wake_data.RATE
LEAD = 1000  # the fake synthesiser's silence before and after its tone (samples)
WORD = 1600  # its tone per word at 170 wpm (samples)


class FakeSynth:
    """``tts.synthesize`` as a tone generator: per part, ``LEAD`` samples of silence, a square
    wave (never near zero) of ``WORD`` samples per word at 170 wpm, ``LEAD`` of silence."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, int, int]] = []

    def tone_samples(self, text: str, rate_wpm: int) -> int:
        return round(len(text.split()) * WORD * 170 / rate_wpm)

    def __call__(
        self, text: str, *, voice: str, rate_wpm: int, pitch: int, use_cache: bool = True
    ) -> tuple[np.ndarray, int]:
        assert not use_cache
        self.calls.append((text, voice, rate_wpm, pitch))
        t = np.arange(self.tone_samples(text, rate_wpm))
        tone = 6000 * np.sign(np.sin(2 * np.pi * 220 * t / RATE + 0.5))
        silence = np.zeros(LEAD)
        return np.concatenate([silence, tone, silence]).astype(np.int16), RATE


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeSynth:
    synth = FakeSynth()
    monkeypatch.setattr(tts, "synthesize", synth)
    return synth


def _loud(x: np.ndarray) -> np.ndarray:
    return np.flatnonzero(np.abs(x.astype(np.int32)) > 200)


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize(
    ("text", "phrase_part"),
    [("hey glasses|read this", 0), ("okay,|hey glasses|read this", 1), ("so|hey glasses", 1)],
)
def test_the_end_of_glasses_is_where_its_part_stops_sounding(
    fake: FakeSynth, text: str, phrase_part: int, seed: int
) -> None:
    parts = text.split(wake_data.JOIN)
    rng = np.random.default_rng(seed)
    spoken = wake_data._speak_parts(rng, parts, "flite:kal", 170, 40)
    assert [c[0] for c in fake.calls] == parts  # each part on its own
    audio = spoken.samples
    # Each part's tone, found in the joined audio: runs of loud samples.
    loud = _loud(audio)
    breaks = np.flatnonzero(np.diff(loud) > 1)
    starts = [int(loud[0]), *(int(loud[b + 1]) for b in breaks)]
    ends = [*(int(loud[b]) + 1 for b in breaks), int(loud[-1]) + 1]
    assert len(starts) == len(parts)
    assert [e - s for s, e in zip(starts, ends, strict=True)] == [
        fake.tone_samples(p, 170) for p in parts
    ]
    end = wake_data.phrase_end(spoken, text)
    if phrase_part == len(parts) - 1:  # "glasses" is the last word: the end of sound
        assert end == ends[-1] == wake_data.last_sound(audio)
        return
    # Otherwise the next part starts where this one stops sounding (its 10 ms tail kept),
    # and the gap that follows is silence, then the next part's 10 ms lead.
    assert end == spoken.word_starts[phrase_part]
    assert 0 < end - ends[phrase_part] <= 160
    gap = starts[phrase_part + 1] - 160 - end
    assert 0 <= gap <= 0.15 * RATE
    assert not np.any(audio[ends[phrase_part] : starts[phrase_part + 1]])


def test_each_part_is_timed_and_festival_is_asked_for_pitch_50(fake: FakeSynth) -> None:
    rng = np.random.default_rng(0)
    spoken = wake_data._speak_parts(
        rng, ["okay,", "hey glasses", "read this"], "festival:ked", 140, 30
    )
    assert {c[3] for c in fake.calls} == {50}  # Festival has no pitch setting
    assert {c[2] for c in fake.calls} == {140}
    assert spoken.word_chars == (len("okay, "), len("okay, hey glasses "))
    wake_data._speak_parts(rng, ["hey glasses"], "flite:slt", 170, 30)
    assert fake.calls[-1] == ("hey glasses", "flite:slt", 170, 30)  # Flite: the pitch asked


def test_no_held_out_voice_of_any_synthesiser_is_a_training_voice() -> None:
    training = {v for s in wake_data.SYNTHESISERS for v in wake_data.voices("train", s)}
    assert wake_data.voices("eval", "festival") == ("festival:ked", "festival:slt_hts")
    for synth in wake_data.SYNTHESISERS:
        held = set(wake_data.voices("eval", synth))
        assert not held & training, synth
        assert all(speech_corpus.is_held_out(v) for v in held), synth
    assert "festival:kal" not in training  # Flite's kal is the same speaker: in neither set
    assert set(speech_corpus.HELD_OUT_OTHER_VOICES) <= {
        v for s in wake_data.SYNTHESISERS for v in wake_data.voices("eval", s)
    }
    with pytest.raises(ValueError, match="synth must be one of"):
        wake_data.voices("train", "sapi")
