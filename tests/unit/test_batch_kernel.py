"""The compiled batch kernel (evigrade.batch._kernel) against the numpy engine, closed forms and
meta_analysis; the batch engine at any variance ratio (issue 19 item 2); the numpy fallback without numba.

Tolerances:
* kernel vs numpy engine, 1e-10 absolute + 1e-10 relative (issue 18): both take the same steps to
  the same stopping rule; the kernel's sums are cancellation-free and added in another order, so
  they differ by rounding (observed ~1e-13), or by at most one update where a step lies at the
  threshold 1e-12.
* k = 2 closed form, 1e-11 relative: for k = 2 the REML, EB and PM estimates and the truncated DL
  estimate are all max(0, ((y1 - y2)^2 - v1 - v2) / 2) (the restricted likelihood depends on
  y1 - y2 ~ N(0, v1 + v2 + 2 tau2) only; Q(tau2) = (y1 - y2)^2 / (v1 + v2 + 2 tau2) = k - 1); the
  iterations stop at |change| <= 1e-12 or the rounding level of tau2, observed ~1e-13 relative.
* batch vs meta_analysis, 1e-8 (issue 19's criterion; observed ~1e-13).
"""
from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from scipy import special

from batch_helpers import fuzz_table
from evigrade import batch
from evigrade.batch import _kernel, engine
from evigrade.batch.engine import Segments, fit_segments
from evigrade.batch.workload import make_workload

stats = pytest.importorskip("evigrade.stats")

ATOL = 1e-10
RTOL = 1e-10
NUMERIC = ("estimate", "se", "stat", "pval", "ci_low", "ci_high", "pi_low", "pi_high", "tau2", "tau2_se",
           "tau2_ci_low", "tau2_ci_high", "tau", "i2", "i2_ci_low", "i2_ci_high", "h2", "h2_ci_low",
           "h2_ci_high", "q", "q_pvalue", "df", "tau2_raw")
METHODS = ("FE", "DL", "PM", "ML", "REML", "EB")


def _fit(df: pd.DataFrame, eng: str, method: str, test: str = "knha", **kw) -> pd.DataFrame:
    prep = batch.prepare(df)
    seg = Segments.from_sizes(prep.yi, prep.vi, prep.k)
    out = fit_segments(seg, method=method, test=test, tau2_ci=kw.pop("tau2_ci", True), pi=True, engine=eng, **kw)
    frame = pd.DataFrame(out.columns)
    frame["notes"] = out.notes
    frame.index = prep.ids
    return frame


def _ratio_k2(n: int, seed: int, top: float = 12.0) -> tuple[pd.DataFrame, np.ndarray]:
    """n analyses of k = 2 whose variances differ by a factor 10^U(0, top) (the smaller variance
    10^U(-4, 0), the precise study first or second at random); tau from 0 to 1.  Returns the long
    table and the closed-form k = 2 estimate max(0, ((y1 - y2)^2 - v1 - v2) / 2)."""
    rng = np.random.default_rng(seed)
    ratio = 10 ** rng.uniform(0, top, n)
    v_lo = 10 ** rng.uniform(-4, 0, n)
    v_hi = v_lo * ratio
    swap = rng.random(n) < 0.5
    va, vb = np.where(swap, v_hi, v_lo), np.where(swap, v_lo, v_hi)
    tau = rng.choice([0.0, 0.0, 0.05, 0.3, 1.0], n)
    ya = rng.normal(0.2, 1.0, n) * np.sqrt(va + tau**2)
    yb = rng.normal(0.2, 1.0, n) * np.sqrt(vb + tau**2)
    df = pd.DataFrame({"analysis_id": np.repeat(np.arange(n), 2), "yi": np.column_stack([ya, yb]).ravel(),
                       "vi": np.column_stack([va, vb]).ravel()})
    d = ya - yb
    return df, np.maximum(0.0, (d * d - va - vb) / 2.0)


def _assert_same(a: pd.DataFrame, b: pd.DataFrame, what: str) -> None:
    for col in NUMERIC:
        assert_allclose(a[col].to_numpy(float), b[col].to_numpy(float), rtol=RTOL, atol=ATOL, equal_nan=True,
                        err_msg=f"{what}: {col}")
    assert (a.method_used.to_numpy() == b.method_used.to_numpy()).all(), what
    assert (a.converged.to_numpy() == b.converged.to_numpy()).all(), what
    assert a.notes.tolist() == b.notes.tolist(), what


def test_kernel_is_compiled_in_the_test_environment():
    # numba is in the test extra; without it the kernel runs as plain Python (test_without_numba below)
    assert _kernel.compiled()


@pytest.mark.parametrize("method", METHODS)
def test_kernel_agrees_with_numpy_engine(method):
    """Every statistic, note and fallback: the k 1..40 workload (banded numpy path) and the fuzz
    workload (k 2..5, variances over 6 orders of magnitude, tau up to 30)."""
    for df in (make_workload(600, k_min=1, k_max=40, seed=5), fuzz_table(400, seed=7)):
        for test in ("z", "knha"):
            kern = _fit(df, "kernel", method, test)
            nump = _fit(df, "numpy", method, test)
            _assert_same(kern, nump, f"{method}/{test}")
            if method in ("ML", "REML", "EB"):  # the same updates (a step at the threshold may add one)
                assert np.abs(kern.iterations.to_numpy() - nump.iterations.to_numpy()).max() <= 1


@pytest.mark.parametrize("eng", ["kernel", "numpy"])
@pytest.mark.parametrize("method", ["DL", "PM", "REML", "EB"])
def test_k2_closed_form_at_any_variance_ratio(eng, method):
    """Issue 19: k = 2 with variance ratios up to 1e12 -- tau2 is the closed-form optimum (0 where
    the maximum is on the boundary), in both engines."""
    df, want = _ratio_k2(2000, seed=19)
    got = _fit(df, eng, method, "knha", tau2_ci=True)
    assert got.converged.all()
    assert (got.method_used == method).all()
    assert_allclose(got.tau2.to_numpy(), want, rtol=1e-11, atol=1e-300)
    assert (got.tau2.to_numpy() == 0.0).sum() == (want == 0.0).sum()
    # Q = d^2 / (v1 + v2) and the Q-profile bounds: Q(t) = d^2 / (v1 + v2 + 2 t) = chi2 quantile,
    # within metafor's search interval [0, max(100, 10 tau2)]
    y, v = df.yi.to_numpy().reshape(-1, 2), df.vi.to_numpy().reshape(-1, 2)
    d2, v0 = (y[:, 0] - y[:, 1]) ** 2, v.sum(axis=1)
    assert_allclose(got.q.to_numpy(), d2 / v0, rtol=1e-12)
    w = 1.0 / (v + want[:, None])
    m = np.argmax(w, axis=1)[:, None]  # from the more precise study: y_m + (y_o - y_m) w_o / S1 (no cancellation)
    y_m, y_o = np.take_along_axis(y, m, 1)[:, 0], np.take_along_axis(y, 1 - m, 1)[:, 0]
    mu = y_m + (y_o - y_m) * (np.take_along_axis(w, 1 - m, 1)[:, 0] / w.sum(axis=1))
    assert_allclose(got.estimate.to_numpy(), mu, rtol=1e-11, atol=1e-14)
    tmax = np.maximum(100.0, 10.0 * want)
    for col, p in (("tau2_ci_low", 0.025), ("tau2_ci_high", 0.975)):  # upper-tail probabilities
        crit = special.chdtri(1.0, p)
        bound = np.clip((d2 / crit - v0) / 2.0, 0.0, tmax)
        assert_allclose(got[col].to_numpy(), bound, rtol=1e-11, atol=1e-300, err_msg=col)


def _reference(df: pd.DataFrame, method: str, test: str) -> pd.DataFrame:
    cols = ("estimate", "se", "ci_low", "ci_high", "pi_low", "pi_high", "tau2", "pval")
    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _aid, g in df.groupby("analysis_id", sort=False):
            r = stats.meta_analysis(g.yi.to_numpy(), g.vi.to_numpy(), method=method, test=test, tau2_ci=True)
            rows.append({c: getattr(r, c) for c in cols} | {"method_used": r.diagnostics.method_used})
    return pd.DataFrame(rows)


def _compare_meta(df: pd.DataFrame, method: str, test: str) -> None:
    """Batch (both engines) against meta_analysis at 1e-8: the pooled estimate, its se, p, CI, PI and
    tau2.  Q, se(tau2) and the Q-profile bounds are left out: at weight ratios beyond ~1e6 the
    one-at-a-time engine's projection matrix P (formed as metafor does) carries a relative error of
    eps / (1 - w_max / sum w) in its largest entries (~1e-4 at a ratio of 1e12), which Q, sum(P*P)
    and the Q-profile inherit; the batch engine's are checked against their exact k = 2 values
    instead (test_k2_closed_form_at_any_variance_ratio, test_k2_tau2_se_exact)."""
    ref = _reference(df, method, test)
    for eng in ("kernel", "numpy"):
        got = _fit(df, eng, method, test).reset_index(drop=True)
        assert (got.method_used.to_numpy() == ref.method_used.to_numpy()).all()
        assert got.converged.all()
        for col in ref.columns.drop("method_used"):
            assert_allclose(got[col].to_numpy(float), ref[col].to_numpy(float), rtol=1e-8, atol=1e-8,
                            equal_nan=True, err_msg=f"{eng} {method}/{test} {col}")


def test_k2_extreme_ratios_agree_with_meta_analysis_targeted():
    """The issue's cases: ratios 1e8..1e12 where the optimum is 0 (batch stopped at tau2 1e-10..9e-5
    with SEs up to 49.6x too large), and where it is positive."""
    rows = []
    for i, r in enumerate((1e8, 1e9, 1e10, 1e11, 1e12)):
        rows += [(f"zero{i}", 0.10, 1e-3), (f"zero{i}", 0.12, 1e-3 * r)]  # optimum 0
        rows += [(f"pos{i}", 0.10, 1e-4), (f"pos{i}", 0.10 + 5.0 * np.sqrt(1e-4 * r), 1e-4 * r)]  # optimum > 0
    df = pd.DataFrame(rows, columns=["analysis_id", "yi", "vi"])
    # (DL is left to the closed-form test: meta_analysis's DL uses Q and tr(P) from the dense P,
    # off by up to ~1e-6 relative at these ratios -- see _compare_meta)
    for method in ("REML", "ML", "EB", "PM"):
        _compare_meta(df, method, "knha")
    got = _fit(df, "kernel", "REML", "knha")
    assert (got.tau2[got.index.str.startswith("zero")] == 0.0).all()
    assert (got.tau2[got.index.str.startswith("pos")] > 0.0).all()


@pytest.mark.parametrize("eng", ["kernel", "numpy"])
def test_k2_tau2_se_exact(eng):
    """REML with k = 2: sum(P*P) = 4 / V^2 with V = v1 + v2 + 2 tau2, so se(tau2) = V / sqrt(2)
    (exact to rounding at any variance ratio: the sums are cancellation-free)."""
    df, want = _ratio_k2(2000, seed=21)
    got = _fit(df, eng, "REML", "knha", tau2_ci=False)
    vsum = df.vi.to_numpy().reshape(-1, 2).sum(axis=1)
    assert_allclose(got.tau2_se.to_numpy(), (vsum + 2.0 * want) / np.sqrt(2.0), rtol=1e-11)


@pytest.mark.slow  # ~20 s: 10,000 one-at-a-time fits
def test_k2_10000_random_ratios_agree_with_meta_analysis():
    """Issue 19's criterion: 10,000 random k = 2 analyses with variance ratios from 1 to 1e12; batch
    (both engines) and meta_analysis agree within 1e-8 (REML + Hartung-Knapp + PI + Q-profile CI)."""
    df, _ = _ratio_k2(10_000, seed=2026)
    _compare_meta(df, "REML", "knha")


@pytest.mark.parametrize("eng", ["kernel", "numpy"])
def test_non_finite_result_is_a_failed_analysis(eng):
    """yi = 1e300: the se and CI overflow; the analysis is failed (converged False, note non_finite)
    and the others in the same run are untouched."""
    df = pd.DataFrame({"analysis_id": ["big", "big", "ok", "ok", "ok"],
                       "yi": [1e300, -1e300, 0.1, 0.3, 0.2], "vi": [0.01, 0.02, 0.01, 0.02, 0.03]})
    for method in METHODS:
        got = _fit(df, eng, method, "knha")
        big, ok = got.loc["big"], got.loc["ok"]
        assert not big.converged and "non_finite" in big.notes.split("; "), (method, big.notes)
        assert ok.converged and "non_finite" not in ok.notes
    assert "non_finite" in batch.NOTE_MESSAGES


def test_notes_do_not_depend_on_partitioning():
    """A code shared by every analysis of one chunk used to move to the front of that chunk's notes;
    now an analysis's notes are the same whatever it is fitted with (chunks, Dask partitions)."""
    df = fuzz_table(300, seed=3)
    whole = batch.run(df, "REML", "knha", tau2_ci=True).table
    chunked = batch.run(df, "REML", "knha", tau2_ci=True, chunk_size=7).table
    pd.testing.assert_frame_equal(whole, chunked, check_exact=True)  # the kernel: bit for bit


_SCRIPT = """
import json, sys
import numpy as np
from evigrade.batch import _kernel
from evigrade.batch.engine import Segments, fit_segments
assert not _kernel.compiled()
data = json.load(sys.stdin)
seg = Segments.from_sizes(np.array(data["y"]), np.array(data["v"]), np.array(data["k"]))
out = {}
for eng in ("auto", "kernel"):
    res = fit_segments(seg, method="REML", test="knha", tau2_ci=True, pi=True, engine=eng)
    out[eng] = {c: [None if not np.isfinite(x) else float(x) for x in np.asarray(res.columns[c], float)]
                for c in ("estimate", "se", "tau2", "pi_low", "tau2_ci_high")}
    out[eng]["notes"] = list(res.notes)
print(json.dumps(out))
"""


def test_without_numba_the_numpy_engine_and_python_kernel_agree():
    """Users without numba get the numpy engine (analyses with a dominant study through the kernel's
    functions as plain Python); the results equal the compiled kernel's to 1e-10."""
    a, _ = _ratio_k2(40, seed=4)
    b = fuzz_table(40, seed=9)
    b["analysis_id"] = "f" + b.analysis_id.astype(str)
    df = pd.concat([a.astype({"analysis_id": str}), b], ignore_index=True)
    prep = batch.prepare(df)
    seg = Segments.from_sizes(prep.yi, prep.vi, prep.k)
    assert engine._dominant(seg).any() and not engine._dominant(seg).all()
    ref = fit_segments(seg, method="REML", test="knha", tau2_ci=True, pi=True, engine="kernel")
    env = dict(os.environ, EVIGRADE_NO_NUMBA="1")
    payload = json.dumps({"y": prep.yi.tolist(), "v": prep.vi.tolist(), "k": prep.k.tolist()})
    proc = subprocess.run([sys.executable, "-c", _SCRIPT], input=payload, capture_output=True, text=True, env=env,
                          cwd=pathlib.Path(__file__).parent, timeout=240)
    assert proc.returncode == 0, proc.stderr
    got = json.loads(proc.stdout)
    for eng in ("auto", "kernel"):
        for col in ("estimate", "se", "tau2", "pi_low", "tau2_ci_high"):
            vals = np.array([np.nan if x is None else x for x in got[eng][col]])
            assert_allclose(vals, ref.columns[col], rtol=RTOL, atol=ATOL, equal_nan=True, err_msg=f"{eng} {col}")
        assert got[eng]["notes"] == list(ref.notes)
