"""Shared test set-up: nothing a test runs writes into the real home directory, and memory is
allocated as ``glasses`` allocates it."""

from __future__ import annotations

import pytest

from glasses.allocator import limit_retention


def pytest_configure(config: pytest.Config) -> None:
    """glibc's malloc set up as ``glasses`` sets it at start (``glasses/allocator.py``): one arena
    for every thread. The tests then measure and decode as the product does; with an arena per
    thread, CTranslate2's int8 products run about half as fast on some CPUs (Whisper base's
    encoder on a 10 s window: 670 ms against 370-410 on a 2-core AVX2 EPYC)."""
    limit_retention()


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
