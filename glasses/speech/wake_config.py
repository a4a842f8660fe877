"""``wake.toml``: the wake word's calibrated defaults, read once per process and written by tools.

The file (package data beside this module) holds::

    phrase = "hey glasses"
    backend = "model"          # "model" (the trained detector) or "pocketsphinx"
    threshold = 1e-40          # PocketSphinx kws_threshold (lower detects more)
    check = true               # each detection confirmed by the phrase's own grammar

    [model]
    threshold = 0.5            # the trained detector's score threshold, a probability 0..1
    confirm_steps = 2          # consecutive 80 ms steps at or above it before a detection
    ...                        # how it was chosen (figures, corpus, date)

    [calibration]              # the last PocketSphinx sweep (``glasses bench speech --calibrate``)
    ...

Only ``phrase``, ``backend``, ``threshold``, ``check``, ``model.threshold`` and
``model.confirm_steps`` are read; the rest is a record.
A missing file gives the built-in fallback; a malformed one raises ``WakeConfigError`` naming it.
``wake_config_text`` / ``write_wake_config`` write the file (atomically, checked by reading it
back), keeping the values a caller does not change.
"""

from __future__ import annotations

import functools
import logging
import math
import os
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, cast, get_args

log = logging.getLogger(__name__)

WakeBackend = Literal["model", "pocketsphinx"]
BACKENDS: tuple[WakeBackend, ...] = get_args(WakeBackend)
CONFIG_PATH = Path(__file__).with_name("wake.toml")
"""The calibrated defaults (package data)."""
FALLBACK_PHRASE = "hey glasses"
FALLBACK_BACKEND: WakeBackend = "model"
FALLBACK_THRESHOLD = 1e-40
FALLBACK_MODEL_THRESHOLD = 0.5
FALLBACK_CONFIRM_STEPS = 1
FALLBACK_CHECK = False
_REGENERATE = "fix it, or regenerate it with `glasses bench speech --calibrate`"


class WakeConfigError(ValueError):
    """``wake.toml`` is malformed; the message names the file and what is wrong."""


@dataclass(frozen=True, slots=True)
class WakeConfig:
    """The defaults read from a wake config file (``path`` None: the built-in fallback).

    ``threshold``: PocketSphinx ``kws_threshold``; ``model_threshold``: the trained detector's
    score threshold (a probability, 0..1); ``confirm_steps``: 80 ms steps the score must stay
    at or above it; ``check``: every detection is confirmed by a second opinion
    (``glasses.speech.wake_check``) before it wakes the glasses.
    """

    phrase: str
    threshold: float
    path: Path | None = None
    backend: WakeBackend = FALLBACK_BACKEND
    model_threshold: float = FALLBACK_MODEL_THRESHOLD
    confirm_steps: int = FALLBACK_CONFIRM_STEPS
    check: bool = FALLBACK_CHECK


def _probability(path: Path, key: str, value: Any) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or not 0.0 < value < 1.0
    ):
        example = "1e-40" if key == "threshold" else "0.5"
        raise WakeConfigError(
            f"{path}: '{key}' must be a number within (0, 1) such as {example}, got "
            f"{value!r} — {_REGENERATE}"
        )
    return float(value)


def load_wake_config(path: Path = CONFIG_PATH) -> WakeConfig:
    """``phrase``, ``backend``, ``threshold``, ``check`` and ``model.threshold`` from the TOML
    file at ``path``; other keys (the calibration records) are ignored. A missing file gives the
    built-in fallback ("hey glasses", model backend at 0.5, PocketSphinx at 1e-40, no check); a
    malformed one raises ``WakeConfigError``. ``backend``, ``check`` and ``[model]`` may be
    absent."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        log.warning("%s not found: wake word defaults to %r (%s backend)", path,
                    FALLBACK_PHRASE, FALLBACK_BACKEND)  # fmt: skip
        return WakeConfig(FALLBACK_PHRASE, FALLBACK_THRESHOLD)
    except (OSError, UnicodeDecodeError) as exc:
        raise WakeConfigError(f"cannot read the wake config {path}: {exc}") from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise WakeConfigError(f"{path} is not valid TOML ({exc}) — {_REGENERATE}") from exc
    phrase = data.get("phrase")
    if not isinstance(phrase, str) or not phrase.split():
        raise WakeConfigError(
            f"{path}: 'phrase' must be a non-empty string, got {phrase!r} — {_REGENERATE}"
        )
    threshold = _probability(path, "threshold", data.get("threshold"))
    backend = data.get("backend", FALLBACK_BACKEND)
    if backend not in BACKENDS:
        raise WakeConfigError(
            f"{path}: 'backend' must be one of {', '.join(BACKENDS)}, got {backend!r} — "
            f"{_REGENERATE}"
        )
    check = data.get("check", FALLBACK_CHECK)
    if not isinstance(check, bool):
        raise WakeConfigError(
            f"{path}: 'check' must be true or false, got {check!r} — {_REGENERATE}"
        )
    model = data.get("model", {})
    if not isinstance(model, dict):
        raise WakeConfigError(f"{path}: 'model' must be a table [model] — {_REGENERATE}")
    model_threshold = FALLBACK_MODEL_THRESHOLD
    if "threshold" in model:
        model_threshold = _probability(path, "model.threshold", model["threshold"])
    confirm = model.get("confirm_steps", FALLBACK_CONFIRM_STEPS)
    if isinstance(confirm, bool) or not isinstance(confirm, int) or not 1 <= confirm <= 10:
        raise WakeConfigError(
            f"{path}: 'model.confirm_steps' must be a whole number 1..10, got {confirm!r} — "
            f"{_REGENERATE}"
        )
    return WakeConfig(
        " ".join(phrase.split()),
        threshold,
        path,
        cast(WakeBackend, backend),
        model_threshold,
        confirm,
        check,
    )


@functools.cache
def default_wake_config() -> WakeConfig:
    """``load_wake_config()`` of the package's ``wake.toml``, read once per process."""
    return load_wake_config()


def toml_value(value: Any) -> str:
    """``value`` (bool, number or text) as a TOML literal."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(float(value)) if isinstance(value, float) else str(value)
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'


def _table(name: str, values: Mapping[str, Any]) -> list[str]:
    lines = ["", f"[{name}]"]
    rows: Sequence[Mapping[str, Any]] = ()
    for key, value in values.items():
        if value is None:
            continue
        if isinstance(value, list | tuple):
            rows = value
            lines.append(f"{key} = [")
            for row in rows:
                inner = ", ".join(f"{k} = {toml_value(v)}" for k, v in row.items() if v is not None)
                lines.append(f"    {{ {inner} }},")
            lines.append("]")
        else:
            lines.append(f"{key} = {toml_value(value)}")
    return lines


def wake_config_text(
    *,
    phrase: str,
    threshold: float,
    backend: WakeBackend,
    model_threshold: float,
    confirm_steps: int = FALLBACK_CONFIRM_STEPS,
    check: bool = FALLBACK_CHECK,
    model_record: Mapping[str, Any] | None = None,
    calibration: Mapping[str, Any] | None = None,
    comments: Sequence[str] = (),
) -> str:
    """The text of a ``wake.toml``. ``model_record``: extra keys of ``[model]`` (how its
    threshold was chosen); ``calibration``: the PocketSphinx sweep record (a ``sweep`` value is
    a list of rows, each a mapping); ``comments``: lines written at the top after ``# ``.
    None values are left out."""
    lines = [
        "# The wake word's defaults, read once per process by glasses.speech.wake.WakeSettings:",
        "# `phrase`, `backend` (model: the trained detector; pocketsphinx: keyphrase spotting),",
        "# `threshold` (PocketSphinx kws_threshold, lower detects more) and `model.threshold`",
        "# (the detector's score, a probability 0..1; higher falsely accepts less); `check`",
        "# (each detection confirmed by the phrase's own grammar before it wakes the glasses).",
        *(f"# {c}" if c else "#" for c in comments),
        f"phrase = {toml_value(phrase)}",
        f"backend = {toml_value(backend)}",
        f"threshold = {toml_value(float(threshold))}",
        f"check = {toml_value(check)}",
    ]
    model = {"threshold": float(model_threshold), "confirm_steps": confirm_steps}
    lines += _table("model", {**model, **(model_record or {})})
    if calibration:
        lines += _table("calibration", calibration)
    return "\n".join(lines) + "\n"


def write_wake_config(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically, after checking that it reads back; forget the
    cached defaults so this process sees the new file."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    try:
        load_wake_config(tmp)  # raises WakeConfigError if we wrote something unreadable
    except WakeConfigError:
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, path)
    default_wake_config.cache_clear()
