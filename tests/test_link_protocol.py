"""The link protocol (docs/protocol.md): frames, messages, fragments, acks, pairing."""

from __future__ import annotations

import asyncio
import itertools
import os

import pytest

from glasses.devices.link import messages as m
from glasses.devices.link.connection import LinkConnection
from glasses.devices.link.framing import (
    HEADER,
    MAX_MTU,
    MIN_MTU,
    OVERHEAD,
    Frame,
    FrameParser,
)
from glasses.devices.link.pairing import LinkRefused, Paired, pair_companion, pair_glasses
from glasses.devices.link.session import LinkSession, SessionSettings
from glasses.devices.link.testing import SessionPair, StepClock, sample_messages
from glasses.devices.link.transport import memory_pair
from glasses.runtime.clock import VirtualClock

SAMPLES = sample_messages()


def test_every_message_type_has_a_sample() -> None:
    assert sorted(type(s).TYPE for s in SAMPLES) == sorted(m.MESSAGES)


@pytest.mark.parametrize("msg", SAMPLES, ids=lambda s: type(s).__name__)
def test_message_round_trip(msg: m.Message) -> None:
    assert m.decode_message(msg.TYPE, msg.encode()) == msg


@pytest.mark.parametrize("mtu", [MIN_MTU, 100, 244, MAX_MTU])
def test_every_message_crosses_a_session(mtu: int) -> None:
    pair = SessionPair(SessionSettings(mtu=mtu))
    reliable = [s for s in SAMPLES if s.RELIABLE]
    for msg in reliable:
        pair.a.send(msg)
    pair.run()
    # urgent kinds overtake bulk ones (session.PRIORITY); each type keeps its order
    assert sorted(pair.got_b, key=lambda x: x.TYPE) == sorted(reliable, key=lambda x: x.TYPE)
    assert pair.a.stats.messages_acked == len(reliable)


@pytest.mark.parametrize("msg", SAMPLES, ids=lambda s: type(s).__name__)
def test_truncated_or_padded_payloads_are_message_errors(msg: m.Message) -> None:
    payload = msg.encode()
    for bad in (payload[: len(payload) // 2], payload[:1]):
        if bad == payload:
            continue
        try:
            decoded = m.decode_message(msg.TYPE, bad)
        except m.MessageError:
            continue
        assert decoded != msg  # a shorter tail may still decode, but never as the original


def test_out_of_range_values_are_rejected_both_ways() -> None:
    with pytest.raises(ValueError, match="bpp"):
        m.DisplayBitmap(0, 0, 1, 1, 3, 0, 1, 1, 0, b"")
    with pytest.raises(ValueError, match="DisplayPage"):
        m.DisplayPage(page=-1).encode()
    payload = bytearray(m.DisplayBrightness(50).encode())
    payload[0] = 101
    with pytest.raises(m.MessageError, match="percent"):
        m.decode_message(m.DisplayBrightness.TYPE, bytes(payload))
    with pytest.raises(m.MessageError, match="unknown message type"):
        m.decode_message(0xEE, b"")


@pytest.mark.parametrize("mtu", [23, 24, 37, 64, 185, 244, 251, 400, 511, 512])
def test_fragments_fit_the_mtu_and_reassemble(mtu: int) -> None:
    sizes = [0, 1, mtu - OVERHEAD - 9, mtu - OVERHEAD - 8, mtu, 3 * mtu + 1, 20_000]
    frames: list[bytes] = []

    def watch(data: bytes, forward: bool) -> bool:
        if forward:
            frames.append(data)
        return False

    pair = SessionPair(SessionSettings(mtu=mtu), drop=watch)
    sent = [
        m.CameraFrame(frame=i, t_ms=i, width=1, height=1, jpeg=os.urandom(max(0, n)))
        for i, n in enumerate(sizes)
    ]
    for msg in sent:
        pair.a.send(msg)
    pair.run()
    assert pair.got_b == sent
    assert max(len(f) for f in frames) <= mtu
    # CameraFrame's fixed part is 12 bytes: a message needs ceil((12 + n) / room) frames
    room = mtu - OVERHEAD
    data_frames = [f for f in frames if f[3] == m.CameraFrame.TYPE]
    assert len(data_frames) == sum(-(-(12 + n) // room) for n in sizes)


def test_crc_errors_are_rejected_and_counted_and_the_stream_recovers() -> None:
    good = [Frame(type=m.Ping.TYPE, payload=m.Ping(i).encode()).encode() for i in range(3)]
    broken = bytearray(good[1])
    broken[HEADER.size] ^= 0x40  # a payload bit
    parser = FrameParser()
    frames = parser.feed(good[0] + bytes(broken) + good[2])
    assert [m.Ping.decode(f.payload).token for f in frames] == [0, 2]
    assert parser.stats.crc_errors == 1
    assert parser.stats.rejected >= 1


def test_garbage_and_corrupt_headers_are_counted_not_raised() -> None:
    frame = Frame(type=m.Ping.TYPE, payload=m.Ping(7).encode()).encode()
    bad_version = bytearray(frame)
    bad_version[2] = 9
    bad_flags = bytearray(frame)
    bad_flags[4] = 0x80
    oversize = bytearray(frame)
    oversize[9:11] = (1000).to_bytes(2, "little")
    parser = FrameParser()
    stream = b"noise" + bytes(bad_version) + bytes(bad_flags) + bytes(oversize) + frame
    frames = []
    for i in range(0, len(stream), 3):  # any split of the stream
        frames += parser.feed(stream[i : i + 3])
    assert len(frames) == 1 and m.Ping.decode(frames[0].payload).token == 7
    s = parser.stats
    assert (s.bad_version, s.bad_flags, s.oversize) == (1, 1, 1)
    assert s.bad_magic >= 1


def test_sequence_errors_are_rejected_and_counted() -> None:
    clock = StepClock()
    rx = LinkSession(clock.now_ns)
    msg = m.DisplayPage(5)
    far = Frame(type=msg.TYPE, payload=msg.encode(), seq=1000, reliable=True).encode()
    assert rx.receive(far) == []
    assert rx.stats.seq_errors == 1
    # an ack of data this side never sent
    bogus_ack = Frame(type=msg.TYPE, payload=msg.encode(), seq=0, ack=9, reliable=True).encode()
    assert rx.receive(bogus_ack) == []
    assert rx.stats.seq_errors == 2
    ok = Frame(type=msg.TYPE, payload=msg.encode(), seq=0, reliable=True).encode()
    assert rx.receive(ok) == [msg]


def test_duplicates_are_suppressed_and_re_acknowledged() -> None:
    clock = StepClock()
    rx = LinkSession(clock.now_ns)
    msg = m.DisplayPage(1)
    frame = Frame(type=msg.TYPE, payload=msg.encode(), seq=0, reliable=True).encode()
    assert rx.receive(frame) == [msg]
    assert rx.receive(frame) == []
    assert rx.stats.duplicates == 1
    acks = [f for f in FrameParser().feed(b"".join(rx.poll())) if f.type == m.Ack.TYPE]
    assert acks and acks[0].ack == 1  # the duplicate is acknowledged at once


def test_lost_frames_are_retransmitted_with_back_off() -> None:
    sent_at: list[int] = []
    pair: SessionPair

    def lose_data(data: bytes, forward: bool) -> bool:
        if forward and data[3] == m.DisplayPage.TYPE:
            sent_at.append(pair.clock.t)
            return len(sent_at) <= 3  # the first three tries are lost
        return False

    settings = SessionSettings(rto_initial_s=0.2)
    pair = SessionPair(settings, drop=lose_data)
    pair.a.send(m.DisplayPage(1))
    pair.run()
    assert pair.got_b == [m.DisplayPage(1)]
    gaps = [b - a for a, b in itertools.pairwise(sent_at)]
    assert gaps == [200_000_000, 400_000_000, 800_000_000]  # the timeout doubles
    assert pair.a.stats.retransmits == 3


def test_in_order_delivery_under_loss_and_reordering() -> None:
    import random

    rng = random.Random(3)
    held: list[tuple[bytes, bool]] = []

    def chaos(data: bytes, forward: bool) -> bool:
        if rng.random() < 0.15:
            return True
        if rng.random() < 0.2:  # hold back, deliver later (reordering)
            held.append((data, forward))
            return True
        return False

    pair = SessionPair(SessionSettings(mtu=64), drop=chaos)
    sent = [m.DisplayText(x=i, y=0, size=24, colour=1, text="x" * (i % 90)) for i in range(300)]
    for msg in sent:
        pair.a.send(msg)
    for _ in range(2000):
        pair.step()
        while held and rng.random() < 0.5:
            data, forward = held.pop(rng.randrange(len(held)))
            (pair.got_b if forward else pair.got_a).extend(
                (pair.b if forward else pair.a).receive(data)
            )
        if pair.a.idle:
            break
        deadline = min(d for d in (pair.a.next_deadline_ns(), pair.b.next_deadline_ns()) if d)
        pair.clock.t = max(pair.clock.t + 1_000_000, min(deadline, pair.clock.t + 50_000_000))
    assert pair.got_b == sent
    # Held-back frames arrive after their retransmissions: the copies were received (and
    # counted) but delivered once, as got_b == sent shows.
    assert pair.a.stats.retransmits > 0 and pair.b.stats.duplicates > 0


def test_heartbeats_then_dead_link() -> None:
    settings = SessionSettings(heartbeat_s=1.0, dead_after_s=3.0)
    pair = SessionPair(settings)
    pair.run(until_idle=False, max_s=10)  # both answer pings: alive
    assert pair.a.stats.pings_sent >= 4 and not pair.a.dead_reason
    pair.drop = lambda data, forward: True  # the peer goes silent
    pair.run(until_idle=False, max_s=10)
    assert "nothing heard" in pair.a.dead_reason


def test_cancel_drops_only_unsent_messages_of_the_group() -> None:
    clock = StepClock()
    settled: list[tuple[int, bool]] = []
    tx = LinkSession(
        clock.now_ns, SessionSettings(window=1), on_settled=lambda t, a: settled.append((t, a))
    )
    first = tx.send(m.DisplayPage(1), group="img")
    tx.poll()  # the first is on its way (window 1)
    second = tx.send(m.DisplayPage(2), group="img")
    other = tx.send(m.DisplayPage(3), group="text")
    assert tx.cancel("img") == 1
    assert settled == [(second, False)]
    assert first != other and tx.stats.messages_cancelled == 1


def test_malformed_messages_in_valid_frames_are_counted() -> None:
    clock = StepClock()
    rx = LinkSession(clock.now_ns)
    bad = Frame(type=m.DisplayBrightness.TYPE, payload=b"\xff", seq=0, reliable=True).encode()
    unknown = Frame(type=0xEE, payload=b"x", seq=1, reliable=True).encode()
    numbered_ping = Frame(type=m.Ping.TYPE, payload=bytes(4), seq=2, reliable=True).encode()
    assert rx.receive(bad + unknown + numbered_ping) == []
    assert rx.stats.bad_messages == 3


# -------------------------------------------------------------------------------- pairing


def _pair(companion_key: bytes, glasses_key: bytes) -> tuple[object, object]:
    clock = VirtualClock()

    async def main() -> tuple[object, object]:
        a, b = memory_pair()
        comp = LinkConnection(a, clock, name="companion")
        gl = LinkConnection(b, clock, name="glasses")
        tasks = [asyncio.create_task(c.run()) for c in (comp, gl)]
        results = await asyncio.gather(
            pair_companion(comp, companion_key, mtu=244, window=32),
            pair_glasses(gl, glasses_key, mtu=512, window=64, new_session=5),
            return_exceptions=True,
        )
        comp.close()
        await asyncio.gather(*tasks)
        return results[0], results[1]

    return clock.run(main())


def test_paired_peers_agree_on_mtu_window_and_session() -> None:
    key = os.urandom(32)
    comp, gl = _pair(key, key)
    assert comp == Paired(session=5, resumed=False, mtu=244, window=32)
    assert gl == Paired(session=5, resumed=False, mtu=244, window=32, name="companion")


def test_an_unpaired_companion_is_refused() -> None:
    comp, gl = _pair(os.urandom(32), os.urandom(32))
    assert isinstance(comp, LinkRefused) and "not paired" in str(comp)
    assert isinstance(gl, LinkRefused) and "wrong key" in str(gl)


def test_a_peer_that_skips_pairing_is_refused_and_nothing_is_applied() -> None:
    clock = VirtualClock()

    async def main() -> tuple[BaseException | None, list[m.Message]]:
        a, b = memory_pair()
        intruder = LinkConnection(a, clock, name="intruder")
        gl = LinkConnection(b, clock, name="glasses")
        tasks = [asyncio.create_task(c.run()) for c in (intruder, gl)]
        intruder.send(m.DisplayText(x=0, y=0, size=24, colour=1, text="pwned"))
        error: BaseException | None = None
        try:
            await pair_glasses(gl, os.urandom(32), mtu=244, window=32, new_session=1)
        except LinkRefused as exc:
            error = exc
        got = []
        while True:
            try:
                got.append(await asyncio.wait_for(intruder.recv(), 1.0))
            except Exception:
                break
        await asyncio.gather(*tasks)
        return error, got

    error, got = clock.run(main())
    assert isinstance(error, LinkRefused) and "DisplayText" in str(error)
    assert any(isinstance(g, m.Refused) and g.code == m.RefuseCode.PROTOCOL for g in got)


def test_the_specification_lists_every_message() -> None:
    from pathlib import Path

    spec = (Path(__file__).parent.parent / "docs" / "protocol.md").read_text()
    for code, cls in m.MESSAGES.items():
        assert f"| 0x{code:02X} | `{cls.__name__}`" in spec, cls.__name__
