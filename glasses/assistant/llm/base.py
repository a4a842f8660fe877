"""One interface for every language model backend: a blocking stream of text pieces.

Backends (``glasses.assistant.llm.llama_cpp``: llama.cpp in process; ``…openai_compat``: any
OpenAI-compatible HTTP endpoint) implement ``LanguageModel``. A reply is a ``TokenStream``: an
iterator whose ``next()`` blocks until the next piece of text (one or a few tokens) and that the
runtime calls through ``clock.run_blocking``, so generation follows the runtime clock (charged a
nominal cost per piece on the virtual clock) and never blocks the event loop. ``close()`` cancels
generation at once (the wake phrase, a tap or "stop"); a closed stream yields nothing more.

Failures are ``LlmError`` with a one-line message that says what to do (server down, bad key,
model missing); never a traceback.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

Role = Literal["system", "user", "assistant"]


@dataclass(frozen=True, slots=True)
class ChatMessage:
    """One message of a chat. ``image_jpeg``: a JPEG attached to a user message, for vision
    endpoints (sent as a data URL); backends without vision refuse it with ``LlmError``."""

    role: Role
    content: str
    image_jpeg: bytes | None = None


class LlmError(RuntimeError):
    """A language model failed: the message is one line that names the fix."""


class TokenStream(Protocol):
    """The pieces of one reply, in order. Blocking; ``close()`` cancels (idempotent)."""

    def __iter__(self) -> Iterator[str]: ...

    def __next__(self) -> str: ...

    def close(self) -> None: ...


class LanguageModel(Protocol):
    """A chat model. ``name`` identifies it in reports (e.g. ``"llama.cpp:gemma-3-270m"``)."""

    @property
    def name(self) -> str: ...

    @property
    def vision(self) -> bool:
        """Whether ``ChatMessage.image_jpeg`` is understood."""
        ...

    def stream(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_tokens: int = 128,
        temperature: float = 0.0,
        stop: Sequence[str] = (),
    ) -> TokenStream:
        """Start generating a reply to ``messages``; errors before the first piece may be
        raised here or from the first ``next()``, always as ``LlmError``."""
        ...
