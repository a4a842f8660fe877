"""`glasses bench speech`: WER, the wake config file, the threshold choice and one tiny real run."""

from __future__ import annotations

import json
import math
import tomllib
from pathlib import Path

import pytest

from glasses.bench import speech_bench
from glasses.bench.speech_bench import SweepRow, choose_threshold, word_edits, word_error_rate
from glasses.cli.main import main
from glasses.speech import wake
from glasses.speech.commands import normalize
from glasses.speech.wake import WakeConfigError, WakeSettings, load_wake_config


def test_word_edits_count_substitutions_deletions_and_insertions() -> None:
    assert word_edits([], []) == 0
    assert word_edits(["a", "b", "c"], ["a", "b", "c"]) == 0
    assert word_edits(["a", "b", "c"], ["a", "x", "c"]) == 1  # substitution
    assert word_edits(["a", "b", "c"], ["a", "c"]) == 1  # deletion
    assert word_edits(["a", "b"], ["a", "b", "c", "d"]) == 2  # insertions
    assert word_edits(["a", "b", "c"], []) == 3
    assert word_edits([], ["a", "b"]) == 2
    assert word_edits(["kitten", "sat"], ["sitting", "sat", "down"]) == 2


def test_word_error_rate_normalises_case_and_punctuation() -> None:
    assert word_error_rate("Turn off the lights.", "turn off the lights") == 0.0
    assert word_error_rate("the quick brown fox", "the quick brown box") == 0.25
    assert word_error_rate("one two", "one two three four") == 1.0  # can reach and pass 1
    assert word_error_rate("", "") == 0.0
    assert word_error_rate("", "noise") == 1.0


def test_the_distractors_never_say_the_wake_phrase() -> None:
    phrase = WakeSettings().phrase
    spoken = speech_bench.NEAR_MISSES + speech_bench.EVERYDAY
    assert all(phrase not in normalize(s) for s in spoken)
    assert {"hello class", "these glasses are great"} <= set(speech_bench.NEAR_MISSES)
    assert not set(speech_bench.NEAR_MISSES) & set(speech_bench.EVERYDAY)  # the stream's
    pairs = speech_bench.voice_rate_pairs()
    assert len(set(pairs)) == len(speech_bench.VOICES) * len(speech_bench.RATES_WPM)


def test_the_shipped_wake_config_gives_the_defaults() -> None:
    config = load_wake_config()
    assert config.path == wake.CONFIG_PATH and config.path.is_file()
    settings = WakeSettings()
    assert (settings.phrase, settings.threshold) == (config.phrase, config.threshold)
    assert 1e-60 <= config.threshold <= 1e-10
    # Explicit values still win, as before.
    assert WakeSettings(threshold=1e-30).threshold == 1e-30


def test_a_missing_wake_config_falls_back(tmp_path: Path) -> None:
    config = load_wake_config(tmp_path / "absent.toml")
    assert (config.phrase, config.threshold, config.path) == (
        wake.FALLBACK_PHRASE,
        wake.FALLBACK_THRESHOLD,
        None,
    )


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ('phrase = "hey glasses"\nthreshold = ', "not valid TOML"),
        ('phrase = "hey glasses"\n', "'threshold' must be a number"),
        ('phrase = "hey glasses"\nthreshold = 2.0\n', "'threshold' must be a number"),
        ('phrase = "hey glasses"\nthreshold = "1e-40"\n', "'threshold' must be a number"),
        ('phrase = "hey glasses"\nthreshold = true\n', "'threshold' must be a number"),
        ('phrase = "hey glasses"\nthreshold = nan\n', "'threshold' must be a number"),
        ('phrase = "  "\nthreshold = 1e-40\n', "'phrase' must be a non-empty string"),
        ("threshold = 1e-40\n", "'phrase' must be a non-empty string"),
    ],
)
def test_a_malformed_wake_config_is_a_clear_error(tmp_path: Path, text: str, match: str) -> None:
    path = tmp_path / "wake.toml"
    path.write_text(text)
    with pytest.raises(WakeConfigError, match=match) as info:
        load_wake_config(path)
    assert str(path) in str(info.value) and "--calibrate" in str(info.value)


def _row(threshold: float, detect: float, per_hour: float, oog: float = 0.0) -> SweepRow:
    return SweepRow(threshold, detect, detect, round(per_hour / 2), per_hour, oog)


def test_the_threshold_with_most_detections_within_the_false_accept_bound_wins() -> None:
    rows = [
        _row(1e-50, 0.95, 4.0),
        _row(1e-45, 0.90, 0.0, oog=0.05),
        _row(1e-40, 0.90, 0.0),
        _row(1e-35, 0.90, 0.0),
        _row(1e-30, 0.60, 0.0),
    ]
    best, ok = choose_threshold(rows)
    assert ok and best.threshold == 1e-35  # ties: fewer OOG wakes, then the higher threshold
    worst, ok = choose_threshold([_row(1e-50, 0.95, 8.0), _row(1e-45, 0.9, 2.0)])
    assert not ok and worst.threshold == 1e-45
    with pytest.raises(ValueError, match="no thresholds"):
        choose_threshold([])


def test_the_written_config_reads_back(tmp_path: Path) -> None:
    rows = [_row(1e-45, 0.9, 2.0), _row(1e-40, 0.8, 0.0)]
    figures: dict[str, float | None] = dict.fromkeys(speech_bench.KEYS, 1.0)
    figures["distractor_minutes"] = 30.0
    report = speech_bench.Report(
        figures, 'a "quoted" corpus', "hey glasses", rows, rows[1], meets_target=True
    )
    path = tmp_path / "wake.toml"
    speech_bench.write_wake_config(path, report)
    config = load_wake_config(path)
    assert (config.phrase, config.threshold) == ("hey glasses", 1e-40)
    record = tomllib.loads(path.read_text())["calibration"]
    assert record["corpus"] == 'a "quoted" corpus' and record["meets_target"] is True
    assert [r["threshold"] for r in record["sweep"]] == [1e-45, 1e-40]
    assert record["false_accepts_per_hour"] == 0.0 and record["date"]


def test_bad_arguments_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "speech", "--minutes", "0"]) == 2
    assert main(["bench", "speech", "--clips", "0"]) == 2
    assert "--minutes" in capsys.readouterr().out


def test_a_tiny_real_run_calibrates_and_writes_the_json(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Three clips per set and 12 s of distractor stream: checks the plumbing and the output's
    ranges, not the figures (which need the full corpus)."""
    monkeypatch.setenv("GLASSES_CACHE_DIR", str(tmp_path / "cache"))
    out, config = tmp_path / "speech.json", tmp_path / "wake.toml"
    argv = ["bench", "speech", "--minutes", "0.2", "--clips", "3", "--calibrate"]
    assert main([*argv, "--wake-config", str(config), "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "raw pocketsphinx" in printed and "synthesising" in printed and "sweep" in printed
    data = json.loads(out.read_text())
    assert tuple(data) == speech_bench.KEYS
    for key in (
        "wake_detect_rate",
        "wake_detect_rate_fresh",
        "wake_false_wake_rate_oog",
        "command_accuracy",
        "oog_rejection_rate",
        "raw_pocketsphinx_command_accuracy",
        "raw_pocketsphinx_oog_rejection_rate",
    ):
        assert 0.0 <= data[key] <= 1.0, key
    assert data["wake_false_accepts_per_hour"] >= 0 and data["distractor_minutes"] == 0.2
    assert data["command_latency_p50_ms"] > 0 and data["command_latency_p95_ms"] > 0
    assert data["vad_ms_per_chunk_p50"] > 0 and data["raw_pocketsphinx_ms_p50"] > 0
    assert data["dictation_rtf"] > 0 and data["dictation_wer"] >= 0
    assert math.isfinite(data["speech_rss_mb"])
    assert data["wake_clips"] == data["command_clips"] == data["oog_clips"] == 3
    calibrated = load_wake_config(config)
    assert calibrated.threshold in speech_bench.SWEEP
    assert data["wake_threshold"] == calibrated.threshold
    assert tomllib.loads(config.read_text())["calibration"]["distractor_minutes"] == 0.2
