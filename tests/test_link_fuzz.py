"""Property tests of the link's receive path (a short run; ``make fuzz-link`` runs 1 M inputs)."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from glasses.devices.link import messages as m
from glasses.devices.link.framing import MAX_PAYLOAD, Frame, FrameParser
from glasses.devices.link.fuzz import check, mutate, seed_corpus
from glasses.devices.link.session import LinkSession
from glasses.devices.link.testing import StepClock

frames_st = st.builds(
    Frame,
    type=st.integers(0, 255),
    payload=st.binary(max_size=MAX_PAYLOAD),
    seq=st.integers(0, 65535),
    ack=st.integers(0, 65535),
    more=st.booleans(),
    reliable=st.booleans(),
)
CORPUS = seed_corpus()


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=3000), cuts=st.lists(st.integers(1, 700), max_size=20))
def test_parser_never_raises_on_bytes(data: bytes, cuts: list[int]) -> None:
    parser = FrameParser()
    i = 0
    for n in [*cuts, len(data)]:
        for frame in parser.feed(data[i : i + n]):
            assert len(frame.payload) <= MAX_PAYLOAD
        i += n
        assert parser.pending <= 512


@settings(max_examples=200, deadline=None)
@given(frames=st.lists(frames_st, max_size=12), cuts=st.lists(st.integers(1, 300), max_size=12))
def test_valid_frames_come_back_whatever_the_split(frames: list[Frame], cuts: list[int]) -> None:
    stream = b"".join(f.encode() for f in frames)
    parser = FrameParser()
    out: list[Frame] = []
    i = 0
    for n in [*cuts, len(stream)]:
        out += parser.feed(stream[i : i + n])
        i += n
    assert out == frames
    assert parser.stats.rejected == 0


@settings(max_examples=300, deadline=None)
@given(frames=st.lists(frames_st, max_size=12), garbage=st.binary(max_size=64))
def test_session_never_raises_on_well_framed_nonsense(frames: list[Frame], garbage: bytes) -> None:
    clock = StepClock()
    session = LinkSession(clock.now_ns)
    for f in frames:
        for msg in session.receive(f.encode() + garbage):
            assert isinstance(msg, m.Message)
        clock.advance(10_000_000)
        session.poll()


@settings(max_examples=300, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_mutated_streams_never_raise(seed: int) -> None:
    rng = random.Random(seed)
    check(mutate(rng, CORPUS), rng)
