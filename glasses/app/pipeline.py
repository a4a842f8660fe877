"""Wiring: the stages of the assistant, added to a runtime in one place for every front end."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from glasses.assistant.dispatch import SkillStage
from glasses.assistant.router import RouterStage
from glasses.assistant.skill import Skill
from glasses.assistant.skills import builtin_skills
from glasses.hud.profile import DisplayProfile
from glasses.hud.stage import HudStage, TextDisplay
from glasses.perception.code_stage import CodeStage
from glasses.runtime.runtime import Runtime
from glasses.runtime.stage import Stage
from glasses.speech.commands import phrases_from_skills
from glasses.speech.listen_stage import ListenStage
from glasses.speech.vad_stage import VadStage


@dataclass(frozen=True, slots=True)
class AssistantPipeline:
    codes: CodeStage
    router: RouterStage
    skills: SkillStage
    hud: HudStage
    vad: VadStage | None = None
    listen: ListenStage | None = None


def build_pipeline(
    runtime: Runtime,
    *,
    display: TextDisplay,
    profile: DisplayProfile,
    skills: Iterable[Skill] | None = None,
    speech: bool = False,
) -> AssistantPipeline:
    """camera frames → codes → router → skills → HUD, added to ``runtime`` (not yet started).

    With ``speech``: microphone audio → VAD → wake word → command → the same skills.
    """
    skill_list = builtin_skills() if skills is None else list(skills)
    pipeline = AssistantPipeline(
        codes=CodeStage(),
        router=RouterStage(),
        skills=SkillStage(skill_list),
        hud=HudStage(display, profile),
        vad=VadStage() if speech else None,
        listen=ListenStage(phrases_from_skills(skill_list)) if speech else None,
    )
    stages: list[Stage] = [pipeline.codes, pipeline.router, pipeline.skills, pipeline.hud]
    if pipeline.vad is not None and pipeline.listen is not None:
        stages += [pipeline.vad, pipeline.listen]
    for stage in stages:
        runtime.add_stage(stage)
    runtime.observe(pipeline.skills.see)
    return pipeline
