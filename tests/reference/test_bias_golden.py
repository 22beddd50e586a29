"""Small-study tests, sensitivity analyses and moderator analyses against R metafor 3.8-1.

The golden JSON files are written by ``tests/reference/r/bias.R`` (run by
``Rscript tests/reference/make_golden.R``); each records R.version.string, the metafor version and
the R call of every case.  These tests never call R.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose

from evigrade.stats.bias import peters_test, pet_peese, ranktest, regtest, trimfill
from evigrade.stats.regression import meta_regression, permutation_test
from evigrade.stats.sensitivity import cumulative, exclude_studies, influence, leave_one_out
from evigrade.stats.subgroups import subgroup_analysis

GOLDEN = Path(__file__).parent / "golden"

#: Closed forms (DL, FE, weighted least squares, Kendall's tau): only floating-point rounding
#: separates us from metafor.
CLOSED_RTOL = 1e-10
#: Iterative estimators (REML, ML): both sides stop Fisher scoring when the change in tau² is
#: below 1e-12 (R: control threshold=1e-12; Python: the same threshold passed below), leaving
#: differences of order 1e-9 relative in derived p-values; 1e-7 keeps a margin of 50x.
ITER_RTOL = 1e-7
#: Closed-form fits whose design matrix holds raw calendar years (~1960) next to an intercept:
#: X'WX has a condition number near 1e10, so floating-point rounding alone moves the intercept by
#: ~5e-10 relative (seen: 4.2e-10 for bcg ~ ablat + year, DL).  Not an estimator difference.
ILL_CONDITIONED_RTOL = 1e-8
#: Absolute floor for quantities that are exactly 0 in metafor (tau² truncated, I² = 0, ...).
ATOL = 1e-12
#: Iterative estimators at the boundary: metafor's REML can stop at tau² ~ 1e-13 where we reach 0
#: exactly (seen: I² = 1.5e-11 vs 0 for molloy2014, design = prospective); 1e-9 absolute covers it.
ITER_ATOL = 1e-9
CONTROL = {"threshold": 1e-12, "maxiter": 10000}


def _load(name):
    with open(GOLDEN / name) as fh:
        return json.load(fh)


SMALL = _load("bias_smallstudy.json")
SENS = _load("bias_sensitivity.json")
MODS = _load("bias_moderators.json")


def _arr(x):
    return np.asarray([np.nan if v is None else v for v in np.atleast_1d(np.asarray(x, dtype=object))], dtype=float)


def _close(mine, gold, rtol, name=""):
    atol = ITER_ATOL if rtol >= ITER_RTOL else ATOL
    assert_allclose(np.atleast_1d(np.asarray(mine, dtype=float)), _arr(gold), rtol=rtol, atol=atol,
                    equal_nan=True, err_msg=name)


def _rtol(method):
    return ITER_RTOL if method in ("REML", "ML", "EB", "PM") else CLOSED_RTOL


def _id(c, *keys):
    return "-".join(str(c.get(k)) for k in keys)


def test_provenance_and_grid_size():
    for g in (SMALL, SENS, MODS):
        assert g["metafor_version"] == "3.8.1"
        assert g["r_version"].startswith("R version 4.2.2")
    # the grid must not shrink silently
    assert len(SMALL["regtest"]) >= 132
    assert len(SMALL["ranktest"]) >= 5
    assert len(SMALL["trimfill"]) >= 90
    assert len(SMALL["petpeese"]) >= 5
    assert len(SENS["leave1out"]) >= 15 and len(SENS["cumul"]) >= 15
    assert len(SENS["influence"]) >= 19 and len(SENS["subset"]) >= 15
    assert len(MODS["metareg"]) >= 61 and len(MODS["subgroups"]) >= 15 and len(MODS["permutest"]) >= 11


# ------------------------------------------------------------------------------------------ small-study


@pytest.mark.parametrize("case", SMALL["regtest"], ids=lambda c: _id(c, "dataset", "model", "predictor", "method", "test"))
def test_regtest(case):
    d = SMALL["datasets"][case["dataset"]]
    r = regtest(d["yi"], d["vi"], ni=d.get("ni"), model=case["model"], predictor=case["predictor"],
                method=case["method"], test=case["test"], control=CONTROL)
    rtol = _rtol(case["method"]) if case["model"] == "rma" else CLOSED_RTOL
    _close(r.stat, case["zval"], rtol, "stat")
    _close(r.pval, case["pval"], rtol, "pval")
    _close(r.coef, case["coef"], rtol, "coef")
    _close(r.se, case["se"], rtol, "se")
    if case["model"] == "lm" or case["test"] == "knha":
        assert r.df == case["dfs"]
    if case["est"] is not None:
        _close([r.limit_estimate, r.limit_ci_low, r.limit_ci_high], [case["est"], case["ci_lb"], case["ci_ub"]], rtol,
               "limit estimate")
    else:
        assert math.isnan(r.limit_estimate)
    if case["model"] == "rma":
        _close(r.tau2, case["tau2"], rtol, "tau2")


@pytest.mark.parametrize("case", SMALL["ranktest"], ids=lambda c: c["dataset"])
def test_ranktest(case):
    d = SMALL["datasets"][case["dataset"]]
    r = ranktest(d["yi"], d["vi"])
    assert r.exact == case["exact"]
    _close(r.tau, case["tau"], CLOSED_RTOL, "tau")
    _close(r.pval, case["pval"], CLOSED_RTOL, "pval")


@pytest.mark.parametrize("case", SMALL["trimfill"], ids=lambda c: _id(c, "dataset", "method", "estimator", "side"))
def test_trimfill(case):
    d = SMALL["datasets"][case["dataset"]]
    r = trimfill(d["yi"], d["vi"], method=case["method"], estimator=case["estimator"], side=case["side"],
                 control=CONTROL)
    rtol = _rtol(case["method"])
    assert r.side == case["side_used"]
    assert r.k0 == case["k0"]
    _close(r.se_k0, case["se_k0"], CLOSED_RTOL, "se_k0")
    _close(r.p_k0, case["p_k0"], CLOSED_RTOL, "p_k0")
    a = r.adjusted
    assert a.k == case["k"]
    _close([a.estimate, a.se, a.pval, a.ci_low, a.ci_high, a.tau2],
           [case[k] for k in ("estimate", "se", "pval", "ci_lb", "ci_ub", "tau2")], rtol, "adjusted")
    if r.k0:
        _close(r.fill_yi, case["fill_yi"], rtol, "fill_yi")
        _close(r.fill_vi, case["fill_vi"], CLOSED_RTOL, "fill_vi")
    else:
        assert len(r.fill_yi) == 0 and case["fill_yi"] == []


@pytest.mark.parametrize("case", SMALL["petpeese"], ids=lambda c: c["dataset"])
def test_pet_peese(case):
    d = SMALL["datasets"][case["dataset"]]
    r = pet_peese(d["yi"], d["vi"])
    _close([r.pet.limit_estimate, r.pet.limit_ci_low, r.pet.limit_ci_high, r.pet.se[0], r.pet_intercept_pval, r.pet.pval],
           [case[k] for k in ("pet_est", "pet_ci_lb", "pet_ci_ub", "pet_se", "pet_pval", "pet_slope_pval")],
           CLOSED_RTOL, "PET")
    _close([r.peese.limit_estimate, r.peese.limit_ci_low, r.peese.limit_ci_high, r.peese.se[0],
            r.peese_intercept_pval, r.peese.pval],
           [case[k] for k in ("peese_est", "peese_ci_lb", "peese_ci_ub", "peese_se", "peese_pval", "peese_slope_pval")],
           CLOSED_RTOL, "PEESE")
    expect = "PEESE" if case["pet_pval"] < 0.10 else "PET"
    assert r.chosen == expect
    assert r.estimate == (r.peese.limit_estimate if expect == "PEESE" else r.pet.limit_estimate)


def test_peters_2006_weights():
    case = SMALL["peters2006"][0]
    d = SMALL["datasets"]["egger2001"]
    r = peters_test(d["yi"], d["vi"], ni=d["ni"], weights="peters2006", events=case["events"],
                    nonevents=case["nonevents"])
    assert r.weights == "peters2006" and r.df == case["dfs"]
    _close(r.coef, case["coef"], CLOSED_RTOL, "coef")
    _close(r.se, case["se"], CLOSED_RTOL, "se")
    _close([r.stat, r.pval], [case["tval"], case["pval"]], CLOSED_RTOL, "t, p")


def test_peters_metafor_weights_is_regtest_lm_ninv():
    d = SMALL["datasets"]["egger2001"]
    case = next(c for c in SMALL["regtest"] if c["dataset"] == "egger2001" and c["model"] == "lm"
                and c["predictor"] == "ninv")
    r = peters_test(d["yi"], d["vi"], ni=d["ni"])
    _close([r.stat, r.pval], [case["zval"], case["pval"]], CLOSED_RTOL)


# ------------------------------------------------------------------------------------------ sensitivity


_ROW_KEYS = [("estimate", "estimate"), ("se", "se"), ("pval", "pval"), ("ci_lb", "ci_low"), ("ci_ub", "ci_high"),
             ("q", "q"), ("q_pvalue", "q_pvalue"), ("tau2", "tau2"), ("h2", "h2")]


@pytest.mark.parametrize("case", SENS["leave1out"], ids=lambda c: _id(c, "dataset", "method", "test"))
def test_leave_one_out(case):
    d = SENS["datasets"][case["dataset"]]
    r = leave_one_out(d["yi"], d["vi"], method=case["method"], test=case["test"], control=CONTROL, study=d["study"])
    rtol = _rtol(case["method"])
    assert r.study == tuple(d["study"])
    _close(r.column("stat"), case["stat"], rtol, "stat")
    _close(r.column("i2"), _arr(case["i2"]) / 100, rtol, "i2")
    for g, mine in _ROW_KEYS:
        if case.get(g) is not None:
            _close(r.column(mine), case[g], rtol, g)


@pytest.mark.parametrize("case", SENS["cumul"], ids=lambda c: _id(c, "dataset", "method", "test"))
def test_cumulative(case):
    d = SENS["datasets"][case["dataset"]]
    order = d["year"] if case["order_by"] == "year" else "precision"
    r = cumulative(d["yi"], d["vi"], order=order, method=case["method"], test=case["test"], control=CONTROL)
    rtol = _rtol(case["method"])
    assert list(r.order + 1) == case["order"]
    # Row 1 is a single study: metafor prints Q = 0, I² = 0, H² = 1 there; the statistics core
    # reports them as undefined (NaN, with a Note), so heterogeneity is compared from row 2 on.
    for g, mine in _ROW_KEYS:
        if case.get(g) is None:
            continue
        gold = _arr(case[g])
        if g in ("q", "q_pvalue", "h2"):
            _close(r.column(mine)[1:], gold[1:], rtol, g)
            assert math.isnan(r.column(mine)[0])
        else:
            _close(r.column(mine), gold, rtol, g)
    _close(r.column("i2")[1:], _arr(case["i2"])[1:] / 100, rtol, "i2")


@pytest.mark.parametrize("case", SENS["influence"], ids=lambda c: _id(c, "dataset", "method", "test", "mods"))
def test_influence(case):
    d = SENS["datasets"][case["dataset"]]
    X = None
    if case["mods"] is not None:
        X = np.column_stack([np.ones(len(d["yi"])), d["ablat"]])
    r = influence(d["yi"], d["vi"], X=X, method=case["method"], test=case["test"], control=CONTROL)
    rtol = _rtol(case["method"])
    for g, mine in [("rstudent", "rstudent"), ("dffits", "dffits"), ("cook_d", "cook_d"), ("cov_r", "cov_r"),
                    ("tau2_del", "tau2_del"), ("qe_del", "qe_del"), ("hat", "hat"), ("weight", "weight")]:
        _close(getattr(r, mine), case[g], rtol, g)
    gold_dfbs = np.column_stack([_arr(v) for v in case["dfbs"].values()])
    _close(r.dfbs.ravel(), gold_dfbs.ravel(), rtol, "dfbs")
    assert list(r.influential) == case["inf"]


@pytest.mark.parametrize("case", SENS["subset"], ids=lambda c: _id(c, "dataset", "method", "test"))
def test_exclude_studies(case):
    d = SENS["datasets"][case["dataset"]]
    r = exclude_studies(d["yi"], d["vi"], exclude=case["exclude"], label="excluding high risk of bias",
                        reason="high risk of bias", method=case["method"], test=case["test"], control=CONTROL,
                        study=d["study"])
    assert r.reduced is not None and r.reduced.k == case["k"]
    assert len(r.excluded) == sum(case["exclude"])
    assert sum(n.code == "excluded" for n in r.notes) == len(r.excluded)
    _close([r.reduced.estimate, r.reduced.se, r.reduced.pval, r.reduced.ci_low, r.reduced.ci_high, r.reduced.tau2,
            r.reduced.q], [case[k] for k in ("estimate", "se", "pval", "ci_lb", "ci_ub", "tau2", "q")],
           _rtol(case["method"]))


# ------------------------------------------------------------------------------------------ moderators


@pytest.mark.parametrize("case", MODS["metareg"], ids=lambda c: _id(c, "dataset", "mods", "method", "test"))
def test_meta_regression(case):
    d = MODS["datasets"][case["dataset"]]
    rtol = _rtol(case["method"])
    if "year" in case["mods"]:
        rtol = max(rtol, ILL_CONDITIONED_RTOL)
    k_all = len(d["yi"])
    not_na = np.asarray(case["not_na"], dtype=bool)
    # (a) the design matrix metafor used, passed directly (NaN rows where metafor dropped a study)
    Xr = np.column_stack(case["X"])
    X = np.full((k_all, Xr.shape[1]), np.nan)
    X[not_na] = Xr
    r = meta_regression(d["yi"], d["vi"], X=X, method=case["method"], test=case["test"], control=CONTROL,
                        study=d["study"])
    # (b) the same model from named moderator columns (categorical ones dummy-coded against their
    # first sorted level, as R's factor())
    mods = {c: d[c] for c in case["columns"]}
    r2 = meta_regression(d["yi"], d["vi"], mods=mods, method=case["method"], test=case["test"], control=CONTROL,
                         study=d["study"])
    assert_allclose(r2.X, Xr, rtol=0, atol=0)
    assert len(r2.coef_names) == len(case["coef_names"])
    for res in (r, r2):
        assert res.k == case["k"]
        dropped = [s for s, ok in zip(d["study"], not_na) if not ok]
        assert list(res.excluded) == dropped
        assert [n.study for n in res.notes if n.code == "missing_moderator"] == dropped
        _close(res.coef, case["coef"], rtol, "coef")
        _close(res.se, case["se"], rtol, "se")
        _close(res.stat, case["stat"], rtol, "stat")
        _close(res.pval, case["pval"], rtol, "pval")
        _close(res.ci_low, case["ci_lb"], rtol, "ci_lb")
        _close(res.ci_high, case["ci_ub"], rtol, "ci_ub")
        _close([res.qm, res.qm_pvalue], [case["qm"], case["qm_pvalue"]], rtol, "QM")
        assert list(res.qm_df) == case["qm_df"]
        _close([res.qe, res.qe_pvalue], [case["qe"], case["qe_pvalue"]], rtol, "QE")
        assert res.qe_df == case["qe_df"]
        _close([res.tau2, res.i2, res.h2], [case["tau2"], case["i2"], case["h2"]], rtol, "tau2/i2/h2")
        _close(res.r2, case["r2"], rtol, "R2")
        assert res.df == case["df"]


@pytest.mark.parametrize("case", MODS["subgroups"], ids=lambda c: _id(c, "dataset", "moderator", "method", "test"))
def test_subgroups(case):
    d = MODS["datasets"][case["dataset"]]
    rtol = _rtol(case["method"])
    mod = case["moderator"]
    s = subgroup_analysis(d["yi"], d["vi"], groups=d[mod], moderator=mod, method=case["method"],
                          test=case["test"], control=CONTROL)
    assert [g.level for g in s.groups] == case["groups"]
    assert [g.k for g in s.groups] == case["k"]
    for key, attr in [("estimate", "estimate"), ("se", "se"), ("ci_lb", "ci_low"), ("ci_ub", "ci_high"),
                      ("pval", "pval"), ("tau2", "tau2"), ("q", "q"), ("i2", "i2")]:
        _close([getattr(g, attr) for g in s.groups], case[key], rtol, key)
    _close([s.q_between, s.q_between_pvalue], [case["q_between"], case["q_between_pvalue"]], rtol, "Q-between")
    assert s.q_between_df == (case["q_between_df"],)
    c = subgroup_analysis(d["yi"], d["vi"], groups=d[mod], moderator=mod, tau2="common",
                          method=case["method"], test=case["test"], control=CONTROL)
    for key, attr in [("common_estimate", "estimate"), ("common_se", "se"), ("common_ci_lb", "ci_low"),
                      ("common_ci_ub", "ci_high")]:
        _close([getattr(g, attr) for g in c.groups], case[key], rtol, key)
    _close([c.q_between, c.q_between_pvalue, c.tau2_common],
           [case["common_qm"], case["common_qm_pvalue"], case["common_tau2"]], rtol, "common")
    assert list(c.q_between_df) == [x for x in case["common_qm_df"] if x is not None]
    assert c.distribution == ("F" if case["test"] == "knha" else "chi2")


# REML refits the model for each of 256 or 360 permutations (~0.5-2 s a case): those cases are slow (CI runs them)
@pytest.mark.parametrize("case", [pytest.param(c, marks=pytest.mark.slow) if c["method"] == "REML" and c["n_perm"] >= 256
                                  else c for c in MODS["permutest"] if c["exact"]],
                         ids=lambda c: _id(c, "dataset", "mods", "method", "test"))
def test_permutation_exact(case):
    X = np.column_stack(case["X"])
    m = meta_regression(case["yi"], case["vi"], X=X, intercept=True, method=case["method"], test=case["test"],
                        control=CONTROL)
    p = permutation_test(m, n_perm=1000)
    assert p.exact and p.n_perm == case["n_perm"]
    # exact p-values are ratios of counts: they agree exactly (up to the division)
    assert_allclose(p.pval, _arr(case["pval"]), rtol=0, atol=1e-12)
    assert_allclose(p.qm_pvalue, case["qm_pvalue"], rtol=0, atol=1e-12)


@pytest.mark.slow  # 2,000 random permutations, each a REML refit (~8 s)
def test_permutation_random_within_monte_carlo_error():
    case = next(c for c in MODS["permutest"] if not c["exact"])
    X = np.column_stack(case["X"])
    m = meta_regression(case["yi"], case["vi"], X=X, method=case["method"], test=case["test"], control=CONTROL)
    n = 2000
    p = permutation_test(m, n_perm=n, exact=False, seed=20240601)
    assert not p.exact and p.n_perm == n and p.seed == 20240601
    # R used case["n_perm"] (5000) random permutations with R's RNG, we use 2000 with numpy's: compare
    # within 4 Monte Carlo standard errors of the difference (+1/n for the observed data counted first).
    for mine, gold in zip(np.append(p.pval, p.qm_pvalue), np.append(_arr(case["pval"]), case["qm_pvalue"])):
        se = math.sqrt(max(gold * (1 - gold), 1e-4) * (1 / n + 1 / case["n_perm"]))
        assert abs(mine - gold) <= 4 * se + 1 / n, (mine, gold, se)
    # seeded: reproducible (a shorter run keeps the test fast)
    a = permutation_test(m, n_perm=200, exact=False, seed=7)
    b = permutation_test(m, n_perm=200, exact=False, seed=7)
    assert_allclose(np.append(a.pval, a.qm_pvalue), np.append(b.pval, b.qm_pvalue), rtol=0, atol=0)
