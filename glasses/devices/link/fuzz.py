"""A mutation fuzzer for the link's receive path: frame parser, session and message decoders.

``python -m glasses.devices.link.fuzz --inputs 1000000`` (``make fuzz-link``) feeds mutated
frame streams (bit flips, byte changes, insertions, deletions, truncations, splices, random
headers with a correct CRC so the session and the decoders see them) to a fresh parser and
session, in random splits, and checks that nothing raises, that the parser never holds more
than one frame's bytes, and that no input takes longer than ``--hang-ms``. A failing input is
written to ``--crash-dir`` and the run exits 1. Deterministic for a given ``--seed``.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
import traceback
from pathlib import Path

from glasses.devices.link import messages as m
from glasses.devices.link.framing import CRC, HEADER, MAX_MTU, Frame, FrameParser
from glasses.devices.link.session import LinkSession, SessionSettings
from glasses.devices.link.testing import SessionPair, StepClock, sample_messages


def _stream(mtu: int, msgs: list[m.Message]) -> list[bytes]:
    """The frames one session sends (from seq 0) for ``msgs`` at ``mtu``."""
    frames: list[bytes] = []

    def keep(data: bytes, forward: bool) -> bool:
        if forward:
            frames.append(data)
        return False

    pair = SessionPair(SessionSettings(mtu=mtu), drop=keep)
    for msg in msgs:
        pair.a.send(msg)
    pair.run(max_s=5)
    return frames


def seed_corpus() -> list[bytes]:
    """Valid frame streams from seq 0: each sample message alone and all of them together,
    at a few MTUs, so that mutants reach the session's reassembly and the decoders."""
    corpus: list[bytes] = []
    reliable = [msg for msg in sample_messages() if msg.RELIABLE]
    for mtu in (23, 64, 244, 512):
        for msg in reliable:
            corpus.append(b"".join(_stream(mtu, [msg])))
        frames = _stream(mtu, reliable)
        corpus.extend(frames)
        corpus.append(b"".join(frames[:8]))
    corpus.extend(
        Frame(type=msg.TYPE, payload=msg.encode()).encode()
        for msg in sample_messages()
        if not msg.RELIABLE
    )
    return corpus


def _reframe(rng: random.Random, data: bytes) -> bytes:
    """A frame with random header fields (and payload bits) but a correct CRC."""
    payload = data[HEADER.size : -CRC.size] if len(data) > HEADER.size + CRC.size else b""
    if payload and rng.random() < 0.5:
        i = rng.randrange(len(payload))
        payload = payload[:i] + bytes([rng.randrange(256)]) + payload[i + 1 :]
    return Frame(
        type=rng.choice((rng.randrange(256), *m.MESSAGES)),
        payload=payload[: MAX_MTU - 15],
        seq=rng.choice((0, 1, 2, rng.randrange(65536))),
        ack=rng.choice((0, 1, rng.randrange(65536))),
        more=rng.random() < 0.3,
        reliable=rng.random() < 0.7,
    ).encode()


def mutate(rng: random.Random, corpus: list[bytes]) -> bytes:
    data = bytearray(rng.choice(corpus))
    for _ in range(rng.choice((1, 1, 2, 4, 8))):
        op = rng.randrange(9)
        if op == 0 and data:
            i = rng.randrange(len(data))
            data[i] ^= 1 << rng.randrange(8)
        elif op == 1 and data:
            data[rng.randrange(len(data))] = rng.randrange(256)
        elif op == 2:
            i = rng.randrange(len(data) + 1)
            data[i:i] = rng.randbytes(rng.randrange(1, 16))
        elif op == 3 and data:
            i = rng.randrange(len(data))
            del data[i : i + rng.randrange(1, 32)]
        elif op == 4 and data:
            del data[rng.randrange(len(data)) :]
        elif op == 5:
            data += rng.choice(corpus)
        elif op == 6:
            data = bytearray(_reframe(rng, bytes(data)))
        elif op == 7 and len(data) >= 11:
            # a plausible header with a wild length field
            data[9:11] = rng.randrange(65536).to_bytes(2, "little")
        else:
            data = bytearray(rng.randbytes(rng.randrange(64))) + data
    return bytes(data)


def check(data: bytes, rng: random.Random) -> None:
    """Feed ``data`` to a parser and a session in random splits; raise on a broken rule."""
    parser = FrameParser()
    clock = StepClock()
    session = LinkSession(clock.now_ns)
    i = 0
    while i < len(data):
        n = rng.choice((1, 7, 64, 600, len(data)))
        chunk = data[i : i + n]
        i += n
        for frame in parser.feed(chunk):
            if len(frame.payload) > MAX_MTU:
                raise AssertionError("a frame longer than the MTU came out")
        if parser.pending > MAX_MTU:
            raise AssertionError(f"parser holds {parser.pending} bytes")
        for msg in session.receive(chunk):
            if not isinstance(msg, m.Message):
                raise AssertionError(f"session delivered {msg!r}")
        clock.advance(rng.randrange(50_000_000))
        session.poll()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m glasses.devices.link.fuzz", description=__doc__)
    ap.add_argument("--inputs", type=int, default=100_000, help="inputs to try (default 100000)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--hang-ms", type=float, default=500.0, help="slowest allowed input (ms)")
    ap.add_argument("--crash-dir", type=Path, default=Path("fuzz-crashes"))
    args = ap.parse_args(argv)
    rng = random.Random(args.seed)
    corpus = seed_corpus()
    start = time.perf_counter()
    slowest = 0.0
    for n in range(1, args.inputs + 1):
        data = mutate(rng, corpus)
        t0 = time.perf_counter()
        try:
            check(data, random.Random(n))
        except Exception:
            args.crash_dir.mkdir(parents=True, exist_ok=True)
            path = args.crash_dir / f"crash-{args.seed}-{n}.bin"
            path.write_bytes(data)
            traceback.print_exc()
            print(f"fuzz-link: input {n} failed; saved to {path}", file=sys.stderr)
            return 1
        took = (time.perf_counter() - t0) * 1000
        if took > args.hang_ms:  # time it again: a shared, niced machine has hiccups
            t0 = time.perf_counter()
            check(data, random.Random(n))
            took = (time.perf_counter() - t0) * 1000
        slowest = max(slowest, took)
        if took > args.hang_ms:
            print(f"fuzz-link: input {n} took {took:.0f} ms (> {args.hang_ms:g})", file=sys.stderr)
            return 1
        if len(data) < 2048 and rng.random() < 0.05:
            corpus.append(data)  # keep some mutants as seeds: deeper states
            if len(corpus) > 5000:
                corpus.pop(rng.randrange(100, len(corpus)))
        if n % 100_000 == 0:
            rate = n / (time.perf_counter() - start)
            print(f"fuzz-link: {n:,} inputs, {rate:,.0f}/s, slowest {slowest:.1f} ms", flush=True)
    took_s = time.perf_counter() - start
    print(
        f"fuzz-link: {args.inputs:,} inputs in {took_s:.0f} s, no crash or hang "
        f"(slowest {slowest:.1f} ms)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
