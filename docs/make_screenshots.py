"""Regenerate the README's pictures: ``make screenshots`` (writes docs/images/).

* ``tui.svg``: the simulator TUI on the demo scenario, 3.6 s in (paused and stepped, so the
  picture is the same every time);
* ``hud-frame.png`` / ``hud-g1.png``: what the wearer sees on two display profiles, the HUD
  added over the camera view (black is transparent on these additive displays);
* ``hud-scan.gif`` / ``hud-ask.gif``: every HUD update of ``scenarios/demo.yaml`` and
  ``scenarios/ask.yaml`` (Gemma 3 270M in process), made as anyone would:
  ``glasses sim --headless FILE --hud-gif OUT.gif``.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from glasses.cli.main import main as glasses
from glasses.hud import get_profile
from glasses.hud.raster import render_image
from glasses.runtime.events import Card
from simulator.scenario import load_scenario
from simulator.scenes import SceneSpec, render_scene
from simulator.session import SimSession
from simulator.tui.app import GlassesApp

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "images"


async def tui_screenshot(path: Path) -> None:
    session = SimSession(load_scenario(ROOT / "scenarios" / "demo.yaml"), paused=True)
    app = GlassesApp(session)
    async with app.run_test(size=(160, 48)) as pilot:
        session.step(3.6)
        session.settle()
        app.refresh_from_session()
        await pilot.pause()
        app.save_screenshot(path.name, path=str(path.parent))


def hud_previews() -> None:
    # A dim indoor scene: additive displays wash out against bright backgrounds.
    view = render_scene(
        SceneSpec(kind="ean13", content="4006381333931", scale=0.45, background=40, seed=3)
    )
    cards = {
        "frame": Card(title="EAN-13", body="4006381333931\nOrganic oat drink, 1 l"),
        "g1": Card(layout="list", title="Next", items=("Platform 4, 14:32", "Coffee: 2 min walk")),
    }
    for name, card in cards.items():
        image = render_image(card, get_profile(name), background=view)
        image.save(OUT / f"hud-{name}.png")


def hud_gifs() -> None:
    for scenario, name in (("demo.yaml", "hud-scan.gif"), ("ask.yaml", "hud-ask.gif")):
        path = ROOT / "scenarios" / scenario
        code = glasses(["sim", "--headless", str(path), "--hud-gif", str(OUT / name)])
        if code != 0:
            raise SystemExit(f"glasses sim {scenario} failed (exit {code})")


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    asyncio.run(tui_screenshot(OUT / "tui.svg"))
    hud_previews()
    hud_gifs()
    print(f"wrote {', '.join(sorted(p.name for p in OUT.iterdir()))} in {OUT}")


if __name__ == "__main__":
    main()
