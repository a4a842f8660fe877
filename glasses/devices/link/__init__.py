"""The glasses link: the companion's side of the wire protocol to the glasses' MCU.

``framing`` (frames, CRC), ``messages`` (the typed vocabulary), ``session`` (fragments, acks,
retransmission, heartbeats; sans-I/O), ``pairing`` (HMAC-SHA256 challenge/response),
``connection`` (a session on the event loop), ``transport`` (TCP / Unix / in-memory wires, the
link model and a modelled network), ``client`` (one link kept up: reconnect and resume),
``devices`` (``link://`` camera, microphone, display, inputs, capture LED), ``progressive``
(bitmaps coarse first), ``power`` (battery-driven degrade modes), ``adpcm`` (the microphone
codec), ``fuzz`` and ``testing`` (the receive path's fuzzer, test helpers). The specification
is docs/protocol.md; the glasses' side is ``firmware_stubs``.
"""
