"""The memory skills: "remember …" stores the wearer's words; "where is …" finds them again.

Both take open speech (the ``ask`` transcript after the wake phrase, through ``OnText``):

* **remember** — "remember (that) the car is on level three" stores the words with the wall
  time, the text and codes in view and a 160 px JPEG thumbnail of the newest frame, and confirms
  on a toast. While the capture indicator is off (``services.capturing()`` False) it stores the
  words only: nothing the camera saw, not even text read earlier.
* **recall** — "where is/are …", "where's …", "where/what/when did I …", "where have I …",
  "do you remember …", "what do you remember about …" search the memory by words (SQLite
  FTS5), newest first, and list the matches with how long ago each was said; the newest is
  spoken. Nothing found: it says so. "What do you remember" (a grammar phrase, and open
  speech) lists the newest entries.

The store is ``services.memory`` (``glasses.assistant.memory.SqliteMemory``); without one the
skills say memory is off. A store that fails (a damaged file) shows its one-line message.
"""

from __future__ import annotations

import logging
import re
from typing import ClassVar

import cv2
import numpy as np

from glasses.assistant.intents import RECALL, REMEMBER
from glasses.assistant.memory import MemoryStoreError, how_long_ago
from glasses.assistant.services import MemoryEntry, MemoryStore
from glasses.assistant.skill import Reply, Seen, Skill, SkillContext
from glasses.assistant.triggers import OnText, Phrase, Trigger
from glasses.runtime.events import Card, Intent

log = logging.getLogger(__name__)

THUMBNAIL_WIDTH_PX = 160
THUMBNAIL_QUALITY = 70  # JPEG quality 0..100: ~3-5 kB for a 160×120 thumbnail
# What perception reported longer ago than this (ns, runtime clock) is no longer "in view".
SEEN_FRESH_NS = 5_000_000_000
# What each is charged on the virtual clock. Measured on the real one (2 cores, ext4, 200 runs):
# the 160 px thumbnail 0.5 ms; a committed insert with its WAL fsync p50 7.5 ms, p95 15 ms; a
# search p50 0.3 ms (p95 7.5 ms while the inserts' checkpoints run).
REMEMBER_COST_NS = 10_000_000
RECALL_COST_NS = 2_000_000
RECALL_LIMIT = 3
TOAST_S = 4.0
CARD_S = 10.0


def thumbnail_jpeg(
    image: np.ndarray, *, width: int = THUMBNAIL_WIDTH_PX, quality: int = THUMBNAIL_QUALITY
) -> bytes:
    """``image`` (H×W×3 BGR) scaled to ``width`` px wide (never up), as JPEG bytes."""
    h, w = image.shape[:2]
    if w > width:
        image = cv2.resize(
            image, (width, max(1, round(h * width / w))), interpolation=cv2.INTER_AREA
        )
    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:  # pragma: no cover - JPEG encoding of a uint8 image does not fail
        raise ValueError("cannot encode the thumbnail as JPEG")
    return data.tobytes()


def seen_in_view(seen: Seen, now_ns: int, *, fresh_ns: int = SEEN_FRESH_NS) -> str:
    """The text lines and code values perception reported within ``fresh_ns`` of ``now_ns``,
    one a line (text first)."""
    lines: list[str] = []
    if seen.text and now_ns - seen.text_t_ns <= fresh_ns:
        lines.extend(seen.text)
    if seen.codes and now_ns - seen.codes_t_ns <= fresh_ns:
        lines.extend(code.value for code in seen.codes)
    return "\n".join(dict.fromkeys(line.strip() for line in lines if line.strip()))


def as_said(slot: str, phrase: str) -> str:
    """The words of ``slot`` (lower-case, as ``OnText`` matched them) as the transcript
    ``phrase`` wrote them, when it ends with them ("I parked on level 3"); else ``slot``."""
    words = slot.split()
    raw = re.findall(r"[A-Za-z0-9']+", phrase)
    tail = raw[len(raw) - len(words) :] if len(raw) >= len(words) else []
    return " ".join(tail) if [w.lower() for w in tail] == words else slot


def _toast(title: str, body: str = "") -> Card:
    return Card(title=title, body=body, layout="toast", ttl_s=TOAST_S)


class RememberSkill(Skill):
    """Stores what the wearer asks it to remember (see the module's docstring)."""

    name: ClassVar[str] = "remember"
    intents: ClassVar[tuple[str, ...]] = (REMEMBER,)
    triggers: ClassVar[tuple[Trigger, ...]] = (
        OnText(r"(?:please )?remember (?:that )?(?P<what>.+)", REMEMBER),
        OnText(r"(?:please )?make a note (?:that )?(?P<what>.+)", REMEMBER),
    )

    async def handle(self, intent: Intent, ctx: SkillContext) -> Reply:
        store = ctx.services.memory
        if store is None:
            return Reply(card=_toast("Memory is off", "No memory store is set up."))
        what = as_said(intent.slot("what"), intent.phrase) or intent.phrase.strip()
        if not what:
            return Reply(card=_toast("Remember what?"), say="Remember what?")
        seen_text, image = "", None
        # The capture indicator off: the wearer was told the camera is not in use, so nothing
        # it saw goes into the memory, not even text perception read while it was on.
        if ctx.services.capturing():
            seen_text = seen_in_view(ctx.seen(), ctx.clock.now_ns())
            frame = ctx.latest_frame()
            image = frame.image if frame is not None else None

        def store_it() -> int:
            thumb = thumbnail_jpeg(image) if image is not None else None
            return store.add(what, seen_text=seen_text, thumbnail_jpeg=thumb)

        try:
            entry_id = await ctx.clock.run_blocking(store_it, cost_ns=REMEMBER_COST_NS)
        except MemoryStoreError as exc:
            log.warning("not remembered: %s", exc)
            return Reply(card=_toast("Not remembered", str(exc)))
        log.info("remembered #%d: %s", entry_id, what)
        return Reply(card=_toast("Remembered", f"“{what}”"), say="Got it.")


class RecallSkill(Skill):
    """Finds remembered entries by their words, newest first (see the module's docstring)."""

    name: ClassVar[str] = "recall"
    intents: ClassVar[tuple[str, ...]] = (RECALL,)
    phrases: ClassVar[tuple[str | Phrase, ...]] = ("what do you remember",)
    triggers: ClassVar[tuple[Trigger, ...]] = (
        OnText(r"(?:where's|where (?:is|are|was|were)) (?P<what>.+)", RECALL),
        OnText(r"(?:where|what|when) did i (?P<what>.+)", RECALL),
        OnText(r"where have i (?P<what>.+)", RECALL),
        OnText(r"(?:what )?do you remember(?: anything)?", RECALL),  # the newest entries
        OnText(r"(?:what )?do you remember (?:about )?(?P<what>.+)", RECALL),
    )

    def __init__(self, *, limit: int = RECALL_LIMIT) -> None:
        self.limit = limit

    async def handle(self, intent: Intent, ctx: SkillContext) -> Reply:
        store = ctx.services.memory
        if store is None:
            return Reply(card=_toast("Memory is off", "No memory store is set up."))
        what = intent.slot("what")
        limit = self.limit

        def look(memory: MemoryStore = store) -> list[MemoryEntry]:
            return memory.search(what, limit=limit) if what else memory.recent(limit=limit)

        try:
            found = await ctx.clock.run_blocking(look, cost_ns=RECALL_COST_NS)
        except MemoryStoreError as exc:
            log.warning("recall failed: %s", exc)
            return Reply(card=_toast("Memory unavailable", str(exc)))
        if not found:
            if what:
                return Reply(
                    card=_toast("Not remembered", f"Nothing about “{what}”."),
                    say="I don't remember anything about that.",
                )
            return Reply(card=_toast("Nothing remembered yet"), say="I don't remember anything.")
        now = ctx.services.wall_time()
        items = tuple(f"{e.text} ({how_long_ago(now - e.t_unix_s)})" for e in found)
        newest = found[0]
        return Reply(
            card=Card(
                title="Memory" if what else "Recent memories",
                layout="list",
                items=items,
                ttl_s=CARD_S,
            ),
            say=f"{newest.text}, {how_long_ago(now - newest.t_unix_s)}.",
        )
