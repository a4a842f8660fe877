"""Simulator-driven devices: the scenario player feeds them, tests inspect what they recorded.

* ``SimCamera``: shows whatever image the scenario last ``show()``-ed (blank grey by default),
  and numbers what it shows (``view``): perception skips work on a view it has already seen.
* ``SimMicrophone``: plays what the scenario ``feed()``-s, then a low noise floor (never digital
  silence: real microphones always hiss, and code that only works on exact zeros must fail here).
* ``SimDisplay``, ``SimSpeaker``, ``SimIndicator``: record every output with its clock time.
* ``SimInputs``: the scenario ``tap()``-s, the runtime receives ``Tap`` events.

Camera and microphone are ``live``: ``unplug()`` makes reads fail and reopening fail until
``plug()``, which exercises the DeviceLost / DeviceRestored path of the device loops.
"""

from __future__ import annotations

from collections import deque

import cv2
import numpy as np

from glasses.devices._fifo import SampleFifo
from glasses.devices.errors import DeviceDisconnected, DeviceNotFound
from glasses.devices.event_queue import EventQueue
from glasses.devices.resample import (
    TARGET_RATE,
    StreamingResampler,
    resample_float,
    to_int16,
)
from glasses.runtime.clock import Clock
from glasses.runtime.events import Event, Tap


def _as_bgr(image: np.ndarray) -> np.ndarray:
    arr = np.asarray(image)
    if arr.dtype != np.uint8:
        raise ValueError(f"images must be uint8, got {arr.dtype}")
    if arr.ndim == 2:
        return cv2.cvtColor(arr, cv2.COLOR_GRAY2BGR)
    if arr.ndim == 3 and arr.shape[2] == 3:
        return arr.copy()
    if arr.ndim == 3 and arr.shape[2] == 4:
        return cv2.cvtColor(arr, cv2.COLOR_BGRA2BGR)
    raise ValueError(f"images must be H×W, H×W×3 (BGR) or H×W×4, got shape {arr.shape}")


class SimCamera:
    """A camera whose view the simulator sets with ``show(image)``; ``fps`` in frames/s.

    ``view`` counts the images shown (0: the grey one it starts with); every frame of one view
    is the same read-only array (a consumer that draws on a frame copies it first, as every
    one does), so a 30 fps camera costs no copy per frame.
    """

    live = True

    def __init__(
        self, width: int = 640, height: int = 480, fps: float = 15.0, *, uri: str = "sim:"
    ) -> None:
        if width < 1 or height < 1 or not fps > 0:
            raise ValueError(
                f"need width, height >= 1 px and fps > 0, got {width}, {height}, {fps}"
            )
        self.uri = uri
        self.fps = float(fps)
        self.width = 0  # px, set by open()
        self.height = 0
        self._image = _frozen(np.full((height, width, 3), 128, dtype=np.uint8))
        self.view = 0
        self._open = False
        self._plugged = True
        self.opens = 0  # successful open() calls (reconnections included)

    def show(self, image: np.ndarray) -> None:
        """What the camera sees from now on: H×W×3 uint8 BGR (gray and BGRA are converted)."""
        self._image = _frozen(_as_bgr(image))
        self.view += 1
        if self._open:
            self.height, self.width = self._image.shape[:2]

    def unplug(self) -> None:
        self._plugged = False

    def plug(self) -> None:
        self._plugged = True

    def describe(self) -> str:
        """``"{uri} (640×480 @ 30 fps)"``: the URI and what ``open()`` found."""
        return f"{self.uri} ({self.width}×{self.height} @ {self.fps:g} fps)"

    def open(self) -> None:
        if self._open:
            return
        if not self._plugged:
            raise DeviceNotFound(
                "camera",
                self.uri,
                "the simulated camera is unplugged",
                "plug() it back in (scenario: replug the camera)",
            )
        self._open = True
        self.opens += 1
        self.height, self.width = self._image.shape[:2]

    def read(self) -> np.ndarray | None:
        if not self._open:
            return None
        if not self._plugged:
            raise DeviceDisconnected(
                "camera", self.uri, "the simulated camera was unplugged", "plug() it back in"
            )
        return self._image  # read-only: a consumer that draws on its frame copies it

    def close(self) -> None:
        self._open = False


def _frozen(image: np.ndarray) -> np.ndarray:
    image.flags.writeable = False
    return image


class SimEchoPath:
    """The acoustic path from the glasses' speaker to their microphone: what the speaker
    plays comes back ``delay_ms`` later, ``attenuation_db`` quieter and slightly muffled (a short
    low-pass, the frame and the skull in between).

    ``SimSpeaker(echo=path)`` calls ``play``/``stop``; ``SimMicrophone(echo=path)`` mixes
    ``render(n)`` into every read. ``rate`` is the microphone's native rate (Hz). A ``stop``
    (barge-in) cuts the echo after the sound already in flight (the delay).

    With the runtime ``clock``, the echo starts ``delay_ms`` after the moment ``play`` was
    called, wherever that falls inside the microphone's current chunk; without it, at the start
    of the next ``render``. (Chunk-aligned echo drifted by up to a chunk, 32 ms, from one reply
    to the next: an echo canceller that had learnt one reply's offset took the next for an
    echo path change and restarted.)
    """

    def __init__(
        self,
        rate: int = TARGET_RATE,
        *,
        delay_ms: float = 80.0,
        attenuation_db: float = 10.0,
        clock: Clock | None = None,
    ) -> None:
        if rate <= 0:
            raise ValueError(f"rate must be > 0 Hz, got {rate}")
        if not 0.0 <= delay_ms <= 500.0:
            raise ValueError(f"delay_ms must be within 0..500 ms, got {delay_ms}")
        if attenuation_db < 0:
            raise ValueError(f"attenuation_db must be >= 0 dB, got {attenuation_db}")
        self.rate = rate
        self.delay_samples = round(delay_ms * rate / 1000)
        self.gain = 10 ** (-attenuation_db / 20)
        self._pending = np.zeros(0, dtype=np.float64)
        self._clock = clock
        self._rendered_ns: int | None = None  # when the last render() took its samples

    def play(self, samples: np.ndarray, sample_rate: int) -> None:
        """The speaker starts ``samples`` (any PCM at ``sample_rate`` Hz), replacing any clip."""
        clip = resample_float(np.asarray(samples), sample_rate, self.rate) * 32768.0
        # Room colouring: a 3-tap low-pass (the echo is duller than the clip).
        coloured = np.convolve(clip, [0.25, 0.5, 0.25], mode="same") * self.gain
        lag = 0  # samples to come that go by before the clip starts (< 0: captured ahead)
        if self._clock is not None and self._rendered_ns is not None:
            lag = (self._clock.now_ns() - self._rendered_ns) * self.rate // 1_000_000_000
        lead = max(0, self.delay_samples + lag)
        in_flight = self._pending[:lead]
        head = np.zeros(lead)
        head[: len(in_flight)] = in_flight
        self._pending = np.concatenate([head, coloured])

    def stop(self) -> None:
        """Playback cut: only the sound already on its way (``delay_ms``) still arrives."""
        self._pending = self._pending[: self.delay_samples].copy()

    def render(self, n: int, ahead: int = 0) -> np.ndarray:
        """The next ``n`` samples of echo at the microphone (float, int16 units).

        ``ahead``: how many of them lie after the clock's present. A microphone that resamples
        captures past the present by what its resampler holds back (``SimMicrophone``), and a
        clip played now must start that much earlier in the samples still to come.
        """
        if self._clock is not None:
            self._rendered_ns = self._clock.now_ns() + ahead * 1_000_000_000 // self.rate
        out = np.zeros(n, dtype=np.float64)
        take = self._pending[:n]
        out[: len(take)] = take
        self._pending = self._pending[n:]
        return out

    @property
    def active(self) -> bool:
        return bool(len(self._pending))


class SimMicrophone:
    """A microphone playing what is ``feed()``-ed, padded with a deterministic noise floor.

    Output: 16 000 Hz mono int16 in chunks of ``chunk_samples`` (512 = 32 ms). ``noise_std`` is
    the noise floor's standard deviation in int16 LSB (8 ≈ -72 dBFS); ``seed`` makes it
    reproducible.

    ``native_rate`` (Hz) and ``channels`` model the capsule's own format: a 48 kHz stereo
    microphone captures at 48 kHz on two channels (independent noise per channel) and its
    samples go through the streaming resampler to 16 kHz mono, the path a real USB microphone
    takes. ``echo`` mixes the glasses' own speaker back in (``SimEchoPath``).

    A read returns the chunk that ends at the present; a real device would wait for the
    resampler's hold-back (``max_hold_back_ns``), the simulated one captures that much ahead
    instead. The echo path is told, so the echo keeps its place on the time line; audio
    ``feed()``-ed now starts after what was captured ahead (up to the hold-back later).
    """

    live = True
    sample_rate = TARGET_RATE

    def __init__(
        self,
        chunk_samples: int = 512,
        *,
        noise_std: float = 8.0,
        seed: int = 0,
        uri: str = "sim:",
        native_rate: int = TARGET_RATE,
        channels: int = 1,
        echo: SimEchoPath | None = None,
    ) -> None:
        if chunk_samples < 1:
            raise ValueError(f"chunk_samples must be >= 1, got {chunk_samples}")
        if not noise_std > 0:
            raise ValueError(f"noise_std must be > 0 LSB (never digital silence), got {noise_std}")
        if not 8_000 <= native_rate <= 192_000:
            raise ValueError(f"native_rate must be within 8000..192000 Hz, got {native_rate}")
        if not 1 <= channels <= 8:
            raise ValueError(f"channels must be within 1..8, got {channels}")
        if echo is not None and echo.rate != native_rate:
            raise ValueError(
                f"the echo path runs at {echo.rate} Hz but the microphone at {native_rate} Hz"
            )
        self.uri = uri
        self.chunk_samples = chunk_samples
        self.noise_std = noise_std
        self.native_rate = native_rate
        self.channels = channels
        self.echo = echo
        self._rng = np.random.default_rng(seed)
        self._queue = SampleFifo()  # what is fed, at the native rate, mono
        self._out = SampleFifo()  # 16 kHz mono, converted, not yet read
        self._direct = native_rate == TARGET_RATE and channels == 1
        self._resampler = StreamingResampler(native_rate, TARGET_RATE)
        self._open = False
        self._plugged = True
        self.opens = 0

    @property
    def max_hold_back_ns(self) -> int:
        """The most audio the resampler holds back (ns): a read's lag behind a live capture."""
        return 0 if self._direct else round(self._resampler.max_latency_s * 1e9)

    @property
    def pending(self) -> int:
        """Samples fed but not yet read (counted at 16 kHz)."""
        return len(self._queue) * TARGET_RATE // self.native_rate + len(self._out)

    def feed(self, samples: np.ndarray, sample_rate: int = TARGET_RATE) -> None:
        """Queue audio to be "heard" after what is queued: any PCM dtype/channels at
        ``sample_rate`` Hz."""
        arr = np.asarray(samples)
        if arr.dtype == np.int16 and arr.ndim == 1 and sample_rate == self.native_rate:
            self._queue.push(arr.copy())
        else:
            self._queue.push(to_int16(resample_float(arr, sample_rate, self.native_rate)))

    def clear(self) -> None:
        """Drop everything queued."""
        self._queue.clear()
        self._out.clear()

    def unplug(self) -> None:
        self._plugged = False

    def plug(self) -> None:
        self._plugged = True

    def describe(self) -> str:
        """``"{uri} (16 kHz mono)"``: the URI and what it delivers."""
        return f"{self.uri} ({self.sample_rate / 1000:g} kHz mono)"

    def open(self) -> None:
        if self._open:
            return
        if not self._plugged:
            raise DeviceNotFound(
                "microphone",
                self.uri,
                "the simulated microphone is unplugged",
                "plug() it back in (scenario: replug the microphone)",
            )
        self._open = True
        self.opens += 1

    def _noise(self, n: int) -> np.ndarray:
        noise = np.rint(self._rng.normal(0.0, self.noise_std, n)).astype(np.int16)
        if n and not noise.any():
            noise[0] = 1  # a vanishingly rare all-zero draw would still be digital silence
        return noise

    def _capture(self, n: int, ahead: int = 0) -> np.ndarray:
        """``n`` native-rate samples on ``channels`` channels (int16, (n,) when mono), of which
        ``ahead`` lie past the present (see ``SimEchoPath.render``)."""
        fed = self._queue.pop(n)
        if len(fed) < n:
            fed = np.concatenate([fed, self._noise(n - len(fed))])
        if self.echo is None and self.channels == 1:
            return fed
        air = fed.astype(np.float64)
        if self.echo is not None:
            air += self.echo.render(n, ahead)
        if self.channels == 1:
            return np.clip(np.rint(air), -32768, 32767).astype(np.int16)
        # Each capsule hears the same sound with its own noise.
        columns = [air] + [air + self._noise(n) for _ in range(self.channels - 1)]
        return np.clip(np.rint(np.stack(columns, axis=1)), -32768, 32767).astype(np.int16)

    def read(self) -> np.ndarray | None:
        if not self._open:
            return None
        if not self._plugged:
            raise DeviceDisconnected(
                "microphone",
                self.uri,
                "the simulated microphone was unplugged",
                "plug() it back in",
            )
        if self._direct:
            return self._capture(self.chunk_samples)
        block = -(-self.chunk_samples * self.native_rate // TARGET_RATE)
        while len(self._out) < self.chunk_samples:
            # Past the present once this block is in: what the resampler holds, this block,
            # and converted samples beyond the chunk about to be read (native samples).
            surplus = (len(self._out) - self.chunk_samples) * self.native_rate // TARGET_RATE
            ahead = self._resampler.latency_samples + block + surplus
            self._out.push(self._resampler.process(self._capture(block, ahead)))
        return self._out.pop(self.chunk_samples)

    def close(self) -> None:
        self._open = False


class SimDisplay:
    """Records every ``draw`` as ``(t_ns, text)`` in ``history``; ``text`` is shown now;
    ``brightness`` (%) is what the degrade modes last set."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self.text = ""
        self.history: list[tuple[int, str]] = []
        self.brightness = 100

    def set_brightness(self, percent: int) -> None:
        self.brightness = max(0, min(100, int(percent)))

    def draw(self, text: str) -> None:
        if not isinstance(text, str):
            raise TypeError(f"draw() takes the text to show, got {type(text).__name__}")
        self.text = text
        self.history.append((self._clock.now_ns(), text))


class SimSpeaker:
    """Records ``(t_ns, samples, sample_rate)`` in ``played`` and stop times in ``stopped``.

    ``played`` keeps the newest ``PLAYED_KEPT`` clips (a session of hours speaks thousands).

    ``playing`` is True until the last clip's duration has elapsed on the clock or ``stop()``.
    ``open()``/``close()`` only set ``is_open`` (``opens`` counts the opens): the simulated
    speaker records whether or not it was opened.
    """

    PLAYED_KEPT = 64

    def __init__(self, clock: Clock, *, echo: SimEchoPath | None = None, uri: str = "sim:") -> None:
        self._clock = clock
        self.uri = uri
        self.echo = echo
        self.played: deque[tuple[int, np.ndarray, int]] = deque(maxlen=self.PLAYED_KEPT)
        self.stopped: list[int] = []
        self._end_ns = 0
        self.is_open = False
        self.opens = 0

    def describe(self) -> str:
        """The URI: nothing more is known of it."""
        return self.uri

    def open(self) -> None:
        if not self.is_open:
            self.is_open = True
            self.opens += 1

    def close(self) -> None:
        self.is_open = False

    def play(self, samples: np.ndarray, sample_rate: int) -> None:
        if sample_rate <= 0:
            raise ValueError(f"sample_rate must be > 0 Hz, got {sample_rate}")
        arr = np.array(samples, copy=True)
        now = self._clock.now_ns()
        self.played.append((now, arr, sample_rate))
        # A new clip replaces the current one, as on the device.
        self._end_ns = now + len(arr) * 1_000_000_000 // sample_rate
        if self.echo is not None:
            self.echo.play(arr, sample_rate)

    def stop(self) -> None:
        now = self._clock.now_ns()
        self.stopped.append(now)
        self._end_ns = min(self._end_ns, now)
        if self.echo is not None:
            self.echo.stop()

    @property
    def playing(self) -> bool:
        return self._clock.now_ns() < self._end_ns


class SimIndicator:
    """A capture LED recording ``(t_ns, on)`` for every change in ``transitions``."""

    def __init__(self, clock: Clock | None = None) -> None:
        self._clock = clock
        self.on = False
        self.transitions: list[tuple[int, bool]] = []

    def set(self, on: bool) -> None:
        on = bool(on)
        if on != self.on:
            self.on = on
            t = self._clock.now_ns() if self._clock is not None else 0
            self.transitions.append((t, on))


class SimInputs:
    """Input events injected by the simulator (``tap()``, ``put()``), awaited with ``get()``."""

    def __init__(self, clock: Clock, *, source: str = "sim:inputs") -> None:
        self._clock = clock
        self.source = source
        self._queue = EventQueue()

    def tap(self, count: int = 1) -> Tap:
        """A tap (``count`` 1) or double tap (2) now."""
        if count not in (1, 2):
            raise ValueError(f"count must be 1 or 2, got {count}")
        event = Tap(t_ns=self._clock.now_ns(), source=self.source, count=count)
        self.put(event)
        return event

    def put(self, event: Event) -> None:
        self._queue.put(event)

    async def get(self) -> Event:
        return await self._queue.get()
