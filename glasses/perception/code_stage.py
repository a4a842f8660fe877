"""The code stage: reads QR codes and barcodes from the newest camera frame."""

from __future__ import annotations

from typing import ClassVar

from glasses.perception.codes import CodeReader
from glasses.runtime.events import CodesDetected, Event, VideoFrame
from glasses.runtime.stage import Stage, StageContext


class CodeStage(Stage):
    """Latest-wins on camera frames: while a frame is being read, newer ones replace each other.

    ``nominal_cost_ms`` is what one read is charged on the virtual clock (the harness); on the
    real clock the read runs in a worker thread and costs what it costs (see ``glasses bench``).
    """

    name: ClassVar[str] = "codes"
    accepts: ClassVar[tuple[type[Event], ...]] = (VideoFrame,)
    latest_wins: ClassVar[tuple[type[Event], ...]] = (VideoFrame,)

    def __init__(self, reader: CodeReader | None = None, *, nominal_cost_ms: float = 12.0) -> None:
        self.reader = reader or CodeReader()
        self.cost_ns = int(nominal_cost_ms * 1e6)

    async def process(self, event: Event, ctx: StageContext) -> None:
        if not isinstance(event, VideoFrame):
            return
        image = event.image
        codes = await ctx.clock.run_blocking(lambda: self.reader.read(image), cost_ns=self.cost_ns)
        if codes:
            ctx.emit(
                CodesDetected(
                    t_ns=ctx.now_ns(),
                    source=self.name,
                    codes=tuple(codes),
                    frame_index=event.index,
                    frame_t_ns=event.t_ns,
                )
            )
