"""Bounded memory and the duty cycle (issue 12, items 2 and 3): rolling stage statistics,
bounded timelines, scenes rendered as the timeline reaches them, a batch that frees each file's
state, and code reading that skips the frames it has already read."""

from __future__ import annotations

import gc
import random
from pathlib import Path

import numpy as np
import pytest

from glasses.devices.sim import SimSpeaker
from glasses.perception.code_stage import CodeStage
from glasses.runtime.clock import NS_PER_S, VirtualClock
from glasses.runtime.events import CodesDetected, DecodedCode, Event, Tap, VideoFrame
from glasses.runtime.metrics import (
    MAX_EXACT,
    RELATIVE_ERROR,
    Distribution,
    StageStats,
    Timelines,
    percentile,
)
from glasses.runtime.stage import Stage, StageContext
from glasses.runtime.testing import drive
from simulator.harness import prepare_scenes, run_files, run_scenario
from simulator.rig import SimRig
from simulator.scenario import Scenario, load_scenario, parse_scenario
from simulator.summary import timeline_text

ROOT = Path(__file__).resolve().parent.parent
MS = 1_000_000


# ------------------------------------------------------------------ rolling statistics


def test_a_distribution_is_exact_while_it_has_few_distinct_values() -> None:
    values = [random.Random(1).randrange(0, 500) * MS for _ in range(20_000)]
    dist = Distribution()
    for v in values:
        dist.add(v)
    assert not dist.folded
    for q in (0, 50, 95, 99, 100):
        assert dist.percentile(q) == percentile(values, q)


def test_a_distribution_past_its_exact_size_is_within_its_stated_error() -> None:
    rng = np.random.default_rng(2)
    values = [int(v) for v in rng.lognormal(mean=16, sigma=1.5, size=100_000)]  # ~9 ms median
    dist = Distribution()
    for v in values:
        dist.add(v)
    assert dist.folded and dist.count == len(values)
    for q in (1, 50, 90, 95, 99):
        exact = percentile(values, q)
        assert dist.percentile(q) == pytest.approx(exact, rel=RELATIVE_ERROR)
    assert dist.percentile(0) == min(values) and dist.percentile(100) == max(values)
    # Fixed memory: buckets, not values (1 % buckets span 1 ns .. 10^4 s in ~2,000).
    assert len(dist._counts) < 2_100


def test_stage_stats_hold_counters_not_lists() -> None:
    stats = StageStats()
    latencies = [(k % 3000) * 10_000 for k in range(50_000)]  # 3,000 distinct values
    for latency in latencies:
        stats.record(busy_ns=12 * MS, latency_ns=latency)
    summary = stats.summary()
    assert summary["processed"] == 50_000 and summary["busy_ms_p50"] == 12.0
    assert stats.latency.folded and len(stats.latency._counts) < MAX_EXACT
    exact = percentile(latencies, 50) / 1e6
    assert summary["latency_ms_p50"] == pytest.approx(exact, rel=RELATIVE_ERROR)


# ------------------------------------------------------------------ timelines


def test_timelines_keep_the_newest_turns() -> None:
    timelines = Timelines(max_turns=3)
    turns = [timelines.new_turn(k * MS, "Tap") for k in range(5)]
    assert list(timelines.turns()) == turns[2:]
    assert timelines.dropped_turns == 2
    assert timelines.start_ns(turns[0]) is None and timelines.start_ns(turns[4]) == 4 * MS
    # A late event of a forgotten turn does not bring it back.
    timelines.observe(Tap(t_ns=9 * MS, turn_id=turns[0]))
    assert turns[0] not in timelines.turns()


def test_a_streamed_turn_keeps_its_first_marks_then_first_last_and_counts() -> None:
    timelines = Timelines(max_marks=4)
    turn = timelines.new_turn(0, "SpeechEnd")
    for k in range(1, 201):  # a streamed answer: a hundred updates, each drawn
        timelines.observe(CodesDetected(t_ns=k * MS, turn_id=turn, codes=(), frame_index=0,
                                        frame_t_ns=0))  # fmt: skip
        timelines.observe(Tap(t_ns=k * MS, turn_id=turn))
    marks = timelines.relative_ms(turn)
    labels = [label for label, _ in marks]
    assert labels == ["SpeechEnd", "CodesDetected", "Tap", "CodesDetected", "Tap", "CodesDetected"]
    assert dict(marks) == {"SpeechEnd": 0.0, "CodesDetected": 200.0, "Tap": 200.0}  # the last
    assert timelines.counts(turn) == {"SpeechEnd": 1, "CodesDetected": 200, "Tap": 200}
    folded = timelines.folded(turn)
    assert folded == {"CodesDetected": 198 - 1, "Tap": 199 - 1}
    text = timeline_text(marks, folded)
    assert "CodesDetected +1 (×200, last +200)" in text and "Tap +1 (×200, last +200)" in text


# ------------------------------------------------------------------ scenes


def _scenario(text: str) -> Scenario:
    return parse_scenario(text, ROOT / "scenarios" / "generated.yaml")


def test_scenes_are_rendered_as_the_timeline_reaches_them() -> None:
    # 300 scenes at 640×480 would hold 276 MB rendered up front; two are held at a time.
    steps = "\n".join(
        f"  - {{at: {k * 0.1:.1f}s, show: {{qr: 'scene {k}', noise: 3}}}}" for k in range(300)
    )
    scenario = _scenario(f"name: many scenes\ntimeline:\n{steps}\nexpect:\n  - absent: Error\n")
    scenes = prepare_scenes(scenario)
    assert len(scenes) == 300 and scenes.rendered == 0
    first = scenes[0]
    for i in range(300):
        assert scenes[i].shape == (480, 640, 3)
    assert scenes.held_peak == 2 and scenes.rendered == 300
    assert np.array_equal(first, prepare_scenes(scenario)[0])  # the same frame, re-rendered


# ------------------------------------------------------------------ what a run records


def test_a_code_in_view_is_one_report_entry_with_its_repeats() -> None:
    result = run_scenario(load_scenario(ROOT / "scenarios" / "demo.yaml"))
    entries = [e for e in result.events if e["type"] == "CodesDetected"]
    # The QR code, then the barcode: one entry each, however many frames showed them.
    assert [[c["value"] for c in e["codes"]] for e in entries] == [
        ["https://github.com/glasses-sim"],
        ["4006381333931"],
    ]
    assert all(e["repeats"] > 30 and e["last_frame_index"] > e["frame_index"] for e in entries)


def test_the_sim_speaker_keeps_its_newest_clips() -> None:
    speaker = SimSpeaker(VirtualClock())
    for k in range(100):
        speaker.play(np.full(160, k, np.int16), 16_000)
    assert len(speaker.played) == SimSpeaker.PLAYED_KEPT
    assert speaker.played[-1][1][0] == 99


# ------------------------------------------------------------------ batch


def test_a_batch_frees_each_file_before_the_next(tmp_path: Path) -> None:
    files = [ROOT / "scenarios" / "scan_qr.yaml", ROOT / "scenarios" / "demo.yaml"]
    alive: list[int] = []

    def after_each(_: object) -> None:
        alive.append(sum(isinstance(o, SimRig) for o in gc.get_objects()))

    batch = run_files(files, on_result=after_each)
    assert batch.passed
    assert alive == [0, 0]


def test_models_are_loaded_once_and_shared() -> None:
    # The read skill's OCR reader and the frame summary's (another detector size) share their
    # onnxruntime sessions; the photo skill's face detector and the frame summary's their
    # cascades (each keeps ~35 MB of detection buffers).
    from glasses.perception.faces import FaceDetector
    from glasses.perception.ocr import OcrReader, OcrSettings

    read, summary = OcrReader(), OcrReader(OcrSettings(det_side_px=384))
    assert read._det is summary._det and read._rec is summary._rec
    photo, see = FaceDetector(), FaceDetector(min_size_px=40)
    assert photo._frontal is see._frontal and photo._profile is see._profile


# ------------------------------------------------------------------ the code stage's duty cycle


class CountingReader:
    """Stands in for ``CodeReader``: counts reads, finds one QR code in every frame."""

    def __init__(self) -> None:
        self.reads = 0

    def read(self, image: np.ndarray) -> list[DecodedCode]:
        self.reads += 1
        return [DecodedCode("QR", "https://example.org")]


def _frames(seconds: float, fps: float, view: list[int] | None) -> list[VideoFrame]:
    image = np.zeros((48, 64, 3), np.uint8)
    n = round(seconds * fps)
    views: list[int | None] = list(view) if view is not None else [None] * n
    return [
        VideoFrame(t_ns=round(k * NS_PER_S / fps), image=image, index=k, view=views[k])
        for k in range(n)
    ]


def test_frames_of_a_view_already_read_are_not_read_again() -> None:
    reader = CountingReader()
    stage = CodeStage(reader)  # type: ignore[arg-type]  # a counting stand-in
    views = [0] * 30 + [1] * 30 + [1] * 30  # a new scene at 1 s, then unchanged
    driven = drive([stage], _frames(3.0, 30, views), until_ns=3 * NS_PER_S)
    assert reader.reads == 2
    found = driven.of(CodesDetected)
    # Every frame still reports what is in view, as when each was read.
    assert [c.frame_index for c in found] == list(range(90))
    stats = driven.runtime.metrics()["stages"]["codes"]
    assert stats["processed"] == 90 and stats["skipped"] == 88
    # The new scene is read on its first frame, its cost charged on the clock.
    assert found[30].t_ns == found[30].frame_t_ns + 12 * MS
    assert found[31].t_ns == found[31].frame_t_ns


def test_frames_of_unknown_view_are_read_at_the_duty_cycle_rate() -> None:
    reader = CountingReader()
    stage = CodeStage(reader, rate_hz=10.0)  # type: ignore[arg-type]
    driven = drive([stage], _frames(3.0, 30, None), until_ns=3 * NS_PER_S)
    assert reader.reads == 30  # 10 Hz of a 30 fps camera
    assert len(driven.of(CodesDetected)) == 30
    every = CountingReader()
    drive([CodeStage(every, rate_hz=None)], _frames(1.0, 30, None), until_ns=NS_PER_S)  # type: ignore[arg-type]
    assert every.reads == 30
    halved = CountingReader()
    stage = CodeStage(halved)  # type: ignore[arg-type]
    stage.duty_cycle = 0.5  # as the power governor sets it on a low battery
    drive([stage], _frames(3.0, 30, None), until_ns=3 * NS_PER_S)
    assert halved.reads == 15


def test_skipped_events_are_counted_but_not_timed() -> None:
    class Half(Stage):
        name = "half"
        accepts = (Tap,)

        def skip(self, event: Event, ctx: StageContext) -> bool:
            return event.t_ns % 2 == 1

        async def process(self, event: Event, ctx: StageContext) -> None:
            await ctx.clock.sleep(0.005)

    taps = [Tap(t_ns=k * 10 * MS + k % 2) for k in range(10)]
    stats = drive([Half()], taps, until_ns=NS_PER_S).runtime.metrics()["stages"]["half"]
    assert stats["processed"] == 10 and stats["skipped"] == 5
    assert stats["busy_ms_p50"] == 5.0  # only the events processed


def test_rate_hz_must_be_positive() -> None:
    with pytest.raises(ValueError, match="rate_hz"):
        CodeStage(rate_hz=0)
