"""Live runs hear the same under load, and never drop audio.

``glasses run --mic file:X.wav`` used to decide differently when the machine was busy: a
microphone read that came late re-anchored the audio time line (a gap in the stamps the speech
stages took as a discontinuity), full inboxes discarded their oldest events, and the drain at
the end cut the last decode short. Now a full pipeline holds the file microphone back
(backpressure): the session lags, and what the recognisers decide is a function of the audio.

The sessions here run on the real clock (one slowed down on purpose by a stage that burns CPU
for every chunk) and on the virtual clock (the reference); the assertions compare decisions and
counts, never durations.
"""

from __future__ import annotations

import time
import wave
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import cv2
import numpy as np
import pytest

from glasses.app import LiveConfig, LiveSummary, run_live
from glasses.assistant.skills import builtin_skills
from glasses.devices import FileMicrophone
from glasses.devices.state import run_microphone
from glasses.runtime import (
    AudioChunk,
    CommandRejected,
    Event,
    Inbox,
    Intent,
    QueueOverflow,
    RealClock,
    Runtime,
    SpeechAudio,
    SpeechEnded,
    Stage,
    StageContext,
    Transcript,
    VirtualClock,
    WakeWord,
)
from glasses.runtime.testing import at_chunk_end, drive
from glasses.speech.caption_stage import CaptionStage
from glasses.speech.commands import phrases_from_skills
from glasses.speech.listen_stage import ListenSettings, ListenStage
from glasses.speech.tts import mix_noise, synthesize_16k
from glasses.speech.vad_stage import VadStage

RATE = 16_000
CHUNK = 512  # samples per microphone chunk (FileMicrophone's default)
NS_PER_S = 1_000_000_000


def _chunk(i: int) -> AudioChunk:
    return AudioChunk(t_ns=i * CHUNK * NS_PER_S // RATE, samples=np.full(CHUNK, i, np.int16))


# --------------------------------------------------------------------------------------------
# Lossless queues and backpressure (virtual clock)


def test_a_full_inbox_keeps_every_audio_chunk_and_reports_each_overflow_once() -> None:
    reported: list[int] = []
    inbox = Inbox("vad", maxsize=4, on_overflow=lambda box, event: reported.append(len(box)))
    for i in range(12):
        inbox.put(_chunk(i))
    assert len(inbox) == 12 and inbox.full
    assert reported == [5]  # once, when the FIFO first ran over
    taken = [inbox.get_nowait() for _ in range(10)]
    assert [int(e.samples[0]) for e in taken if isinstance(e, AudioChunk)] == list(range(10))
    for i in range(12, 20):  # below its size again, then over again: a second episode
        inbox.put(_chunk(i))
    assert reported == [5, 5] and inbox.stats.overflowed == 2
    rest: list[int] = []
    while (event := inbox.get_nowait()) is not None:
        assert isinstance(event, AudioChunk)
        rest.append(int(event.samples[0]))
    assert rest == list(range(10, 20))
    assert inbox.stats.dropped == 0 and inbox.stats.refused == 0


class Relay(Stage):
    """A VAD stand-in: every chunk becomes a ``SpeechAudio`` (a data event) at once."""

    name: ClassVar[str] = "relay"
    accepts: ClassVar[tuple[type[Event], ...]] = (AudioChunk,)
    queue_size: ClassVar[int] = 8

    async def process(self, event: Event, ctx: StageContext) -> None:
        assert isinstance(event, AudioChunk)
        ctx.emit(SpeechAudio(t_ns=event.t_ns, source=self.name, samples=event.samples))


class SlowListener(Stage):
    """Takes 100 ms of clock time per event: three times slower than the audio comes."""

    name: ClassVar[str] = "slow"
    accepts: ClassVar[tuple[type[Event], ...]] = (SpeechAudio,)
    queue_size: ClassVar[int] = 4

    def __init__(self, fail: bool = False) -> None:
        self.heard: list[int] = []
        self.fail = fail

    async def process(self, event: Event, ctx: StageContext) -> None:
        assert isinstance(event, SpeechAudio)
        if self.fail:
            raise RuntimeError("broken model")
        await ctx.clock.run_blocking(lambda: None, cost_ns=100_000_000)
        self.heard.append(int(event.samples[0]))


def _stream(runtime: Runtime, clock: VirtualClock, chunks: int) -> list[Event]:
    """Publish ``chunks`` chunks paced at 32 ms, waiting for room first; return all events."""
    events: list[Event] = []
    runtime.observe(events.append)

    async def main() -> None:
        await runtime.start()
        for i in range(chunks):
            await clock.sleep_until(i * CHUNK * NS_PER_S // RATE)
            await runtime.wait_room(AudioChunk, "mic")
            runtime.publish(_chunk(i))
        while any(len(inbox) and not inbox.closed for inbox in runtime.inboxes.values()):
            await clock.sleep(0.1)
        await clock.sleep(1.0)
        await runtime.stop()

    clock.run(main())
    return events


def test_backpressure_holds_the_source_and_the_stages_and_loses_nothing() -> None:
    clock = VirtualClock()
    runtime = Runtime(clock)
    slow = SlowListener()
    runtime.add_stage(Relay())
    runtime.add_stage(slow)
    events = _stream(runtime, clock, 50)
    assert slow.heard == list(range(50))  # every chunk, in order
    assert not [e for e in events if isinstance(e, QueueOverflow)]  # the bounds held
    assert runtime.inboxes["slow"].stats.high_water <= SlowListener.queue_size
    assert runtime.inboxes["relay"].stats.high_water <= Relay.queue_size
    held = runtime.metrics()["held_back_ms"]
    assert held["relay"] > 0 and held["mic"] > 0  # the relay waited, then the source did


def test_a_stage_that_gave_up_holds_nobody_back() -> None:
    clock = VirtualClock()
    runtime = Runtime(clock)
    runtime.add_stage(Relay())
    runtime.add_stage(SlowListener(fail=True))
    _stream(runtime, clock, 50)  # returns: nothing waits on the dead stage's inbox
    assert "slow" in runtime.supervisor.failed
    assert runtime.inboxes["relay"].stats.received == 50
    assert runtime.inboxes["slow"].stats.refused > 0  # turned away once it had given up


@pytest.fixture(scope="module")
def speech_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two wake-word commands in noise, 0.6 s apart: about 5 s of 16 kHz mono."""
    gap = np.zeros(int(0.6 * RATE), np.int16)
    parts = [synthesize_16k("hey glasses, read this"), gap, synthesize_16k("hey glasses, dismiss")]
    audio = mix_noise(np.concatenate(parts), 15.0, seed=3, pad_s=0.4)
    path = tmp_path_factory.mktemp("speech") / "commands.wav"
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(audio.tobytes())
    return path


def test_a_held_back_file_microphone_lags_and_keeps_its_sample_clock(speech_wav: Path) -> None:
    clock = VirtualClock()
    chunks: list[AudioChunk] = []
    calls = 0

    async def ready() -> None:  # a pipeline that is full every third chunk, for 50 ms
        nonlocal calls
        calls += 1
        if calls % 3 == 0:
            await clock.sleep(0.05)

    def publish(event: Event) -> None:
        assert isinstance(event, AudioChunk)
        chunks.append(event)

    clock.run(run_microphone(FileMicrophone(speech_wav), clock, publish, ready=ready))
    _assert_whole(chunks, speech_wav)
    audio_end = chunks[-1].t_ns + chunks[-1].duration_ns
    assert clock.now_ns() > audio_end  # it lagged behind the clock, and its stamps did not


def _assert_whole(chunks: Sequence[AudioChunk], wav: Path) -> None:
    """Every sample of ``wav``, once, in order, stamped on one gapless sample clock."""
    mic = FileMicrophone(wav)
    mic.open()
    expected = []
    while (block := mic.read()) is not None:
        expected.append(block)
    mic.close()
    assert np.array_equal(np.concatenate([c.samples for c in chunks]), np.concatenate(expected))
    t0 = chunks[0].t_ns
    done = 0
    for chunk in chunks:
        assert chunk.t_ns == t0 + done * NS_PER_S // RATE  # no gap, no re-anchoring
        done += len(chunk.samples)


# --------------------------------------------------------------------------------------------
# Whole live sessions: the virtual clock (reference), the real clock, the real clock slowed


def _burn(seconds: float) -> None:
    """Keep a core busy for ``seconds`` of wall-clock time (load, not a measurement)."""
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


class Straggler(Stage):
    """Slower than real time on purpose: for every 32 ms chunk, 30 ms of CPU in its blocking
    call (Python holding the GIL: every other thread slows too) and 10 ms on the event loop
    itself, as a CPU hog that takes the loop's core would. It takes audio, so a full inbox holds
    the file microphone back, and the whole session lags behind the clock."""

    name: ClassVar[str] = "straggler"
    accepts: ClassVar[tuple[type[Event], ...]] = (AudioChunk,)
    queue_size: ClassVar[int] = 4

    def __init__(self) -> None:
        self.chunks = 0

    async def process(self, event: Event, ctx: StageContext) -> None:
        self.chunks += 1
        _burn(0.010)  # deliberately blocking the loop: what a starved process looks like
        await ctx.clock.run_blocking(lambda: _burn(0.030))


class SlowDecider(Stage):
    """After each utterance, a decision that takes 30 s of clock time (Whisper on a loaded
    machine can take ten): a session that ends with its sources must still wait for it."""

    name: ClassVar[str] = "slow-decider"
    accepts: ClassVar[tuple[type[Event], ...]] = (SpeechEnded,)

    async def process(self, event: Event, ctx: StageContext) -> None:
        await ctx.clock.run_blocking(lambda: None, cost_ns=30 * NS_PER_S)
        ctx.emit(Transcript(t_ns=ctx.now_ns(), source=self.name, text="late decision"))


@dataclass
class Session:
    decisions: list[tuple[object, ...]]
    chunks: list[AudioChunk]
    events: list[Event]
    summary: LiveSummary


@pytest.fixture(scope="module")
def camera_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder of one image: one frame, then the camera source has ended."""
    folder = tmp_path_factory.mktemp("camera")
    cv2.imwrite(str(folder / "0.png"), np.zeros((120, 160, 3), np.uint8))
    return folder


def _session(
    wav: Path, camera: Path, clock: RealClock | VirtualClock, stages: Sequence[Stage] = ()
) -> Session:
    config = LiveConfig(
        camera=f"file:{camera}",
        mic=f"file:{wav}",
        speaker=None,
        listen=ListenSettings(open_speech="off"),  # the grammar decides; no Whisper to load
    )
    events: list[Event] = []

    async def main() -> LiveSummary:
        return await run_live(config, on_event=events.append, clock=clock, stages=stages)

    summary = clock.run(main())
    chunks = [e for e in events if isinstance(e, AudioChunk)]
    t0 = chunks[0].t_ns  # audio times from the first sample: a function of the audio alone
    # The VAD's utterances, then the listener's decisions, each in its own order: how the two
    # stages' events interleave is timing (a command committed at a pause may come before or
    # after the VAD ends its utterance), not a decision.
    utterances: list[tuple[object, ...]] = []
    decisions: list[tuple[object, ...]] = []
    for e in events:
        if isinstance(e, SpeechEnded):
            assert e.audio is not None
            utterances.append(("utterance", e.started_t_ns - t0, len(e.audio)))
        elif isinstance(e, WakeWord):
            decisions.append(("wake", e.phrase, e.heard_t_ns - t0))
        elif isinstance(e, Intent):
            decisions.append(("intent", e.name, e.phrase))
        elif isinstance(e, CommandRejected):
            decisions.append(("rejected", e.reason, e.heard))
    return Session(utterances + decisions, chunks, events, summary)


def _assert_no_audio_lost(session: Session, wav: Path) -> None:
    summary = session.summary
    assert summary.ended_by == "sources" and not summary.failed
    _assert_whole(session.chunks, wav)
    vad = summary.metrics["stages"]["vad"]
    assert vad["received"] == summary.audio_chunks == len(session.chunks)
    assert vad["processed"] == vad["received"]  # the VAD took every chunk
    assert summary.queue_overflows == 0  # and no queue ran over: the producers waited


@pytest.fixture(scope="module")
def reference(speech_wav: Path, camera_dir: Path) -> Session:
    return _session(speech_wav, camera_dir, VirtualClock())


def test_the_reference_run_hears_commands(reference: Session) -> None:
    kinds = [d[0] for d in reference.decisions]
    assert kinds.count("utterance") == 2 and "wake" in kinds and "intent" in kinds


def test_a_real_clock_run_decides_as_the_virtual_clock_does(
    speech_wav: Path, camera_dir: Path, reference: Session
) -> None:
    run = _session(speech_wav, camera_dir, RealClock())
    assert run.decisions == reference.decisions
    _assert_no_audio_lost(run, speech_wav)


def test_a_slowed_run_lags_but_decides_the_same_and_drops_no_audio(
    speech_wav: Path, camera_dir: Path, reference: Session
) -> None:
    straggler = Straggler()
    run = _session(speech_wav, camera_dir, RealClock(), stages=[straggler])
    assert run.decisions == reference.decisions
    _assert_no_audio_lost(run, speech_wav)
    assert straggler.chunks == len(run.chunks)
    # Slower than the audio by construction, so the microphone was held back: the timeline
    # shows the lag (time waited), instead of the audio losing chunks.
    assert run.summary.audio_held_back_s > 0
    assert run.summary.metrics["held_back_ms"]["microphone"] > 0


def test_the_session_waits_for_a_slow_last_decision(
    speech_wav: Path, camera_dir: Path, reference: Session
) -> None:
    run = _session(speech_wav, camera_dir, VirtualClock(), stages=[SlowDecider()])
    late = [e for e in run.events if isinstance(e, Transcript) and e.text == "late decision"]
    assert len(late) == 2  # one per utterance, the last one 30 s after the audio ended
    assert run.decisions == reference.decisions


# --------------------------------------------------------------------------------------------
# Captions: switched on by a command, they caption the next utterance whole, however late the
# listener decided (here a command decode of 2 s of clock time, against 60 ms)


def _captions(audio: np.ndarray, command_cost_ms: float) -> list[str]:
    settings = ListenSettings(command_cost_ms=command_cost_ms, open_speech="off")
    stages = [
        VadStage(stream_audio=True),
        ListenStage(phrases_from_skills(builtin_skills()), settings),
        CaptionStage(backend="pocketsphinx"),
    ]
    padded = np.concatenate([audio, np.zeros(RATE // 2, np.int16)])
    chunks = (
        AudioChunk(t_ns=i * NS_PER_S // RATE, samples=padded[i : i + CHUNK])
        for i in range(0, len(padded), CHUNK)
    )
    until_ns = len(padded) * NS_PER_S // RATE + 5 * NS_PER_S
    driven = drive(
        stages,
        chunks,
        until_ns,
        keep=lambda e: isinstance(e, Transcript) and e.final and e.source == "captions",
        at=at_chunk_end,
    )
    return [e.text for e in driven.of(Transcript)]


def test_captions_switched_on_late_still_caption_the_next_utterance_whole() -> None:
    gap = np.zeros(int(0.3 * RATE), np.int16)
    command = synthesize_16k("hey glasses, start captions")
    speech = synthesize_16k("the weather is nice today and tomorrow")
    audio = mix_noise(np.concatenate([command, gap, speech]), 15.0, seed=4, pad_s=0.4)
    prompt = _captions(audio, command_cost_ms=60.0)
    late = _captions(audio, command_cost_ms=2000.0)  # the next utterance is over by then
    assert len(prompt) == 1 and len(prompt[0].split()) >= 4
    assert late == prompt
