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


@dataclass(frozen=True, slots=True)
class AssistantPipeline:
    codes: CodeStage
    router: RouterStage
    skills: SkillStage
    hud: HudStage


def build_pipeline(
    runtime: Runtime,
    *,
    display: TextDisplay,
    profile: DisplayProfile,
    skills: Iterable[Skill] | None = None,
) -> AssistantPipeline:
    """camera frames → codes → router → skills → HUD, added to ``runtime`` (not yet started)."""
    pipeline = AssistantPipeline(
        codes=CodeStage(),
        router=RouterStage(),
        skills=SkillStage(builtin_skills() if skills is None else skills),
        hud=HudStage(display, profile),
    )
    for stage in (pipeline.codes, pipeline.router, pipeline.skills, pipeline.hud):
        runtime.add_stage(stage)
    runtime.observe(pipeline.skills.see)
    return pipeline
