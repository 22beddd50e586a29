#!/usr/bin/env python
"""Whole-process benchmarks of the evigrade CLI: what a user waits for, not only the engine.

    python benchmarks/bench_edges.py                       # every part (10M streamed takes minutes)
    python benchmarks/bench_edges.py --only cli summarize  # parts: cli summarize stream dask
    python benchmarks/bench_edges.py --cli-n 1000 --stream-n 2000 --dask-n 2000 --rounds 1 --metafor-n 10  # smoke
    python benchmarks/bench_edges.py --save benchmarks/results/edges.txt

Parts (each one a new process per run, as a user starts it; wall time from spawn to exit, CPU time and peak
resident memory of that process from ``os.wait4``):

* ``cli``: ``evigrade batch IN.csv -o OUT.csv -q`` on ``--cli-n`` analyses (default 100,000; CSV in
  and out, string ids, the default streaming path), interleaved round by round with R metafor's
  ``rma(method="REML", test="knha") + predict()`` loop (default control, ``metafor_loop.R``) on the
  first ``--metafor-n`` analyses of the same file, extrapolated to all of them; only metafor's loop
  is timed (R's start, reading and splitting the file are not, which favours metafor).  The same
  command on a 10-analysis file is timed too: the fixed cost of starting the process.
* ``summarize``: ``evigrade summarize`` (the bundled pack, printed to a pipe) beside
  ``python -c "import numpy"``, interleaved; "cold" means a new process each time (the operating
  system's file cache is warm, as on any second run).
* ``stream``: ``evigrade batch IN.parquet -o OUT.parquet -q`` on ``--stream-n`` analyses (default
  10,000,000; the same workload, written in blocks of 1M analyses), with its peak RSS.
* ``dask``: ``evigrade batch IN.parquet -o OUT.parquet --dask-workers N`` (a LocalCluster of N
  single-threaded worker processes) for each N of ``--dask-workers`` (default 4) on ``--dask-n``
  analyses (default 1,000,000) beside the same command in process, ``--dask-rounds`` rounds interleaved:
  the speed-up over in process for each N and the largest difference between the outputs.  How Dask
  scales needs a machine with more cores than workers, e.g. ``--only dask --dask-workers 1 2 4 8
  --dask-rounds 3`` on 8 or more cores.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import os
import pathlib
import platform
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np
import pandas as pd

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))

from evigrade.batch.workload import make_workload  # noqa: E402
from run_benchmarks import Report  # noqa: E402  (this folder; the same line printer and --save buffer)

SEED = 20261125
PARTS = ("cli", "summarize", "stream", "dask")
BLOCK = 1_000_000  # analyses per generated block


def evigrade_exe() -> str:
    """The console script next to this interpreter (what `pip install evigrade` puts on PATH)."""
    exe = pathlib.Path(sys.executable).with_name("evigrade")
    return str(exe) if exe.exists() else shutil.which("evigrade") or "evigrade"


#: Runs argv[1:] and prints "<wall seconds> <peak RSS KiB> <CPU seconds>" of that process (CPU = user + system
#: time of the process and its threads: what the run costs whatever the load; wall time stretches with it).  The measured process is a
#: grandchild of the benchmark: Python starts children with vfork, and on Linux a child's ru_maxrss then
#: starts from its parent's high-water mark, so a child of the (large) benchmark process would report
#: the benchmark's own peak; this small wrapper's is ~10 MiB.
_WRAP = ("import os, subprocess, sys, time\n"
         "t0 = time.perf_counter()\n"
         "p = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)\n"
         "_, status, ru = os.wait4(p.pid, 0)\n"
         "wall = time.perf_counter() - t0\n"
         "print(wall, ru.ru_maxrss, ru.ru_utime + ru.ru_stime, flush=True)\n"
         "sys.exit(os.waitstatus_to_exitcode(status))\n")


#: Measured commands run without PYTHONDONTWRITEBYTECODE (set in some shells and CI images): with it and
#: an editable install that has no bytecode yet, Python compiles every evigrade module from source at each
#: start (0.6 s more CPU for ``summarize``), which an installed package never does (pip writes the bytecode
#: at install time); here the warm-up runs write it.
_BASE_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def timed(cmd: list[str], cwd: pathlib.Path | None = None,
          env: dict[str, str] | None = None) -> tuple[float, int, float]:
    """(wall seconds, peak RSS bytes, CPU seconds) of one process, from spawn to exit; raises on a non-zero exit."""
    proc = subprocess.run([sys.executable, "-c", _WRAP, *cmd], capture_output=True, text=True, cwd=cwd,
                          env={**_BASE_ENV, **(env or {})}, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode}: {proc.stderr.strip()[-800:]}")
    wall, kib, cpu = proc.stdout.split()
    return float(wall), int(kib) * 1024, float(cpu)


def workload_blocks(n: int):
    """The seeded workload of n analyses in blocks of at most BLOCK analyses, with ids unique across blocks."""
    for b, start in enumerate(range(0, n, BLOCK)):
        m = min(BLOCK, n - start)
        df = make_workload(m, seed=SEED + b)
        if b:
            df["analysis_id"] = f"B{b}_" + df["analysis_id"]
        yield df


def write_csv(path: pathlib.Path, n: int) -> int:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    rows = 0
    with open(path, "wb") as fh:
        for i, df in enumerate(workload_blocks(n)):
            t = pa.Table.from_pandas(df, preserve_index=False)
            pacsv.write_csv(t, fh, write_options=pacsv.WriteOptions(include_header=(i == 0)))
            rows += len(df)
    return rows


def write_parquet(path: pathlib.Path, n: int) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows, writer = 0, None
    try:
        for df in workload_blocks(n):
            t = pa.Table.from_pandas(df, preserve_index=False).cast(
                pa.schema([("analysis_id", pa.string()), ("study", pa.int64()), ("yi", pa.float64()),
                           ("vi", pa.float64())]))
            if writer is None:
                writer = pq.ParquetWriter(path, t.schema)
            writer.write_table(t, row_group_size=1 << 20)
            rows += len(df)
    finally:
        if writer is not None:
            writer.close()
    return rows


def first_analyses_csv(src: pathlib.Path, dst: pathlib.Path, n: int) -> int:
    df = pd.read_csv(src, dtype={"analysis_id": str}, nrows=60 * n)
    aid = df["analysis_id"].to_numpy()
    start = np.flatnonzero(np.r_[True, aid[1:] != aid[:-1]])
    df.iloc[: start[n] if n < len(start) else len(df)][["analysis_id", "yi", "vi"]].to_csv(
        dst, index=False, float_format="%.17g")
    return min(n, len(start))


def metafor_loop(path: pathlib.Path) -> tuple[int, float, str]:
    proc = subprocess.run(["Rscript", str(HERE / "metafor_loop.R"), "time", "reml", str(path)],
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr.strip()[-500:])
    n, sec, version = 0, float("nan"), ""
    for line in proc.stdout.splitlines():
        p = line.split()
        if p[:1] == ["TIMING"]:
            n, sec = int(p[3]), float(p[4])
        elif p[:1] == ["VERSION"]:
            version = " ".join(p[1:])
    return n, sec, version


def gib(b: float) -> str:
    return f"{b / 2**30:.2f} GiB"


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def part_cli(rep: Report, args, tmp: pathlib.Path) -> None:
    n = args.cli_n
    src = tmp / "cli_in.csv"
    rows = write_csv(src, n)
    tiny = tmp / "cli_tiny.csv"
    write_csv(tiny, 10)
    sub = tmp / "cli_sub.csv"
    has_r = shutil.which("Rscript") is not None and not args.no_metafor
    n_sub = first_analyses_csv(src, sub, args.metafor_n) if has_r else 0
    rep(f"[cli] evigrade batch on {n:,} analyses ({rows:,} rows, {src.stat().st_size / 2**20:,.0f} MiB CSV, "
        f"string ids), CSV out; {args.rounds} rounds interleaved with metafor's loop on the first {n_sub} analyses")
    exe = evigrade_exe()
    no_numba = {"EVIGRADE_NO_NUMBA": "1"}  # the numpy engine, as users without the 'fast' extra run it
    # (the default run uses the ahead-of-time kernel when `make install` built it, else numba's JIT)
    timed([exe, "batch", str(tiny), "-o", str(tmp / "tiny_out.csv"), "-q"])  # warm-up (numba cache, pyc)
    res: dict[str, list[float]] = {s: [] for s in ("evigrade", "tiny", "numpy", "tiny_numpy")}
    cpu: dict[str, list[float]] = {s: [] for s in res}
    rss: list[int] = []
    mf: list[float] = []
    version = ""
    steps = list(res) + (["metafor"] if has_r else [])
    for r in range(args.rounds):
        for s in steps[r % len(steps):] + steps[: r % len(steps)]:
            if s == "metafor":
                k, sec, version = metafor_loop(sub)
                mf.append(sec / k)
                continue
            big = s in ("evigrade", "numpy")
            w, m, c = timed([exe, "batch", str(src if big else tiny), "-o", str(tmp / f"{s}_out.csv"), "-q"],
                         env=no_numba if "numpy" in s else None)
            res[s].append(w)
            cpu[s].append(c)
            if s == "evigrade":
                rss.append(m)
    walls, tiny_walls = res["evigrade"], res["tiny"]
    with open(tmp / "evigrade_out.csv") as fh:
        out_rows = sum(1 for _ in fh) - 1
    med = float(np.median(walls))
    rep(f"  evigrade batch, whole process: median {med:.2f} s (min {min(walls):.2f}, max {max(walls):.2f}), "
        f"{n / med:,.0f} analyses/s, peak RSS {gib(max(rss))}; {out_rows:,} result rows")
    rep(f"  the same command on 10 analyses (start-up floor): median {np.median(tiny_walls):.2f} s")
    rep(f"  without numba (EVIGRADE_NO_NUMBA=1, numpy engine): median {np.median(res['numpy']):.2f} s on {n:,}, "
        f"{np.median(res['tiny_numpy']):.2f} s on 10 analyses")
    rep(f"  CPU seconds (user + system, median): {np.median(cpu['evigrade']):.2f} on {n:,} and "
        f"{np.median(cpu['tiny']):.2f} on 10 analyses; without numba {np.median(cpu['numpy']):.2f} and "
        f"{np.median(cpu['tiny_numpy']):.2f}")
    if mf:
        per = float(np.median(mf))
        x = per * n / med
        per_round = [p * n / w for p, w in zip(mf, walls)]
        rep(f"  R metafor rma()+predict() loop ({version}): median {1 / per:,.0f} analyses/s, "
            f"{per * n:,.0f} s extrapolated to {n:,}")
        rep(f"  => evigrade batch end to end: {x:,.0f} x metafor's loop [per round {min(per_round):,.0f}-"
            f"{max(per_round):,.0f}] (target >= 500): {verdict(x >= 500)}")
    rep("")


def part_summarize(rep: Report, args, tmp: pathlib.Path) -> None:
    exe = evigrade_exe()
    cmds = {"python -c 'import numpy'": [sys.executable, "-c", "import numpy"],
            "evigrade summarize": [exe, "summarize"]}
    for c in cmds.values():
        timed(c, cwd=tmp)  # warm-up: pyc files and the OS file cache
    res: dict[str, list[float]] = {k: [] for k in cmds}
    cpu: dict[str, list[float]] = {k: [] for k in cmds}
    rounds = max(args.rounds, 5)
    for r in range(rounds):
        for name in (list(cmds) if r % 2 == 0 else list(cmds)[::-1]):
            w, _, c = timed(cmds[name], cwd=tmp)
            res[name].append(w)
            cpu[name].append(c)
    rep(f"[summarize] new process each time, {rounds} rounds interleaved (median, min-max; CPU = user + system)")
    for name, w in res.items():
        rep(f"  {name:<28} {np.median(w):.2f} s ({min(w):.2f}-{max(w):.2f}), CPU {np.median(cpu[name]):.2f} s")
    med = float(np.median(res["evigrade summarize"]))
    rep(f"  => evigrade summarize cold: {med:.2f} s (target < 1.0 s): {verdict(med < 1.0)}")
    rep("")


def part_stream(rep: Report, args, tmp: pathlib.Path) -> None:
    n = args.stream_n
    src = tmp / "stream_in.parquet"
    t0 = time.perf_counter()
    rows = write_parquet(src, n)
    rep(f"[stream] {n:,} analyses ({rows:,} rows, {src.stat().st_size / 2**30:.2f} GiB Parquet; written in "
        f"{time.perf_counter() - t0:.0f} s, untimed)")
    out = tmp / "stream_out.parquet"
    wall, rss, _ = timed([evigrade_exe(), "batch", str(src), "-o", str(out), "-q"])
    import pyarrow.parquet as pq

    n_out = pq.ParquetFile(out).metadata.num_rows
    src.unlink()
    out.unlink()
    rep(f"  evigrade batch (streamed, Parquet in and out): {wall:.0f} s, {n / wall:,.0f} analyses/s, "
        f"peak RSS {gib(rss)}; {n_out:,} result rows")
    rep(f"  => {n:,} analyses streamed in {gib(rss)} peak (target < 2 GiB): {verdict(rss < 2 * 2**30)}")
    rep("")


def _compare(a: "pd.DataFrame", b: "pd.DataFrame") -> tuple[bool, bool, int, float, float, list[str]]:
    """(same analyses in the same order, non-float columns identical, float values that differ, largest
    absolute and relative difference, the non-float columns) of two result tables."""
    same_ids = len(a) == len(b) and bool((a["analysis_id"].to_numpy() == b["analysis_id"].to_numpy()).all())
    num = [c for c in a.columns if pd.api.types.is_float_dtype(a[c])]
    worst_abs = worst_rel = 0.0
    n_diff = 0
    for c in num:
        x, y = a[c].to_numpy(), b[c].to_numpy()
        both = np.isfinite(x) & np.isfinite(y)
        if not np.array_equal(np.isfinite(x), np.isfinite(y)):
            raise RuntimeError(f"column {c}: finite in one output and not in the other")
        d = np.abs(x[both] - y[both])
        n_diff += int((d > 0).sum())
        if d.size:
            worst_abs = max(worst_abs, float(d.max()))
            worst_rel = max(worst_rel, float((d / np.maximum(np.abs(x[both]), 1e-300)).max()))
    other = [c for c in a.columns if c not in num and c != "analysis_id"]
    same_other = all(a[c].astype(str).equals(b[c].astype(str)) for c in other)
    return same_ids, same_other, n_diff, worst_abs, worst_rel, other


def part_dask(rep: Report, args, tmp: pathlib.Path) -> None:
    """The in-process run, then a LocalCluster of each of ``--dask-workers`` single-threaded worker
    processes (default 4), rounds interleaved: wall time, speed-up over in process, and agreement."""
    import pyarrow.parquet as pq

    n = args.dask_n
    src = tmp / "dask_in.parquet"
    write_parquet(src, n)
    exe = evigrade_exe()
    local_out = tmp / "local.parquet"
    walls: dict[int, list[float]] = {w: [] for w in [0, *args.dask_workers]}  # 0: in process
    rss: dict[int, int] = {}
    for _ in range(args.dask_rounds):
        for w in walls:
            out = local_out if w == 0 else tmp / f"dask{w}.parquet"
            cmd = [exe, "batch", str(src), "-o", str(out), "-q"] + ([] if w == 0 else ["--dask-workers", str(w)])
            wall, m, _ = timed(cmd)
            walls[w].append(wall)
            rss[w] = max(rss.get(w, 0), m)
    a = pq.read_table(local_out).to_pandas()
    local = float(np.median(walls[0]))
    rep(f"[dask] {n:,} analyses, Parquet in and out; LocalCluster of N single-threaded worker processes on "
        f"{os.cpu_count()} cores; {args.dask_rounds} round(s), interleaved; medians")
    rep(f"  in process: {local:.1f} s (peak RSS {gib(rss[0])})")
    for w in args.dask_workers:
        b = pq.read_table(tmp / f"dask{w}.parquet").to_pandas()
        same_ids, same_other, n_diff, worst_abs, worst_rel, other = _compare(a, b)
        med = float(np.median(walls[w]))
        rep(f"  --dask-workers {w}: {med:.1f} s (client process peak RSS {gib(rss[w])}); "
            f"speed-up over in process {local / med:.2f}x")
        rep(f"    same analyses in the same order: {same_ids}; non-float columns ({', '.join(other)}) identical: "
            f"{same_other}; float values that differ: {n_diff:,}; largest difference {worst_abs:.1e} absolute, "
            f"{worst_rel:.1e} relative")
    rep("")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", nargs="+", choices=PARTS, default=list(PARTS))
    ap.add_argument("--cli-n", type=int, default=100_000)
    ap.add_argument("--stream-n", type=int, default=10_000_000)
    ap.add_argument("--dask-n", type=int, default=1_000_000)
    ap.add_argument("--dask-workers", type=int, nargs="+", default=[4], metavar="N",
                    help="LocalCluster sizes to run (e.g. 1 2 4 8 16 on a machine with that many cores)")
    ap.add_argument("--dask-rounds", type=int, default=1)
    ap.add_argument("--metafor-n", type=int, default=500)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--no-metafor", action="store_true", help="skip R metafor even when Rscript is on PATH")
    ap.add_argument("--save", metavar="FILE")
    args = ap.parse_args(argv)
    rep = Report()
    rep("evigrade whole-process benchmarks", _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"))
    rep("command: python benchmarks/bench_edges.py " + " ".join(sys.argv[1:] if argv is None else argv))
    try:
        from evigrade.batch import _kernel
        kern = ("kernel compiled ahead of time (evigrade.batch._aot; numba not imported)" if _kernel._AOT is not None
                else "numba kernel (JIT, cached)" if _kernel.compiled() else "numpy engine (numba not installed)")
    except ImportError:
        kern = "?"
    import pyarrow

    rep(f"machine: {platform.machine()}, {os.cpu_count()} cores, load average at start "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}; Python {platform.python_version()}, pandas "
        f"{pd.__version__}, pyarrow {pyarrow.__version__}; engine: {kern}")
    rep(f"PYTHONDONTWRITEBYTECODE {'is set' if os.environ.get('PYTHONDONTWRITEBYTECODE') else 'is not set'} here; "
        "the measured commands run without it (evigrade's modules load from bytecode, as installed) unless stated")
    rep("")
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="evigrade-edges-"))
    try:
        for part in PARTS:
            if part in args.only:
                globals()[f"part_{part}"](rep, args, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    rep(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    rep.save(args.save)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
