"""Built-in skills."""

from glasses.assistant.skill import Skill
from glasses.assistant.skills.ask import AskSkill
from glasses.assistant.skills.battery import BatterySkill
from glasses.assistant.skills.captions import CaptionsSkill
from glasses.assistant.skills.dismiss import DismissSkill
from glasses.assistant.skills.memory import RecallSkill, RememberSkill
from glasses.assistant.skills.pay import PaySkill
from glasses.assistant.skills.photo import PhotoSkill
from glasses.assistant.skills.price import PriceSkill
from glasses.assistant.skills.read import ReadSkill
from glasses.assistant.skills.repeat import RepeatSkill
from glasses.assistant.skills.scan import ScanSkill
from glasses.assistant.skills.see import SeeSkill
from glasses.assistant.skills.stop import StopSkill
from glasses.assistant.skills.time_date import TimeSkill
from glasses.assistant.skills.timer import TimerSkill


def builtin_skills() -> list[Skill]:
    return [
        ScanSkill(),
        DismissSkill(),
        ReadSkill(),
        PhotoSkill(),
        CaptionsSkill(),
        SeeSkill(),
        TimerSkill(),
        TimeSkill(),
        BatterySkill(),
        RepeatSkill(),
        StopSkill(),
        RememberSkill(),
        RecallSkill(),
        AskSkill(),
        PriceSkill(),
        PaySkill(),
    ]


__all__ = [
    "AskSkill",
    "BatterySkill",
    "CaptionsSkill",
    "DismissSkill",
    "PaySkill",
    "PhotoSkill",
    "PriceSkill",
    "ReadSkill",
    "RecallSkill",
    "RememberSkill",
    "RepeatSkill",
    "ScanSkill",
    "SeeSkill",
    "StopSkill",
    "TimeSkill",
    "TimerSkill",
    "builtin_skills",
]
