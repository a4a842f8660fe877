"""Custom skills: from installed packages (the ``glasses.skills`` entry point group) and from
``--skill module:Class`` on ``glasses sim`` and ``glasses run``.

An entry point, or the object a ``--skill`` spec names, is either a ``Skill`` subclass (built
with no arguments) or a function returning a skill or a list of skills. A package declares its
skills in its ``pyproject.toml``::

    [project.entry-points."glasses.skills"]
    coin_flip = "coin_skill:CoinFlipSkill"

A ``--skill`` spec is ``module:attribute`` (an importable module, e.g.
``coin_skill:CoinFlipSkill``) or ``path/to/file.py:attribute`` (a file, loaded as a module of its
own). Each ``SkillSource.make()`` builds fresh skills: every session (every scenario of a batch)
gets its own instances, since skills may keep state. Anything wrong (a module that is not found
or fails to import, a name that is not a skill, a factory that raises) is a ``SkillLoadError``
with a one-line message that names the spec or the entry point; conflicts between skills'
triggers are found by ``glasses.assistant.triggers.TriggerTable.build``, at start too.
"""

from __future__ import annotations

import difflib
import importlib
import importlib.util
import inspect
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from types import ModuleType

from glasses.assistant.skill import Skill

ENTRY_POINT_GROUP = "glasses.skills"
_EXAMPLE = "examples/coin_flip.py:CoinFlipSkill"


class SkillLoadError(ValueError):
    """A custom skill cannot be loaded; the message is one line naming where it came from."""


@dataclass(frozen=True, slots=True, eq=False)
class SkillSource:
    """Where custom skills come from: ``label`` names it in messages (``--skill x:Y``,
    ``entry point coin_flip (coin-skill 1.0)``); ``target`` is the ``Skill`` subclass or the
    factory; ``make()`` builds fresh skills from it."""

    label: str
    target: object

    def make(self) -> list[Skill]:
        """New skill instances; raises ``SkillLoadError`` (one line)."""
        target = self.target
        if isinstance(target, type):
            if not issubclass(target, Skill):
                raise SkillLoadError(f"{self.label}: {target.__name__} is not a Skill ({_WHAT})")
            made: object = self._call(target)
        elif isinstance(target, Skill):
            raise SkillLoadError(
                f"{self.label}: a skill instance; give its class or a function returning skills "
                "(each session builds its own)"
            )
        elif callable(target):
            made = self._call(target)
        else:
            raise SkillLoadError(f"{self.label}: not a Skill ({_WHAT}), got {_kind(target)}")
        return [self._checked(skill) for skill in self._many(made)]

    def _call(self, factory: Callable[[], object]) -> object:
        try:
            return factory()
        except Exception as exc:  # a plug-in's own bug: one line that says whose it is
            raise SkillLoadError(
                f"{self.label}: {_name(factory)}() failed: {type(exc).__name__}: {_line(exc)}"
            ) from exc

    def _many(self, made: object) -> list[object]:
        if isinstance(made, Skill):
            return [made]
        if isinstance(made, Iterable) and not isinstance(made, str | bytes):
            items = list(made)
            if items:
                return items
            raise SkillLoadError(f"{self.label}: the factory returned no skills")
        raise SkillLoadError(
            f"{self.label}: the factory returned {_kind(made)}, not a Skill or a list of skills"
        )

    def _checked(self, skill: object) -> Skill:
        if isinstance(skill, type) and issubclass(skill, Skill):
            built = self._call(skill)
            if not isinstance(built, Skill):  # a __new__ that returns something else
                raise SkillLoadError(f"{self.label}: {skill.__name__}() is not a Skill")
            skill = built
        if not isinstance(skill, Skill):
            raise SkillLoadError(f"{self.label}: not a Skill ({_WHAT}), got {_kind(skill)}")
        cls = type(skill).__name__
        if not isinstance(skill.name, str) or not skill.name or skill.name == Skill.name:
            raise SkillLoadError(f'{self.label}: {cls} has no name (set name = "…")')
        if not skill.intents or not all(isinstance(i, str) and i for i in skill.intents):
            raise SkillLoadError(
                f"{self.label}: {cls}.intents must be a tuple of intent names "
                '(constants such as COIN_FLIP = "coin_flip")'
            )
        if type(skill).handle is Skill.handle:
            raise SkillLoadError(f"{self.label}: {cls} does not implement handle()")
        if not inspect.iscoroutinefunction(type(skill).handle):
            raise SkillLoadError(f"{self.label}: {cls}.handle must be async (async def handle)")
        return skill


_WHAT = "a Skill subclass or a function returning skills"


def _kind(value: object) -> str:
    return f"{type(value).__name__} {value!r}"[:80]


def _name(factory: object) -> str:
    return getattr(factory, "__qualname__", None) or type(factory).__name__


def _line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def skill_source(spec: str) -> SkillSource:
    """The skills a ``--skill`` spec names (``module:Attr`` or ``file.py:Attr``); the module is
    imported here, the skills are built by ``make()``. Raises ``SkillLoadError``."""
    label = f"--skill {spec}"
    module_part, sep, attr = spec.strip().rpartition(":")
    if not sep or not module_part or not attr:
        raise SkillLoadError(
            f"{label}: give module:Class or path/to/file.py:Class (e.g. {_EXAMPLE})"
        )
    if _is_file(module_part):
        module, shown = _load_file(module_part, label), module_part
    else:
        module, shown = _import(module_part, label), module_part
    return SkillSource(label, _attribute(module, attr, label, shown))


def _is_file(module_part: str) -> bool:
    return module_part.endswith(".py") or "/" in module_part or "\\" in module_part


def _import(name: str, label: str) -> ModuleType:
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name is not None and (name == exc.name or name.startswith(f"{exc.name}.")):
            hint = ""
            as_file = Path(*name.split(".")).with_suffix(".py")
            if as_file.is_file():
                hint = f" (to load the file {as_file}, give its path: --skill {as_file}:…)"
            raise SkillLoadError(f"{label}: module {name} not found{hint}") from None
        raise SkillLoadError(f"{label}: importing {name} failed: {_line(exc)}") from exc
    except (Exception, SystemExit) as exc:
        # The module's own error while importing: one line, not a traceback. SystemExit too:
        # a skill module's sys.exit() would end glasses quietly, having run nothing.
        raise SkillLoadError(
            f"{label}: importing {name} failed: {type(exc).__name__}: {_line(exc)}"
        ) from exc


def _load_file(path_text: str, label: str) -> ModuleType:
    path = Path(path_text).expanduser()
    if not path.is_file():
        raise SkillLoadError(f"{label}: file {path_text} not found")
    resolved = path.resolve()
    # One module per file, named after its path, so loading the same file twice (an entry
    # point and --skill, two sessions) gives the same classes.
    name = "glasses_skill_" + "".join(c if c.isalnum() else "_" for c in str(resolved))
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, resolved)
    if spec is None or spec.loader is None:
        raise SkillLoadError(f"{label}: {path_text} cannot be loaded as a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses and typing look their module up while executing
    try:
        spec.loader.exec_module(module)
    except (Exception, SystemExit) as exc:  # see ``_import``
        del sys.modules[name]
        raise SkillLoadError(
            f"{label}: loading {path_text} failed: {type(exc).__name__}: {_line(exc)}"
        ) from exc
    return module


def _attribute(module: ModuleType, attr: str, label: str, shown: str) -> object:
    value: object = module
    for part in attr.split("."):
        if not hasattr(value, part):
            skills = [
                n
                for n, v in vars(module).items()
                if isinstance(v, type) and issubclass(v, Skill) and v is not Skill
            ]
            close = difflib.get_close_matches(part, skills or list(vars(module)), n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            if not close and skills:
                hint = f" (its skills: {', '.join(sorted(skills))})"
            raise SkillLoadError(f"{label}: {shown} has no {attr}{hint}")
        value = getattr(value, part)
    return value


def entry_point_sources(points: Iterable[EntryPoint] | None = None) -> list[SkillSource]:
    """The skills of installed packages (``points``: the ``glasses.skills`` entry points; by
    default those of the installed distributions), in name order. Raises ``SkillLoadError`` for
    one that does not load, naming its package and how to remove it."""
    found = list(entry_points(group=ENTRY_POINT_GROUP) if points is None else points)
    sources: list[SkillSource] = []
    for point in sorted(found, key=lambda p: p.name):
        dist = getattr(point, "dist", None)
        package = f"{dist.name} {dist.version}" if dist is not None else "an unknown package"
        label = f"entry point {point.name} = {point.value} ({ENTRY_POINT_GROUP}, from {package})"
        fix = f"pip uninstall {dist.name}" if dist is not None else "remove the package"
        try:
            target = point.load()
        except (Exception, SystemExit) as exc:  # a broken plug-in: whose, and how to be rid of it
            raise SkillLoadError(
                f"{label}: cannot load: {type(exc).__name__}: {_line(exc)} (to remove it: {fix})"
            ) from exc
        sources.append(SkillSource(label, target))
    return sources


def custom_sources(specs: Iterable[str] = (), *, plugins: bool = True) -> list[SkillSource]:
    """The entry points' skills (unless ``plugins`` is False), then the ``--skill`` specs', in
    order; a target named twice (an installed skill also given with ``--skill``) counts once."""
    sources = entry_point_sources() if plugins else []
    for spec in specs:
        sources.append(skill_source(spec))
    unique: list[SkillSource] = []
    for source in sources:
        if not any(source.target is seen.target for seen in unique):
            unique.append(source)
    return unique
