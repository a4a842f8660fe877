"""The display and capture LED of a live run with no glasses attached (``glasses run``).

``HeadlessDisplay`` is the HUD as text: ``draw`` replaces what is shown, ``text`` is what is
shown now; front ends render it (the headless printer of ``glasses run`` prints each change,
the TUI draws the HUD). ``LogIndicator`` is the capture LED as a log line: each change is
logged (INFO, ``glasses -v``) so the privacy invariant stays visible without an LED. Both keep
a count and the time of their last change, never a growing history (a live run may last
hours; the simulator's ``SimDisplay``/``SimIndicator`` keep theirs for expectations).
"""

from __future__ import annotations

import logging

from glasses.runtime.clock import Clock

log = logging.getLogger(__name__)


class HeadlessDisplay:
    """The ``Display`` protocol without a screen: the text shown, how often it was drawn.

    ``draws``: calls of ``draw``; ``changed_ns``: clock time the text last changed (None: never).
    """

    uri = "headless:"

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self.text = ""
        self.draws = 0
        self.changed_ns: int | None = None

    def draw(self, text: str) -> None:
        if not isinstance(text, str):
            raise TypeError(f"draw() takes the text to show, got {type(text).__name__}")
        self.draws += 1
        if text != self.text:
            self.text = text
            self.changed_ns = self._clock.now_ns()
            log.debug("HUD: %s", " | ".join(text.splitlines()) or "(clear)")


class LogIndicator:
    """The ``Indicator`` protocol as log lines: ``on`` now, and each change logged.

    ``changes``: times it turned on or off; ``changed_ns``: clock time of the last (None: never).
    """

    uri = "log:"

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self.on = False
        self.changes = 0
        self.changed_ns: int | None = None

    def set(self, on: bool) -> None:
        on = bool(on)
        if on != self.on:
            self.on = on
            self.changes += 1
            self.changed_ns = self._clock.now_ns()
            log.info("capture LED %s", "on" if on else "off")
