"""Shared test set-up: nothing a test runs writes into the real home directory."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _user_data_in_a_temporary_folder(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Photos and other user data (``$XDG_DATA_HOME``) go to the test session's temporary
    folder, for subprocesses too (they inherit the environment). The cache directory is left
    alone: tests share its synthesised speech and models with the developer's runs."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path_factory.getbasetemp() / "xdg-data"))
