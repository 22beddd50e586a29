"""Outputs that cannot be written, for every command that writes one (issue 19 items 4 and 8).

Each case: exit 3, one line naming the output path and the fix, nothing partial left behind (no
output, no temporary file, no lock file).  Folder missing, output is a folder (or, for folder
outputs, a file), a part of the path is a file, a name too long, disk full (``/dev/full``, and a
file-size limit in a subprocess so every command meets a full disk), not writable (a read-only
folder, run as another user: the suite runs as root, for whom every folder is writable).
"""
from __future__ import annotations

import os
import pathlib
import re
from typing import Callable

import pytest
from .hostile_helpers import EVIDENCE_JSON, REVMAN_CSV, assert_controlled, can_setpriv, run, run_many

Argv = Callable[[dict[str, pathlib.Path], pathlib.Path], list[object]]

# commands that write one file: (suffix, argv for an output path)
FILE_WRITERS: dict[str, tuple[str, Argv]] = {
    "batch": (".csv", lambda i, o: ["batch", i["batch"], "-o", o, "--quiet"]),
    "batch_no_stream": (".csv", lambda i, o: ["batch", i["batch"], "-o", o, "--no-stream", "--quiet"]),
    "batch_skip": (".csv", lambda i, o: ["batch", i["batch"], "-o", o, "--on-error", "skip", "--quiet"]),
    "batch_parquet": (".parquet", lambda i, o: ["batch", i["batch"], "-o", o, "--quiet"]),
    "check_claims": (".html", lambda i, o: ["check-claims", i["claims"], "--evidence", EVIDENCE_JSON, "-f", "html",
                                            "-o", o]),
    "check_claims_json": (".json", lambda i, o: ["check-claims", i["claims"], "--evidence", EVIDENCE_JSON,
                                                 "-f", "json", "-o", o]),
    "plot_svg": (".svg", lambda i, o: ["plot", "forest", i["studies"], "-m", "GEN", "-o", o]),
    "plot_png": (".png", lambda i, o: ["plot", "funnel", i["studies"], "-m", "GEN", "-o", o]),
    "sof": (".docx", lambda i, o: ["sof", i["pack"], "-o", o]),
}
# commands that write a folder
FOLDER_WRITERS: dict[str, Argv] = {
    "report": lambda i, o: ["report", "--from-json", i["summary"], "-o", o],
    "summarize_report": lambda i, o: ["summarize", i["pack"], "--report", o],
    "import_revman": lambda i, o: ["import-revman", REVMAN_CSV, "-o", o],
    "init": lambda i, o: ["init", o],
}


def _leftovers(folder: pathlib.Path) -> list[str]:
    """Hidden files an aborted write could leave: temporary files and folders, lock files."""
    try:
        return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))
    except OSError:
        return []


def _file_case(kind: str, tmp: pathlib.Path, suffix: str) -> tuple[pathlib.Path, tuple[str, ...]]:
    """The output path for a failure ``kind`` (prepared in ``tmp``) and the words the error must carry."""
    if kind == "missing_folder":
        return tmp / "no-such-folder" / f"out{suffix}", ("output folder does not exist",)
    if kind == "is_a_folder":
        (tmp / f"out{suffix}").mkdir()
        return tmp / f"out{suffix}", ("is a folder",)
    if kind == "parent_is_a_file":
        (tmp / "afile").write_text("x")
        return tmp / "afile" / f"out{suffix}", ("is a file, not a folder",)
    if kind == "name_too_long":
        return tmp / ("x" * 300 + suffix), ("file name too long",)
    raise AssertionError(kind)


FILE_KINDS = ["missing_folder", "is_a_folder", "parent_is_a_file", "name_too_long"]


@pytest.mark.parametrize("kind", FILE_KINDS)
@pytest.mark.parametrize("writer", sorted(FILE_WRITERS))
def test_file_output_cannot_be_written(tmp_path, capsys, inputs, writer, kind):
    suffix, argv = FILE_WRITERS[writer]
    out, words = _file_case(kind, tmp_path, suffix)
    rc, stdout, err = run(capsys, *argv(inputs, out))
    assert_controlled(rc, stdout, err, *words)
    assert out.name[:40] in err  # the line names the output
    if kind == "is_a_folder":
        assert list(out.iterdir()) == []  # the folder is left as it was
    assert _leftovers(tmp_path) == []


@pytest.mark.parametrize("writer", sorted(FILE_WRITERS))
def test_disk_full_device(tmp_path, capsys, inputs, writer):
    """An output that is ``/dev/full`` (through a link with the right suffix): every write fails with
    ENOSPC.  A device is written directly, not replaced, and the link is left as it was."""
    suffix, argv = FILE_WRITERS[writer]
    out = tmp_path / f"full{suffix}"
    out.symlink_to("/dev/full")
    rc, stdout, err = run(capsys, *argv(inputs, out))
    assert_controlled(rc, stdout, err, str(out), "disk full")
    assert out.is_symlink() and os.readlink(out) == "/dev/full"


def _folder_case(kind: str, tmp: pathlib.Path) -> tuple[pathlib.Path, str]:
    """The output folder for a failure ``kind`` and a pattern the error must match (the commands word
    a folder output their own way, e.g. 'the report folder path is an existing file')."""
    if kind == "missing_parent":
        return tmp / "no-such-folder" / "out", "does not exist"
    if kind == "is_a_file":
        (tmp / "out").write_text("not a folder")
        return tmp / "out", "is an existing file|is not a folder|is a file, not a folder"
    if kind == "parent_is_a_file":
        (tmp / "afile").write_text("x")
        # (report says the containing folder "does not exist"; import-revman quotes mkdir: "File exists")
        return tmp / "afile" / "out", "not a folder|not a directory|is a file|does not exist|file exists"
    if kind == "name_too_long":
        return tmp / ("x" * 300), "too long"
    raise AssertionError(kind)


@pytest.mark.parametrize("kind", ["missing_parent", "is_a_file", "parent_is_a_file", "name_too_long"])
@pytest.mark.parametrize("writer", sorted(FOLDER_WRITERS))
def test_folder_output_cannot_be_written(tmp_path, capsys, inputs, writer, kind):
    out, pattern = _folder_case(kind, tmp_path)
    rc, stdout, err = run(capsys, *FOLDER_WRITERS[writer](inputs, out))
    if writer in ("import_revman", "init") and kind == "missing_parent":
        # import-revman and init make a new pack folder, parents included (new or empty)
        assert rc == 0, err
        assert (out / "pack.toml").is_file()
        return
    assert_controlled(rc, stdout, err)
    assert re.search(pattern, err, re.I), (pattern, err)
    assert out.name[:40] in err
    if kind == "is_a_file":
        assert out.read_text() == "not a folder"  # untouched
    assert _leftovers(tmp_path) == []


# ----------------------------------------------------------------------------------------------
# a read-only folder (as another user) and a full disk (file-size limit), in one subprocess each


def _all_writers(inputs: dict[str, pathlib.Path], folder: pathlib.Path) -> dict[str, list[object]]:
    cases = {w: argv(inputs, folder / f"out-{w}{suffix}") for w, (suffix, argv) in FILE_WRITERS.items()}
    cases.update({w: argv(inputs, folder / f"out-{w}") for w, argv in FOLDER_WRITERS.items()})
    return cases


@pytest.fixture(scope="module")
def readonly_runs(shared_dir):
    if not can_setpriv():
        pytest.skip("needs root and setpriv to run as another user")
    inputs = {k: shared_dir / p for k, p in (("batch", "batch.csv"), ("claims", "claims.txt"),
                                               ("studies", "studies.csv"), ("pack", "pack"),
                                               ("summary", "summary.json"))}
    ro = shared_dir / "readonly"
    ro.mkdir()
    os.chmod(ro, 0o555)
    env = {"MPLCONFIGDIR": str(shared_dir / "mpl"), "HOME": str(shared_dir)}
    (shared_dir / "mpl").mkdir(mode=0o777)
    os.chmod(shared_dir / "mpl", 0o777)
    return ro, run_many(_all_writers(inputs, ro), cwd=shared_dir, user=65534, env=env)


@pytest.mark.slow
@pytest.mark.parametrize("writer", sorted(FILE_WRITERS) + sorted(FOLDER_WRITERS))
def test_output_folder_not_writable(readonly_runs, writer):
    ro, results = readonly_runs
    rc, stdout, err = results[writer]
    assert_controlled(rc, stdout, err, f"out-{writer}")
    assert "permission denied" in err.lower(), err
    assert list(ro.iterdir()) == []


@pytest.fixture(scope="module")
def disk_full_runs(inputs, tmp_path_factory):
    folder = tmp_path_factory.mktemp("diskfull")
    return folder, run_many(_all_writers(inputs, folder), cwd=folder, fsize=200)


@pytest.mark.slow
@pytest.mark.parametrize("writer", sorted(FILE_WRITERS) + sorted(FOLDER_WRITERS))
def test_disk_full_while_writing(disk_full_runs, writer):
    """Every output is larger than 200 bytes: the write fails part-way as on a full disk."""
    folder, results = disk_full_runs
    rc, stdout, err = results[writer]
    assert_controlled(rc, stdout, err, f"out-{writer}")
    # the file-size limit fails a write with EFBIG ('File too large'), which evigrade words as a full
    # disk; the report and pack writers quote the system's words
    assert re.search("disk full|file too large", err, re.I), err
    assert [p.name for p in folder.iterdir() if writer in p.name] == []  # nothing partial, no temp file
