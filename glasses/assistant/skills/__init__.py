"""Built-in skills."""

from glasses.assistant.skill import Skill
from glasses.assistant.skills.ask import AskSkill
from glasses.assistant.skills.captions import CaptionsSkill
from glasses.assistant.skills.dismiss import DismissSkill
from glasses.assistant.skills.memory import RecallSkill, RememberSkill
from glasses.assistant.skills.pay import PaySkill
from glasses.assistant.skills.photo import PhotoSkill
from glasses.assistant.skills.price import PriceSkill
from glasses.assistant.skills.read import ReadSkill
from glasses.assistant.skills.scan import ScanSkill


def builtin_skills() -> list[Skill]:
    return [
        ScanSkill(),
        DismissSkill(),
        ReadSkill(),
        PhotoSkill(),
        CaptionsSkill(),
        RememberSkill(),
        RecallSkill(),
        AskSkill(),
        PriceSkill(),
        PaySkill(),
    ]


__all__ = [
    "AskSkill",
    "CaptionsSkill",
    "DismissSkill",
    "PaySkill",
    "PhotoSkill",
    "PriceSkill",
    "ReadSkill",
    "RecallSkill",
    "RememberSkill",
    "ScanSkill",
    "builtin_skills",
]
