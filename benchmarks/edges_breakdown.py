#!/usr/bin/env python
"""Where the time of one ``evigrade batch IN.csv -o OUT.csv`` run goes, stage by stage (untimed by tests).

    python benchmarks/edges_breakdown.py                 # 100,000 analyses of the benchmark workload
    python benchmarks/edges_breakdown.py --n 10000 --rounds 3

Prints (1) the start-up floor as separate processes, cumulatively: the interpreter, numpy, pyarrow's CSV
and compute modules, evigrade's streamed batch path (with the kernel module), the command line; and
(2) one streamed run in process, each stage timed where it runs: wall seconds and the CPU seconds of
the thread it runs on (the CSV is parsed on a reader thread and the output written on a writer thread,
so stages overlap and their wall times do not add up).  The engine's own stages (the compiled kernel
and the numpy finish) are the kernel's; reading, run starts, the result table and writing are the edges.
"""
from __future__ import annotations

import argparse
import os
import pathlib
import subprocess
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))

_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}

FLOOR = [
    ("python -c pass", "pass"),
    ("+ numpy", "import numpy"),
    ("+ pyarrow.csv, pyarrow.compute", "import numpy, pyarrow.csv, pyarrow.compute"),
    ("+ evigrade.batch.stream, _kernel", "import evigrade.batch.stream, evigrade.batch._kernel"),
    ("+ evigrade.cli, cli.batch (no typer)", "import evigrade.batch.stream, evigrade.batch._kernel, evigrade.cli, "
                                             "evigrade.cli.batch"),
]


def cpu_of(cmd: list[str], rounds: int) -> tuple[float, float]:
    """(median wall, median CPU) seconds of a new process."""
    walls, cpus = [], []
    for _ in range(rounds):
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, env=_ENV, stdout=subprocess.DEVNULL)
        _, status, ru = os.wait4(p.pid, 0)
        if status:
            raise RuntimeError(f"{cmd} failed")
        walls.append(time.perf_counter() - t0)
        cpus.append(ru.ru_utime + ru.ru_stime)
    return sorted(walls)[len(walls) // 2], sorted(cpus)[len(cpus) // 2]


def in_process(src: pathlib.Path, out: pathlib.Path) -> None:
    from evigrade.batch import _kernel, engine, io, stream

    acc: dict[str, list[float]] = {}

    def wrap(owner: object, name: str, label: str) -> None:
        f = getattr(owner, name)

        def timed(*a, **k):
            t, c = time.perf_counter(), time.thread_time()
            try:
                return f(*a, **k)
            finally:
                w = acc.setdefault(label, [0.0, 0.0])
                w[0] += time.perf_counter() - t
                w[1] += time.thread_time() - c
        setattr(owner, name, timed)

    wrap(stream, "_open_csv", "open the CSV (header, types)")
    wrap(stream._Prefetch, "_produce", "parse the CSV (reader thread)")
    wrap(stream, "_run_starts", "run starts of the ids")
    wrap(stream, "_all_null", "blank-row check")
    wrap(stream, "_check_grouped", "grouping check")
    wrap(_kernel, "fit_all", "kernel (engine)")
    wrap(engine, "_finish", "finish: se, tests, intervals, notes (engine)")
    wrap(stream, "fit_table", "result table (Arrow)")
    wrap(io.ResultWriter, "write", "write the CSV (writer thread)")
    t0, c0 = time.perf_counter(), time.process_time()
    stream.run_stream(src, out)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(f"  run_stream in process: {wall:.3f} s wall, {cpu:.3f} s CPU (all threads)")
    for label, (w, c) in acc.items():
        print(f"    {label:<48} {w:7.3f} s wall {c:7.3f} s CPU")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    from bench_edges import write_csv  # noqa: E402  (this folder)
    from evigrade.batch import _kernel

    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}; kernel: "
          f"{'ahead of time' if _kernel._AOT is not None else 'numba JIT' if _kernel.compiled() else 'numpy'}")
    with tempfile.TemporaryDirectory() as tmp:
        src, tiny = pathlib.Path(tmp) / "in.csv", pathlib.Path(tmp) / "tiny.csv"
        write_csv(src, args.n)
        write_csv(tiny, 10)
        print(f"start-up floor, new process each time (median of {args.rounds}):")
        for label, code in FLOOR:
            w, c = cpu_of([sys.executable, "-c", code], args.rounds)
            print(f"  {label:<40} {w:6.3f} s wall {c:6.3f} s CPU")
        exe = str(pathlib.Path(sys.executable).with_name("evigrade"))
        for label, f in (("evigrade batch, 10 analyses", tiny), (f"evigrade batch, {args.n:,} analyses", src)):
            w, c = cpu_of([exe, "batch", str(f), "-o", str(pathlib.Path(tmp) / "o.csv"), "-q"], args.rounds)
            print(f"  {label:<40} {w:6.3f} s wall {c:6.3f} s CPU")
        print(f"stages of one streamed run ({args.n:,} analyses):")
        in_process(src, pathlib.Path(tmp) / "o2.csv")
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
