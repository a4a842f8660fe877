"""`glasses bench runtime`: the microphone resampler's figures and the flat JSON object."""

from __future__ import annotations

from glasses.bench import runtime_bench
from glasses.devices.resample import StreamingResampler


def test_resampler_figures() -> None:
    figures = runtime_bench.resampler(seconds=1.0, runs=1)
    assert figures["ms_per_s"] > 0
    # libsoxr's hold-back at 48 kHz → 16 kHz: 21 ms on average, 37 at most.
    assert 15 < figures["hold_back_ms_mean"] < figures["hold_back_ms_max"] < 40
    assert figures["alias_db"] < -120


def test_resampler_figures_of_a_stand_in() -> None:
    class PassThrough(StreamingResampler):
        def __init__(self, in_rate: int) -> None:
            super().__init__(in_rate, in_rate)  # no conversion: nothing held, nothing filtered

    figures = runtime_bench.resampler(seconds=0.2, runs=1, make=PassThrough)
    assert figures["hold_back_ms_mean"] == figures["hold_back_ms_max"] == 0
    assert figures["alias_db"] > -10  # the tone comes through whole


def test_flat_has_the_resampler_keys() -> None:
    run = {"events_per_s": 1.0, "hop_us_p50": 2.0, "hop_us_p99": 3.0}
    resample = {"ms_per_s": 0.6, "hold_back_ms_mean": 21.0, "hold_back_ms_max": 37.0}
    flat = runtime_bench.flat(
        {"real": run, "virtual": run, "resample": resample | {"alias_db": -144.0}}
    )
    assert flat["events_per_s"] == 1.0 and flat["virtual_hop_us_p99"] == 3.0
    assert flat["resample_ms_per_s"] == 0.6 and flat["resample_alias_db"] == -144.0
