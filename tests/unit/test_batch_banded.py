"""The fast paths of the batch engine's Fisher scoring (evigrade.batch.engine).

* ``_Banded``: from 256 analyses on, the bulk of the ML/REML/EB updates runs on dense
  (analyses x k) arrays (the same sums added in another order).  The metafor goldens (60 analyses)
  and the 200-analysis fuzz blocks of test_batch_engine.py are below that size, so here the banded
  path is forced (``_BANDED_MIN = 1``) and checked against the same metafor goldens at the same
  tolerances, and against the row-segment path on the hard fuzz analyses (extreme weights, k = 2..5)
  to 1e-9 with the same notes, estimator and convergence.
* ``_halve_steps``: metafor's step halving with the number of halvings computed directly, which
  must be bit-identical to halving one step at a time (including subnormal steps).
"""
from __future__ import annotations

import json
import pathlib

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from batch_helpers import fuzz_table as _fuzz_table, golden_table
from evigrade import batch
from evigrade.batch import engine
from evigrade.batch.workload import make_workload

HERE = pathlib.Path(__file__).parent
GOLDEN = json.loads((HERE / "test_batch_metafor_golden.json").read_text())
CONV = json.loads((HERE.parent / "reference" / "golden" / "rma_convergence.json").read_text())
#: the tolerances of test_batch_golden.py (iterative estimators: stopping rules leave ~1e-12 in tau2)
ATOL_ITERATIVE = 1e-9
RTOL = 1e-10


@pytest.fixture(autouse=True)
def numpy_engine(monkeypatch):
    """These tests exercise the vectorised numpy engine (the compiled kernel has no banded path)."""
    monkeypatch.setattr(engine, "DEFAULT_ENGINE", "numpy")


@pytest.fixture
def banded(monkeypatch):
    monkeypatch.setattr(engine, "_BANDED_MIN", 1)


def _golden_table():
    return golden_table(GOLDEN["analyses"])


_ITERATIVE_FITS = [i for i, f in enumerate(GOLDEN["fits"]) if f["method"] in ("ML", "REML", "EB")]


@pytest.mark.parametrize("case", _ITERATIVE_FITS)
def test_banded_path_matches_metafor_goldens(banded, case):
    fit = GOLDEN["fits"][case]
    got = batch.run(_golden_table(), fit["method"], fit["test"], tau2_ci=True).table.set_index("analysis_id")
    ref = pd.DataFrame(fit["results"]).set_index("id")
    got = got.loc[ref.index]
    for col in ref.columns:
        assert_allclose(got[col].to_numpy(dtype=float), ref[col].to_numpy(dtype=float), rtol=RTOL,
                        atol=ATOL_ITERATIVE, equal_nan=True, err_msg=f"{fit['method']}/{fit['test']} {col}")


def test_banded_path_on_hard_convergence_cases(banded):
    """The oscillating cases need Newton steps after update 100: the banded phase hands them over."""
    cases = [c for c in CONV["cases"] if c["test"] == "knha"] or CONV["cases"]
    rows = [(c["id"], y, v) for c in cases for y, v in zip(c["yi"], c["vi"])]
    df = pd.DataFrame(rows, columns=["analysis_id", "yi", "vi"])
    for method in sorted({c["method"] for c in cases}):
        mine = [c for c in cases if c["method"] == method]
        sub = df[df.analysis_id.isin([c["id"] for c in mine])]
        got = batch.run(sub, method, mine[0]["test"], tau2_ci=True).table.set_index("analysis_id")
        for c in mine:
            res = got.loc[c["id"]]
            assert res.converged and res.method_used == method
            for col in ("estimate", "tau2", "tau2_se", "pi_low", "pi_high"):
                want = float("nan") if c[col] is None else float(c[col])
                assert_allclose(float(res[col]), want, rtol=RTOL, atol=ATOL_ITERATIVE, equal_nan=True,
                                err_msg=f"{c['id']} {col}")
            assert ("slow_convergence" in res.notes) == c["id"].startswith("osc_")


_FUZZ = _fuzz_table(2000, seed=7)
_COLS = ("estimate", "se", "ci_low", "ci_high", "pi_low", "pi_high", "tau2", "tau2_se", "i2", "h2", "pval")


@pytest.mark.parametrize("method", ["ML", "REML", "EB"])
def test_banded_and_segment_paths_agree_on_hard_analyses(monkeypatch, method):
    monkeypatch.setattr(engine, "_BANDED_MIN", 1)
    fast = batch.run(_FUZZ, method, "knha").table
    monkeypatch.setattr(engine, "_BANDED_MIN", 10**12)
    ref = batch.run(_FUZZ, method, "knha").table
    for col in _COLS:
        assert_allclose(fast[col].to_numpy(float), ref[col].to_numpy(float), rtol=1e-9, atol=1e-9,
                        equal_nan=True, err_msg=col)
    assert fast.notes.tolist() == ref.notes.tolist()
    assert fast.method_used.tolist() == ref.method_used.tolist()
    assert fast.converged.tolist() == ref.converged.tolist()
    # the stopping iteration can move by one where |change| lands within rounding of the threshold
    assert np.abs(fast.iterations.to_numpy() - ref.iterations.to_numpy()).max() <= 1


def test_banded_path_is_used_on_large_workloads_and_agrees(monkeypatch):
    df = make_workload(600, seed=3, k_min=1, k_max=60)  # k = 1 included
    monkeypatch.setattr(engine, "_BANDED_MIN", 10**12)
    ref = batch.run(df, "REML", "knha").table
    monkeypatch.setattr(engine, "_BANDED_MIN", 256)
    calls = []
    real = engine._Banded.build

    def spy(seg):
        calls.append(len(seg))
        return real(seg)

    monkeypatch.setattr(engine._Banded, "build", staticmethod(spy))
    fast = batch.run(df, "REML", "knha").table
    assert calls == [600]
    for col in _COLS:
        assert_allclose(fast[col].to_numpy(float), ref[col].to_numpy(float), rtol=1e-10, atol=1e-10,
                        equal_nan=True, err_msg=col)
    assert fast.notes.tolist() == ref.notes.tolist()


def _halve_naive(t, adj, neg):
    adj = adj.copy()
    bad = neg & (t + adj < 0.0)
    while bad.any():
        adj[bad] *= 0.5
        bad = t + adj < 0.0
    return adj


@pytest.mark.parametrize("seed", range(5))
def test_halve_steps_bit_identical_to_halving_one_step_at_a_time(seed):
    rng = np.random.default_rng(seed)
    n = 4000
    t = 10.0 ** rng.uniform(-320, 3, n)  # down to subnormal tau2
    t[:50] = 0.0
    adj = -t * 10.0 ** rng.uniform(-1, 30, n)
    adj[50:100] = -np.ldexp(t[50:100], rng.integers(0, 60, 50))  # exact powers of two: boundary cases
    adj[100:150] = rng.uniform(-1, 1, 50)
    adj[:50] = 0.0
    neg = t + adj < 0.0
    got = adj.copy()
    engine._halve_steps(t, got, neg)
    want = _halve_naive(t, adj, neg)
    assert np.array_equal(got, want)
    assert (t + got >= 0.0).all()
