"""Inputs that cannot be read, for every reader of every command (issue 19 items 4, 5 and 8).

Each case: exit 3 (never 1, never a hang or a MemoryError), one line naming the input and the fix.
Kinds: missing, a folder, a loop of symbolic links, ``/dev/zero`` (endless binary, size 0), larger
than the input size limit (``--max-input-mb``), permission denied (run as another user), and for
packs: the folder missing, a file instead of a folder, ``pack.toml`` missing, a table that is
``/dev/zero`` or too large.
"""
from __future__ import annotations

import os
import pathlib
import re
import shutil
from typing import Callable

import pytest
from .hostile_helpers import EVIDENCE_JSON, assert_controlled, assert_validate_refuses, can_setpriv, run, run_many

Argv = Callable[[dict[str, pathlib.Path], pathlib.Path], list[object]]

# every reader of a file: (suffix the file needs, argv with the file at `p`)
FILE_READERS: dict[str, tuple[str, Argv]] = {
    "meta": (".csv", lambda i, p: ["meta", p, "-m", "GEN"]),
    "grade": (".csv", lambda i, p: ["grade", p, "-m", "GEN"]),
    "plot": (".csv", lambda i, p: ["plot", "forest", p, "-m", "GEN", "-o", p.parent / "plot.svg"]),
    "batch": (".csv", lambda i, p: ["batch", p, "-o", p.parent / "fits.csv", "--quiet"]),
    "batch_no_stream": (".csv", lambda i, p: ["batch", p, "-o", p.parent / "fits.csv", "--no-stream", "--quiet"]),
    "batch_skip": (".csv", lambda i, p: ["batch", p, "-o", p.parent / "fits.csv", "--on-error", "skip", "--quiet"]),
    "batch_parquet": (".parquet", lambda i, p: ["batch", p, "-o", p.parent / "fits.csv", "--quiet"]),
    "check_claims_text": (".md", lambda i, p: ["check-claims", p, "--evidence", EVIDENCE_JSON]),
    "check_claims_evidence": (".json", lambda i, p: ["check-claims", i["claims"], "--evidence", p]),
    "report_from_json": (".json", lambda i, p: ["report", "--from-json", p]),
    "import_revman_csv": (".csv", lambda i, p: ["import-revman", p, "-o", p.parent / "imported"]),
    "import_revman_rm5": (".rm5", lambda i, p: ["import-revman", p, "-o", p.parent / "imported"]),
}
# every command that reads a pack folder
PACK_READERS: dict[str, Argv] = {
    "validate": lambda i, p: ["validate", p],
    "summarize": lambda i, p: ["summarize", p, "--no-color"],
    "report": lambda i, p: ["report", p, "--no-color"],
    "sof": lambda i, p: ["sof", p, "-o", p.parent / "sof.docx"],
    "check_claims_pack": lambda i, p: ["check-claims", i["claims"], "--pack", p],
}


def _prepare(kind: str, tmp: pathlib.Path, suffix: str) -> tuple[pathlib.Path, list[str], str]:
    """(the input path, extra root options, a pattern the error must match) for a failure ``kind``."""
    p = tmp / f"input{suffix}"
    if kind == "missing":
        return p, [], "not found|does not exist|no such file"
    if kind == "folder":
        p.mkdir()
        return p, [], "folder|directory"  # (plot reads a folder as a pack and asks for --finding)
    if kind == "symlink_loop":
        (tmp / "other").symlink_to(p)
        p.symlink_to(tmp / "other")
        return p, [], "loop of symbolic links|too many levels of symbolic links|not found"
    if kind == "dev_zero":
        p.symlink_to("/dev/zero")
        return p, [], "binary|NUL bytes|not a regular file|not UTF-8|larger than the input size limit|too large"
    if kind == "oversize" and suffix == ".md":  # claims texts have their own 6 MB limit
        p.write_text("Dry needling works. " * 400_000)
        return p, [], "too large to check"
    if kind == "oversize":  # 4 KB of plausible text against a limit of 1 KB
        p.write_text("study,yi,vi\n" + "".join(f"S{i},0.{i % 10},0.0{1 + i % 9}\n" for i in range(300)))
        return p, ["--max-input-mb", "0.001"], "larger than the input size limit|too large"
    raise AssertionError(kind)


READ_KINDS = ["missing", "folder", "symlink_loop", "dev_zero", "oversize"]


@pytest.mark.parametrize("kind", READ_KINDS)
@pytest.mark.parametrize("reader", sorted(FILE_READERS))
def test_file_input_cannot_be_read(tmp_path, capsys, inputs, reader, kind):
    suffix, argv = FILE_READERS[reader]
    p, root, pattern = _prepare(kind, tmp_path, suffix)
    rc, out, err = run(capsys, *root, *argv(inputs, p))
    assert_controlled(rc, out, err, str(p), need_fix=(reader, kind) != ("plot", "folder"))
    assert re.search(pattern, err, re.I), (pattern, err)
    assert not (tmp_path / "fits.csv").exists() and not (tmp_path / "plot.svg").exists()
    assert not (tmp_path / "imported").exists()


def _pack_case(kind: str, tmp: pathlib.Path, pack: pathlib.Path) -> tuple[pathlib.Path, list[str], str, str]:
    """(pack path, root options, the path the error must name, a pattern it must match)."""
    p = tmp / "pack"
    if kind == "missing":
        return p, [], str(p), "not found|does not exist|no such"
    if kind == "a_file":
        p.write_text("title = 'not a folder'\n")
        return p, [], str(p), "not a folder|is a file|not a pack|folder"
    shutil.copytree(pack, p)
    if kind == "no_pack_toml":
        (p / "pack.toml").unlink()
        return p, [], "pack.toml", "not found|missing|no pack.toml|does not exist"
    if kind == "pack_toml_dev_zero":
        (p / "pack.toml").unlink()
        (p / "pack.toml").symlink_to("/dev/zero")
        return p, [], "pack.toml", "binary|not a regular file|not UTF-8|too large|larger than"
    if kind == "results_dev_zero":
        (p / "results.csv").unlink()
        (p / "results.csv").symlink_to("/dev/zero")
        return p, [], "results.csv", "binary|not a regular file|too large|larger than"
    if kind == "results_oversize":  # a limit that pack.toml fits under and results.csv does not
        (p / "results.csv").write_text((p / "results.csv").read_text() + " " * (1 << 16))
        limit = max((p / "pack.toml").stat().st_size, *(f.stat().st_size for f in p.glob("*.csv")
                                                       if f.name != "results.csv")) + 1
        return p, ["--max-input-mb", f"{limit / (1 << 20):.9f}"], "results.csv", "larger than the input size limit"
    if kind == "results_a_folder":
        (p / "results.csv").unlink()
        (p / "results.csv").mkdir()
        return p, [], "results.csv", "folder|directory"
    raise AssertionError(kind)


PACK_KINDS = ["missing", "a_file", "no_pack_toml", "pack_toml_dev_zero", "results_dev_zero", "results_oversize",
              "results_a_folder"]


@pytest.mark.parametrize("kind", PACK_KINDS)
@pytest.mark.parametrize("reader", sorted(PACK_READERS))
def test_pack_cannot_be_read(tmp_path, capsys, inputs, reader, kind):
    p, root, named, pattern = _pack_case(kind, tmp_path, inputs["pack"])
    rc, out, err = run(capsys, *root, *PACK_READERS[reader](inputs, p))
    if reader == "validate":  # validate lists every problem, one per line, then a verdict
        assert_validate_refuses(rc, out, err, named)
    else:
        assert_controlled(rc, out, err, named)
    assert re.search(pattern, err, re.I), (pattern, err)
    assert not (tmp_path / "sof.docx").exists()


# ----------------------------------------------------------------------------------------------
# permission denied (the suite runs as root, who may read everything: the readers run as nobody)


@pytest.fixture(scope="module")
def unreadable_runs(shared_dir):
    if not can_setpriv():
        pytest.skip("needs root and setpriv to run as another user")
    inputs = {"claims": shared_dir / "claims.txt"}
    work = shared_dir / "unreadable"
    work.mkdir()
    os.chmod(work, 0o777)
    cases: dict[str, list[object]] = {}
    for reader, (suffix, argv) in FILE_READERS.items():
        d = work / reader
        d.mkdir()
        os.chmod(d, 0o777)
        p = d / f"secret{suffix}"
        p.write_text("study,yi,vi\nA,0.1,0.01\n")
        os.chmod(p, 0o000)
        cases[reader] = argv(inputs, p)
    for reader, argv in PACK_READERS.items():
        d = work / f"pack-{reader}"
        d.mkdir()
        os.chmod(d, 0o777)
        shutil.copytree(shared_dir / "pack", d / "pack")
        os.chmod(d / "pack" / "results.csv", 0o000)
        cases[f"pack-{reader}"] = argv(inputs, d / "pack")
    env = {"MPLCONFIGDIR": str(work / "mpl"), "HOME": str(work)}
    return run_many(cases, cwd=work, user=65534, env=env)


@pytest.mark.slow
@pytest.mark.parametrize("reader", sorted(FILE_READERS) + [f"pack-{r}" for r in sorted(PACK_READERS)])
def test_input_permission_denied(unreadable_runs, reader):
    rc, out, err = unreadable_runs[reader]
    named = "results.csv" if reader.startswith("pack-") else "secret"
    if reader == "pack-validate":
        assert_validate_refuses(rc, out, err, named)
    else:
        assert_controlled(rc, out, err, named)
    assert "permission denied" in err.lower(), err
