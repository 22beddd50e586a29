"""Cluster-robust variance (metafor robust(); CR2 through clubSandwich) against R.

Goldens: tests/reference/golden/extras_mv.json from tests/reference/r/extras.R (R 4.2.2, metafor
3.8-1, clubSandwich 0.5.8).  Never calls R.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose

from evigrade.errors import InputError
from evigrade.stats import fit_rma
from evigrade.stats.robust import robust

G = json.loads((Path(__file__).parent / "golden" / "extras_mv.json").read_text())
CONTROL = {"threshold": 1e-12, "maxiter": 10000}
#: REML/DL/FE fits to 1e-12 on tau² on both sides; the sandwich adds only rounding.  Designs with
#: raw calendar years (X'X condition ~1e9) lose ~1e-9 relative to rounding in metafor's inversion.
RTOL = 1e-7
ATOL = 1e-12


def _arr(x):
    return np.asarray([np.nan if v is None else v for v in np.atleast_1d(np.asarray(x, dtype=object))], dtype=float)


def _X(d, mods):
    k = len(d["yi"])
    return np.column_stack([np.ones(k)] + [np.asarray(d[m], dtype=float) for m in mods])


@pytest.mark.parametrize("case", G["robust_uni"],
                         ids=lambda c: f"{c['dataset']}-{'+'.join(c['mods'])}-{c['method']}-{c['vbest']}")
def test_robust_rma_uni(case):
    d = G["datasets"][case["dataset"]]
    f = fit_rma(d["yi"], d["vi"], _X(d, case["mods"]), method=case["method"], control=CONTROL)
    r = robust(f, d["cluster"], vcov="CR2" if case["clubSandwich"] else "CR1")
    assert r.vcov == case["vbest"] and r.n_clusters == case["n"]
    for mine, key in ((r.beta, "beta"), (r.se, "se"), (r.stat, "zval"), (r.pval, "pval"), (r.ci_low, "ci_lb"),
                      (r.ci_high, "ci_ub"), (r.df, "dfs")):
        gold = _arr(case[key])
        assert_allclose(mine, np.broadcast_to(gold, mine.shape) if key == "dfs" else gold, rtol=RTOL, atol=ATOL,
                        err_msg=key)  # CR1: metafor stores one df (n - p) for all coefficients
    assert_allclose(r.vb, np.asarray(case["vb"]), rtol=RTOL, atol=ATOL)
    assert_allclose([r.qm, r.qm_pvalue, *r.qm_df], [case["QM"], case["QMp"], *case["QMdf"]], rtol=RTOL, atol=ATOL)


def test_robust_needs_more_clusters_than_coefficients():
    d = G["datasets"]["konstantopoulos2011"]
    f = fit_rma(d["yi"], d["vi"], method="REML")
    with pytest.raises(InputError, match="number of clusters"):
        robust(f, [1] * len(d["yi"]))
    with pytest.raises(InputError, match="cluster has"):
        robust(f, d["cluster"][:-1])


def test_robust_on_hksj_meta_result_equals_metafor_on_the_z_fit():
    """Deliberate: metafor scales its bread by the HKSJ factor on a knha fit; we do not (a Note says so)."""
    from evigrade.stats import meta_analysis

    case = next(c for c in G["robust_uni"] if c["dataset"] == "konstantopoulos2011" and not c["mods"]
                and c["method"] == "REML" and not c["clubSandwich"])
    d = G["datasets"]["konstantopoulos2011"]
    r = robust(meta_analysis(d["yi"], d["vi"], method="REML", test="knha", control=CONTROL), d["cluster"])
    assert_allclose([r.se[0], r.pval[0], r.ci_low[0]], [case["se"][0], case["pval"][0], case["ci_lb"][0]], rtol=RTOL)
    assert any(n.code == "robust_replaces_knha" for n in r.notes)
