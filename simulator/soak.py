"""A generated soak scenario: the wearer's day compressed into a 20-second cycle, repeated.

Each cycle (``CYCLE_S``) looks at a code (a QR code, or every other cycle a product's EAN-13),
taps it away, looks at a sign and asks something through the real audio path (the request
rotates through ``REQUESTS``: grammar commands and one question in open speech in eight),
then looks away and nods (a photo). Every model the soak uses comes up in its first minute
(the code reader, the OCR reader, Silero VAD, the wake word and commands, Whisper, the face
detector, espeak-ng), so memory measured after the first 20 % of a run of a few minutes has
every one of them loaded.

``soak_scenario(minutes)`` builds it as YAML and loads it through the scenario validator, with
expectations per cycle: the code is read, the request answered, the photo saved.
``glasses bench soak`` runs it (``glasses.bench.soak_bench``).
"""

from __future__ import annotations

import math
from pathlib import Path

import yaml

from simulator.scenario import MAX_RUN_S, Scenario, parse_scenario

CYCLE_S = 20.0
"""One cycle of the soak (s of virtual time): a code, a tap, a request, a nod."""

# What is said in turn, and a text the HUD shows within ``within_ms`` of the request: grammar
# commands (the wake word, then the command recogniser) and, in open speech (Whisper, in the
# third place, so that every model is loaded within the first minute), a question.
REQUESTS: tuple[tuple[str, str, float], ...] = (
    ("hey glasses, read this", "PLATFORM", 4000.0),
    ("hey glasses, what time is it", "10:", 3000.0),
    ("hey glasses, tell me the date", "January 2026", 4500.0),
    ("hey glasses, what do you see", "PLATFORM", 4500.0),
    ("hey glasses, battery level", "Battery", 3000.0),
    ("hey glasses, read this", "PLATFORM", 4000.0),
    ("hey glasses, what do you remember", "remember", 3000.0),
    ("hey glasses, what time is it", "10:", 3000.0),
)
OPEN_SPEECH = frozenset({2})
"""Which of ``REQUESTS`` are open speech (a question for Whisper), not grammar commands."""
# Products of the demo catalogue (glasses/assistant/catalogue.py) and what their card shows.
PRODUCTS: tuple[tuple[str, str], ...] = (
    ("2000001000014", "Oat drink 1 l"),
    ("0036000291452", "USD 2.19"),
)


def soak_source(minutes: float, *, seed: int = 0, questions: bool = True) -> str:
    """The soak scenario of ``minutes`` of virtual time (whole cycles, at least one) as YAML.

    ``questions``: one request in eight is a question in open speech (Whisper); without,
    that one is a grammar command too ("what time is it")."""
    if not minutes > 0 or not math.isfinite(minutes):
        raise ValueError(f"minutes must be a finite number > 0, got {minutes}")
    cycles = max(1, math.ceil(minutes * 60 / CYCLE_S - 1e-9))
    if cycles * CYCLE_S > MAX_RUN_S:
        raise ValueError(
            f"a soak lasts at most {MAX_RUN_S / 60:g} min (the cap on a scenario), got {minutes:g}"
        )
    timeline: list[dict[str, object]] = []
    expect: list[dict[str, object]] = []
    for k in range(cycles):
        t0 = k * CYCLE_S
        r = k % len(REQUESTS)
        said, answer, within_ms = REQUESTS[r if questions or r not in OPEN_SPEECH else 1]
        if k % 2 == 0:
            url = f"https://example.org/soak/{k}"
            code: dict[str, object] = {"qr": url, "scale": 0.4, "rotate": 4, "noise": 5}
            shown = url.removeprefix("https://")
        else:
            ean, shown = PRODUCTS[(k // 2) % len(PRODUCTS)]
            code = {"ean13": ean, "scale": 0.5, "rotate": -3, "noise": 4}
        sign = {"text": f"PLATFORM {k % 9 + 1}", "scale": 0.6, "noise": 5}
        timeline += [
            {"at": f"{t0 + 0.5:g}s", "id": f"code{k}", "show": code},
            {"at": f"{t0 + 4:g}s", "tap": {}},  # the code's card goes
            {"at": f"{t0 + 5:g}s", "show": sign},
            {"at": f"{t0 + 5.5:g}s", "id": f"ask{k}", "say": said},
            {"at": f"{t0 + 13:g}s", "tap": {}},  # the answer's card goes (if still shown)
            {"at": f"{t0 + 14:g}s", "show": {"blank": True, "noise": 5}},
            {"at": f"{t0 + 16:g}s", "id": f"nod{k}", "nod": None},
        ]
        expect += [
            {"hud_contains": shown, "after": f"code{k}", "within_ms": 1000},
            {"hud_contains": answer, "after": f"ask{k}", "within_ms": within_ms},
            {"hud_contains": "Photo saved", "after": f"nod{k}", "within_ms": 1000},
        ]
    expect.append({"absent": "Error"})
    data = {
        "name": f"Soak — {cycles} cycles of a code, a tap, a request and a nod",
        "seed": seed,
        "device": {"profile": "g1", "camera": {"width": 640, "height": 480, "fps": 30}},
        "timeline": timeline,
        "duration": f"{cycles * CYCLE_S:g}s",
        "expect": expect,
    }
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def soak_scenario(minutes: float, *, seed: int = 0, questions: bool = True) -> Scenario:
    """The soak of ``minutes`` (see ``soak_source``), validated like any scenario file."""
    source = soak_source(minutes, seed=seed, questions=questions)
    return parse_scenario(source, Path(f"soak-{minutes:g}min.yaml"))
