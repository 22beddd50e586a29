"""The one atomic writer (evigrade._io): whole files or nothing, ordinary permissions."""
from __future__ import annotations

import os
import stat

import pytest

from evigrade._io import write_atomic, write_folder_atomic, write_text_atomic


def test_text_written_with_umask_permissions(tmp_path):
    out = write_text_atomic(tmp_path / "a.txt", "héllo\n")
    assert out.read_text(encoding="utf-8") == "héllo\n"
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(out.stat().st_mode) == 0o666 & ~mask
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt"]


def test_failed_write_leaves_target_and_no_temp(tmp_path):
    target = tmp_path / "t.csv"
    target.write_text("old", encoding="utf-8")

    def boom(tmp: str) -> None:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write("partial")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        write_atomic(target, boom)
    assert target.read_text(encoding="utf-8") == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.csv"]


def test_folder_replaced_whole(tmp_path):
    out = tmp_path / "rep"
    write_folder_atomic(out, {"a.md": "one", "b.json": "{}"})
    write_folder_atomic(out, {"a.md": "two"})
    assert sorted(p.name for p in out.iterdir()) == ["a.md"]
    assert (out / "a.md").read_text(encoding="utf-8") == "two"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rep"]
