"""Killed writers, leftovers and concurrent writers (issue 19 item 6).

* A writer killed with SIGKILL in the middle of a write leaves the previous output as it was (never
  a partial file in its place); its temporary file (or folder) is removed by the next run that
  writes the same output, with a note.
* While one run holds an output, a second run writing the same path fails at once with one line
  (exit 3) and leaves the output alone; ``batch --force`` writes anyway.  The lock is released when
  a run ends or is killed.
"""
from __future__ import annotations

import os
import pathlib
import signal
import subprocess
import sys
import textwrap
import time

import pytest
from .hostile_helpers import EVIDENCE_JSON, REVMAN_CSV, ROOT, assert_controlled, run

SRC = str(ROOT / "src")


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (SRC, os.environ.get("PYTHONPATH")) if p)}


def _killed_mid_write(target: pathlib.Path, *, folder: bool = False) -> None:
    """Run a writer of ``target`` in a subprocess that SIGKILLs itself half-way through writing."""
    if folder:
        code = f"""
            import os, signal
            from collections.abc import Mapping
            from evigrade._io import write_folder_atomic
            class Dying(Mapping):  # the first file is written, then the process is killed
                def __getitem__(self, k): return "x" * 5000
                def __iter__(self): yield "index.html"; os.kill(os.getpid(), signal.SIGKILL)
                def __len__(self): return 3
            write_folder_atomic({str(target)!r}, Dying())
        """
    else:
        code = f"""
            import os, signal
            from evigrade._io import write_atomic
            def dying(tmp):
                with open(tmp, "w") as fh:
                    fh.write("analysis_id,estimate\\n" + "half,0.1\\n" * 500)
                    fh.flush()
                    os.kill(os.getpid(), signal.SIGKILL)
            write_atomic({str(target)!r}, dying)
        """
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=_env(), capture_output=True,
                          timeout=120, check=False)
    assert proc.returncode == -signal.SIGKILL, proc.stderr


def _tmp_files(folder: pathlib.Path, name: str) -> list[pathlib.Path]:
    return sorted(p for p in folder.iterdir() if p.name.startswith(f".{name}.") and not p.name.endswith(".lock"))


WRITERS = {  # command -> (output name, argv)
    "batch": ("fits.csv", lambda i, o: ["batch", i["batch"], "-o", o]),
    "batch_no_stream": ("fits.csv", lambda i, o: ["batch", i["batch"], "-o", o, "--no-stream"]),
    "check_claims": ("claims.json", lambda i, o: ["check-claims", i["claims"], "--evidence", EVIDENCE_JSON,
                                                  "-f", "json", "-o", o]),
    "plot": ("forest.svg", lambda i, o: ["plot", "forest", i["studies"], "-m", "GEN", "-o", o]),
    "sof": ("sof.docx", lambda i, o: ["sof", i["pack"], "-o", o]),
}


@pytest.mark.parametrize("writer", sorted(WRITERS))
def test_killed_writer_leaves_old_output_and_next_run_cleans(tmp_path, capsys, inputs, writer):
    name, argv = WRITERS[writer]
    target = tmp_path / name
    target.write_bytes(b"OLD OUTPUT")
    _killed_mid_write(target)
    assert target.read_bytes() == b"OLD OUTPUT"  # the killed write never replaced the output
    left = _tmp_files(tmp_path, name)
    assert len(left) == 1 and left[0].stat().st_size > 1000  # the partial temporary file
    time.sleep(0.02)  # (the leftover must be older than the next run's lock)
    rc, out, err = run(capsys, *argv(inputs, target))
    assert rc == 0, err
    assert f"note: removed {left[0]}, a temporary file left by an interrupted run" in err
    assert _tmp_files(tmp_path, name) == []
    assert target.read_bytes() != b"OLD OUTPUT" and target.stat().st_size > 100
    assert not (tmp_path / f".{name}.lock").exists()  # the lock file goes with the run


def test_killed_report_writer_leaves_no_folder_and_next_run_cleans(tmp_path, capsys, inputs):
    out_dir = tmp_path / "rep"
    _killed_mid_write(out_dir, folder=True)
    assert not out_dir.exists()
    left = [p for p in tmp_path.iterdir() if p.name.startswith(".rep.tmp-")]
    assert len(left) == 1 and (left[0] / "index.html").exists()
    time.sleep(0.02)
    rc, out, err = run(capsys, "report", "--from-json", inputs["summary"], "-o", out_dir)
    assert rc == 0, err
    assert f"note: removed {left[0]}" in err
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    assert sorted(p.name for p in out_dir.iterdir()) == ["index.html", "report.md", "results.json"]


def test_killed_import_revman_leftover_is_cleaned(tmp_path, capsys):
    """import-revman writes the pack into .<name>.<random>.tmp and renames it; a killed run's folder
    is removed by the next import to the same place."""
    left = tmp_path / ".pack.k1ll3d.tmp"
    (left / "revman").mkdir(parents=True)
    (left / "studies.csv").write_text("half a pack")
    time.sleep(0.02)
    rc, out, err = run(capsys, "import-revman", REVMAN_CSV, "-o", tmp_path / "pack")
    assert rc == 0, err
    assert f"note: removed {left}" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pack"]
    assert (tmp_path / "pack" / "pack.toml").is_file()


def test_a_fresh_temporary_file_of_a_running_writer_is_kept(tmp_path, capsys, inputs):
    """Only leftovers older than the lock are removed: a temp file made after it (by a --force run
    writing beside us) is not touched.  Here: one created while our run holds the lock."""
    from evigrade._io import output_lock

    target = tmp_path / "fits.csv"
    with output_lock(target) as lock:
        fresh = tmp_path / ".fits.csv.fresh123.tmp"
        fresh.write_text("being written")
        assert lock.removed == []
    assert fresh.exists()


# ----------------------------------------------------------------------------------------------
# concurrent writers


@pytest.fixture
def held_lock(tmp_path):
    """Another process holding the output lock of a path, until the test ends."""
    procs: list[subprocess.Popen[str]] = []

    def hold(target: pathlib.Path) -> subprocess.Popen[str]:
        code = ("import sys\nfrom evigrade._io import output_lock\n"
                f"with output_lock({str(target)!r}):\n    print('locked', flush=True)\n    sys.stdin.read()\n")
        proc = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                text=True, env=_env())
        assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
        procs.append(proc)
        return proc

    yield hold
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=30)


LOCKED = {  # command -> (output name, argv, whether it offers --force)
    **{w: (n, a, w.startswith("batch")) for w, (n, a) in WRITERS.items()},
    "report": ("rep", lambda i, o: ["report", "--from-json", i["summary"], "-o", o], False),
    "summarize_report": ("rep", lambda i, o: ["summarize", i["pack"], "--report", o, "--json"], False),
    "import_revman": ("rep", lambda i, o: ["import-revman", REVMAN_CSV, "-o", o, "--overwrite"], False),
}


@pytest.mark.parametrize("writer", sorted(LOCKED))
def test_second_writer_fails_while_the_first_holds_the_output(tmp_path, capsys, inputs, held_lock, writer):
    name, argv, has_force = LOCKED[writer]
    target = tmp_path / name
    if name == "rep":
        target.mkdir()
        (target / "index.html").write_text("OLD")
    else:
        target.write_text("OLD")
    holder = held_lock(target)
    rc, out, err = run(capsys, *argv(inputs, target))
    assert_controlled(rc, out, err, str(target), "another evigrade run is writing this output",
                      f"(pid {holder.pid} on ")
    assert ("--force" in err) == has_force  # the fix names --force only where the command has it
    assert (target / "index.html" if name == "rep" else target).read_text() == "OLD"
    holder.communicate("", timeout=30)  # the first run ends: the lock is free again
    rc, out, err = run(capsys, *argv(inputs, target))
    assert rc == 0, err


def test_batch_force_writes_while_another_run_holds_the_output(tmp_path, capsys, inputs, held_lock):
    target = tmp_path / "fits.csv"
    held_lock(target)
    rc, out, err = run(capsys, "batch", inputs["batch"], "-o", target, "--force", "--quiet")
    assert rc == 0, err
    assert target.read_text().startswith("analysis_id,")


def test_killed_lock_holder_does_not_block_the_next_run(tmp_path, capsys, inputs, held_lock):
    target = tmp_path / "fits.csv"
    holder = held_lock(target)
    assert (tmp_path / ".fits.csv.lock").exists()
    holder.kill()
    holder.wait(timeout=30)
    assert (tmp_path / ".fits.csv.lock").exists()  # SIGKILL: the file stays, the kernel lock is gone
    rc, out, err = run(capsys, "batch", inputs["batch"], "-o", target, "--quiet")
    assert rc == 0, err
    assert not (tmp_path / ".fits.csv.lock").exists()


def test_rejects_file_is_locked_too(tmp_path, capsys, inputs, held_lock):
    """``--on-error skip`` writes two outputs; the rejects file is held for the whole run as well."""
    target = tmp_path / "fits.csv"
    held_lock(pathlib.Path(str(target) + ".rejects.csv"))
    rc, out, err = run(capsys, "batch", inputs["batch"], "-o", target, "--on-error", "skip")
    assert_controlled(rc, out, err, "fits.csv.rejects.csv", "another evigrade run")
    assert not target.exists()


def _big_batch(path: pathlib.Path, n_analyses: int) -> pathlib.Path:
    import numpy as np

    rng = np.random.default_rng(19)
    k = 3
    ids = np.repeat(np.arange(n_analyses), k)
    yi = rng.normal(0, 0.3, n_analyses * k)
    vi = rng.uniform(0.01, 0.1, n_analyses * k)
    with open(path, "w") as fh:
        fh.write("analysis_id,yi,vi\n")
        fh.writelines(f"a{i},{y:.4f},{v:.4f}\n" for i, y, v in zip(ids, yi, vi))
    return path


def _cli(*argv: object) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "evigrade", *map(str, argv)], env=_env(), text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _wait_for(cond, timeout: float = 120) -> None:
    t0 = time.monotonic()
    while not cond():
        if time.monotonic() - t0 > timeout:
            raise AssertionError("timed out")
        time.sleep(0.01)


@pytest.mark.slow
def test_real_batch_killed_mid_run_then_rerun(tmp_path):
    """A real `evigrade batch` killed with SIGKILL while it writes: no output, a temp file; the next
    run removes it (with a note) and writes the whole output."""
    src = _big_batch(tmp_path / "big.csv", 150_000)
    target = tmp_path / "fits.csv"
    first = _cli("batch", src, "-o", target, "--chunk-rows", "3000", "--quiet")
    _wait_for(lambda: any(p.stat().st_size > 0 for p in _tmp_files(tmp_path, "fits.csv")))
    first.kill()
    first.communicate(timeout=60)
    assert not target.exists()
    left = _tmp_files(tmp_path, "fits.csv")
    assert len(left) == 1
    second = _cli("batch", src, "-o", target)
    out, err = second.communicate(timeout=600)
    assert second.returncode == 0, err
    assert f"note: removed {left[0]}" in err
    assert _tmp_files(tmp_path, "fits.csv") == []
    assert sum(1 for _ in open(target)) == 150_001


@pytest.mark.slow
def test_two_real_batch_runs_to_one_output(tmp_path):
    """The second of two concurrent runs fails at once and names the first; the first's output is whole."""
    src = _big_batch(tmp_path / "big.csv", 100_000)
    target = tmp_path / "fits.csv"
    first = _cli("batch", src, "-o", target, "--chunk-rows", "3000")
    _wait_for(lambda: (tmp_path / ".fits.csv.lock").exists())
    second = _cli("batch", src, "-o", target)
    out2, err2 = second.communicate(timeout=600)
    out1, err1 = first.communicate(timeout=600)
    assert first.returncode == 0 and "wrote 100000 analyses" in out1, err1
    assert second.returncode == 3 and out2 == "", err2
    assert err2.startswith(f"error: {target}: another evigrade run is writing this output (pid {first.pid} on ")
    assert sum(1 for _ in open(target)) == 100_001
