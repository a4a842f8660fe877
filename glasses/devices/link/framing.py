"""Frames: the unit the link sends, with a header, a payload and a CRC32 (see docs/protocol.md).

::

    offset  size  field
    0       2     magic   b"GL"
    2       1     version 1
    3       1     type    message type (messages.py)
    4       1     flags   bit 0 MORE (another fragment of this message follows),
                          bit 1 RELIABLE (seq is numbered, acknowledged, retransmitted)
    5       2     seq     sequence number of a reliable frame (0 on an unreliable one)
    7       2     ack     cumulative acknowledgement: the next seq this side expects
    9       2     length  payload bytes (0 .. MAX_MTU - OVERHEAD)
    11      n     payload
    11 + n  4     crc     CRC-32 (zlib) of bytes 0 .. 11 + n

All integers little-endian. ``FrameParser`` reads frames out of a byte stream: bytes that do not
start a valid frame (bad magic, version, flags, length or CRC) are skipped and counted, one byte
at a time, until the next valid frame: a malformed frame is rejected and counted, never a
traceback, and one corrupt length cannot make the parser swallow the frames behind it.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

MAGIC = b"GL"
VERSION = 1
HEADER = struct.Struct("<2sBBBHHH")
CRC = struct.Struct("<I")
OVERHEAD = HEADER.size + CRC.size  # 15 bytes per frame
MIN_MTU = 23  # BLE's default ATT MTU
MAX_MTU = 512
DEFAULT_MTU = 244  # BLE 4.2+/5 data length extension: 251-byte PDU less L2CAP/ATT headers
MAX_PAYLOAD = MAX_MTU - OVERHEAD

FLAG_MORE = 0x01
FLAG_RELIABLE = 0x02
_KNOWN_FLAGS = FLAG_MORE | FLAG_RELIABLE

SEQ_MOD = 1 << 16


@dataclass(frozen=True, slots=True)
class Frame:
    """One frame. ``payload`` is at most ``MAX_PAYLOAD`` bytes; seq and ack are 16-bit."""

    type: int
    payload: bytes = b""
    seq: int = 0
    ack: int = 0
    more: bool = False
    reliable: bool = False

    def encode(self) -> bytes:
        if not 0 <= self.type <= 0xFF:
            raise ValueError(f"frame type must be a byte, got {self.type}")
        if len(self.payload) > MAX_PAYLOAD:
            raise ValueError(f"frame payload of {len(self.payload)} bytes > {MAX_PAYLOAD}")
        flags = (FLAG_MORE if self.more else 0) | (FLAG_RELIABLE if self.reliable else 0)
        head = HEADER.pack(
            MAGIC,
            VERSION,
            self.type,
            flags,
            self.seq % SEQ_MOD,
            self.ack % SEQ_MOD,
            len(self.payload),
        )
        body = head + self.payload
        return body + CRC.pack(zlib.crc32(body))

    @property
    def size(self) -> int:
        """Bytes on the wire."""
        return OVERHEAD + len(self.payload)


@dataclass(slots=True)
class ParseStats:
    """What the parser rejected. ``skipped_bytes`` counts every byte discarded while looking
    for the next valid frame; the others count rejected frame starts, by reason."""

    frames: int = 0
    bad_magic: int = 0  # runs of bytes that did not start with the magic
    bad_version: int = 0
    bad_flags: int = 0
    oversize: int = 0  # a length beyond MAX_PAYLOAD
    crc_errors: int = 0
    skipped_bytes: int = 0

    @property
    def rejected(self) -> int:
        return self.bad_magic + self.bad_version + self.bad_flags + self.oversize + self.crc_errors


class FrameParser:
    """Incremental frame reader: ``feed(bytes)`` returns the complete valid frames found.

    Holds at most one partial frame (``MAX_MTU`` bytes) between calls; never raises on input.
    """

    def __init__(self) -> None:
        self._buf = bytearray()
        self.stats = ParseStats()
        self._in_garbage = False  # inside a run of bytes without a frame start

    @property
    def pending(self) -> int:
        """Bytes held, waiting for the rest of a frame."""
        return len(self._buf)

    def feed(self, data: bytes) -> list[Frame]:
        buf = self._buf
        buf += data
        frames: list[Frame] = []
        stats = self.stats
        while True:
            start = buf.find(MAGIC)
            if start < 0:
                # Keep a trailing first magic byte: it may be the start of the next frame.
                keep = 1 if buf[-1:] == MAGIC[:1] else 0
                self._skip(len(buf) - keep)
                break
            if start:
                self._skip(start)
            if len(buf) < HEADER.size:
                break
            _, version, ftype, flags, seq, ack, length = HEADER.unpack_from(buf)
            reason = ""
            if version != VERSION:
                stats.bad_version += 1
                reason = "version"
            elif flags & ~_KNOWN_FLAGS:
                stats.bad_flags += 1
                reason = "flags"
            elif length > MAX_PAYLOAD:
                stats.oversize += 1
                reason = "oversize"
            if reason:
                self._reject()
                continue
            end = HEADER.size + length
            if len(buf) < end + CRC.size:
                break
            (crc,) = CRC.unpack_from(buf, end)
            if crc != zlib.crc32(memoryview(buf)[:end]):
                stats.crc_errors += 1
                self._reject()
                continue
            frames.append(
                Frame(
                    type=ftype,
                    payload=bytes(buf[HEADER.size : end]),
                    seq=seq,
                    ack=ack,
                    more=bool(flags & FLAG_MORE),
                    reliable=bool(flags & FLAG_RELIABLE),
                )
            )
            stats.frames += 1
            self._in_garbage = False
            del buf[: end + CRC.size]
        return frames

    def _skip(self, n: int) -> None:
        if n <= 0:
            return
        if not self._in_garbage:
            self.stats.bad_magic += 1
            self._in_garbage = True
        self.stats.skipped_bytes += n
        del self._buf[:n]

    def _reject(self) -> None:
        """Drop the first byte of a frame start that failed a check, and look again."""
        self.stats.skipped_bytes += 1
        del self._buf[:1]
        self._in_garbage = True  # what follows up to the next frame is part of the same run
