"""Tests of planner._atomic: a file is written whole or not at all."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from planner._atomic import atomic_file, write_text

EARLIER = "earlier result, 第一版\n" * 50


def _earlier(folder: Path) -> tuple[Path, bytes]:
    path = folder / "report.html"
    path.write_text(EARLIER, encoding="utf-8")
    return path, path.read_bytes()


def test_write_text_replaces_the_file_whole(tmp_path: Path) -> None:
    path, _ = _earlier(tmp_path)
    assert write_text(path, "new\n") == path
    assert path.read_bytes() == b"new\n"
    assert path.stat().st_mode & 0o777 == 0o644
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


def test_write_text_creates_the_folder(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "map.html"
    write_text(path, "地图")
    assert path.read_text(encoding="utf-8") == "地图"
    assert [p.name for p in path.parent.iterdir()] == ["map.html"]


def test_a_write_that_fails_midway_keeps_the_earlier_file(tmp_path: Path) -> None:
    path, before = _earlier(tmp_path)
    # a lone surrogate cannot be encoded as UTF-8: the write fails after the file is opened
    broken = "x" * 100_000 + "\ud800" + "y" * 10
    with pytest.raises(UnicodeEncodeError):
        write_text(path, broken)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]  # no temporary file left


def _write_half_then_fail(path: Path, error: BaseException) -> None:
    """Write part of a result through ``atomic_file``, then fail as a serialiser might."""
    with atomic_file(path) as tmp, tmp.open("wb") as handle:
        handle.write(b"half a result")
        handle.flush()
        assert tmp.read_bytes() == b"half a result"
        raise error


def test_atomic_file_block_that_raises_keeps_the_earlier_file(tmp_path: Path) -> None:
    path, before = _earlier(tmp_path)
    with pytest.raises(RuntimeError, match="serialiser broke"):
        _write_half_then_fail(path, RuntimeError("serialiser broke"))
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]


def test_atomic_file_never_writes_to_the_target_itself(tmp_path: Path) -> None:
    path, before = _earlier(tmp_path)
    with atomic_file(path) as tmp:
        assert tmp != path
        assert tmp.parent == path.parent  # same folder: os.replace stays on one file system
        assert tmp.name.startswith(".report.html.")
        tmp.write_bytes(b"new")
        assert path.read_bytes() == before  # untouched until the block succeeds
    assert path.read_bytes() == b"new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]


def test_atomic_file_mode_and_a_new_target(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "matrix.npz"
    with atomic_file(path, mode=0o600) as tmp:
        tmp.write_bytes(b"\x00\x01")
    assert path.read_bytes() == b"\x00\x01"
    assert path.stat().st_mode & 0o777 == 0o600
    assert os.listdir(path.parent) == ["matrix.npz"]


def test_a_failed_first_write_leaves_nothing(tmp_path: Path) -> None:
    path = tmp_path / "sites.csv"
    with pytest.raises(KeyboardInterrupt):
        _write_half_then_fail(path, KeyboardInterrupt())
    assert list(tmp_path.iterdir()) == []
