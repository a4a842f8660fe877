"""The code stage: reads QR codes and barcodes from the newest camera frame, on a duty cycle."""

from __future__ import annotations

import math
from typing import ClassVar

from glasses.perception.codes import CodeReader
from glasses.runtime.events import CodesDetected, DecodedCode, Event, VideoFrame
from glasses.runtime.stage import Stage, StageContext


class CodeStage(Stage):
    """Latest-wins on camera frames: while a frame is being read, newer ones replace each other.

    Duty cycle (``skip``): a frame whose ``view`` is the one last read holds the same pixels,
    so it is not read again: the codes found in that view are published for it at once (the
    router sees a code in view frame after frame, as before). Frames of unknown view (a live
    camera) are read at most ``rate_hz`` × ``duty_cycle`` times a second (``rate_hz`` None:
    every frame the stage gets); the first frame of a new known view is read at once.
    ``duty_cycle`` (0..1] is for a power governor to lower the rate on a low battery. The
    camera's own fps is untouched: every frame is still published, for the skills and the
    preview.

    ``nominal_cost_ms`` is what one read is charged on the virtual clock (the harness); on the
    real clock the read runs in a worker thread and costs what it costs (see ``glasses bench``).
    """

    name: ClassVar[str] = "codes"
    accepts: ClassVar[tuple[type[Event], ...]] = (VideoFrame,)
    latest_wins: ClassVar[tuple[type[Event], ...]] = (VideoFrame,)

    def __init__(
        self,
        reader: CodeReader | None = None,
        *,
        nominal_cost_ms: float = 12.0,
        rate_hz: float | None = 10.0,
    ) -> None:
        if rate_hz is not None and not (rate_hz > 0 and math.isfinite(rate_hz)):
            raise ValueError(f"rate_hz must be a finite number > 0 or None, got {rate_hz}")
        self.reader = reader or CodeReader()
        self.cost_ns = int(nominal_cost_ms * 1e6)
        self.rate_hz = rate_hz
        self.duty_cycle = 1.0
        self.reads = 0  # frames read (the rest were skipped)
        self._view: int | None = None  # the view of the last frame read, when known
        self._found: tuple[DecodedCode, ...] = ()  # what it held
        self._read_t_ns: int | None = None  # when the last frame read was captured

    def skip(self, event: Event, ctx: StageContext) -> bool:
        if not isinstance(event, VideoFrame):
            return False
        if event.view is not None:
            if event.view != self._view:
                return False  # a new view: read it now
            self._publish(self._found, event, ctx)
            return True
        last = self._read_t_ns
        return last is not None and event.t_ns - last < self.period_ns

    @property
    def period_ns(self) -> int:
        """The least time between two reads of frames of unknown view (ns)."""
        if self.rate_hz is None:
            return 0
        return round(1e9 / (self.rate_hz * min(1.0, max(self.duty_cycle, 1e-3))))

    async def process(self, event: Event, ctx: StageContext) -> None:
        if not isinstance(event, VideoFrame):
            return
        image = event.image
        self._view, self._read_t_ns = None, event.t_ns  # a read that raises leaves no view
        codes = await ctx.clock.run_blocking(lambda: self.reader.read(image), cost_ns=self.cost_ns)
        self.reads += 1
        self._view, self._found = event.view, tuple(codes)
        self._publish(self._found, event, ctx)

    def _publish(
        self, codes: tuple[DecodedCode, ...], frame: VideoFrame, ctx: StageContext
    ) -> None:
        if codes:
            ctx.emit(
                CodesDetected(
                    t_ns=ctx.now_ns(),
                    source=self.name,
                    codes=codes,
                    frame_index=frame.index,
                    frame_t_ns=frame.t_ns,
                )
            )

    def reset(self) -> None:
        self._view, self._found, self._read_t_ns = None, (), None
