"""Pictures of what the wearer saw during a run: every HUD update as an image, with its time.

``HudPictures`` watches a session's events (``Runtime.observe``, or ``on_event`` of
``glasses.app.live.run_live``): each ``HudDrawn`` (the card and page drawn) and each
``HudDimmed`` (the display's brightness) changes what the display shows; each change is a
``HudShot``. Once the run is over, ``write_gif`` makes an animated GIF of the shots, each shown
for as long as it was on the display (the last one until the run's ``Shutdown``), and
``write_pngs`` writes one PNG per shot, named by its time (``hud-0001.250s.png``).

Times count from ``begin(t_ns)``: the session's start (a live run's ``LiveStarted.t_ns``), 0
by default (a scenario starts at 0). The first shot is the blank display at time 0. Watching
only keeps the cards; the pictures are drawn when written, after the run, so a session on
the real clock is not slowed by them.

Shots shorter than ``MIN_FRAME_MS`` are left out of the GIF (browsers show a GIF frame of
0 or 10 ms for 100 ms, which would stretch a progressive answer), and frame times are rounded
to the GIF's 10 ms steps without drift: the GIF lasts as long as the run did.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from glasses.atomic import write_bytes
from glasses.hud.layout import HudPage, layout_card
from glasses.hud.profile import DisplayProfile
from glasses.hud.raster import render_image, render_png
from glasses.runtime.clock import NS_PER_S
from glasses.runtime.events import Card, Event, HudDimmed, HudDrawn, Shutdown

MIN_FRAME_MS = 20
"""A GIF frame shorter than this is dropped: browsers would show it for 100 ms."""

LAST_FRAME_S = 2.0
"""How long the GIF shows its last frame when the run's end is not known."""

_NS_PER_MS = 1_000_000
_GIF_STEP_MS = 10  # GIF delays are in hundredths of a second


@dataclass(frozen=True, slots=True)
class HudShot:
    """What the display showed from ``t_ns`` (since the start) on: page ``page`` of ``card``
    (None: nothing) at brightness ``level`` (0..1; 0 is off)."""

    t_ns: int
    card: Card | None = None
    page: int = 0
    level: float = 1.0

    @property
    def name(self) -> str:
        """The shot's PNG file name: its time in seconds, zero-padded so names sort by time."""
        return f"hud-{self.t_ns / NS_PER_S:08.3f}s.png"


class HudPictures:
    """Collects the HUD's shots from a run's events; writes them as a GIF or PNGs (module doc)."""

    def __init__(self, profile: DisplayProfile | None = None) -> None:
        self.profile = profile  # the display the run drew on; the writers' default
        self.origin_ns = 0
        self.shots: list[HudShot] = [HudShot(0)]
        self.end_ns: int | None = None  # since the start: the run's ``Shutdown``

    def begin(self, t_ns: int, profile: DisplayProfile | None = None) -> None:
        """Count times from ``t_ns`` (clock time of the session's start); ``profile``: the
        display the session draws on."""
        self.origin_ns = t_ns
        if profile is not None:
            self.profile = profile

    def observe(self, event: Event) -> None:
        """Take one event of the run (every other type is ignored); cheap, never raises."""
        if isinstance(event, HudDrawn):
            # A draw shows the card at full brightness (the HUD stage wakes a dimmed display).
            self._add(HudShot(event.t_ns - self.origin_ns, event.card, event.page, 1.0))
        elif isinstance(event, HudDimmed):
            last = self.shots[-1]
            self._add(HudShot(event.t_ns - self.origin_ns, last.card, last.page, event.level))
        elif isinstance(event, Shutdown):
            self.end_ns = event.t_ns - self.origin_ns

    def _add(self, shot: HudShot) -> None:
        last = self.shots[-1]
        if (shot.card, shot.page, shot.level) == (last.card, last.page, last.level):
            return  # redrawn, not changed (coalesced updates share one draw)
        if shot.t_ns <= last.t_ns:
            self.shots[-1] = HudShot(last.t_ns, shot.card, shot.page, shot.level)
        else:
            self.shots.append(shot)

    @property
    def changes(self) -> int:
        """Shots after the blank first one: how often what the display showed changed."""
        return len(self.shots) - 1

    def _display(self, profile: DisplayProfile | None) -> DisplayProfile:
        profile = profile or self.profile
        if profile is None:
            raise ValueError("HudPictures: no display profile (pass one, or to begin())")
        return profile

    def image(self, shot: HudShot, profile: DisplayProfile | None = None) -> Image.Image:
        """``shot`` as an RGB image of the display's size (default ``profile``: the run's)."""
        profile = self._display(profile)
        return render_image(_page_of(shot, profile), profile, brightness=shot.level)

    def gif_frames(self) -> list[tuple[HudShot, int]]:
        """The shots the GIF shows, each with its duration in ms (a multiple of 10)."""
        shots = self.shots
        end_ns = self.end_ns
        if end_ns is None or end_ns <= shots[-1].t_ns:
            end_ns = shots[-1].t_ns + round(LAST_FRAME_S * NS_PER_S)
        bounds = [s.t_ns for s in shots[1:]] + [end_ns]
        frames: list[tuple[HudShot, int]] = []
        shown_ms = 0  # where the GIF's clock is, in whole 10 ms steps
        last = len(shots) - 1
        for i, (shot, until_ns) in enumerate(zip(shots, bounds, strict=True)):
            until_ms = _GIF_STEP_MS * round(until_ns / _NS_PER_MS / _GIF_STEP_MS)
            duration = until_ms - shown_ms
            if i == last:
                duration = max(duration, MIN_FRAME_MS)
            elif duration < MIN_FRAME_MS:
                continue  # too short to show: the next shot takes its time
            frames.append((shot, duration))
            shown_ms = until_ms
        return frames

    def gif_bytes(self, profile: DisplayProfile | None = None) -> bytes:
        """The animated GIF (looping) of the shots on ``profile`` (default ``self.profile``)."""
        profile = self._display(profile)
        frames = self.gif_frames()
        images = [self.image(shot, profile) for shot, _ in frames]
        durations = [ms for _, ms in frames]
        buf = io.BytesIO()
        images[0].save(
            buf,
            format="GIF",
            save_all=True,
            append_images=images[1:],
            duration=durations if len(durations) > 1 else durations[0],
            loop=0,
            optimize=False,
            disposal=1,
        )
        return buf.getvalue()

    def write_gif(self, path: str | os.PathLike[str], profile: DisplayProfile | None = None) -> int:
        """Write the GIF to ``path`` (atomically); returns its number of frames."""
        data = self.gif_bytes(profile)
        write_bytes(path, data)
        return len(self.gif_frames())

    def write_pngs(
        self, directory: str | os.PathLike[str], profile: DisplayProfile | None = None
    ) -> list[Path]:
        """Write one PNG per shot into ``directory`` (created if missing), named by its time
        (``HudShot.name``); returns the paths, in time order."""
        profile = self._display(profile)
        folder = Path(directory)
        folder.mkdir(parents=True, exist_ok=True)
        written = []
        for shot in self.shots:
            path = folder / shot.name
            write_bytes(path, render_png(_page_of(shot, profile), profile, brightness=shot.level))
            written.append(path)
        return written


def _page_of(shot: HudShot, profile: DisplayProfile) -> HudPage:
    pages = layout_card(shot.card, profile)
    return pages[min(max(shot.page, 0), len(pages) - 1)]
