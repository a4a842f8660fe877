"""The runtime under load and faults: flow limiting, overflow reporting, supervision, timelines."""

from typing import ClassVar

import numpy as np

from glasses.runtime import (
    AudioChunk,
    Event,
    QueueOverflow,
    Runtime,
    Stage,
    StageContext,
    StageCrashed,
    Tap,
    VideoFrame,
    VirtualClock,
)

FRAME_NS = 33_333_333  # 30 fps


class SlowVision(Stage):
    """A model that takes 100 ms per frame: three times slower than the camera."""

    name: ClassVar[str] = "vision"
    accepts: ClassVar[tuple[type[Event], ...]] = (VideoFrame,)
    latest_wins: ClassVar[tuple[type[Event], ...]] = (VideoFrame,)

    def __init__(self) -> None:
        self.seen: list[int] = []

    async def process(self, event: Event, ctx: StageContext) -> None:
        assert isinstance(event, VideoFrame)
        self.seen.append(event.index)
        await ctx.clock.run_blocking(lambda: None, cost_ns=100_000_000)


def run_camera_into(stage: Stage, frames: int) -> tuple[Runtime, list[Event]]:
    clock = VirtualClock()
    runtime = Runtime(clock)
    runtime.add_stage(stage)
    events: list[Event] = []
    runtime.observe(events.append)
    image = np.zeros((8, 8, 3), np.uint8)

    async def main() -> None:
        await runtime.start()
        for i in range(frames):
            await clock.sleep_until(i * FRAME_NS)
            runtime.publish(VideoFrame(t_ns=clock.now_ns(), source="camera", image=image, index=i))
        await clock.sleep_until(frames * FRAME_NS + 200_000_000)
        await runtime.stop()

    clock.run(main())
    return runtime, events


def test_flow_limiter_drops_stale_frames_and_counts_them() -> None:
    stage = SlowVision()
    runtime, _ = run_camera_into(stage, frames=300)  # 10 s of 30 fps camera
    stats = runtime.inboxes["vision"].stats
    # 100 ms per frame over 10 s: about 100 frames processed, the rest replaced while busy.
    assert 95 <= len(stage.seen) <= 101
    assert stats.received == 300
    assert stats.dropped == 300 - len(stage.seen)
    # Latest wins: each processed frame is newer than the last, and never more than ~4 behind.
    assert stage.seen == sorted(stage.seen)
    gaps = [b - a for a, b in zip(stage.seen, stage.seen[1:], strict=False)]
    assert all(1 <= g <= 4 for g in gaps)
    assert sorted(gaps)[len(gaps) // 2] == 3  # 100 ms of work spans three 33 ms frames
    assert stats.high_water <= 1  # at most one frame waiting while one is in flight
    assert runtime.metrics()["stages"]["vision"]["dropped"] == stats.dropped


def test_flow_limiter_drops_nothing_when_the_stage_keeps_up() -> None:
    class Fast(SlowVision):
        async def process(self, event: Event, ctx: StageContext) -> None:
            assert isinstance(event, VideoFrame)
            self.seen.append(event.index)
            await ctx.clock.run_blocking(lambda: None, cost_ns=10_000_000)

    stage = Fast()
    runtime, _ = run_camera_into(stage, frames=90)
    assert stage.seen == list(range(90))
    assert runtime.inboxes["vision"].stats.dropped == 0


class SlowAudio(Stage):
    name: ClassVar[str] = "asr"
    accepts: ClassVar[tuple[type[Event], ...]] = (AudioChunk,)
    queue_size: ClassVar[int] = 8

    def __init__(self) -> None:
        self.chunks = 0

    async def process(self, event: Event, ctx: StageContext) -> None:
        self.chunks += 1
        await ctx.clock.run_blocking(lambda: None, cost_ns=64_000_000)  # 2× slower than real time


def test_audio_overflow_is_reported_as_event_and_metric_and_loses_nothing() -> None:
    clock = VirtualClock()
    runtime = Runtime(clock)
    stage = SlowAudio()
    runtime.add_stage(stage)
    events: list[Event] = []
    runtime.observe(events.append)
    samples = np.zeros(512, np.int16)

    async def main() -> None:
        await runtime.start()
        for i in range(100):  # 3.2 s of audio in 32 ms chunks
            await clock.sleep_until(i * 32_000_000)
            runtime.publish(AudioChunk(t_ns=clock.now_ns(), source="mic", samples=samples))
        await clock.sleep_until(100 * 32_000_000)
        await runtime.stop()

    clock.run(main())
    overflows = [e for e in events if isinstance(e, QueueOverflow)]
    stats = runtime.inboxes["asr"].stats
    assert overflows, "a full audio queue must be reported"
    assert len(overflows) == stats.overflowed
    assert overflows[-1].total == stats.overflowed
    assert all(e.queue == "asr" and e.size == 8 and e.depth > 8 for e in overflows)
    # This producer ignores backpressure: the queue runs past its size, and loses nothing.
    queued = len(runtime.inboxes["asr"])
    assert stage.chunks + queued == 100
    assert runtime.metrics()["stages"]["asr"]["overflowed"] == stats.overflowed


class Flaky(Stage):
    """Raises on every third tap, as a buggy skill would."""

    name: ClassVar[str] = "flaky"
    accepts: ClassVar[tuple[type[Event], ...]] = (Tap,)

    def __init__(self) -> None:
        self.handled: list[int] = []
        self.resets = 0

    async def process(self, event: Event, ctx: StageContext) -> None:
        assert isinstance(event, Tap)
        if event.count % 3 == 0:
            raise RuntimeError(f"bad tap {event.count}")
        self.handled.append(event.count)

    def reset(self) -> None:
        self.resets += 1


def test_crashing_stage_is_reported_restarted_and_the_run_completes() -> None:
    clock = VirtualClock()
    runtime = Runtime(clock)
    stage = Flaky()
    runtime.add_stage(stage)
    events: list[Event] = []
    runtime.observe(events.append)

    async def main() -> None:
        await runtime.start()
        for i in range(1, 11):
            await clock.sleep(1.0)
            runtime.publish(Tap(t_ns=clock.now_ns(), count=i))
        await clock.sleep(1.0)
        await runtime.stop()

    clock.run(main())
    crashes = [e for e in events if isinstance(e, StageCrashed)]
    assert [c.error for c in crashes] == [
        "RuntimeError: bad tap 3",
        "RuntimeError: bad tap 6",
        "RuntimeError: bad tap 9",
    ]
    assert [c.restart for c in crashes] == [1, 2, 3]
    assert stage.handled == [1, 2, 4, 5, 7, 8, 10]
    assert stage.resets == 3
    assert runtime.metrics()["stages"]["flaky"]["crashes"] == 3
    assert clock.now_ns() == 11_000_000_000  # the run went on to its end


def test_system_events_skip_the_queue() -> None:
    from glasses.runtime import Inbox, Shutdown

    inbox = Inbox("x", maxsize=4)
    for i in range(3):
        inbox.put(Tap(t_ns=i))
    inbox.put(Shutdown(t_ns=9))
    first = inbox.get_nowait()
    assert isinstance(first, Shutdown)
    assert [e.t_ns for e in (inbox.get_nowait(), inbox.get_nowait(), inbox.get_nowait())] == [
        0,
        1,
        2,
    ]


def test_turn_timeline_follows_events_of_the_turn() -> None:
    from glasses.runtime import Timelines

    timelines = Timelines()
    turn = timelines.new_turn(1_000_000_000, "VideoFrame")
    timelines.observe(Tap(t_ns=1_012_000_000, turn_id=turn))
    timelines.observe(Tap(t_ns=1_030_500_000, turn_id=turn))
    timelines.observe(Tap(t_ns=5, turn_id=None))  # not part of any turn
    assert timelines.relative_ms(turn) == [("VideoFrame", 0.0), ("Tap", 12.0), ("Tap", 30.5)]
