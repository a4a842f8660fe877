"""What a front end adds to the built-in assistant for one session: the language model, custom
skills, the ask skill's answer length, where photos and memories go, and how to listen.

``glasses sim`` and ``glasses run`` build one ``AssistantSetup`` from the config file and their
options (``glasses.config``, ``glasses.cli.assistant_options``); the simulator's rig and the live
session build their pipeline from it. Every field left None keeps the front end's own default.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from glasses.assistant.llm.base import LanguageModel
from glasses.assistant.plugins import SkillSource
from glasses.assistant.skill import Skill
from glasses.assistant.skills import AskSkill, PhotoSkill, builtin_skills
from glasses.assistant.triggers import TriggerTable
from glasses.speech.listen_stage import ListenSettings


@dataclass(frozen=True, slots=True, kw_only=True)
class AssistantSetup:
    """``llm``: the language model (None: none; shared by every session of a process, loaded
    once). ``skill_sources``: custom skills, after the built-in ones (each session builds its
    own instances). ``max_tokens``: the ask skill's longest answer in tokens. ``photos_dir`` and
    ``data_dir``: where photos and the memory go (the simulator keeps its memory in RAM).
    ``profile``, ``listen`` and ``captions`` (a dictation backend): the display profile, how
    the microphone is listened to, and the live captions' recogniser; in the simulator, what a
    scenario's ``device:`` section states wins over ``profile`` and ``listen.mode``."""

    llm: LanguageModel | None = None
    skill_sources: tuple[SkillSource, ...] = ()
    max_tokens: int | None = None
    photos_dir: Path | None = None
    data_dir: Path | None = None
    profile: str | None = None
    listen: ListenSettings | None = None
    captions: str | None = None

    def skills(self) -> list[Skill]:
        """Fresh skills for one session: the built-in ones (configured), then the custom ones.
        Raises ``SkillLoadError`` if a custom source fails to build."""
        skills = builtin_skills()
        for skill in skills:
            if isinstance(skill, AskSkill) and self.max_tokens is not None:
                skill.max_tokens = self.max_tokens
            if isinstance(skill, PhotoSkill) and self.photos_dir is not None:
                skill.store_dir = self.photos_dir
        for source in self.skill_sources:
            skills.extend(source.make())
        return skills

    def check(self) -> TriggerTable:
        """Build the skills once and check their triggers together, as a session will: raises
        ``SkillLoadError`` or ``TriggerError`` (one line each) before anything starts."""
        return TriggerTable.build(self.skills())
