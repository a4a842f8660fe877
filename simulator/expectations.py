"""Expectations: checks on what the HUD showed over a run, against cues of the timeline."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from simulator.scenario import Expectation

NS_PER_MS = 1_000_000


@dataclass(frozen=True, slots=True)
class Outcome:
    """The verdict on one expectation. ``at_ms``: when the text was seen, relative to the cue."""

    label: str
    kind: str
    text: str
    passed: bool
    detail: str
    at_ms: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.label,
            "kind": self.kind,
            "text": self.text,
            "passed": self.passed,
            "detail": self.detail,
            "at_ms": self.at_ms,
        }


HudHistory = list[tuple[int, str]]  # (t_ns of the draw, full text shown from then on)


def on_hud(text: str, shown: str) -> bool:
    """Whether ``text`` is on a HUD showing ``shown``, whatever the line breaks.

    The HUD wraps to its pixel width, so a phrase may be split over lines at a space, and a long
    URL or code may be split where it has no space at all; both still count as shown.
    """
    if text in shown:
        return True
    lines = shown.splitlines()
    return text in " ".join(lines) or text in "".join(lines)


def shown_at(history: HudHistory, t_ns: int) -> str:
    """What the HUD showed at ``t_ns``: the text of the last draw at or before it."""
    text = ""
    for t, drawn in history:
        if t > t_ns:
            break
        text = drawn
    return text


def evaluate(exp: Expectation, history: HudHistory, cue_ns: int, end_ns: int) -> Outcome:
    within_ns = None if exp.within_ms is None else round(exp.within_ms * NS_PER_MS)
    if exp.kind == "hud_contains":
        return _contains(exp, history, cue_ns, end_ns, within_ns)
    return _absent(exp, history, cue_ns, end_ns, within_ns or 0)


def _ms(t_ns: int, cue_ns: int) -> float:
    return round((t_ns - cue_ns) / NS_PER_MS, 3)


def _contains(
    exp: Expectation, history: HudHistory, cue_ns: int, end_ns: int, within_ns: int | None
) -> Outcome:
    deadline = end_ns if within_ns is None else min(end_ns, cue_ns + within_ns)
    text = exp.text

    def verdict(passed: bool, detail: str, at_ms: float | None = None) -> Outcome:
        return Outcome(exp.label, exp.kind, text, passed, detail, at_ms)

    if on_hud(text, shown_at(history, cue_ns)):
        return verdict(True, "already on the HUD at the cue", 0.0)
    for t, drawn in history:
        if t < cue_ns or not on_hud(text, drawn):
            continue
        if t <= deadline:
            return verdict(True, f"shown at +{_ms(t, cue_ns):g} ms", _ms(t, cue_ns))
        return verdict(
            False,
            f"shown at +{_ms(t, cue_ns):g} ms, later than the {exp.within_ms:g} ms allowed",
            _ms(t, cue_ns),
        )
    last = shown_at(history, deadline).replace("\n", " / ") or "(nothing)"
    window = f"+{_ms(deadline, cue_ns):g} ms"
    return verdict(False, f"never shown up to {window}; the HUD then showed: {last!r}")


def _absent(
    exp: Expectation, history: HudHistory, cue_ns: int, end_ns: int, grace_ns: int
) -> Outcome:
    """Not on the HUD from the cue plus the grace to the end of the run, or for ``for_ms``.

    The window with ``for_ms`` is half-open: a draw at its very end belongs to what follows
    (a swipe exactly ``for_ms`` later ends the window it closes)."""
    start = cue_ns + grace_ns
    if exp.for_ms is None:
        stop = last = end_ns
    else:
        stop = min(end_ns, start + round(exp.for_ms * NS_PER_MS))
        last = stop - 1  # times are whole ns: the last moment inside the half-open window
    text = exp.text

    def fail(t_ns: int, detail: str) -> Outcome:
        return Outcome(exp.label, exp.kind, text, False, detail, _ms(t_ns, cue_ns))

    if on_hud(text, shown_at(history, start)):
        return fail(start, f"still on the HUD at +{_ms(start, cue_ns):g} ms")
    for t, drawn in history:
        if start < t <= last and on_hud(text, drawn):
            return fail(t, f"shown at +{_ms(t, cue_ns):g} ms")
    window = f"+{_ms(start, cue_ns):g} to +{_ms(stop, cue_ns):g} ms"
    return Outcome(exp.label, exp.kind, text, True, f"never shown from {window}")
