"""Helpers of the hostile-input suite (issue 19): run the real CLI in-process or in a subprocess and
check the exit-code policy (docs/exit-codes.md)."""
from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys
from typing import Any, Mapping, Sequence

from evigrade.cli import main

ROOT = pathlib.Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
EVIDENCE_JSON = ROOT / "tests" / "claims" / "evidence_fixture.json"
REVMAN_CSV = DATA / "revman" / "Fleiss1993_CR.csv"
REVMAN_RM5 = DATA / "revman" / "Fleiss1993.rm5"

GOOD_CSV = "study,yi,vi\nA,0.10,0.010\nB,0.30,0.020\nC,0.25,0.015\n"
GOOD_BATCH = "analysis_id,yi,vi\na,0.10,0.010\na,0.30,0.020\nb,-0.20,0.050\nb,0.00,0.040\nb,0.10,0.030\n"
CLAIMS_TEXT = "Dry needling cures neck pain in every patient.\n"


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


def assert_controlled(rc: int, out: str, err: str, *fragments: str, code: int = 3, need_fix: bool = True) -> None:
    """Exit ``code`` with exactly one ``error: `` line on stderr (no traceback, no 'internal error',
    no raw control character) containing every fragment and (``need_fix``) a ``fix:``."""
    assert rc == code, (rc, err)
    lines = err.strip("\n").splitlines()
    errors = [ln for ln in lines if ln.startswith("error: ")]
    assert len(errors) == 1, err
    assert "Traceback" not in err and "internal error" not in err, err
    assert "\x1b" not in err and "\x07" not in err, repr(err)
    if code == 3 and need_fix:
        assert "fix:" in errors[0], err
    for f in fragments:
        assert f in err, (f, err)


def assert_validate_refuses(rc: int, out: str, err: str, *fragments: str) -> None:
    """``evigrade validate``'s refusal: exit 3, every problem on its own line (file and fix), then the
    verdict line 'invalid (N problems)'; no traceback, no internal error, no raw control character."""
    assert rc == 3, (rc, err)
    lines = err.strip("\n").splitlines()
    assert lines and "invalid (" in lines[-1], err
    assert all("fix:" in ln for ln in lines[:-1]), err
    assert "Traceback" not in err and "internal error" not in err and "\x1b" not in err, err
    for f in fragments:
        assert f in err, (f, err)


# ----------------------------------------------------------------------------------------------
# many CLI runs in one subprocess (another user, a file-size limit, an environment): one interpreter
# start for a whole table of cases

_RUN_MANY = r"""
import contextlib, io, json, os, resource, signal, sys
spec = json.load(sys.stdin)
if spec.get("fsize") is not None:  # a 'disk' that is full after fsize bytes (EFBIG, as ENOSPC)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (spec["fsize"], spec["fsize"]))
os.chdir(spec["cwd"])
from evigrade.cli import main
res = {}
for name, argv in spec["cases"].items():
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = main(argv)
    res[name] = [rc, out.getvalue(), err.getvalue()]
sys.__stdout__.write(json.dumps(res))
"""


def run_many(cases: Mapping[str, Sequence[Any]], *, cwd: pathlib.Path, user: int | None = None,
             fsize: int | None = None, env: Mapping[str, str] | None = None,
             timeout: float = 240) -> dict[str, tuple[int, str, str]]:
    """Run ``evigrade ARGV`` for every case in one fresh interpreter; {case: (rc, stdout, stderr)}.

    ``user``: run as this uid/gid (``setpriv``; the tests run as root, for whom nothing is
    unwritable); ``fsize``: RLIMIT_FSIZE in bytes, so a write past it fails as a full disk does.
    """
    spec = {"cases": {k: [str(a) for a in v] for k, v in cases.items()}, "fsize": fsize, "cwd": str(cwd)}
    cmd = [sys.executable, "-c", _RUN_MANY]
    if user is not None:
        cmd = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups", *cmd]
    full_env = {**os.environ, **(env or {})}
    full_env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT / "src"), full_env.get("PYTHONPATH")) if p)
    proc = subprocess.run(cmd, input=json.dumps(spec), capture_output=True, text=True, env=full_env,
                          timeout=timeout, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return {k: (v[0], v[1], v[2]) for k, v in json.loads(proc.stdout).items()}


def can_setpriv() -> bool:
    """True when this process may run a command as another user (root with setpriv)."""
    import shutil

    return hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("setpriv") is not None
