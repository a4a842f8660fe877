"""The assistant: the router, the skill dispatcher and the built-in skills."""

from glasses.assistant.dispatch import SkillStage
from glasses.assistant.router import RouterStage
from glasses.assistant.skill import Reply, Skill, SkillContext

__all__ = ["Reply", "RouterStage", "Skill", "SkillContext", "SkillStage"]
