"""``python -m firmware_stubs``: emulated glasses serving the link protocol.

    python -m firmware_stubs pair                      # make the shared key (once)
    python -m firmware_stubs --listen link://127.0.0.1:7700 --profile g2 \\
        --camera scene:qr:https://example.org --mic tone:440 --inputs 2:tap,5:double_tap \\
        --png hud.png
    glasses run --camera link://127.0.0.1:7700 …        # the companion, elsewhere

See docs/protocol.md. Ctrl-C stops it (the display's last page is written to --png).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from firmware_stubs.device import StubGlasses, StubSettings
from firmware_stubs.power import PowerModel, PowerSpec
from firmware_stubs.server import StubServer
from glasses.devices.link import pairing
from glasses.devices.link.transport import LinkModel, parse_link_uri
from glasses.devices.protocols import Camera, Microphone
from glasses.hud.profile import PROFILES
from glasses.runtime.clock import RealClock


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m firmware_stubs",
        description="Emulated glasses (display, camera, microphone, IMU, touch pad, LED, "
        "battery) serving the glasses link protocol. 'pair' makes the shared key.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("command", nargs="?", choices=["serve", "pair"], default="serve")
    p.add_argument(
        "--listen",
        default="link://127.0.0.1:7700",
        metavar="URI",
        help="link://HOST:PORT or link+unix:///PATH (default link://127.0.0.1:7700)",
    )
    p.add_argument("--profile", default="g2", choices=sorted(PROFILES), help="display profile")
    p.add_argument(
        "--camera",
        default="scene:text:glasses stub",
        metavar="SRC",
        help="scene:KIND:CONTENT (a simulator scene: qr, text, ean13 …), file:PATH (image, "
        "folder or video, looped) or none (default scene:text:glasses stub)",
    )
    p.add_argument(
        "--mic",
        default="noise",
        metavar="SRC",
        help="file:PATH.wav, tone:HZ, noise (a quiet room) or none (default noise)",
    )
    p.add_argument(
        "--inputs",
        default="",
        metavar="T:WHAT,…",
        help="scripted inputs, s after start: tap, double_tap, swipe_forward, swipe_back, "
        "button, long_press, nod, shake (e.g. 2:tap,5.5:nod)",
    )
    p.add_argument("--battery-mah", type=float, default=160.0, help="capacity (default 160)")
    p.add_argument("--battery-level", type=float, default=1.0, help="charge at start, 0..1")
    p.add_argument("--ambient-c", type=float, default=25.0, help="ambient temperature, °C")
    p.add_argument("--png", type=Path, metavar="PATH", help="write the shown page here (1/s)")
    p.add_argument("--key", metavar="HEX", help="the pairing key (default: $GLASSES_LINK_KEY "
                   "or the key file)")  # fmt: skip
    p.add_argument("--bandwidth-kbps", type=float, help="model the radio: kbit/s sent")
    p.add_argument("--latency-ms", type=float, default=0.0, help="model the radio: latency")
    p.add_argument("--jitter-ms", type=float, default=0.0, help="model the radio: jitter")
    p.add_argument("--loss", type=float, default=0.0, help="model the radio: frame loss, 0..1")
    p.add_argument("--duration", type=float, metavar="S", help="stop after S seconds")
    p.add_argument("-v", "--verbose", action="store_true")
    return p


def camera_source(spec: str) -> Camera | None:
    """The camera ``--camera`` names (not yet opened)."""
    if spec == "none":
        return None
    if spec.startswith("file:"):
        from glasses.devices.uri import open_camera

        return open_camera(spec)
    if spec.startswith("scene:"):
        from glasses.devices.sim import SimCamera
        from simulator.scenes import SceneSpec, render_scene

        kind, _, content = spec[len("scene:") :].partition(":")
        camera = SimCamera(width=640, height=480, uri=spec)
        camera.show(render_scene(SceneSpec(kind=kind, content=content), 640, 480))  # type: ignore[arg-type]
        return camera
    raise ValueError(f"--camera {spec!r}: use scene:KIND:CONTENT, file:PATH or none")


def mic_source(spec: str) -> Microphone | None:
    if spec == "none":
        return None
    from glasses.devices.sim import SimMicrophone

    if spec.startswith("file:"):
        from glasses.devices.file import FileMicrophone

        return FileMicrophone(spec[len("file:") :], chunk_samples=320, uri=spec)
    if spec == "noise":
        return SimMicrophone(320, uri="noise")
    if spec.startswith("tone:"):
        hz = float(spec[len("tone:") :])
        mic = SimMicrophone(320, uri=spec)
        t = np.arange(16_000 * 600) / 16_000
        mic.feed((3000 * np.sin(2 * np.pi * hz * t)).astype(np.int16))  # ten minutes of it
        return mic
    raise ValueError(f"--mic {spec!r}: use file:PATH.wav, tone:HZ, noise or none")


def parse_inputs(text: str) -> list[tuple[float, str]]:
    script = []
    for item in filter(None, (s.strip() for s in text.split(","))):
        t, sep, what = item.partition(":")
        try:
            script.append((float(t), what.strip().lower()))
        except ValueError:
            raise ValueError(f"--inputs {item!r}: write T:WHAT, e.g. 2.5:tap") from None
        if not sep:
            raise ValueError(f"--inputs {item!r}: write T:WHAT, e.g. 2.5:tap")
    return script


async def serve(args: argparse.Namespace, key: bytes) -> int:
    clock = RealClock()
    address = parse_link_uri(args.listen)
    glasses = StubGlasses(
        clock,
        StubSettings(profile=args.profile),
        camera=camera_source(args.camera),
        microphone=mic_source(args.mic),
        power=PowerModel(
            PowerSpec(capacity_mah=args.battery_mah, ambient_c=args.ambient_c),
            level=args.battery_level,
        ),
    )
    model = None
    if args.bandwidth_kbps or args.latency_ms or args.jitter_ms or args.loss:
        model = LinkModel(
            bandwidth_bps=args.bandwidth_kbps * 1000 if args.bandwidth_kbps else None,
            latency_ms=args.latency_ms,
            jitter_ms=args.jitter_ms,
            loss=args.loss,
        )
    server = StubServer(glasses, key, model=model)
    await server.serve(address)
    shown = f"{address}" if address.path or address.port else f"link://{address.host}:{server.port}"
    print(f"glasses stub: {glasses.profile.description}; serving {shown}", flush=True)
    tasks = []
    if args.inputs:
        tasks.append(asyncio.create_task(glasses.play_inputs(parse_inputs(args.inputs))))
    try:
        elapsed = 0.0
        last_page = -1
        while args.duration is None or elapsed < args.duration:
            await asyncio.sleep(1.0)
            elapsed += 1.0
            if args.png and glasses.framebuffer.pages != last_page:
                last_page = glasses.framebuffer.pages
                _write_png(args.png, glasses)
    finally:
        for task in tasks:
            task.cancel()
        if args.png:
            _write_png(args.png, glasses)
        await server.close()
    return 0


def _write_png(path: Path, glasses: StubGlasses) -> None:
    from glasses.atomic import write_bytes

    write_bytes(path, glasses.framebuffer.png())


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    if args.command == "pair":
        path, _ = pairing.ensure_key_file()
        print(f"pairing key in {path} (the companion reads it too, or set {pairing.KEY_ENV})")
        return 0
    try:
        key = pairing.parse_key(args.key) if args.key else pairing.load_key()
        parse_link_uri(args.listen)
        camera_source(args.camera)  # fail fast on a bad source
        mic_source(args.mic)
        parse_inputs(args.inputs)
    except (ValueError, OSError) as exc:
        print(f"firmware_stubs: {exc}", file=sys.stderr)
        return 2
    if key is None:
        print(
            "firmware_stubs: no pairing key; run `python -m firmware_stubs pair` (or set "
            f"{pairing.KEY_ENV} to 64 hex digits)",
            file=sys.stderr,
        )
        return 2
    try:
        return asyncio.run(serve(args, key))
    except KeyboardInterrupt:
        return 130
    except OSError as exc:
        print(f"firmware_stubs: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
