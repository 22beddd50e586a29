"""The benchmark scripts in benchmarks/ run end to end on tiny sizes (a smoke test: nothing is timed
or compared with a target here; the figures are in docs/benchmarks.md)."""
from __future__ import annotations

import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
BENCH = ROOT / "benchmarks"

pytestmark = pytest.mark.slow


def _run(script: str, *args: str, tmp_path: pathlib.Path) -> str:
    proc = subprocess.run([sys.executable, str(BENCH / script), *args], capture_output=True, text=True,
                          cwd=tmp_path, timeout=280, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


def test_engine_benchmark_runs_on_a_tiny_size(tmp_path):
    pytest.importorskip("pyarrow")
    saved = tmp_path / "engine.txt"
    out = _run("run_benchmarks.py", "--sizes", "150", "--rounds", "1", "--metafor-n", "5", "--agree-n", "20",
               "--save", str(saved), tmp_path=tmp_path)
    assert "REML+HKSJ+PI" in out and "PM+z" in out
    assert "evigrade (default:" in out
    assert "targets (issue 18" in out
    assert saved.read_text().splitlines()[0].startswith("evigrade batch engine benchmark")


def test_whole_process_benchmark_runs_on_tiny_sizes(tmp_path):
    pytest.importorskip("pyarrow")
    out = _run("bench_edges.py", "--only", "cli", "stream", "--cli-n", "200", "--stream-n", "300",
               "--metafor-n", "5", "--rounds", "1", tmp_path=tmp_path)
    assert "200 result rows" in out  # the CLI run wrote one row per analysis
    assert "300 result rows" in out  # so did the streamed run
    assert "peak RSS" in out


def test_dask_scaling_benchmark_runs_on_a_tiny_size(tmp_path):
    pytest.importorskip("distributed")
    out = _run("bench_edges.py", "--only", "dask", "--dask-n", "300", "--dask-workers", "1", "2", "--dask-rounds", "1",
               tmp_path=tmp_path)
    assert "--dask-workers 1:" in out and "--dask-workers 2:" in out and "speed-up over in process" in out
    assert out.count("same analyses in the same order: True") == 2 and out.count("float values that differ: 0;") == 2
