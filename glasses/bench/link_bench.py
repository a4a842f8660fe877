"""``glasses bench link``: the glasses link end to end, on a modelled radio, in virtual time.

Every figure drives the real code on both sides, the companion's ``LinkClient`` and backends and
the emulated glasses (``firmware_stubs``), joined by a ``LinkModel``; times are on the virtual
clock, i.e. what the modelled link would take (the compute of both sides is not charged).

* ``goodput_fraction``: message bytes delivered per second over the modelled bandwidth, for a
  bulk transfer of display bitmaps at MTU 244 (and 23), 1 Mbit/s, 10 ms one way, no loss. The
  frame header (15 bytes), the messages' own headers and the acks are the overhead.
* ``display_cmd_ms_p50`` / ``_p95``: from ``LinkDisplay.draw`` to the glasses showing the page,
  over BLE-like conditions (250 kbit/s effective, 20 ± 10 ms, 1 % loss).
* ``camera_fps_1mbit``: 640×480 JPEG frames (quality 70) of a camera scene with sensor noise,
  delivered per second over 1 Mbit/s (15 ms) when 30 fps are asked (latest wins on the
  glasses); ``camera_fps_1mbit_320`` at 320×240.
* ``bitmap_first_pass_ms`` / ``bitmap_full_ms``: a 576×288 4-bit photo-like image (1/f noise,
  16 grey levels) shown progressively over 250 kbit/s effective, 15 ms: until the glasses show
  the first pass, and every pixel. ``…_noise`` for an incompressible image (the worst case),
  ``…_hud`` for a rendered HUD card (mostly dark: deflate shrinks it most).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from glasses.runtime.clock import NS_PER_S, VirtualClock
from glasses.runtime.metrics import percentile

BLE = {"bandwidth_bps": 250_000.0, "latency_ms": 20.0, "jitter_ms": 10.0, "loss": 0.01}


def photo_like(
    width: int = 576, height: int = 288, *, levels: int = 16, seed: int = 0
) -> np.ndarray:
    """An H×W image of palette indices with a photo's spectrum (1/f amplitude)."""
    rng = np.random.default_rng(seed)
    fy = np.fft.fftfreq(height)[:, None]
    fx = np.fft.rfftfreq(width)[None, :]
    f = np.sqrt(fx**2 + fy**2)
    f[0, 0] = 1.0
    spectrum = (rng.normal(size=f.shape) + 1j * rng.normal(size=f.shape)) / f
    field = np.fft.irfft2(spectrum, s=(height, width))
    lo, hi = np.percentile(field, [1, 99])
    scaled = np.clip((field - lo) / (hi - lo), 0, 1)
    return np.minimum(levels - 1, (scaled * levels).astype(np.uint8))


def _goodput(mtu: int) -> dict[str, float]:
    from firmware_stubs.harness import LinkedGlasses
    from glasses.devices.link import messages as m
    from glasses.devices.link.client import ClientSettings
    from glasses.devices.link.transport import LinkModel

    bandwidth = 1_000_000.0
    clock = VirtualClock()
    rng = np.random.default_rng(1)
    band = 1536  # bytes of pixels per message: 48 rows of 64 px at 4 bpp
    count = 120 if mtu >= 100 else 30

    async def main() -> dict[str, float]:
        model = LinkModel(bandwidth_bps=bandwidth, latency_ms=10.0)
        async with LinkedGlasses(clock, model=model, client=ClientSettings(mtu=mtu)) as rig:
            await rig.settle()
            await clock.sleep(0.5)  # let the first power report and capabilities pass
            start = clock.now_ns()
            sent = 0
            for i in range(count):
                msg = m.DisplayBitmap(
                    x=(i % 9) * 64, y=0, width=64, height=48, bpp=4, image=0,
                    pass_index=1, passes=1, codec=0,
                    data=rng.integers(0, 256, band, dtype=np.uint8).tobytes(),
                )  # fmt: skip
                rig.client.send(msg)
                sent += len(msg.encode())
            if not await rig.settle(600.0):
                raise RuntimeError("bench link: the bulk transfer did not finish")
            conn = rig.client.conn
            # the last ack needs a one-way trip back: count until the glasses had it all
            applied = rig.glasses.framebuffer.commands
            took_ns = clock.now_ns() - start - round(model.latency_ms * 1e6)
            stats = conn.stats if conn is not None else None
            return {
                "goodput_fraction": sent * 8 / (took_ns / NS_PER_S) / bandwidth,
                "bytes": float(sent),
                "applied": float(applied),
                "retransmits": float(stats.retransmits if stats else 0),
            }

    return clock.run(main())


def _display_latency(draws: int = 200) -> dict[str, float]:
    from firmware_stubs.harness import LinkedGlasses
    from glasses.devices.link.transport import LinkModel

    clock = VirtualClock()
    rng = np.random.default_rng(2)
    words = ["bus", "48", "in", "3 min", "platform", "2", "Baker St", "turn", "left"]

    async def main() -> list[float]:
        async with LinkedGlasses(clock, model=LinkModel(**BLE, seed=2)) as rig:
            display = rig.display()
            await rig.settle()
            sent: list[tuple[int, int]] = []  # (page, t_ns)
            for _ in range(draws):
                lines = [" ".join(rng.choice(words, 4)) for _ in range(int(rng.integers(1, 5)))]
                display.draw("\n".join(lines))
                sent.append((display.pages_sent[-1], clock.now_ns()))
                await clock.sleep(float(rng.uniform(0.25, 0.5)))  # a HUD's update rate
            await rig.settle()
            shown = rig.glasses.stats.page_times
            return [(shown[page] - t) / 1e6 for page, t in sent if page in shown]

    latencies = clock.run(main())
    return {
        "display_cmd_ms_p50": percentile(latencies, 50),
        "display_cmd_ms_p95": percentile(latencies, 95),
        "display_cmds_shown": float(len(latencies)),
    }


def _camera_fps(width: int, height: int, seconds: float = 20.0) -> float:
    from firmware_stubs.harness import LinkedGlasses
    from glasses.devices.link import messages as m
    from glasses.devices.link.transport import LinkModel
    from glasses.devices.sim import SimCamera
    from simulator.scenes import SceneSpec, render_scene

    clock = VirtualClock()
    camera = SimCamera(640, 480)
    scene = SceneSpec(kind="text", content="PLATFORM 4\nDEPARTURES 12:04", noise_sigma=3.0)
    camera.show(render_scene(scene, 640, 480))

    async def main() -> float:
        model = LinkModel(bandwidth_bps=1_000_000.0, latency_ms=15.0)
        async with LinkedGlasses(clock, model=model, camera=camera) as rig:
            arrivals: list[int] = []
            rig.client.subscribe(m.CameraFrame, lambda msg: arrivals.append(clock.now_ns()))
            ctrl = m.CameraControl(mode=m.CaptureMode.STREAM, width=width, height=height,
                                   quality=70, fps=30.0)  # fmt: skip
            rig.client.send(ctrl)
            await clock.sleep(2.0)  # warm up: the first frame and the round-trip estimate
            t0, n0 = clock.now_ns(), len(arrivals)
            await clock.sleep(seconds)
            return (len(arrivals) - n0) / ((clock.now_ns() - t0) / NS_PER_S)

    return clock.run(main())


def _bitmap(image: np.ndarray) -> dict[str, float]:
    from firmware_stubs.harness import LinkedGlasses
    from glasses.devices.link.transport import LinkModel

    clock = VirtualClock()

    async def main() -> dict[str, float]:
        model = LinkModel(bandwidth_bps=250_000.0, latency_ms=15.0)
        async with LinkedGlasses(clock, model=model) as rig:
            display = rig.display()
            await rig.settle()
            await clock.sleep(0.5)
            first_page = len(display.pages_sent) + 1
            start = clock.now_ns()
            display.show_image(image)
            await rig.settle(120.0)
            pages = display.pages_sent[first_page - 1 :]
            shown = rig.glasses.stats.page_times
            exact = bool((rig.glasses.framebuffer.front == image).all())
            if not exact or pages[-1] not in shown:
                raise RuntimeError("bench link: the image did not arrive whole")
            return {
                "first_pass_ms": (shown[pages[0]] - start) / 1e6,
                "full_ms": (shown[pages[-1]] - start) / 1e6,
            }

    return clock.run(main())


def run(progress: Callable[[str], None] = lambda line: None) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    progress("goodput: bulk bitmaps at MTU 244 and 23, 1 Mbit/s …")
    g244, g23 = _goodput(244), _goodput(23)
    figures["goodput_fraction"] = round(g244["goodput_fraction"], 3)
    figures["goodput_fraction_mtu23"] = round(g23["goodput_fraction"], 3)
    progress("display commands over BLE-like conditions …")
    figures.update({k: round(v, 1) for k, v in _display_latency().items()})
    progress("camera at 1 Mbit/s …")
    figures["camera_fps_1mbit"] = round(_camera_fps(640, 480), 2)
    figures["camera_fps_1mbit_320"] = round(_camera_fps(320, 240), 2)
    progress("progressive bitmaps at 250 kbit/s …")
    photo = _bitmap(photo_like())
    noise = _bitmap(np.random.default_rng(3).integers(0, 16, (288, 576)).astype(np.uint8))
    figures["bitmap_first_pass_ms"] = round(photo["first_pass_ms"], 1)
    figures["bitmap_full_ms"] = round(photo["full_ms"], 1)
    figures["bitmap_first_pass_ms_noise"] = round(noise["first_pass_ms"], 1)
    figures["bitmap_full_ms_noise"] = round(noise["full_ms"], 1)
    hud = _bitmap(hud_card_image())
    figures["bitmap_first_pass_ms_hud"] = round(hud["first_pass_ms"], 1)
    figures["bitmap_full_ms_hud"] = round(hud["full_ms"], 1)
    return figures


def hud_card_image() -> np.ndarray:
    """A HUD card rendered for the 576×288 16-level display (mostly dark, as HUDs are)."""
    from glasses.hud.profile import get_profile
    from glasses.hud.raster import render_indices
    from glasses.runtime.events import Card

    card = Card(
        title="Platform 4",
        body="The 12:04 to Cambridge leaves in 6 minutes; coach B stops by the stairs.",
    )
    return render_indices(card, get_profile("g2"))


def rows(f: dict[str, Any]) -> list[tuple[str, str]]:
    """The figures as a table for the terminal."""
    return [
        ("measure", "figure"),
        (
            "goodput of 1 Mbit/s, MTU 244 / 23",
            f"{f['goodput_fraction']:.3f} / {f['goodput_fraction_mtu23']:.3f}",
        ),
        (
            "display command → shown, p50 / p95 ms (BLE-like)",
            f"{f['display_cmd_ms_p50']:.0f} / {f['display_cmd_ms_p95']:.0f}",
        ),
        (
            "camera fps at 1 Mbit/s, 640×480 / 320×240",
            f"{f['camera_fps_1mbit']:.1f} / {f['camera_fps_1mbit_320']:.1f}",
        ),
        (
            "576×288 4-bit photo at 250 kbit/s, first pass / full ms",
            f"{f['bitmap_first_pass_ms']:.0f} / {f['bitmap_full_ms']:.0f}",
        ),
        (
            "  incompressible / HUD card, full ms",
            f"{f['bitmap_full_ms_noise']:.0f} / {f['bitmap_full_ms_hud']:.0f}",
        ),
    ]
