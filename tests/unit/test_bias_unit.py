"""Small-study tests: bad input, notes, exact Kendall distribution, JSON output (no R needed)."""
from __future__ import annotations

import json
import math
from types import SimpleNamespace

import numpy as np
import pytest
from numpy.testing import assert_allclose

from evigrade.errors import InputError, SpecError
from evigrade.stats.bias import (
    egger_test,
    kendall_exact_cdf,
    pet_peese,
    peters_test,
    ranktest,
    regtest,
    small_study_summary,
    trimfill,
)

# bcg (log RR) from metadat, rounded: enough structure for asymmetry tests
YI = np.array([-0.889, -1.585, -1.348, -1.442, -0.218, -0.786, -1.621, 0.012, -0.469, -1.371, -0.339, 0.446, -0.017])
VI = np.array([0.326, 0.195, 0.415, 0.020, 0.051, 0.007, 0.223, 0.004, 0.056, 0.073, 0.012, 0.533, 0.071])
NI = np.array([262, 609, 451, 26465, 10877, 2992, 3174, 176782, 14776, 3381, 34043, 2498, 17854], dtype=float)


def _one_line(exc):
    return "\n" not in str(exc.value) and len(str(exc.value)) > 0


def test_regtest_too_few_studies():
    with pytest.raises(InputError) as e:
        regtest([0.1, 0.2], [0.01, 0.02])
    assert _one_line(e) and "at least 3 studies" in str(e.value)


def test_regtest_needs_sample_sizes_for_ni_predictors():
    with pytest.raises(InputError) as e:
        regtest(YI, VI, predictor="ninv")
    assert "column ni" in str(e.value) and "fix:" in str(e.value)


def test_regtest_bad_options_are_spec_errors():
    with pytest.raises(SpecError, match="model='glm' is not one of 'rma', 'lm'"):
        regtest(YI, VI, model="glm")
    with pytest.raises(SpecError, match="predictor"):
        regtest(YI, VI, predictor="se")
    with pytest.raises(SpecError, match="method"):
        regtest(YI, VI, method="REML2")


def test_regtest_constant_predictor():
    with pytest.raises(InputError, match="same for every study"):
        regtest(YI, np.full(13, 0.1))


def test_regtest_bad_variance_names_the_study():
    vi = VI.copy()
    vi[2] = -1
    with pytest.raises(InputError) as e:
        regtest(YI, vi, study=[f"S{i}" for i in range(13)])
    assert "S2" in str(e.value) and "vi" in str(e.value)


def test_k_below_10_gets_a_note_and_k_10_does_not():
    r = regtest(YI[:8], VI[:8])
    assert any(n.code == "k_small" for n in r.notes)
    r = regtest(YI, VI)
    assert not any(n.code == "k_small" for n in r.notes)


def test_egger_is_regtest_with_sei():
    a = egger_test(YI, VI)
    b = regtest(YI, VI, model="lm", predictor="sei")
    assert a.stat == b.stat and a.model == "lm"
    c = egger_test(YI, VI, model="rma")
    assert c.model == "rma" and c.predictor == "sei"


def test_lm_limit_estimate_ci_contains_estimate():
    r = regtest(YI, VI, model="lm", predictor="sei")
    assert r.limit_ci_low < r.limit_estimate < r.limit_ci_high
    r = regtest(YI, VI, model="lm", predictor="ni", ni=NI)
    assert math.isnan(r.limit_estimate)


def test_accepts_effect_table_like_objects_with_sample_sizes():
    eff = SimpleNamespace(yi=YI, vi=VI, study=tuple(f"T{i}" for i in range(13)), n=NI, measure="RR")
    r = regtest(eff, predictor="sqrtninv")
    direct = regtest(YI, VI, predictor="sqrtninv", ni=NI)
    assert r.stat == direct.stat


def test_peters_2006_needs_events():
    with pytest.raises(InputError, match="events"):
        peters_test(YI, VI, ni=NI, weights="peters2006")
    with pytest.raises(SpecError):
        peters_test(YI, VI, ni=NI, weights="other")


def test_kendall_exact_distribution_small_n():
    # n = 3: concordant pairs 0..3 with counts 1, 2, 2, 1 out of 3! = 6
    assert_allclose(kendall_exact_cdf(3), np.cumsum([1, 2, 2, 1]) / 6, rtol=1e-15)
    cdf = kendall_exact_cdf(10)
    assert_allclose(cdf[-1], 1.0, rtol=1e-14)
    pmf = np.diff(np.concatenate([[0], cdf]))
    assert_allclose(pmf, pmf[::-1], rtol=0, atol=1e-15)  # symmetric (cumsum/diff rounding only)


def test_ranktest_ties_fall_back_to_normal_approximation():
    vi = VI.copy()
    vi[1] = vi[0]
    r = ranktest(YI, vi)
    assert not r.exact and any(n.code == "ties" for n in r.notes)
    r2 = ranktest(YI, VI)
    assert r2.exact and 0 <= r2.pval <= 1 and -1 <= r2.tau <= 1


def test_trimfill_options_and_small_k():
    with pytest.raises(SpecError, match="estimator"):
        trimfill(YI, VI, estimator="Q1")
    with pytest.raises(SpecError, match="side"):
        trimfill(YI, VI, side="up")
    with pytest.raises(InputError, match="at least 3"):
        trimfill(YI[:2], VI[:2])


def test_trimfill_mirror_images_and_adjusted_k():
    r = trimfill(YI, VI, method="FE", estimator="L0", side="right")
    assert r.k0 == len(r.fill_yi) == len(r.fill_vi)
    assert r.adjusted.k == 13 + r.k0
    if r.k0:
        assert any(n.code == "trimfill_filled" for n in r.notes)
    json.dumps(r.to_dict())


def test_trimfill_is_invariant_to_study_order():
    perm = np.random.default_rng(3).permutation(13)
    a = trimfill(YI, VI, method="DL")
    b = trimfill(YI[perm], VI[perm], method="DL")
    assert a.k0 == b.k0 and a.side == b.side
    assert_allclose(a.adjusted.estimate, b.adjusted.estimate, rtol=1e-12)


def test_pet_peese_rule_and_alpha_validation():
    r = pet_peese(YI, VI)
    assert r.chosen in ("PET", "PEESE")
    assert any(n.code == "pet_peese_rule" for n in r.notes)
    with pytest.raises(SpecError, match="alpha"):
        pet_peese(YI, VI, alpha=5)


def test_small_study_summary_not_assessable_below_10():
    s = small_study_summary(YI[:9], VI[:9])
    assert not s.assessable and s.pval is None and s.egger is None
    assert s.notes[0].code == "not_assessable" and "9 studies" in s.notes[0].message
    s = small_study_summary(YI, VI)
    assert s.assessable and s.pval == egger_test(YI, VI).pval
    d = json.loads(json.dumps(s.to_dict()))
    assert d["assessable"] is True and d["egger"]["predictor"] == "sei"


def test_to_dict_is_json_safe_with_nan():
    r = regtest(YI, VI, model="lm", predictor="ni", ni=NI)
    d = json.loads(json.dumps(r.to_dict()))
    assert d["limit_estimate"] is None and d["tau2"] is None
    assert list(r.to_frame()["coefficient"]) == ["intrcpt", "ni"]


def test_meta_result_input_carries_method_and_test():
    from evigrade.stats import meta_analysis

    m = meta_analysis(YI, VI, method="DL", test="z")
    r = regtest(m, model="rma")
    assert r.method == "DL" and r.test == "z"
    assert_allclose(r.stat, regtest(YI, VI, model="rma", method="DL", test="z").stat, rtol=1e-12)
    t = trimfill(m)
    assert t.method == "DL"
    assert_allclose(t.original.estimate, m.estimate, rtol=1e-12)
    k = ranktest(m)
    assert k.k == 13
