#!/usr/bin/env python
"""Side-by-side benchmark of evigrade's batch engine against R metafor and the Python peers.

    python benchmarks/run_benchmarks.py                                  # 1k, 10k, 100k, 1M; 3 rounds
    python benchmarks/run_benchmarks.py --sizes 10000 100000 --rounds 5
    python benchmarks/run_benchmarks.py --sizes 300 --rounds 1 --metafor-n 10   # a smoke run
    python benchmarks/run_benchmarks.py --save benchmarks/results/engine.txt

Every tool is timed round by round, interleaved: in each round, for each size, every tool runs once
in an order that rotates from round to round, so that all tools see the same load on a shared
machine.  Each tool gets the same analyses: one seeded workload per size
(``evigrade.batch.workload.make_workload``: k uniform on 3..40, SMD-like sampling variances from
arm sizes 10..200, tau2 = 0 for a quarter of the analyses and log-uniform on 0.005..0.5 otherwise;
string analysis ids "A1", "A2", ... in pandas' default string dtype, which is Arrow-backed when
pyarrow is installed).  The loops (metafor, statsmodels) run on a stated subset: the first
``--metafor-n`` analyses of each size's workload; their rate is extrapolated.

Tools and tasks:

* evigrade ``batch.run`` on the DataFrame (validation, grouping, fitting, the output table) with
  the default engine (the compiled kernel when numba is installed: ``pip install 'evigrade[fast]'``)
  and, when numba is installed, also with the numpy engine (``engine.DEFAULT_ENGINE = "numpy"``);
  tasks REML + Hartung-Knapp + prediction interval, and PM + Wald z;
* PyMARE's fastest mode: ``VarianceBasedLikelihoodEstimator("REML")`` fitting all analyses of
  equal k in one call (REML estimate and tau2 only: no Hartung-Knapp, no prediction interval);
  the grouping of the DataFrame into equal-k blocks is timed with it;
* statsmodels ``combine_effects(method_re="iterated")`` (Paule-Mandel; statsmodels has no REML)
  in a loop, compared with the PM task; splitting the DataFrame is timed with it;
* R metafor: ``rma(method="REML", test="knha") + predict()`` and ``rma(method="PM")`` in a loop
  with metafor's default control, via Rscript (``benchmarks/metafor_loop.R``); only the loop is
  timed (reading and splitting the table in R are not, which favours metafor).

The table gives the median seconds over the rounds, the rate (analyses per second) and how many
times faster evigrade's default engine is ("evigrade x"): the ratio of the median rates, with the
range of the per-round ratios.  Agreement is then measured, untimed, against tightly converged
metafor (threshold 1e-12, maxiter 10000) on the first ``--agree-n`` analyses of one workload.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import gc
import io
import os
import pathlib
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np
import pandas as pd

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))

from evigrade import batch  # noqa: E402
from evigrade.batch import engine as _engine  # noqa: E402
from evigrade.batch.workload import make_workload  # noqa: E402

SEED = 20261125
#: the columns compared with metafor (REML + knha + predict)
AGREE_COLS = ("estimate", "se", "ci_low", "ci_high", "tau2", "pi_low", "pi_high")


class Report:
    """Prints each line and keeps a copy (for --save)."""

    def __init__(self) -> None:
        self.buf = io.StringIO()

    def __call__(self, *parts: object) -> None:
        line = " ".join(str(p) for p in parts)
        print(line, flush=True)
        self.buf.write(line + "\n")

    def save(self, path: str | None) -> None:
        """With --save PATH: write every line printed so far to PATH (folders created)."""
        if path:
            out = pathlib.Path(path)
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(self.buf.getvalue())
            print(f"saved {out}")


def numba_compiled() -> bool:
    from evigrade.batch import _kernel

    return bool(_kernel.compiled())


def evigrade_fit(df: pd.DataFrame, engine: str, method: str, test: str, pi: bool):
    old = _engine.DEFAULT_ENGINE
    _engine.DEFAULT_ENGINE = engine
    try:
        return batch.run(df, method, test, pi=pi)
    finally:
        _engine.DEFAULT_ENGINE = old


def pymare_fit(df: pd.DataFrame):
    """PyMARE's fastest mode: one vectorised call per distinct k; returns (analysis ids, tau2, estimate)."""
    from pymare.estimators import VarianceBasedLikelihoodEstimator

    ids_all, tau2_all, est_all = [], [], []
    aid = df["analysis_id"].to_numpy()
    start = np.flatnonzero(np.r_[True, aid[1:] != aid[:-1]])
    k = np.diff(np.r_[start, len(aid)])
    y, v = df["yi"].to_numpy(), df["vi"].to_numpy()
    for kk in np.unique(k):
        idx = np.flatnonzero(k == kk)
        rows = (start[idx][:, None] + np.arange(kk)[None, :]).ravel()
        est = VarianceBasedLikelihoodEstimator(method="REML")
        est.fit(y=y[rows].reshape(-1, kk).T, v=v[rows].reshape(-1, kk).T, X=np.ones((kk, 1)))
        res = est.summary()
        ids_all.append(aid[start[idx]])
        tau2_all.append(np.asarray(res.tau2, dtype=float).ravel())
        est_all.append(np.asarray(res.fe_params, dtype=float).ravel())
    return np.concatenate(ids_all), np.concatenate(tau2_all), np.concatenate(est_all)


def statsmodels_fit(df: pd.DataFrame):
    """statsmodels combine_effects (iterated = Paule-Mandel) one analysis at a time; (ids, tau2, estimate)."""
    from statsmodels.stats.meta_analysis import combine_effects

    ids, tau2, est = [], [], []
    for a, g in df.groupby("analysis_id", sort=False):
        r = combine_effects(g["yi"].to_numpy(), g["vi"].to_numpy(), method_re="iterated")
        ids.append(a)
        tau2.append(r.tau2)
        est.append(r.mean_effect_re)
    return np.asarray(ids), np.asarray(tau2), np.asarray(est)


def first_analyses(df: pd.DataFrame, n: int) -> pd.DataFrame:
    aid = df["analysis_id"].to_numpy()
    start = np.flatnonzero(np.r_[True, aid[1:] != aid[:-1]])
    end = start[n] if n < len(start) else len(df)
    return df.iloc[:end]


def run_metafor(mode: str, tasks: str, paths: list[pathlib.Path]) -> tuple[dict, str, dict]:
    """Rscript metafor_loop.R; returns ({(path, task): (n, seconds)}, version, {(path, task): failed})."""
    proc = subprocess.run(["Rscript", str(HERE / "metafor_loop.R"), mode, tasks, *map(str, paths)],
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"metafor_loop.R failed: {proc.stderr.strip()[-500:]}")
    timings, failed, version = {}, {}, ""
    for line in proc.stdout.splitlines():
        parts = line.split()
        if parts[:1] == ["TIMING"]:
            timings[(parts[1], parts[2])] = (int(parts[3]), float(parts[4]))
        elif parts[:1] == ["FAILED"]:
            failed[(parts[1], parts[2])] = int(parts[3])
        elif parts[:1] == ["VERSION"]:
            version = " ".join(parts[1:])
    return timings, version, failed


def diffs(a, b) -> tuple[float, float, int]:
    """(max |a - b|, max |a - b| / max(|b|, 1), number compared) over the pairs where both are finite."""
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    ok = np.isfinite(a) & np.isfinite(b)
    if not ok.any():
        return float("nan"), float("nan"), 0
    d = np.abs(a[ok] - b[ok])
    return float(d.max()), float((d / np.maximum(np.abs(b[ok]), 1.0)).max()), int(ok.sum())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000, 1_000_000],
                    help="numbers of analyses (default 1000 10000 100000 1000000)")
    ap.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default 3)")
    ap.add_argument("--metafor-n", type=int, default=500,
                    help="analyses per size for the loops (metafor, statsmodels; default 500)")
    ap.add_argument("--agree-n", type=int, default=2000, help="analyses compared with tight metafor (default 2000)")
    ap.add_argument("--no-metafor", action="store_true", help="skip R metafor even when Rscript is on PATH")
    ap.add_argument("--save", metavar="FILE", help="also write the report to FILE")
    args = ap.parse_args(argv)
    if min(args.sizes) < 1 or args.rounds < 1 or args.metafor_n < 1:
        ap.error("sizes, --rounds and --metafor-n must be >= 1")

    warnings.simplefilter("ignore")
    rep = Report()
    has_r = shutil.which("Rscript") is not None and not args.no_metafor
    has_numba = numba_compiled()
    try:
        import pymare
        has_pymare = True
    except ImportError:
        has_pymare = False
    try:
        import statsmodels
        has_sm = True
    except ImportError:
        has_sm = False
    try:
        import pyarrow
        pa_version = pyarrow.__version__
    except ImportError:
        pa_version = "not installed"

    rep("evigrade batch engine benchmark", _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"))
    rep("command: python benchmarks/run_benchmarks.py " + " ".join(sys.argv[1:] if argv is None else argv))
    rep(f"machine: {platform.machine()}, {os.cpu_count()} cores, load average at start "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}; Python {platform.python_version()}, numpy {np.__version__}, "
        f"pandas {pd.__version__}, pyarrow {pa_version}")
    peers = []
    if has_numba:
        import numba
        peers.append(f"numba {numba.__version__}")
    if has_pymare:
        peers.append(f"PyMARE {pymare.__version__}")
    if has_sm:
        peers.append(f"statsmodels {statsmodels.__version__}")
    rep("installed: " + (", ".join(peers) or "no peers"))
    rep(f"workload: make_workload(n, seed={SEED}); k uniform 3..40; string ids; sizes {args.sizes}; "
        f"{args.rounds} interleaved rounds; loops on the first {args.metafor_n} analyses of each size")

    data = {n: make_workload(n, seed=SEED) for n in args.sizes}
    rep(f"analysis_id dtype: {data[args.sizes[0]]['analysis_id'].dtype!r}; evigrade kernel threads: up to "
        f"{_engine.THREADS or len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else os.cpu_count()} "
        f"(one per {_engine._ROWS_PER_THREAD:,} rows); 'cpu s': median process CPU seconds (all threads)")
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="evigrade-bench-"))
    subsets = {n: first_analyses(data[n], args.metafor_n) for n in args.sizes}
    sub_paths = {}
    for n in args.sizes:
        sub_paths[n] = tmp / f"sub_{n}.csv"
        subsets[n][["analysis_id", "yi", "vi"]].to_csv(sub_paths[n], index=False, float_format="%.17g")
    n_sub = {n: int(subsets[n]["analysis_id"].nunique()) for n in args.sizes}

    default_label = "evigrade (default: numba kernel)" if has_numba else "evigrade (default: numpy engine)"
    # (tool, task, loop?) -> callable(size) ; loops time n_sub[size] analyses
    tools: list[tuple[str, str, bool, object]] = [
        (default_label, "REML+HKSJ+PI", False, lambda n: evigrade_fit(data[n], "auto", "REML", "knha", True)),
        (default_label, "PM+z", False, lambda n: evigrade_fit(data[n], "auto", "PM", "z", False)),
    ]
    if has_numba:
        tools.append(("evigrade numpy engine", "REML+HKSJ+PI", False,
                      lambda n: evigrade_fit(data[n], "numpy", "REML", "knha", True)))
        tools.append(("evigrade numpy engine", "PM+z", False, lambda n: evigrade_fit(data[n], "numpy", "PM", "z", False)))
    if has_pymare:
        tools.append(("PyMARE equal-k vectorised (REML only)", "REML+HKSJ+PI", False, lambda n: pymare_fit(data[n])))
    if has_sm:
        tools.append(("statsmodels combine_effects loop", "PM+z", True, lambda n: statsmodels_fit(subsets[n])))
    METAFOR = "R metafor rma() loop"
    if has_r:
        tools.append((METAFOR, "*", True, None))

    # warm-up (untimed): numba compiles or loads its cache, imports, first-touch of the data
    small = first_analyses(data[args.sizes[0]], 200)
    for eng in ("auto", "numpy"):
        evigrade_fit(small, eng, "REML", "knha", True)
        evigrade_fit(small, eng, "PM", "z", False)
    if has_pymare:
        pymare_fit(small)
    if has_sm:
        statsmodels_fit(first_analyses(small, 5))

    times: dict[tuple[str, str, int], list[float]] = {}
    cpu: dict[tuple[str, str, int], list[float]] = {}  # process CPU seconds (all threads) of the Python tools
    r_version = ""
    failed_r: dict = {}
    for r in range(args.rounds):
        t_round = time.perf_counter()
        for n in args.sizes:
            order = tools[r % len(tools):] + tools[: r % len(tools)]
            for tool, task, _loop, fn in order:
                gc.collect()
                if tool == METAFOR:
                    timings, r_version, failed = run_metafor("time", "reml,pm", [sub_paths[n]])
                    failed_r.update(failed)
                    for t_name, label in (("reml", "REML+HKSJ+PI"), ("pm", "PM+z")):
                        times.setdefault((tool, label, n), []).append(timings[(str(sub_paths[n]), t_name)][1])
                    continue
                t0, c0 = time.perf_counter(), time.process_time()
                fn(n)
                times.setdefault((tool, task, n), []).append(time.perf_counter() - t0)
                cpu.setdefault((tool, task, n), []).append(time.process_time() - c0)
        rep(f"round {r + 1}/{args.rounds}: {time.perf_counter() - t_round:.1f} s, load average "
            f"{os.getloadavg()[0]:.2f}")
    if has_r:
        rep(f"R: {r_version}")
    rep("")

    # ---- the table
    def n_of(tool: str, n: int) -> int:
        return n_sub[n] if any(t == tool and loop for t, _, loop, _ in tools) else n

    rep(f"{'tool':<40} {'task':<13} {'analyses':>9} {'median s':>9} {'min-max s':>15} {'cpu s':>8} {'analyses/s':>12} "
        f"{'evigrade x':>11} {'per-round x':>17}")
    rep("-" * 142)
    ratios: dict[tuple[str, str, int], tuple[float, float, float]] = {}
    for n in args.sizes:
        for task in ("REML+HKSJ+PI", "PM+z"):
            base = times[(default_label, task, n)]
            for (tool, t, nn), secs in times.items():
                if nn != n or t != task:
                    continue
                na = n_of(tool, n)
                rate = na / float(np.median(secs))
                base_rate = n / float(np.median(base))
                per_round = [(n / b) / (na / s) for b, s in zip(base, secs)]
                ratios[(tool, task, n)] = (base_rate / rate, min(per_round), max(per_round))
                ex = "" if tool == default_label else f"{base_rate / rate:>11,.1f}"
                pr = "" if tool == default_label else f"{min(per_round):>8,.1f}-{max(per_round):<8,.1f}"
                c = cpu.get((tool, t, nn))
                cs = f"{np.median(c):>8.3f}" if c else f"{'-':>8}"
                rep(f"{tool:<40} {task:<13} {na:>9,} {np.median(secs):>9.3f} "
                    f"{min(secs):>7.3f}-{max(secs):<7.3f} {cs} {rate:>12,.0f} {ex:>11} {pr:>17}")
        rep("")
    if failed_r:
        rep("metafor stopped with an error (non-convergence, left out of its timing's results) on: "
            + ", ".join(f"{pathlib.Path(p).stem} {t}: {k}" for (p, t), k in sorted(failed_r.items())))

    # ---- agreement with tightly converged metafor (untimed)
    agree = {}
    if has_r:
        n_ag = 10_000 if 10_000 in data else args.sizes[0]
        sub = first_analyses(data[n_ag], args.agree_n)
        p = tmp / "agree.csv"
        sub[["analysis_id", "yi", "vi"]].to_csv(p, index=False, float_format="%.17g")
        _, _, failed = run_metafor("tight", "reml,pm", [p])
        ref = {t: pd.read_csv(tmp / f"agree_{t}.out.csv", dtype={"analysis_id": str}).set_index("analysis_id")
               for t in ("reml", "pm")}
        n_ref = len(ref["reml"])
        rep(f"agreement with tightly converged metafor (threshold 1e-12, maxiter 10000; PM tol 1e-12) on the first "
            f"{n_ref:,} analyses of the {n_ag:,} workload, fitted within the whole workload (untimed); "
            f"max |difference| and max |difference| / max(|metafor|, 1)"
            + (f"; metafor failed on {failed}" if failed else ""))
        engines = [("auto", default_label)] + ([("numpy", "evigrade numpy engine")] if has_numba else [])
        for eng, label in engines:
            for task, meth, test, pi in (("reml", "REML", "knha", True), ("pm", "PM", "z", False)):
                tab = evigrade_fit(data[n_ag], eng, meth, test, pi).table.set_index("analysis_id").loc[ref[task].index]
                cols = AGREE_COLS if pi else AGREE_COLS[:5]
                per = {c: diffs(tab[c], ref[task][c]) for c in cols}
                worst_abs = max(v[0] for v in per.values())
                worst_rel = max(v[1] for v in per.values())
                agree[(label, task)] = worst_abs
                rep(f"  {label + ' ' + meth:<48} max abs {worst_abs:.1e}  scaled {worst_rel:.1e}  ("
                    + ", ".join(f"{c} {v[0]:.0e}" for c, v in per.items()) + ")")
        if has_pymare:
            ids, t2, est = pymare_fit(sub)
            s = pd.DataFrame({"tau2": t2, "estimate": est}, index=ids).loc[ref["reml"].index]
            rep(f"  {'PyMARE REML':<48} max abs tau2 {diffs(s.tau2, ref['reml'].tau2)[0]:.1e}  "
                f"estimate {diffs(s.estimate, ref['reml'].estimate)[0]:.1e}")
        if has_sm:
            ids, t2, est = statsmodels_fit(sub)
            s = pd.DataFrame({"tau2": t2, "estimate": est}, index=ids).loc[ref["pm"].index]
            rep(f"  {'statsmodels combine_effects (PM)':<48} max abs tau2 {diffs(s.tau2, ref['pm'].tau2)[0]:.1e}  "
                f"estimate {diffs(s.estimate, ref['pm'].estimate)[0]:.1e}")
        rep("")

    # ---- targets (issue 18)
    def verdict(ok: bool) -> str:
        return "met" if ok else "MISSED"

    rep("targets (issue 18; ratios of median rates, per-round range in brackets)")
    pym = "PyMARE equal-k vectorised (REML only)"
    for n in args.sizes:
        if (pym, "REML+HKSJ+PI", n) in ratios:
            x, lo, hi = ratios[(pym, "REML+HKSJ+PI", n)]
            rep(f"  {n:>9,} analyses: {x:6.1f} x PyMARE's fastest mode [{lo:.1f}-{hi:.1f}] (target >= 10): "
                f"{verdict(x >= 10)}")
    for n in args.sizes:
        if (METAFOR, "REML+HKSJ+PI", n) in ratios:
            x, lo, hi = ratios[(METAFOR, "REML+HKSJ+PI", n)]
            tgt = " (target >= 3,000 at 10k): " + verdict(x >= 3000) if n == 10_000 else ""
            rep(f"  {n:>9,} analyses: {x:8,.0f} x metafor's rma()+predict() loop [{lo:,.0f}-{hi:,.0f}]{tgt}")
    for (label, task), a in agree.items():
        if task == "reml":
            rep(f"  agreement, {label} REML+HKSJ+PI vs tight metafor: {a:.1e} (target <= 1e-9): {verdict(a <= 1e-9)}")
    shutil.rmtree(tmp, ignore_errors=True)
    rep.save(args.save)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
