"""Progressive bitmaps: coarse first, refined in passes, a newer image cancels an older one."""

from __future__ import annotations

import zlib

import numpy as np
import pytest

from firmware_stubs.framebuffer import DisplayCommandError, Framebuffer
from firmware_stubs.harness import LinkedGlasses
from glasses.devices.link import messages as m
from glasses.devices.link import progressive as p
from glasses.devices.link.transport import LinkModel
from glasses.hud.profile import get_profile
from glasses.runtime.clock import VirtualClock


@pytest.mark.parametrize("bpp", [1, 4])
@pytest.mark.parametrize("shape", [(1, 1), (3, 7), (16, 33), (288, 576)])
def test_pack_round_trip(bpp: int, shape: tuple[int, int]) -> None:
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 1 << bpp, shape).astype(np.uint8)
    data = p.pack(pixels, bpp)
    assert len(data) == p.packed_size(shape[1], shape[0], bpp)
    assert np.array_equal(p.unpack(data, shape[1], shape[0], bpp), pixels)
    assert np.array_equal(p.undelta(p.delta(pixels, bpp), bpp), pixels)


def _apply_all(image: np.ndarray) -> list[np.ndarray]:
    """The canvas after each pass of a 4-bit progressive image."""
    canvas = np.zeros_like(image)
    after = []
    for bands in p.encode_image(image, bpp=4):
        for band in bands:
            region = canvas[band.y : band.y + band.height, band.x : band.x + band.width]
            p.apply_pass(region, p.decode_bitmap(band), band.pass_index, band.passes)
        after.append(canvas.copy())
    return after


@pytest.mark.parametrize("shape", [(288, 576), (37, 51), (4, 4), (1, 9)])
def test_passes_refine_to_the_exact_image(shape: tuple[int, int]) -> None:
    yy, xx = np.mgrid[: shape[0], : shape[1]]
    image = ((xx // 3 + yy // 5) % 16).astype(np.uint8)
    after = _apply_all(image)
    assert len(after) == 5 and np.array_equal(after[-1], image)
    errors = [np.abs(a.astype(int) - image).sum() for a in after]
    assert errors == sorted(errors, reverse=True)
    # after the first pass every 4×4 block shows its top-left pixel: the whole image, coarse
    first = after[0]
    assert np.array_equal(
        first, np.repeat(np.repeat(image[::4, ::4], 4, 0), 4, 1)[: shape[0], : shape[1]]
    )


def test_first_pass_is_a_sixteenth_of_the_pixels() -> None:
    image = np.random.default_rng(1).integers(0, 16, (288, 576)).astype(np.uint8)
    passes = p.encode_image(image, compress=False)
    sizes = [sum(len(b.data) for b in bands) for bands in passes]
    assert sizes[0] * 16 == 288 * 576 // 2  # 4 bits per pixel
    assert sum(sizes) == 288 * 576 // 2
    assert all(len(b.data) <= p.BAND_BYTES for bands in passes for b in bands)


def test_a_stale_pass_is_ignored_and_a_bomb_is_refused() -> None:
    fb = Framebuffer(get_profile("g2"))
    new = p.encode_image(np.full((8, 8), 9, np.uint8), image=5, passes=1)[0][0]
    old = p.encode_image(np.full((8, 8), 3, np.uint8), image=4, passes=1)[0][0]
    fb.apply(new)
    fb.apply(old)
    assert fb.stale_passes == 1 and fb.back[0, 0] == 9
    bomb = m.DisplayBitmap(
        0, 0, 8, 8, 4, 0, 1, 1, m.BitmapCodec.DEFLATE, zlib.compress(bytes(10**6))
    )
    with pytest.raises(DisplayCommandError, match="bytes"):
        fb.apply(bomb)


def test_a_newer_image_cancels_the_remaining_passes_of_an_older_one() -> None:
    clock = VirtualClock()
    rng = np.random.default_rng(2)
    first = rng.integers(0, 16, (288, 576)).astype(np.uint8)
    second = rng.integers(0, 16, (288, 576)).astype(np.uint8)

    async def main() -> tuple[np.ndarray, int, list[int], list[int], int]:
        slow = LinkModel(bandwidth_bps=250_000.0, latency_ms=15.0)
        async with LinkedGlasses(clock, model=slow) as rig:
            display = rig.display()
            await rig.settle()
            before = len(display.pages_sent)
            display.show_image(first)
            await clock.sleep(0.6)  # its first pass or two are through
            mark = len(display.pages_sent)
            display.show_image(second)
            await rig.settle(60.0)
            shown = rig.glasses.stats.pages
            first_pages = display.pages_sent[before:mark]
            second_pages = display.pages_sent[mark:]
            return (
                rig.glasses.framebuffer.front.copy(),
                display.cancelled_image_messages,
                [pg for pg in first_pages if pg in shown],
                [pg for pg in second_pages if pg in shown],
                len(first_pages),
            )

    front, cancelled, first_shown, second_shown, first_sent = clock.run(main())
    assert np.array_equal(front, second)
    assert cancelled > 0
    assert 1 <= len(first_shown) < first_sent  # a coarse version showed, the rest was dropped
    assert len(second_shown) == 5
