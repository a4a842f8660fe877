"""Built-in skills."""

from glasses.assistant.skill import Skill
from glasses.assistant.skills.dismiss import DismissSkill
from glasses.assistant.skills.photo import PhotoSkill
from glasses.assistant.skills.read import ReadSkill
from glasses.assistant.skills.scan import ScanSkill


def builtin_skills() -> list[Skill]:
    return [ScanSkill(), DismissSkill(), ReadSkill(), PhotoSkill()]


__all__ = ["DismissSkill", "PhotoSkill", "ReadSkill", "ScanSkill", "builtin_skills"]
