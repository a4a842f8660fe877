"""Scenario files: YAML validated with pydantic, errors reported with file and line numbers.

A scenario is a device set-up, a timeline of cues (show a scene, tap, say, nod, wait) and
expectations on what the HUD shows. Times are written ``2.5s``, ``300ms`` or as plain seconds.
The format is documented with examples in ``docs/scenarios.md``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from glasses.hud.profile import DEFAULT_PROFILE, PROFILES

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?|\.\d+)\s*(ms|s|min)?\s*$")
_UNIT_S = {"ms": 0.001, "s": 1.0, "min": 60.0, None: 1.0}


def parse_seconds(value: Any) -> float:
    """``"2.5s"`` → 2.5, ``"300ms"`` → 0.3, ``"1min"`` → 60, ``4`` → 4.0 (seconds)."""
    if isinstance(value, bool):
        raise ValueError("expected a duration such as 2.5s or 300ms, not a boolean")
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str) and (m := _DURATION.match(value)):
        seconds = float(m.group(1)) * _UNIT_S[m.group(2)]
    else:
        raise ValueError(f"expected a duration such as 2.5s or 300ms, got {value!r}")
    if seconds < 0:
        raise ValueError(f"a duration cannot be negative, got {value!r}")
    return seconds


Seconds = Annotated[float, BeforeValidator(parse_seconds)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


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
                f"unknown display profile {profile!r}; known: {', '.join(sorted(PROFILES))}"
            )
        return profile


class FaceSpec(_Strict):
    """One synthetic face of a ``face`` scene; unset fields take the scene's center and scale."""

    center: tuple[float, float] | None = None
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
    if isinstance(value, list) and value:
        return value
    raise ValueError(
        "face takes true (one face at center, scale) or a list of faces such as "
        f"[{{center: [0.3, 0.5], scale: 0.3}}], got {value!r}"
    )


SCENE_KEYS = ("qr", "ean13", "text", "image", "blank", "face")


class ShowSpec(_Strict):
    """A camera scene: exactly one of ``qr``, ``ean13``, ``text``, ``image``, ``blank``,
    ``face``."""

    qr: str | None = None
    ean13: str | None = None
    text: str | None = None
    image: str | None = None
    blank: bool | None = None
    face: Annotated[tuple[FaceSpec, ...] | None, BeforeValidator(_faces)] = None
    scale: float = Field(0.4, gt=0, le=1, description="fraction of the frame's shorter side")
    rotate: float = Field(0.0, ge=-180, le=180, description="degrees")
    noise: float = Field(0.0, ge=0, le=100, description="Gaussian noise sigma, grey levels")
    blur: float = Field(0.0, ge=0, le=20, description="Gaussian blur sigma, px")
    center: tuple[float, float] = (0.5, 0.5)

    @model_validator(mode="after")
    def _exactly_one(self) -> ShowSpec:
        given = [k for k in SCENE_KEYS if getattr(self, k)]
        if len(given) != 1:
            raise ValueError(
                f"show needs exactly one of {', '.join(SCENE_KEYS)}"
                + (f" (got {', '.join(given)})" if given else "")
            )
        if self.ean13 is not None and not re.fullmatch(r"\d{12,13}", self.ean13):
            raise ValueError(f"ean13 must be 12 or 13 digits, got {self.ean13!r}")
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


ACTIONS = ("show", "tap", "say", "nod", "shake", "wait")


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
    raise ValueError(f"a head gesture takes no options; write it bare, as `- nod:`, got {value!r}")


Gesture = Annotated[Literal[True] | None, BeforeValidator(_gesture)]


class SaySpec(_Strict):
    """Speech the wearer says: synthesised with espeak-ng, mixed with noise, fed to the mic."""

    text: str = Field(min_length=1)
    voice: str = "en-us"
    rate_wpm: int = Field(160, ge=80, le=450, description="words per minute")
    snr_db: float = Field(20.0, ge=-5, le=60, description="speech to noise ratio, dB")


def _say(value: Any) -> Any:
    # ``say: "hey glasses, read this"`` is short for ``say: {text: ...}``.
    return {"text": value} if isinstance(value, str) else value


class Step(_Strict):
    """One timeline entry. ``at`` is absolute (s); without it a step follows the previous one."""

    at: Seconds | None = None
    id: str | None = Field(None, pattern=r"^[A-Za-z_][A-Za-z0-9_-]*$")
    show: ShowSpec | None = None
    tap: Annotated[TapSpec | None, BeforeValidator(_tap)] = None
    say: Annotated[SaySpec | None, BeforeValidator(_say)] = None
    nod: Gesture = None
    shake: Gesture = None
    wait: Seconds | None = None

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


class Expectation(_Strict):
    """``hud_contains``: the text appears within ``within_ms`` of the cue ``after``.

    ``absent``: the text is not on the HUD at any time from the cue (plus ``within_ms`` of grace)
    to the end of the run. Without ``after`` the cue is the start of the run.
    """

    name: str | None = None
    hud_contains: str | None = None
    absent: str | None = None
    after: str | None = None
    within_ms: float | None = Field(None, ge=0)

    @model_validator(mode="after")
    def _one_kind(self) -> Expectation:
        if (self.hud_contains is None) == (self.absent is None):
            raise ValueError("an expectation needs exactly one of hud_contains, absent")
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
        return f"{self.kind} {self.text!r}{cue}{within}"


class ScenarioModel(_Strict):
    name: str
    description: str = ""
    seed: int = 0
    device: DeviceSpec = DeviceSpec()
    settle: Seconds = Field(2.0, description="run time after the last step, s")
    duration: Seconds | None = Field(None, description="total run time, s (overrides settle)")
    timeline: list[Step] = Field(min_length=1)
    expect: list[Expectation] = []

    @model_validator(mode="after")
    def _cues_exist(self) -> ScenarioModel:
        ids = [s.id for s in self.timeline if s.id]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"timeline ids must be unique; repeated: {', '.join(dupes)}")
        for e in self.expect:
            if e.after is not None and e.after not in ids:
                known = ", ".join(ids) or "none"
                raise ValueError(
                    f"expectation {e.label!r} refers to cue {e.after!r}, which no timeline step "
                    f"has as id (ids: {known})"
                )
        return self


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
        source = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(path, [f"{path}: no such scenario file"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(path, [f"{path}: cannot read scenario file ({exc})"]) from None
    return parse_scenario(source, path)


def parse_scenario(source: str, path: Path) -> Scenario:
    try:
        root = yaml.compose(source)
        data = yaml.safe_load(source)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ScenarioError(path, [f"{path}{line}: invalid YAML: {problem}"]) from None
    if not isinstance(data, dict):
        raise ScenarioError(path, [f"{path}:1: a scenario must be a mapping with name, timeline"])
    try:
        model = ScenarioModel.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = tuple(err["loc"])
            lineno = _line_of(root, loc)
            where = _format_loc(loc)
            message = err["msg"].removeprefix("Value error, ")
            problems.append(f"{path}:{lineno}: {where + ': ' if where else ''}{message}")
        raise ScenarioError(path, problems) from None
    lines = tuple(_line_of(root, ("timeline", i)) for i in range(len(model.timeline)))
    return _timed(path, model, lines)


def _timed(path: Path, model: ScenarioModel, step_lines: tuple[int, ...]) -> Scenario:
    t = 0.0
    steps: list[TimedStep] = []
    cues: dict[str, float] = {}
    for step in model.timeline:
        if step.at is not None:
            t = step.at
        steps.append(TimedStep(t, step))
        if step.id:
            cues[step.id] = t
        if step.wait is not None:
            t += step.wait
    duration = model.duration if model.duration is not None else t + model.settle
    return Scenario(path, model, tuple(steps), cues, duration, step_lines)


def _line_of(node: yaml.Node | None, loc: tuple[int | str, ...]) -> int:
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


def _format_loc(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part.startswith(("function-", "function_")) or part[:1].isupper():
            continue  # pydantic's validator/union labels, not the user's keys
        else:
            out += f".{part}" if out else part
    return out
