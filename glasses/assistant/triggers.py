"""What starts a skill: spoken phrases, taps, head gestures and codes in view.

A skill declares its triggers (``Skill.phrases`` and ``Skill.triggers``); ``TriggerTable``
gathers those of every registered skill once, at start, and refuses a table that could not work:
a trigger naming an intent no skill answers, two skills claiming the same tap, gesture or code,
or one phrase for two intents. Nothing about triggers is decided at run time by intent names.

``when`` says in which HUD state a tap or gesture counts: ``"idle"`` (no card shown), ``"card"``
(a card is shown) or ``"any"``. A card that asks for a gesture (``Card.actions``) overrides every
trigger here while it is shown: its own gestures win (see ``RouterStage``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from glasses.assistant.skill import Skill

When = Literal["idle", "card", "any"]
WHEN: tuple[When, ...] = ("idle", "card", "any")
GESTURES = ("nod", "shake")


@dataclass(frozen=True, slots=True)
class Phrase:
    """A spoken form of ``intent`` (lower-case words; the command grammar is built from these)."""

    text: str
    intent: str


@dataclass(frozen=True, slots=True)
class OnTap:
    """``count`` taps (1 or 2) on the touch pad start ``intent`` when the HUD is in ``when``."""

    count: int
    intent: str
    when: When = "any"

    def __post_init__(self) -> None:
        if self.count not in (1, 2):
            raise ValueError(f"OnTap count must be 1 or 2, got {self.count}")
        if self.when not in WHEN:
            raise ValueError(f"OnTap when must be one of {WHEN}, got {self.when!r}")


@dataclass(frozen=True, slots=True)
class OnGesture:
    """A head ``gesture`` (``"nod"`` or ``"shake"``) starts ``intent`` in HUD state ``when``."""

    gesture: str
    intent: str
    when: When = "any"

    def __post_init__(self) -> None:
        if self.gesture not in GESTURES:
            raise ValueError(f"OnGesture gesture must be one of {GESTURES}, got {self.gesture!r}")
        if self.when not in WHEN:
            raise ValueError(f"OnGesture when must be one of {WHEN}, got {self.when!r}")


@dataclass(frozen=True, slots=True)
class OnCode:
    """A code coming into view starts ``intent``.

    ``symbologies`` (e.g. ``("EAN_13",)``) and ``prefixes`` of the decoded value (e.g.
    ``("upi://pay",)``) narrow it; the most specific match wins: a prefix match over a symbology
    match over a catch-all (both empty). Two skills with the same narrowing conflict.
    """

    intent: str
    symbologies: tuple[str, ...] = ()
    prefixes: tuple[str, ...] = ()

    @property
    def specificity(self) -> int:
        return 2 if self.prefixes else 1 if self.symbologies else 0

    def matches(self, symbology: str, value: str) -> bool:
        if self.symbologies and symbology not in self.symbologies:
            return False
        return not self.prefixes or value.lower().startswith(
            tuple(p.lower() for p in self.prefixes)
        )


@dataclass(frozen=True, slots=True)
class OnText:
    """Open speech (the ``ask`` transcript) matching ``pattern`` starts ``intent`` instead of the
    language model: a Python regex, matched case-insensitively against the whole transcript
    (lower-case, punctuation removed); its named groups become the intent's slots.

    For requests with an open part that a fixed grammar phrase cannot hold: "set a timer for
    five minutes", "remember the car is on level three", "where did I park".
    """

    pattern: str
    intent: str

    def __post_init__(self) -> None:
        try:
            re.compile(self.pattern)
        except re.error as exc:
            raise ValueError(f"OnText pattern {self.pattern!r}: {exc}") from None

    def match(self, text: str) -> tuple[tuple[str, str], ...] | None:
        m = re.fullmatch(self.pattern, text, flags=re.IGNORECASE)
        if m is None:
            return None
        return tuple((k, v.strip()) for k, v in m.groupdict().items() if v is not None)


Trigger = OnTap | OnGesture | OnCode | OnText


def normalize_text(text: str) -> str:
    """Lower-case words, digits and apostrophes only: what ``OnText`` patterns are matched on."""
    return " ".join(re.findall(r"[a-z0-9']+", text.lower()))


class TriggerError(ValueError):
    """The registered skills' triggers cannot work together (raised at start)."""


@dataclass(frozen=True, slots=True)
class TriggerTable:
    """Every registered skill's triggers, checked; built by ``TriggerTable.build(skills)``."""

    intents: frozenset[str]
    phrases: tuple[Phrase, ...]
    taps: tuple[OnTap, ...]
    gestures: tuple[OnGesture, ...]
    codes: tuple[OnCode, ...]  # most specific first
    texts: tuple[OnText, ...] = ()  # in registration order: the first match wins

    @classmethod
    def build(cls, skills: Iterable[Skill]) -> TriggerTable:
        skills = list(skills)
        owner: dict[str, str] = {}
        for skill in skills:
            for intent in skill.intents:
                if intent in owner:
                    raise TriggerError(
                        f"intent {intent!r} claimed by skills {owner[intent]} and {skill.name}"
                    )
                owner[intent] = skill.name
        phrases: list[Phrase] = []
        triggers: list[tuple[str, Trigger]] = []
        for skill in skills:
            for phrase in skill_phrases(skill):
                _check_intent(phrase.intent, skill.name, owner)
                phrases.append(phrase)
            for trigger in skill.triggers:
                _check_intent(trigger.intent, skill.name, owner)
                triggers.append((skill.name, trigger))
        _check_phrases(phrases)
        taps = [t for _, t in triggers if isinstance(t, OnTap)]
        gestures = [t for _, t in triggers if isinstance(t, OnGesture)]
        codes = [t for _, t in triggers if isinstance(t, OnCode)]
        _check_overlaps(triggers)
        texts = [t for _, t in triggers if isinstance(t, OnText)]
        codes.sort(key=lambda c: -c.specificity)
        return cls(
            frozenset(owner),
            tuple(phrases),
            tuple(taps),
            tuple(gestures),
            tuple(codes),
            tuple(texts),
        )

    def tap(self, count: int, card_shown: bool) -> str | None:
        """The intent of ``count`` taps in this HUD state, or None."""
        state = "card" if card_shown else "idle"
        for t in self.taps:
            if t.count == count and t.when in (state, "any"):
                return t.intent
        return None

    def gesture(self, gesture: str, card_shown: bool) -> str | None:
        """The intent of a head ``gesture`` in this HUD state, or None."""
        state = "card" if card_shown else "idle"
        for g in self.gestures:
            if g.gesture == gesture and g.when in (state, "any"):
                return g.intent
        return None

    def code(self, symbology: str, value: str) -> str | None:
        """The intent of a code in view (the most specific trigger that matches), or None."""
        for c in self.codes:
            if c.matches(symbology, value):
                return c.intent
        return None

    def text(self, transcript: str) -> tuple[str, tuple[tuple[str, str], ...]] | None:
        """The intent and slots of open speech that an ``OnText`` trigger claims, or None."""
        words = normalize_text(transcript)
        for t in self.texts:
            slots = t.match(words)
            if slots is not None:
                return t.intent, slots
        return None


def skill_phrases(skill: Skill) -> list[Phrase]:
    """A skill's spoken forms: a bare string means its first intent."""
    out: list[Phrase] = []
    for p in skill.phrases:
        if isinstance(p, Phrase):
            out.append(p)
        elif skill.intents:
            out.append(Phrase(p, skill.intents[0]))
        else:
            raise TriggerError(f"skill {skill.name} has phrases but no intents")
    return out


def _check_intent(intent: str, skill: str, owner: dict[str, str]) -> None:
    if intent not in owner:
        raise TriggerError(
            f"skill {skill}: a trigger names intent {intent!r}, which no skill answers"
        )


def _check_phrases(phrases: Sequence[Phrase]) -> None:
    seen: dict[str, str] = {}
    for p in phrases:
        text = " ".join(p.text.lower().split())
        if not text:
            raise TriggerError(f"empty phrase for intent {p.intent!r}")
        other = seen.setdefault(text, p.intent)
        if other != p.intent:
            raise TriggerError(f"phrase {text!r} maps to intents {other} and {p.intent}")


def _overlap(a: When, b: When) -> bool:
    return a == b or "any" in (a, b)


def _check_overlaps(triggers: Sequence[tuple[str, Trigger]]) -> None:
    for i, (skill_a, a) in enumerate(triggers):
        for skill_b, b in triggers[i + 1 :]:
            clash = False
            if isinstance(a, OnTap) and isinstance(b, OnTap):
                clash = a.count == b.count and _overlap(a.when, b.when)
            elif isinstance(a, OnGesture) and isinstance(b, OnGesture):
                clash = a.gesture == b.gesture and _overlap(a.when, b.when)
            elif isinstance(a, OnCode) and isinstance(b, OnCode):
                clash = (a.symbologies, a.prefixes) == (b.symbologies, b.prefixes)
            if clash and a.intent != b.intent:
                raise TriggerError(f"skills {skill_a} and {skill_b} both claim {a} / {b}")
