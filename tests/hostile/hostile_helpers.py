"""Helpers of the hostile-input suite (issue 19): run the real CLI in-process and check the policy."""
from __future__ import annotations

import pathlib
from typing import Any

from evigrade.cli import main

GOOD_CSV = "study,yi,vi\nA,0.10,0.010\nB,0.30,0.020\nC,0.25,0.015\n"
GOOD_BATCH = "analysis_id,yi,vi\na,0.10,0.010\na,0.30,0.020\nb,-0.20,0.050\nb,0.00,0.040\nb,0.10,0.030\n"


def run(capsys: Any, *argv: Any) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of ``evigrade ARGV``."""
    rc = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return rc, out, err


def write(path: pathlib.Path, data: str | bytes) -> pathlib.Path:
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data, encoding="utf-8", newline="")
    return path


def assert_controlled(rc: int, out: str, err: str, *fragments: str, code: int = 3) -> None:
    """Exit ``code`` with exactly one ``error: `` line on stderr (no traceback, no 'internal error',
    no raw control character) containing every fragment."""
    assert rc == code, (rc, err)
    lines = err.strip("\n").splitlines()
    errors = [ln for ln in lines if ln.startswith("error: ")]
    assert len(errors) == 1, err
    assert "Traceback" not in err and "internal error" not in err, err
    assert "\x1b" not in err and "\x07" not in err, repr(err)
    for f in fragments:
        assert f in err, (f, err)
