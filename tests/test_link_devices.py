"""The companion's link backends against the emulated glasses, over a modelled radio on
virtual time: the HUD converges under loss and jitter, a link drop mid-run recovers."""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import pytest

from firmware_stubs.framebuffer import Framebuffer
from firmware_stubs.harness import LinkedGlasses
from glasses.devices.errors import BadDeviceUri, DeviceNotFound
from glasses.devices.link import messages as m
from glasses.devices.link.client import ClientSettings
from glasses.devices.link.devices import LinkCamera, LinkMicrophone
from glasses.devices.link.transport import LinkModel
from glasses.devices.sim import SimCamera, SimMicrophone
from glasses.devices.state import Reconnect, run_camera, run_microphone
from glasses.devices.uri import open_camera, open_microphone
from glasses.hud.profile import get_profile
from glasses.hud.stage import HudStage
from glasses.runtime.clock import NS_PER_S, VirtualClock
from glasses.runtime.events import (
    AudioChunk,
    Card,
    DeviceLost,
    DeviceRestored,
    Event,
    HudDrawn,
    HudUpdate,
    Swipe,
    Tap,
    VideoFrame,
)
from glasses.runtime.runtime import Runtime

LOSSY = dict(bandwidth_bps=1_000_000.0, latency_ms=20.0, jitter_ms=100.0, loss=0.10)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_hud_converges_under_loss_and_jitter_and_no_acked_command_is_lost(seed: int) -> None:
    clock = VirtualClock()
    profile = get_profile("g2")
    rng = random.Random(seed)

    async def main() -> dict[str, Any]:
        async with LinkedGlasses(clock, model=LinkModel(**LOSSY, seed=seed)) as rig:
            display = rig.display()
            runtime = Runtime(clock)
            runtime.add_stage(HudStage(display, profile))
            drawn: list[HudDrawn] = []
            runtime.observe(lambda e: drawn.append(e) if isinstance(e, HudDrawn) else None)
            await runtime.start()
            for i in range(40):
                body = " ".join(
                    rng.choice(["bus", "in", "4 min", "platform", "9"]) for _ in range(8)
                )
                card = Card(title=f"Update {i}", body=body)
                runtime.publish(HudUpdate(t_ns=clock.now_ns(), source="test", card=card))
                await clock.sleep(rng.uniform(0.02, 0.6))
            await clock.sleep(1.0)  # the HUD's last coalesced draw
            settled = await rig.settle(60.0)
            await runtime.stop()
            stats = rig.client.conn.stats if rig.client.conn else None
            return {
                "settled": settled,
                "text": display.text,
                "front": rig.glasses.framebuffer.front.copy(),
                "acked": list(display.pages_acked),
                "sent": list(display.pages_sent),
                "applied": list(rig.glasses.stats.pages),
                "retransmits": stats.retransmits if stats else 0,
                "drawn": len(drawn),
                "commands": display.commands_for(display.text),
            }

    r = clock.run(main())
    assert r["settled"] and r["drawn"]
    # Converged: the glasses show, pixel for pixel, the last card the HUD drew.
    reference = Framebuffer(profile)
    for cmd in r["commands"]:
        reference.apply(cmd)
    reference.apply(m.DisplayPage(0))
    assert (r["front"] == reference.front).all()
    # Every page the link acknowledged was shown, in order, and the last draw among them.
    applied, acked = r["applied"], r["acked"]
    assert set(acked) <= set(applied)
    assert applied == sorted(applied)
    assert acked[-1] == r["sent"][-1]
    assert r["retransmits"]  # the loss was real


def _published(rig: LinkedGlasses, clock: VirtualClock) -> tuple[Runtime, list[Event]]:
    runtime = Runtime(clock)
    events: list[Event] = []
    runtime.observe(events.append)
    return runtime, events


@pytest.mark.parametrize("abrupt", [False, True], ids=["out-of-range", "abrupt"])
def test_a_link_drop_mid_run_recovers_and_the_run_completes(abrupt: bool) -> None:
    clock = VirtualClock()
    camera = SimCamera(320, 240)
    camera.show(np.full((240, 320, 3), 90, dtype=np.uint8))
    mic = SimMicrophone(320)
    quick = ClientSettings(reconnect=Reconnect(backoff_s=0.5, max_backoff_s=2.0))
    model = LinkModel(bandwidth_bps=1_000_000.0, latency_ms=15.0, jitter_ms=10.0)

    async def main() -> dict[str, Any]:
        async with LinkedGlasses(
            clock, model=model, camera=camera, microphone=mic, client=quick
        ) as rig:
            runtime, events = _published(rig, clock)
            await runtime.start()
            link_camera = rig.camera(width=320, height=240, fps=5)
            link_mic = rig.microphone(chunk_samples=512)
            led = rig.indicator()
            display = rig.display()
            fast = Reconnect(backoff_s=0.5, max_backoff_s=2.0)
            runtime.spawn(
                "camera",
                lambda: run_camera(
                    link_camera, clock, runtime.publish, indicator=led, reconnect=fast
                ),
            )
            runtime.spawn(
                "microphone",
                lambda: run_microphone(link_mic, clock, runtime.publish, reconnect=fast),
            )
            display.draw("before the drop")
            await clock.sleep(4.0)
            rig.network.drop(abrupt=abrupt, out_of_range=True)
            await clock.sleep(7.0)
            led_during = rig.glasses.led_on
            display.draw("drawn while away")
            rig.network.restore()
            await clock.sleep(9.0)
            await rig.settle()
            await runtime.stop()
            return {
                "events": events,
                "shown": rig.glasses.framebuffer.shown_text,
                "led_during": led_during,
                "led_after": rig.glasses.led_on,
                "stats": rig.client.stats,
                "late": link_mic.late_samples,
            }

    r = clock.run(main())
    events: list[Event] = r["events"]
    lost = [e for e in events if isinstance(e, DeviceLost)]
    restored = [e for e in events if isinstance(e, DeviceRestored)]
    assert {e.source for e in lost} == {"camera", "microphone"}
    assert {e.source for e in restored} == {"camera", "microphone"}
    drop_t = 4 * NS_PER_S
    restore_t = 11 * NS_PER_S
    frames = [e.t_ns for e in events if isinstance(e, VideoFrame)]
    audio = [e.t_ns for e in events if isinstance(e, AudioChunk)]
    assert any(t < drop_t for t in frames) and any(t > restore_t + NS_PER_S for t in frames)
    assert any(t > restore_t + NS_PER_S for t in audio)
    assert r["shown"] == "drawn while away"  # re-sent after the reconnection
    assert not r["led_during"] and r["led_after"]  # glasses stop capturing when alone
    stats = r["stats"]
    assert stats.connects == 2 and stats.resumed == 1 and stats.drops == 1


def test_link_camera_repeats_and_adapts_resolution_to_a_slow_link() -> None:
    clock = VirtualClock()
    camera = SimCamera(640, 480)
    rng = np.random.default_rng(0)
    camera.show(rng.integers(0, 255, (480, 640, 3)).astype(np.uint8))

    async def main() -> LinkCamera:
        slow = LinkModel(bandwidth_bps=400_000.0, latency_ms=10.0)
        async with LinkedGlasses(clock, model=slow, camera=camera) as rig:
            cam = rig.camera(width=640, height=480, fps=5, adaptive=True)
            cam.open()
            first = cam.read()
            assert first is not None and first.shape == (480, 640, 3)  # a placeholder
            for _ in range(150):
                await clock.sleep(0.2)
                cam.read()
            cam.close()
            return cam

    cam = clock.run(main())
    assert cam.placeholders >= 1 and cam.repeats > 0 and cam.frames > 10
    assert cam.adaptations and cam.size[0] < 640  # resolution went down first
    assert cam.fps == 5


def test_link_microphone_plays_the_audio_through_the_jitter_buffer() -> None:
    clock = VirtualClock()
    mic = SimMicrophone(320, noise_std=1.0)
    ramp = (np.arange(16_000 * 4) % 20_000 - 10_000).astype(np.int16)
    mic.feed(ramp)
    model = LinkModel(bandwidth_bps=1_000_000.0, latency_ms=20.0, jitter_ms=40.0, seed=5)

    async def main() -> tuple[np.ndarray, LinkMicrophone]:
        async with LinkedGlasses(clock, model=model, microphone=mic) as rig:
            link_mic = rig.microphone(chunk_samples=512, jitter_ms=120.0)
            link_mic.open()
            out = []
            for _ in range(100):
                await clock.sleep_until(clock.now_ns() + 32_000_000)
                chunk = link_mic.read()
                assert chunk is not None and len(chunk) == 512
                out.append(chunk)
            link_mic.close()
            return np.concatenate(out), link_mic

    audio, link_mic = clock.run(main())
    start = int(np.flatnonzero(audio)[0])  # after the pre-roll
    played = audio[start : start + 16_000 * 2]
    assert np.array_equal(played, ramp[: len(played)])  # sample-exact, in order
    assert link_mic.concealed_samples == 0 and link_mic.late_samples == 0


def test_link_inputs_become_taps_and_swipes() -> None:
    clock = VirtualClock()

    async def main() -> list[Event]:
        async with LinkedGlasses(clock, model=LinkModel(latency_ms=5.0)) as rig:
            inputs = rig.inputs()
            for kind in (m.InputKind.TAP, m.InputKind.DOUBLE_TAP, m.InputKind.SWIPE_FORWARD):
                rig.glasses.input(kind)
            return [await inputs.get() for _ in range(3)]

    tap, double, swipe = clock.run(main())
    assert isinstance(tap, Tap) and tap.count == 1
    assert isinstance(double, Tap) and double.count == 2
    assert isinstance(swipe, Swipe) and swipe.direction == "forward"


def test_link_uris_share_one_client_and_need_a_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", "/nonexistent")
    monkeypatch.delenv("GLASSES_LINK_KEY", raising=False)
    with pytest.raises(DeviceNotFound, match="firmware_stubs pair"):
        open_camera("link://127.0.0.1:7799")
    monkeypatch.setenv("GLASSES_LINK_KEY", "ab" * 32)
    camera = open_camera("link://127.0.0.1:7799")
    microphone = open_microphone("link://127.0.0.1:7799", chunk_samples=320)
    assert isinstance(camera, LinkCamera) and isinstance(microphone, LinkMicrophone)
    assert camera.client is microphone.client and microphone.chunk_samples == 320
    with pytest.raises(BadDeviceUri, match="bad port"):
        open_camera("link://host:port")
