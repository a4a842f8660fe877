"""Device URIs: how the command line names a camera, microphone or speaker.

=====================  ===================================================================
``file:PATH``          camera: an image, a folder of images, or a video; microphone: a WAV;
                       speaker: a WAV to write (``file:PATH.wav``)
``usb:N``              camera N (``/dev/videoN``) / sound device N (``--list-devices``)
``default``            camera 0 / the system's default input / default output
``sim:`` (``sim:NAME``)  simulator-driven device, fed by the scenario player
``link://HOST:PORT``   camera / microphone of glasses over the link (docs/protocol.md);
                       ``link+unix:///PATH`` for a Unix socket
=====================  ===================================================================

``file://PATH`` is accepted too. The functions only build the device; ``open()`` (or the device
loop) does the I/O and raises the ``DeviceError`` that explains a missing or bad device.
"""

from __future__ import annotations

from pathlib import Path

from glasses.devices.errors import BadDeviceUri
from glasses.devices.file import FileCamera, FileMicrophone, FileSpeaker
from glasses.devices.protocols import Camera, Microphone, Speaker
from glasses.devices.sim import SimCamera, SimMicrophone, SimSpeaker
from glasses.devices.usb import SoundDeviceMicrophone, SoundDeviceSpeaker, UsbCamera
from glasses.runtime.clock import Clock, RealClock

CAMERA_FORMS = "file:PATH (image, folder or video), usb:N, default, sim:, link://HOST:PORT"
MICROPHONE_FORMS = "file:PATH.wav, usb:N, default, sim:, link://HOST:PORT"
_LINK_SCHEMES = ("link", "link+unix")
SPEAKER_FORMS = "default, usb:N, file:PATH.wav, sim:"


def _split(kind: str, uri: str, forms: str) -> tuple[str, str]:
    """``(scheme, rest)`` with scheme one of file, usb, default, sim."""
    text = uri.strip()
    if text == "default":
        return "default", ""
    scheme, sep, rest = text.partition(":")
    if not sep or scheme not in ("file", "usb", "sim", *_LINK_SCHEMES):
        hint = f"use one of: {forms}"
        if not sep:
            hint = f"for a file write file:{text}; otherwise {hint}"
        raise BadDeviceUri(kind, uri, "unknown device URI", hint)
    if scheme == "file":
        if rest.startswith("//"):
            rest = rest[2:]
        if not rest:
            raise BadDeviceUri(kind, uri, "no path after file:", "write file:PATH")
    return scheme, rest


def _index(kind: str, uri: str, rest: str) -> int:
    if not rest.isdigit():
        raise BadDeviceUri(
            kind,
            uri,
            f"{rest!r} is not a device index",
            "write usb:0, usb:1, … (`glasses run --list-devices` lists them)",
        )
    return int(rest)


def open_camera(uri: str, *, fps: float | None = None) -> Camera:
    """The camera named by ``uri`` (not yet opened). ``fps`` (frames/s) overrides the default
    pace of images and folders (10), a video's own rate, or the rate asked of a USB camera.
    """
    scheme, rest = _split("camera", uri, CAMERA_FORMS)
    if scheme in _LINK_SCHEMES:
        from glasses.devices.link.devices import LinkCamera, client_for

        return LinkCamera(client_for("camera", uri), fps=fps or 10.0, adaptive=True, uri=uri)
    if scheme == "file":
        return FileCamera(rest, fps=fps, uri=uri)
    if scheme == "sim":
        return SimCamera(fps=fps or 15.0, uri=uri)
    index = 0 if scheme == "default" else _index("camera", uri, rest)
    return UsbCamera(index, fps=fps, uri=uri)


def open_microphone(uri: str, *, chunk_samples: int = 512) -> Microphone:
    """The microphone named by ``uri`` (not yet opened); chunks of ``chunk_samples`` at 16 kHz."""
    scheme, rest = _split("microphone", uri, MICROPHONE_FORMS)
    if scheme in _LINK_SCHEMES:
        from glasses.devices.link.devices import LinkMicrophone, client_for

        return LinkMicrophone(client_for("microphone", uri), chunk_samples=chunk_samples, uri=uri)
    if scheme == "file":
        return FileMicrophone(rest, chunk_samples=chunk_samples, uri=uri)
    if scheme == "sim":
        return SimMicrophone(chunk_samples, uri=uri)
    device = None if scheme == "default" else _index("microphone", uri, rest)
    return SoundDeviceMicrophone(device, chunk_samples=chunk_samples, uri=uri)


def open_speaker(uri: str, *, clock: Clock | None = None) -> Speaker:
    """The speaker named by ``uri`` (not yet opened): ``default`` / ``usb:N`` (a sound card),
    ``file:PATH.wav`` (everything spoken, written to one WAV) or ``sim:`` (recorded in memory).

    ``clock`` (default: the real clock) tells the file and simulated speakers when a clip is
    cut (``stop``), so they keep only what had played.
    """
    scheme, rest = _split("speaker", uri, SPEAKER_FORMS)
    clock = clock if clock is not None else RealClock()
    if scheme == "file":
        path = Path(rest)
        if path.suffix.lower() != ".wav":
            try:
                example = str(path.with_suffix(".wav"))
            except ValueError:  # no file name to give a suffix to ("file:.", "file:..")
                example = "replies.wav"
            raise BadDeviceUri(
                "speaker", uri, "a file speaker writes a WAV file", f"write file:{example}"
            )
        return FileSpeaker(path, clock=clock, uri=uri)
    if scheme == "sim":
        return SimSpeaker(clock, uri=uri)
    device = None if scheme == "default" else _index("speaker", uri, rest)
    return SoundDeviceSpeaker(device, uri=uri)
