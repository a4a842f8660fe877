"""Devices: cameras, microphones, display, speaker, inputs and the capture LED.

Backends are chosen by URI (``open_camera("usb:0")``, ``open_microphone("file:talk.wav")``, see
:mod:`glasses.devices.uri`) and run by the supervised loops ``run_camera`` / ``run_microphone``,
which publish ``VideoFrame`` / ``AudioChunk`` events and recover from disconnections.
"""

from glasses.devices.errors import (
    BackendUnavailable,
    BadDeviceUri,
    DeviceDisconnected,
    DeviceError,
    DeviceNotFound,
    UnreadableMedia,
    UnsupportedAudioFormat,
)
from glasses.devices.file import DEFAULT_IMAGE_FPS, FileCamera, FileMicrophone, FileSpeaker
from glasses.devices.headless import HeadlessDisplay, LogIndicator
from glasses.devices.indicator import IndicatorClaim, SharedIndicator
from glasses.devices.protocols import Camera, Display, Indicator, Inputs, Microphone, Speaker
from glasses.devices.resample import (
    TARGET_RATE,
    StreamingResampler,
    downmix,
    resample,
    resample_float,
    to_float,
    to_int16,
    to_mono_16k,
)
from glasses.devices.sim import (
    SimCamera,
    SimDisplay,
    SimEchoPath,
    SimIndicator,
    SimInputs,
    SimMicrophone,
    SimSpeaker,
)
from glasses.devices.state import (
    DeviceState,
    DeviceStateMachine,
    Reconnect,
    run_camera,
    run_inputs,
    run_microphone,
)
from glasses.devices.uri import (
    CAMERA_FORMS,
    MICROPHONE_FORMS,
    SPEAKER_FORMS,
    open_camera,
    open_microphone,
    open_speaker,
)
from glasses.devices.usb import SoundDeviceMicrophone, SoundDeviceSpeaker, UsbCamera, list_devices

__all__ = [
    "CAMERA_FORMS",
    "DEFAULT_IMAGE_FPS",
    "MICROPHONE_FORMS",
    "SPEAKER_FORMS",
    "TARGET_RATE",
    "BackendUnavailable",
    "BadDeviceUri",
    "Camera",
    "DeviceDisconnected",
    "DeviceError",
    "DeviceNotFound",
    "DeviceState",
    "DeviceStateMachine",
    "Display",
    "FileCamera",
    "FileMicrophone",
    "FileSpeaker",
    "HeadlessDisplay",
    "Indicator",
    "IndicatorClaim",
    "Inputs",
    "LogIndicator",
    "Microphone",
    "Reconnect",
    "SharedIndicator",
    "SimCamera",
    "SimDisplay",
    "SimEchoPath",
    "SimIndicator",
    "SimInputs",
    "SimMicrophone",
    "SimSpeaker",
    "SoundDeviceMicrophone",
    "SoundDeviceSpeaker",
    "Speaker",
    "StreamingResampler",
    "UnreadableMedia",
    "UnsupportedAudioFormat",
    "UsbCamera",
    "downmix",
    "list_devices",
    "open_camera",
    "open_microphone",
    "open_speaker",
    "resample",
    "resample_float",
    "run_camera",
    "run_inputs",
    "run_microphone",
    "to_float",
    "to_int16",
    "to_mono_16k",
]
