"""Speech out: the speak stage, the simulated speaker's echo path, and the 48 kHz microphone."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import numpy as np
import pytest

from glasses.devices.sim import SimEchoPath, SimMicrophone, SimSpeaker
from glasses.devices.state import run_microphone
from glasses.runtime.clock import VirtualClock
from glasses.runtime.events import (
    AudioChunk,
    Event,
    Interrupt,
    Say,
    Speaking,
    SpeakingStopped,
)
from glasses.runtime.testing import drive
from glasses.speech.own_voice import OwnVoice
from glasses.speech.speak_stage import SpeakStage

MS = 1_000_000


def run_speak(script: list[tuple[float, Event]], until_s: float) -> tuple[list[Event], SimSpeaker]:
    """The speak stage on the stage harness: each event of ``script`` published at its time
    (s), until ``until_s``."""
    clock = VirtualClock()
    speaker = SimSpeaker(clock)
    events = [replace(event, t_ns=round(at_s * 1e9)) for at_s, event in script]
    driven = drive([SpeakStage(speaker)], events, round(until_s * 1e9), clock=clock)
    return driven.events, speaker


def test_say_is_synthesised_played_and_announced() -> None:
    seen, speaker = run_speak([(0.1, Say(t_ns=0, source="t", text="Platform four"))], 3.0)
    ((t_ns, samples, rate),) = speaker.played
    assert rate == 22_050
    assert 0.5 < len(samples) / rate < 2.0
    rms = float(np.sqrt(np.mean(samples.astype(np.float64) ** 2)))
    assert rms > 500  # audible speech, not silence
    (speaking,) = [e for e in seen if isinstance(e, Speaking)]
    (stopped,) = [e for e in seen if isinstance(e, SpeakingStopped)]
    assert speaking.t_ns == t_ns
    assert speaking.audio is not None
    assert speaking.audio.dtype == np.int16
    assert len(speaking.audio) == pytest.approx(len(samples) * 16_000 / rate, abs=2)
    assert speaking.duration_ns == len(samples) * 1_000_000_000 // rate
    assert stopped.cut is False
    assert stopped.t_ns == speaking.t_ns + speaking.duration_ns  # played out, on the clock


def test_interrupt_cuts_the_speaker_at_once() -> None:
    say = Say(t_ns=0, source="t", text="Trains to the airport leave every ten minutes")
    seen, speaker = run_speak([(0.1, say), (0.8, Interrupt(t_ns=0, source="t", reason="tap"))], 5)
    (stopped,) = [e for e in seen if isinstance(e, SpeakingStopped)]
    assert stopped.cut is True
    assert stopped.reason == "tap"
    assert speaker.stopped == [stopped.t_ns]
    assert stopped.t_ns < 0.9e9


def test_new_say_replaces_the_one_playing() -> None:
    first = Say(t_ns=0, source="t", text="Trains to the airport leave every ten minutes")
    second = Say(t_ns=0, source="t", text="Dismissed")
    seen, speaker = run_speak([(0.1, first), (0.5, second)], 4)
    stops = [e for e in seen if isinstance(e, SpeakingStopped)]
    assert [(s.cut, s.reason) for s in stops] == [(True, "replaced"), (False, "")]
    assert len(speaker.played) == 2


def test_empty_say_is_not_spoken() -> None:
    seen, speaker = run_speak([(0.1, Say(t_ns=0, source="t", text="  "))], 1)
    assert not speaker.played
    assert not [e for e in seen if isinstance(e, Speaking)]


def test_echo_path_delays_attenuates_and_stops() -> None:
    path = SimEchoPath(16_000, delay_ms=80, attenuation_db=10)
    rng = np.random.default_rng(1)
    clip = np.clip(rng.normal(0, 3000, 16_000), -32768, 32767).astype(np.int16)
    path.play(clip, 16_000)
    echo = path.render(20_000)
    lag = int(np.argmax(np.correlate(echo[:4000], clip[:2000].astype(np.float64), "valid")))
    assert lag == 1280  # 80 ms at 16 kHz
    gain_db = 20 * np.log10(np.std(echo[1280:17_280]) / np.std(clip.astype(np.float64)))
    # 10 dB, and the 3-tap low-pass keeps 0.375 of white noise's power (-4.3 dB).
    assert gain_db == pytest.approx(-10 + 10 * np.log10(0.375), abs=0.3)
    assert not echo[17_300:].any()
    path.play(clip, 16_000)
    path.render(3000)
    path.stop()  # barge-in: only the 80 ms in flight still arrives
    assert len(path.render(5000).nonzero()[0]) <= 1280


def test_echo_starts_a_fixed_delay_after_play_wherever_it_falls_in_a_chunk() -> None:
    # The microphone renders a 512-sample chunk every 32 ms; a clip played 10 ms into a chunk
    # must echo 80 ms after that, not 80 ms after the chunk's start.
    clock = VirtualClock()
    path = SimEchoPath(16_000, delay_ms=80, attenuation_db=0, clock=clock)
    clip = np.full(1600, 10_000, dtype=np.int16)
    onsets = []
    for offset_ms in (10, 25):

        async def session(offset_ms: int = offset_ms) -> np.ndarray:
            path.render(512)  # the chunk being captured starts now
            await clock.sleep(offset_ms / 1000)
            path.play(clip, 16_000)
            await clock.sleep(0.032 - offset_ms / 1000)
            return np.concatenate([path.render(512) for _ in range(8)])

        echo = clock.run(session())
        onsets.append(int(np.argmax(echo > 1000)))
        path.stop()
        path.render(16_000)  # drain
    # From the chunk's start: 80 ms (1280 samples) + the offset into the chunk.
    assert onsets == pytest.approx([1280 + 160, 1280 + 400], abs=1)


def test_speaker_feeds_its_echo_to_the_microphone() -> None:
    clock = VirtualClock()
    path = SimEchoPath(16_000, delay_ms=0, attenuation_db=6)
    speaker = SimSpeaker(clock, echo=path)
    mic = SimMicrophone(echo=path, noise_std=1)
    mic.open()
    speaker.play(np.full(1024, 8000, np.int16), 16_000)
    heard = np.concatenate([mic.read() for _ in range(2)])  # type: ignore[misc]
    assert np.median(heard[10:1000]) == pytest.approx(8000 * 10 ** (-6 / 20), rel=0.02)


def test_48khz_stereo_microphone_delivers_16khz_mono_chunks() -> None:
    mic = SimMicrophone(native_rate=48_000, channels=2, seed=1)
    mic.open()
    t = np.arange(16_000) / 16_000
    tone = (8000 * np.sin(2 * np.pi * 440 * t)).astype(np.int16)
    mic.feed(tone)  # at 16 kHz: the microphone plays it at its own rate
    chunks = [mic.read() for _ in range(40)]
    assert all(c is not None and c.shape == (512,) and c.dtype == np.int16 for c in chunks)
    out = np.concatenate(chunks)  # type: ignore[arg-type]
    # The tone comes through at its level and frequency (filter delay aside).
    body = out[1000:15_000].astype(np.float64)
    assert np.std(body) == pytest.approx(8000 / np.sqrt(2), rel=0.05)
    spectrum = np.abs(np.fft.rfft(body))
    assert np.argmax(spectrum) * 16_000 / len(body) == pytest.approx(440, abs=3)
    assert out[17_000:].any()  # then the noise floor, never digital silence


@pytest.mark.parametrize("play_ms", [300, 317, 341, 366])
def test_echo_through_a_48khz_microphone_keeps_its_place_on_the_time_line(play_ms: int) -> None:
    # The 48 kHz microphone captures ahead of the present by what the resampler holds back
    # (0..37 ms, depending on where its blocks fall); the echo must still start 80 ms after
    # play on the chunks' time line, wherever play falls.
    clock = VirtualClock()
    path = SimEchoPath(48_000, delay_ms=80, attenuation_db=0, clock=clock)
    speaker = SimSpeaker(clock, echo=path)
    mic = SimMicrophone(native_rate=48_000, channels=2, noise_std=1, echo=path)
    chunks: list[Event] = []

    async def main() -> None:
        loop = asyncio.get_running_loop()
        task = loop.create_task(run_microphone(mic, clock, chunks.append))
        await clock.sleep(play_ms / 1000)
        speaker.play(np.full(4800, 10_000, np.int16), 16_000)
        await clock.sleep(0.4)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    clock.run(main())
    audio = [c for c in chunks if isinstance(c, AudioChunk)]
    heard = np.concatenate([c.samples for c in audio])
    onset_ms = audio[0].t_ns / MS + np.argmax(heard > 5000) / 16
    assert onset_ms == pytest.approx(play_ms + 80, abs=1)


def test_microphone_rejects_a_mismatched_echo_path() -> None:
    with pytest.raises(ValueError, match="48000 Hz"):
        SimMicrophone(native_rate=48_000, echo=SimEchoPath(16_000))


def test_own_voice_intervals_with_echo_tail() -> None:
    voice = OwnVoice(tail_s=0.4)
    assert not voice.speaking(0)
    voice.update(Speaking(t_ns=1000 * MS, source="speak", text="hi", duration_ns=800 * MS))
    assert voice.speaking(1200 * MS)
    assert voice.during(900 * MS, 1100 * MS)
    voice.update(SpeakingStopped(t_ns=1500 * MS, source="speak", cut=True))
    assert not voice.speaking(1600 * MS)  # cut before its 1.8 s end
    assert voice.during(1800 * MS, 2500 * MS)  # the room still rings
    assert not voice.during(1950 * MS, 2500 * MS)
    assert not voice.during(0, 999 * MS)
    assert not voice.update(Say(t_ns=0, source="x", text="not playback"))


def test_own_voice_ends_with_the_clip_even_without_a_stop() -> None:
    voice = OwnVoice(tail_s=0.4)
    voice.update(Speaking(t_ns=1000 * MS, source="speak", text="hi", duration_ns=500 * MS))
    assert voice.speaking(1400 * MS)
    assert not voice.speaking(1500 * MS)  # played out; no SpeakingStopped came (a crash)
    assert not voice.during(2000 * MS, 3000 * MS)
