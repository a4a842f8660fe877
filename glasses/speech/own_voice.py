"""When the glasses themselves were speaking: playback intervals from ``Speaking`` events.

Stages that listen (wake word, commands, captions) ask ``during(start_ns, end_ns)`` whether an
utterance overlaps the glasses' own speech, or the room's echo of it (``tail_s`` after the end).
"""

from __future__ import annotations

from glasses.runtime.clock import NS_PER_S
from glasses.runtime.events import Event, Speaking, SpeakingStopped

KEPT = 8  # intervals remembered; utterances are seconds long, playbacks seconds apart


class OwnVoice:
    """Recent playback intervals on the runtime clock; ``tail_s``: echo after the end (s)."""

    def __init__(self, tail_s: float = 0.4) -> None:
        if tail_s < 0:
            raise ValueError(f"tail_s must be >= 0 s, got {tail_s}")
        self.tail_ns = int(tail_s * NS_PER_S)
        self._intervals: list[tuple[int, int | None]] = []  # (start, end); end None: playing

    def update(self, event: Event) -> bool:
        """Take a ``Speaking`` / ``SpeakingStopped`` event; False for any other event."""
        if isinstance(event, Speaking):
            self._intervals = [*self._intervals[-(KEPT - 1) :], (event.t_ns, None)]
            return True
        if isinstance(event, SpeakingStopped):
            if self._intervals and self._intervals[-1][1] is None:
                self._intervals[-1] = (self._intervals[-1][0], event.t_ns)
            return True
        return False

    @property
    def speaking(self) -> bool:
        return bool(self._intervals) and self._intervals[-1][1] is None

    def during(self, start_ns: int, end_ns: int) -> bool:
        """Did the speaker play, or its echo still ring, anywhere in ``[start_ns, end_ns]``?"""
        return any(
            p_start <= end_ns and (p_end is None or p_end + self.tail_ns >= start_ns)
            for p_start, p_end in self._intervals
        )

    def clear(self) -> None:
        self._intervals = []
