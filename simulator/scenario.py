"""Scenario files: YAML validated with pydantic, errors reported with file and line numbers.

A scenario is a device set-up, a timeline of cues (show a scene, tap, swipe, say, nod, wait,
unplug or replug a device, set the battery) and expectations on what the HUD shows; a ``link:``
section models the radio when it runs over the link. Times are written ``2.5s``,
``300ms``, ``1min`` or as plain seconds. The format is documented with examples in
``docs/scenarios.md``.

Whatever is in the file, reading it ends in a ``Scenario`` or in a ``ScenarioError`` whose
problems read ``file:line: where: what``, never in a traceback, and nothing in it is silently
dropped. Three layers see to that:

* the bytes: at most ``MAX_FILE_BYTES``, UTF-8, not empty;
* the YAML: a safe loader that refuses a repeated key and nesting deeper than ``MAX_DEPTH``
  (both with their line), instead of keeping the last key or overflowing the stack;
* the values: the pydantic models below (finite numbers, capped sizes and durations), then
  ``_resolve`` for what needs the whole timeline: steps in time order, a run that covers them,
  devices unplugged before they are replugged, cues that exist, and expectation windows
  inside the run.

Scenes are rendered as the timeline reaches them (``simulator.harness.Scenes``), two held at a
time, so their number is capped only by ``MAX_STEPS``.
"""

from __future__ import annotations

import math
import re
import reprlib
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

from glasses.hud.profile import DEFAULT_PROFILE, PROFILES

# Caps: a scenario is a test, not a data set. Each is stated in docs/scenarios.md.
MAX_FILE_BYTES = 1 << 20  # 1 MiB of YAML
MAX_DEPTH = 20  # nesting of YAML mappings and lists (a real scenario needs 8)
MAX_RUN_S = 3600.0  # any one duration, and the whole run: 60 min of virtual time
MAX_STEPS = 5000
MAX_EXPECTATIONS = 1000
MAX_FACES = 16  # per face scene
MAX_PROBLEMS = 20  # reported per file; the rest are counted

_DURATION = re.compile(r"^\s*(-?(?:\d+(?:\.\d+)?|\.\d+))\s*(ms|s|min)?\s*$")
_UNIT_S = {"ms": 0.001, "s": 1.0, "min": 60.0, None: 1.0}
_NS_PER_S = 1_000_000_000
_NS_PER_MS = 1_000_000

_repr = reprlib.Repr()
_repr.maxstring = 60
_repr.maxother = 60


def _short(value: Any) -> str:
    """``repr(value)``, cut short: an error line must stay one readable line."""
    return _repr.repr(value)


def _max_run() -> str:
    return f"{MAX_RUN_S / 60:g} min"


def parse_seconds(value: Any) -> float:
    """``"2.5s"`` → 2.5, ``"300ms"`` → 0.3, ``"1min"`` → 60, ``4`` → 4.0 (seconds).

    Finite, not negative, and at most ``MAX_RUN_S``."""
    if isinstance(value, bool):
        raise ValueError("expected a duration such as 2.5s or 300ms, not a boolean")
    if isinstance(value, int | float):
        seconds = float(value) if abs(value) < 1e300 else math.inf  # a 400-digit int overflows
    elif isinstance(value, str) and (m := _DURATION.match(value)):
        seconds = float(m.group(1)) * _UNIT_S[m.group(2)]
    else:
        raise ValueError(f"expected a duration such as 2.5s or 300ms, got {_short(value)}")
    if math.isnan(seconds) or math.isinf(seconds):
        raise ValueError(f"a duration must be a finite number, got {_short(value)}")
    if seconds < 0:
        raise ValueError(f"a duration cannot be negative, got {_short(value)}")
    if seconds > MAX_RUN_S:
        raise ValueError(f"a duration can be at most {_max_run()}, got {_short(value)}")
    return seconds


Seconds = Annotated[float, BeforeValidator(parse_seconds)]


def _not_blank(text: str) -> str:
    if not text.strip():
        raise ValueError("must not be empty or only spaces")
    return text


Title = Annotated[str, StringConstraints(max_length=200), AfterValidator(_not_blank)]
Spoken = Annotated[str, StringConstraints(max_length=1000), AfterValidator(_not_blank)]


def _in_frame(center: tuple[float, float]) -> tuple[float, float]:
    if not all(0.0 <= c <= 1.0 for c in center):
        raise ValueError(
            f"center {list(center)} is off the frame; give fractions of width and height "
            "within 0..1"
        )
    return center


Center = Annotated[tuple[float, float], AfterValidator(_in_frame)]


class _Strict(BaseModel):
    # allow_inf_nan=False: ``.inf`` and ``.nan`` are valid YAML floats but no valid setting.
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class CameraSpec(_Strict):
    width: int = Field(640, ge=16, le=4096, description="px")
    height: int = Field(480, ge=16, le=4096, description="px")
    fps: float = Field(30.0, gt=0, le=240)


class MicrophoneSpec(_Strict):
    """The simulated microphone's own format; the runtime resamples it to 16 kHz mono."""

    sample_rate: int = Field(16_000, ge=8_000, le=192_000, description="Hz")
    channels: int = Field(1, ge=1, le=8)


class EchoSpec(_Strict):
    """The glasses' speaker heard back by their microphone (``echo: off`` for none)."""

    delay_ms: float = Field(80.0, ge=0, le=500, description="ms")
    attenuation_db: float = Field(10.0, ge=0, le=80, description="dB")


class DeviceSpec(_Strict):
    profile: str = DEFAULT_PROFILE
    camera: CameraSpec = CameraSpec()
    microphone: MicrophoneSpec = MicrophoneSpec()
    echo: EchoSpec | None = EchoSpec()
    listen: Literal["wake", "push_to_talk", "always"] = "wake"

    @field_validator("echo", mode="before")
    @classmethod
    def _echo_off(cls, echo: Any) -> Any:
        if echo is False or echo == "off":
            return None
        return echo

    @field_validator("profile")
    @classmethod
    def _known_profile(cls, profile: str) -> str:
        if profile not in PROFILES:
            raise ValueError(
                f"unknown display profile {_short(profile)}; known: {', '.join(sorted(PROFILES))}"
            )
        return profile


class FaceSpec(_Strict):
    """One synthetic face of a ``face`` scene; unset fields take the scene's center and scale."""

    center: Center | None = None
    scale: float | None = Field(
        None, gt=0, le=1, description="face width, fraction of the frame's shorter side"
    )


def _faces(value: Any) -> Any:
    # ``face: true`` is one face at the scene's centre and scale; a single mapping is one face.
    if value is None:
        return None
    if value is True:
        return [{}]
    if isinstance(value, dict):
        return [value]
    if isinstance(value, list) and 0 < len(value) <= MAX_FACES:
        return value
    if isinstance(value, list) and value:
        raise ValueError(f"a face scene has at most {MAX_FACES} faces, got {len(value)}")
    raise ValueError(
        "face takes true (one face at center, scale) or a list of faces such as "
        f"[{{center: [0.3, 0.5], scale: 0.3}}], got {_short(value)}"
    )


SCENE_KEYS = ("qr", "ean13", "text", "image", "blank", "face")


class ShowSpec(_Strict):
    """A camera scene: exactly one of ``qr``, ``ean13``, ``text``, ``image``, ``blank``,
    ``face``."""

    qr: Annotated[str, StringConstraints(max_length=7089)] | None = None  # QR's own limit
    ean13: str | None = None
    text: Annotated[str, StringConstraints(max_length=500)] | None = None
    image: Annotated[str, StringConstraints(max_length=4096)] | None = None
    blank: bool | None = None
    face: Annotated[tuple[FaceSpec, ...] | None, BeforeValidator(_faces)] = None
    scale: float = Field(0.4, gt=0, le=1, description="fraction of the frame's shorter side")
    rotate: float = Field(0.0, ge=-180, le=180, description="degrees")
    noise: float = Field(0.0, ge=0, le=100, description="Gaussian noise sigma, grey levels")
    blur: float = Field(0.0, ge=0, le=20, description="Gaussian blur sigma, px")
    center: Center = (0.5, 0.5)

    @model_validator(mode="after")
    def _exactly_one(self) -> ShowSpec:
        given = [k for k in SCENE_KEYS if getattr(self, k)]
        if len(given) != 1:
            raise ValueError(
                f"show needs exactly one of {', '.join(SCENE_KEYS)}"
                + (f" (got {', '.join(given)})" if given else "")
            )
        if self.ean13 is not None:
            _check_ean13(self.ean13)
        if self.face is not None and self.rotate != 0:
            raise ValueError("rotate is not supported for face scenes (faces are drawn upright)")
        return self

    @property
    def scene_kind(self) -> str:
        return next(k for k in SCENE_KEYS if getattr(self, k))

    @property
    def faces(self) -> tuple[tuple[float, float, float], ...]:
        """Each face of a ``face`` scene as (centre x, centre y, width), defaults filled in."""
        return tuple(
            (*(f.center or self.center), self.scale if f.scale is None else f.scale)
            for f in self.face or ()
        )


def _check_ean13(digits: str) -> None:
    from simulator.scenes import ean13_checksum

    if not re.fullmatch(r"\d{12,13}", digits):
        raise ValueError(f"ean13 must be 12 or 13 digits, got {_short(digits)}")
    check = ean13_checksum(digits[:12])
    if len(digits) == 13 and int(digits[12]) != check:
        raise ValueError(
            f"ean13 {digits!r} has check digit {digits[12]}, expected {check}; fix the last "
            "digit or give only the first 12"
        )


ACTIONS = (
    "show", "tap", "say", "nod", "shake", "wait", "swipe", "unplug", "replug", "video", "audio",
    "battery",
)  # fmt: skip
DEVICES = ("camera", "microphone")
Device = Literal["camera", "microphone"]


class TapSpec(_Strict):
    count: Literal[1, 2] = 1


def _tap(value: Any) -> Any:
    # ``tap: {}``, ``tap: 1``, ``tap: double`` and a bare ``tap:`` are all accepted.
    if value is None:
        return {}
    if value == "double":
        return {"count": 2}
    if isinstance(value, int) and not isinstance(value, bool):
        return {"count": value}
    return value


GESTURES = ("nod", "shake")


def _gesture(value: Any) -> Any:
    # A head gesture takes no options: ``- nod:`` (or ``nod: {}``, ``nod: true``).
    if value is None or value is True or value == {}:
        return True
    raise ValueError(
        f"a head gesture takes no options; write it bare, as `- nod:`, got {_short(value)}"
    )


Gesture = Annotated[Literal[True] | None, BeforeValidator(_gesture)]


def _named(action: str, choices: str) -> Any:
    """A bare ``- swipe:`` says nothing: name the value the action needs."""

    def check(value: Any) -> Any:
        if value is None:
            raise ValueError(f"{action} needs {choices}, as `{action}: {choices.split()[0]}`")
        return value

    return BeforeValidator(check)


Direction = Annotated[Literal["forward", "back"] | None, _named("swipe", "forward or back")]
Unplug = Annotated[Device | None, _named("unplug", "camera or microphone")]
Replug = Annotated[Device | None, _named("replug", "camera or microphone")]


class SaySpec(_Strict):
    """Speech the wearer says: synthesised, mixed with noise, fed to the mic. ``voice``: an
    espeak-ng voice (``en-us``, ``en-us+f3``) or a Piper one (``piper:joe``, with the optional
    ``piper`` extra; without it the scenario does not load: one line naming the install)."""

    text: Spoken
    voice: str = Field("en-us", max_length=64)
    rate_wpm: int = Field(160, ge=80, le=450, description="words per minute")
    snr_db: float = Field(20.0, ge=-5, le=60, description="speech to noise ratio, dB")

    @field_validator("voice")
    @classmethod
    def _known_voice(cls, voice: str) -> str:
        # espeak-ng replaces an unknown +variant by the plain voice without a word: ask it
        # (and whether a piper: voice is known and its extra installed).
        from glasses.speech.tts import TtsError, check_voice

        try:
            check_voice(voice)
        except TtsError as exc:
            raise ValueError(str(exc)) from None
        return voice


def _say(value: Any) -> Any:
    # ``say: "hey glasses, read this"`` is short for ``say: {text: ...}``.
    return {"text": value} if isinstance(value, str) else value


MediaFile = Annotated[str, StringConstraints(max_length=4096), AfterValidator(_not_blank)]


class VideoSpec(_Strict):
    """Recorded frames for the camera: ``file`` a video, ``times`` a text file of frame times
    (s from the step, one per frame; without it the video's own frame rate). Both relative to
    the scenario file. Played by :mod:`simulator.media_steps`."""

    file: MediaFile
    times: MediaFile | None = None


def _video(value: Any) -> Any:
    # ``video: camera.avi`` is short for ``video: {file: camera.avi}``.
    return {"file": value} if isinstance(value, str) else value


_PERCENT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*%\s*$")


def _level(value: Any) -> Any:
    # ``15%`` is 0.15; a bare number is a fraction, so ``15`` is refused rather than guessed.
    if isinstance(value, str):
        match = _PERCENT.match(value)
        if match is None:
            raise ValueError(
                f"a battery level is a percentage (15%) or a fraction (0.15), got {_short(value)}"
            )
        value = float(match.group(1)) / 100
    elif isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(
            f"a battery level is a percentage (15%) or a fraction (0.15), got {_short(value)}"
        )
    if not 0.0 <= value <= 1.0:
        raise ValueError(
            f"battery level {_short(value)} is outside 0..1; write 15% or 0.15, not 15"
        )
    return float(value)


Level = Annotated[float, BeforeValidator(_level)]


class BatterySpec(_Strict):
    """The glasses' battery from this step on: ``level`` (``15%`` or ``0.15``), the
    temperature (°C; at 41 °C the glasses are hot and throttle) and whether they charge.
    ``battery: 15%`` is short for ``battery: {level: 15%}``."""

    level: Level | None = None
    temperature_c: float | None = Field(None, ge=-20, le=90, description="°C")
    charging: bool | None = None

    @model_validator(mode="after")
    def _something(self) -> BatterySpec:
        if self.level is None and self.temperature_c is None and self.charging is None:
            raise ValueError("give a level (15%), a temperature_c or charging")
        return self


def _battery(value: Any) -> Any:
    return value if isinstance(value, dict) else {"level": value}


class LinkSpec(_Strict):
    """The radio between the glasses and the companion when the scenario runs over the link
    (``glasses sim --link``; ``sim:`` runs have no link and ignore it): bandwidth, one-way
    latency, jitter (a further uniform 0..jitter delay per frame) and loss, per direction,
    applied on the virtual clock."""

    bandwidth_kbps: float = Field(1400.0, ge=8, le=100_000, description="kbit/s")
    latency_ms: float = Field(15.0, ge=0, le=5000, description="ms")
    jitter_ms: float = Field(5.0, ge=0, le=5000, description="ms")
    loss: float = Field(0.0, ge=0, le=0.5, description="share of frames lost, 0..0.5")
    reorder: float = Field(0.0, ge=0, le=0.5, description="share of frames held back")


class Step(_Strict):
    """One timeline entry. ``at`` is absolute (s); without it a step follows the previous one."""

    at: Seconds | None = None
    id: str | None = Field(None, pattern=r"^[A-Za-z_][A-Za-z0-9_-]*$", max_length=64)
    show: ShowSpec | None = None
    tap: Annotated[TapSpec | None, BeforeValidator(_tap)] = None
    say: Annotated[SaySpec | None, BeforeValidator(_say)] = None
    nod: Gesture = None
    shake: Gesture = None
    wait: Seconds | None = None
    swipe: Direction = None
    unplug: Unplug = None
    replug: Replug = None
    video: Annotated[VideoSpec | None, BeforeValidator(_video)] = None
    audio: MediaFile | None = None
    battery: Annotated[BatterySpec | None, BeforeValidator(_battery)] = None

    @model_validator(mode="before")
    @classmethod
    def _bare_actions(cls, data: Any) -> Any:
        # YAML ``- tap:`` parses as {"tap": None}; mark it as a tap rather than "no action".
        # The same for the head gestures, ``- nod:`` and ``- shake:``.
        if isinstance(data, dict):
            bare: dict[str, Any] = {"tap": {}, **dict.fromkeys(GESTURES, True)}
            return {**data, **{k: v for k, v in bare.items() if k in data and data[k] is None}}
        return data

    @model_validator(mode="after")
    def _one_action(self) -> Step:
        actions = [k for k in ACTIONS if getattr(self, k) is not None]
        if len(actions) != 1:
            raise ValueError(
                f"each timeline step needs exactly one of {', '.join(ACTIONS)}"
                + (f" (got {', '.join(actions)})" if actions else "")
            )
        return self

    @property
    def action(self) -> str:
        return next(k for k in ACTIONS if getattr(self, k) is not None)


def _hud_text(text: str) -> str:
    if not text.strip():
        raise ValueError("must not be empty or only spaces (an empty text is on every HUD)")
    return text


HudText = Annotated[str, StringConstraints(max_length=1000), AfterValidator(_hud_text)]


class Expectation(_Strict):
    """``hud_contains``: the text appears within ``within_ms`` of the cue ``after``.

    ``absent``: the text is not on the HUD at any time in a window that opens ``within_ms``
    after the cue (a grace period, default 0) and lasts ``for_ms`` (default: to the end of the
    run). Without ``after`` the cue is the start of the run.
    """

    name: Annotated[str, StringConstraints(max_length=200)] | None = None
    hud_contains: HudText | None = None
    absent: HudText | None = None
    after: str | None = Field(None, max_length=64)
    within_ms: float | None = Field(None, ge=0, le=MAX_RUN_S * 1000)
    for_ms: float | None = Field(None, gt=0, le=MAX_RUN_S * 1000)

    @model_validator(mode="after")
    def _one_kind(self) -> Expectation:
        if (self.hud_contains is None) == (self.absent is None):
            raise ValueError("an expectation needs exactly one of hud_contains, absent")
        if self.for_ms is not None and self.absent is None:
            raise ValueError(
                "for_ms is the length of an absent window; hud_contains takes within_ms"
            )
        return self

    @property
    def kind(self) -> str:
        return "hud_contains" if self.hud_contains is not None else "absent"

    @property
    def text(self) -> str:
        return self.hud_contains if self.hud_contains is not None else (self.absent or "")

    @property
    def label(self) -> str:
        if self.name:
            return self.name
        cue = f" after {self.after}" if self.after else ""
        within = f" within {self.within_ms:g} ms" if self.within_ms is not None else ""
        span = f" for {self.for_ms:g} ms" if self.for_ms is not None else ""
        return f"{self.kind} {self.text!r}{cue}{within}{span}"


class AssistantSpec(_Strict):
    """The assistant's own settings for a scenario: ``llm``, a language model from the model
    manifest run in process (``gemma-3-270m``: the test model shipped in wheels; ``none``: no
    model, the ask skill says it has none), and ``max_tokens``, the longest answer."""

    llm: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9.-]*$", max_length=64)] = "none"
    max_tokens: int | None = Field(None, ge=1, le=1024)


class ScenarioModel(_Strict):
    name: Title
    description: Annotated[str, StringConstraints(max_length=10_000)] = ""
    seed: int = Field(0, ge=0, le=2**32 - 1)
    device: DeviceSpec = DeviceSpec()
    assistant: AssistantSpec = AssistantSpec()
    link: LinkSpec | None = None
    settle: Seconds = Field(2.0, description="run time after the last step, s")
    duration: Seconds | None = Field(None, description="total run time, s (instead of settle)")
    timeline: list[Step] = Field(min_length=1, max_length=MAX_STEPS)
    expect: list[Expectation] = Field([], max_length=MAX_EXPECTATIONS)


@dataclass(frozen=True, slots=True)
class TimedStep:
    t_s: float
    step: Step


@dataclass(frozen=True, slots=True)
class Scenario:
    """A validated scenario with step times resolved (seconds from the start of the run)."""

    path: Path
    model: ScenarioModel
    steps: tuple[TimedStep, ...]
    cues: dict[str, float]
    duration_s: float
    step_lines: tuple[int, ...] = ()  # 1-based line of each timeline step, for later errors

    @property
    def name(self) -> str:
        return self.model.name

    def resolve(self, relative: str) -> Path:
        """A path written in the scenario, relative to the scenario file's folder."""
        p = Path(relative)
        return p if p.is_absolute() else self.path.parent / p


class ScenarioError(ValueError):
    """A scenario file that cannot be run; ``str()`` lists every problem as ``file:line: …``."""

    def __init__(self, path: Path, problems: list[str]) -> None:
        self.path = path
        self.problems = problems
        super().__init__("\n".join(problems))


def load_scenario(path: str | Path) -> Scenario:
    path = Path(path)
    try:
        with path.open("rb") as f:
            raw = f.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise ScenarioError(path, [f"{path}: no such scenario file"]) from None
    except OSError as exc:
        raise ScenarioError(path, [f"{path}: cannot read scenario file ({exc})"]) from None
    if len(raw) > MAX_FILE_BYTES:
        raise ScenarioError(
            path, [f"{path}:1: larger than {MAX_FILE_BYTES >> 20} MiB, the cap on a scenario file"]
        )
    try:
        source = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise ScenarioError(
            path,
            [
                f"{path}:{line}: not UTF-8 text (byte 0x{raw[exc.start]:02x} at column {column}); "
                "a scenario is a YAML text file, saved as UTF-8"
            ],
        ) from None
    return parse_scenario(source, path)


def parse_scenario(source: str, path: Path) -> Scenario:
    def fail(line: int, message: str) -> ScenarioError:
        return ScenarioError(path, [f"{path}:{line}: {message}"])

    if not source.strip():
        raise fail(1, "the file is empty; a scenario needs name, timeline and expect")
    try:
        root, data = _load_yaml(source)
    except yaml.YAMLError as exc:
        line, problem = _yaml_problem(exc, source)
        raise fail(line, f"invalid YAML: {problem}") from None
    if root is None:
        raise fail(1, "the file has no YAML content; a scenario needs name, timeline and expect")
    if not isinstance(data, dict):
        raise fail(1, "a scenario must be a mapping with name, timeline and expect")
    try:
        model = ScenarioModel.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(
            path,
            _located(
                path,
                root,
                [(tuple(e["loc"]), e["msg"].removeprefix("Value error, ")) for e in exc.errors()],
            ),
        ) from None
    lines = tuple(_line_of(root, ("timeline", i)) for i in range(len(model.timeline)))
    scenario, problems = _resolve(path, model, lines)
    if problems:
        raise ScenarioError(path, _located(path, root, problems))
    return scenario


Loc = tuple[int | str, ...]


def _located(path: Path, root: yaml.Node, problems: list[tuple[Loc, str]]) -> list[str]:
    """``file:line: where: what`` for each problem, at most ``MAX_PROBLEMS`` of them."""
    out = []
    for loc, message in problems[:MAX_PROBLEMS]:
        where = _format_loc(loc)
        text = " ".join(message.split())  # one line each, whatever the message held
        out.append(f"{path}:{_line_of(root, loc)}: {where + ': ' if where else ''}{text}")
    if len(problems) > MAX_PROBLEMS:
        out.append(f"{path}: … and {len(problems) - MAX_PROBLEMS} more problems")
    return out


def _resolve(
    path: Path, model: ScenarioModel, step_lines: tuple[int, ...]
) -> tuple[Scenario, list[tuple[Loc, str]]]:
    """Step times, cues and the run's length; and every problem that needs the whole file."""
    problems: list[tuple[Loc, str]] = []
    t = 0.0  # the cursor: where the next step without ``at`` goes
    last_action = 0.0  # time of the last step that does something (not a wait)
    steps: list[TimedStep] = []
    cues: dict[str, float] = {}
    cue_step: dict[str, int] = {}
    unplugged: dict[str, int] = {}  # device → index of the step that unplugged it
    media_end = 0.0  # when the last video or audio of the timeline has played out
    for i, step in enumerate(model.timeline):
        if step.at is not None:
            if step.at < t:
                problems.append(
                    (
                        ("timeline", i, "at"),
                        f"{step.at:g} s is before {t:g} s, where the steps before it (and their "
                        "waits) have brought the timeline; steps must be in time order",
                    )
                )
            t = max(t, step.at)
        steps.append(TimedStep(t, step))
        if step.id:
            if step.id in cues:
                problems.append(
                    (
                        ("timeline", i, "id"),
                        f"id {step.id!r} is already the id of timeline[{cue_step[step.id]}]; "
                        "ids must be unique",
                    )
                )
            else:
                cues[step.id], cue_step[step.id] = t, i
        if step.wait is not None:
            t += step.wait
        else:
            last_action = t
        if step.unplug is not None:
            if step.unplug in unplugged:
                problems.append(
                    (
                        ("timeline", i, "unplug"),
                        f"the {step.unplug} is already unplugged (timeline"
                        f"[{unplugged[step.unplug]}]); replug it first",
                    )
                )
            unplugged[step.unplug] = i
        if step.replug is not None:
            if step.replug not in unplugged:
                problems.append(
                    (
                        ("timeline", i, "replug"),
                        f"the {step.replug} is plugged in; `replug: {step.replug}` must follow "
                        f"an `unplug: {step.replug}`",
                    )
                )
            unplugged.pop(step.replug, None)

        if step.video is not None or step.audio is not None:
            length, problem = _media(path, i, step)
            if problem is not None:
                problems.append(problem)
            media_end = max(media_end, t + length)

    end = max(t, media_end)
    duration = model.duration if model.duration is not None else end + model.settle
    given: Loc = ("duration",) if model.duration is not None else ("settle",)
    if model.duration is not None and "settle" in model.model_fields_set:
        problems.append(
            (("settle",), "give settle or duration, not both (duration is the whole run)")
        )
    if duration < t or duration <= last_action:
        waits = f", its waits end at {t:g} s" if t > last_action else ""
        problems.append(
            (
                given,
                f"the run would end at {duration:g} s, before the timeline has played out (its "
                f"last step is at {last_action:g} s{waits}); a step at or after the end never "
                f"acts: make {given[0]} longer",
            )
        )
    if duration > MAX_RUN_S:
        where: Loc = (
            ("duration",)
            if model.duration is not None
            else ("settle",)
            if "settle" in model.model_fields_set
            else ("timeline", len(model.timeline) - 1)
        )
        problems.append(
            (where, f"the run would last {duration:g} s; the cap is {_max_run()} of virtual time")
        )
    problems += _check_expectations(model, cues, duration)
    return Scenario(path, model, tuple(steps), cues, duration, step_lines), problems


def _media(path: Path, i: int, step: Step) -> tuple[float, tuple[Loc, str] | None]:
    """How long a ``video:`` or ``audio:`` step plays (s), or the problem with its files."""
    from simulator.media_steps import MediaError, check_audio, check_video, read_times

    def file(relative: str) -> Path:
        p = Path(relative)
        return p if p.is_absolute() else path.parent / p

    loc: Loc = ("timeline", i, "audio")
    try:
        if step.video is not None:
            video = step.video
            times, times_path = None, ""
            if video.times is not None:
                loc = ("timeline", i, "video", "times")
                times_path = str(file(video.times))
                times = read_times(Path(times_path))
            loc = ("timeline", i, "video", "file")
            return check_video(file(video.file), times, times_name=times_path), None
        if step.audio is not None:
            return check_audio(file(step.audio)), None
    except MediaError as exc:
        return 0.0, (loc, str(exc))
    return 0.0, None


def _check_expectations(
    model: ScenarioModel, cues: dict[str, float], duration: float
) -> list[tuple[Loc, str]]:
    if not model.expect:
        return [
            (
                ("expect",),
                "a scenario needs at least one expectation (expect: - hud_contains: …); "
                "without one it would pass whatever happened",
            )
        ]
    problems: list[tuple[Loc, str]] = []
    end_ns = round(duration * _NS_PER_S)
    for k, e in enumerate(model.expect):
        if e.after is not None and e.after not in cues:
            known = ", ".join(cues) or "none"
            problems.append(
                (
                    ("expect", k, "after"),
                    f"refers to cue {e.after!r}, which no timeline step has as id (ids: {known})",
                )
            )
            continue
        if e.absent is None:
            continue
        # A window reaching past the run would claim more than was checked. (One opening as
        # the run ends checks what the HUD shows at the end.)
        start_ns = round(cues.get(e.after or "", 0.0) * _NS_PER_S + (e.within_ms or 0) * 1e6)
        if start_ns > end_ns:
            problems.append(
                (
                    ("expect", k, "within_ms"),
                    f"the window opens at {start_ns / _NS_PER_S:g} s, after the run has ended "
                    f"({duration:g} s): nothing would be checked; make settle longer",
                )
            )
        elif e.for_ms is not None and start_ns + round(e.for_ms * _NS_PER_MS) > end_ns:
            stop = (start_ns + round(e.for_ms * _NS_PER_MS)) / _NS_PER_S
            problems.append(
                (
                    ("expect", k, "for_ms"),
                    f"the window closes at {stop:g} s, after the run has ended ({duration:g} "
                    "s); make settle longer or for_ms shorter",
                )
            )
    return problems


# ------------------------------------------------------------------------------------------
# YAML


class _Loader(yaml.SafeLoader):
    """The safe loader, refusing what it would otherwise mishandle: a repeated key (YAML keeps
    the last one, silently) and deep nesting (composing recurses: a stack overflow)."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self._merge_depth = 0

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        if self._depth >= MAX_DEPTH:
            raise yaml.composer.ComposerError(
                None,
                None,
                f"nested deeper than {MAX_DEPTH} levels; a scenario needs far fewer",
                self.peek_event().start_mark,
            )
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def compose_mapping_node(self, anchor: Any) -> yaml.MappingNode:
        node: yaml.MappingNode = super().compose_mapping_node(anchor)
        first: dict[tuple[str, str], int] = {}
        for key, _ in node.value:
            if not isinstance(key, yaml.ScalarNode) or key.tag == "tag:yaml.org,2002:merge":
                continue
            line = key.start_mark.line + 1
            if (key.tag, key.value) in first:
                raise yaml.composer.ComposerError(
                    None,
                    None,
                    f"duplicate key {_short(key.value)} (first at line "
                    f"{first[key.tag, key.value]}); YAML would keep only the last one",
                    key.start_mark,
                )
            first[key.tag, key.value] = line
        return node

    def flatten_mapping(self, node: yaml.MappingNode) -> None:
        # Merge keys (``<<: *base``) are flattened recursively, through every chained merge.
        if self._merge_depth >= MAX_DEPTH:
            raise yaml.constructor.ConstructorError(
                None, None, f"merge keys (<<) chained deeper than {MAX_DEPTH}", node.start_mark
            )
        self._merge_depth += 1
        try:
            super().flatten_mapping(node)
        finally:
            self._merge_depth -= 1


def _load_yaml(source: str) -> tuple[yaml.Node | None, Any]:
    """The document's node tree (for line numbers) and its Python value."""
    loader = _Loader(source)
    try:
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    finally:
        loader.dispose()
    return root, data


def _yaml_problem(exc: yaml.YAMLError, source: str) -> tuple[int, str]:
    """The 1-based line and a one-line description of a YAML error."""
    if isinstance(exc, yaml.reader.ReaderError):
        line = source.count("\n", 0, exc.position) + 1
        char = exc.character if isinstance(exc.character, str) else chr(exc.character)
        return line, f"control character U+{ord(char):04X} is not allowed in YAML"
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line = mark.line + 1 if mark is not None else 1
    problem = getattr(exc, "problem", None) or (str(exc).splitlines() or ["unreadable"])[0]
    return line, problem


def _line_of(node: yaml.Node | None, loc: Loc) -> int:
    """The 1-based line of the YAML node at ``loc`` (or of its nearest existing parent)."""
    if node is None:
        return 1
    line = node.start_mark.line + 1
    for key in loc:
        child: yaml.Node | None = None
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if k.value == key:
                    child = v
                    line = k.start_mark.line + 1
                    break
        elif (
            isinstance(node, yaml.SequenceNode)
            and isinstance(key, int)
            and 0 <= key < len(node.value)
        ):
            child = node.value[key]
            line = child.start_mark.line + 1
        if child is None:
            break
        node = child
    return line


def _format_loc(loc: Loc) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part.startswith(("function-", "function_")) or part[:1].isupper():
            continue  # pydantic's validator/union labels, not the user's keys
        else:
            out += f".{part}" if out else part
    return out
