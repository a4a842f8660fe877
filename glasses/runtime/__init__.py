"""The runtime core: events, clocks, the bus, inboxes, supervision and metrics.

It imports nothing else of ours; every other package builds on it.
"""

from glasses.runtime.bus import Bus
from glasses.runtime.clock import (
    NS_PER_S,
    Clock,
    Pace,
    RealClock,
    VirtualClock,
    VirtualTimeDeadlock,
)
from glasses.runtime.events import (
    AudioChunk,
    Card,
    CodesDetected,
    DecodedCode,
    DeviceLost,
    DeviceRestored,
    Event,
    EventKind,
    HeadGesture,
    HudDimmed,
    HudDrawn,
    HudUpdate,
    Intent,
    Interrupt,
    QueueOverflow,
    Say,
    Shutdown,
    SpeechEnded,
    SpeechStarted,
    StageCrashed,
    Swipe,
    SystemEvent,
    Tap,
    TextRead,
    Transcript,
    VideoFrame,
    WakeWord,
)
from glasses.runtime.inbox import Inbox
from glasses.runtime.metrics import StageStats, Timelines, percentile
from glasses.runtime.runtime import Runtime
from glasses.runtime.stage import Stage, StageContext
from glasses.runtime.supervisor import RestartPolicy, Supervisor

__all__ = [
    "NS_PER_S",
    "AudioChunk",
    "Bus",
    "Card",
    "Clock",
    "CodesDetected",
    "DecodedCode",
    "DeviceLost",
    "DeviceRestored",
    "Event",
    "EventKind",
    "HeadGesture",
    "HudDimmed",
    "HudDrawn",
    "HudUpdate",
    "Inbox",
    "Intent",
    "Interrupt",
    "Pace",
    "QueueOverflow",
    "RealClock",
    "RestartPolicy",
    "Runtime",
    "Say",
    "Shutdown",
    "SpeechEnded",
    "SpeechStarted",
    "Stage",
    "StageContext",
    "StageCrashed",
    "StageStats",
    "Supervisor",
    "Swipe",
    "SystemEvent",
    "Tap",
    "TextRead",
    "Timelines",
    "Transcript",
    "VideoFrame",
    "VirtualClock",
    "VirtualTimeDeadlock",
    "WakeWord",
    "percentile",
]
