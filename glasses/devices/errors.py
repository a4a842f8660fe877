"""Device errors that tell the user what went wrong and what to do, on one line.

``str(error)`` reads ``"<kind> <device>: <problem> — <hint>"``, e.g.
``camera usb:3: no camera at index 3 — plug one in, or use --camera file:PATH or sim:``. The CLI
prints it as is, so every part is forced onto a single line (messages of wrapped library
exceptions can contain newlines).
"""

from __future__ import annotations


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


class DeviceError(Exception):
    """A device could not be opened or read.

    ``kind`` is ``"camera"``, ``"microphone"``, ``"speaker"``…; ``device`` is its URI (``usb:3``,
    ``file:clip.mp4``); ``problem`` says what went wrong; ``hint`` what the user can do about it.
    """

    def __init__(self, kind: str, device: str, problem: str, hint: str) -> None:
        # Keep every argument in ``args`` so the error pickles (worker processes, logs).
        super().__init__(kind, device, problem, hint)
        self.kind = _one_line(kind)
        self.device = _one_line(device)
        self.problem = _one_line(problem)
        self.hint = _one_line(hint)

    def __str__(self) -> str:
        return f"{self.kind} {self.device}: {self.problem} — {self.hint}"


class DeviceNotFound(DeviceError):
    """Nothing at that address: no camera at the index, no such file, folder or sound device."""


class BackendUnavailable(DeviceError):
    """A library the device needs is missing (sounddevice, PortAudio)."""


class UnreadableMedia(DeviceError):
    """The file exists but cannot be decoded (corrupt, truncated, not the format it claims)."""


class UnsupportedAudioFormat(UnreadableMedia):
    """Decodable audio we do not accept: float or compressed WAV, sample rate or channels."""


class BadDeviceUri(DeviceError):
    """The URI does not have one of the supported forms."""


class DeviceDisconnected(DeviceError):
    """A live device stopped delivering data (unplugged, driver reset)."""
