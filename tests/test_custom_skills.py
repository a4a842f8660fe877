"""Custom skills: ``--skill module:Class`` and the ``glasses.skills`` entry points, their one-line
errors, trigger conflicts at start, and the example skill (examples/coin_flip.py) driven through
a scenario headless, speech through the real audio path."""

from __future__ import annotations

import textwrap
from importlib.metadata import EntryPoint
from pathlib import Path

import pytest

from glasses.app.setup import AssistantSetup
from glasses.assistant.plugins import (
    ENTRY_POINT_GROUP,
    SkillLoadError,
    SkillSource,
    custom_sources,
    entry_point_sources,
    skill_source,
)
from glasses.assistant.skill import Skill
from glasses.assistant.triggers import TriggerError
from glasses.cli.main import main
from simulator.harness import run_scenario
from simulator.scenario import parse_scenario

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "coin_flip.py"
EXAMPLE_SPEC = f"{EXAMPLE}:CoinFlipSkill"

SKILLS = """
from typing import ClassVar

from glasses.assistant.skill import Reply, Skill, SkillContext
from glasses.assistant.triggers import OnCode, OnTap, Phrase, Trigger
from glasses.runtime.events import Card, Intent

TOSS = "toss.toss"
DOUBLE = "double.tap"


class TossSkill(Skill):
    name: ClassVar[str] = "toss"
    intents: ClassVar[tuple[str, ...]] = (TOSS,)
    triggers: ClassVar[tuple[Trigger, ...]] = (OnCode(TOSS, prefixes=("toss:",)),)

    async def handle(self, intent: Intent, ctx: SkillContext) -> Reply:
        return Reply(card=Card(title="Tossed", body="Heads"))


class DoubleTapSkill(Skill):
    name: ClassVar[str] = "double"
    intents: ClassVar[tuple[str, ...]] = (DOUBLE,)
    triggers: ClassVar[tuple[Trigger, ...]] = (OnTap(2, DOUBLE),)  # the read skill's

    async def handle(self, intent: Intent, ctx: SkillContext) -> Reply:
        return Reply()


class OddWordSkill(TossSkill):
    name: ClassVar[str] = "odd"
    intents: ClassVar[tuple[str, ...]] = ("odd.word",)
    phrases: ClassVar[tuple[str | Phrase, ...]] = ("frobnicate zzyzx",)
    triggers: ClassVar[tuple[Trigger, ...]] = ()


class Nameless(Skill):
    intents: ClassVar[tuple[str, ...]] = ("x.y",)

    async def handle(self, intent: Intent, ctx: SkillContext) -> Reply:
        return Reply()


class NoHandle(Skill):
    name: ClassVar[str] = "nohandle"
    intents: ClassVar[tuple[str, ...]] = ("no.handle",)


class SyncHandle(Skill):
    name: ClassVar[str] = "sync"
    intents: ClassVar[tuple[str, ...]] = ("sync.handle",)

    def handle(self, intent, ctx):  # type: ignore[override]
        return Reply()


class NeedsArgs(TossSkill):
    def __init__(self, colour: str) -> None:
        self.colour = colour


def make_skills() -> list[Skill]:
    return [TossSkill()]


def make_classes() -> list[type[Skill]]:
    return [TossSkill]


def make_nothing() -> list[Skill]:
    return []


def make_junk() -> int:
    return 42


def make_broken() -> list[Skill]:
    raise RuntimeError("no config for the toss skill\\nsecond line")


INSTANCE = TossSkill()
NOT_A_SKILL = "toss"
"""


@pytest.fixture
def skills_file(tmp_path: Path) -> Path:
    path = tmp_path / "my_skills.py"
    path.write_text(SKILLS, encoding="utf-8")
    return path


def load_error(spec: str) -> str:
    with pytest.raises(SkillLoadError) as exc:
        skill_source(spec).make()
    message = str(exc.value)
    assert "\n" not in message
    return message


# ---------------------------------------------------------------------------- --skill
def test_a_class_from_a_file_gives_fresh_skills_each_time() -> None:
    source = skill_source(EXAMPLE_SPEC)
    first, second = source.make(), source.make()
    assert [s.name for s in first] == ["coin_flip"]
    assert first[0] is not second[0]
    assert type(first[0]) is type(second[0])  # the file is loaded once
    assert skill_source(EXAMPLE_SPEC).target is source.target


def test_an_importable_module(skills_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(skills_file.parent))
    (skill,) = skill_source("my_skills:TossSkill").make()
    assert skill.name == "toss"


def test_factories_return_skills_or_skill_classes(skills_file: Path) -> None:
    assert [s.name for s in skill_source(f"{skills_file}:make_skills").make()] == ["toss"]
    assert [s.name for s in skill_source(f"{skills_file}:make_classes").make()] == ["toss"]


@pytest.mark.parametrize(
    ("attr", "message"),
    [
        ("Toss", "has no Toss (did you mean TossSkill?)"),
        ("NOT_A_SKILL", "not a Skill (a Skill subclass or a function returning skills), got str"),
        ("INSTANCE", "a skill instance; give its class or a function returning skills"),
        ("Nameless", 'Nameless has no name (set name = "…")'),
        ("NoHandle", "NoHandle does not implement handle()"),
        ("SyncHandle", "SyncHandle.handle must be async"),
        ("NeedsArgs", "NeedsArgs() failed: TypeError:"),
        ("make_nothing", "the factory returned no skills"),
        ("make_junk", "the factory returned int 42, not a Skill or a list of skills"),
        ("make_broken", "make_broken() failed: RuntimeError: no config for the toss skill"),
    ],
)
def test_a_bad_target_is_one_line(skills_file: Path, attr: str, message: str) -> None:
    spec = f"{skills_file}:{attr}"
    error = load_error(spec)
    assert error.startswith(f"--skill {spec}: ")
    assert message in error


def test_bad_specs_are_one_line(tmp_path: Path) -> None:
    assert load_error("foo:Bar") == "--skill foo:Bar: module foo not found"
    assert load_error("glasses.nowhere:Bar") == (
        "--skill glasses.nowhere:Bar: module glasses.nowhere not found"
    )
    assert load_error("nocolon") == (
        "--skill nocolon: give module:Class or path/to/file.py:Class "
        "(e.g. examples/coin_flip.py:CoinFlipSkill)"
    )
    missing = f"{tmp_path}/nope.py"
    assert load_error(f"{missing}:X") == f"--skill {missing}:X: file {missing} not found"
    broken = tmp_path / "broken.py"
    broken.write_text("import not_installed_anywhere\n", encoding="utf-8")
    assert load_error(f"{broken}:X") == (
        f"--skill {broken}:X: loading {broken} failed: ModuleNotFoundError: "
        "No module named 'not_installed_anywhere'"
    )
    assert load_error("glasses.assistant.intents:READ").startswith(
        "--skill glasses.assistant.intents:READ: not a Skill"
    )
    # A module that exits while importing ended glasses quietly (exit 0, nothing run).
    exits = tmp_path / "exits.py"
    exits.write_text("raise SystemExit(0)\n", encoding="utf-8")
    assert load_error(f"{exits}:X") == (f"--skill {exits}:X: loading {exits} failed: SystemExit: 0")


def test_a_module_named_like_a_file_here_gets_a_hint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "examples").mkdir()
    (tmp_path / "examples" / "coin.py").write_text("", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert load_error("examples.coin:X") == (
        "--skill examples.coin:X: module examples.coin not found (to load the file "
        "examples/coin.py, give its path: --skill examples/coin.py:…)"
    )


# ---------------------------------------------------------------------------- entry points
def test_entry_points_load_classes_and_factories(
    skills_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.syspath_prepend(str(skills_file.parent))
    points = [
        EntryPoint("toss", "my_skills:make_skills", ENTRY_POINT_GROUP),
        EntryPoint("coin", "my_skills:TossSkill", ENTRY_POINT_GROUP),
    ]
    sources = entry_point_sources(points)
    assert [s.label.split(" = ")[0] for s in sources] == ["entry point coin", "entry point toss"]
    assert all(s.make()[0].name == "toss" for s in sources)


def test_a_broken_entry_point_names_its_package() -> None:
    point = EntryPoint("gone", "not_installed_anywhere:Skill", ENTRY_POINT_GROUP)
    with pytest.raises(SkillLoadError) as exc:
        entry_point_sources([point])
    assert str(exc.value) == (
        "entry point gone = not_installed_anywhere:Skill (glasses.skills, from an unknown "
        "package): cannot load: ModuleNotFoundError: No module named 'not_installed_anywhere' "
        "(to remove it: remove the package)"
    )


def fake_distribution(site: Path, entry: str) -> None:
    """An installed package as pip leaves it: a module and its ``.dist-info``."""
    site.mkdir(exist_ok=True)
    info = site / "fake_toss_skill-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: fake-toss-skill\nVersion: 1.0\n", encoding="utf-8"
    )
    (info / "entry_points.txt").write_text(
        f"[{ENTRY_POINT_GROUP}]\ntoss = {entry}\n", encoding="utf-8"
    )


def test_an_installed_distribution_is_found(
    skills_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_distribution(skills_file.parent, "my_skills:make_skills")
    monkeypatch.syspath_prepend(str(skills_file.parent))
    sources = [s for s in entry_point_sources() if "fake-toss-skill" in s.label]
    (source,) = sources
    assert source.label == (
        "entry point toss = my_skills:make_skills (glasses.skills, from fake-toss-skill 1.0)"
    )
    # The same skill given with --skill as well counts once.
    both = custom_sources(["my_skills:make_skills"])
    assert [s.target for s in both].count(source.target) == 1


def test_a_broken_installed_distribution_says_how_to_remove_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_distribution(tmp_path / "site", "not_installed_anywhere:make")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    with pytest.raises(SkillLoadError) as exc:
        entry_point_sources()
    assert "from fake-toss-skill 1.0): cannot load" in str(exc.value)
    assert str(exc.value).endswith("(to remove it: pip uninstall fake-toss-skill)")


# ---------------------------------------------------------------------------- at start
def test_a_trigger_conflict_is_found_before_the_session(skills_file: Path) -> None:
    setup = AssistantSetup(skill_sources=(skill_source(f"{skills_file}:DoubleTapSkill"),))
    with pytest.raises(TriggerError, match="skills read and double both claim OnTap"):
        setup.check()


def test_sim_says_a_conflict_in_one_line(
    skills_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = f"{skills_file}:DoubleTapSkill"
    assert main(["sim", "--headless", "--skill", spec]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("glasses sim: the skills' triggers conflict: skills read and double ")
    assert err.rstrip().endswith(f"(custom skills: --skill {spec})")


def test_sim_and_run_say_a_bad_spec_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sim", "--headless", "--skill", "foo:Bar"]) == 2
    assert capsys.readouterr().err == "glasses sim: --skill foo:Bar: module foo not found\n"
    assert main(["run", "--camera", "sim:", "--mic", "none", "--skill", "foo:Bar"]) == 2
    assert capsys.readouterr().err == "glasses run: --skill foo:Bar: module foo not found\n"


def test_a_phrase_the_recogniser_cannot_say_fails_at_start(
    skills_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["sim", "--headless", "--skill", f"{skills_file}:OddWordSkill"]) == 2
    err = capsys.readouterr().err
    assert "command words not in the en-US dictionary: frobnicate, zzyzx" in err
    assert err.count("\n") == 1


# ---------------------------------------------------------------------------- in a scenario
TOSS_SCENARIO = """
name: toss by code
timeline:
  - at: 0.3s
    id: code
    show: {qr: "toss:now", scale: 0.4}
settle: 1s
expect:
  - hud_contains: "Tossed"
    after: code
    within_ms: 500
  - absent: "toss:now"
"""


def test_a_custom_skill_in_the_harness(skills_file: Path) -> None:
    scenario = parse_scenario(TOSS_SCENARIO, Path("toss.yaml"))
    setup = AssistantSetup(skill_sources=(skill_source(f"{skills_file}:TossSkill"),))
    assert run_scenario(scenario, setup=setup).passed
    assert not run_scenario(scenario).passed  # without it, the scanner shows the code


def test_an_installed_skill_drives_a_scenario(
    skills_file: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_distribution(skills_file.parent, "my_skills:make_skills")
    monkeypatch.syspath_prepend(str(skills_file.parent))
    scenario = skills_file.parent / "toss.yaml"
    scenario.write_text(textwrap.dedent(TOSS_SCENARIO), encoding="utf-8")
    assert main(["sim", "--headless", str(scenario)]) == 0, capsys.readouterr().out


def test_the_example_skill_through_the_real_audio_path(capsys: pytest.CaptureFixture[str]) -> None:
    """docs/skills.md's walk-through: spoken "hey glasses, flip a coin" and a coin: code."""
    scenario = ROOT / "examples" / "coin_flip.yaml"
    code = main(["sim", "--headless", "--skill", EXAMPLE_SPEC, str(scenario)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "PASS  Coin flip — a custom skill" in out


def test_skill_source_is_what_a_test_may_build_by_hand() -> None:
    cls = skill_source(EXAMPLE_SPEC).target
    assert isinstance(cls, type) and issubclass(cls, Skill)
    (skill,) = SkillSource("coin", cls).make()
    assert skill.intents == ("coin_flip.flip",)
