"""Proportion meta-analysis (safety) against R metafor, and the exact intervals against R's
binom.test (golden: tests/reference/golden/packs_safety.json from tests/reference/r/packs_normand.R)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from numpy.testing import assert_allclose

from evigrade.errors import InputError, SpecError
from evigrade.stats.proportions import clopper_pearson, meta_proportions, rule_of_three

GOLDEN = json.loads((Path(__file__).parents[1] / "reference" / "golden" / "packs_safety.json").read_text())
# Observed agreement ~1e-15; 1e-9 leaves headroom for iteration-path differences (see test_summarize_normand.py).
RTOL = 1e-9
ATOL = 1e-10  # PFT back-transformation maps the lower limits to exactly 0


@pytest.mark.parametrize("key", ["mild_per_treatment_PLO", "mild_per_treatment_PFT",
                                 "serious_per_treatment_PLO", "serious_per_treatment_PFT"])
def test_meta_proportions_equals_metafor(key):
    g = GOLDEN[key]
    measure = key.rsplit("_", 1)[1]
    res = meta_proportions(g["xi"], g["ni"], measure=measure, method="REML", test="knha")
    for f in ("estimate", "ci_low", "ci_high", "pi_low", "pi_high"):
        assert_allclose(getattr(res, f), g[f], rtol=RTOL, atol=ATOL, err_msg=f)
    assert_allclose(res.meta.estimate, g["estimate_raw"], rtol=RTOL)
    assert_allclose(res.meta.tau2, g["tau2"], rtol=1e-9)
    assert res.k == 2 and res.to_dict()["measure"] == measure


def test_clopper_pearson_equals_binom_test():
    for g in GOLDEN["exact"]:
        lo, hi = clopper_pearson(g["x"], g["n"])
        assert_allclose([lo, hi], [g["ci_low"], g["ci_high"]], rtol=1e-9, atol=1e-15)


def test_zero_count_bounds_by_hand():
    n = 7629
    lo, hi = clopper_pearson(0, n)
    assert lo == 0.0
    assert_allclose(hi, 1 - 0.025 ** (1 / n), rtol=1e-10)  # closed form of the exact bound for x = 0
    assert_allclose(rule_of_three(n), 3 / n)
    assert rule_of_three(n) < 0.0004  # Brady 2014: "upper risk estimate <= 0.04%"


def test_bad_input():
    with pytest.raises(InputError, match="more events"):
        meta_proportions([5, 12], [10, 11 - 1])
    with pytest.raises(InputError, match="whole number"):
        clopper_pearson(1.5, 10)
    with pytest.raises(SpecError, match="measure"):
        meta_proportions([1, 2], [10, 20], measure="LOGIT")
