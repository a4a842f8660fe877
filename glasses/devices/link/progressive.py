"""Progressive bitmaps: an image sent coarse first and refined in passes.

The passes interlace the image on a 4×4 grid (Adam7's scheme, one level shorter)::

    pass  first pixel  step (x, y)  share   shown as blocks of
    1     (0, 0)       (4, 4)       1/16    4×4
    2     (2, 0)       (4, 4)       1/16    2×4
    3     (0, 2)       (2, 4)       1/8     2×2
    4     (1, 0)       (2, 2)       1/4     1×2
    5     (0, 1)       (1, 2)       1/2     1×1

Each pixel of a pass is drawn as a block reaching to the next pixels still unknown, so after
pass 1 the wearer sees the whole image at a quarter of its resolution, after pass 5 every pixel.
A pass is cut into horizontal bands of at most ``BAND_BYTES`` packed bytes (``DisplayBitmap``
messages; each band's rows start on the grid), each deflate-compressed when that is smaller,
and followed by a ``DisplayPage`` that shows it. ``passes=1`` sends the plain image.

``ProgressiveSender`` sends images through a link: a newer image cancels the passes of an older
one that have not started on the wire (their group), and the glasses ignore any pass of an
image older than the newest they have seen (``Canvas``, the glasses' side).
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from glasses.devices.link import messages as m

# (x0, y0, dx, dy, block_w, block_h) per pass
ADAM5: tuple[tuple[int, int, int, int, int, int], ...] = (
    (0, 0, 4, 4, 4, 4),
    (2, 0, 4, 4, 2, 4),
    (0, 2, 2, 4, 2, 2),
    (1, 0, 2, 2, 1, 2),
    (0, 1, 1, 2, 1, 1),
)
PLAIN = ((0, 0, 1, 1, 1, 1),)
GRID = 4  # rows per interlace period: bands start on multiples of it
BAND_BYTES = 2048
MAX_IMAGE_ID = 0xFFFF


def plan(passes: int) -> tuple[tuple[int, int, int, int, int, int], ...]:
    if passes == 1:
        return PLAIN
    if passes == len(ADAM5):
        return ADAM5
    raise ValueError(f"passes must be 1 or {len(ADAM5)}, got {passes}")


def pack(pixels: np.ndarray, bpp: int) -> bytes:
    """H×W palette indices packed high bits first, each row padded to a byte."""
    arr = np.asarray(pixels, dtype=np.uint8)
    if arr.ndim != 2:
        raise ValueError(f"pixels must be H×W, got shape {arr.shape}")
    if bpp == 1:
        return np.packbits(arr & 1, axis=1).tobytes()
    if bpp == 4:
        h, w = arr.shape
        padded = np.zeros((h, w + (w & 1)), dtype=np.uint8)
        padded[:, :w] = arr & 15
        return (padded[:, 0::2] << 4 | padded[:, 1::2]).tobytes()
    raise ValueError(f"bpp must be 1 or 4, got {bpp}")


def packed_size(width: int, height: int, bpp: int) -> int:
    return height * ((width * bpp + 7) // 8)


def unpack(data: bytes, width: int, height: int, bpp: int) -> np.ndarray:
    """The inverse of ``pack``; ValueError if ``data`` is not exactly that many bytes."""
    if len(data) != packed_size(width, height, bpp):
        raise ValueError(
            f"{width}×{height} at {bpp} bpp is {packed_size(width, height, bpp)} bytes, "
            f"got {len(data)}"
        )
    if width == 0 or height == 0:
        return np.zeros((height, width), dtype=np.uint8)
    raw = np.frombuffer(data, dtype=np.uint8).reshape(height, -1)
    if bpp == 1:
        return np.unpackbits(raw, axis=1)[:, :width]
    out = np.empty((height, raw.shape[1] * 2), dtype=np.uint8)
    out[:, 0::2] = raw >> 4
    out[:, 1::2] = raw & 15
    return out[:, :width]


def pass_shape(width: int, height: int, index: int, passes: int) -> tuple[int, int]:
    """(w, h) of the pixels pass ``index`` (1-based) carries of a ``width``×``height`` region."""
    x0, y0, dx, dy, _, _ = plan(passes)[index - 1]
    return max(0, -(-(width - x0) // dx)), max(0, -(-(height - y0) // dy))


def apply_pass(canvas: np.ndarray, pixels: np.ndarray, index: int, passes: int) -> None:
    """Write pass ``index``'s ``pixels`` into ``canvas`` (the region, H×W), each as the block
    it stands for until later passes refine it."""
    x0, y0, dx, dy, bw, bh = plan(passes)[index - 1]
    for a in range(bh):
        for b in range(bw):
            target = canvas[y0 + a :: dy, x0 + b :: dx]
            target[...] = pixels[: target.shape[0], : target.shape[1]]


def encode_image(
    indices: np.ndarray,
    *,
    x: int = 0,
    y: int = 0,
    bpp: int = 4,
    image: int = 0,
    passes: int = len(ADAM5),
    band_bytes: int = BAND_BYTES,
    compress: bool = True,
) -> list[list[m.DisplayBitmap]]:
    """The ``DisplayBitmap`` messages of each pass (a list of bands per pass) that draw
    ``indices`` (H×W palette indices) with its top-left at (``x``, ``y``)."""
    arr = np.asarray(indices, dtype=np.uint8)
    height, width = arr.shape
    out: list[list[m.DisplayBitmap]] = []
    for index in range(1, passes + 1):
        x0, y0, dx, dy, _, _ = plan(passes)[index - 1]
        row_bytes = packed_size(pass_shape(width, GRID * 4, index, passes)[0], 1, bpp)
        rows_per_band = max(1, band_bytes // max(1, row_bytes))  # pass rows per band
        band_h = max(GRID, rows_per_band * dy // GRID * GRID)  # region rows, on the grid
        bands: list[m.DisplayBitmap] = []
        for top in range(0, height, band_h):
            region = arr[top : top + band_h]
            pixels = region[y0::dy, x0::dx]
            if pixels.size == 0:
                continue
            data = pack(pixels, bpp)
            codec = m.BitmapCodec.RAW
            if compress:
                # Deflate as is, or on left-neighbour differences (smooth images: photos,
                # gradients); whichever is smaller, and only if smaller than raw.
                for option, packed in (
                    (m.BitmapCodec.DEFLATE, zlib.compress(data, 6)),
                    (m.BitmapCodec.DELTA_DEFLATE, zlib.compress(pack(delta(pixels, bpp), bpp), 6)),
                ):
                    if len(packed) < len(data):
                        data, codec = packed, option
            bands.append(
                m.DisplayBitmap(
                    x=x,
                    y=y + top,
                    width=width,
                    height=region.shape[0],
                    bpp=bpp,
                    image=image,
                    pass_index=index,
                    passes=passes,
                    codec=codec,
                    data=data,
                )
            )
        out.append(bands)
    return out


def decode_bitmap(msg: m.DisplayBitmap) -> np.ndarray:
    """The pass pixels a ``DisplayBitmap`` carries; ValueError if they do not decode."""
    w, h = pass_shape(msg.width, msg.height, msg.pass_index, msg.passes)
    size = packed_size(w, h, msg.bpp)
    data = msg.data
    if msg.codec in (m.BitmapCodec.DEFLATE, m.BitmapCodec.DELTA_DEFLATE):
        inflater = zlib.decompressobj()
        try:
            data = inflater.decompress(data, size + 1)  # bounded: no decompression bomb
        except zlib.error as exc:
            raise ValueError(f"bitmap data does not inflate: {exc}") from None
    pixels = unpack(data, w, h, msg.bpp)
    if msg.codec == m.BitmapCodec.DELTA_DEFLATE:
        pixels = undelta(pixels, msg.bpp)
    return pixels


def delta(pixels: np.ndarray, bpp: int) -> np.ndarray:
    """Each pixel minus its left neighbour, modulo 2**bpp (the first of a row as is)."""
    arr = np.asarray(pixels, dtype=np.int16)
    out = arr.copy()
    out[:, 1:] -= arr[:, :-1]
    return (out % (1 << bpp)).astype(np.uint8)


def undelta(pixels: np.ndarray, bpp: int) -> np.ndarray:
    return (np.cumsum(pixels, axis=1, dtype=np.int64) % (1 << bpp)).astype(np.uint8)


def newer(a: int, b: int) -> bool:
    """Image id ``a`` is newer than ``b`` (16-bit, wrapping; 0 is never progressive)."""
    return 0 < (a - b) % (MAX_IMAGE_ID + 1) < 0x8000


@dataclass(slots=True)
class SentImage:
    """What ``ProgressiveSender.show`` queued: the ``image`` id and, per pass, the tickets of
    its messages (the last of each pass is its ``DisplayPage``) and its bytes."""

    image: int
    tickets: list[list[int]]
    pass_bytes: list[int]


class ProgressiveSender:
    """Queues progressive images on a link (``send(msg, group) -> ticket``, ``cancel(group)``),
    counting the display's pages with ``next_page()``."""

    GROUP = "display:bitmap"

    def __init__(
        self,
        send: Callable[[m.Message, str], int],
        cancel: Callable[[str], int],
        next_page: Callable[[], int],
    ) -> None:
        self._send = send
        self._cancel = cancel
        self._next_page = next_page
        self._image = 0
        self.cancelled = 0  # messages of older images withdrawn before they were sent

    def show(
        self,
        indices: np.ndarray,
        *,
        x: int = 0,
        y: int = 0,
        bpp: int = 4,
        passes: int = len(ADAM5),
        compress: bool = True,
    ) -> SentImage:
        self.cancelled += self._cancel(self.GROUP)
        self._image = self._image % MAX_IMAGE_ID + 1
        image = self._image
        tickets: list[list[int]] = []
        sizes: list[int] = []
        for bands in encode_image(
            indices, x=x, y=y, bpp=bpp, image=image, passes=passes, compress=compress
        ):
            ids = [self._send(band, self.GROUP) for band in bands]
            ids.append(self._send(m.DisplayPage(self._next_page()), self.GROUP))
            tickets.append(ids)
            sizes.append(sum(len(b.data) for b in bands))
        return SentImage(image, tickets, sizes)
