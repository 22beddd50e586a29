"""Two deliberate behaviour fixes checked against R metafor 3.8-1 (issue 20).

* trimfill() on a Hartung-Knapp fit: metafor refits the filled data with a Wald z-test (its
  trimfill() calls rma.uni() without test=); with k0 = 0 the original (t-based) fit is returned.
* cumulative() without ``order``: metafor's cumul() keeps the data order.

Goldens: tests/reference/golden/extras_rma.json from tests/reference/r/extras.R.  Never calls R.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose

from evigrade.stats.bias import trimfill
from evigrade.stats.sensitivity import cumulative

G = json.loads((Path(__file__).parent / "golden" / "extras_rma.json").read_text())
CONTROL = {"threshold": 1e-12, "maxiter": 10000}
#: REML/DL fits iterated to 1e-12 on tau² on both sides: ~1e-10 relative in derived values.
RTOL = 1e-8
#: REML at the boundary: metafor may stop at tau² ~ 1e-13 where we reach 0 exactly.
ATOL = 1e-9


@pytest.mark.parametrize("case", G["trimfill_knha"], ids=lambda c: f"{c['dataset']}-{c['method']}-{c['estimator']}")
def test_trimfill_on_knha_fit_refits_with_z(case):
    d = G["datasets"][case["dataset"]]
    r = trimfill(d["yi"], d["vi"], method=case["method"], test="knha", estimator=case["estimator"], control=CONTROL)
    assert r.k0 == case["k0"] and r.side == case["side"]
    a = r.adjusted
    assert_allclose([a.estimate, a.se, a.stat, a.pval, a.ci_low, a.ci_high, a.tau2],
                    [case[k] for k in ("beta", "se", "zval", "pval", "ci_lb", "ci_ub", "tau2")], rtol=RTOL, atol=ATOL)
    assert (a.df is None) == (case["result_test"] == "z")
    if case["k0"] > 0:
        assert case["result_test"] == "z"
        assert any(n.code == "trimfill_wald" for n in r.notes)


@pytest.mark.parametrize("case", G["cumul_default"], ids=lambda c: f"{c['dataset']}-{c['test']}")
def test_cumulative_default_is_data_order(case):
    d = G["datasets"][case["dataset"]]
    r = cumulative(d["yi"], d["vi"], method="REML", test=case["test"], control=CONTROL)
    assert r.order_by == "given" and list(r.order) == list(range(len(d["yi"])))
    gold = {k: np.asarray([np.nan if x is None else x for x in case[k]], dtype=float)
            for k in ("estimate", "se", "ci_lb", "ci_ub", "tau2")}
    assert_allclose(r.column("estimate"), gold["estimate"], rtol=RTOL, atol=ATOL)
    assert_allclose(r.column("se"), gold["se"], rtol=RTOL, atol=ATOL)
    assert_allclose(r.column("tau2"), gold["tau2"], rtol=RTOL, atol=ATOL)
    # metafor gives no CI for the first step under Hartung-Knapp (k - 1 = 0 df)
    ok = np.isfinite(gold["ci_lb"])
    assert_allclose(r.column("ci_low")[ok], gold["ci_lb"][ok], rtol=RTOL, atol=ATOL)
    assert_allclose(r.column("ci_high")[ok], gold["ci_ub"][ok], rtol=RTOL, atol=ATOL)
