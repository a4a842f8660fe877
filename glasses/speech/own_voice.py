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
        # (start, end): a clip ends when it has played out (``Speaking.duration_ns``) unless a
        # ``SpeakingStopped`` says it ended earlier, so a lost stop (the speak stage crashed)
        # cannot leave the glasses "speaking" for ever.
        self._intervals: list[tuple[int, int]] = []

    def update(self, event: Event) -> bool:
        """Take a ``Speaking`` / ``SpeakingStopped`` event; False for any other event."""
        if isinstance(event, Speaking):
            played_out = event.t_ns + event.duration_ns
            self._intervals = [*self._intervals[-(KEPT - 1) :], (event.t_ns, played_out)]
            return True
        if isinstance(event, SpeakingStopped):
            if self._intervals:
                start, end = self._intervals[-1]
                self._intervals[-1] = (start, max(start, min(end, event.t_ns)))
            return True
        return False

    def speaking(self, t_ns: int) -> bool:
        """Is a clip playing at ``t_ns``?"""
        return any(start <= t_ns < end for start, end in self._intervals)

    def during(self, start_ns: int, end_ns: int) -> bool:
        """Did the speaker play, or its echo still ring, anywhere in ``[start_ns, end_ns]``?"""
        return any(
            p_start <= end_ns and p_end + self.tail_ns >= start_ns
            for p_start, p_end in self._intervals
        )

    def clear(self) -> None:
        self._intervals = []
