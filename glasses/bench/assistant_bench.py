"""``glasses bench assistant``: each skill's latency, from its trigger to the HUD, on real compute.

A generated scenario plays every skill's trigger ``rounds`` times through the simulated glasses
(``SimRig``: sim camera, microphone with synthesised speech, the real pipeline: VAD, wake word,
command grammar, Whisper, skills, HUD) on a ``ComputeClock``: idle waits are skipped, but every
computation takes the wall time it really takes, so the figures are the machine's, not the
virtual clock's charged costs. A turn's latency runs from its cue (the acoustic end of the
speech that asked — the VAD's hangover counts inside —, the tap, the nod, or the capture of the
frame that showed a code) to the first ``HudDrawn`` of that turn.

Keys (``--json``): ``skill_<name>_p50_ms`` / ``_p95_ms`` for every skill measured and
``skill_<name>_n`` (turns measured; a trigger that started no turn is counted in
``skill_<name>_missed``); ``ask_first_hud_ms_p50`` (acoustic end of a question → the first
words of the answer drawn; Whisper and the prompt's prefill inside) and ``ask_first_audio_ms_p50``
(→ the first sentence starts playing); ``llm_first_token_ms`` (p50, the ask prompt straight to
the model, its state left by the same prompt: what is not cached), ``llm_first_token_cold_ms``
(p50, the same prompt after an unrelated one: its whole prefill), ``llm_prompt_tokens`` (the
prompt's tokens, when the model counts them), ``llm_tokens_per_s`` (decode) and ``llm`` (the
model).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from glasses.assistant.intents import ASK
from glasses.assistant.llm.base import LanguageModel
from glasses.runtime.events import Event, HudDrawn, Intent, Speaking
from glasses.runtime.metrics import percentile
from glasses.runtime.testing import ComputeClock


@dataclass(frozen=True, slots=True)
class Trial:
    """One trigger: ``skill`` (the figure's name), the intent it must start, its timeline steps
    (YAML, relative to the trial's start, in seconds) and a dismissing tap before it when the
    HUD must be idle."""

    skill: str
    intent: str
    steps: tuple[str, ...]
    idle_hud: bool = True
    slot_s: float = 6.0  # virtual seconds until the next trial


QUESTION = "hey glasses, why is the sky blue"

# Steps are YAML flow mappings formatted with ``at`` (s), ``r`` (the round) and ``question``;
# each round shows different text so that no answer is reused from an unchanged view.
TRIALS: tuple[Trial, ...] = (
    Trial(
        "read",
        "read",
        (
            '{{at: {at:.2f}, show: {{text: "PLATFORM {r}", scale: 0.6}}}}',
            "{{at: {at:.2f}, tap: double}}",
        ),
    ),
    Trial("scan", "scan", ('{{at: {at:.2f}, show: {{qr: "https://example.org/menu/{r}"}}}}',)),
    Trial("photo", "photo", ("{{at: {at:.2f}, nod: }}",)),
    Trial("price", "price", ('{{at: {at:.2f}, show: {{ean13: "4006381333931"}}}}',)),
    Trial(
        "see",
        "see",
        (
            '{{at: {at:.2f}, show: {{text: "EXIT {r}", scale: 0.5}}}}',
            '{{at: {at:.2f}, say: "hey glasses what do you see"}}',
        ),
    ),
    Trial("time", "time", ('{{at: {at:.2f}, say: "hey glasses what time is it"}}',)),
    Trial("timer", "timer", ('{{at: {at:.2f}, say: "hey glasses set a timer for ten seconds"}}',)),
    Trial(
        "remember",
        "remember",
        ('{{at: {at:.2f}, say: "hey glasses remember the car is on level three"}}',),
    ),
    Trial("recall", "recall", ('{{at: {at:.2f}, say: "hey glasses where is the car"}}',)),
    # Last, in a long slot: a small model on two cores writes for seconds, and the bench's
    # clock runs blocking work inline (nothing else moves while it computes).
    Trial("ask", "ask", ('{{at: {at:.2f}, say: "{question}"}}',), slot_s=24.0),
)


@dataclass(frozen=True, slots=True)
class Slot:
    """Where one trial plays: ``round`` (0 is the warm-up, not counted), its window (ns)."""

    trial: Trial
    round: int
    start_ns: int
    end_ns: int


def scenario_yaml(trials: Sequence[Trial], rounds: int) -> tuple[str, list[Slot]]:
    """The bench's scenario: a warm-up round (models load on first use) and ``rounds`` rounds
    of ``trials``, each trial in its own slot; and the slots."""
    lines = [
        "name: bench assistant",
        "seed: 5",
        "device: {profile: frame}",
        "timeline:",
    ]
    slots: list[Slot] = []
    t = 0.5
    for r in range(rounds + 1):
        for trial in trials:
            # Nothing in view from the last trial (a code would be announced again).
            lines.append(f"  - {{at: {t:.2f}, show: {{blank: true}}}}")
            if trial.idle_hud:
                lines.append(f"  - {{at: {t:.2f}, tap: 1}}")  # dismiss the last card
                # A second tap: the first may have been a barge-in on speech.
                lines.append(f"  - {{at: {t + 0.4:.2f}, tap: 1}}")
            for k, step in enumerate(trial.steps):
                at = t + 1.0 + 0.5 * k
                lines.append("  - " + step.format(at=at, r=r, question=QUESTION))
            slots.append(Slot(trial, r, round((t + 0.9) * 1e9), round((t + trial.slot_s) * 1e9)))
            t += trial.slot_s
    lines += [
        f"settle: {max(x.slot_s for x in trials):.0f}s",
        "expect:",
        '  - {name: no skill failed, absent: "Error"}',
    ]
    return "\n".join(lines) + "\n", slots


def run(
    *,
    rounds: int = 3,
    llm: LanguageModel | None = None,
    skills: Sequence[str] | None = None,
    progress: Callable[[str], None] = lambda _: None,
) -> dict[str, Any]:
    """Play every trial ``rounds`` times and return the figures (module docstring)."""
    from simulator.harness import prepare_scenes, prepare_speech
    from simulator.rig import SimRig
    from simulator.scenario import parse_scenario

    trials = [t for t in TRIALS if skills is None or t.skill in skills]
    if llm is None:
        trials = [t for t in trials if t.skill != "ask"]
    text, slots = scenario_yaml(trials, rounds)
    scenario = parse_scenario(text, Path("<bench assistant>"))
    progress(f"bench assistant: preparing {len(scenario.steps)} steps (scenes and speech)")
    scenes = prepare_scenes(scenario)
    speech = prepare_speech(scenario)
    clock = ComputeClock()
    events: list[Event] = []
    rig = SimRig(clock, scenario.model.device, seed=scenario.model.seed, llm=llm)
    known = set(rig.pipeline.skills.by_intent)
    trials = [t for t in trials if t.intent in known]
    slots = [s for s in slots if s.trial in trials and s.round > 0]
    rig.runtime.observe(
        lambda e: events.append(e) if isinstance(e, Intent | HudDrawn | Speaking) else None
    )
    end_ns = round(scenario.duration_s * 1e9)

    async def main() -> None:
        await rig.start()
        rig.play(scenario, scenes, speech)
        await clock.sleep_until(end_ns)
        await rig.stop(reason="bench finished")

    progress(f"bench assistant: running {scenario.duration_s:.0f} s of scenario on real compute")
    started = time.perf_counter()
    clock.run(main())
    progress(f"bench assistant: ran in {time.perf_counter() - started:.0f} s")
    table = rig.pipeline.skills.table

    def intent_of(intent: Intent) -> str:
        # Open speech that a skill claims by its pattern ("set a timer for …") is published as
        # ``ask``; the dispatcher hands it to that skill.
        claimed = table.text(intent.phrase) if intent.name == ASK else None
        return claimed[0] if claimed is not None else intent.name

    figures = turn_figures(events, rig.runtime.timelines.start_ns, slots, intent_of=intent_of)
    out: dict[str, Any] = {"rounds": rounds}
    for trial in trials:
        lat = figures.get(trial.skill, _Turns())
        out[f"skill_{trial.skill}_n"] = len(lat.hud_ms)
        out[f"skill_{trial.skill}_missed"] = rounds - len(lat.hud_ms)
        if lat.hud_ms:
            out[f"skill_{trial.skill}_p50_ms"] = round(percentile(lat.hud_ms, 50), 1)
            out[f"skill_{trial.skill}_p95_ms"] = round(percentile(lat.hud_ms, 95), 1)
        if trial.skill == "ask":
            if lat.first_words_ms:
                out["ask_first_hud_ms_p50"] = round(percentile(lat.first_words_ms, 50), 1)
            if lat.audio_ms:
                out["ask_first_audio_ms_p50"] = round(percentile(lat.audio_ms, 50), 1)
    if llm is not None:
        out.update(llm_figures(llm, progress=progress))
    return out


@dataclass(slots=True)
class _Turns:
    hud_ms: list[float]
    first_words_ms: list[float]
    audio_ms: list[float]

    def __init__(self) -> None:
        self.hud_ms, self.first_words_ms, self.audio_ms = [], [], []


def turn_figures(
    events: Sequence[Event],
    turn_start: Callable[[int], int | None],
    slots: Sequence[Slot],
    *,
    intent_of: Callable[[Intent], str] = lambda intent: intent.name,
) -> dict[str, _Turns]:
    """Per skill: for each slot, the first turn of the slot's intent that starts inside it:
    cue → first HUD draw, → first non-empty draw, → first speech. ``intent_of``: the intent
    a published ``Intent`` ends up as (open speech claimed by a skill's pattern)."""
    starts: dict[int, tuple[str, int]] = {}
    for e in events:
        if isinstance(e, Intent) and e.turn_id is not None and e.turn_id not in starts:
            start = turn_start(e.turn_id)
            if start is not None:
                starts[e.turn_id] = (intent_of(e), start)
    turn_of: dict[int, str] = {}  # turn → skill
    for slot in slots:
        inside = [
            turn
            for turn, (name, start) in sorted(starts.items(), key=lambda kv: kv[1][1])
            if name == slot.trial.intent and slot.start_ns <= start < slot.end_ns
        ]
        if inside:
            turn_of[inside[0]] = slot.trial.skill
    out: dict[str, _Turns] = {slot.trial.skill: _Turns() for slot in slots}
    seen_hud: set[int] = set()
    seen_words: set[int] = set()
    seen_audio: set[int] = set()
    for e in events:
        turn = e.turn_id
        if turn is None or turn not in turn_of:
            continue
        figures = out[turn_of[turn]]
        ms = (e.t_ns - starts[turn][1]) / 1e6
        if isinstance(e, HudDrawn):
            if turn not in seen_hud:
                seen_hud.add(turn)
                figures.hud_ms.append(ms)
            if e.text.strip() and turn not in seen_words:
                seen_words.add(turn)
                figures.first_words_ms.append(ms)
        elif isinstance(e, Speaking) and turn not in seen_audio:
            seen_audio.add(turn)
            figures.audio_ms.append(ms)
    return out


def llm_figures(
    llm: LanguageModel, *, runs: int = 5, progress: Callable[[str], None] = lambda _: None
) -> dict[str, Any]:
    """The model alone, on the ask skill's prompt: time to the first piece (prefill) and
    decode speed (pieces after the first per second; a piece is about one token)."""
    from glasses.assistant.llm.base import ChatMessage
    from glasses.assistant.prompt import build_messages

    messages = build_messages(QUESTION.split(",", 1)[1].strip(), words=40)
    first: list[float] = []
    cold: list[float] = []
    rates: list[float] = []
    prompt_tokens = 0
    timings = getattr(llm, "timings", None)
    progress(f"bench assistant: {llm.name} alone, {runs} answers")
    for _ in range(runs + 1):  # the first run warms up (model load, caches)
        # An unrelated prompt first (one token): the question's prefill from scratch.
        other = llm.stream([ChatMessage("user", "Name a colour.")], max_tokens=1)
        list(other)
        other.close()
        start = time.perf_counter()
        stream = llm.stream(messages, max_tokens=1)
        if next(stream, None) is not None:
            cold.append((time.perf_counter() - start) * 1000)
            counted = timings() if timings is not None else None
            prompt_tokens = getattr(counted, "prompt_tokens", 0)
        stream.close()
        start = time.perf_counter()
        stream = llm.stream(messages, max_tokens=64)
        t_first: float | None = None
        pieces = 0
        for _piece in stream:
            if t_first is None:
                t_first = time.perf_counter()
            pieces += 1
        end = time.perf_counter()
        stream.close()
        if t_first is None:
            continue
        first.append((t_first - start) * 1000)
        if pieces > 1 and end > t_first:
            rates.append((pieces - 1) / (end - t_first))
    first, cold, rates = first[1:], cold[1:], rates[1:]
    out: dict[str, Any] = {"llm": llm.name}
    if first:
        out["llm_first_token_ms"] = round(percentile(first, 50), 1)
    if cold:
        out["llm_first_token_cold_ms"] = round(percentile(cold, 50), 1)
    if prompt_tokens:
        out["llm_prompt_tokens"] = prompt_tokens
    if rates:
        out["llm_tokens_per_s"] = round(percentile(rates, 50), 1)
    return out
