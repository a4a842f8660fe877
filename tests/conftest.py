"""Shared test set-up: nothing a test runs writes into the real home directory."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _user_data_in_a_temporary_folder(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Photos and other user data (``$XDG_DATA_HOME``) go to the test session's temporary
    folder, for subprocesses too (they inherit the environment), and so do the simulator's
    photos (``$GLASSES_PHOTOS_DIR``; otherwise each run would leave a folder in /tmp). The
    user's config file (``$XDG_CONFIG_HOME``) is never read: a developer's own config must
    not change what a test sees. The cache directory is left alone: tests share its
    synthesised speech and models with the developer's runs."""
    base = tmp_path_factory.getbasetemp()
    monkeypatch.setenv("XDG_DATA_HOME", str(base / "xdg-data"))
    monkeypatch.setenv("GLASSES_PHOTOS_DIR", str(base / "photos"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(base / "xdg-config"))
