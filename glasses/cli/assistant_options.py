"""The options ``glasses sim`` and ``glasses run`` share: the config file, the display profile,
the listening mode, custom skills and the language model, turned into a ``glasses.config.Config``
and an ``AssistantSetup``.

``--llm MODEL`` runs a model in process (llama.cpp: a manifest id such as ``gemma-3-270m`` or
``qwen3-0.6b``, a ``.gguf`` path, or ``none``); ``--llm-url URL --llm-model NAME`` uses an
OpenAI-compatible endpoint (its key from the variable ``[llm] api_key_env`` names). Both win over
the config file's ``[llm]``. A GGUF is loaded here, before the session starts (a progress line on
stderr), so the first question does not wait for it and nothing loads on the event loop; an
endpoint is not contacted until the first question.

Every problem (the config file, a ``--skill`` spec, an installed skill, skills whose triggers
conflict, a model that is missing) is a ``SetupError`` of one line per problem; the commands
print it and exit 2.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:  # the assistant's modules load numpy and OpenCV: imported when a command runs
    from glasses.app.setup import AssistantSetup
    from glasses.assistant.llm.base import LanguageModel
    from glasses.config import Config, Overrides

EXIT_SETUP = 2

SKILL_HELP = (
    "a custom skill: module:Class or path/to/file.py:Class (a Skill subclass or a function "
    "returning skills); repeat for several. Installed packages add theirs through the "
    "glasses.skills entry point group"
)


class SetupError(Exception):
    """The session cannot be set up; ``str()`` is one line per problem."""


def add_options(p: argparse.ArgumentParser, *, profile: bool = False) -> None:
    """``--config``, ``--listen``, ``--skill``, ``--llm``, ``--llm-url``, ``--llm-model`` (and
    ``--profile``)."""
    g = p.add_argument_group("assistant")
    g.add_argument(
        "--config",
        type=Path,
        metavar="PATH",
        help="config file (default: $XDG_CONFIG_HOME/glasses/config.toml, else "
        "~/.config/glasses/config.toml, if it exists); see glasses config show",
    )
    if profile:
        g.add_argument(
            "--profile",
            metavar="NAME",
            help="display profile of the emulated HUD: frame, g1, g2, z100 (default: the "
            "config's, else frame)",
        )
    g.add_argument(
        "--listen",
        metavar="MODE",
        help="how the microphone is listened to: wake (the wake phrase, then a command), "
        "push_to_talk (a tap, then speak) or always (default: the config's, else wake)",
    )
    g.add_argument(
        "--skill",
        action="append",
        default=[],
        metavar="MODULE:CLASS",
        help=SKILL_HELP,
    )
    llm = g.add_mutually_exclusive_group()
    llm.add_argument(
        "--llm",
        metavar="MODEL",
        help="language model in process (llama.cpp): a manifest id (gemma-3-270m, "
        "qwen3-0.6b), a .gguf path, or none",
    )
    llm.add_argument(
        "--llm-url",
        metavar="URL",
        help="an OpenAI-compatible endpoint's API root (http://127.0.0.1:11434/v1); with "
        "--llm-model",
    )
    g.add_argument(
        "--llm-model",
        metavar="NAME",
        help="the model name at --llm-url (qwen2.5:0.5b); also replaces the config file's "
        "[llm] model",
    )


def overrides(args: argparse.Namespace) -> Overrides:
    """The command line's part of the config (``glasses.config.Overrides``)."""
    out: dict[str, tuple[Any, str]] = {}
    if getattr(args, "profile", None):
        out["display.profile"] = (args.profile, "--profile")
    if getattr(args, "listen", None):
        out["listen.mode"] = (args.listen, "--listen")
    if args.llm:
        if args.llm.strip().lower() == "none":
            out["llm.backend"] = ("none", "--llm")
        else:
            out["llm.backend"] = ("llama_cpp", "--llm")
            out["llm.model"] = (args.llm, "--llm")
    if args.llm_url:
        out["llm.backend"] = ("openai", "--llm-url")
        out["llm.url"] = (args.llm_url, "--llm-url")
    if args.llm_model:
        out["llm.model"] = (args.llm_model, "--llm-model")
    return out


def load(args: argparse.Namespace) -> Config:
    """The effective config of ``args``; raises ``SetupError``."""
    from glasses.config import ConfigError, load_config

    try:
        return load_config(args.config, overrides(args))
    except ConfigError as exc:
        raise SetupError("\n".join(exc.problems)) from None


def assistant_setup(
    args: argparse.Namespace, config: Config, *, simulator: bool, err: TextIO | None = None
) -> AssistantSetup:
    """The setup of a ``sim`` (``simulator``) or ``run`` session: custom skills loaded and
    checked with the built-in ones, the language model built and, for a GGUF, loaded (a
    progress line on ``err``, default stderr). Raises ``SetupError``.

    The simulator keeps its own defaults where the config says nothing: photos in a fresh
    temporary folder, the memory in RAM; a scenario's ``device:`` section wins over the
    config's profile and listening mode."""
    from glasses.app.setup import AssistantSetup
    from glasses.assistant.plugins import SkillLoadError, custom_sources
    from glasses.assistant.triggers import TriggerError

    try:
        sources = tuple(custom_sources(args.skill))
    except SkillLoadError as exc:
        raise SetupError(str(exc)) from None
    photos = config.photos_dir if config.explicit("paths.photos") or not simulator else None
    setup = AssistantSetup(
        skill_sources=sources,
        max_tokens=config["llm.max_tokens"],
        photos_dir=photos,
        data_dir=None if simulator else config.data_dir,
        profile=config.profile,
        listen=config.listen_settings(),
        captions=config.captions,
    )
    custom = "; ".join(source.label for source in sources)
    also = f" (custom skills: {custom})" if custom else ""
    try:
        setup.check()
        if any(skill.phrases for source in sources for skill in source.make()):
            _check_phrases(setup)
    except SkillLoadError as exc:
        raise SetupError(str(exc)) from None
    except TriggerError as exc:
        raise SetupError(f"the skills' triggers conflict: {exc}{also}") from None
    except _PhraseError as exc:
        raise SetupError(f"{exc}{also}") from None
    return replace(setup, llm=language_model(config, err=err or sys.stderr))


class _PhraseError(Exception):
    pass


def _check_phrases(setup: AssistantSetup) -> None:
    """Build the command grammar as the listener will at the first command, so that a custom
    skill's phrase with a word the recogniser does not know fails now, not then."""
    from glasses.speech.commands import CommandRecognizer, phrases_from_skills

    try:
        CommandRecognizer(phrases_from_skills(setup.skills()))
    except (RuntimeError, ValueError) as exc:  # SphinxUnavailable: words not in the dictionary
        raise _PhraseError(str(exc)) from None


def language_model(config: Config, *, err: TextIO) -> LanguageModel | None:
    """The config's language model, a GGUF loaded now (blocking: called before the session's
    event loop runs), with a line on ``err`` before and after; None for ``backend = none``."""
    from glasses.assistant.llm.base import LlmError
    from glasses.assistant.llm.factory import new_language_model
    from glasses.assistant.llm.llama_cpp import LlamaCppModel

    settings = config.llm_settings()
    where = config.source("llm.backend")
    try:
        model = new_language_model(settings)
        if isinstance(model, LlamaCppModel) and not model.loaded:
            print(f"loading the language model {model.name} …", file=err, flush=True)
            start = time.perf_counter()
            model.load()  # llama.cpp silences stdout and stderr while the file loads
            took = time.perf_counter() - start
            print(f"language model {model.name} ready ({took:.1f} s)", file=err, flush=True)
        elif model is not None:
            print(
                f"language model {model.name} (contacted at the first question)",
                file=err,
                flush=True,
            )
    except LlmError as exc:
        raise SetupError(f"{where}: {exc}") from None
    return model
