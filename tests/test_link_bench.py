"""``glasses bench link``: the figures exist and meet the issue's targets."""

from __future__ import annotations

import json
from pathlib import Path

from glasses.cli.main import main


def test_bench_link_json(tmp_path: Path) -> None:
    out = tmp_path / "link.json"
    assert main(["bench", "link", "--json", str(out)]) == 0
    f = json.loads(out.read_text())
    for key in (
        "goodput_fraction",
        "goodput_fraction_mtu23",
        "display_cmd_ms_p50",
        "display_cmd_ms_p95",
        "camera_fps_1mbit",
        "bitmap_first_pass_ms",
        "bitmap_full_ms",
    ):
        assert isinstance(f[key], float | int), key
    assert f["goodput_fraction"] >= 0.85
    assert 0 < f["goodput_fraction_mtu23"] < 8 / 23  # 8 payload bytes in a 23-byte frame
    assert f["bitmap_first_pass_ms"] <= 300 < f["bitmap_full_ms"]
    assert f["display_cmd_ms_p50"] <= f["display_cmd_ms_p95"] < 1000
    assert f["camera_fps_1mbit"] > 1
