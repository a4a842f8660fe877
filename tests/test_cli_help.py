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
