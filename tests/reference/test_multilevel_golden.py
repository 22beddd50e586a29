"""Multilevel models (metafor rma.mv, random = ~ 1 | cluster/obs), vcalc(), LRT and robust() on them.

Goldens: tests/reference/golden/extras_mv.json from tests/reference/r/extras.R (R 4.2.2, metafor
3.8-1, clubSandwich 0.5.8) on dat.konstantopoulos2011 (schools in districts; metafor's own rma.mv
example), dat.assink2016 and dat.bornmann2007 (effects in studies).  Never calls R.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose

from evigrade.errors import InputError, SpecError
from evigrade.stats.fitstats import lrt, predict
from evigrade.stats.multilevel import multilevel, vcalc
from evigrade.stats.robust import robust

G = json.loads((Path(__file__).parent / "golden" / "extras_mv.json").read_text())
#: Variance components: the golden keeps the highest of three metafor fits (bobyqa rhoend 1e-12, nlminb
#: rel.tol 1e-12, default control: control_used), which reach the maximum to ~1e-13 in logLik
#: (test_we_reach_at_least_metafors_maximum: the two maxima agree to that).  Seen: 5e-7 relative
#: (konstantopoulos2011 ~ year, REML, raw calendar years).  (nlminb alone, the earlier goldens: 8e-7.)
SIGMA_RTOL = 1e-6
#: Fixed effects, SEs, tests and QM follow the components; p-values amplify the relative error of
#: z by about z² (seen: 2.2e-7 on the SEs, 1e-7 on beta).
COEF_RTOL = 1e-6
#: Log-likelihood and the information criteria: flat at the optimum, seen 1e-13.
LL_RTOL = 1e-10
#: QE does not depend on the variance components: rounding only.
QE_RTOL = 1e-10
#: Profile-likelihood CIs: metafor's uniroot stops at tol = 1e-10 (set in extras.R) on top of the
#: components' uncertainty above.
CI_RTOL = 1e-5
ATOL = 1e-12
#: Profile CIs cost one refit per root-finding step; checked on the z-test cases only (the t cases
#: have the same likelihood).
PROFILE = lambda c: c["test"] == "z"  # noqa: E731


def _arr(x):
    return np.asarray([np.nan if v is None else v for v in np.atleast_1d(np.asarray(x, dtype=object))], dtype=float)


def _X(d, mods):
    k = len(d["yi"])
    return np.column_stack([np.ones(k)] + [np.asarray(d[m], dtype=float) for m in mods])


def _fit(case, **kw):
    d = G["datasets"][case["dataset"]]
    return multilevel(d["yi"], d["vi"], d["cluster"], d["obs"], X=_X(d, case.get("mods", [])),
                      method=case.get("method", "REML"), test=case.get("test", "z"), **kw)


def test_provenance():
    assert G["metafor_version"] == "3.8.1" and G["r_version"].startswith("R version 4.2.2")
    assert G["clubsandwich_version"] == "0.5.8"
    assert len(G["multilevel"]) == 24 and len(G["robust_mv"]) == 12 and len(G["vcalc"]) == 6 and len(G["lrt"]) == 6
    assert {c["dataset"] for c in G["multilevel"]} == {"konstantopoulos2011", "assink2016", "bornmann2007"}


#: the two larger datasets' fits take 1-2 s each: marked slow (CI runs them; konstantopoulos2011, the
#: published example, stays in the quick loop)
_LARGE = ("assink2016", "bornmann2007")


@pytest.mark.parametrize("case", [pytest.param(c, marks=pytest.mark.slow) if c["dataset"] in _LARGE else c
                                  for c in G["multilevel"]],
                         ids=lambda c: f"{c['dataset']}-{'+'.join(c['mods'])}-{c['method']}-{c['test']}")
def test_multilevel(case):
    r = _fit(case, profile_ci=PROFILE(case))
    assert case["control_used"] in ("bobyqa", "mvctrl", "default")
    assert r.converged
    assert_allclose(r.sigma2, case["sigma2"], rtol=SIGMA_RTOL, atol=ATOL)
    for mine, key in ((r.beta, "beta"), (r.se, "se"), (r.zval, "zval"), (r.pval, "pval"), (r.ci_low, "ci_lb"),
                      (r.ci_high, "ci_ub")):
        assert_allclose(mine, _arr(case[key]), rtol=COEF_RTOL, atol=ATOL, err_msg=key)
    assert r.df == (None if case["test"] == "z" else len(r.yi) - r.p)
    fs = r.fit_statistics
    assert fs.parms == case["parms"]
    assert_allclose([fs.loglik, fs.deviance, fs.aic, fs.bic, fs.aicc],
                    [case[k] for k in ("loglik", "deviance", "aic", "bic", "aicc")], rtol=LL_RTOL)
    assert_allclose([r.qe, r.qe_pvalue], [case["QE"], case["QEp"]], rtol=QE_RTOL, atol=ATOL)
    assert_allclose([r.qm, r.qm_pvalue], [case["QM"], case["QMp"]], rtol=COEF_RTOL, atol=ATOL)
    p = predict(r, None if r.p == 1 else r.X[:1])
    gold_pred = _arr(case["pred"])
    if r.p == 1:
        assert_allclose([p.pred[0], p.pi_low[0], p.pi_high[0], r.pi_low, r.pi_high],
                        [gold_pred[0], _arr(case["pi_lb"])[0], _arr(case["pi_ub"])[0], _arr(case["pi_lb"])[0],
                         _arr(case["pi_ub"])[0]], rtol=COEF_RTOL)
    else:  # predict() without newmods gives the fitted values; compare the first one
        assert_allclose(p.pred[0], gold_pred[0], rtol=COEF_RTOL)
        assert_allclose([p.pi_low[0], p.pi_high[0]], [_arr(case["pi_lb"])[0], _arr(case["pi_ub"])[0]],
                        rtol=COEF_RTOL)
    if PROFILE(case):
        lo, hi = _arr(case["sigma2_ci_lb"]), _arr(case["sigma2_ci_ub"])
        ok_lo, ok_hi = np.isfinite(lo), np.isfinite(hi)  # NA where metafor's profiling failed
        assert_allclose(r.sigma2_ci_low[ok_lo], lo[ok_lo], rtol=CI_RTOL)
        assert_allclose(r.sigma2_ci_high[ok_hi], hi[ok_hi], rtol=CI_RTOL)
        assert np.all(np.isfinite(r.sigma2_ci_low)) and np.all(r.sigma2_ci_low < r.sigma2)
        assert np.all(r.sigma2 < r.sigma2_ci_high)


@pytest.mark.parametrize("case", G["multilevel"],
                         ids=lambda c: f"{c['dataset']}-{'+'.join(c['mods'])}-{c['method']}-{c['test']}")
def test_we_reach_at_least_metafors_maximum(case):
    """Our (restricted) log-likelihood at our components >= at metafor's components (both fixed)."""
    ours = _fit(case, profile_ci=False).fit_statistics.loglik
    at_metafor = _fit(case, sigma2=tuple(case["sigma2"]), profile_ci=False).fit_statistics.loglik
    assert ours >= at_metafor - 1e-12 * abs(at_metafor)


@pytest.mark.parametrize("case", G["lrt"], ids=lambda c: f"{c['dataset']}-{c['method']}")
def test_lrt_three_vs_two_levels(case):
    full = _fit(case, profile_ci=False)
    red = _fit(case, sigma2=(0.0, None), profile_ci=False)
    assert_allclose(red.sigma2, case["sigma2_reduced"], rtol=SIGMA_RTOL, atol=ATOL)
    assert_allclose([red.beta[0], red.se[0]], [case["beta_reduced"][0], case["se_reduced"][0]],
                    rtol=COEF_RTOL)
    t = lrt(full, red)
    assert (t.full.parms, t.reduced.parms) == (case["df_full"], case["df_reduced"])
    assert_allclose([t.lrt, t.pval, t.full.loglik, t.reduced.loglik, t.full.aic, t.reduced.aic],
                    [case[k] for k in ("LRT", "pval", "ll_full", "ll_reduced", "aic_full", "aic_reduced")],
                    rtol=1e-8)


@pytest.mark.parametrize("case", G["robust_mv"],
                         ids=lambda c: f"{c['dataset']}-{'+'.join(c['mods'])}-{c['vbest']}")
def test_robust_on_multilevel(case):
    r0 = _fit(case, profile_ci=False)
    d = G["datasets"][case["dataset"]]
    r = robust(r0, d["cluster"], vcov="CR2" if case["clubSandwich"] else "CR1")
    assert r.n_clusters == case["n"] and r.vcov == case["vbest"]
    rtol = 5e-7  # follows the variance components (COEF_RTOL): the working model is the fitted one
    for mine, key in ((r.se, "se"), (r.stat, "zval"), (r.pval, "pval"), (r.ci_low, "ci_lb"), (r.ci_high, "ci_ub")):
        assert_allclose(mine, _arr(case[key]), rtol=rtol, atol=ATOL, err_msg=key)
    gold_df = _arr(case["dfs"])
    assert_allclose(r.df, np.broadcast_to(gold_df, r.df.shape), rtol=rtol)
    assert_allclose(r.vb, np.asarray(case["vb"]), rtol=rtol, atol=ATOL)
    assert_allclose([r.qm, r.qm_pvalue, *r.qm_df], [case["QM"], case["QMp"], *case["QMdf"]], rtol=rtol)


@pytest.mark.parametrize("case", G["vcalc"], ids=lambda c: f"{c['dataset']}-rho{c['rho']}")
def test_vcalc_and_multilevel_on_full_v(case):
    d = G["datasets"][case["dataset"]]
    V = vcalc(d["vi"], d["cluster"], obs=d["obs"], rho=case["rho"])
    assert_allclose(V, np.asarray(case["V"]), rtol=1e-14, atol=0)
    r = multilevel(d["yi"], None, d["cluster"], d["obs"], V=V, profile_ci=False)
    assert case["control_used"] in ("bobyqa", "mvctrl", "default")
    assert_allclose(r.sigma2, case["sigma2"], rtol=SIGMA_RTOL, atol=ATOL)
    assert_allclose([r.beta[0], r.se[0], r.pval[0]], [case["beta"][0], case["se"][0], case["pval"][0]],
                    rtol=COEF_RTOL)
    assert_allclose([r.qe, r.fit_statistics.loglik], [case["QE"], case["loglik"]], rtol=LL_RTOL)


def test_bad_input():
    d = G["datasets"]["assink2016"]
    with pytest.raises(SpecError, match="method"):
        multilevel(d["yi"], d["vi"], d["cluster"], d["obs"], method="DL")
    with pytest.raises(InputError, match="cluster has"):
        multilevel(d["yi"], d["vi"], d["cluster"][:-1], d["obs"])
    V = vcalc(d["vi"], d["cluster"], rho=0.5)
    V[0, -1] = V[-1, 0] = 0.001
    with pytest.raises(InputError, match="different clusters"):
        multilevel(d["yi"], None, d["cluster"], d["obs"], V=V)
    with pytest.raises(SpecError, match="rho"):
        vcalc(d["vi"], d["cluster"], rho=1.5)
