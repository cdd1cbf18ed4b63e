"""Atomic writes: all-or-nothing, and the finished file gets normal permissions."""

from __future__ import annotations

import os
import stat

import pytest

from srgan_studio.core.atomic import TEMP_MARK, atomic_path, atomic_write_bytes, clean_partials


def test_failed_write_leaves_nothing_and_keeps_old_file(tmp_path):
    target = tmp_path / "out.png"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_bytes(b"half")
            raise RuntimeError("disk full")
    assert target.read_bytes() == b"old"
    assert not list(tmp_path.glob(f"{TEMP_MARK}*"))


def test_finished_file_follows_the_umask_not_mkstemp_0600(tmp_path):
    atomic_write_bytes(tmp_path / "a.bin", b"x")
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE((tmp_path / "a.bin").stat().st_mode) == 0o666 & ~mask


def test_clean_partials_removes_only_temp_files(tmp_path):
    (tmp_path / f"{TEMP_MARK}abc.png").write_bytes(b"partial")
    (tmp_path / "keep.png").write_bytes(b"done")
    removed = clean_partials(tmp_path)
    assert [p.name for p in removed] == [f"{TEMP_MARK}abc.png"]
    assert (tmp_path / "keep.png").exists()


def test_a_writer_that_recreates_the_temp_file_still_gets_normal_permissions(tmp_path):
    # safetensors (and others) replace the temp file with one of their own making.
    target = tmp_path / "w.safetensors"
    with atomic_path(target) as tmp:
        tmp.unlink()
        fd = os.open(tmp, os.O_CREAT | os.O_WRONLY, 0o600)
        os.write(fd, b"data")
        os.close(fd)
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~mask
    assert target.read_bytes() == b"data"
