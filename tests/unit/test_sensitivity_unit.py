"""Leave-one-out, cumulative, influence and exclusion analyses: bad input, notes, structure."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest
from numpy.testing import assert_allclose

from evigrade.errors import InputError, SpecError
from evigrade.stats import fit_rma, meta_analysis
from evigrade.stats.sensitivity import cumulative, exclude_studies, influence, leave_one_out

YI = np.array([-0.889, -1.585, -1.348, -1.442, -0.218, -0.786, -1.621, 0.012, -0.469, -1.371, -0.339, 0.446, -0.017])
VI = np.array([0.326, 0.195, 0.415, 0.020, 0.051, 0.007, 0.223, 0.004, 0.056, 0.073, 0.012, 0.533, 0.071])
YEAR = [1948, 1949, 1960, 1977, 1973, 1953, 1973, 1980, 1968, 1961, 1974, 1969, 1976]
STUDY = [f"S{i + 1}" for i in range(13)]


def test_leave_one_out_rows_are_refits_without_each_study():
    r = leave_one_out(YI, VI, method="REML", test="knha", study=STUDY)
    keep = np.arange(13) != 4
    direct = fit_rma(YI[keep], VI[keep], test="knha")
    assert_allclose(r.column("estimate")[4], direct.beta[0], rtol=1e-12)
    assert r.rows[4].k == 12 and r.test == "knha"
    f = r.to_frame()
    assert list(f["study"]) == STUDY and len(f) == 13
    d = json.loads(json.dumps(r.to_dict()))
    assert d["omitted"][0]["study"] == "S1"


def test_leave_one_out_takes_method_from_a_meta_result():
    m = meta_analysis(YI, VI, method="DL", test="z")
    r = leave_one_out(m)
    assert r.method == "DL" and r.test == "z"
    assert_allclose(r.full.estimate, m.estimate, rtol=1e-12)


def test_leave_one_out_small_k():
    with pytest.raises(InputError, match="at least 2 studies"):
        leave_one_out([0.1], [0.01])
    r = leave_one_out([0.1, 0.3], [0.01, 0.02], method="DL")
    assert any(n.code == "k_small" for n in r.notes)
    assert_allclose(r.column("estimate"), [0.3, 0.1])


def test_cumulative_orders():
    r = cumulative(YI, VI, order=YEAR, method="DL", test="z", study=STUDY)
    assert r.study[0] == "S1" and r.study[1] == "S2" and r.study[-1] == "S8"
    assert r.rows[0].k == 1 and r.rows[-1].k == 13
    assert math.isnan(r.column("q")[0])  # undefined for one study
    p = cumulative(YI, VI, order="precision", method="DL")
    assert p.study[0] == "study 8"  # smallest variance first
    d = cumulative(YI, VI, order=YEAR, descending=True, method="DL", study=STUDY)
    assert d.study[0] == "S8"
    g = cumulative(YI, VI, order="given", method="DL")
    assert list(g.order) == list(range(13))
    json.dumps(r.to_dict())


def test_cumulative_bad_order():
    with pytest.raises(SpecError, match="order="):
        cumulative(YI, VI, order="alphabetical")
    with pytest.raises(InputError, match="one ordering value"):
        cumulative(YI, VI, order=YEAR[:3])
    y = list(YEAR)
    y[3] = None
    with pytest.raises(InputError) as e:
        cumulative(YI, VI, order=np.array(y, dtype=float), study=STUDY)
    assert "(S4)" in str(e.value) and "missing" in str(e.value)


def test_influence_structure_and_small_k():
    r = influence(YI, VI, method="REML", test="z", study=STUDY)
    assert r.dfbs.shape == (13, 1) and r.coef_names == ("intrcpt",)
    assert_allclose(r.weight.sum(), 1.0, rtol=1e-12)
    assert_allclose(r.hat, r.weight, rtol=1e-12)  # intercept-only: hat = weight
    f = r.to_frame()
    assert {"rstudent", "cook_d", "dfbs_intrcpt", "influential"} <= set(f.columns)
    for i in np.flatnonzero(r.influential):
        assert any(n.code == "influential" and n.study == STUDY[i] for n in r.notes)
    json.dumps(r.to_dict())
    with pytest.raises(InputError, match="more studies"):
        influence(YI[:2], VI[:2])


def test_exclude_studies_notes_and_edge_cases():
    mask = np.zeros(13, bool)
    mask[[0, 3]] = True
    r = exclude_studies(YI, VI, exclude=mask, label="excluding high risk of bias", reason="high risk of bias",
                        study=STUDY)
    assert r.excluded == ("S1", "S4") and r.reduced.k == 11
    assert [n.study for n in r.notes if n.code == "excluded"] == ["S1", "S4"]
    assert "high risk of bias" in r.notes[0].message
    assert_allclose(r.change, r.reduced.estimate - r.full.estimate)
    assert list(r.to_frame()["analysis"]) == ["all studies", "excluding high risk of bias"]
    none = exclude_studies(YI, VI, exclude=np.zeros(13, bool))
    assert none.reduced.estimate == none.full.estimate
    assert any(n.code == "nothing_excluded" for n in none.notes)
    allx = exclude_studies(YI, VI, exclude=np.ones(13, bool))
    assert allx.reduced is None and any(n.code == "nothing_left" for n in allx.notes)
    assert json.loads(json.dumps(allx.to_dict()))["reduced"] is None
    with pytest.raises(InputError, match="True or False"):
        exclude_studies(YI, VI, exclude=["high"] * 13)
    with pytest.raises(InputError, match="one True/False per study"):
        exclude_studies(YI, VI, exclude=[True])


# ------------------------------------------------------------------------------------------ properties

from hypothesis import given, settings, strategies as st  # noqa: E402

from evigrade.stats.bias import ranktest, trimfill  # noqa: E402

_effects = st.lists(st.tuples(st.floats(-3, 3, allow_nan=False), st.floats(0.005, 1.0, allow_nan=False)),
                    min_size=4, max_size=14)


@settings(max_examples=30, deadline=None)
@given(rows=_effects, seed=st.integers(0, 1000))
def test_leave_one_out_and_influence_follow_the_studies(rows, seed):
    y = np.array([r[0] for r in rows])
    v = np.array([r[1] for r in rows])
    perm = np.random.default_rng(seed).permutation(len(y))
    a = leave_one_out(y, v, method="DL", test="z")
    b = leave_one_out(y[perm], v[perm], method="DL", test="z")
    assert_allclose(b.column("estimate"), a.column("estimate")[perm], rtol=1e-9, atol=1e-12)
    ia = influence(y, v, method="DL", test="z")
    ib = influence(y[perm], v[perm], method="DL", test="z")
    assert_allclose(ib.cook_d, ia.cook_d[perm], rtol=1e-7, atol=1e-10)
    assert_allclose(ia.hat.sum(), 1.0, rtol=1e-9)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10**6), k=st.integers(4, 14), shift=st.floats(-5, 5))
def test_rank_test_and_trimfill_are_location_equivariant(seed, k, shift):
    # continuous random data (exact ties, which rounding can create or break under a shift, excluded)
    rng = np.random.default_rng(seed)
    v = rng.uniform(0.01, 1.0, k)
    y = rng.normal(0, 1, k) * np.sqrt(v) + 0.3 * np.sqrt(v)
    r1, r2 = ranktest(y, v), ranktest(y + shift, v)
    assert r1.exact == r2.exact and 0 <= r1.pval <= 1
    assert_allclose([r2.tau, r2.pval], [r1.tau, r1.pval], rtol=1e-9, atol=1e-12)
    t1 = trimfill(y, v, method="FE", side="left")
    t2 = trimfill(y + shift, v, method="FE", side="left")
    assert t1.k0 == t2.k0
    assert_allclose(t2.adjusted.estimate, t1.adjusted.estimate + shift, rtol=1e-7, atol=1e-7)


def test_rank_test_undefined_when_all_effects_are_equal():
    r = ranktest([0.0, 0.0, 0.0, 0.0], [0.1, 0.2, 0.3, 0.4])
    assert np.isnan(r.tau) and np.isnan(r.pval)
    assert any(n.code == "undefined" for n in r.notes)
