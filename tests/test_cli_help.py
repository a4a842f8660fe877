"""Every command's ``--help`` prints its usage and exits 0 (argparse formats help lazily, so a
stray ``%`` in a help string only fails when someone asks for help)."""

from __future__ import annotations

import argparse

import pytest

from glasses.cli.main import build_parser, main


def _commands(
    parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()
) -> list[tuple[str, ...]]:
    """Every command path, nested sub-commands included (``("models", "pull")``)."""
    found = [prefix]
    for action in parser._actions:  # argparse keeps sub-parsers only here
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found += _commands(sub, (*prefix, name))
    return found


COMMANDS = _commands(build_parser())


def test_every_command_is_found() -> None:
    names = {c[0] for c in COMMANDS if c}
    assert {
        "sim",
        "run",
        "bench",
        "models",
        "read",
        "scan",
        "blur",
        "transcribe",
        "listen",
        "memory",
        "config",
    } <= names


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "glasses")
def test_help_works(command: tuple[str, ...], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main([*command, "--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: glasses") and " ".join(command) in out


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    from importlib.metadata import version

    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.strip() == f"glasses {version('glasses')}"


@pytest.mark.parametrize("command", ["sim", "run"])
def test_sim_and_run_share_the_session_options(command: str) -> None:
    """The display profile, the listening mode, the config, skills, the language model and
    the HUD pictures are the same options on both."""
    parser = build_parser()
    session = ["--profile", "g1", "--listen", "push_to_talk", "--config", "c.toml"]
    extras = ["--skill", "m:C", "--llm", "none", "--hud-gif", "a.gif", "--hud-png", "d"]
    args = parser.parse_args([command, *session, *extras])
    assert (args.profile, args.listen, str(args.config)) == ("g1", "push_to_talk", "c.toml")
    assert args.skill == ["m:C"] and args.llm == "none"
    assert (str(args.hud_gif), str(args.hud_png)) == ("a.gif", "d")


def test_listen_mode_reaches_the_config() -> None:
    from glasses.cli import assistant_options

    args = build_parser().parse_args(["run", "--listen", "always", "--config", "/nonexistent"])
    assert assistant_options.overrides(args)["listen.mode"] == ("always", "--listen")
    args = build_parser().parse_args(["sim", "--listen", "sometimes"])
    args.config = None
    with pytest.raises(assistant_options.SetupError, match="--listen"):
        assistant_options.load(args)


@pytest.mark.parametrize(("flags", "decisions"), [([], False), (["-v"], False), (["-vv"], True)])
def test_verbosity_and_a_line_per_stage_decision(flags: list[str], decisions: bool) -> None:
    """-vv logs each decision of a stage once (a code seen on 60 frames is one line)."""
    import subprocess
    import sys
    from pathlib import Path

    demo = Path(__file__).resolve().parent.parent / "scenarios" / "demo.yaml"
    done = subprocess.run(
        [sys.executable, "-m", "glasses.cli.main", *flags, "sim", "--headless", str(demo)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stderr.splitlines() if "glasses.runtime.runtime" in line]
    if not decisions:
        assert not lines
        return
    said = [line.removeprefix("DEBUG glasses.runtime.runtime: ") for line in lines]
    url = "https://github.com/glasses-sim"
    assert f"0.545 s codes: code in view: QR {url}" in said
    assert f"0.545 s router: intent scan (symbology=QR value={url})" in said
    assert "5.000 s hud: hud drawn: (clear)" in said
    assert sum("code in view: QR" in line for line in said) == 1
