"""Wiring: the stages of the assistant, added to a runtime in one place for every front end."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from glasses.assistant.dispatch import SkillStage
from glasses.assistant.router import RouterStage
from glasses.assistant.services import Services
from glasses.assistant.skill import Skill
from glasses.assistant.skills import builtin_skills
from glasses.devices.protocols import Speaker
from glasses.hud.profile import DisplayProfile
from glasses.hud.stage import HudStage, TextDisplay
from glasses.perception.code_stage import CodeStage
from glasses.runtime.runtime import Runtime
from glasses.runtime.stage import Stage
from glasses.speech.caption_stage import CaptionStage
from glasses.speech.commands import phrases_from_skills
from glasses.speech.echo import EchoCanceller
from glasses.speech.listen_stage import ListenSettings, ListenStage
from glasses.speech.open_speech import new_open_speech
from glasses.speech.speak_stage import SpeakStage
from glasses.speech.vad_stage import VadStage
from models.registry import Registry, default_registry


@dataclass(frozen=True, slots=True)
class AssistantPipeline:
    codes: CodeStage
    router: RouterStage
    skills: SkillStage
    hud: HudStage
    vad: VadStage | None = None
    listen: ListenStage | None = None
    captions: CaptionStage | None = None
    speak: SpeakStage | None = None


def _echo_canceller(speaker: Speaker | None) -> EchoCanceller | None:
    # A larger step than the canceller's default (0.5): in the simulator's 80 ms / -10 dB echo
    # the VAD stops hearing the first reply after ~2 s instead of ~4 s; steady-state
    # cancellation and double talk (barge-in) tests pass either way.
    return EchoCanceller(max_step=0.8) if speaker is not None else None


SPEECH_MODELS = ("silero-vad", "pocketsphinx-en-us")
"""The model files other wheels ship that the speech stages load (``models/manifest.toml``)."""


def check_speech_models(registry: Registry | None = None) -> None:
    """Check the speech stages' model files against the manifest's sha256 before they are
    loaded; raises ``ModelError`` (one line: the file and the fix). Each file is read once per
    process while it stays unchanged (``Registry.check``)."""
    registry = registry or default_registry()
    for model_id in SPEECH_MODELS:
        registry.check(model_id)


def build_pipeline(
    runtime: Runtime,
    *,
    display: TextDisplay,
    profile: DisplayProfile,
    skills: Iterable[Skill] | None = None,
    speech: bool = False,
    speaker: Speaker | None = None,
    listen: ListenSettings | None = None,
    services: Services | None = None,
    captions_backend: str | None = None,
) -> AssistantPipeline:
    """camera frames → codes → router → skills → HUD, added to ``runtime`` (not yet started).

    With ``speech``: microphone audio → (echo cancelled) VAD → wake word → command → the same
    skills, and live captions when asked for. With ``speaker``: the skills' replies are spoken
    (and, with ``speech``, the echo of that speech is cancelled from the microphone).
    ``services``: what the skills share (language model, memory, catalogue, device state).
    ``captions_backend``: the live captions' dictation backend (None: the caption stage's).
    A conflict between the skills' triggers raises ``TriggerError`` here, and a speech model
    file that is not what the manifest says ``ModelError`` (one line naming the fix), before
    anything runs.
    """
    if speech:
        check_speech_models()
    skill_list = builtin_skills() if skills is None else list(skills)
    skill_stage = SkillStage(skill_list, services)  # checks every skill's triggers: fails here
    pipeline = AssistantPipeline(
        codes=CodeStage(),
        router=RouterStage(skill_stage.table),
        skills=skill_stage,
        hud=HudStage(display, profile),
        vad=VadStage(echo_canceller=_echo_canceller(speaker), stream_audio=True)
        if speech
        else None,
        listen=ListenStage(
            phrases_from_skills(skill_list),
            listen,
            open_speech=new_open_speech((listen or ListenSettings()).open_speech),
        )
        if speech
        else None,
        captions=(CaptionStage(backend=captions_backend) if captions_backend else CaptionStage())
        if speech
        else None,
        speak=SpeakStage(speaker) if speaker is not None else None,
    )
    stages: list[Stage | None] = [
        pipeline.codes,
        pipeline.router,
        pipeline.skills,
        pipeline.hud,
        pipeline.vad,
        pipeline.listen,
        pipeline.captions,
        pipeline.speak,
    ]
    for stage in stages:
        if stage is not None:
            runtime.add_stage(stage)
    runtime.observe(pipeline.skills.see)
    return pipeline
