"""Built-in skills."""

from glasses.assistant.skill import Skill
from glasses.assistant.skills.dismiss import DismissSkill
from glasses.assistant.skills.scan import ScanSkill


def builtin_skills() -> list[Skill]:
    return [ScanSkill(), DismissSkill()]


__all__ = ["DismissSkill", "ScanSkill", "builtin_skills"]
