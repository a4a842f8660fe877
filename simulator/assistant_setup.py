"""A scenario's ``assistant:`` section on top of the command line's setup.

``assistant: {llm: gemma-3-270m}`` runs that manifest model in process for the scenario; the
model is loaded once per process and shared by every scenario that names it (a batch of files
loads a GGUF once). What the scenario states wins over the config and the command line, as its
``device:`` section does: a scenario file is a test, and a test says what it runs on.
"""

from __future__ import annotations

import functools
from dataclasses import replace

from glasses.app.setup import AssistantSetup
from glasses.assistant.llm.base import LanguageModel
from simulator.scenario import AssistantSpec


@functools.cache
def _model(model_id: str) -> LanguageModel:
    """The manifest model ``model_id``, loaded (raises ``LlmError``, one line, if it cannot)."""
    from glasses.assistant.llm.factory import LlmSettings, new_language_model

    model = new_language_model(LlmSettings(backend="llama_cpp", model=model_id))
    assert model is not None  # backend llama_cpp always gives a model (or raises)
    load = getattr(model, "load", None)
    if load is not None:
        load()
    return model


def scenario_setup(spec: AssistantSpec, setup: AssistantSetup | None) -> AssistantSetup | None:
    """``setup`` with what ``spec`` states (the scenario's ``assistant:`` section) applied."""
    stated = spec.model_fields_set
    if not stated:
        return setup
    setup = setup or AssistantSetup()
    if "llm" in stated:
        setup = replace(setup, llm=None if spec.llm == "none" else _model(spec.llm))
    if "max_tokens" in stated and spec.max_tokens is not None:
        setup = replace(setup, max_tokens=spec.max_tokens)
    return setup
