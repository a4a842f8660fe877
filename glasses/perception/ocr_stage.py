"""The OCR stage: reads the text in the newest camera frame and emits ``TextRead``."""

from __future__ import annotations

from typing import ClassVar

from glasses.perception.ocr import OcrReader
from glasses.runtime.events import Event, TextRead, VideoFrame
from glasses.runtime.stage import Stage, StageContext


class OcrStage(Stage):
    """Latest-wins on camera frames: while a frame is being read, newer ones replace each other.

    ``reader`` is built on ``start`` when not given (loading both models takes ~0.4 s, off the
    hot path). ``center_fraction`` restricts reading to the centre of the frame (see
    ``OcrReader.read``). ``nominal_cost_ms`` is what one read is charged on the virtual clock
    (the harness); on the real clock the read runs in a worker thread and costs what it costs.
    Frames without text emit nothing.
    """

    name: ClassVar[str] = "ocr"
    accepts: ClassVar[tuple[type[Event], ...]] = (VideoFrame,)
    latest_wins: ClassVar[tuple[type[Event], ...]] = (VideoFrame,)

    def __init__(
        self,
        reader: OcrReader | None = None,
        *,
        center_fraction: float = 1.0,
        nominal_cost_ms: float = 180.0,
    ) -> None:
        if not 0.0 < center_fraction <= 1.0:
            raise ValueError(f"center_fraction must be within (0, 1], got {center_fraction}")
        self.reader = reader
        self.center_fraction = center_fraction
        self.cost_ns = int(nominal_cost_ms * 1e6)

    async def start(self, ctx: StageContext) -> None:
        if self.reader is None:
            self.reader = await ctx.clock.run_blocking(OcrReader, cost_ns=0)

    async def process(self, event: Event, ctx: StageContext) -> None:
        if not isinstance(event, VideoFrame):
            return
        reader = self.reader
        if reader is None:
            raise RuntimeError("OcrStage.process called before start")
        image = event.image
        lines = await ctx.clock.run_blocking(
            lambda: reader.read(image, center_fraction=self.center_fraction),
            cost_ns=self.cost_ns,
        )
        if lines:
            ctx.emit(
                TextRead(
                    t_ns=ctx.now_ns(),
                    source=self.name,
                    lines=tuple(line.text for line in lines),
                    frame_index=event.index,
                    frame_t_ns=event.t_ns,
                )
            )
