"""Simulator-driven devices: the scenario player feeds them, tests inspect what they recorded.

* ``SimCamera``: shows whatever image the scenario last ``show()``-ed (blank grey by default).
* ``SimMicrophone``: plays what the scenario ``feed()``-s, then a low noise floor (never digital
  silence: real microphones always hiss, and code that only works on exact zeros must fail here).
* ``SimDisplay``, ``SimSpeaker``, ``SimIndicator``: record every output with its clock time.
* ``SimInputs``: the scenario ``tap()``-s, the runtime receives ``Tap`` events.

Camera and microphone are ``live``: ``unplug()`` makes reads fail and reopening fail until
``plug()``, which exercises the DeviceLost / DeviceRestored path of the device loops.
"""

from __future__ import annotations

import asyncio
from collections import deque

import cv2
import numpy as np

from glasses.devices._fifo import SampleFifo
from glasses.devices.errors import DeviceDisconnected, DeviceNotFound
from glasses.devices.resample import TARGET_RATE, to_mono_16k
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
    """A camera whose view the simulator sets with ``show(image)``; ``fps`` in frames/s."""

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
        self._image = np.full((height, width, 3), 128, dtype=np.uint8)
        self._open = False
        self._plugged = True
        self.opens = 0  # successful open() calls (reconnections included)

    def show(self, image: np.ndarray) -> None:
        """What the camera sees from now on: H×W×3 uint8 BGR (gray and BGRA are converted)."""
        self._image = _as_bgr(image)
        if self._open:
            self.height, self.width = self._image.shape[:2]

    def unplug(self) -> None:
        self._plugged = False

    def plug(self) -> None:
        self._plugged = True

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
        return self._image.copy()  # consumers may draw on their frame

    def close(self) -> None:
        self._open = False


class SimMicrophone:
    """A microphone playing what is ``feed()``-ed, padded with a deterministic noise floor.

    Output: 16 000 Hz mono int16 in chunks of ``chunk_samples`` (512 = 32 ms). ``noise_std`` is
    the noise floor's standard deviation in int16 LSB (8 ≈ -72 dBFS); ``seed`` makes it
    reproducible.
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
    ) -> None:
        if chunk_samples < 1:
            raise ValueError(f"chunk_samples must be >= 1, got {chunk_samples}")
        if not noise_std > 0:
            raise ValueError(f"noise_std must be > 0 LSB (never digital silence), got {noise_std}")
        self.uri = uri
        self.chunk_samples = chunk_samples
        self.noise_std = noise_std
        self._rng = np.random.default_rng(seed)
        self._queue = SampleFifo()
        self._open = False
        self._plugged = True
        self.opens = 0

    @property
    def pending(self) -> int:
        """Samples fed but not yet read."""
        return len(self._queue)

    def feed(self, samples: np.ndarray, sample_rate: int = TARGET_RATE) -> None:
        """Queue audio to be "heard": any PCM dtype/channels at ``sample_rate`` Hz."""
        arr = np.asarray(samples)
        if arr.dtype == np.int16 and arr.ndim == 1 and sample_rate == TARGET_RATE:
            self._queue.push(arr.copy())
        else:
            self._queue.push(to_mono_16k(arr, sample_rate))

    def clear(self) -> None:
        """Drop everything queued."""
        self._queue.clear()

    def unplug(self) -> None:
        self._plugged = False

    def plug(self) -> None:
        self._plugged = True

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
        chunk = self._queue.pop(self.chunk_samples)
        if len(chunk) < self.chunk_samples:
            chunk = np.concatenate([chunk, self._noise(self.chunk_samples - len(chunk))])
        return chunk

    def close(self) -> None:
        self._open = False


class SimDisplay:
    """Records every ``draw`` as ``(t_ns, text)`` in ``history``; ``text`` is shown now."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self.text = ""
        self.history: list[tuple[int, str]] = []

    def draw(self, text: str) -> None:
        if not isinstance(text, str):
            raise TypeError(f"draw() takes the text to show, got {type(text).__name__}")
        self.text = text
        self.history.append((self._clock.now_ns(), text))


class SimSpeaker:
    """Records ``(t_ns, samples, sample_rate)`` in ``played`` and stop times in ``stopped``.

    ``playing`` is True until the last clip's duration has elapsed on the clock or ``stop()``.
    """

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self.played: list[tuple[int, np.ndarray, int]] = []
        self.stopped: list[int] = []
        self._end_ns = 0

    def play(self, samples: np.ndarray, sample_rate: int) -> None:
        if sample_rate <= 0:
            raise ValueError(f"sample_rate must be > 0 Hz, got {sample_rate}")
        arr = np.array(samples, copy=True)
        now = self._clock.now_ns()
        self.played.append((now, arr, sample_rate))
        # A new clip replaces the current one, as on the device.
        self._end_ns = now + len(arr) * 1_000_000_000 // sample_rate

    def stop(self) -> None:
        now = self._clock.now_ns()
        self.stopped.append(now)
        self._end_ns = min(self._end_ns, now)

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
        self._events: deque[Event] = deque()
        # Created per wait, not in __init__: the device may outlive one event loop (tests).
        self._waiter: asyncio.Future[None] | None = None

    def tap(self, count: int = 1) -> Tap:
        """A tap (``count`` 1) or double tap (2) now."""
        if count not in (1, 2):
            raise ValueError(f"count must be 1 or 2, got {count}")
        event = Tap(t_ns=self._clock.now_ns(), source=self.source, count=count)
        self.put(event)
        return event

    def put(self, event: Event) -> None:
        self._events.append(event)
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    async def get(self) -> Event:
        while not self._events:
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        return self._events.popleft()
