#!/usr/bin/env python
"""Side-by-side benchmark of evigrade's batch engine against R metafor and the Python peers.

    python benchmarks/run_benchmarks.py                # the full run (about a minute)
    python benchmarks/run_benchmarks.py --quick        # a smoke run (seconds)
    python benchmarks/run_benchmarks.py --save         # also write benchmarks/results/latest.txt

One seeded workload (``evigrade.batch.workload.make_workload``: k uniform on 3..40, SMD-like
sampling variances from arm sizes 10..200, tau2 = 0 for a quarter of analyses and log-uniform on
0.005..0.5 otherwise) at 1k, 10k and 100k analyses.  In the same run it times:

* evigrade batch (``evigrade.batch.run`` on a DataFrame: validation, grouping, fitting and the
  output table): REML + HKSJ + prediction interval; and the same plus Q-profile CIs for tau2;
* evigrade one-at-a-time (``evigrade.stats.meta_analysis`` in a loop, on a subset);
* R metafor: ``rma(method="REML", test="knha") + predict()`` in a loop and ``confint()`` in a
  loop (Rscript, ``benchmarks/metafor_loop.R``), on subsets (the rate is extrapolated);
* PyMARE's fastest mode (``VarianceBasedLikelihoodEstimator("REML")`` fitting all analyses of
  equal k in one call);
* statsmodels ``combine_effects`` (no REML there: Paule-Mandel, ``method_re="iterated"``, compared
  with metafor's PM) in a loop;
* pimeta: the R package pimeta is not in Debian's archive (``apt-cache search r-cran-pimeta`` finds
  nothing) and CRAN is not reachable here, so it is not run.  PyPI has an unrelated package of the
  same name (a pure-Python port of metafor's ``rma``); it is timed when installed and labelled as such.

Throughput is analyses per second; "x metafor" divides by metafor's rate for the same task.
Agreement is the maximum absolute difference from metafor (run with
``control=list(threshold=1e-10, maxiter=1000)``) over the analyses metafor fitted.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import io
import os
import pathlib
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
import warnings

import numpy as np
import pandas as pd

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))

from evigrade import batch  # noqa: E402
from evigrade.batch.workload import make_workload  # noqa: E402

SEED = 20261125


class Report:
    def __init__(self) -> None:
        self.buf = io.StringIO()

    def __call__(self, *parts: object) -> None:
        line = " ".join(str(p) for p in parts)
        print(line, flush=True)
        self.buf.write(line + "\n")


def best_of(fn, repeats: int) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def max_abs(a, b) -> float:
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    ok = np.isfinite(a) & np.isfinite(b)
    return float(np.max(np.abs(a[ok] - b[ok]))) if ok.any() else float("nan")


def fmt_rate(r: float) -> str:
    return f"{r:>12,.0f}"


def run_metafor(df: pd.DataFrame, n_rma: int, n_ci: int, tmp: pathlib.Path):
    if shutil.which("Rscript") is None:
        return None
    ids = df.analysis_id.drop_duplicates().iloc[: max(n_rma, n_ci)]
    sub = df[df.analysis_id.isin(set(ids))]
    src = tmp / "metafor_in.csv"
    sub[["analysis_id", "yi", "vi"]].to_csv(src, index=False, float_format="%.17g")
    prefix = tmp / "metafor"
    proc = subprocess.run(["Rscript", str(HERE / "metafor_loop.R"), str(src), str(prefix), str(n_rma), str(n_ci)],
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        print(proc.stderr, file=sys.stderr)
        return None
    timings, version = {}, ""
    for line in proc.stdout.splitlines():
        parts = line.split()
        if parts and parts[0] == "TIMING":
            timings[parts[1]] = (int(parts[2]), float(parts[3]))
        elif parts and parts[0] == "VERSION":
            version = " ".join(parts[1:])
    rma = pd.read_csv(f"{prefix}_rma.csv", dtype={"analysis_id": str})
    ci = pd.read_csv(f"{prefix}_confint.csv", dtype={"analysis_id": str})
    return timings, rma, ci, version


def pymare_fit(df: pd.DataFrame):
    """PyMARE's fastest mode: one vectorised call per distinct k; returns (analysis ids, tau2, estimate)."""
    from pymare.estimators import VarianceBasedLikelihoodEstimator

    ids_all, tau2_all, est_all = [], [], []
    k = df.groupby("analysis_id", sort=False).size()
    pos = np.concatenate(([0], np.cumsum(k.to_numpy())))
    y, v, aid = df.yi.to_numpy(), df.vi.to_numpy(), df.analysis_id.to_numpy()
    for kk in np.unique(k.to_numpy()):
        idx = np.flatnonzero(k.to_numpy() == kk)
        rows = (pos[idx][:, None] + np.arange(kk)[None, :]).ravel()
        Y = y[rows].reshape(-1, kk).T
        V = v[rows].reshape(-1, kk).T
        est = VarianceBasedLikelihoodEstimator(method="REML")
        est.fit(y=Y, v=V, X=np.ones((kk, 1)))
        res = est.summary()
        ids_all.append(aid[pos[idx]])
        tau2_all.append(np.asarray(res.tau2, dtype=float).ravel())
        est_all.append(np.asarray(res.fe_params, dtype=float).ravel())
    return np.concatenate(ids_all), np.concatenate(tau2_all), np.concatenate(est_all)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="small sizes, for a smoke test")
    ap.add_argument("--save", action="store_true", help="write benchmarks/results/latest.txt")
    ap.add_argument("--repeats", type=int, default=5, help="best of N for the evigrade batch and PyMARE timings")
    args = ap.parse_args(argv)

    sizes = [1_000, 10_000, 100_000] if not args.quick else [200, 1_000]
    n_metafor = 1_000 if not args.quick else 100
    n_confint = 300 if not args.quick else 50
    n_one = 500 if not args.quick else 50
    n_peer_loop = 1_000 if not args.quick else 100
    n_pimeta = 300 if not args.quick else 30
    main_size = 10_000 if not args.quick else 1_000

    rep = Report()
    rep("evigrade batch benchmark", _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"))
    rep(f"command: python benchmarks/run_benchmarks.py{' --quick' if args.quick else ''}  (seed {SEED})")
    rep(f"machine: {platform.machine()}, {os.cpu_count()} cores (shared), Python {platform.python_version()}, "
        f"numpy {np.__version__}")
    rep("workload: k uniform 3..40, SMD-like vi (arm sizes 10..200), tau2 = 0 (25%) or log-uniform 0.005..0.5")
    rep("")
    warnings.simplefilter("ignore")
    data = {n: make_workload(n, seed=SEED) for n in sizes}
    big = data[sizes[-1]]
    rows = []  # (tool, task, n, seconds)

    # ---- evigrade batch
    batch_res = {}
    for n in sizes:
        sec, res = best_of(lambda n=n: batch.run(data[n], "REML", "knha", pi=True), args.repeats)
        rows.append(("evigrade batch", "REML+HKSJ+PI", n, sec))
        batch_res[n] = res
        sec, res_qp = best_of(lambda n=n: batch.run(data[n], "REML", "knha", pi=True, tau2_ci=True), args.repeats)
        rows.append(("evigrade batch", "REML+HKSJ+PI+QP-CI", n, sec))
        if n == sizes[-1]:
            batch_qp_big = res_qp
    for meth in ("PM", "DL"):
        sec, _ = best_of(lambda meth=meth: batch.run(data[main_size], meth, "z"), args.repeats)
        rows.append(("evigrade batch", meth, main_size, sec))
    # peak memory for the largest size, with Q-profile CIs (tracemalloc sees numpy's allocations)
    tracemalloc.start()
    batch.run(big, "REML", "knha", pi=True, tau2_ci=True)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024

    # ---- evigrade one at a time
    from evigrade.stats import meta_analysis

    small = data[sizes[0]]
    groups = [(g.yi.to_numpy(), g.vi.to_numpy()) for _, g in small.groupby("analysis_id", sort=False)][:n_one]
    t0 = time.perf_counter()
    for y, v in groups:
        meta_analysis(y, v, method="REML", test="knha", pi=True, tau2_ci=False)
    rows.append(("evigrade one-at-a-time", "REML+HKSJ+PI", len(groups), time.perf_counter() - t0))
    t0 = time.perf_counter()
    for y, v in groups[: n_confint]:
        meta_analysis(y, v, method="REML", test="knha", pi=True, tau2_ci=True)
    rows.append(("evigrade one-at-a-time", "REML+HKSJ+PI+QP-CI", min(len(groups), n_confint), time.perf_counter() - t0))

    # ---- R metafor
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="evigrade-bench-"))
    mf = run_metafor(data[sizes[0]] if sizes[0] >= n_metafor else data[sizes[1]], n_metafor, n_confint, tmp)
    mf_version = "not available"
    if mf is not None:
        timings, mf_rma, mf_ci, mf_version = mf
        n, s = timings["rma_reml_knha_predict"]
        rows.append(("R metafor loop", "REML+HKSJ+PI", n, s))
        n, s = timings["rma_confint"]
        rows.append(("R metafor loop", "REML+HKSJ+PI+QP-CI", n, s))
        n, s = timings["rma_pm"]
        rows.append(("R metafor loop", "PM", n, s))
        n, s = timings["rma_dl"]
        rows.append(("R metafor loop", "DL", n, s))

    # ---- PyMARE
    pymare_ok = True
    paired: dict[int, tuple[float, float]] = {}
    try:
        import pymare

        # timed interleaved with evigrade batch (alternating runs, best of N each), so that both see
        # the same load on a shared machine; the ratio target uses these paired timings
        for n in sizes[:2]:
            tb, tp = [], []
            for _ in range(max(2, args.repeats - 1)):
                t0 = time.perf_counter()
                batch.run(data[n], "REML", "knha", pi=True)
                tb.append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                pm_out = pymare_fit(data[n])
                tp.append(time.perf_counter() - t0)
            rows.append((f"PyMARE {pymare.__version__} (equal-k vectorised)", "REML", n, min(tp)))
            paired[n] = (min(tb), min(tp))
            if n == sizes[0]:
                pymare_small = pm_out
    except ImportError:
        pymare_ok = False

    # ---- statsmodels
    sm_ok = True
    try:
        import statsmodels
        from statsmodels.stats.meta_analysis import combine_effects

        sm_groups = [(a, g.yi.to_numpy(), g.vi.to_numpy()) for a, g in small.groupby("analysis_id", sort=False)][:n_peer_loop]
        sm_tau2, sm_est = [], []
        t0 = time.perf_counter()
        for _, y, v in sm_groups:
            r = combine_effects(y, v, method_re="iterated")
            sm_tau2.append(r.tau2)
            sm_est.append(r.mean_effect_re)
        rows.append((f"statsmodels {statsmodels.__version__} combine_effects", "PM", len(sm_groups), time.perf_counter() - t0))
    except ImportError:
        sm_ok = False

    # ---- pimeta (PyPI package of that name; the R package is not obtainable here)
    pi_ok = True
    try:
        import importlib.metadata as md

        import pimeta

        pi_groups = [(a, g.yi.to_numpy(), g.vi.to_numpy()) for a, g in small.groupby("analysis_id", sort=False)][:n_pimeta]
        pi_tau2, pi_est = [], []
        t0 = time.perf_counter()
        for _, y, v in pi_groups:
            r = pimeta.rma(y, v, method="REML", test="knha")
            r.predict()
            pi_tau2.append(float(np.ravel(r.tau2)[0]))
            pi_est.append(float(np.ravel(r.b)[0]))
        rows.append((f"pimeta {md.version('pimeta')} (PyPI, Python port)", "REML+HKSJ+PI", len(pi_groups), time.perf_counter() - t0))
    except Exception:  # noqa: BLE001 - optional peer
        pi_ok = False

    # ---- the table
    mf_rate = {task: n / s for (tool, task, n, s) in rows if tool == "R metafor loop"}
    rep(f"R: {mf_version}; metafor run on the first {n_metafor} analyses (rma+predict, DL, PM) and "
        f"{n_confint} (confint); its rate is extrapolated.")
    rep("")
    rep(f"{'tool':<44} {'task':<20} {'analyses':>9} {'seconds':>9} {'analyses/s':>12} {'x metafor':>10}")
    rep("-" * 109)
    for tool, task, n, s in rows:
        rate = n / s
        ratio = rate / mf_rate[task] if task in mf_rate else float("nan")
        rr = f"{ratio:>10,.1f}" if np.isfinite(ratio) else f"{'':>10}"
        rep(f"{tool:<44} {task:<20} {n:>9,} {s:>9.3f} {fmt_rate(rate)} {rr}")
    rep("")

    # ---- agreement with metafor
    rep("agreement with R metafor (max absolute difference over the analyses metafor fitted)")
    results = {}
    if mf is not None:
        key = sizes[0] if sizes[0] >= n_metafor else sizes[1]
        b = batch_res[key].table.set_index("analysis_id").loc[mf_rma.analysis_id]
        d_tau2 = max_abs(b.tau2, mf_rma.tau2)
        d_est = max_abs(b.estimate, mf_rma.estimate)
        d_pi = max(max_abs(b.pi_low, mf_rma.pi_low), max_abs(b.pi_high, mf_rma.pi_high))
        results["batch_reml"] = (d_tau2, d_est)
        rep(f"  {'evigrade batch REML+HKSJ+PI':<44} tau2 {d_tau2:.2e}  estimate {d_est:.2e}  PI bounds {d_pi:.2e}  "
            f"CI low {max_abs(b.ci_low, mf_rma.ci_low):.2e}")
        bq = batch.run(data[key], "REML", "knha", tau2_ci=True).table.set_index("analysis_id").loc[mf_ci.analysis_id]
        d_ci = max(max_abs(bq.tau2_ci_low, mf_ci.tau2_ci_low), max_abs(bq.tau2_ci_high, mf_ci.tau2_ci_high))
        results["batch_qp"] = d_ci
        rep(f"  {'evigrade batch Q-profile tau2 CI':<44} bounds {d_ci:.2e}")
        for meth, col in (("PM", "pm"), ("DL", "dl")):
            bm = batch.run(data[key], meth, "z").table.set_index("analysis_id").loc[mf_rma.analysis_id]
            rep(f"  {'evigrade batch ' + meth:<44} tau2 {max_abs(bm.tau2, mf_rma[col + '_tau2']):.2e}  "
                f"estimate {max_abs(bm.estimate, mf_rma[col + '_estimate']):.2e}")
        one = [meta_analysis(y, v, method="REML", test="knha", tau2_ci=False) for y, v in groups[:200]]
        ref = mf_rma.set_index("analysis_id").iloc[: len(one)]
        rep(f"  {'evigrade one-at-a-time REML':<44} tau2 {max_abs([r.tau2 for r in one], ref.tau2):.2e}  "
            f"estimate {max_abs([r.estimate for r in one], ref.estimate):.2e}")
        if pymare_ok:
            pid, pt, pe = pymare_small
            s = pd.DataFrame({"tau2": pt, "estimate": pe}, index=pid).loc[mf_rma.analysis_id]
            results["pymare"] = (max_abs(s.tau2, mf_rma.tau2), max_abs(s.estimate, mf_rma.estimate))
            rep(f"  {'PyMARE REML':<44} tau2 {results['pymare'][0]:.2e}  estimate {results['pymare'][1]:.2e}")
        if sm_ok:
            ref = mf_rma.set_index("analysis_id")
            ids = [a for a, _, _ in sm_groups if a in ref.index]
            s = pd.DataFrame({"tau2": sm_tau2, "estimate": sm_est}, index=[a for a, _, _ in sm_groups]).loc[ids]
            rep(f"  {'statsmodels combine_effects PM (vs metafor PM)':<44} tau2 {max_abs(s.tau2, ref.loc[ids].pm_tau2):.2e}  "
                f"estimate {max_abs(s.estimate, ref.loc[ids].pm_estimate):.2e}")
        if pi_ok:
            ref = mf_rma.set_index("analysis_id")
            ids = [a for a, _, _ in pi_groups]
            rep(f"  {'pimeta (PyPI) REML':<44} tau2 {max_abs(pi_tau2, ref.loc[ids].tau2):.2e}  "
                f"estimate {max_abs(pi_est, ref.loc[ids].estimate):.2e}")
    else:
        rep("  Rscript/metafor not available: no agreement figures")
    if not pi_ok:
        rep("  pimeta: not installed (the R package pimeta is not in Debian's archive; CRAN is not reachable here)")
    rep("  pimeta (R package, Nagashima et al.): not run - not in Debian's archive and CRAN is not reachable here;")
    rep("    the PyPI package named pimeta is an unrelated pure-Python port of metafor's rma, shown above as such.")
    rep("")

    # ---- targets
    def rate_of(tool_prefix, task, n=None):
        for tool, t, nn, s in rows:
            if tool.startswith(tool_prefix) and t == task and (n is None or nn == n):
                return nn / s
        return float("nan")

    rep("targets (issue 7)")
    r_batch = rate_of("evigrade batch", "REML+HKSJ+PI", main_size)
    r_mf = mf_rate.get("REML+HKSJ+PI", float("nan"))
    r_qp = rate_of("evigrade batch", "REML+HKSJ+PI+QP-CI", main_size)
    r_mfci = mf_rate.get("REML+HKSJ+PI+QP-CI", float("nan"))

    def verdict(ok):
        return "PASS" if ok else "FAIL"

    rep(f"  REML+HKSJ+PI on {main_size:,}: {r_batch / r_mf:,.0f} x metafor's rma()+predict() loop (target >= 500): "
        f"{verdict(r_batch / r_mf >= 500)}")
    if main_size in paired:
        tb, tp = paired[main_size]
        rep(f"  REML+HKSJ+PI on {main_size:,}: {tp / tb:,.1f} x PyMARE's equal-k vectorised REML, timed interleaved "
            f"({tb:.3f} s vs {tp:.3f} s; target >= 5): {verdict(tp / tb >= 5)}")
    if "batch_reml" in results:
        a, b_ = results["batch_reml"]
        rep(f"  agreement with metafor (threshold 1e-10): tau2 {a:.1e}, estimate {b_:.1e} (target <= 1e-6): "
            f"{verdict(max(a, b_) <= 1e-6)}")
    rep(f"  Q-profile CIs on {main_size:,}: {r_qp / r_mfci:,.0f} x metafor's rma()+confint() loop (target >= 500): "
        f"{verdict(r_qp / r_mfci >= 500)}")
    rep(f"  peak memory, {sizes[-1]:,} analyses ({len(big):,} rows) with Q-profile CIs: tracemalloc peak "
        f"{peak / 2**20:,.0f} MiB, process max RSS {maxrss / 2**20:,.0f} MiB (target < 1 GiB): {verdict(peak < 2**30)}")
    rep("")
    counts = batch_qp_big.summary_counts()
    rep(f"notes on the {sizes[-1]:,}-analysis run: " + (", ".join(f"{c} x{n}" for c, n in sorted(counts.items())) or "none"))
    shutil.rmtree(tmp, ignore_errors=True)

    if args.save:
        out = HERE / "results" / ("latest.txt" if not args.quick else "quick.txt")
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(rep.buf.getvalue())
        print(f"saved {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
