"""The ``ask`` skill: open questions ("hey glasses, how tall is the Eiffel tower").

The listener turns speech that is no grammar command into an ``ask`` intent carrying the
Whisper transcript. With a language model (``services.llm``) the answer is generated for the
display (``glasses.assistant.prompt``: short, plain, with what the camera sees quoted as data)
and written progressively (``AnswerWriter``: words drawn as they come, each sentence spoken when
complete). The wake phrase, a tap while speaking or "stop" cancel generation and speech at once
(the dispatcher cancels this streaming skill's task; ``TokenStream.close`` stops the model).
A vision endpoint (``LanguageModel.vision``, e.g. Qwen-VL behind an OpenAI-compatible URL) also
gets the newest frame as a JPEG, with bystanders' faces blurred first (``outgoing_frame``).
Without a model the skill shows what it heard and says plainly that it has no answer.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import ClassVar

from glasses.assistant.answer import prefill_next, stream_answer
from glasses.assistant.intents import ASK
from glasses.assistant.llm.base import ChatMessage, LanguageModel, LlmError
from glasses.assistant.outgoing_frame import frame_for_upload
from glasses.assistant.prompt import build_messages, seen_summary
from glasses.assistant.skill import Reply, Skill, SkillContext
from glasses.perception.faces import FaceDetector
from glasses.runtime.events import Card, Intent

log = logging.getLogger(__name__)

UPLOAD_FRAME_COST_NS = 60_000_000  # scale, detect faces, blur and encode a 640×480 frame
_SEEN_FRESH_NS = 5_000_000_000  # what perception reported longer ago is not "in view" any more


class AskSkill(Skill):
    """Answers open questions with ``services.llm``; ``answer_words`` is the answer's length
    asked of the model (about one page of the display; see ``answer.answer_words``)."""

    name: ClassVar[str] = "ask"
    intents: ClassVar[tuple[str, ...]] = (ASK,)
    streaming: ClassVar[bool] = True

    def __init__(self, *, answer_words: int = 40, max_tokens: int = 96) -> None:
        self.answer_words = answer_words
        self.max_tokens = max_tokens
        self.answered = 0
        self.cancelled = 0
        self._detector: FaceDetector | None = None

    async def handle(self, intent: Intent, ctx: SkillContext) -> Reply:
        question = intent.phrase.strip()
        if not question:
            return Reply(card=Card(title="Didn't catch that", layout="toast", ttl_s=2.0))
        llm = ctx.services.llm
        if llm is None:
            return Reply(
                card=Card(
                    title="You asked",
                    body=f"“{question}”\nNo answer yet: no language model is set up.",
                    layout="reference",
                    ttl_s=6.0,
                ),
                say="I have no answer to that yet.",
            )
        return await self._answer(question, llm, ctx)

    async def _answer(self, question: str, llm: LanguageModel, ctx: SkillContext) -> Reply:
        conversation = ctx.services.conversation
        messages = build_messages(
            question,
            words=self.answer_words,
            history=conversation.history(),
            seen=self._seen(ctx),
        )
        if llm.vision:  # a vision endpoint also gets the frame, bystanders' faces blurred
            messages[-1] = await self._with_frame(messages[-1], ctx)
        try:
            # The question heard is the card's title: the wearer sees what is being answered.
            answer = await stream_answer(
                ctx, llm, messages, title=_title(question), max_tokens=self.max_tokens
            )
        except LlmError as exc:
            log.warning("ask: %s", exc)
            return Reply(card=Card(title="Assistant", body=str(exc), layout="toast", ttl_s=5.0))
        except BaseException:  # cancelled (barge-in, "stop", a newer question)
            self.cancelled += 1
            raise
        conversation.add(question, answer)
        conversation.last_said = answer
        self.answered += 1
        prefill_next(ctx, llm, words=self.answer_words)
        return Reply()

    async def _with_frame(self, message: ChatMessage, ctx: SkillContext) -> ChatMessage:
        frame = ctx.latest_frame()
        if frame is None:
            return message
        detector = self._detector
        if detector is None:
            detector = self._detector = await ctx.clock.run_blocking(FaceDetector)
        image = frame.image
        jpeg, _ = await ctx.clock.run_blocking(
            lambda: frame_for_upload(image, detector), cost_ns=UPLOAD_FRAME_COST_NS
        )
        return replace(message, image_jpeg=jpeg)

    @staticmethod
    def _seen(ctx: SkillContext) -> str:
        seen = ctx.seen()
        now = ctx.clock.now_ns()
        codes = [c.value for c in seen.codes] if now - seen.codes_t_ns < _SEEN_FRESH_NS else []
        text = list(seen.text) if now - seen.text_t_ns < _SEEN_FRESH_NS else []
        return seen_summary(codes, text)


def _title(question: str, max_chars: int = 40) -> str:
    question = question.strip().rstrip("?.!").strip()
    question = question[:1].upper() + question[1:]
    if len(question) > max_chars:
        question = question[: max_chars - 1].rsplit(" ", 1)[0] + "…"
    return question + "?"
