"""Step-function selection models against R metafor 3.8-1 selmodel(type="stepfun").

Goldens: tests/reference/golden/extras_selmodel.json from tests/reference/r/selmodel.R (metafor's
optimiser run with reltol=1e-14, maxit=10000; numDeriv Hessian).  Never calls R.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose

from evigrade.errors import InputError, SpecError
from evigrade.stats.selection import selection_model

G = json.loads((Path(__file__).parent / "golden" / "extras_selmodel.json").read_text())
#: Log-likelihood at the maximum and the LRT: flat at the optimum, both sides agree closely.
LL_ATOL = 1e-8
#: Parameters: the selection-model likelihood is flat in the weights, so optim's BFGS (even at
#: reltol 1e-14) stops where the parameters are known to about 1e-5 relative;
#: test_we_reach_at_least_metafors_maximum shows ours is never the lower maximum.
PAR_RTOL = 1e-4
#: Standard errors: second derivatives by finite differences on both sides (numDeriv, Richardson).
SE_RTOL = 1e-3
#: Near-zero pooled estimates (e.g. hackshaw1998, mu ~ 0.002): compared absolutely.
PAR_ATOL = 1e-5


def _arr(x):
    return np.asarray([np.nan if v is None else v for v in np.atleast_1d(np.asarray(x, dtype=object))], dtype=float)


def _fit(case):
    d = G["datasets"][case["dataset"]]
    return selection_model(d["yi"], d["vi"], steps=case["steps"], alternative=case["alternative"])


def test_provenance():
    assert G["metafor_version"] == "3.8.1" and G["r_version"].startswith("R version 4.2.2")
    assert len(G["stepfun"]) >= 8


@pytest.mark.parametrize("case", G["stepfun"],
                         ids=lambda c: f"{c['dataset']}-{len(c['steps'])}steps-{c['alternative']}")
def test_stepfun(case):
    r = _fit(case)
    assert list(r.interval_k) == [int(x) for x in case["ptable"]]
    assert r.loglik >= case["ll"] - LL_ATOL  # we reach at least metafor's maximum
    if np.any(_arr(case["delta"])[1:] > 99):
        # a weight at metafor's upper bound 100 (metafor warns; here a Note): metafor stops just short of
        # it (99.99), we reach it, so the log-likelihood is ~1e-6 higher and the weight's SE is
        # meaningless on both sides; the pooled estimate, tau² and its SE still agree
        assert any(n.code == "selmodel_boundary" for n in r.notes)
        assert_allclose([r.estimate, r.tau2, r.se, r.tau2_se], [case["beta"], case["tau2"], case["se"], case["se_tau2"]],
                        rtol=PAR_RTOL)
        assert_allclose(r.delta, _arr(case["delta"]), rtol=1e-3)
        return
    assert_allclose([r.loglik, r.loglik0, r.lrt], [case["ll"], case["ll0"], case["LRT"]], atol=LL_ATOL, rtol=0)
    assert_allclose(r.lrt_pvalue, case["LRTp"], rtol=1e-6)
    assert r.lrt_df == case["LRTdf"]
    assert_allclose([r.estimate, r.tau2], [case["beta"], case["tau2"]], rtol=PAR_RTOL, atol=PAR_ATOL)
    assert_allclose(r.delta, _arr(case["delta"]), rtol=PAR_RTOL, atol=PAR_ATOL)
    assert_allclose([r.se, r.tau2_se], [case["se"], case["se_tau2"]], rtol=SE_RTOL)
    assert_allclose(r.delta_se[1:], _arr(case["se_delta"])[1:], rtol=SE_RTOL)
    assert_allclose([r.ci_low, r.ci_high], [case["ci_lb"], case["ci_ub"]], rtol=PAR_RTOL, atol=PAR_ATOL)


def test_bad_steps():
    d = G["datasets"]["bcg"]
    with pytest.raises(SpecError, match="steps"):
        selection_model(d["yi"], d["vi"], steps=(0.5, 0.025))
    with pytest.raises(InputError, match="no study has a p-value"):
        selection_model(d["yi"], d["vi"], steps=(0.025, 0.025 + 1e-12, 1))
