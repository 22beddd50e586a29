"""Meta-regression, subgroups and the permutation test: bad input, notes, structure (no R needed)."""
from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from evigrade.errors import InputError, SpecError
from evigrade.stats import fit_rma
from evigrade.stats.regression import design_matrix, meta_regression, permutation_test
from evigrade.stats.subgroups import subgroup_analysis

YI = np.array([-0.889, -1.585, -1.348, -1.442, -0.218, -0.786, -1.621, 0.012, -0.469, -1.371, -0.339, 0.446, -0.017])
VI = np.array([0.326, 0.195, 0.415, 0.020, 0.051, 0.007, 0.223, 0.004, 0.056, 0.073, 0.012, 0.533, 0.071])
ABLAT = [44, 55, 42, 52, 13, 44, 19, 13, 27, 42, 18, 33, 33]
ALLOC = ["random", "random", "random", "random", "alternate", "alternate", "random", "random", "systematic",
         "systematic", "systematic", "systematic", "systematic"]
STUDY = [f"S{i + 1}" for i in range(13)]


def test_design_matrix_dummy_codes_against_first_sorted_level():
    X, names, keep, notes = design_matrix({"alloc": ALLOC, "ablat": ABLAT}, 13)
    assert names == ("intrcpt", "alloc[random]", "alloc[systematic]", "ablat")
    assert keep.all() and notes == ()
    assert_allclose(X[:, 1], [1.0 if a == "random" else 0.0 for a in ALLOC])


def test_numeric_codes_can_be_forced_categorical():
    codes = [0, 0, 1, 1, 2, 2, 0, 1, 2, 0, 1, 2, 0]
    r = meta_regression(YI, VI, mods={"dose": codes}, categorical=["dose"], method="DL")
    assert r.coef_names == ("intrcpt", "dose[1]", "dose[2]")
    assert r.qm_df == (2, 10)


def test_one_level_moderator_is_a_clear_input_error():
    with pytest.raises(InputError) as e:
        meta_regression(YI, VI, mods={"setting": ["clinic"] * 13})
    msg = str(e.value)
    assert "column setting" in msg and "only one level" in msg and "fix:" in msg and "\n" not in msg
    with pytest.raises(InputError, match="constant"):
        meta_regression(YI, VI, mods={"dose": [5] * 13})


def test_missing_moderator_values_exclude_studies_with_notes():
    ab = list(ABLAT)
    ab[2] = None
    ab[5] = float("nan")
    r = meta_regression(YI, VI, mods=pd.DataFrame({"ablat": ab}), method="REML", test="z", study=STUDY)
    assert r.k == 11 and r.excluded == ("S3", "S6")
    codes = [n for n in r.notes if n.code == "missing_moderator"]
    assert [n.study for n in codes] == ["S3", "S6"]
    keep = np.ones(13, bool)
    keep[[2, 5]] = False
    direct = fit_rma(YI[keep], VI[keep], np.column_stack([np.ones(11), np.array(ABLAT, float)[keep]]), test="z")
    assert_allclose(r.coef, direct.beta, rtol=1e-12)


def test_too_few_studies_for_the_model():
    with pytest.raises(InputError, match="too few studies"):
        meta_regression(YI[:3], VI[:3], mods={"a": [1, 2, 3], "b": [3, 1, 2]})


def test_wrong_length_moderator():
    with pytest.raises(InputError, match="one moderator value per study"):
        meta_regression(YI, VI, mods={"ablat": ABLAT[:5]})


def test_result_to_dict_and_frame():
    r = meta_regression(YI, VI, mods={"ablat": ABLAT})
    d = json.loads(json.dumps(r.to_dict()))
    assert [c["name"] for c in d["coefficients"]] == ["intrcpt", "ablat"]
    assert d["test"] == "knha" and d["df"] == 11 and 0 <= d["r2"] <= 1
    f = r.to_frame()
    assert list(f.columns) == ["coefficient", "estimate", "se", "stat", "pval", "ci_low", "ci_high"]
    assert any(n.code == "k_small" for n in meta_regression(YI[:8], VI[:8], mods={"a": ABLAT[:8]}).notes)


def test_r2_is_zero_when_tau2_is_zero_without_moderators():
    yi = np.array([0.10, 0.12, 0.11, 0.09, 0.10, 0.13])
    vi = np.full(6, 0.04)
    r = meta_regression(yi, vi, mods={"x": [1, 2, 3, 4, 5, 6]}, method="REML")
    assert r.r2 == 0 and any(n.code == "r2_undefined" for n in r.notes)


def test_permutation_options():
    r = meta_regression(YI[:6], VI[:6], mods={"ablat": ABLAT[:6]}, method="DL", test="z")
    with pytest.raises(SpecError, match="n_perm"):
        permutation_test(r, n_perm=1)
    with pytest.raises(SpecError, match="exact"):
        permutation_test(r, exact="yes")
    with pytest.raises(SpecError, match="max_exact"):
        permutation_test(r, exact=True, max_exact=10)
    with pytest.raises(SpecError, match="MetaRegressionResult"):
        permutation_test("model")
    p = permutation_test(r, n_perm=1000)
    assert p.exact and p.n_perm == 360 and p.mc_se == 0  # 6!/2! (two studies share ablat = 44)
    q = permutation_test(r, n_perm=100, seed=1)
    assert not q.exact and q.n_perm == 100 and q.mc_se > 0
    json.dumps(p.to_dict())


def test_permutation_intercept_only_uses_sign_flips():
    r = meta_regression(YI[:6], VI[:6], method="DL", test="z")
    assert r.coef_names == ("intrcpt",) and math.isnan(r.r2)
    p = permutation_test(r, n_perm=1000)
    assert p.exact and p.n_perm == 2**6
    # all six effects are negative: only the all-negative and all-positive sign patterns are as extreme
    assert_allclose(p.pval, [2 / 64], rtol=1e-12)


# ------------------------------------------------------------------------------------------ subgroups


def test_subgroup_one_level_and_option_errors():
    with pytest.raises(InputError) as e:
        subgroup_analysis(YI, VI, groups=["a"] * 13, moderator="technique")
    assert "column technique" in str(e.value) and "only one level" in str(e.value)
    with pytest.raises(SpecError, match="tau2"):
        subgroup_analysis(YI, VI, groups=ALLOC, tau2="pooled")
    with pytest.raises(InputError, match="one subgroup value per study"):
        subgroup_analysis(YI, VI, groups=ALLOC[:4])


def test_subgroup_missing_values_and_single_study_groups():
    g = list(ALLOC)
    g[0] = None
    g[1] = ""
    g[4] = "other"  # a subgroup with a single study
    s = subgroup_analysis(YI, VI, groups=g, study=STUDY, method="DL", test="z")
    assert s.excluded == ("S1", "S2")
    assert [n.study for n in s.notes if n.code == "missing_moderator"] == ["S1", "S2"]
    lone = next(x for x in s.groups if x.level == "other")
    assert lone.k == 1 and lone.estimate == YI[4]
    assert any(n.code == "k_small" for n in s.notes)
    assert s.q_between_df == (3,)
    d = json.loads(json.dumps(s.to_dict()))
    assert d["groups"][0]["level"] == "alternate"
    assert list(s.to_frame()["level"]) == ["alternate", "other", "random", "systematic"]


def test_subgroup_common_tau2_needs_enough_studies():
    with pytest.raises(InputError, match="common tau2"):
        subgroup_analysis(YI[:3], VI[:3], groups=["a", "b", "c"], tau2="common")


# ------------------------------------------------------------------------------------------ properties

from hypothesis import given, settings, strategies as st  # noqa: E402

_effects = st.lists(
    st.tuples(st.floats(-3, 3, allow_nan=False), st.floats(0.005, 1.0, allow_nan=False), st.floats(0, 80)),
    min_size=5, max_size=14,
).filter(lambda rows: np.ptp([r[2] for r in rows]) > 1.0)


@settings(max_examples=30, deadline=None)
@given(rows=_effects, shift=st.floats(-5, 5), scale=st.floats(0.2, 5), method=st.sampled_from(["DL", "REML", "FE"]))
def test_meta_regression_location_and_scale_equivariance(rows, shift, scale, method):
    y = np.array([r[0] for r in rows])
    v = np.array([r[1] for r in rows])
    x = np.array([r[2] for r in rows])
    base = meta_regression(y, v, mods={"x": x}, method=method, test="z")
    loc = meta_regression(y + shift, v, mods={"x": x}, method=method, test="z")
    sc = meta_regression(y * scale, v * scale**2, mods={"x": x}, method=method, test="z")
    assert_allclose(loc.coef[0], base.coef[0] + shift, rtol=1e-7, atol=1e-7)
    assert_allclose(loc.coef[1], base.coef[1], rtol=1e-6, atol=1e-9)
    assert_allclose(loc.tau2, base.tau2, rtol=1e-6, atol=1e-9)
    assert_allclose(sc.coef, base.coef * scale, rtol=1e-6, atol=1e-9)
    assert_allclose(sc.tau2, base.tau2 * scale**2, rtol=1e-6, atol=1e-9)
    assert_allclose(sc.qm, base.qm, rtol=1e-6, atol=1e-9)
    assert 0 <= base.qm_pvalue <= 1 and 0 <= base.i2 <= 1
    assert np.isnan(base.r2) or 0 <= base.r2 <= 1


@settings(max_examples=25, deadline=None)
@given(rows=_effects, seed=st.integers(0, 1000))
def test_subgroups_do_not_depend_on_study_order(rows, seed):
    y = np.array([r[0] for r in rows])
    v = np.array([r[1] for r in rows])
    g = np.array(["a" if r[2] < 40 else "b" for r in rows])
    if len(set(g)) < 2:
        g[0] = "b" if g[0] == "a" else "a"
    perm = np.random.default_rng(seed).permutation(len(y))
    s1 = subgroup_analysis(y, v, groups=list(g), method="DL", test="z")
    s2 = subgroup_analysis(y[perm], v[perm], groups=list(g[perm]), method="DL", test="z")
    assert_allclose([x.estimate for x in s1.groups], [x.estimate for x in s2.groups], rtol=1e-9, atol=1e-12)
    assert_allclose(s1.q_between, s2.q_between, rtol=1e-8, atol=1e-10)
    assert 0 <= s1.q_between_pvalue <= 1


def test_pandas_missing_values_in_categorical_and_numeric_moderators():
    df = pd.DataFrame({"alloc": pd.array(ALLOC, dtype="string"), "ablat": pd.array(ABLAT, dtype="Int64")})
    df.loc[1, "alloc"] = pd.NA
    df.loc[4, "ablat"] = pd.NA
    r = meta_regression(YI, VI, mods=df, method="DL", test="z", study=STUDY)
    assert r.excluded == ("S2", "S5") and r.k == 11
    assert r.coef_names == ("intrcpt", "alloc[random]", "alloc[systematic]", "ablat")
    s = subgroup_analysis(YI, VI, groups=list(df["alloc"]), study=STUDY, method="DL", test="z")
    assert s.excluded == ("S2",) and [g.level for g in s.groups] == ["alternate", "random", "systematic"]


def test_permutation_with_many_studies_does_not_overflow():
    rng = np.random.default_rng(5)
    k = 200
    v = rng.uniform(0.01, 0.1, k)
    y = rng.normal(0, 0.3, k)
    r = meta_regression(y, v, mods={"x": rng.normal(size=k)}, method="DL", test="z")
    p = permutation_test(r, n_perm=20, seed=3)  # 200! distinct permutations: random, not exact
    assert not p.exact and p.n_perm == 20 and 0 < p.qm_pvalue <= 1
