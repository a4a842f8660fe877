"""The built-in intents: skills and triggers name them through these constants, never bare strings.

A custom skill defines its own constants the same way (``MY_INTENT = "my_skill.do"``); the
router and the dispatcher check at start that every intent a trigger or phrase names is answered
by exactly one registered skill.
"""

from __future__ import annotations

from typing import Final

from glasses.speech.caption_stage import CAPTIONS_OFF, CAPTIONS_ON
from glasses.speech.open_speech import ASK

READ: Final = "read"
SCAN: Final = "scan"
PHOTO: Final = "photo"
DISMISS: Final = "dismiss"
SEE: Final = "see"
REMEMBER: Final = "remember"
RECALL: Final = "recall"
PRICE: Final = "price"
PAY: Final = "pay"
PAY_CONFIRM: Final = "pay_confirm"
PAY_CANCEL: Final = "pay_cancel"
TIMER: Final = "timer"
TIMER_CANCEL: Final = "timer_cancel"
TIME: Final = "time"
BATTERY: Final = "battery"
REPEAT: Final = "repeat"
STOP: Final = "stop"

__all__ = [
    "ASK",
    "BATTERY",
    "CAPTIONS_OFF",
    "CAPTIONS_ON",
    "DISMISS",
    "PAY",
    "PAY_CANCEL",
    "PAY_CONFIRM",
    "PHOTO",
    "PRICE",
    "READ",
    "RECALL",
    "REMEMBER",
    "REPEAT",
    "SCAN",
    "SEE",
    "STOP",
    "TIME",
    "TIMER",
    "TIMER_CANCEL",
]
