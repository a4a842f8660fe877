"""The reliable session: fragments, sequence numbers, acks, retransmission, heartbeats.

``LinkSession`` is sans-I/O: it never reads a socket or a clock on its own. Its driver
(``connection.py``) feeds it received bytes (``receive``), asks it for the frames to send
(``poll``) and wakes it at ``next_deadline_ns()``; times come from the ``now_ns`` it is given
(the runtime clock, virtual in tests). The rules (docs/protocol.md):

* **Fragments.** A message longer than a frame's payload (``mtu - 15`` bytes) is cut into
  fragments; all but the last have the MORE flag. Fragments of different message types may
  interleave (the receiver reassembles per type), so a microphone frame is not stuck behind an
  image: each frame slot goes to the most urgent queue (``PRIORITY``), and messages of one type
  keep their order.
* **Reliability.** Reliable frames carry a 16-bit ``seq``; every frame carries the cumulative
  ``ack`` (the next seq expected), and ``Ack`` frames a 64-bit selective-ack map of frames held
  out of order. At most ``window`` frames are unacknowledged. A frame not acknowledged within
  the retransmission timeout (RFC 6298 estimate from the round trips, doubling at each retry) is
  sent again; after ``max_retries`` the link is dead. Three later frames selectively acked
  trigger a fast retransmit of a hole.
* **Duplicates** (a retransmitted frame that had arrived) are dropped and counted, and
  re-acknowledged. A reliable frame outside the receive window (or an ack for data never
  sent) is a **sequence error**: rejected and counted.
* **Heartbeats.** ``Ping`` when nothing was heard for ``heartbeat_s``; the peer answers
  ``Pong``. Nothing heard for ``dead_after_s``: the link is dead.
* A message is **acknowledged** once all its fragments are: ``on_settled(ticket, True)``.
  A queued message whose first fragment is not yet sent can be cancelled by its ``group``
  (``on_settled(ticket, False)``): a newer camera frame or image replaces an older one.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from glasses.devices.link import messages as m
from glasses.devices.link.framing import (
    DEFAULT_MTU,
    MAX_MTU,
    MIN_MTU,
    OVERHEAD,
    SEQ_MOD,
    Frame,
    FrameParser,
    ParseStats,
)

log = logging.getLogger(__name__)

NS_PER_S = 1_000_000_000
MAX_WINDOW = 255  # frames in flight (a byte in the handshake)
SACK_SPAN = 64  # the selective-ack map covers 64 frames past the cumulative ack


def default_window(mtu: int) -> int:
    """A window of about 8 KB in flight whatever the MTU: 32 frames at 244 bytes, 255 at 23
    (at 32 frames of 8 bytes a 23-byte link would idle, waiting for acks)."""
    return min(MAX_WINDOW, max(32, -(-32 * 244 // mtu)))


DUP_THRESHOLD = 3  # later frames selectively acked before a hole is sent again

# Each frame slot goes to the most urgent non-empty queue: 0 link control and commands,
# 1 small latency-critical streams (audio, inputs, IMU, power), 2 display commands (one FIFO:
# their order matters), 3 camera frames.
PRIORITY: dict[type[m.Message], int] = {
    m.MicFrame: 1,
    m.InputEvent: 1,
    m.ImuSamples: 1,
    m.PowerState: 1,
    m.DisplayClear: 2,
    m.DisplayText: 2,
    m.DisplayBitmap: 2,
    m.DisplayPage: 2,
    m.DisplayBrightness: 2,
    m.CameraFrame: 3,
}
_LEVELS = 4


@dataclass(frozen=True, slots=True)
class SessionSettings:
    """Times in s; ``mtu`` (bytes per frame sent, 23..512), ``window`` (reliable frames in
    flight, 1..255), ``max_message`` (bytes a reassembled message may reach)."""

    mtu: int = DEFAULT_MTU
    window: int = 32
    rto_initial_s: float = 0.4
    rto_min_s: float = 0.2
    rto_max_s: float = 4.0
    max_retries: int = 12
    ack_delay_s: float = 0.01
    heartbeat_s: float = 1.0
    dead_after_s: float = 5.0
    max_message: int = 1 << 20

    def __post_init__(self) -> None:
        if not MIN_MTU <= self.mtu <= MAX_MTU:
            raise ValueError(f"mtu must be within {MIN_MTU}..{MAX_MTU} bytes, got {self.mtu}")
        if not 1 <= self.window <= MAX_WINDOW:
            raise ValueError(f"window must be within 1..{MAX_WINDOW} frames, got {self.window}")
        if not 0 < self.rto_min_s <= self.rto_initial_s <= self.rto_max_s:
            raise ValueError("need 0 < rto_min_s <= rto_initial_s <= rto_max_s")
        if not 0 < self.heartbeat_s < self.dead_after_s:
            raise ValueError("need 0 < heartbeat_s < dead_after_s")


@dataclass(slots=True)
class LinkStats:
    """Counters of one session (both directions). ``seq_errors``: reliable frames outside the
    receive window and acks of data never sent; ``bad_messages``: payloads that did not decode;
    ``parse``: what the frame parser rejected (CRC errors, bad magic …)."""

    frames_sent: int = 0
    frames_received: int = 0
    bytes_sent: int = 0
    bytes_received: int = 0
    payload_bytes_sent: int = 0  # message bytes, first transmissions only
    messages_sent: int = 0
    messages_received: int = 0
    messages_acked: int = 0
    messages_cancelled: int = 0
    retransmits: int = 0
    fast_retransmits: int = 0
    duplicates: int = 0
    seq_errors: int = 0
    bad_messages: int = 0
    reassembly_errors: int = 0
    acks_sent: int = 0
    pings_sent: int = 0
    srtt_ms: float = 0.0
    parse: ParseStats = field(default_factory=ParseStats)

    @property
    def rejected(self) -> int:
        """Every frame or message refused: parse errors, sequence errors, bad messages."""
        return self.parse.rejected + self.seq_errors + self.bad_messages + self.reassembly_errors

    def as_dict(self) -> dict[str, float]:
        out = {k: v for k, v in asdict(self).items() if k != "parse"}
        out.update({f"parse_{k}": v for k, v in asdict(self.parse).items()})
        out["rejected"] = self.rejected
        return out


class _Outgoing:
    __slots__ = ("group", "offset", "payload", "priority", "ticket", "type")

    def __init__(self, ticket: int, type_: int, payload: bytes, group: str, priority: int) -> None:
        self.ticket = ticket
        self.type = type_
        self.payload = payload
        self.group = group
        self.priority = priority
        self.offset = 0


class _Sent:
    __slots__ = ("deadline_ns", "fast", "fast_due", "frame", "rto_ns", "sent_ns", "ticket", "tries")

    def __init__(self, frame: Frame, ticket: int, now: int, rto_ns: int) -> None:
        self.frame = frame
        self.ticket = ticket
        self.sent_ns = now
        self.tries = 1
        self.rto_ns = rto_ns
        self.deadline_ns = now + rto_ns
        self.fast = False  # fast-retransmitted once already
        self.fast_due = False  # to be fast-retransmitted at the next poll


class _Ticket:
    __slots__ = ("complete", "frames")

    def __init__(self) -> None:
        self.frames = 0  # fragments sent and not yet acknowledged
        self.complete = False  # every fragment has been sent


def _ahead(a: int, b: int) -> int:
    """How far ``b`` is ahead of ``a`` in 16-bit sequence space (0..65535)."""
    return (b - a) % SEQ_MOD


class LinkSession:
    """One side of a connection (see the module doc). ``on_settled(ticket, acked)`` is called
    once for each reliable message sent: acked, or cancelled before any of it was sent."""

    def __init__(
        self,
        now_ns: Callable[[], int],
        settings: SessionSettings | None = None,
        *,
        on_settled: Callable[[int, bool], None] | None = None,
    ) -> None:
        self.settings = settings or SessionSettings()
        self.mtu = self.settings.mtu
        self.window = self.settings.window
        self._now = now_ns
        self.on_settled = on_settled
        self.stats = LinkStats()
        self._parser = FrameParser()
        self.stats.parse = self._parser.stats
        # send side
        self._queues: list[deque[_Outgoing]] = [deque() for _ in range(_LEVELS)]
        self._urgent: list[Frame] = []  # unreliable frames to send at the next poll
        self._inflight: dict[int, _Sent] = {}
        self._sacked: set[int] = set()
        self._snd_una = 0
        self._snd_nxt = 0
        self._tickets: dict[int, _Ticket] = {}
        self._next_ticket = 1
        self._srtt_ns: float | None = None
        self._rttvar_ns = 0.0
        self._rto_ns = round(self.settings.rto_initial_s * NS_PER_S)
        # receive side
        self._rcv_next = 0
        self._held: dict[int, Frame] = {}  # out of order, within the window
        self._partial: dict[int, bytearray] = {}  # per message type
        self._discarding: set[int] = set()  # types whose current message is being dropped
        self._ack_due_ns: int | None = None
        # liveness
        now = now_ns()
        self._last_heard_ns = now
        self._last_ping_ns = now
        self.dead_reason = ""

    # ---------------------------------------------------------------------------- sending

    def send(self, msg: m.Message, *, group: str = "", priority: int | None = None) -> int:
        """Queue ``msg``; returns its ticket (0 for an unreliable message, sent at the next
        poll and never settled). ``group`` names what a later ``cancel`` may drop."""
        payload = msg.encode()
        if not msg.RELIABLE:
            if len(payload) > MIN_MTU - OVERHEAD:
                raise ValueError(f"unreliable {type(msg).__name__} must fit one minimum frame")
            self._urgent.append(Frame(type=msg.TYPE, payload=payload))
            return 0
        if len(payload) > self.settings.max_message:
            raise ValueError(
                f"{type(msg).__name__} of {len(payload)} bytes > {self.settings.max_message}"
            )
        ticket = self._next_ticket
        self._next_ticket += 1
        level = PRIORITY.get(type(msg), 0) if priority is None else priority
        if not 0 <= level < _LEVELS:
            raise ValueError(f"priority must be within 0..{_LEVELS - 1}, got {level}")
        self._queues[level].append(_Outgoing(ticket, msg.TYPE, payload, group, level))
        self._tickets[ticket] = _Ticket()
        self.stats.messages_sent += 1
        return ticket

    def cancel(self, group: str) -> int:
        """Drop the queued messages of ``group`` none of which has been sent; their count."""
        dropped = 0
        for queue in self._queues:
            keep: deque[_Outgoing] = deque()
            for out in queue:
                if out.group == group and out.offset == 0:
                    dropped += 1
                    self._tickets.pop(out.ticket, None)
                    self._settle(out.ticket, False)
                else:
                    keep.append(out)
            queue.clear()
            queue.extend(keep)
        self.stats.messages_cancelled += dropped
        return dropped

    def queued_bytes(self, group: str | None = None) -> int:
        """Message bytes waiting for a frame slot (of ``group``, or all)."""
        return sum(
            len(o.payload) - o.offset
            for q in self._queues
            for o in q
            if group is None or o.group == group
        )

    @property
    def in_flight(self) -> int:
        """Reliable frames sent and not yet acknowledged."""
        return len(self._inflight)

    @property
    def idle(self) -> bool:
        """Nothing queued and nothing waiting for an acknowledgement."""
        return not self._inflight and not any(self._queues)

    def set_mtu(self, mtu: int) -> None:
        """The frame size from now on (a negotiated MTU); fragments already cut keep theirs."""
        if not MIN_MTU <= mtu <= MAX_MTU:
            raise ValueError(f"mtu must be within {MIN_MTU}..{MAX_MTU} bytes, got {mtu}")
        self.mtu = mtu

    def set_window(self, window: int) -> None:
        if not 1 <= window <= MAX_WINDOW:
            raise ValueError(f"window must be within 1..{MAX_WINDOW} frames, got {window}")
        self.window = window

    def poll(self) -> list[bytes]:
        """The frames to transmit now: retransmissions due, new fragments the window allows,
        a pending acknowledgement and a heartbeat."""
        if self.dead_reason:
            return []
        now = self._now()
        out: list[bytes] = []
        if now - self._last_heard_ns >= self.settings.dead_after_s * NS_PER_S:
            self._die(f"nothing heard for {self.settings.dead_after_s:g} s")
            return []
        rto_max = round(self.settings.rto_max_s * NS_PER_S)
        timed_out = False
        for seq in sorted(self._inflight, key=lambda s: _ahead(self._snd_una, s)):
            sent = self._inflight[seq]
            if sent.deadline_ns > now:
                continue
            if sent.tries > self.settings.max_retries:
                self._die(f"frame {seq} not acknowledged after {sent.tries} tries")
                return []
            if not sent.fast_due:
                if timed_out:
                    # One retransmission per timeout, the oldest frame's (as TCP): the others
                    # wait another timeout, as their acks are likely held up behind it.
                    sent.deadline_ns = now + sent.rto_ns
                    continue
                timed_out = True
                # The timeout backs off for new frames too, until a fresh round trip is
                # measured (RFC 6298 5.5): a link slower than the estimate is not flooded.
                self._rto_ns = min(self._rto_ns * 2, rto_max)
                sent.rto_ns = min(max(sent.rto_ns * 2, self._rto_ns), rto_max)
            sent.fast_due = False
            sent.tries += 1
            sent.deadline_ns = now + sent.rto_ns
            self.stats.retransmits += 1
            out.append(self._wire(sent.frame))
        while _ahead(self._snd_una, self._snd_nxt) < self.window:
            frame = self._next_fragment()
            if frame is None:
                break
            out.append(self._wire(frame))
        if self._urgent:
            out.extend(self._wire(f) for f in self._urgent)
            self._urgent.clear()
        if self._ack_due_ns is not None and now >= self._ack_due_ns:
            out.append(self._wire(Frame(type=m.Ack.TYPE, payload=self._sack_payload())))
            self.stats.acks_sent += 1
            self._ack_due_ns = None
        quiet_ns = now - max(self._last_heard_ns, self._last_ping_ns)
        if quiet_ns >= self.settings.heartbeat_s * NS_PER_S:
            self._last_ping_ns = now
            token = (now // 1_000_000) & 0xFFFFFFFF
            out.append(self._wire(Frame(type=m.Ping.TYPE, payload=m.Ping(token).encode())))
            self.stats.pings_sent += 1
        return out

    def next_deadline_ns(self) -> int | None:
        """When ``poll`` next has something to do unprompted (None once dead)."""
        if self.dead_reason:
            return None
        s = self.settings
        times = [
            self._last_heard_ns + round(s.dead_after_s * NS_PER_S),
            max(self._last_heard_ns, self._last_ping_ns) + round(s.heartbeat_s * NS_PER_S),
        ]
        if self._inflight:
            times.append(min(x.deadline_ns for x in self._inflight.values()))
        if self._ack_due_ns is not None:
            times.append(self._ack_due_ns)
        return min(times)

    def _next_fragment(self) -> Frame | None:
        for queue in self._queues:
            if not queue:
                continue
            out = queue[0]
            room = self.mtu - OVERHEAD
            chunk = out.payload[out.offset : out.offset + room]
            out.offset += len(chunk)
            more = out.offset < len(out.payload)
            if not more:
                queue.popleft()
            seq = self._snd_nxt
            self._snd_nxt = (seq + 1) % SEQ_MOD
            frame = Frame(type=out.type, payload=chunk, seq=seq, more=more, reliable=True)
            self._inflight[seq] = _Sent(frame, out.ticket, self._now(), self._rto_ns)
            ticket = self._tickets[out.ticket]
            ticket.frames += 1
            ticket.complete = not more
            self.stats.payload_bytes_sent += len(chunk)
            return frame
        return None

    def _wire(self, frame: Frame) -> bytes:
        """Encode with the current cumulative ack (a retransmission carries the newest)."""
        data = Frame(
            type=frame.type,
            payload=frame.payload,
            seq=frame.seq,
            ack=self._rcv_next,
            more=frame.more,
            reliable=frame.reliable,
        ).encode()
        self.stats.frames_sent += 1
        self.stats.bytes_sent += len(data)
        if frame.reliable and self._ack_due_ns is not None and not self._held:
            self._ack_due_ns = None  # the cumulative ack rides along
        return data

    def _sack_payload(self) -> bytes:
        bits = 0
        for seq in self._held:
            i = _ahead(self._rcv_next, seq) - 1
            if 0 <= i < SACK_SPAN:
                bits |= 1 << i
        return m.Ack(bits).encode()

    # ---------------------------------------------------------------------------- receiving

    def receive(self, data: bytes) -> list[m.Message]:
        """Take received bytes (any split of the stream); returns the messages completed, in
        order. Malformed input is counted in ``stats`` and skipped, never raised."""
        delivered: list[m.Message] = []
        if self.dead_reason:
            return delivered
        self.stats.bytes_received += len(data)
        for frame in self._parser.feed(data):
            self._frame(frame, delivered)
        return delivered

    def _frame(self, frame: Frame, delivered: list[m.Message]) -> None:
        now = self._now()
        if frame.reliable:
            ahead = _ahead(self._rcv_next, frame.seq)
            if self.window <= ahead < SEQ_MOD - MAX_WINDOW:
                self.stats.seq_errors += 1  # neither new within the window nor a recent one
                return
        if not self._take_ack(frame.ack):
            return
        self._last_heard_ns = now
        self.stats.frames_received += 1
        if not frame.reliable:
            self._unreliable(frame, delivered)
            return
        ahead = _ahead(self._rcv_next, frame.seq)
        if ahead >= SEQ_MOD - MAX_WINDOW or frame.seq in self._held:
            self.stats.duplicates += 1
            self._ack_due_ns = now  # our ack may have been lost: say it again now
            return
        self._held[frame.seq] = frame
        if ahead:
            self._ack_due_ns = now  # a hole: tell the sender at once (selective ack)
            return
        while self._rcv_next in self._held:
            self._assemble(self._held.pop(self._rcv_next), delivered)
            self._rcv_next = (self._rcv_next + 1) % SEQ_MOD
        if self._held:
            self._ack_due_ns = now
        elif self._ack_due_ns is None:
            self._ack_due_ns = now + round(self.settings.ack_delay_s * NS_PER_S)

    def _take_ack(self, ack: int) -> bool:
        """Apply a cumulative ack; False (a sequence error) if it acks data never sent. An
        ack behind the one already taken (a frame overtaken on the way) is stale: ignored."""
        advance = _ahead(self._snd_una, ack)
        if advance > _ahead(self._snd_una, self._snd_nxt):
            if advance >= SEQ_MOD // 2:
                return True  # stale
            self.stats.seq_errors += 1
            return False
        now = self._now()
        for _ in range(advance):
            seq = self._snd_una
            sent = self._inflight.pop(seq, None)
            self._sacked.discard(seq)
            if sent is not None:
                if sent.tries == 1:  # Karn: only unambiguous samples
                    self._rtt_sample(now - sent.sent_ns)
                self._frame_acked(sent.ticket)
            self._snd_una = (seq + 1) % SEQ_MOD
        return True

    def _unreliable(self, frame: Frame, delivered: list[m.Message]) -> None:
        if frame.more:
            self.stats.bad_messages += 1
            return
        try:
            msg = m.decode_message(frame.type, frame.payload)
        except m.MessageError as exc:
            self.stats.bad_messages += 1
            log.debug("link: bad unreliable message: %s", exc)
            return
        if msg.RELIABLE:
            self.stats.bad_messages += 1  # a reliable type sent without a sequence number
        elif isinstance(msg, m.Ack):
            self._take_sack(frame.ack, msg.sack)
        elif isinstance(msg, m.Ping):
            self._urgent.append(Frame(type=m.Pong.TYPE, payload=m.Pong(msg.token).encode()))
        elif isinstance(msg, m.Pong):
            pass  # liveness was noted on arrival
        else:
            delivered.append(msg)

    def _take_sack(self, ack: int, bits: int) -> None:
        """Selective acks: bit i is frame ``ack + 1 + i`` (relative to the ack of the frame
        that carried them, which may be older than the newest cumulative ack taken)."""
        span = _ahead(self._snd_una, self._snd_nxt)
        highest = -1
        for i in range(SACK_SPAN):
            if not bits >> i & 1:
                continue
            seq = (ack + 1 + i) % SEQ_MOD
            if _ahead(self._snd_una, seq) >= span:
                continue  # already acked, or never sent
            highest = i
            sent = self._inflight.pop(seq, None)
            if sent is not None:
                self._sacked.add(seq)
                self._frame_acked(sent.ticket)
        if highest < 0:
            return
        # Holes below at least DUP_THRESHOLD selectively acked frames are sent again now.
        now = self._now()
        later = 0
        for i in range(highest, -2, -1):
            seq = (ack + 1 + i) % SEQ_MOD
            if seq in self._sacked:
                later += 1
                continue
            sent = self._inflight.get(seq)
            if sent is not None and later >= DUP_THRESHOLD and not sent.fast:
                sent.fast = True
                sent.fast_due = True
                sent.deadline_ns = now
                self.stats.fast_retransmits += 1

    def _assemble(self, frame: Frame, delivered: list[m.Message]) -> None:
        t = frame.type
        if t in self._discarding:
            if not frame.more:
                self._discarding.discard(t)
            return
        buf = self._partial.setdefault(t, bytearray())
        buf += frame.payload
        if len(buf) > self.settings.max_message:
            self.stats.reassembly_errors += 1
            del self._partial[t]
            if frame.more:
                self._discarding.add(t)
            return
        if frame.more:
            return
        payload = bytes(self._partial.pop(t))
        try:
            msg = m.decode_message(t, payload)
        except m.MessageError as exc:
            self.stats.bad_messages += 1
            log.debug("link: bad message: %s", exc)
            return
        if not msg.RELIABLE:
            self.stats.bad_messages += 1  # acks and pings never come numbered
            return
        self.stats.messages_received += 1
        delivered.append(msg)

    # ---------------------------------------------------------------------------- internals

    def _rtt_sample(self, rtt_ns: int) -> None:
        r = float(max(rtt_ns, 1))
        if self._srtt_ns is None:
            self._srtt_ns = r
            self._rttvar_ns = r / 2
        else:
            self._rttvar_ns = 0.75 * self._rttvar_ns + 0.25 * abs(self._srtt_ns - r)
            self._srtt_ns = 0.875 * self._srtt_ns + 0.125 * r
        s = self.settings
        rto = self._srtt_ns + max(1e6, 4 * self._rttvar_ns)
        self._rto_ns = round(min(max(rto, s.rto_min_s * NS_PER_S), s.rto_max_s * NS_PER_S))
        self.stats.srtt_ms = self._srtt_ns / 1e6

    def _frame_acked(self, ticket_id: int) -> None:
        ticket = self._tickets.get(ticket_id)
        if ticket is None:
            return
        ticket.frames -= 1
        if ticket.complete and ticket.frames == 0:
            del self._tickets[ticket_id]
            self.stats.messages_acked += 1
            self._settle(ticket_id, True)

    def _settle(self, ticket: int, acked: bool) -> None:
        if self.on_settled is not None:
            self.on_settled(ticket, acked)

    def _die(self, reason: str) -> None:
        self.dead_reason = reason
        log.info("link dead: %s", reason)

    def close(self) -> list[int]:
        """Stop: the tickets never acknowledged (their messages may or may not have arrived)."""
        if not self.dead_reason:
            self.dead_reason = "closed"
        left = list(self._tickets)
        self._tickets.clear()
        for queue in self._queues:
            queue.clear()
        self._inflight.clear()
        for ticket in left:
            self._settle(ticket, False)
        return left
