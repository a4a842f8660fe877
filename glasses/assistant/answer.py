"""Progressive answers: words drawn on the HUD as they are generated, spoken sentence by sentence.

``AnswerWriter`` is what a streaming skill writes its answer into, one piece of text at a time
(a language model's tokens, OCR lines). Each piece updates one HUD stream (``HudUpdate.stream``:
the HUD stage draws at the display's update rate, coalescing what arrives between draws, and a
``follow`` card keeps its newest page in view, so pages turn as the card fills); each sentence is
spoken (a queued ``Say``) as soon as it is complete, so speech starts before generation ends.
A ``lead`` (what a skill knows before the model writes, e.g. the frame summary of "what do you
see") is drawn at once, and the answer grows under it on the same card.

``prefill_next``: once an answer is complete, the model evaluates how the next question's prompt
begins (the conversation so far, ``prompt_start``) in the background, so the next question
costs only its own words before the answer.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Sequence

from glasses.assistant.llm.base import ChatMessage, LanguageModel, TokenStream
from glasses.assistant.prompt import prompt_start
from glasses.assistant.skill import SkillContext
from glasses.hud.layout import layout_card
from glasses.hud.profile import DisplayProfile
from glasses.runtime.events import Card, HudUpdate, Say

log = logging.getLogger(__name__)

# What a language model is charged on the virtual clock: the prompt's prefill before the first
# piece, then each piece (about one token): about Gemma 3 270M Q4_K_M on two cores (measured by
# ``glasses bench assistant``: llm_first_token_ms, llm_tokens_per_s). On the real clock the cost
# is whatever it takes.
PREFILL_COST_NS = 250_000_000
PIECE_COST_NS = 40_000_000

# A sentence ends at . ! or ? followed by white space (not inside "3.5" or "e.g.x").
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"”')\]]*\s+")
# Markdown a model may emit anyway: a glasses display shows plain text.
_MARKUP = re.compile(r"[*_`#]+")


def answer_words(profile: DisplayProfile, *, pages: int = 2) -> int:
    """How many words of ordinary English fit on ``pages`` pages of a text card on ``profile``:
    the length to ask a language model for (an answer the wearer reads at a glance)."""
    sample = Card(body=" ".join(["answer"] * 400), layout="text_wall")
    first = layout_card(sample, profile)[0]
    return max(8, pages * sum(len(run.text.split()) for run in first.runs))


class AnswerWriter:
    """One turn's progressive answer. ``add(piece)`` as text arrives, ``finish()`` at the end;
    ``lead``, drawn by ``start()`` before any piece, stays at the head of the card.

    ``partials`` counts the HUD updates sent before ``finish``; ``sentences`` the sentences
    sent to be spoken. Nothing is emitted for pieces that add only white space.
    """

    def __init__(
        self,
        ctx: SkillContext,
        *,
        title: str = "",
        speak: bool = True,
        ttl_s: float | None = 20.0,
        lead: str = "",
    ) -> None:
        self.ctx = ctx
        self.title = title
        self.lead = lead.strip()
        self.speak = speak
        self.ttl_s = ttl_s
        self.text = ""
        self.partials = 0
        self.sentences = 0
        self._spoken_upto = 0  # index in ``text`` up to which sentences were sent to speech
        self._stream = f"answer-{ctx.turn_id}"

    def start(self) -> None:
        """Draw the lead now (nothing without one)."""
        if self.lead:
            self._draw(final=False)

    def add(self, piece: str) -> None:
        piece = _MARKUP.sub("", piece)
        if not self.text:
            piece = piece.lstrip()
        if not piece:
            return
        self.text += piece
        if not piece.strip():
            return
        self._draw(final=False)
        self.partials += 1
        if self.speak:
            self._speak_complete_sentences()

    def finish(self, *, fallback: str = "") -> str:
        """Draw the whole answer (``fallback`` if nothing came), speak its last sentence; the
        answer's text."""
        self.text = self.text.strip() or fallback
        self._draw(final=True)
        if self.speak:
            rest = self.text[self._spoken_upto :].strip()
            if rest:
                self._say(rest)
            self._spoken_upto = len(self.text)
        return self.text

    def _draw(self, *, final: bool) -> None:
        card = Card(
            title=self.title,
            body="\n\n".join(part for part in (self.lead, self.text.strip()) if part),
            layout="reference" if self.title else "text_wall",
            follow=True,
            ttl_s=self.ttl_s if final else None,
        )
        self.ctx.emit(
            HudUpdate(
                t_ns=self.ctx.clock.now_ns(),
                source="skills",
                turn_id=self.ctx.turn_id,
                card=card,
                stream=self._stream,
            )
        )

    def _speak_complete_sentences(self) -> None:
        pending = self.text[self._spoken_upto :]
        ends = list(_SENTENCE_END.finditer(pending))
        if not ends:
            return
        cut = ends[-1].end()
        for sentence in _SENTENCE_END.split(pending[:cut]):
            if sentence.strip():
                self._say(sentence.strip())
        self._spoken_upto += cut

    def _say(self, sentence: str) -> None:
        self.sentences += 1
        self.ctx.emit(
            Say(
                t_ns=self.ctx.clock.now_ns(),
                source="skills",
                turn_id=self.ctx.turn_id,
                text=sentence,
                queued=True,
            )
        )


async def stream_answer(
    ctx: SkillContext,
    llm: LanguageModel,
    messages: Sequence[ChatMessage],
    *,
    title: str = "",
    max_tokens: int = 96,
    fallback: str = "I don't know.",
    lead: str = "",
) -> str:
    """Generate ``llm``'s reply to ``messages`` into an ``AnswerWriter`` (drawn as it comes,
    spoken sentence by sentence; ``lead`` drawn first, above it) and return its text. Each
    piece is one blocking step through ``ctx.clock.run_blocking``; cancelling the awaiting task
    (a barge-in) closes the model's stream at once. Raises ``LlmError`` (one line) when the
    model fails."""
    writer = AnswerWriter(ctx, title=title, lead=lead)
    writer.start()
    stream: TokenStream | None = None
    try:
        stream = await ctx.clock.run_blocking(lambda: llm.stream(messages, max_tokens=max_tokens))
        cost = PREFILL_COST_NS
        while True:
            piece = await ctx.clock.run_blocking(lambda: next(stream, None), cost_ns=cost)
            if piece is None:
                break
            cost = PIECE_COST_NS
            writer.add(piece)
    finally:
        if stream is not None:
            _close(stream)
    return writer.finish(fallback=fallback)


_PREFILLS: set[asyncio.Task[None]] = set()  # running: a task nobody references may be collected


def prefill_next(ctx: SkillContext, llm: LanguageModel, *, words: int) -> None:
    """Have ``llm`` evaluate the start of the next question's prompt (``prompt_start``: the
    conversation so far and the instructions) in a background task, when it can (a
    ``prefill`` method: llama.cpp in process); call it once an answer is complete and in the
    conversation. A question asked meanwhile cancels it; a failure is logged, never raised."""
    prefill = getattr(llm, "prefill", None)
    if prefill is None:
        return
    messages = prompt_start(words=words, history=ctx.services.conversation.history())

    async def run() -> None:
        await ctx.clock.run_blocking(lambda: prefill(messages), cost_ns=PREFILL_COST_NS)

    task = asyncio.get_running_loop().create_task(run(), name="llm-prefill")
    _PREFILLS.add(task)
    task.add_done_callback(_prefilled)


def _prefilled(task: asyncio.Task[None]) -> None:
    _PREFILLS.discard(task)
    if not task.cancelled() and (error := task.exception()) is not None:
        log.warning("prefilling the next prompt failed: %s", error)


def _close(stream: TokenStream) -> None:
    try:
        stream.close()
    except Exception:  # closing must not hide why the turn ended
        log.exception("closing the model's stream failed")
