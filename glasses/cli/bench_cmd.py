"""``glasses bench NAME [--json [PATH]]``: performance figures, printed and optionally saved."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

STDOUT = Path("-")
"""``--json`` without a path: the figures go to standard output."""


def add_parser(sub: Any) -> None:
    p = sub.add_parser("bench", help="measure performance (runtime, hud, vision, speech, soak)")
    p.add_argument(
        "name",
        choices=["runtime", "hud", "vision", "speech", "assistant", "soak", "link"],
        help="what to measure",
    )
    p.add_argument(
        "--llm",
        default="gemma-3-270m",
        metavar="MODEL",
        help="assistant: the language model answering questions, a manifest id or a GGUF path "
        "(default the Gemma 3 270M test model; 'none' for no model)",
    )
    p.add_argument(
        "--json",
        type=Path,
        nargs="?",
        const=STDOUT,
        metavar="PATH",
        help="write a flat JSON object of figures (no PATH: print it)",
    )
    p.add_argument(
        "--events", type=int, default=20_000, help="runtime: events per run (default 20000)"
    )
    p.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="hud: rounds over every card and profile; assistant: times each skill's trigger "
        "is played (default 3)",
    )
    p.add_argument(
        "--frames", type=int, default=40, help="vision: generated OCR frames (default 40)"
    )
    p.add_argument(
        "--minutes",
        type=float,
        help="speech: minutes of distractor speech for wake false accepts (default 30); soak: "
        "minutes of virtual time (default 10, at most 60)",
    )
    p.add_argument(
        "--clips", type=int, metavar="N", help="speech: at most N clips per set (default all)"
    )
    p.add_argument(
        "--quick",
        action="store_true",
        help="speech: a small run to check the plumbing (4 clips per set, 1 min of distractors)",
    )
    p.add_argument(
        "--wake-backend",
        choices=["model", "pocketsphinx"],
        help="speech: the wake word backend measured (default wake.toml's)",
    )
    p.add_argument(
        "--no-real-speech",
        action="store_true",
        help="speech: skip the real read-speech WER (Whisper and PocketSphinx on recordings)",
    )
    p.add_argument(
        "--calibrate",
        action="store_true",
        help="speech: sweep the wake threshold and write the best to the wake config",
    )
    p.add_argument(
        "--wake-config",
        type=Path,
        metavar="PATH",
        help="speech --calibrate: where to write (default glasses/speech/wake.toml)",
    )
    p.add_argument(
        "--sweep",
        type=_thresholds,
        metavar="T,T,…",
        help="speech --calibrate: the PocketSphinx thresholds to sweep (default 1e-50,…,1e-20)",
    )
    p.set_defaults(func=run)


def _thresholds(text: str) -> tuple[float, ...]:
    try:
        values = tuple(float(t) for t in text.split(",") if t.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of numbers: {text!r}") from None
    if not values or not all(0.0 < v < 1.0 for v in values):
        raise argparse.ArgumentTypeError(f"thresholds must be within (0, 1): {text!r}")
    return values


def run(args: argparse.Namespace) -> int:
    from glasses.atomic import output_problem

    problem = output_problem(args.json) if args.json and args.json != STDOUT else ""
    if problem:  # checked before a bench that may run for minutes
        print(f"glasses bench: --json {args.json}: {problem}", file=sys.stderr)
        return 2
    if args.name == "assistant":
        return _assistant(args)
    if args.name == "link":
        return _link(args)
    if args.name == "soak":
        return _soak(args)
    if args.name == "hud":
        return _hud(args)
    if args.name == "vision":
        return _vision(args)
    if args.name == "speech":
        return _speech(args)
    return _runtime(args)


def _assistant(args: argparse.Namespace) -> int:
    from glasses.assistant.llm.base import LlmError
    from glasses.assistant.llm.factory import LlmSettings, new_language_model
    from glasses.bench import assistant_bench

    if args.rounds < 1:
        print("glasses bench: --rounds must be at least 1")
        return 2
    try:
        llm = (
            None
            if args.llm == "none"
            else new_language_model(LlmSettings(backend="llama_cpp", model=args.llm))
        )
        if llm is not None:
            print(f"bench assistant: loading {llm.name} …", flush=True)
            load = getattr(llm, "load", None)
            if load is not None:
                load()
        figures = assistant_bench.run(
            rounds=args.rounds, llm=llm, progress=lambda line: print(line, flush=True)
        )
    except LlmError as exc:
        print(f"glasses bench assistant: {exc}")
        return 2
    rows = [("skill", "turns", "p50 ms", "p95 ms")]
    for skill in [t.skill for t in assistant_bench.TRIALS]:
        if f"skill_{skill}_n" not in figures:
            continue
        rows.append(
            (
                skill,
                f"{figures[f'skill_{skill}_n']}/{figures['rounds']}",
                _num(figures.get(f"skill_{skill}_p50_ms"), 0),
                _num(figures.get(f"skill_{skill}_p95_ms"), 0),
            )
        )
    _print_table(rows)
    if "llm" in figures:
        print(
            f"{figures['llm']}: first token {_num(figures.get('llm_first_token_ms'), 0)} ms "
            f"({_num(figures.get('llm_first_token_cold_ms'), 0)} ms for the "
            f"{figures.get('llm_prompt_tokens', '?')}-token prompt from scratch), "
            f"{_num(figures.get('llm_tokens_per_s'), 1)} tokens/s; ask: first words drawn "
            f"{_num(figures.get('ask_first_hud_ms_p50'), 0)} ms, first audio "
            f"{_num(figures.get('ask_first_audio_ms_p50'), 0)} ms after the question ends (p50)"
        )
    if args.json:
        _write_json(args.json, figures)
    return 0


def _runtime(args: argparse.Namespace) -> int:
    from glasses.bench import runtime_bench

    if args.events < 1:
        print("glasses bench: --events must be at least 1")
        return 2
    print(f"bench runtime: {args.events} events through 5 pass-through stages, both clocks …")
    figures = runtime_bench.run(events=args.events)
    rows = [("clock", "events/s", "hop p50 µs", "hop p99 µs")]
    for clock in ("real", "virtual"):
        f = figures[clock]
        rows.append(
            (clock, f"{f['events_per_s']:,.0f}", f"{f['hop_us_p50']:.1f}", f"{f['hop_us_p99']:.1f}")
        )
    _print_table(rows)
    r = figures["resample"]
    print(
        f"microphone resampler (48 kHz stereo → 16 kHz mono, 20 ms chunks): "
        f"{r['ms_per_s']:.2f} ms per second of audio; holds back {r['hold_back_ms_mean']:.0f} ms "
        f"on average, {r['hold_back_ms_max']:.0f} ms at most; a 9 kHz tone from 44.1 kHz is "
        f"left at {r['alias_db']:.0f} dB"
    )
    if args.json:
        _write_json(args.json, runtime_bench.flat(figures))
    return 0


def _hud(args: argparse.Namespace) -> int:
    from glasses.bench import hud_bench
    from glasses.hud.profile import PROFILES

    if args.rounds < 1:
        print("glasses bench: --rounds must be at least 1")
        return 2
    cards = len(hud_bench.sample_cards())
    print(
        f"bench hud: {cards} cards × {len(PROFILES)} profiles × {args.rounds} rounds, "
        "each update timed cold (layout + render) …"
    )
    figures = hud_bench.run(rounds=args.rounds)
    rows = [("renderer", "updates", "p50 ms", "p99 ms")]
    for name, f in figures.items():
        rows.append((name, f"{f['updates']:.0f}", f"{f['ms_p50']:.3f}", f"{f['ms_p99']:.3f}"))
    _print_table(rows)
    if args.json:
        _write_json(args.json, hud_bench.flat(figures))
    return 0


def _vision(args: argparse.Namespace) -> int:
    from glasses.bench import vision_bench
    from models.registry import ModelError
    from simulator.ocr_set import FontsMissing

    if args.frames < 1:
        print("glasses bench: --frames must be at least 1")
        return 2
    print(f"bench vision: {args.frames} generated OCR frames (640×480), codes, camera at 30 fps …")
    try:
        figures = vision_bench.run(
            frames=args.frames,
            code_frames=max(10, min(100, 2 * args.frames)),
            hard_code_frames=max(10, min(200, 5 * args.frames)),
            progress=lambda line: print(line, flush=True),
        )
    except (ModelError, FontsMissing) as exc:
        print(f"glasses bench: {exc}")
        return 3
    rows = [("OCR reader", "p50 ms", "p95 ms", "lines exact %", "CER")]
    readers = (
        ("auto", "ours (runtime: auto)"),
        ("int8", "ours int8"),
        ("fp32", "ours fp32"),
        ("raw", "raw rapidocr"),
    )
    for name, label in readers:
        if name in figures:
            f = figures[name]
            rows.append(
                (label, f"{f['ms_p50']:.0f}", f"{f['ms_p95']:.0f}", f"{f['line_exact']:.1f}",
                 f"{f['cer']:.4f}")
            )  # fmt: skip
    _print_table(rows)
    code_rows: list[tuple[str, ...]] = [
        ("code reader", "bench set %", "p50 ms", "hard set", "p50 ms", "noise: codes", "p50 ms")
    ]
    for label, key in (("zxing-cpp (runtime)", ""), ("OpenCV (until issue 15)", "_opencv")):
        c, h = figures[f"codes{key}"], figures[f"codes_hard{key}"]
        code_rows.append(
            (label, f"{c['decode_rate']:.1f}", f"{c['ms_p50']:.1f}", f"{h['decode_rate']:.3f}",
             f"{h['ms_p50']:.1f}", f"{h['noise_false_positives']:.0f}", f"{h['noise_ms_p50']:.1f}")
        )  # fmt: skip
    _print_table(code_rows)
    cam = figures["camera"]
    print(
        f"camera at 30 fps: {cam['processed']:.0f}/{cam['frames']:.0f} frames read, "
        f"{cam['dropped']:.0f} dropped (latest wins), frame age at the model p50 "
        f"{cam['frame_age_ms_p50']:.1f} ms, p95 {cam['frame_age_ms_p95']:.1f} ms"
    )
    flat = vision_bench.flat(figures)
    print(
        f"speedup vs raw rapidocr {flat['speedup_vs_raw']}×, int8 vs fp32 {flat['int8_speedup']}×"
    )
    if args.json:
        _write_json(args.json, flat)
    return 0


def _speech(args: argparse.Namespace) -> int:
    from glasses.bench import speech_bench
    from glasses.bench.speech_corpus import BENCH_VOICES, HELD_OUT_VOICES, RATES_WPM

    minutes = args.minutes
    if minutes is None:
        minutes = speech_bench.QUICK_MINUTES if args.quick else 30.0
    clips = args.clips if args.clips is not None or not args.quick else speech_bench.QUICK_CLIPS
    if not minutes > 0:
        print("glasses bench: --minutes must be more than 0")
        return 2
    if clips is not None and clips < 1:
        print("glasses bench: --clips must be at least 1")
        return 2
    if args.calibrate and args.wake_backend == "model":
        print("glasses bench: --calibrate sweeps the pocketsphinx wake threshold")
        return 2
    print(
        f"bench speech: espeak-ng corpus ({len(BENCH_VOICES)} voices, {len(HELD_OUT_VOICES)} "
        f"held out from wake training, × {len(RATES_WPM)} rates) through the real stages, "
        f"{minutes:g} min distractor stream"
        + (", wake threshold sweep" if args.calibrate else "")
        + " …"
    )
    from glasses.runtime.testing import StageFailed
    from glasses.speech import SphinxUnavailable, TtsError, VadModelError
    from glasses.speech.wake import WakeConfigError, WakeSettings
    from glasses.speech.wake_config import CONFIG_PATH, write_wake_config
    from models.registry import ModelError

    try:
        wake = WakeSettings(backend=args.wake_backend) if args.wake_backend else None
        report = speech_bench.run(
            minutes=minutes,
            limit=clips,
            calibrate=args.calibrate,
            thresholds=args.sweep or speech_bench.SWEEP,
            wake=wake,
            real_speech=not args.no_real_speech,
            progress=lambda line: print(line, flush=True),
        )
    except (SphinxUnavailable, TtsError, VadModelError, WakeConfigError, ModelError) as exc:
        print(f"glasses bench: {exc}")
        return 3
    except StageFailed as exc:  # a model missing or failing inside a stage: one line, not a trace
        print(f"glasses bench: {exc}")
        return 3
    f = report.figures
    status = 0
    if report.chosen is not None:
        sweep = [("wake threshold", "held out %", "training voices %", "FA/h", "OOG woke %")]
        for r in report.sweep:
            mark = " ←" if r is report.chosen else ""
            sweep.append(
                (f"{r.threshold:g}{mark}", _pct(r.detect_rate), _pct(r.detect_rate_training),
                 f"{r.false_accepts_per_hour:g}", _pct(r.false_wake_rate_oog))
            )  # fmt: skip
        _print_table(sweep)
        path = args.wake_config or CONFIG_PATH
        target = speech_bench.MAX_FALSE_ACCEPTS_PER_HOUR
        if report.meets_target:
            text = speech_bench.calibrated_wake_config(report)
            write_wake_config(path, text)
            print(f"wake threshold {report.chosen.threshold:g} written to {path}")
        else:
            status = 1
            print(
                f"glasses bench: no wake threshold reached <= {target:g} false accepts per hour"
                f" (fewest: {report.chosen.threshold:g}); {path} left unchanged"
            )
    rows = [
        ("measure", "ours", "raw pocketsphinx"),
        ("wake detected, held-out voices %", _pct(f["wake_detect_rate"]), "–"),
        ("  training voices %", _pct(f["wake_detect_rate_training_voices"]), "–"),
        ("  clean (≥ 40 dB, digital silence) %", _pct(f["wake_detect_rate_clean"]), "–"),
        ('"hey glasses <command>" in one breath → intent %', _pct(f["wake_no_pause_rate"]), "–"),
        ('"hey glasses, <command>" → right intent %', _pct(f["wake_command_accuracy"]), "–"),
        (
            f"wake false accepts / h ({_num(f['wake_false_accepts'], 0)} in {minutes:g} min"
            f" with {_num(f['distractor_look_alikes'], 0)} look-alikes)",
            _num(f["wake_false_accepts_per_hour"], 2),
            "–",
        ),
        (
            "  of them within 3 s of a look-alike",
            _num(f["wake_false_accepts_near_look_alikes"], 0),
            "–",
        ),
        ("speech without the wake phrase that wakes %", _pct(f["wake_false_wake_rate_oog"]), "–"),
        (
            f"other synthesisers' held-out voices ({len(report.other_voices)}): wake detected %",
            _pct(f["wake_detect_rate_other"]),
            "–",
        ),
        ("  clean (≥ 40 dB, digital silence) %", _pct(f["wake_detect_rate_clean_other"]), "–"),
        (
            '  "hey glasses, <command>" → right intent %',
            _pct(f["wake_command_accuracy_other"]),
            "–",
        ),
        ("  push to talk: command → right intent %", _pct(f["command_accuracy_other"]), "–"),
        ("Piper joe (a training voice): wake detected %", _pct(f["wake_detect_rate_piper"]), "–"),
        (
            '  "hey glasses, <command>" → right intent %',
            _pct(f["wake_command_accuracy_piper"]),
            "–",
        ),
        ("  push to talk: command → right intent %", _pct(f["command_accuracy_piper"]), "–"),
        (
            "push to talk: command → right intent %",
            _pct(f["command_accuracy"]),
            _pct(f["raw_pocketsphinx_command_accuracy"]),
        ),
        (
            "out of grammar after the wake phrase rejected %",
            _pct(f["oog_rejection_rate"]),
            _pct(f["raw_pocketsphinx_oog_rejection_rate"]),
        ),
        (
            "last voiced sample → HUD drawn p50 / p95 ms",
            f"{_num(f['command_latency_p50_ms'], 0)} / {_num(f['command_latency_p95_ms'], 0)}",
            "–",
        ),
        (
            "command decode / other listen compute p50 ms",
            f"{_num(f['command_decode_ms_p50'], 0)} / {_num(f['wake_search_ms_p50'], 0)}",
            _num(f["raw_pocketsphinx_ms_p50"], 0),
        ),
        ("VAD ms per 32 ms chunk p50", _num(f["vad_ms_per_chunk_p50"], 3), "–"),
        ("last voiced sample → SpeechEnded p50 ms", _num(f["vad_end_delay_ms_p50"], 0), "–"),
        ("captions WER (synthetic)", _num(f["dictation_wer"], 3), "–"),
        ("captions real-time factor", _num(f["captions_rtf"], 3), "–"),
        (
            "real read speech WER: Whisper / PocketSphinx streamed / whole",
            f"{_num(f['dictation_wer_real'], 3)} / {_num(f['sphinx_streaming_wer_real'], 3)}"
            f" / {_num(f['sphinx_full_utt_wer_real'], 3)}",
            "–",
        ),
        ("Whisper final decode real-time factor", _num(f["dictation_rtf"], 3), "–"),
        ("speech stack RSS MB (with captions)", _num(f["speech_rss_mb"], 1), "–"),
        ("  listening only (VAD, wake, commands)", _num(f["speech_rss_mb_listening"], 1), "–"),
    ]
    _print_table(rows)
    print(
        f"wake: {report.wake_backend} at {f['wake_threshold']:g}; command accuracy vs raw "
        f"{_num(f['command_accuracy_vs_raw'], 3)}×; corpus: {report.corpus}"
    )
    if args.json:
        _write_json(args.json, report.json())
    return status


def _soak(args: argparse.Namespace) -> int:
    from glasses.bench import soak_bench

    minutes = 10.0 if args.minutes is None else args.minutes
    if not 0 < minutes <= 60:
        print("glasses bench: --minutes must be more than 0 and at most 60 for soak")
        return 2
    out = sys.stderr if args.json == STDOUT else sys.stdout  # keep stdout for the JSON
    f = soak_bench.run(minutes, progress=lambda line: print(line, file=out, flush=True))
    growth = "–" if f["rss_growth_pct"] is None else f"{f['rss_growth_pct']:+.1f} %"
    for line in (
        f"speed: {f['harness_speed_x']:.1f}× real time ({f['virtual_s']:.0f} s in "
        f"{f['wall_s']:.1f} s; {f['harness_speed_cpu_x']}× per CPU second)",
        f"memory: peak {f['rss_mb_peak']:.0f} MB, growth over the last 80 % {growth}",
        f"restarts {f['restarts']}, dropped frames {f['dropped_frames']}, code reads "
        f"{f['code_reads']} of {f['frames']} frames; expectations "
        f"{f['expectations'] - f['expectations_failed']}/{f['expectations']} passed"
        + (f"; gave up: {', '.join(f['gave_up'])}" if f["gave_up"] else ""),
    ):
        print(line, file=out)
    if args.json:
        _write_json(args.json, f)
    return 0 if f["passed"] else 1


def _link(args: argparse.Namespace) -> int:
    from glasses.bench import link_bench

    print("bench link: the glasses link on a modelled radio (virtual time), both sides real …")
    figures = link_bench.run(progress=lambda line: print(f"  {line}", flush=True))
    _print_table(link_bench.rows(figures))
    if args.json:
        _write_json(args.json, figures)
    return 0


def _pct(rate: float | None) -> str:
    return "–" if rate is None else f"{100 * rate:.1f}"


def _num(value: float | None, digits: int) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _print_table(rows: Sequence[tuple[str, ...]]) -> None:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        print(
            "  ".join(
                cell.rjust(w) if i else cell.ljust(w)
                for i, (cell, w) in enumerate(zip(r, widths, strict=True))
            )
        )


def _write_json(path: Path, figures: dict[str, Any]) -> None:
    from glasses.atomic import write_text

    if path == STDOUT:
        print(json.dumps(figures, indent=2), flush=True)
        return
    write_text(path, json.dumps(figures, indent=2) + "\n")
    print(f"wrote {path}")
