"""The user's config file, ``config.toml``: the display, the wake word, listening, speech
recognition, the language model and where files go, for ``glasses sim`` and ``glasses run``.

Where: ``--config PATH``, else ``$XDG_CONFIG_HOME/glasses/config.toml`` (an ``XDG_CONFIG_HOME``
that is not absolute is ignored), else ``~/.config/glasses/config.toml``. No file at that
default place means the defaults; a ``--config`` file that does not exist is an error. Every key
is optional::

    [display]
    profile = "g1"              # frame, g1, g2, z100 (glasses.hud.profile)

    [wake]
    backend = "model"           # "model" (the trained detector) or "pocketsphinx"
    threshold = 0.3             # model: a score 0..1 (higher wakes less); pocketsphinx: its
                                # kws_threshold such as 1e-40 (lower wakes more)
    check = true                # confirm each detection with the phrase's own grammar

    [listen]
    mode = "wake"               # "wake", "push_to_talk" (a tap, then speak) or "always"

    [asr]
    open_speech = "whisper"     # questions after the wake phrase: whisper, pocketsphinx or off
    captions = "whisper"        # live captions: whisper, pocketsphinx or vosk

    [llm]                       # the assistant's language model (LlmSettings)
    backend = "llama_cpp"       # "none", "llama_cpp" (a GGUF in process) or "openai" (a URL)
    model = "qwen3-0.6b"        # llama_cpp: a manifest id or a .gguf path; openai: its name
    url = "http://127.0.0.1:11434/v1"   # openai: the API root
    api_key_env = "OPENAI_API_KEY"      # openai: the variable holding the key
    chat_format = "gemma"       # llama_cpp: a llama-cpp-python chat format
    max_tokens = 96             # the longest answer, in tokens
    n_ctx = 2048                # llama_cpp: context, tokens
    threads = 1                 # llama_cpp: CPU threads (more spin-wait on busy cores)
    timeout_s = 30.0            # openai: seconds to connect and between pieces of a reply
    vision = false              # openai: the endpoint takes images

    [paths]
    photos = "~/Pictures/glasses"   # where photos are saved (relative: to this file's folder)
    data = "~/.local/share/glasses" # what the assistant keeps, its memory among it

Values come, in order of precedence, from a command-line option, the config file, and the
defaults; a wake setting not in the file falls back to the calibrated ``wake.toml`` shipped with
the package (``glasses.speech.wake_config``), and ``$GLASSES_PHOTOS_DIR``, when set, wins over
the file's ``paths.photos``. ``Config.source(key)`` says where each value came from
(``glasses config show``).

Problems are reported as ``file:line: message`` lines (``ConfigError.problems``), all of them at
once: TOML syntax, unknown sections and keys (with a "did you mean"), values of the wrong type or
out of range, and settings that cannot work together (an ``openai`` model without a URL, a wake
threshold on the other backend's scale). tomllib gives no line numbers for values, so each key's
line is found by scanning the text.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import os
import re
import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from glasses.assistant.llm.factory import Backend as LlmBackend
from glasses.assistant.llm.factory import LlmSettings
from glasses.hud.profile import DEFAULT_PROFILE, PROFILES
from glasses.speech.dictation import BACKENDS as DICTATION_BACKENDS
from glasses.speech.dictation import DEFAULT_BACKEND as DEFAULT_CAPTIONS
from glasses.speech.listen_stage import ListenMode, ListenSettings
from glasses.speech.open_speech import OpenSpeechBackend
from glasses.speech.wake import WakeSettings
from glasses.speech.wake_config import WakeBackend, default_wake_config, toml_value

CONFIG_FILE = "config.toml"
PHOTOS_ENV = "GLASSES_PHOTOS_DIR"  # the photo skill's variable (glasses.assistant.skills.photo)

DEFAULT = "default"
"""The source of a value nobody set."""
WAKE_TOML = "wake.toml"
"""The source of a wake setting taken from the calibrated defaults."""


def default_config_path() -> Path:
    """``$XDG_CONFIG_HOME/glasses/config.toml``, else ``~/.config/glasses/config.toml``."""
    base = os.environ.get("XDG_CONFIG_HOME", "")
    root = Path(base) if base and Path(base).is_absolute() else Path.home() / ".config"
    return root / "glasses" / CONFIG_FILE


class ConfigError(ValueError):
    """The config cannot be used: ``problems`` are ``file:line: message`` lines (or
    ``--option: message`` for a command-line value)."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


# ---------------------------------------------------------------------------- the file's shape
class _Section(BaseModel):
    # strict: "1" is not 1 and 1 is not true; a TOML file already says what type it means.
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


def _one_of(value: str | None, known: Sequence[str], what: str) -> str | None:
    """``value`` if it is None or one of ``known``; else a ValueError naming ``what``, with a
    did-you-mean hint and the known values."""
    if value is not None and value not in known:
        raise ValueError(
            f"unknown {what} {value!r}{_hint(value, known)}; known: {', '.join(known)}"
        )
    return value


class DisplaySection(_Section):
    profile: str | None = None

    @field_validator("profile")
    @classmethod
    def _known(cls, profile: str | None) -> str | None:
        return _one_of(profile, sorted(PROFILES), "display profile")


class WakeSection(_Section):
    backend: WakeBackend | None = None
    threshold: float | None = Field(None, gt=0, lt=1)
    check: bool | None = None


class ListenSection(_Section):
    mode: ListenMode | None = None


class AsrSection(_Section):
    open_speech: OpenSpeechBackend | None = None
    captions: str | None = None

    @field_validator("captions")
    @classmethod
    def _dictation(cls, backend: str | None) -> str | None:
        return _one_of(backend, DICTATION_BACKENDS, "captions backend")


class LlmSection(_Section):
    backend: LlmBackend | None = None
    model: str | None = Field(None, min_length=1)
    url: str | None = Field(None, min_length=1)
    api_key_env: str | None = Field(None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    chat_format: str | None = Field(None, min_length=1)
    max_tokens: int | None = Field(None, ge=1, le=8192)
    n_ctx: int | None = Field(None, ge=128, le=1_048_576)
    threads: int | None = Field(None, ge=1, le=512)
    timeout_s: float | None = Field(None, gt=0, le=3600)
    vision: bool | None = None


class PathsSection(_Section):
    photos: str | None = Field(None, min_length=1)
    data: str | None = Field(None, min_length=1)


class ConfigModel(_Section):
    """The whole file; a section or key left out is None (not set)."""

    display: DisplaySection = DisplaySection()
    wake: WakeSection = WakeSection()
    listen: ListenSection = ListenSection()
    asr: AsrSection = AsrSection()
    llm: LlmSection = LlmSection()
    paths: PathsSection = PathsSection()


def _sections() -> dict[str, type[_Section]]:
    return {
        name: cast(type[_Section], info.annotation)
        for name, info in ConfigModel.model_fields.items()
    }


KEYS: tuple[str, ...] = tuple(
    f"{section}.{key}" for section, model in _sections().items() for key in model.model_fields
)
"""Every setting, as ``section.key``, in the file's order."""


def _hint(word: str, choices: Iterable[object], shown: str = "{!r}") -> str:
    """`` (did you mean 'g1'?)`` when one of ``choices`` is close to ``word``, else ""."""
    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1)
    return f" (did you mean {shown.format(close[0])}?)" if close else ""


# ---------------------------------------------------------------------------- reading a file
_BARE_OR_QUOTED = r"(?:[A-Za-z0-9_-]+|\"(?:[^\"\\]|\\.)*\"|'[^']*')"
_HEADER = re.compile(rf"^\[\[?\s*(?P<key>{_BARE_OR_QUOTED}(?:\s*\.\s*{_BARE_OR_QUOTED})*)\s*\]")
_KEY = re.compile(rf"^(?P<key>{_BARE_OR_QUOTED}(?:\s*\.\s*{_BARE_OR_QUOTED})*)\s*=")
_PART = re.compile(r"\"((?:[^\"\\]|\\.)*)\"|'([^']*)'|([A-Za-z0-9_-]+)")


def _key_parts(text: str) -> tuple[str, ...]:
    return tuple(next(g for g in m.groups() if g is not None) for m in _PART.finditer(text))


def key_lines(text: str) -> dict[tuple[str, ...], int]:
    """The line (1-based) where each table header and key of a TOML text is written, by its
    path (``("llm", "model")``); a dotted key's prefixes count as written on its line. Lines
    inside multi-line strings are skipped; keys of inline tables are not found (a problem in one
    is reported at its parent key's line)."""
    lines: dict[tuple[str, ...], int] = {}
    table: tuple[str, ...] = ()
    closing: str | None = None  # the delimiter that ends the multi-line string we are in
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if closing is not None:
            if closing in line:
                closing = None
            continue
        if not line or line.startswith("#"):
            continue
        if header := _HEADER.match(line):
            table = _key_parts(header["key"])
            lines.setdefault(table, number)
            continue
        if key := _KEY.match(line):
            path = table + _key_parts(key["key"])
            for end in range(len(table) + 1, len(path) + 1):
                lines.setdefault(path[:end], number)
            rest = line[key.end() :].lstrip()
            for delim in ('"""', "'''"):
                if rest.startswith(delim) and rest.count(delim) == 1:
                    closing = delim
    return lines


@dataclass(frozen=True, slots=True)
class ConfigFile:
    """A config file, read and checked: ``values`` as written, ``lines`` where each key is."""

    path: Path
    values: ConfigModel
    lines: Mapping[tuple[str, ...], int]

    def line(self, key: str) -> int:
        """The line of ``section.key`` (or of its section; 1 when neither is written)."""
        parts = tuple(key.split("."))
        for end in range(len(parts), 0, -1):
            if parts[:end] in self.lines:
                return self.lines[parts[:end]]
        return 1

    def where(self, key: str) -> str:
        return f"{self.path}:{self.line(key)}"

    def get(self, key: str) -> Any:
        """The value the file gives ``section.key`` (None: not set)."""
        section, name = key.split(".")
        return getattr(getattr(self.values, section), name)


_TOML_AT = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")


def read_config(path: Path) -> ConfigFile:
    """Read and check the config file at ``path``; raises ``ConfigError`` (every problem, each
    ``file:line: message``), ``FileNotFoundError`` when there is no file."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise
    except IsADirectoryError:
        raise ConfigError([f"{path}: is a folder, not a config file"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ConfigError([f"{path}: cannot read it: {reason}"]) from None
    return parse_config(text, path)


def parse_config(text: str, path: Path) -> ConfigFile:
    """Check the TOML ``text`` of the config file ``path`` (see ``read_config``)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        at = _TOML_AT.search(message)
        if at is not None:
            line = int(at[1])
            message = f"{message[: at.start()]} (column {at[2]})"
        else:
            line = max(1, len(text.splitlines()))
            message = message.replace("(at end of document)", "(at the end of the file)")
        raise ConfigError([f"{path}:{line}: not valid TOML: {message}"]) from None
    lines = key_lines(text)
    try:
        values = ConfigModel.model_validate(data)
    except ValidationError as exc:
        problems = [
            f"{path}:{_line_of(err['loc'], lines)}: {_problem(err)}" for err in exc.errors()
        ]
        raise ConfigError(sorted(set(problems), key=_by_line)) from None
    return ConfigFile(path, values, lines)


def _by_line(problem: str) -> tuple[int, str]:
    m = re.search(r":(\d+): ", problem)
    return (int(m[1]) if m else 0, problem)


def _line_of(loc: Sequence[int | str], lines: Mapping[tuple[str, ...], int]) -> int:
    parts = tuple(str(p) for p in loc)
    for end in range(len(parts), 0, -1):
        if parts[:end] in lines:
            return lines[parts[:end]]
    return 1


def _problem(err: Any, *, key: str | None = None) -> str:
    """One pydantic error as a sentence about the TOML key it concerns."""
    loc = tuple(str(p) for p in err["loc"])
    dotted = key or ".".join(loc)
    value = err.get("input")
    kind = err["type"]
    sections = _sections()
    if kind == "extra_forbidden":
        if len(loc) == 1:
            home = [s for s, model in sections.items() if loc[0] in model.model_fields]
            if home:
                return f"'{loc[0]}' belongs in a section: put it under [{home[0]}]"
            hint = _hint(loc[0], sections, "[{}]")
            return f"unknown section [{loc[0]}]{hint}; sections: " + ", ".join(
                f"[{s}]" for s in sections
            )
        section = loc[0]
        known = list(sections[section].model_fields) if section in sections else []
        hint = _hint(loc[-1], known, "'{}'")
        return f"unknown key '{loc[-1]}' in [{section}]{hint}; keys: " + (", ".join(known))
    if kind in ("model_type", "model_attributes_type") and len(loc) == 1:
        return f"'{loc[0]}' must be a section ([{loc[0]}] with its keys under it), got {value!r}"
    if kind == "literal_error":
        choices = re.findall(r"'([^']*)'", err.get("ctx", {}).get("expected", ""))
        return (
            f"{dotted} must be one of {', '.join(choices)}, got {value!r}"
            f"{_hint(str(value), choices)}"
        )
    message = str(err["msg"]).removeprefix("Value error, ")
    if kind == "string_pattern_mismatch" and loc[-1] == "api_key_env":
        return f"{dotted} must name an environment variable (such as OPENAI_API_KEY), got {value!r}"
    if kind == "value_error":
        return f"{dotted}: {message}"
    return f"{dotted} {message.replace('Input should be', 'must be')}, got {value!r}"


# ---------------------------------------------------------------------------- the effective config
@dataclass(frozen=True, slots=True)
class Setting:
    """One effective value and where it came from: ``"default"``, ``"wake.toml"``, ``"PATH:LINE"``
    (the config file), ``"--option"`` or ``"$VARIABLE"``."""

    value: Any
    source: str

    @property
    def explicit(self) -> bool:
        """Set by the wearer (an option, the file, the environment), not a default."""
        return self.source not in (DEFAULT, WAKE_TOML)


Overrides = Mapping[str, tuple[Any, str]]
"""Command-line values: ``section.key`` → (value, the option that gave it, e.g. ``"--llm"``)."""


@dataclass(frozen=True, slots=True)
class Config:
    """The effective settings (``settings``: every key of ``KEYS``) and the file looked at:
    ``path`` (None: no file was looked for) and whether it was ``found``."""

    settings: Mapping[str, Setting]
    path: Path | None = None
    found: bool = False

    def __getitem__(self, key: str) -> Any:
        return self.settings[key].value

    def source(self, key: str) -> str:
        return self.settings[key].source

    def explicit(self, key: str) -> bool:
        return self.settings[key].explicit

    @property
    def profile(self) -> str:
        return str(self["display.profile"])

    @property
    def photos_dir(self) -> Path:
        return Path(self["paths.photos"])

    @property
    def data_dir(self) -> Path:
        return Path(self["paths.data"])

    @property
    def captions(self) -> str:
        return str(self["asr.captions"])

    def wake_settings(self) -> WakeSettings:
        return WakeSettings(
            backend=self["wake.backend"],
            threshold=self["wake.threshold"],
            check=self["wake.check"],
        )

    def listen_settings(self) -> ListenSettings:
        return ListenSettings(
            wake=self.wake_settings(),
            mode=self["listen.mode"],
            open_speech=self["asr.open_speech"],
        )

    def llm_settings(self) -> LlmSettings:
        names = {f.name for f in dataclasses.fields(LlmSettings)}
        values = {k: self[f"llm.{k}"] for k in names if f"llm.{k}" in self.settings}
        return LlmSettings(**values)


def _ask_max_tokens() -> int:
    from glasses.assistant.skills.ask import AskSkill

    return AskSkill().max_tokens


def _defaults(wake_backend: WakeBackend) -> dict[str, Setting]:
    """Every key's default; the wake threshold's depends on the backend in use."""
    from glasses.assistant.memory import default_data_dir
    from glasses.assistant.skills.photo import default_photo_dir

    wake = default_wake_config()
    listen = {f.name: f.default for f in dataclasses.fields(ListenSettings)}
    llm = {f.name: f.default for f in dataclasses.fields(LlmSettings)}
    threshold = wake.model_threshold if wake_backend == "model" else wake.threshold
    values: dict[str, Setting] = {
        "display.profile": Setting(DEFAULT_PROFILE, DEFAULT),
        "wake.backend": Setting(wake.backend, WAKE_TOML if wake.path else DEFAULT),
        "wake.threshold": Setting(threshold, WAKE_TOML if wake.path else DEFAULT),
        "wake.check": Setting(wake.check, WAKE_TOML if wake.path else DEFAULT),
        "listen.mode": Setting(listen["mode"], DEFAULT),
        "asr.open_speech": Setting(listen["open_speech"], DEFAULT),
        "asr.captions": Setting(DEFAULT_CAPTIONS, DEFAULT),
        "paths.photos": Setting(default_photo_dir(), DEFAULT),
        "paths.data": Setting(default_data_dir(), DEFAULT),
    }
    for name in LlmSection.model_fields:
        default = _ask_max_tokens() if name == "max_tokens" else llm[name]
        values[f"llm.{name}"] = Setting(default, DEFAULT)
    return values


def load_config(path: Path | None = None, overrides: Overrides | None = None) -> Config:
    """The effective config: ``overrides`` (command-line values) over the file at ``path``
    (None: the default place, where a missing file means the defaults; a given path that does
    not exist is an error) over the defaults. Raises ``ConfigError`` with every problem."""
    where = path if path is not None else default_config_path()
    try:
        file: ConfigFile | None = read_config(where)
    except FileNotFoundError:
        if path is not None:
            raise ConfigError([f"{path}: no such config file"]) from None
        file = None
    return effective_config(file, overrides or {}, path=where)


def _check_overrides(overrides: Overrides) -> list[str]:
    """Command-line values checked as the file's are: ``--option: message`` lines."""
    problems = []
    for key, (value, option) in overrides.items():
        section, name = key.split(".")
        try:
            _sections()[section].model_validate({name: value})
        except ValidationError as exc:
            problems += [_problem(err, key=option) for err in exc.errors()]
    return problems


def effective_config(
    file: ConfigFile | None, overrides: Overrides, *, path: Path | None = None
) -> Config:
    """Merge ``overrides`` > ``file`` > defaults and check the result (see ``load_config``)."""
    problems = _check_overrides(overrides)
    if problems:
        raise ConfigError(problems)
    from_file: dict[str, Setting] = {}
    if file is not None:
        for key in KEYS:
            value = file.get(key)
            if value is not None:
                from_file[key] = Setting(_file_value(key, value, file.path), file.where(key))
    # A command line that picks another model drops what the file said about the file's model.
    cli_backend = overrides.get("llm.backend")
    file_backend = from_file.get("llm.backend")
    if cli_backend is not None and cli_backend[0] != (file_backend.value if file_backend else None):
        for key in ("llm.model", "llm.url", "llm.chat_format"):
            from_file.pop(key, None)
    elif "llm.model" in overrides:
        from_file.pop("llm.chat_format", None)
    chosen: dict[str, Setting] = dict(from_file)
    for key, (value, option) in overrides.items():
        chosen[key] = Setting(_cli_value(key, value), option)
    photos_env = os.environ.get(PHOTOS_ENV)
    if photos_env and "paths.photos" not in overrides:
        chosen["paths.photos"] = Setting(Path(photos_env).expanduser(), f"${PHOTOS_ENV}")
    backend = chosen.get("wake.backend")
    settings = _defaults(backend.value if backend is not None else default_wake_config().backend)
    settings.update(chosen)
    config = Config(settings, path=path, found=file is not None)
    problems = _cross_checks(config, file)
    if problems:
        raise ConfigError(problems)
    return config


def _file_value(key: str, value: Any, path: Path) -> Any:
    if key.startswith("paths."):
        folder = Path(value).expanduser()
        return folder if folder.is_absolute() else (path.parent / folder)
    return value


def _cli_value(key: str, value: Any) -> Any:
    return Path(value).expanduser() if key.startswith("paths.") else value


def _located(config: Config, file: ConfigFile | None, key: str) -> str:
    """Where ``key``'s value came from, as a message prefix: ``file:line``, an option, or the
    file (for a value that is missing from it)."""
    source = config.source(key)
    if source not in (DEFAULT, WAKE_TOML):
        return source
    if file is not None:
        return f"{file.path}:{file.line(key)}"
    return str(config.path or "config")


def _cross_checks(config: Config, file: ConfigFile | None) -> list[str]:
    problems: list[str] = []

    def add(key: str, message: str) -> None:
        problems.append(f"{_located(config, file, key)}: {message}")

    threshold, wake_backend = config["wake.threshold"], config["wake.backend"]
    if config.explicit("wake.threshold") and math.isfinite(threshold):
        if wake_backend == "model" and threshold < 1e-3:
            add(
                "wake.threshold",
                f"wake.threshold {threshold:g} is on PocketSphinx's scale; the model backend's "
                'is a score such as 0.5 (or set wake.backend = "pocketsphinx")',
            )
        elif wake_backend == "pocketsphinx" and threshold > 1e-5:
            add(
                "wake.threshold",
                f"wake.threshold {threshold:g} is on the model's scale; PocketSphinx's "
                'kws_threshold is tiny, such as 1e-40 (or set wake.backend = "model")',
            )
    _llm_checks(config, add)
    return sorted(problems, key=_by_line)


def _llm_checks(config: Config, add: Callable[[str, str], None]) -> None:
    backend = config["llm.backend"]
    model, url = config["llm.model"], config["llm.url"]
    if backend == "openai":
        if not url:
            add(
                "llm.backend",
                "the openai backend needs llm.url, the endpoint's API root "
                "(e.g. http://127.0.0.1:11434/v1; on the command line --llm-url)",
            )
        elif not re.match(r"^https?://[^/\s]+", url):
            add("llm.url", f"llm.url must be an http:// or https:// URL, got {url!r}")
        if not model:
            add(
                "llm.backend",
                "the openai backend needs llm.model, the server's model name "
                "(e.g. qwen2.5:0.5b; on the command line --llm-model)",
            )
    elif backend == "llama_cpp":
        if config["llm.vision"]:
            add("llm.vision", "the llama_cpp backend has no vision; use an openai endpoint")
        if not model:
            add(
                "llm.backend",
                "the llama_cpp backend needs llm.model: a manifest id "
                "(gemma-3-270m, qwen3-0.6b) or the path of a .gguf file",
            )
        else:
            problem = _gguf_problem(str(model))
            if problem:
                add("llm.model", problem)
    elif config.source("llm.model").startswith("--"):
        add(
            "llm.model",
            "needs --llm-url URL (an OpenAI-compatible endpoint), or an [llm] "
            "backend in the config file",
        )


def _gguf_problem(model: str) -> str:
    """Why the llama_cpp ``model`` cannot be found ("" when it can), without reading it."""
    if model.endswith(".gguf") or "/" in model or "\\" in model:
        path = Path(model).expanduser()
        return "" if path.is_file() else f"no GGUF file at {model}"
    from models.registry import default_registry

    ids = [e.id for e in default_registry().entries if e.task == "language-model"]
    if model in ids:
        return ""
    return (
        f"unknown model {model!r}{_hint(model, ids)}; give a manifest id ({', '.join(ids)}) "
        "or the path of a .gguf file"
    )


# ---------------------------------------------------------------------------- showing it
def config_text(config: Config) -> str:
    """The effective config as TOML, each value with where it came from (a comment)."""
    rows: list[tuple[str, str]] = []
    if config.path is not None:
        state = "" if config.found else " (no such file: defaults)"
        rows.append((f"# config file: {config.path}{state}", ""))
    rows.append(("# precedence: command-line option > environment > config file > defaults", ""))
    section = ""
    for key in KEYS:
        head, name = key.split(".")
        if head != section:
            section = head
            rows += [("", ""), (f"[{head}]", "")]
        setting = config.settings[key]
        if setting.value is None or setting.value == "":
            rows.append((f"# {name} = (unset)", setting.source))
        else:
            value = str(setting.value) if isinstance(setting.value, Path) else setting.value
            rows.append((f"{name} = {toml_value(value)}", setting.source))
    width = max(len(text) for text, source in rows if source)
    lines = [f"{text:<{width}}  # {source}" if source else text for text, source in rows]
    return "\n".join(lines) + "\n"


def config_json(config: Config) -> dict[str, Any]:
    """``{"file": …, "found": …, "settings": {key: {"value": …, "source": …}}}``."""
    return {
        "file": str(config.path) if config.path is not None else None,
        "found": config.found,
        "settings": {
            key: {
                "value": str(s.value) if isinstance(s.value, Path) else s.value,
                "source": s.source,
            }
            for key, s in config.settings.items()
        },
    }
