"""Language models for the assistant: one interface (``base``), several backends."""

from glasses.assistant.llm.base import ChatMessage, LanguageModel, LlmError, TokenStream

__all__ = ["ChatMessage", "LanguageModel", "LlmError", "TokenStream"]
