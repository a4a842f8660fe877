"""``WrappingLog``: a ``RichLog`` that wraps every entry to its width and never cuts one off.

Textual's ``RichLog`` renders each entry once, at the width it has then but at least
``min_width`` (78 columns): in a narrower pane the end of a long line is cut off, and an entry
rendered before a resize keeps its old width. This log renders at its own width (its vertical
scrollbar always there, so that width does not change when the log fills up), keeps the
entries it was given (the newest ``keep``) and wraps them again when its width changes.
"""

from __future__ import annotations

from collections import deque
from typing import Any, Self

from textual.events import Resize
from textual.widgets import RichLog


class WrappingLog(RichLog):
    DEFAULT_CSS = """
    WrappingLog {
        overflow-x: hidden;
        overflow-y: scroll;
        scrollbar-size-vertical: 1;
    }
    """

    def __init__(
        self,
        *,
        keep: int = 2000,
        markup: bool = True,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(
            max_lines=4 * keep,
            min_width=1,
            wrap=True,
            markup=markup,
            name=name,
            id=id,
            classes=classes,
        )
        self._entries: deque[Any] = deque(maxlen=keep)
        self._wrapped_at = 0

    def write(
        self,
        content: Any,
        width: int | None = None,
        expand: bool = False,
        shrink: bool = True,
        scroll_end: bool | None = None,
        animate: bool = False,
    ) -> Self:
        self._entries.append(content)
        return super().write(content, width, expand, shrink, scroll_end, animate)

    def clear(self) -> Self:
        self._entries.clear()
        return super().clear()

    def on_resize(self, event: Resize) -> None:
        # RichLog's own handler (called after this one) renders what was written before the
        # log had a size; once it has one, a new width wraps every entry again.
        width = event.size.width
        if not self._size_known or width == self._wrapped_at:
            return
        self._wrapped_at = width
        entries = list(self._entries)
        super().clear()
        for entry in entries:
            super().write(entry, scroll_end=True)
