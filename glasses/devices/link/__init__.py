"""The glasses link: the companion's side of the wire protocol to the glasses' MCU.

``framing`` (frames, CRC), ``messages`` (the typed vocabulary), ``session`` (fragments, acks,
retransmission, heartbeats; sans-I/O), ``pairing`` (HMAC-SHA256 challenge/response),
``connection`` (a session on the event loop), ``transport`` (TCP / Unix / in-memory wires and
the link model). The specification is docs/protocol.md.
"""
