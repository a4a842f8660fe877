"""The scenarios shipped with glasses: in the wheel (``simulator/scenarios``) or, in a checkout,
the repository's ``scenarios/`` folder."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

_HERE = Path(__file__).resolve().parent


def scenario_dir() -> Path | None:
    """The folder of the bundled scenarios (None if neither place has one)."""
    for candidate in (_HERE / "scenarios", _HERE.parent / "scenarios"):
        if candidate.is_dir():
            return candidate
    return None


def bundled_scenario(name: str) -> Path:
    """The bundled scenario ``name`` (``demo.yaml`` or ``demo``); raises FileNotFoundError."""
    folder = scenario_dir()
    file = name if name.endswith((".yaml", ".yml")) else f"{name}.yaml"
    if folder is not None and (folder / file).is_file() and "/" not in file:
        return folder / file
    raise FileNotFoundError(name)


@dataclass(frozen=True, slots=True)
class Bundled:
    """A bundled scenario: its file and the ``name:`` it gives itself ("" if it has none)."""

    path: Path
    title: str


def bundled_scenarios() -> list[Bundled]:
    """Every bundled scenario, by file name. Titles are read without validating the files
    (``load_scenario`` does that when one is opened)."""
    folder = scenario_dir()
    if folder is None:
        return []
    out = []
    for path in sorted(folder.glob("*.yaml")):
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            data = None
        title = data.get("name", "") if isinstance(data, dict) else ""
        out.append(Bundled(path, str(title)))
    return out
