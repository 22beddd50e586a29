"""Large k (issue 19 item 5): ``meta`` fits an intercept-only model with k = 100,000 studies in O(k)
memory (no k x k matrix: 80 GB at that k), and the O(k) route (k > ``stats.fit.DENSE_MAX_K``)
gives the numbers of the dense metafor route.  No timing assertion: the slow tests only check that
the fits finish, their memory and their numbers."""
from __future__ import annotations

import json
import tracemalloc

import numpy as np
import pytest
from numpy.testing import assert_allclose

from evigrade.stats import fit as fitmod
from evigrade.stats import meta_analysis

from .hostile_helpers import run

#: The dense and the O(k) route compute the same sums in a different order (the O(k) diagonal of P
#: from leave-one-out sums); on these data they agree to ~1e-13 relative.  1e-9 leaves room for the
#: iterative estimators' stopping rule (|change| < 1e-10 in tau2) landing one step apart.
ROUTE_RTOL = 1e-9
FIELDS = ("estimate", "se", "ci_low", "ci_high", "pi_low", "pi_high", "tau2", "i2", "h2", "q",
          "tau2_ci_low", "tau2_ci_high", "pval")


def _data(k: int, seed: int = 19, tau2: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    vi = rng.uniform(0.005, 0.5, k)
    return rng.normal(0.2, np.sqrt(vi + tau2)), vi


@pytest.mark.parametrize("method", ["REML", "ML", "DL", "PM", "EB", "HE", "SJ", "HS"])
def test_large_k_route_agrees_with_the_dense_route(monkeypatch, method):
    yi, vi = _data(fitmod.DENSE_MAX_K + 201)
    fast = meta_analysis(yi, vi, method=method)
    monkeypatch.setattr(fitmod, "DENSE_MAX_K", 10**9)  # the same data through the k x k route
    dense = meta_analysis(yi, vi, method=method)
    for f in FIELDS:
        assert_allclose(getattr(fast, f), getattr(dense, f), rtol=ROUTE_RTOL, atol=1e-14, err_msg=f)


@pytest.mark.slow  # ~3 s: the dense route's Q-profile with one study of 99.99% weight
def test_large_k_route_with_tau2_zero_and_one_dominant_study(monkeypatch):
    """Homogeneous data (tau2 at its bound 0) and one study with 99.99% of the weight."""
    yi, vi = _data(fitmod.DENSE_MAX_K + 101, tau2=0.0)
    vi[7] = 1e-9
    fast = meta_analysis(yi, vi)
    monkeypatch.setattr(fitmod, "DENSE_MAX_K", 10**9)
    dense = meta_analysis(yi, vi)
    for f in FIELDS:
        assert_allclose(getattr(fast, f), getattr(dense, f), rtol=ROUTE_RTOL, atol=1e-14, err_msg=f)


@pytest.mark.slow
def test_k_100000_in_linear_memory():
    k = 100_000
    yi, vi = _data(k)
    tracemalloc.start()
    try:
        res = meta_analysis(yi, vi)  # REML, Knapp-Hartung, Q-profile CI for tau2, prediction interval
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 200 * 2**20, peak  # about 20 MB; one k x k float matrix alone would be 80 GB
    assert res.k == k and res.diagnostics.converged
    # the truth the data were drawn from (mu 0.2, tau2 0.05), within a few standard errors
    assert abs(res.estimate - 0.2) < 5 * res.se
    assert res.tau2_ci_low < 0.05 < res.tau2_ci_high


@pytest.mark.slow
def test_meta_cli_k_100000(tmp_path, capsys):
    k = 100_000
    yi, vi = _data(k)
    p = tmp_path / "big.csv"
    with open(p, "w") as fh:
        fh.write("study,yi,vi\n")
        fh.writelines(f"S{i},{y:.17g},{v:.17g}\n" for i, (y, v) in enumerate(zip(yi, vi)))
    rc, out, err = run(capsys, "meta", p, "-m", "GEN", "--json")
    assert rc == 0, err
    d = json.loads(out)
    assert d["k"] == k and len(d["studies"]) == k
    ref = meta_analysis(yi, vi)
    assert_allclose(d["estimate"], ref.estimate, rtol=1e-12)
    assert_allclose(d["tau2"], ref.tau2, rtol=1e-12)
    rc, out, err = run(capsys, "meta", p, "-m", "GEN", "--no-color")  # the text lists the first 2,000
    assert rc == 0, err
    assert f"the first 2,000 of {k:,} studies are listed" in out
