"""Fit statistics, anova (LRT and Wald), predict(newmods=) and test="t" against R metafor 3.8-1.

Goldens: tests/reference/golden/extras_rma.json, written by tests/reference/r/extras.R (sourced by
``Rscript tests/reference/make_golden.R``); every case records its R call.  These tests never call R.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose

from evigrade.stats import fit_rma
from evigrade.stats.fitstats import fit_statistics, lrt, predict, wald_test

G = json.loads((Path(__file__).parent / "golden" / "extras_rma.json").read_text())
CONTROL = {"threshold": 1e-12, "maxiter": 10000}
#: Closed forms (FE, DL) and everything derived from them: floating-point rounding only.
CLOSED_RTOL = 1e-10
#: ML/REML/PM: both sides iterate to 1e-12 on tau²; derived quantities differ at ~1e-10 relative.
ITER_RTOL = 1e-8
#: Models with raw calendar years next to an intercept (X'X condition number ~1e10): metafor
#: inverts X'WX, we use QR; rounding alone moves coefficients by ~1e-9 relative.
YEAR_RTOL = 1e-7
ATOL = 1e-12


def _arr(x):
    return np.asarray([np.nan if v is None else v for v in np.atleast_1d(np.asarray(x, dtype=object))], dtype=float)


def _rtol(case, mods_key="mods"):
    if "year" in case.get(mods_key, []):
        return YEAR_RTOL
    return CLOSED_RTOL if case["method"] in ("FE", "DL") else ITER_RTOL


def _X(ds, mods):
    d = G["datasets"][ds]
    k = len(d["yi"])
    return np.column_stack([np.ones(k)] + [np.asarray(d[m], dtype=float) for m in mods])


def _fit(ds, mods, method, test="z"):
    d = G["datasets"][ds]
    return fit_rma(d["yi"], d["vi"], _X(ds, mods), method=method, test=test, control=CONTROL)


def test_provenance():
    assert G["metafor_version"] == "3.8.1" and G["r_version"].startswith("R version 4.2.2")
    assert len(G["fits"]) >= 100 and len(G["lrt"]) >= 15 and len(G["wald"]) >= 60 and len(G["predict"]) >= 36


@pytest.mark.parametrize("case", G["fits"], ids=lambda c: f"{c['dataset']}-{'+'.join(c['mods'])}-{c['method']}-{c['test']}")
def test_fitstats_and_t_test(case):
    f = _fit(case["dataset"], case["mods"], case["method"], case["test"])
    rtol = _rtol(case)
    fs = fit_statistics(f)
    assert fs.parms == case["parms"]
    got = [fs.loglik, fs.deviance, fs.aic, fs.bic, fs.aicc]
    assert_allclose(got, [case[k] for k in ("loglik", "deviance", "aic", "bic", "aicc")], rtol=rtol, atol=ATOL)
    for mine, key in ((f.beta, "beta"), (f.se, "se"), (f.zval, "zval"), (f.pval, "pval"), (f.ci_low, "ci_lb"),
                      (f.ci_high, "ci_ub")):
        assert_allclose(mine, _arr(case[key]), rtol=rtol, atol=ATOL, err_msg=key)
    if case["test"] == "z":
        assert f.df is None
    else:
        assert f.df == _arr(case["dfs"])[0]
    if "QM" in case:
        w = wald_test(f)
        assert_allclose([w.qm, w.qm_pvalue], [case["QM"], case["QMp"]], rtol=rtol, atol=ATOL)
        assert list(w.qm_df) == [None if np.isnan(q) else int(q) for q in _arr(case["QMdf"])]


@pytest.mark.parametrize("case", G["lrt"], ids=lambda c: f"{c['dataset']}-{'+'.join(c['full_mods'])}-{c['method']}")
def test_lrt(case):
    d = G["datasets"][case["dataset"]]
    if case["method"] == "REML":
        full = fit_rma(d["yi"], d["vi"], method="REML", control=CONTROL)
        red = fit_rma(d["yi"], d["vi"], method="FE", control=CONTROL)  # tau2 = 0 on the REML scale
        rtol = ITER_RTOL
    else:
        full = _fit(case["dataset"], case["full_mods"], case["method"])
        red = _fit(case["dataset"], case["reduced_mods"], case["method"])
        rtol = _rtol(case, "full_mods")
    r = lrt(full, red)
    assert (r.full.parms, r.reduced.parms) == (case["df_full"], case["df_reduced"])
    assert_allclose([r.lrt, r.pval], [case["LRT"], case["pval"]], rtol=rtol, atol=ATOL)
    assert_allclose([r.full.loglik, r.reduced.loglik, r.full.aic, r.reduced.aic, r.full.bic, r.reduced.bic],
                    [case["ll_full"], case["ll_reduced"], case["aic_full"], case["aic_reduced"], case["bic_full"],
                     case["bic_reduced"]], rtol=rtol, atol=ATOL)


def test_lrt_refuses_reml_with_different_fixed_effects():
    from evigrade.errors import SpecError

    full = _fit("bcg", ["ablat"], "REML")
    red = _fit("bcg", [], "REML")
    with pytest.raises(SpecError, match="same fixed effects"):
        lrt(full, red)
    with pytest.raises(SpecError, match="not a likelihood estimator"):
        lrt(_fit("bcg", ["ablat"], "DL"), _fit("bcg", [], "DL"))


@pytest.mark.parametrize("case", G["wald"], ids=lambda c: f"{c['dataset']}-{c['method']}-{c['test']}-{c.get('btt', 'L')}")
def test_wald(case):
    f = _fit(case["dataset"], case["mods"], case["method"], case["test"])
    rtol = YEAR_RTOL
    if "L" in case:
        w = wald_test(f, L=case["L"])
        for mine, key in ((w.estimate, "Xb"), (w.se, "se"), (w.stat, "zval"), (w.pval, "pval")):
            assert_allclose(mine, _arr(case[key]), rtol=rtol, atol=ATOL, err_msg=key)
    else:
        w = wald_test(f, case["btt"])
    assert_allclose([w.qm, w.qm_pvalue], [case["QM"], case["QMp"]], rtol=rtol, atol=ATOL)
    assert list(w.qm_df) == [None if np.isnan(q) else int(q) for q in _arr(case["QMdf"])]


@pytest.mark.parametrize("case", G["predict"], ids=lambda c: f"{c['dataset']}-{'+'.join(c['mods'])}-{c['method']}-{c['test']}")
def test_predict(case):
    f = _fit(case["dataset"], case["mods"], case["method"], case["test"])
    p = predict(f, case["newmods"])
    rtol = _rtol(case)
    for mine, key in ((p.pred, "pred"), (p.se, "se"), (p.ci_low, "ci_lb"), (p.ci_high, "ci_ub"), (p.pi_low, "pi_lb"),
                      (p.pi_high, "pi_ub")):
        gold = _arr(case[key])
        if case["method"] == "FE" and key.startswith("pi"):
            assert np.all(np.isnan(mine))
            continue
        assert_allclose(mine, gold, rtol=rtol, atol=ATOL, err_msg=key)
