"""What the runtime needs from each device, as structural ``typing.Protocol``s.

Backends (``file:``, ``usb:``, ``sim:``) implement these without inheriting from them. The
methods are plain blocking calls; the device loops in :mod:`glasses.devices.state` run them
through ``clock.run_blocking`` so a slow driver never stalls the event loop.

Conventions, shared by every backend:

* ``open()`` is idempotent (opening an open device does nothing) and raises
  :class:`~glasses.devices.errors.DeviceError` with a one-line, actionable message.
* ``close()`` is idempotent and never raises.
* ``live`` is True for devices that can be lost and come back (USB, simulator); False for files,
  whose ``read()`` returning None means "the recording has ended", not "the device is gone".
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np

from glasses.runtime.events import Event


@runtime_checkable
class Camera(Protocol):
    """A source of H×W×3 uint8 BGR frames (OpenCV channel order).

    ``fps`` is the nominal frame rate in frames per second; ``width`` and ``height`` are in px
    and are 0 until ``open()`` succeeds.
    """

    uri: str
    fps: float
    width: int
    height: int
    live: bool

    def open(self) -> None: ...

    def read(self) -> np.ndarray | None:
        """The next frame, or None at the end of a file / after ``close()``."""
        ...

    def describe(self) -> str:
        """One line for people: the URI and what ``open()`` found, e.g. ``"file:clip.avi
        (video, 640×480 @ 15 fps)"``."""
        ...

    def close(self) -> None: ...


@runtime_checkable
class Microphone(Protocol):
    """A source of mono int16 PCM at ``sample_rate`` = 16 000 Hz (backends resample).

    ``chunk_samples`` is the number of samples ``read()`` returns (512 = 32 ms by default); the
    last chunk of a file may be shorter.
    """

    uri: str
    sample_rate: int
    chunk_samples: int
    live: bool

    def open(self) -> None: ...

    def read(self) -> np.ndarray | None:
        """The next chunk (1-D int16, 16 kHz), or None at the end of a file / after close."""
        ...

    def describe(self) -> str:
        """One line for people: the URI, what ``open()`` found and what it is served as, e.g.
        ``"file:talk.wav (WAV 44100 Hz, 2 ch, 2.00 s → 16 kHz mono)"``."""
        ...

    def close(self) -> None: ...


@runtime_checkable
class Display(Protocol):
    """The HUD. ``draw`` replaces what is shown; ``text`` is what is shown now ("" = blank)."""

    text: str

    def draw(self, text: str) -> None: ...


@runtime_checkable
class Speaker(Protocol):
    """Audio output. ``play`` starts playback and returns at once; ``stop`` cuts it (barge-in).

    ``samples`` is int16 PCM, 1-D (mono) or (samples, channels); ``sample_rate`` in Hz. A new
    ``play`` replaces the clip playing. ``open``/``close`` follow the conventions above; on a
    speaker that is not open, ``play`` and ``stop`` do nothing (the simulated speaker, which
    has nothing to open, records regardless).
    """

    uri: str

    def open(self) -> None: ...

    def play(self, samples: np.ndarray, sample_rate: int) -> None: ...

    def stop(self) -> None: ...

    def close(self) -> None: ...

    def describe(self) -> str:
        """One line for people: the URI and what ``open()`` found, e.g. ``"file:out.wav (WAV
        22050 Hz mono)"``."""
        ...


@runtime_checkable
class Inputs(Protocol):
    """User input (touch pad taps, buttons) as runtime events, e.g. ``Tap``."""

    async def get(self) -> Event:
        """Wait for the next input event."""
        ...


@runtime_checkable
class Indicator(Protocol):
    """The capture LED that tells bystanders a camera or microphone is recording.

    Privacy invariant, kept by the device loops: frames and audio are only published while
    ``on`` is True.
    """

    on: bool

    def set(self, on: bool) -> None: ...
