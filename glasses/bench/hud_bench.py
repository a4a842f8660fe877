"""``glasses bench hud``: the cost of one HUD update per renderer, over every profile and layout.

Each update is timed cold: the layout and text-measurement caches are cleared first, so a figure
is layout plus rendering, as when a new card arrives. The renderers:

* ``text``: ``render_text`` (what the HUD stage draws and expectations read);
* ``textual``: ``HudView.update_card`` and ``render_line`` of each of its rows, in a headless
  Textual app (what the simulator's HUD panel pays per update; Textual's compositor is not in it);
* ``png``: ``render_png`` (rasterising with FreeType and encoding the PNG).

Times are wall-clock (``time.perf_counter_ns``): a benchmark measures the machine.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Callable

from glasses.hud.layout import clear_cache
from glasses.hud.profile import PROFILES, DisplayProfile
from glasses.hud.raster import render_png
from glasses.hud.text import render_text
from glasses.runtime.events import LAYOUTS, Card
from glasses.runtime.metrics import percentile

RENDERERS = ("text", "textual", "png")

_SHORT = "Turn left onto Baker Street in 200 m."
_LONG = (
    "The museum opens at nine; the east wing with the early instruments is closed for "
    "restoration until spring. Audio guides are free at the desk beside the cloakroom, and "
    "the café on the top floor serves lunch until half past two. Photography without flash "
    "is allowed everywhere except in the manuscripts room. "
) * 2


def sample_cards() -> list[Card]:
    """A short and a long card for every layout."""
    cards: list[Card] = []
    for layout in LAYOUTS:
        for body in (_SHORT, _LONG):
            items: tuple[str, ...] = ()
            if layout == "list":
                items = tuple(s.strip() for s in body.split(",") if s.strip())
            elif layout == "double_text_wall":
                items = (body, body.upper())
            cards.append(
                Card(
                    title="Museum" if body is _LONG else "Directions",
                    body=body,
                    layout=layout,
                    items=items,
                    progress=0.42 if layout == "progress" else None,
                )
            )
    return cards


def _timed(render: Callable[[], object]) -> float:
    clear_cache()
    start = time.perf_counter_ns()
    render()
    return (time.perf_counter_ns() - start) / 1e6


async def _textual_times(cards: list[Card], rounds: int) -> list[float]:
    from textual.app import App, ComposeResult

    from glasses.hud.widget import HudView

    class BenchApp(App[None]):
        def compose(self) -> ComposeResult:
            yield HudView()

    times: list[float] = []
    app = BenchApp()
    async with app.run_test(size=(80, 30)) as pilot:
        view = app.query_one(HudView)
        for _ in range(rounds):
            for profile in PROFILES.values():
                view.set_profile(profile)
                await pilot.pause()
                rows = view.cells[1]
                for card in cards:

                    def update(card: Card = card, rows: int = rows) -> None:
                        view.update_card(card)
                        for y in range(rows):
                            view.render_line(y)

                    times.append(_timed(update))
    return times


def run(rounds: int = 3) -> dict[str, dict[str, float]]:
    """Per renderer: ``updates`` timed and the ``ms_p50``/``ms_p99`` of one update."""
    if rounds < 1:
        raise ValueError("rounds must be at least 1")
    cards = sample_cards()
    profiles: list[DisplayProfile] = list(PROFILES.values())
    times: dict[str, list[float]] = {name: [] for name in RENDERERS}
    for _ in range(rounds):
        for profile in profiles:
            for card in cards:
                times["text"].append(_timed(functools.partial(render_text, card, profile)))
                times["png"].append(_timed(functools.partial(render_png, card, profile)))
    times["textual"] = asyncio.run(_textual_times(cards, rounds))
    return {
        name: {
            "updates": float(len(values)),
            "ms_p50": round(percentile(values, 50), 3),
            "ms_p99": round(percentile(values, 99), 3),
        }
        for name, values in ((n, times[n]) for n in RENDERERS)
    }


def flat(figures: dict[str, dict[str, float]]) -> dict[str, float]:
    """The ``--json`` object: the median cost of one update per renderer, in ms."""
    return {f"render_{name}_ms_p50": figures[name]["ms_p50"] for name in RENDERERS}
