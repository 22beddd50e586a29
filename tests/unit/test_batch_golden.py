"""The batch engine against R metafor golden values (benchmarks/make_batch_golden.R).

60 seeded analyses (k = 1..15, a third homogeneous) x FE, DL, PM, ML, REML, EB x z, knha:
estimate, se, z/t, p, CI, PI, tau2, se(tau2), Q, Q p, I2, H2 and the Q-profile CIs for tau2, I2, H2.
metafor was run with control=list(threshold=1e-12, maxiter=10000, tol=1e-12) and confint() with
tol=1e-12, i.e. to full convergence; the batch engine uses the same stopping rule.
"""
from __future__ import annotations

import json
import pathlib

import pandas as pd
import pytest
from numpy.testing import assert_allclose

from batch_helpers import golden_table
from evigrade import batch

GOLDEN = pathlib.Path(__file__).with_name("test_batch_metafor_golden.json")

#: Tolerances.  Closed forms (FE, DL) agree to rounding.  Iterative estimators (PM, ML, REML, EB and
#: the Q-profile bounds) are limited by the stopping rules (|change| <= 1e-12 for Fisher scoring in
#: both; uniroot's tol = 1e-12 in metafor against Newton to 1e-13 relative here), which leaves
#: differences of ~1e-12 in tau2 and ~1e-11 in quantities that magnify them (H2, t statistics);
#: 1e-9 keeps a margin of 100 without hiding a real error (the project bar is 1e-6).
ATOL = {"FE": 1e-10, "DL": 1e-10}
ATOL_ITERATIVE = 1e-9
RTOL = 1e-10
N_CASES = 12  # 6 methods x 2 tests


@pytest.fixture(params=["kernel", "numpy"], autouse=True)
def batch_engine(request, monkeypatch):
    """Every golden check runs on both engines: the compiled kernel (numba) and the numpy engine."""
    from evigrade.batch import engine

    monkeypatch.setattr(engine, "DEFAULT_ENGINE", request.param)
    return request.param


@pytest.fixture(scope="module")
def golden():
    return json.loads(GOLDEN.read_text())


@pytest.fixture(scope="module")
def table(golden):
    return golden_table(golden["analyses"])


def test_golden_has_provenance_and_full_grid(golden):
    assert golden["provenance"]["metafor"] == "3.8.1"
    assert "threshold=1e-12" in golden["provenance"]["call"]
    assert len(golden["fits"]) >= N_CASES
    assert all(len(f["results"]) >= 55 for f in golden["fits"])


@pytest.mark.parametrize("case", range(N_CASES))
def test_batch_matches_metafor(golden, table, case):
    fit = golden["fits"][case]
    method, test = fit["method"], fit["test"]
    got = batch.run(table, method, test, tau2_ci=True).table.set_index("analysis_id")
    ref = pd.DataFrame(fit["results"]).set_index("id")
    got = got.loc[ref.index]
    atol = ATOL.get(method, ATOL_ITERATIVE)
    cols = [c for c in ref.columns]
    assert {"estimate", "tau2", "pi_low", "q"} <= set(cols)
    for col in cols:
        want = ref[col].to_numpy(dtype=float)
        assert_allclose(got[col].to_numpy(dtype=float), want, rtol=RTOL, atol=atol, equal_nan=True,
                        err_msg=f"{method}/{test} {col}")


# ------------------------------------------------------------------------------------------------
# Hard convergence cases (tests/reference/r/convergence.R -> tests/reference/golden/rma_convergence.json):
# metafor's Fisher scoring oscillates (osc_*: expected values from control=list(stepadj=0.5,
# threshold=1e-12), the REML maximiser), a tau2 of ~4694 whose ulp exceeds threshold = 1e-12, and
# an ML fit where metafor's ll0check sets tau2 to 0.  The batch engine runs the one convergence
# path of evigrade.stats.fit (NEWTON_AFTER) and must give metafor's values with no fallback, at the
# iterative tolerance above.

CONV = json.loads((pathlib.Path(__file__).parents[1] / "reference" / "golden" / "rma_convergence.json").read_text())
CONV_COLS = ("estimate", "se", "pval", "ci_low", "ci_high", "pi_low", "pi_high", "tau2", "tau2_se", "q", "q_pvalue",
             "i2", "h2", "tau2_ci_low", "tau2_ci_high", "i2_ci_low", "i2_ci_high", "h2_ci_low", "h2_ci_high")


@pytest.mark.parametrize("case", CONV["cases"], ids=lambda c: f"{c['id']}-{c['test']}")
def test_batch_hard_convergence_cases_match_metafor(case):
    k = len(case["yi"])
    res = batch.fit_arrays([case["id"]] * k, case["yi"], case["vi"], method=case["method"], test=case["test"],
                           tau2_ci=True).table.iloc[0]
    assert res.converged and res.method_used == case["method"]
    for col in CONV_COLS:
        want = float("nan") if case[col] is None else float(case[col])
        assert_allclose(float(res[col]), want, rtol=RTOL, atol=ATOL_ITERATIVE, equal_nan=True, err_msg=col)
    codes = set(filter(None, res.notes.split("; ")))
    assert ("slow_convergence" in codes) == case["id"].startswith("osc_")
    assert ("local_maximum" in codes) == (case["id"] == "ll0_ML_k2")  # the code meta_analysis writes too
    assert not any(c.startswith("fallback") for c in codes)
