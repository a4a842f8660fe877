"""WAV input beyond what Python's ``wave`` reads: IEEE float, WAVE_FORMAT_EXTENSIBLE, 3–8
channels; and one clear line for files that are corrupt, truncated or in another encoding."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest

from glasses.devices import FileMicrophone
from glasses.devices.errors import DeviceError, UnreadableMedia, UnsupportedAudioFormat
from glasses.devices.file import decode_float, decode_pcm, read_wav_format
from glasses.devices.resample import downmix, resample_float, to_float, to_int16

PCM, FLOAT, EXTENSIBLE = 1, 3, 0xFFFE
GUID_TAIL = bytes.fromhex("000000001000800000aa00389b71")


def signal(frames: int, channels: int, rate: int) -> np.ndarray:
    """(frames, channels) float64 within ±0.6: a different tone and level per channel."""
    t = np.arange(frames) / rate
    cols = [(0.6 / (1 + c)) * np.sin(2 * np.pi * (220 + 110 * c) * t + c) for c in range(channels)]
    return np.stack(cols, axis=1)


def quantise(x: np.ndarray, encoding: str, bits: int) -> tuple[bytes, np.ndarray]:
    """(little-endian sample bytes, the values they hold as float in [-1, 1])."""
    if encoding == "float":
        dtype = "<f4" if bits == 32 else "<f8"
        stored = x.astype(dtype)
        return stored.tobytes(), stored.astype(np.float64)
    if bits == 8:  # unsigned, offset binary
        q = np.clip(np.rint(x * 128) + 128, 0, 255).astype(np.uint8)
        return q.tobytes(), (q.astype(np.float64) - 128) / 128
    scale = 2.0 ** (bits - 1)
    q = np.clip(np.rint(x * scale), -scale, scale - 1).astype(np.int64)
    raw = q.astype("<i4").view(np.uint8).reshape(-1, 4)[:, : bits // 8]
    if bits == 16:
        raw = q.astype("<i2").view(np.uint8).reshape(-1, 2)
    return raw.tobytes(), q / scale


def fmt_chunk(
    encoding: str,
    bits: int,
    channels: int,
    rate: int,
    *,
    extensible: bool,
    valid_bits: int | None = None,
    sub_tag: int | None = None,
    tail: bytes = GUID_TAIL,
) -> bytes:
    code = FLOAT if encoding == "float" else PCM
    block = channels * bits // 8
    head = (EXTENSIBLE if extensible else code, channels, rate, rate * block, block, bits)
    fmt = struct.pack("<HHIIHH", *head)
    if extensible:
        mask = (1 << channels) - 1
        guid = struct.pack("<H", code if sub_tag is None else sub_tag) + tail
        fmt += struct.pack("<HHI", 22, valid_bits or bits, mask) + guid
    return fmt


def riff(*chunks: tuple[bytes, bytes]) -> bytes:
    body = b"WAVE"
    for cid, data in chunks:
        body += cid + struct.pack("<I", len(data)) + data + (b"\0" if len(data) % 2 else b"")
    return b"RIFF" + struct.pack("<I", len(body)) + body


def write(path: Path, fmt: bytes, data: bytes, *, extra: bytes = b"") -> Path:
    chunks = [(b"fmt ", fmt)]
    if extra:
        chunks.append((b"LIST", extra))  # an odd-sized chunk before the audio: padding
    path.write_bytes(riff(*chunks, (b"data", data)))
    return path


def play(path: Path) -> np.ndarray:
    mic = FileMicrophone(path, chunk_samples=4096)
    mic.open()
    try:
        chunks = []
        while (chunk := mic.read()) is not None:
            chunks.append(chunk)
        return np.concatenate(chunks)
    finally:
        mic.close()


CASES = [
    # encoding, bits, channels, rate, extensible
    ("pcm", 24, 6, 48_000, True),
    ("float", 32, 2, 44_100, True),
    ("float", 32, 2, 44_100, False),
    ("float", 64, 1, 16_000, False),
    ("float", 64, 1, 22_050, True),
    ("pcm", 8, 1, 8_000, False),
    ("pcm", 8, 3, 16_000, True),
    ("pcm", 16, 4, 32_000, True),
    ("pcm", 32, 8, 96_000, True),
]


@pytest.mark.parametrize(("encoding", "bits", "channels", "rate", "extensible"), CASES)
def test_samples_round_trip_within_quantisation(
    tmp_path: Path, encoding: str, bits: int, channels: int, rate: int, extensible: bool
) -> None:
    x = signal(rate // 4, channels, rate)  # 0.25 s
    data, held = quantise(x.reshape(-1), encoding, bits)
    fmt = fmt_chunk(encoding, bits, channels, rate, extensible=extensible)
    path = write(tmp_path / "in.wav", fmt, data, extra=b"odd")

    # The decoder gives back exactly the stored values.
    with path.open("rb") as fh:
        info = read_wav_format(fh)
        fh.seek(info.data_offset)
        raw = fh.read(info.data_bytes)
    assert (info.encoding, 8 * info.sample_width) == (encoding, bits)
    assert (info.channels, info.rate, info.frames) == (channels, rate, len(x))
    if encoding == "float":
        decoded = decode_float(raw, info.sample_width, channels)
    else:
        decoded = decode_pcm(raw, info.sample_width, channels)

    np.testing.assert_array_equal(to_float(decoded), held.reshape(-1, channels))

    # What the microphone serves: the file's mono mix at 16 kHz, off only by quantisation.
    mic = FileMicrophone(path)
    mic.open()
    assert (mic.source_rate, mic.source_channels, mic.source_encoding) == (rate, channels, encoding)
    assert mic.duration_s == pytest.approx(0.25, abs=1 / rate)
    mic.close()
    got = play(path).astype(np.float64)
    want = to_int16(resample_float(downmix(x), rate)).astype(np.float64)
    assert len(got) == len(want)
    step = 32768 / 128 if bits == 8 and encoding == "pcm" else 1.0  # int16 units
    assert np.abs(got - want).max() <= step + 1
    assert np.sqrt(np.mean(want**2)) > 1000  # a real signal came through, not silence


def test_24_valid_bits_in_a_32_bit_container(tmp_path: Path) -> None:
    x = signal(4000, 2, 16_000)
    data, _ = quantise(x.reshape(-1), "pcm", 32)
    fmt = fmt_chunk("pcm", 32, 2, 16_000, extensible=True, valid_bits=24)
    got = play(write(tmp_path / "w.wav", fmt, data)).astype(np.float64)
    want = to_int16(downmix(x)).astype(np.float64)
    assert np.abs(got - want).max() <= 2


def test_non_finite_float_samples_become_silence() -> None:
    data = np.array([0.5, np.nan, np.inf, -np.inf, -0.5], dtype="<f4").tobytes()
    assert decode_float(data, 4, 1)[:, 0].tolist() == [0.5, 0.0, 0.0, 0.0, -0.5]


# --------------------------------------------------------------------------------------------
# bad files: one line naming the file and what is wrong


def error_of(path: Path) -> DeviceError:
    with pytest.raises(DeviceError) as info:
        FileMicrophone(path).open()
    message = str(info.value)
    assert "\n" not in message and message.count(" — ") == 1
    assert str(path) in message
    return info.value


GOOD = fmt_chunk("float", 32, 2, 44_100, extensible=True)
AUDIO = bytes(800)


BAD_FILES = [
    ("header cut", riff((b"fmt ", GOOD), (b"data", AUDIO))[:30], UnreadableMedia, "truncated"),
    (
        "audio cut",
        riff((b"fmt ", GOOD), (b"data", AUDIO))[:-300],
        UnreadableMedia,
        "data chunk says 800 bytes of audio, 500 are there",
    ),
    ("no data", riff((b"fmt ", GOOD)), UnreadableMedia, "no audio data chunk"),
    ("no fmt", riff((b"data", AUDIO)), UnreadableMedia, "audio data before the fmt chunk"),
    ("short fmt", riff((b"fmt ", GOOD[:12]), (b"data", AUDIO)), UnreadableMedia, "12-byte"),
    (
        "short extensible",
        riff((b"fmt ", GOOD[:18]), (b"data", AUDIO)),
        UnreadableMedia,
        "WAVE_FORMAT_EXTENSIBLE with a 18-byte fmt chunk",
    ),
    (
        "unknown guid",
        riff(
            (b"fmt ", fmt_chunk("pcm", 16, 1, 16_000, extensible=True, tail=bytes(14))),
            (b"data", AUDIO),
        ),
        UnsupportedAudioFormat,
        "unknown sub-format 0100",
    ),
    (
        "extensible a-law",
        riff(
            (b"fmt ", fmt_chunk("pcm", 8, 1, 8_000, extensible=True, sub_tag=6)),
            (b"data", AUDIO),
        ),
        UnsupportedAudioFormat,
        "WAVE_FORMAT_EXTENSIBLE with A-law audio (sub-format 6)",
    ),
    (
        "frames not whole samples",
        riff((b"fmt ", struct.pack("<HHIIHH", 1, 2, 16_000, 80_000, 5, 20)), (b"data", AUDIO)),
        UnsupportedAudioFormat,
        "20-bit integer PCM samples in 5-byte frames of 2 channel(s); supported: "
        "8/16/24/32-bit integer PCM or 32/64-bit IEEE float",
    ),
    (
        "more bits than stored",
        riff((b"fmt ", struct.pack("<HHIIHH", 1, 1, 16_000, 32_000, 2, 24)), (b"data", AUDIO)),
        UnsupportedAudioFormat,
        "24-bit integer PCM samples in 2-byte frames",
    ),
    (
        "16-bit float",
        riff((b"fmt ", fmt_chunk("float", 16, 1, 16_000, extensible=False)), (b"data", AUDIO)),
        UnsupportedAudioFormat,
        "16-bit IEEE float",
    ),
    (
        "no channels",
        riff((b"fmt ", struct.pack("<HHIIHH", 1, 0, 16_000, 0, 0, 16)), (b"data", AUDIO)),
        UnreadableMedia,
        "has 0 channels",
    ),
    ("big-endian", b"RIFX" + riff((b"fmt ", GOOD))[4:], UnsupportedAudioFormat, "RIFX"),
    ("not a wav", b"OggS" + bytes(60), UnreadableMedia, "is not a WAV file"),
]


@pytest.mark.parametrize(
    ("name", "content", "kind", "says"), [pytest.param(*c, id=c[0]) for c in BAD_FILES]
)
def test_bad_file_gives_one_clear_line(
    tmp_path: Path, name: str, content: bytes, kind: type[DeviceError], says: str
) -> None:
    path = tmp_path / f"{name.replace(' ', '-')}.wav"
    path.write_bytes(content)
    err = error_of(path)
    assert type(err) is kind, str(err)
    assert says in str(err)


def test_too_many_channels_is_named(tmp_path: Path) -> None:
    fmt = fmt_chunk("float", 32, 10, 48_000, extensible=True)
    err = error_of(write(tmp_path / "ten.wav", fmt, bytes(400)))
    assert isinstance(err, UnsupportedAudioFormat)
    assert "wrong channel count 10" in str(err)


def _with_sizes(wav: bytes, riff_size: int, data_size: int) -> bytes:
    """``wav`` (fmt then data, as ``riff`` writes it) with its two size fields overwritten."""
    data_at = wav.index(b"data")
    out = bytearray(wav)
    out[4:8] = struct.pack("<I", riff_size)
    out[data_at + 4 : data_at + 8] = struct.pack("<I", data_size)
    return bytes(out)


@pytest.mark.parametrize(
    ("riff_size", "data_size"),
    [(0, 0), (0xFFFFFFFF, 0xFFFFFFFF), (0x7FFFF024, 0x7FFFF000), (36, 0xFFFFFFFF)],
    ids=["zeros", "all ones", "sox", "data only"],
)
def test_a_streamed_wav_without_its_length_is_read_to_the_end(
    tmp_path: Path, riff_size: int, data_size: int
) -> None:
    # Writers that stream (a pipe, arecord killed mid-take) leave placeholders in the size
    # fields; a data size of 0 dropped all the audio, one of all ones was called truncated.
    fmt = fmt_chunk("pcm", 16, 1, 16_000, extensible=False)
    data, _ = quantise(signal(16_000, 1, 16_000), "pcm", 16)
    reference = play(write(tmp_path / "sized.wav", fmt, data))
    path = tmp_path / "streamed.wav"
    path.write_bytes(_with_sizes(riff((b"fmt ", fmt), (b"data", data)), riff_size, data_size))
    assert np.array_equal(play(path), reference) and len(reference) == 16_000


def test_an_empty_data_chunk_before_another_chunk_stays_empty(tmp_path: Path) -> None:
    # A size of 0 with a true RIFF size is a real empty chunk: the LIST after it is no audio.
    fmt = fmt_chunk("pcm", 16, 1, 16_000, extensible=False)
    path = tmp_path / "empty-then-list.wav"
    path.write_bytes(riff((b"fmt ", fmt), (b"data", b""), (b"LIST", bytes(64))))
    with path.open("rb") as fh:
        assert read_wav_format(fh).data_bytes == 0
