"""Fixtures of the hostile-input suite: a small real pack (RevMan's Fleiss 1993 export imported by
the CLI), its saved summary, and a world-readable workspace for runs as another user."""
from __future__ import annotations

import contextlib
import io
import os
import pathlib
import shutil
import tempfile
from typing import Iterator

import pytest
from .hostile_helpers import GOOD_BATCH, GOOD_CSV, REVMAN_CSV, CLAIMS_TEXT

from evigrade.cli import main


def _quiet(*argv: object) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = main([str(a) for a in argv])
    return rc, out.getvalue(), err.getvalue()


@pytest.fixture(scope="session")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, pathlib.Path]:
    """Good inputs of every kind: studies CSV, batch CSV, claims text, a pack, its saved summary."""
    d = tmp_path_factory.mktemp("hostile-inputs")
    (d / "studies.csv").write_text(GOOD_CSV)
    (d / "batch.csv").write_text(GOOD_BATCH)
    (d / "claims.txt").write_text(CLAIMS_TEXT)
    rc, _, err = _quiet("import-revman", REVMAN_CSV, "-o", d / "pack")
    assert rc == 0, err
    rc, out, err = _quiet("summarize", d / "pack", "--json")
    assert rc == 0, err
    (d / "summary.json").write_text(out)
    return {"studies": d / "studies.csv", "batch": d / "batch.csv", "claims": d / "claims.txt",
            "pack": d / "pack", "summary": d / "summary.json"}


@pytest.fixture(scope="module")
def shared_dir(inputs: dict[str, pathlib.Path]) -> Iterator[pathlib.Path]:
    """A folder every user can read (mode 755) holding copies of the good inputs; removed afterwards."""
    d = pathlib.Path(tempfile.mkdtemp(prefix="evigrade-hostile-", dir="/tmp"))
    try:
        os.chmod(d, 0o755)
        for p in inputs.values():
            target = d / p.name
            if p.is_dir():
                shutil.copytree(p, target)
            else:
                shutil.copy(p, target)
        for p in d.rglob("*"):
            os.chmod(p, 0o755 if p.is_dir() else 0o644)
        yield d
    finally:
        shutil.rmtree(d, ignore_errors=True)
