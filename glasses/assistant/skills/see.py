"""The ``see`` skill: "what do you see" / "what is this" → a summary of the newest frame.

The summary (``glasses.perception.frame_summary``): the text read in the centre of the view,
the codes in view, how many faces (never who), object labels when an object detector is
configured, the dominant colours and the light. Without a language model it is a ``list`` card
and a short spoken sentence; with one, it is drawn as soon as it is computed and is the context
of the model's answer, which grows under it on the same card (drawn and spoken progressively,
as ``ask`` answers). ``summarize(ctx)`` gives the same ``FrameSummary``
to any skill that builds an answer on it (``FrameSummary.to_prompt()``).

What perception already reported about the newest frame is reused: codes from the code stage
and text from an OCR stage when they were read from a frame at most ``FRESH_NS`` older than
it; the rest is read here. When the view has not changed since the last summary
(``SceneChangeDetector``), that summary is given again without running a model.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from glasses.assistant.answer import prefill_next, stream_answer
from glasses.assistant.intents import SEE
from glasses.assistant.llm.base import LlmError
from glasses.assistant.prompt import build_messages
from glasses.assistant.skill import Reply, Skill, SkillContext
from glasses.assistant.triggers import OnText, Phrase, Trigger
from glasses.perception.frame_summary import FrameSummarizer, FrameSummary, ObjectFinder
from glasses.perception.scene_change import SceneChangeDetector
from glasses.runtime.events import Card, Intent

# What one summary is charged on the virtual clock. Measured p50 on 640×480 frames (2 cores
# shared with other jobs, load ~4): a sign 102 ms (OCR of the centre 58, faces 40, codes 2,
# colours and light 1), a QR code 111 ms, two faces 181 ms (faces 85). The first summary also
# loads the models: ~0.4 s.
NOMINAL_COST_NS = 130_000_000
FRESH_NS = 500_000_000  # perception results this much older than the newest frame are re-read
SEE_PATTERN = (
    r"(?:what (?:do|can) you see(?: now| here)?|what am i (?:looking at|seeing)"
    r"|what(?: is|'s) (?:this|that|in front of me|around me)"
    r"|describe (?:this|that|what you see|what i see|the scene|the view)(?: please)?"
    r"|look at this)"
)


class SeeSkill(Skill):
    """``summarizer``: runs the models (default: built at the first request; see
    ``FrameSummarizer``). ``detector``: an object detector, or a function building one at the
    first request (None: no object labels). ``summaries`` counts the summaries computed and
    ``reused`` those given again for an unchanged view."""

    name: ClassVar[str] = "see"
    intents: ClassVar[tuple[str, ...]] = (SEE,)
    # With a language model the answer is generated: cancellable like ``ask``.
    streaming: ClassVar[bool] = True
    answer_words: ClassVar[int] = 40
    phrases: ClassVar[tuple[str | Phrase, ...]] = ("what do you see",)
    triggers: ClassVar[tuple[Trigger, ...]] = (OnText(SEE_PATTERN, SEE),)

    def __init__(
        self,
        summarizer: FrameSummarizer | None = None,
        *,
        detector: ObjectFinder | Callable[[], ObjectFinder] | None = None,
        change_detector: SceneChangeDetector | None = None,
    ) -> None:
        self.summarizer = summarizer or FrameSummarizer()
        if detector is not None:
            if hasattr(detector, "detect"):
                self.summarizer.detector = detector
            else:
                self.summarizer.make_detector = detector
        self.change_detector = change_detector or SceneChangeDetector()
        self.summaries = 0
        self.reused = 0
        self._last: FrameSummary | None = None

    async def summarize(self, ctx: SkillContext) -> FrameSummary | None:
        """The summary of the newest frame (None before the first frame)."""
        frame = ctx.latest_frame()
        if frame is None:
            return None
        image = frame.image
        if not self.change_detector.changed(image) and self._last is not None:
            self.reused += 1
            return self._last
        self._last = None  # a failed summary must not answer for this new view later
        seen = ctx.seen()
        text = seen.text if seen.text and 0 <= frame.t_ns - seen.text_t_ns <= FRESH_NS else None
        codes = seen.codes if seen.codes and 0 <= frame.t_ns - seen.codes_t_ns <= FRESH_NS else None
        summarizer = self.summarizer
        summary = await ctx.clock.run_blocking(
            lambda: summarizer.summarize(image, text=text, codes=codes), cost_ns=NOMINAL_COST_NS
        )
        self.summaries += 1
        self._last = summary
        return summary

    async def handle(self, intent: Intent, ctx: SkillContext) -> Reply:
        summary = await self.summarize(ctx)
        if summary is None:
            return Reply(
                card=Card(title="See", body="No camera view yet.", layout="toast", ttl_s=3.0)
            )
        llm = ctx.services.llm
        if llm is None:
            return Reply(
                card=Card(title="I see", items=summary.card_items(), layout="list"),
                say=summary.sentence(),
            )
        # With a language model the summary is the context its answer is built on; the
        # wearer's own words are the question ("what is this", "describe the scene").
        question = intent.phrase.strip() or "What do you see?"
        messages = build_messages(
            question,
            words=self.answer_words,
            history=ctx.services.conversation.history(),
            seen=summary.to_prompt(),
        )
        try:
            # The summary is drawn at once; the model's answer grows under it on the card.
            answer = await stream_answer(
                ctx, llm, messages, title="I see", lead="\n".join(summary.card_items())
            )
        except LlmError as exc:  # the summary still answers: say why it is not the model's
            return Reply(
                card=Card(title="I see", items=(*summary.card_items(), str(exc)), layout="list"),
                say=summary.sentence(),
            )
        ctx.services.conversation.add(question, answer)
        ctx.services.conversation.last_said = answer
        prefill_next(ctx, llm, words=self.answer_words)
        return Reply()
