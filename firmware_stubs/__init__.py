"""The glasses side of the link: an emulated microcontroller speaking docs/protocol.md.

``StubGlasses`` (device.py) is the MCU: display controller (``Framebuffer``), camera and
microphone (any ``glasses.devices`` camera/microphone: a simulator scene, a file), IMU, touch
pad, capture LED and the battery/thermal model (``PowerModel``). ``StubServer`` (server.py)
pairs companions and serves it over TCP, a Unix socket or an in-memory wire with a link model.
``python -m firmware_stubs`` runs it as its own program.
"""

from firmware_stubs.device import StubGlasses, StubSettings, StubStats
from firmware_stubs.framebuffer import DisplayCommandError, Framebuffer
from firmware_stubs.power import Loads, PowerModel, PowerSpec
from firmware_stubs.server import StubServer

__all__ = [
    "DisplayCommandError",
    "Framebuffer",
    "Loads",
    "PowerModel",
    "PowerSpec",
    "StubGlasses",
    "StubServer",
    "StubSettings",
    "StubStats",
]
