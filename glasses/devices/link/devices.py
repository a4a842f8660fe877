"""Device backends over the glasses link: ``link://HOST:PORT`` cameras, microphones, the
display, inputs and the capture LED, all sharing one ``LinkClient``.

They follow the device protocols (``glasses.devices.protocols``) and never block the event
loop: data arrives pushed over the link and is kept for the next ``read``.

* ``LinkCamera.read()`` returns the newest frame not yet read; if none has arrived since, the
  previous one again (``repeats``; a slow link lowers the rate of new frames, not the loop's)
  and, before the first, a mid-grey frame of the requested size (``placeholders``), as the
  simulated camera does. With ``adaptive`` it lowers the resolution when frames arrive at
  under 70 % of the rate asked, before the frame rate, and raises it again when they keep up.
* ``LinkMicrophone.read()`` plays out a jitter buffer: audio is placed by its sample index,
  the first ``jitter_ms`` are buffered before anything is played, a sample still missing when
  its turn comes is played as silence (``concealed_samples``) and one arriving after its turn
  is dropped (``late_samples``): latency stays bounded and every loss is counted.
* A read while the link is down raises ``DeviceDisconnected``: the device loops publish
  ``DeviceLost`` and reopen with back-off; ``open()`` succeeds once the client has
  reconnected (on a worker thread it waits for that up to ``connect_timeout_s``).
* ``LinkDisplay.draw(text)`` sends ``Clear, Text…, Page``; ``show_image`` sends a progressive
  bitmap. Either replaces the other's commands still waiting, and the display's content is
  re-sent after a reconnection.
* ``LinkIndicator.on`` is what the glasses report their LED to be (``LedState``), so a device
  loop only publishes once the glasses confirm the LED is lit.
"""

from __future__ import annotations

import asyncio
import functools
import threading
from collections import deque

import cv2
import numpy as np

from glasses.devices._fifo import SampleFifo
from glasses.devices.errors import DeviceDisconnected, DeviceNotFound
from glasses.devices.event_queue import EventQueue
from glasses.devices.link import adpcm, progressive
from glasses.devices.link import messages as m
from glasses.devices.link.client import LinkClient
from glasses.hud.profile import DisplayProfile
from glasses.runtime.clock import NS_PER_S
from glasses.runtime.events import Event, Swipe, Tap

CONNECT_TIMEOUT_S = 10.0
# Resolutions the adaptive camera steps through (px), largest first.
LADDER: tuple[tuple[int, int], ...] = ((640, 480), (320, 240), (160, 120))


def _on_loop_thread() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _ensure_connected(client: LinkClient, kind: str, timeout_s: float) -> None:
    """Start the client if needed; raise ``DeviceNotFound`` unless it is (or gets) paired."""
    if not client.started:
        if _on_loop_thread():
            client.start_here()
        else:
            client.start_thread()
    if client.connected:
        return
    if not _on_loop_thread() and client.wait_connected_blocking(timeout_s):
        return
    raise DeviceNotFound(
        kind,
        client.uri,
        f"the glasses are not connected ({client.last_error or 'connecting'})",
        "start them (python -m firmware_stubs) and check the address and the pairing key",
    )


class LinkCamera:
    """A ``Camera`` streaming JPEG frames from the glasses (see the module doc)."""

    live = True

    def __init__(
        self,
        client: LinkClient,
        *,
        width: int = 640,
        height: int = 480,
        quality: int = 80,
        fps: float = 10.0,
        adaptive: bool = False,
        connect_timeout_s: float = CONNECT_TIMEOUT_S,
        uri: str = "",
    ) -> None:
        self.client = client
        self.uri = uri or client.uri
        self.base_fps = float(fps)  # frames/s asked for; ``fps`` is after the degrade scale
        self.width = 0
        self.height = 0
        self.quality = quality
        self.adaptive = adaptive
        self.connect_timeout_s = connect_timeout_s
        self.requested = (width, height)
        self.size = (width, height)  # adaptive: what the link carries (at most the request)
        self.max_width: int | None = None  # a cap by the power governor (degrade modes)
        self.fps_scale = 1.0  # likewise
        self.frames = 0  # frames received
        self.repeats = 0
        self.placeholders = 0
        self.adaptations: list[tuple[int, tuple[int, int]]] = []  # (t_ns, new size)
        self._lock = threading.Lock()
        self._jpeg: bytes | None = None
        self._last: np.ndarray | None = None
        self._open = False
        self._arrivals: deque[int] = deque(maxlen=64)  # arrival times (ns)
        self._last_frame_no: int | None = None
        self._since_change_ns = 0
        client.subscribe(m.CameraFrame, self._frame)

    @property
    def asked(self) -> tuple[int, int, float]:
        """(width, height, fps) asked of the glasses now: the adaptive size within the power
        governor's cap (one ``LADDER`` step at a time), the frame rate times its scale."""
        w, h = self.size
        if self.max_width is not None and w > self.max_width:
            w, h = next(((lw, lh) for lw, lh in LADDER if lw <= self.max_width), LADDER[-1])
        return w, h, self.fps

    @property
    def fps(self) -> float:
        """The frame rate asked of the glasses (and read at): the base times the degrade
        scale, at least 0.5 frames/s."""
        return max(0.5, self.base_fps * self.fps_scale)

    @fps.setter
    def fps(self, value: float) -> None:
        self.base_fps = float(value)

    def limit(self, max_width: int | None = None, fps_scale: float = 1.0) -> None:
        """Cap the resolution (px wide; None: no cap) and scale the frame rate (degrade
        modes); the glasses are told at once if the camera streams."""
        if (max_width, fps_scale) == (self.max_width, self.fps_scale):
            return
        self.max_width, self.fps_scale = max_width, fps_scale
        if self._open:
            self.client.want("camera", [self._control()])

    def _control(self) -> m.CameraControl:
        w, h, fps = self.asked
        return m.CameraControl(
            mode=m.CaptureMode.STREAM, width=w, height=h, quality=self.quality, fps=fps
        )

    def describe(self) -> str:
        """``"{uri} (640×480 @ 30 fps)"``: the URI and what ``open()`` found."""
        return f"{self.uri} ({self.width}×{self.height} @ {self.fps:g} fps)"

    def open(self) -> None:
        if self._open:
            return
        _ensure_connected(self.client, "camera", self.connect_timeout_s)
        self._open = True
        self.width, self.height, _ = self.asked
        self._since_change_ns = self.client.clock.now_ns()
        self.client.want("camera", [self._control()])

    def _frame(self, msg: m.CameraFrame) -> None:
        if not self._open:
            return
        now = self.client.clock.now_ns()
        with self._lock:
            self._jpeg = msg.jpeg
            self.frames += 1
            self._arrivals.append(now)
        if self.adaptive:
            self._adapt(now)

    def _adapt(self, now: int) -> None:
        """Resolution first: at under 70 % of the rate asked for 2 s, a step down; at 95 %
        or more for 10 s, a step up."""
        arrivals = [t for t in self._arrivals if t > now - 2 * NS_PER_S]
        if now - self._since_change_ns < 2 * NS_PER_S:
            return
        rate = len(arrivals) / 2.0
        fps = self.asked[2]
        step = LADDER.index(self.size) if self.size in LADDER else 0
        new = self.size
        if rate < 0.7 * fps and step + 1 < len(LADDER):
            new = LADDER[step + 1]
        elif (
            rate >= 0.95 * fps
            and step > 0
            and now - self._since_change_ns >= 10 * NS_PER_S
            and LADDER[step - 1][0] <= self.requested[0]
        ):
            new = LADDER[step - 1]
        if new != self.size:
            self.size = new
            self._since_change_ns = now
            self.adaptations.append((now, new))
            self.client.want("camera", [self._control()])

    def read(self) -> np.ndarray | None:
        if not self._open:
            return None
        if not self.client.connected:
            raise DeviceDisconnected(
                "camera", self.uri, f"the glasses link is down ({self.client.last_error})",
                "it reconnects by itself when the glasses are back in range",
            )  # fmt: skip
        with self._lock:
            jpeg, self._jpeg = self._jpeg, None
        if jpeg is not None:
            image = cv2.imdecode(np.frombuffer(jpeg, dtype=np.uint8), cv2.IMREAD_COLOR)
            if image is not None:
                self._last = image
                self.height, self.width = image.shape[:2]
                return image.copy()
        if self._last is not None:
            self.repeats += 1
            return self._last.copy()
        self.placeholders += 1
        w, h, _ = self.asked
        return np.full((h, w, 3), 128, dtype=np.uint8)

    def close(self) -> None:
        if self._open:
            self._open = False
            self.client.want("camera", [m.CameraControl(mode=m.CaptureMode.STOP)])
            self.client.want("camera", [])


class LinkMicrophone:
    """A ``Microphone`` streaming 16 kHz audio from the glasses (see the module doc)."""

    live = True
    sample_rate = m.MIC_RATE

    def __init__(
        self,
        client: LinkClient,
        *,
        chunk_samples: int = 512,
        codec: m.AudioCodec = m.AudioCodec.PCM16,
        frame_ms: int = 20,
        jitter_ms: float = 120.0,
        connect_timeout_s: float = CONNECT_TIMEOUT_S,
        uri: str = "",
    ) -> None:
        if chunk_samples < 1:
            raise ValueError(f"chunk_samples must be >= 1, got {chunk_samples}")
        self.client = client
        self.uri = uri or client.uri
        self.chunk_samples = chunk_samples
        self.codec = codec
        self.frame_ms = frame_ms
        self.jitter_samples = round(jitter_ms * m.MIC_RATE / 1000)
        self.connect_timeout_s = connect_timeout_s
        self.received_samples = 0
        self.concealed_samples = 0
        self.late_samples = 0
        self.bad_frames = 0  # frames whose audio did not decode
        self._lock = threading.Lock()
        self._frames: dict[int, np.ndarray] = {}  # by first sample index
        self._play = -1  # index of the next sample to play; -1 before the first frame
        self._buffering = True
        self._head = 0  # end index of the newest audio received
        self._out = SampleFifo()
        self._open = False
        client.subscribe(m.MicFrame, self._frame)

    def describe(self) -> str:
        """``"{uri} (16 kHz mono)"``: the URI and what it delivers."""
        return f"{self.uri} ({self.sample_rate / 1000:g} kHz mono)"

    def open(self) -> None:
        if self._open:
            return
        _ensure_connected(self.client, "microphone", self.connect_timeout_s)
        with self._lock:
            self._frames.clear()
            self._play = -1
            self._buffering = True
            self._out.clear()
        self._open = True
        self.client.want(
            "microphone", [m.MicControl(on=1, codec=int(self.codec), frame_ms=self.frame_ms)]
        )

    def _frame(self, msg: m.MicFrame) -> None:
        if not self._open:
            return
        try:
            if msg.codec == m.AudioCodec.IMA_ADPCM:
                samples = adpcm.decode(msg.data)
            else:
                samples = np.frombuffer(msg.data, dtype="<i2").astype(np.int16)
        except ValueError:
            self.bad_frames += 1  # concealed as silence when its turn comes
            return
        with self._lock:
            if self._play < 0 or msg.index < self._play - 10 * m.MIC_RATE:
                # the first frame, or a stream restarted (its index went back): a new time line
                self._frames.clear()
                self._play = msg.index
                self._buffering = True
            end = msg.index + len(samples)
            if end <= self._play:
                self.late_samples += len(samples)
                return
            self._frames[msg.index] = samples
            self._head = max(self._head, end)
            self.received_samples += len(samples)

    def _take(self, n: int) -> np.ndarray:
        """``n`` samples from the play position: what arrived, silence where nothing did."""
        out = np.zeros(n, dtype=np.int16)
        start, stop = self._play, self._play + n
        have = 0
        for index in sorted(self._frames):
            samples = self._frames[index]
            end = index + len(samples)
            if end <= start:
                del self._frames[index]
                continue
            if index >= stop:
                break
            lo, hi = max(index, start), min(end, stop)
            out[lo - start : hi - start] = samples[lo - index : hi - index]
            have += hi - lo
            if end <= stop:
                del self._frames[index]
        self.concealed_samples += n - have
        self._play = stop
        return out

    def read(self) -> np.ndarray | None:
        if not self._open:
            return None
        if not self.client.connected:
            raise DeviceDisconnected(
                "microphone", self.uri, f"the glasses link is down ({self.client.last_error})",
                "it reconnects by itself when the glasses are back in range",
            )  # fmt: skip
        n = self.chunk_samples
        with self._lock:
            if self._buffering:
                if self._play < 0 or self._head - self._play < self.jitter_samples:
                    return np.zeros(n, dtype=np.int16)  # pre-roll while the buffer fills
                self._buffering = False
            return self._take(n)

    def close(self) -> None:
        if self._open:
            self._open = False
            self.client.want("microphone", [m.MicControl(on=0)])
            self.client.want("microphone", [])


class LinkDisplay:
    """The glasses' display as a ``Display``: ``draw(text)`` shows lines of text laid out as
    the HUD lays them out on ``profile`` (one line per ``DisplayText``)."""

    TEXT_GROUP = "display:text"

    def __init__(self, client: LinkClient, profile: DisplayProfile) -> None:
        self.client = client
        self.profile = profile
        self.text = ""
        self.history: list[tuple[int, str]] = []
        self.pages_sent: list[int] = []
        self.pages_acked: list[int] = []  # pages the glasses acknowledged, in ack order
        self.brightness = 100
        self._page = 0
        self._tickets: dict[int, int] = {}  # ticket → page
        self._acks: list[asyncio.Future[bool]] = []  # pages' acknowledgements still awaited
        self._sender = progressive.ProgressiveSender(
            lambda msg, group: self._send(msg, group), self._cancel_group, self._next_page
        )
        self._image: tuple[np.ndarray, int, int, int, int] | None = None
        client.on_connect(self._resend)

    def _next_page(self) -> int:
        self._page += 1
        self.pages_sent.append(self._page)
        return self._page

    def _cancel_group(self, group: str) -> int:
        return self.client.cancel(group)

    def _send(self, msg: m.Message, group: str) -> int:
        ticket = self.client.send(msg, group=group)
        if ticket is None:
            return 0
        if isinstance(msg, m.DisplayPage):
            self._tickets[ticket] = msg.page
            conn = self.client.conn
            if conn is not None:
                ack = conn.acked(ticket)
                ack.add_done_callback(functools.partial(self._acked, ticket))
                self._acks.append(ack)
        return ticket

    async def settled(self, timeout_s: float) -> bool:
        """Wait until every page sent so far is acknowledged or given up on; False when
        ``timeout_s`` (runtime clock seconds) passes first."""
        pending, self._acks = [a for a in self._acks if not a.done()], []
        if not pending:
            return True
        try:
            await asyncio.wait_for(asyncio.gather(*pending, return_exceptions=True), timeout_s)
        except TimeoutError:
            return False
        return True

    def _acked(self, ticket: int, fut: asyncio.Future[bool]) -> None:
        page = self._tickets.pop(ticket, None)
        if fut.result() and page is not None:
            self.pages_acked.append(page)

    def commands_for(self, text: str) -> list[m.Message]:
        """The display commands that draw ``text`` (before its ``DisplayPage``)."""
        p = self.profile
        cmds: list[m.Message] = [m.DisplayClear(0)]
        for i, line in enumerate(text.split("\n") if text else []):
            y = p.margin_px + i * p.line_height_px
            if y >= p.height_px:
                break
            if line:
                cmds.append(
                    m.DisplayText(x=p.margin_px, y=y, size=p.font_px, colour=p.fg, text=line)
                )
        return cmds

    def draw(self, text: str) -> None:
        if not isinstance(text, str):
            raise TypeError(f"draw() takes the text to show, got {type(text).__name__}")
        self.text = text
        self._image = None
        self.history.append((self.client.clock.now_ns(), text))
        self.client.call(self._push_text)

    def _push_text(self) -> None:
        self.client.cancel(self.TEXT_GROUP)
        self.client.cancel(progressive.ProgressiveSender.GROUP)
        for cmd in self.commands_for(self.text):
            self._send(cmd, self.TEXT_GROUP)
        self._send(m.DisplayPage(self._next_page()), self.TEXT_GROUP)

    def show_image(self, indices: np.ndarray, *, x: int = 0, y: int = 0, passes: int = 5) -> None:
        """Show an image of palette indices (H×W) progressively; it replaces the text."""
        bpp = 1 if self.profile.colours == 2 else 4
        self._image = (np.array(indices, dtype=np.uint8), x, y, bpp, passes)
        self.text = ""

        def push() -> None:
            self.client.cancel(self.TEXT_GROUP)
            if self._image is not None:
                image, ix, iy, ibpp, ipasses = self._image
                self._sender.show(image, x=ix, y=iy, bpp=ibpp, passes=ipasses)

        self.client.call(push)

    def set_brightness(self, percent: int) -> None:
        self.brightness = percent
        self.client.want("brightness", [m.DisplayBrightness(percent)])

    def _resend(self) -> None:
        """After a reconnection: show again what should be shown."""
        if self._image is not None:
            image, x, y, bpp, passes = self._image
            self.client.cancel(self.TEXT_GROUP)
            self._sender.show(image, x=x, y=y, bpp=bpp, passes=passes)
        else:
            self._push_text()

    @property
    def cancelled_image_messages(self) -> int:
        return self._sender.cancelled


class LinkInputs:
    """The glasses' touch pad and buttons as runtime events (``Inputs``): a tap or the button
    is ``Tap(count=1)``, a double tap ``Tap(count=2)``, swipes ``Swipe``; stamped with their
    arrival on the runtime clock."""

    def __init__(self, client: LinkClient, *, source: str = "touchpad") -> None:
        self.client = client
        self.source = source
        self._queue = EventQueue()
        client.subscribe(m.InputEvent, self._input)

    def _input(self, msg: m.InputEvent) -> None:
        t = self.client.clock.now_ns()
        kind = m.InputKind(msg.kind)
        event: Event
        if kind in (m.InputKind.SWIPE_FORWARD, m.InputKind.SWIPE_BACK):
            direction = "forward" if kind == m.InputKind.SWIPE_FORWARD else "back"
            event = Swipe(t_ns=t, source=self.source, direction=direction)
        else:
            event = Tap(
                t_ns=t, source=self.source, count=2 if kind == m.InputKind.DOUBLE_TAP else 1
            )
        self._queue.put(event)

    async def get(self) -> Event:
        return await self._queue.get()


class LinkIndicator:
    """The glasses' capture LED (``Indicator``). ``set`` asks for it; ``on`` is what the
    glasses report it to be (they also light it themselves while capturing)."""

    def __init__(self, client: LinkClient) -> None:
        self.client = client
        self.requested = False
        self.transitions: list[tuple[int, bool]] = []
        self._on = False
        client.subscribe(m.LedState, self._state)

    @property
    def on(self) -> bool:
        return self._on and self.client.connected

    @on.setter
    def on(self, value: bool) -> None:  # the Indicator protocol's attribute: same as set()
        self.set(value)

    def _state(self, msg: m.LedState) -> None:
        lit = bool(msg.on)
        if lit != self._on:
            self._on = lit
            self.transitions.append((self.client.clock.now_ns(), lit))

    def set(self, on: bool) -> None:
        self.requested = bool(on)
        self.client.want("led", [m.LedControl(on=int(self.requested))])


_CLIENTS: dict[str, LinkClient] = {}
_CLIENTS_LOCK = threading.Lock()


def client_for(kind: str, uri: str) -> LinkClient:
    """The shared ``LinkClient`` of the glasses at ``uri`` (``link://HOST:PORT`` or
    ``link+unix:///PATH``), made on first use with the pairing key (``GLASSES_LINK_KEY`` or
    the key file); ``BadDeviceUri`` / ``DeviceNotFound`` say what is wrong."""
    from glasses.devices.errors import BadDeviceUri
    from glasses.devices.link.pairing import KEY_ENV, load_key
    from glasses.devices.link.transport import parse_link_uri

    try:
        address = parse_link_uri(uri)
    except ValueError as exc:
        raise BadDeviceUri(kind, uri, str(exc), "write link://HOST:PORT") from None
    with _CLIENTS_LOCK:
        client = _CLIENTS.get(str(address))
        if client is None:
            try:
                key = load_key()
            except (ValueError, OSError) as exc:
                raise DeviceNotFound(
                    kind, uri, f"bad pairing key: {exc}", f"fix {KEY_ENV}"
                ) from None
            if key is None:
                raise DeviceNotFound(
                    kind,
                    uri,
                    "no pairing key for the glasses link",
                    f"run `python -m firmware_stubs pair` or set {KEY_ENV} (64 hex digits)",
                )
            client = LinkClient(address, key, uri=str(address))
            _CLIENTS[str(address)] = client
        return client
