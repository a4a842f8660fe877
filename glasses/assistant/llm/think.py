"""Hide a reasoning model's thinking: the ``<think>…</think>`` block a reply may start with.

Qwen3 (and other reasoning models) open each reply with ``<think>`` … ``</think>``: the
thoughts, or an empty block when the prompt says ``/no_think``. Only the answer after it belongs
on the HUD and in speech, so both backends pass their pieces through a ``ThinkFilter``. A reply
that does not start with ``<think>`` (after whitespace) passes unchanged; text that merely looks
like the start of the tag is held back only until it is clearly something else.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from typing import Literal

OPEN = "<think>"
CLOSE = "</think>"


class ThinkFilter:
    """Feed it a reply's pieces in order; it returns the text to show for each ("" while
    held back or hidden); ``flush()`` at the end returns what was still held back."""

    def __init__(self) -> None:
        self._state: Literal["start", "thinking", "after", "answer"] = "start"
        self._held = ""

    def feed(self, piece: str) -> str:
        if self._state == "answer":
            return piece
        self._held += piece
        if self._state == "start":
            head = self._held.lstrip()
            if OPEN.startswith(head):
                return ""  # still maybe the tag (or only whitespace so far)
            if not head.startswith(OPEN):
                self._state = "answer"
                return self._release()
            self._state, self._held = "thinking", head[len(OPEN) :]
        if self._state == "thinking":
            end = self._held.find(CLOSE)
            if end < 0:
                # Keep only what could be the start of the closing tag.
                self._held = self._held[-(len(CLOSE) - 1) :]
                return ""
            self._state, self._held = "after", self._held[end + len(CLOSE) :]
        # "after": the whitespace between the block and the answer is not shown.
        self._held = self._held.lstrip()
        if not self._held:
            return ""
        self._state = "answer"
        return self._release()

    def flush(self) -> str:
        """The text still held back at the end of the reply (a reply that was only ``<thi``);
        nothing of an unfinished thinking block."""
        if self._state in ("start", "after"):
            return self._release()
        self._held = ""
        return ""

    def _release(self) -> str:
        text, self._held = self._held, ""
        return text


def visible(pieces: Iterator[str]) -> Generator[str, None, None]:
    """``pieces`` without a leading thinking block; closing this closes ``pieces`` too."""
    hide = ThinkFilter()
    try:
        for piece in pieces:
            shown = hide.feed(piece)
            if shown:
                yield shown
        tail = hide.flush()
        if tail:
            yield tail
    finally:
        close = getattr(pieces, "close", None)
        if close is not None:
            close()
