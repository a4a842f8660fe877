"""Atomic writes: the old file or the whole new one, never half; private, link-proof folders."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import numpy as np
import pytest

from glasses.atomic import (
    UnsafeDirectory,
    atomic_writer,
    open_private_dir,
    output_problem,
    write_bytes,
    write_text,
)
from glasses.cache import load_npz, save_npz


def test_a_write_replaces_the_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    target.write_text("old")
    write_text(target, "new\n")
    assert target.read_text() == "new\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]


def test_a_write_that_fails_half_way_keeps_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "photo.png"
    target.write_bytes(b"the old photo")

    def fill_the_disk() -> None:
        with atomic_writer(target) as out:
            out.write(b"half of the new ")
            raise OSError(28, "disk full")  # what a full disk raises mid-write (ENOSPC)

    with pytest.raises(OSError, match="disk full"):
        fill_the_disk()
    assert target.read_bytes() == b"the old photo"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["photo.png"]


def test_mode_is_applied_and_a_planted_link_is_replaced_not_followed(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_text("keep me")
    link = tmp_path / "out.bin"
    link.symlink_to(victim)
    write_bytes(link, b"data", mode=0o600)
    assert not link.is_symlink() and link.read_bytes() == b"data"
    assert victim.read_text() == "keep me"
    assert stat.S_IMODE(link.stat().st_mode) == 0o600


def test_output_problem_names_what_is_wrong(tmp_path: Path) -> None:
    assert output_problem(tmp_path / "r.json") == ""
    assert output_problem(tmp_path / "missing" / "r.json") == (
        f"directory {tmp_path / 'missing'} does not exist"
    )
    assert output_problem(tmp_path) == "is a directory"
    (tmp_path / "file").write_text("")
    assert output_problem(tmp_path / "file" / "r.json") == f"{tmp_path / 'file'} is not a directory"
    if os.geteuid() != 0:  # root may write anywhere
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        assert output_problem(locked / "r.json") == f"directory {locked} is not writable"


def test_private_dir_is_created_0700_and_files_land_in_it(tmp_path: Path) -> None:
    folder = tmp_path / "data" / "photos"
    fd = open_private_dir(folder)
    try:
        write_bytes("a.png", b"png", mode=0o600, dir_fd=fd)
    finally:
        os.close(fd)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert (folder / "a.png").read_bytes() == b"png"
    with pytest.raises(ValueError, match="plain file name"):
        write_bytes(folder / "b.png", b"", dir_fd=0)


def test_private_dir_refuses_a_symbolic_link(tmp_path: Path) -> None:
    elsewhere = tmp_path / "attacker"
    elsewhere.mkdir()
    planted = tmp_path / "photos"
    planted.symlink_to(elsewhere)
    with pytest.raises(UnsafeDirectory, match="is a symbolic link") as info:
        open_private_dir(planted)
    assert str(elsewhere) in str(info.value)
    assert list(elsewhere.iterdir()) == []


def test_cache_entries_are_written_atomically(tmp_path: Path) -> None:
    path = tmp_path / "cache" / "entry.npz"
    save_npz(path, a=np.arange(4))
    assert np.load(path)["a"].tolist() == [0, 1, 2, 3]
    assert [p.name for p in path.parent.iterdir()] == ["entry.npz"]


def test_an_unreadable_cache_entry_is_named_in_a_warning_and_made_again(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:

    path = tmp_path / "entry.npz"
    assert load_npz(path, "a") is None  # none yet: no warning
    save_npz(path, a=np.arange(3))
    loaded = load_npz(path, "a")
    assert loaded is not None and loaded["a"].tolist() == [0, 1, 2]
    assert load_npz(path, "b") is None  # an older layout
    path.write_bytes(b"not a zip")
    assert load_npz(path, "a") is None
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 2 and all(str(path) in w for w in warnings)
