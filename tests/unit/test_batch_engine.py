"""The vectorised batch engine agrees with the one-at-a-time engine (evigrade.stats.meta_analysis).

Every statistic of every analysis is compared for every method x test on seeded random workloads
(k from 1 to 12, so k = 1 and k = 2 edge cases are covered, plus homogeneous analyses where tau2 is
truncated at 0), plus a seeded fuzz of 2,000 small analyses with extreme variance ratios.
Tolerance: 1e-8 absolute + 1e-10 relative.  Both engines take the same steps (the one convergence
path of evigrade.stats.fit, NEWTON_AFTER: metafor's Fisher scoring, then Newton after 100 updates;
the same safeguarded Newton root finder for PM, capped at the same maxiter), so differences are
rounding, and the same analyses get the same notes and the same fallbacks.
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from batch_helpers import fuzz_analyses as _fuzz_analyses
from evigrade import batch
from evigrade.batch.engine import Segments, fit_segments
from evigrade.batch.workload import make_workload

stats = pytest.importorskip("evigrade.stats")

#: agreement demanded with the one-at-a-time engine (issue 7): 1e-8 absolute, plus 1e-10 relative
#: for large values (H2 bounds in the thousands, where 1e-8 absolute is below their rounding).
#: Both engines run metafor's algorithms with the same stopping rules (threshold 1e-12, the same
#: snap of boundary solutions to 0), so the observed differences are ~1e-11.
ATOL = 1e-8
RTOL = 1e-10

COLUMNS = {
    "estimate": "estimate", "se": "se", "stat": "zval", "pval": "pval", "ci_low": "ci_low",
    "ci_high": "ci_high", "pi_low": "pi_low", "pi_high": "pi_high", "tau2": "tau2",
    "tau2_se": "tau2_se", "tau2_ci_low": "tau2_ci_low", "tau2_ci_high": "tau2_ci_high", "tau": "tau",
    "i2": "i2", "i2_ci_low": "i2_ci_low", "i2_ci_high": "i2_ci_high", "h2": "h2",
    "h2_ci_low": "h2_ci_low", "h2_ci_high": "h2_ci_high", "q": "q", "q_pvalue": "q_pvalue",
}


@pytest.fixture(scope="module")
def workload() -> pd.DataFrame:
    # 120 analyses with k in 1..12 (about 8 with k = 1 and 8 with k = 2)
    return make_workload(120, k_min=1, k_max=12, seed=11)


def _reference(df: pd.DataFrame, method: str, test: str) -> pd.DataFrame:
    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for aid, g in df.groupby("analysis_id", sort=False):
            r = stats.meta_analysis(g.yi.to_numpy(), g.vi.to_numpy(), method=method, test=test,
                                    tau2_ci=True, pi=True)
            row = {c: getattr(r, a) for c, a in COLUMNS.items()}
            row.update(analysis_id=aid, k=r.k, q_df=r.q_df, tau2_raw=r.diagnostics.tau2_raw,
                       method_used=r.diagnostics.method_used, df=np.nan if r.df is None else r.df)
            rows.append(row)
    return pd.DataFrame(rows)


@pytest.mark.parametrize("test", ["z", "knha"])
@pytest.mark.parametrize("method", ["FE", "DL", "PM", "ML", "REML", "EB"])
def test_agrees_with_meta_analysis(workload, method, test):
    got = batch.run(workload, method=method, test=test, tau2_ci=True, pi=True).table
    ref = _reference(workload, method, test)
    assert list(got.analysis_id) == list(ref.analysis_id)
    assert (got.k.to_numpy() == ref.k.to_numpy()).all()
    assert (got.q_df.to_numpy() == ref.q_df.to_numpy()).all()
    assert (got.method_used.to_numpy() == ref.method_used.to_numpy()).all()
    for col in list(COLUMNS) + ["tau2_raw", "df"]:
        assert_allclose(got[col].to_numpy(float), ref[col].to_numpy(float), rtol=RTOL, atol=ATOL,
                        equal_nan=True, err_msg=f"{method}/{test} column {col}")
    # every analysis converged with the requested estimator on this workload
    assert got.converged.all()


def test_large_random_workload_reml_knha():
    """A bigger workload (k 3..40, 400 analyses): REML + HKSJ + PI + Q-profile CI against meta_analysis."""
    df = make_workload(400, seed=3)
    got = batch.run(df, "REML", "knha", tau2_ci=True).table
    ref = _reference(df, "REML", "knha")
    for col in ("estimate", "se", "ci_low", "ci_high", "pi_low", "pi_high", "tau2", "tau2_ci_low",
                "tau2_ci_high", "i2", "q", "pval"):
        assert_allclose(got[col].to_numpy(float), ref[col].to_numpy(float), rtol=RTOL, atol=ATOL,
                        equal_nan=True, err_msg=col)


def test_dl_closed_form_by_hand():
    """DL, Q and I2 written out from the textbook formulas for one analysis."""
    y = np.array([0.10, 0.35, -0.05, 0.42, 0.20])
    v = np.array([0.020, 0.050, 0.030, 0.080, 0.040])
    w = 1 / v
    mu_fe = (w * y).sum() / w.sum()
    q = (w * (y - mu_fe) ** 2).sum()
    c = w.sum() - (w**2).sum() / w.sum()
    tau2 = max(0.0, (q - 4) / c)
    wr = 1 / (v + tau2)
    mu = (wr * y).sum() / wr.sum()
    se = np.sqrt(1 / wr.sum())
    i2 = tau2 / (tau2 + 4 / c)
    res = batch.fit_arrays(["x"] * 5, y, v, method="DL", test="z").table.iloc[0]
    assert_allclose([res.q, res.tau2, res.estimate, res.se, res.i2], [q, tau2, mu, se, i2], rtol=1e-13)
    assert_allclose(res.ci_low, mu - 1.959963984540054 * se, rtol=1e-13)


def test_order_of_rows_and_interleaving_do_not_matter():
    df = make_workload(30, seed=8)
    a = batch.run(df).table.set_index("analysis_id")
    shuffled = df.sample(frac=1.0, random_state=1).reset_index(drop=True)
    b = batch.run(shuffled).table.set_index("analysis_id").loc[a.index]
    for col in ("estimate", "tau2", "ci_low", "pi_high", "q"):
        assert_allclose(b[col].to_numpy(float), a[col].to_numpy(float), rtol=1e-10, atol=1e-12)


def test_output_order_is_first_appearance():
    df = pd.DataFrame({"analysis_id": ["b", "a", "b", "a", "c"], "yi": [0.1, 0.2, 0.3, 0.1, 0.5],
                       "vi": [0.01, 0.02, 0.03, 0.01, 0.05]})
    res = batch.run(df)
    assert list(res.table.analysis_id) == ["b", "a", "c"]
    assert list(res.table.k) == [2, 2, 1]


def test_k1_conventions_match_one_at_a_time_engine():
    res = batch.fit_arrays(["s"], [0.3], [0.04], method="REML", test="knha").table.iloc[0]
    assert res.tau2 == 0.0 and res.method_used == "FE"
    assert_allclose(res.ci_low, 0.3 - 1.959963984540054 * 0.2, rtol=1e-13)  # Wald z instead of t(0)
    assert np.isnan(res.q) and np.isnan(res.i2)
    # one code per event across engines (evigrade.notes): k = 1 is "k_small", the Wald fallback "undefined"
    assert res.notes.split("; ") == ["k_small", "undefined"]


def test_truncation_note_and_raw_value():
    # nearly identical estimates: DL raw tau2 is negative
    res = batch.fit_arrays(["h"] * 4, [0.20, 0.21, 0.19, 0.20], [0.05, 0.04, 0.06, 0.05], method="DL").table.iloc[0]
    assert res.tau2 == 0.0 and res.tau2_raw < 0
    assert "tau2_truncated" in res.notes


@pytest.mark.parametrize("maxiter", [2, 6])
def test_fallback_chain_when_fisher_scoring_does_not_converge(maxiter):
    """A tiny maxiter: REML cannot converge, so PM is tried -- capped at the same maxiter root-finding
    iterations in both engines (metafor's uniroot(maxiter=)) -- then DL.  Both engines take the same
    fallbacks for the same analyses and give the same numbers."""
    df = make_workload(20, seed=4)
    res = batch.run(df, "REML", control={"maxiter": maxiter}).table
    fell = res[~res.converged]
    assert len(fell) > 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i, (_aid, g) in enumerate(df.groupby("analysis_id", sort=False)):
            one = stats.meta_analysis(g.yi.to_numpy(), g.vi.to_numpy(), method="REML", control={"maxiter": maxiter})
            row = res.iloc[i]
            assert row.method_used == one.diagnostics.method_used
            chain = one.diagnostics.fallback_chain
            codes = set(filter(None, row.notes.split("; ")))
            assert ("fallback" in codes) == (len(chain) > 1)  # where the chain ended: method_used, above
            assert ("fallback" in codes) == any(n.code == "fallback" for n in one.notes)
            assert_allclose([row.tau2, row.estimate, row.ci_low], [one.tau2, one.estimate, one.ci_low],
                            rtol=RTOL, atol=ATOL)
    if maxiter == 6:  # PM converges in a few Newton steps: the chain stops there
        assert (fell.method_used == "PM").any()
        pm = batch.run(df, "PM").table.set_index("analysis_id").loc[fell.analysis_id[fell.method_used == "PM"]]
        assert_allclose(fell.tau2[fell.method_used == "PM"].to_numpy(), pm.tau2.to_numpy(), rtol=1e-12, atol=1e-14)


def test_level_changes_interval_width():
    df = make_workload(10, seed=2)
    r95 = batch.run(df, level=95).table
    r80 = batch.run(df, level=0.8).table
    assert ((r95.ci_high - r95.ci_low) > (r80.ci_high - r80.ci_low)).all()


def test_segments_engine_direct():
    seg = Segments.from_sizes(np.array([0.1, 0.4, 0.2, 0.0, 0.3]), np.array([0.02, 0.03, 0.05, 0.04, 0.01]), [2, 3])
    out = fit_segments(seg, method="ML", test="z")
    assert out.columns["k"].tolist() == [2, 3]
    assert out.notes.shape == (2,)


# ------------------------------------------------------------------------------------------------
# property check: random small analyses with extreme variance ratios, every method


from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_analysis = st.integers(1, 8).flatmap(
    lambda k: st.tuples(
        st.lists(st.floats(-3, 3, allow_nan=False), min_size=k, max_size=k),
        st.lists(st.floats(1e-3, 5.0, allow_nan=False), min_size=k, max_size=k),
    )
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(analyses=st.lists(_analysis, min_size=1, max_size=4), method=st.sampled_from(["FE", "DL", "PM", "ML", "REML", "EB"]),
       test=st.sampled_from(["z", "knha"]))
def test_property_agrees_with_meta_analysis(analyses, method, test):
    rows = [(f"a{i}", y, v) for i, (ys, vs) in enumerate(analyses) for y, v in zip(ys, vs)]
    df = pd.DataFrame(rows, columns=["analysis_id", "yi", "vi"])
    got = batch.run(df, method, test, tau2_ci=True).table
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i, (ys, vs) in enumerate(analyses):
            one = stats.meta_analysis(np.array(ys), np.array(vs), method=method, test=test, tau2_ci=True)
            row = got.iloc[i]
            # one convergence path in both engines: the same estimator is used (no engine-specific fallback)
            assert row.method_used == one.diagnostics.method_used
            for col, attr in (("estimate", "estimate"), ("se", "se"), ("tau2", "tau2"), ("ci_low", "ci_low"),
                              ("pi_high", "pi_high"), ("q", "q"), ("i2", "i2"), ("tau2_ci_low", "tau2_ci_low"),
                              ("tau2_ci_high", "tau2_ci_high")):
                assert_allclose(row[col], getattr(one, attr), rtol=1e-7, atol=1e-8, equal_nan=True,
                                err_msg=f"{method}/{test} {col} analysis {i}: y={analyses[i][0]} v={analyses[i][1]}")


def test_pm_search_limit_uses_mad_like_metafor():
    """PM searches [0, max(100, 10 mad(y)^2)] (metafor); with effects in the hundreds tau2 > 100."""
    df = pd.DataFrame({"analysis_id": ["w"] * 5 + ["n"] * 3,
                       "yi": [-150.0, -20.0, 40.0, 110.0, 300.0, 0.1, 0.2, 0.3],
                       "vi": [4.0, 9.0, 2.0, 5.0, 3.0, 0.01, 0.02, 0.01]})
    got = batch.run(df, "PM", "knha", tau2_ci=True).table
    assert got.tau2.iloc[0] > 100
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i, aid in enumerate(["w", "n"]):
            g = df[df.analysis_id == aid]
            one = stats.meta_analysis(g.yi.to_numpy(), g.vi.to_numpy(), method="PM", test="knha", tau2_ci=True)
            assert_allclose([got.tau2[i], got.estimate[i], got.tau2_ci_high[i]],
                            [one.tau2, one.estimate, one.tau2_ci_high], rtol=1e-9)


# ------------------------------------------------------------------------------------------------
# seeded fuzz: 2,000 small analyses (k = 2..5) with extreme variance ratios, every iterative method


#: Note codes that meta_analysis and the batch engine both write, one code per event (evigrade.notes).
_BATCH_CODES = {"tau2_truncated", "local_maximum", "slow_convergence", "pm_interval_extended", "tau2_ci_null",
                "tau2_ci_bound", "knha_zero_scale", "k_small", "fallback", "tau2_ci_failed"}


def _expected_codes(one, method: str) -> set[str]:
    codes = {n.code for n in one.notes if n.code in _BATCH_CODES}
    assert (one.k == 2) == ("k_small" in codes)  # meta_analysis: "Only two studies: ..."
    assert ("fallback" in codes) == (len(one.diagnostics.fallback_chain) > 1)
    assert "tau2_ci_failed" not in codes  # never expected: makes a failure visible
    return codes


_FUZZ = _fuzz_analyses(2000, seed=20261125)
_FUZZ_COMBOS = [(m, t) for m in ("DL", "PM", "ML", "REML", "EB") for t in ("z", "knha")]
_FUZZ_COLS = ("estimate", "se", "ci_low", "ci_high", "pi_low", "pi_high", "tau2", "tau2_ci_low", "tau2_ci_high",
              "i2", "q", "pval")
#: se(tau2) is compared at 1e-8 relative: with a weight ratio of 1e6, the one-at-a-time engine's
#: projection matrix P (as metafor's) carries a relative error of eps / (1 - w_max / sum w) ~ 1e-10 in
#: its largest diagonal entry, which se(tau2) magnifies; the batch engine uses a cancellation-free
#: form (engine._sums_at) and is exact to rounding there (checked against rational arithmetic).
_TAU2_SE_RTOL = 1e-8


@pytest.mark.parametrize("combo", range(len(_FUZZ_COMBOS)), ids=lambda i: "-".join(_FUZZ_COMBOS[i]))
def test_fuzz_engines_agree_on_hard_small_analyses(combo):
    """2,000 seeded analyses, 200 per method x test: estimate, se, tau2, CI, PI, Q-profile bounds to
    1e-8, the same estimator used (fallback codes) and the same notes, in both engines."""
    method, test = _FUZZ_COMBOS[combo]
    mine = _FUZZ[combo::len(_FUZZ_COMBOS)]
    rows = [(f"f{i}", y, v) for i, (ys, vs) in enumerate(mine) for y, v in zip(ys, vs)]
    df = pd.DataFrame(rows, columns=["analysis_id", "yi", "vi"])
    got = batch.run(df, method, test, tau2_ci=True).table
    assert len(got) == len(mine)
    vals = got[list(_FUZZ_COLS)].to_numpy(float)
    tau2_se = got.tau2_se.to_numpy(float)
    used, conv, notes = got.method_used.tolist(), got.converged.tolist(), got.notes.tolist()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i, (y, v) in enumerate(mine):
            one = stats.meta_analysis(y, v, method=method, test=test, tau2_ci=True)
            where = f"{method}/{test} analysis {i}: yi={y.tolist()} vi={v.tolist()}"
            assert used[i] == one.diagnostics.method_used, where
            assert bool(conv[i]) == one.diagnostics.converged, where
            want = np.array([getattr(one, c) for c in _FUZZ_COLS])
            ok = np.isclose(vals[i], want, rtol=RTOL, atol=ATOL, equal_nan=True).all()
            ok &= np.isclose(tau2_se[i], one.tau2_se, rtol=_TAU2_SE_RTOL, atol=ATOL, equal_nan=True)
            if not ok:  # the full report
                assert_allclose(vals[i], want, rtol=RTOL, atol=ATOL, equal_nan=True, err_msg=where)
                assert_allclose(tau2_se[i], one.tau2_se, rtol=_TAU2_SE_RTOL, atol=ATOL, equal_nan=True, err_msg=where)
            codes = set(filter(None, notes[i].split("; "))) & _BATCH_CODES
            assert codes == _expected_codes(one, method), where


def test_pm_root_beyond_default_interval_is_found_by_both_engines():
    """mad(y) = 0 makes metafor's interval [0, 100] while the PM root is ~ 2.5e5: both engines widen
    the interval (note pm_interval_extended) instead of falling back to DL (the batch engine used to)."""
    y = np.array([0.0, 0.0, 0.0, 1000.0])
    v = np.array([0.01, 0.02, 0.03, 0.04])
    got = batch.fit_arrays(["w"] * 4, y, v, method="PM", test="knha", tau2_ci=True).table.iloc[0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no fallback warning
        one = stats.meta_analysis(y, v, method="PM", test="knha", tau2_ci=True)
    assert got.method_used == one.diagnostics.method_used == "PM" and got.tau2 > 1e5
    assert "pm_interval_extended" in got.notes.split("; ")
    assert any(n.code == "pm_interval_extended" for n in one.notes)
    assert_allclose([got.tau2, got.estimate, got.ci_low, got.pi_high, got.tau2_ci_high],
                    [one.tau2, one.estimate, one.ci_low, one.pi_high, one.tau2_ci_high], rtol=RTOL, atol=ATOL)


def test_maxiter_means_the_same_in_both_engines_on_an_oscillating_case():
    """A REML analysis where metafor's Fisher scoring oscillates (tests/reference/r/convergence.R):
    with maxiter=100 (metafor's default) only Fisher steps are taken, so both engines give up and
    fall back to PM, as metafor gives up; with the default maxiter Newton steps after update 100
    reach the maximiser in both."""
    import json
    import pathlib

    golden = json.loads((pathlib.Path(__file__).parents[1] / "reference" / "golden" / "rma_convergence.json").read_text())
    case = next(c for c in golden["cases"] if c["id"] == "osc_A68247" and c["test"] == "z")
    y, v = np.array(case["yi"]), np.array(case["vi"])
    ids = ["o"] * len(y)
    for maxiter, used in ((100, "PM"), (1000, "REML")):
        got = batch.fit_arrays(ids, y, v, method="REML", test="z", control={"maxiter": maxiter}).table.iloc[0]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            one = stats.meta_analysis(y, v, method="REML", test="z", control={"maxiter": maxiter})
        assert got.method_used == one.diagnostics.method_used == used
        assert_allclose(got.tau2, one.tau2, rtol=RTOL, atol=ATOL)
        if used == "REML":
            assert got.iterations == one.diagnostics.iterations > 100
            assert_allclose(got.tau2, case["tau2"], rtol=1e-9)
