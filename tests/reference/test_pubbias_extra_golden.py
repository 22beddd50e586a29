"""Fail-safe N, the test of excess significance and the Henmi-Copas CI against R metafor 3.8-1.

Goldens: tests/reference/golden/extras_pubbias.json from tests/reference/r/pubbias_extra.R.
Never calls R.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose

from evigrade.stats.pubbias import fsn, henmi_copas, tes

G = json.loads((Path(__file__).parent / "golden" / "extras_pubbias.json").read_text())
#: Closed forms (fsn, tes powers and the exact / chi² / binomial p-values): rounding only.
CLOSED_RTOL = 1e-10
#: Henmi-Copas: a root of a numerical integral; metafor uses R's integrate() at its default
#: rel.tol (eps^0.25, typically far more accurate than requested) and uniroot at tol 1e-12.
HC_RTOL = 1e-7
ATOL = 1e-13


def _f(x):
    return np.nan if x is None else float(x)


def test_provenance():
    assert G["metafor_version"] == "3.8.1" and G["r_version"].startswith("R version 4.2.2")
    assert len(G["fsn"]) >= 36 and len(G["tes"]) >= 16 and len(G["hc"]) >= 12


@pytest.mark.parametrize("case", G["fsn"], ids=lambda c: f"{c['dataset']}-{c['type']}-{c['weighted']}-{c['target_arg']}")
def test_fsn(case):
    d = G["datasets"][case["dataset"]]
    r = fsn(d["yi"], d["vi"], type=case["type"], weighted=case["weighted"], target=case["target_arg"])
    assert r.fsnum == case["fsnum"]
    assert_allclose([r.pval, r.meanes, r.target], [_f(case[k]) for k in ("pval", "meanes", "target")],
                    rtol=CLOSED_RTOL, atol=ATOL, equal_nan=True)


@pytest.mark.parametrize("case", G["tes"], ids=lambda c: f"{c['dataset']}-{c['test']}")
def test_tes(case):
    d = G["datasets"][case["dataset"]]
    r = tes(d["yi"], d["vi"], test=case["test"])
    assert r.O == case["O"] and r.test == case["test"]
    assert_allclose([r.E, r.oe_ratio, r.pval, r.theta, r.x2], [_f(case[k]) for k in ("E", "OEratio", "pval", "theta", "X2")],
                    rtol=CLOSED_RTOL, atol=ATOL, equal_nan=True)
    assert_allclose(r.power, case["power"], rtol=CLOSED_RTOL, atol=ATOL)


def test_tes_default_test_choice_is_metafors():
    d = G["datasets"]["bcg"]
    assert tes(d["yi"], d["vi"]).test == "exact"  # 2^13 subsets
    d = G["datasets"]["bangertdrowns2004"]
    assert tes(d["yi"], d["vi"]).test == "chi2"  # k = 48: too many subsets


@pytest.mark.parametrize("case", G["hc"], ids=lambda c: f"{c['dataset']}-{c['method']}")
def test_henmi_copas(case):
    d = G["datasets"][case["dataset"]]
    r = henmi_copas(d["yi"], d["vi"], method=case["method"])
    assert_allclose([r.estimate, r.se, r.tau2], [case["beta"], case["se"], case["tau2"]], rtol=CLOSED_RTOL)
    assert_allclose([r.ci_low, r.ci_high], [case["ci_lb"], case["ci_ub"]], rtol=HC_RTOL)
    assert_allclose([r.estimate_rma, r.ci_low_rma], [case["beta_rma"], case["ci_lb_rma"]], rtol=1e-7)
