"""evigrade.effects.conversions: CI/p -> SE, median/IQR/range -> mean/SD, change-score SDs."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy.stats import norm

from evigrade.effects.conversions import (
    change_sd,
    mean_sd_from_median,
    se_from_ci,
    se_from_p,
    z_for_level,
)
from evigrade.errors import InputError, SpecError

# The printed examples of R package metaBLUE (Luo.mean, Wan.std) show 7 significant digits, so a
# comparison with them cannot be tighter than half a unit in the 7th digit.
RTOL_PRINTED_7 = 5e-7
# Closed-form formulas re-derived independently in the test (same arithmetic, different code path):
# only floating-point rounding separates them.
RTOL_FORMULA = 1e-12


def test_z_for_level():
    assert_allclose(z_for_level(95), 1.959963984540054, rtol=RTOL_FORMULA)
    assert_allclose(z_for_level(0.9), norm.ppf(0.95), rtol=RTOL_FORMULA)
    with pytest.raises(SpecError):
        z_for_level(150)


def test_se_from_ci_normal_and_log():
    assert_allclose(se_from_ci(0.1, 0.5), 0.4 / (2 * 1.959963984540054), rtol=RTOL_FORMULA)
    assert_allclose(se_from_ci(0.5, 0.8, log=True), (math.log(0.8) - math.log(0.5)) / (2 * 1.959963984540054),
                    rtol=RTOL_FORMULA)
    assert_allclose(se_from_ci(-1.0, 1.0, level=90), 1 / norm.ppf(0.95), rtol=RTOL_FORMULA)
    assert_allclose(se_from_ci([0.0, 1.0], [2.0, 5.0]), np.array([2.0, 4.0]) / (2 * 1.959963984540054),
                    rtol=RTOL_FORMULA)


def test_se_from_ci_round_trips_through_metafor_golden(golden_dir):
    """SE from a Wald CI built from metafor's yi/vi (bcg log risk ratios) recovers sqrt(vi)."""
    case = next(c for c in json.loads((golden_dir / "escalc.json").read_text())["cases"] if c["name"] == "bcg_RR")
    yi, vi = np.array(case["yi"]), np.array(case["vi"])
    z = 1.959963984540054
    se = se_from_ci(np.exp(yi - z * np.sqrt(vi)), np.exp(yi + z * np.sqrt(vi)), log=True)
    assert_allclose(se, np.sqrt(vi), rtol=1e-12)


@pytest.mark.parametrize(
    "lo, hi, log, column",
    [(0.5, 0.2, False, "ci_low"), (1.0, 1.0, False, "ci_low"), (-0.1, 2.0, True, "ci_low"),
     (float("nan"), 1.0, False, "ci_low"), (0.0, float("inf"), False, "ci_high")],
)
def test_se_from_ci_rejects_bad_bounds(lo, hi, log, column):
    with pytest.raises(InputError) as ei:
        se_from_ci(lo, hi, log=log)
    assert f"column {column}" in str(ei.value) and "\n" not in str(ei.value)


def test_se_from_p():
    # a two-sided p of 0.05 for an estimate of 1.96 gives an SE of 1
    assert_allclose(se_from_p(1.959963984540054, 0.05), 1.0, rtol=RTOL_FORMULA)
    assert_allclose(se_from_p(-0.5, 0.01), 0.5 / norm.isf(0.005), rtol=RTOL_FORMULA)
    assert_allclose(se_from_p(0.5, 0.01, two_sided=False), 0.5 / norm.isf(0.01), rtol=RTOL_FORMULA)
    assert_allclose(se_from_p(2.0, 0.03, log=True), math.log(2.0) / norm.isf(0.015), rtol=RTOL_FORMULA)
    for est, p in ((0.5, 0.0), (0.5, 1.0), (0.0, 0.2), (0.5, 1.5)):
        with pytest.raises(InputError):
            se_from_p(est, p)
    with pytest.raises(InputError, match="ratio estimate must be > 0"):
        se_from_p(-2.0, 0.03, log=True)


def test_mean_sd_published_metablue_examples():
    """metaBLUE's documented examples: X = (1, 4, 10), n = 30, S1.

    Luo.mean(c(1,4,10), 30, "S1") prints 4.356748 and Wan.std(c(1,4,10), 30, "S1") prints 2.205578.
    """
    r = mean_sd_from_median(4, 30, min=1, max=10)
    assert r.scenario == "S1"
    assert_allclose(r.mean, 4.356748, rtol=RTOL_PRINTED_7)
    assert_allclose(r.sd, 2.205578, rtol=RTOL_PRINTED_7)


def test_mean_sd_s2_formula():
    # No printed worked example for S2 was available offline; the formulas of Luo 2018 eq. (15)
    # and Wan 2014 eq. (16) are re-evaluated here independently.
    n, q1, m, q3 = 40, 12.0, 15.0, 21.0
    r = mean_sd_from_median(m, n, q1=q1, q3=q3)
    assert r.scenario == "S2" and r.sd_method == "Wan et al. (2014)"
    assert_allclose(r.mean, (0.7 + 0.39 / n) * (q1 + q3) / 2 + (0.3 - 0.39 / n) * m, rtol=RTOL_FORMULA)
    assert_allclose(r.sd, (q3 - q1) / (2 * norm.ppf((0.75 * n - 0.125) / (n + 0.25))), rtol=RTOL_FORMULA)


def test_mean_sd_s3_formula_shi():
    # Luo 2018 eq. (22) for the mean and Shi 2020's smoothly weighted SD, re-evaluated independently.
    n, a, q1, m, q3, b = 100, 2.0, 10.0, 14.0, 20.0, 41.0
    r = mean_sd_from_median(m, n, q1=q1, q3=q3, min=a, max=b)
    w1 = 2.2 / (2.2 + n**0.75)
    w2 = 0.7 - 0.72 / n**0.55
    assert r.scenario == "S3" and r.sd_method == "Shi et al. (2020)"
    assert_allclose(r.mean, w1 * (a + b) / 2 + w2 * (q1 + q3) / 2 + (1 - w1 - w2) * m, rtol=RTOL_FORMULA)
    w = 1 / (1 + 0.07 * n**0.6)
    sd = w * (b - a) / (2 * norm.ppf((n - 0.375) / (n + 0.25))) + (1 - w) * (q3 - q1) / (
        2 * norm.ppf((0.75 * n - 0.125) / (n + 0.25)))
    assert_allclose(r.sd, sd, rtol=RTOL_FORMULA)
    assert r.to_dict()["scenario"] == "S3"


def test_mean_sd_normal_sample_is_recovered():
    """For exactly normal quantiles the estimators return (almost) the normal mean and SD."""
    n, mu, sigma = 200, 50.0, 10.0
    q = lambda p: mu + sigma * norm.ppf(p)  # noqa: E731
    r = mean_sd_from_median(mu, n, q1=q(0.25), q3=q(0.75))
    assert abs(r.mean - mu) < 1e-9 and abs(r.sd - sigma) / sigma < 0.01


@pytest.mark.parametrize(
    "kwargs, column",
    [
        (dict(median=5, n=30, min=6, max=10), "min"),
        (dict(median=5, n=30, q1=6, q3=8), "q1"),
        (dict(median=5, n=30, q1=1, q3=4), "median"),
        (dict(median=5, n=30, min=1), "max"),
        (dict(median=5, n=30, q3=7), "q1"),
        (dict(median=5, n=30), "median"),
        (dict(median=5, n=1, min=1, max=9), "n"),
        (dict(median=5, n=10.5, min=1, max=9), "n"),
        (dict(median=5, n=30, min=5, max=5), "max"),
        (dict(median="x", n=30, min=1, max=9), "median"),
        (dict(median=5, n=30, min=float("nan"), max=9), "min"),
    ],
)
def test_mean_sd_rejects_bad_input(kwargs, column):
    with pytest.raises(InputError) as ei:
        mean_sd_from_median(**kwargs)
    assert f"column {column}" in str(ei.value)


def test_change_sd():
    assert_allclose(change_sd(10.0, 12.0, 0.5), math.sqrt(100 + 144 - 120), rtol=RTOL_FORMULA)
    assert_allclose(change_sd([10.0, 4.0], [10.0, 3.0], [1.0, 0.0]), [0.0, 5.0], rtol=RTOL_FORMULA, atol=1e-15)
    with pytest.raises(InputError, match="between -1 and 1"):
        change_sd(10.0, 12.0, 1.2)
    with pytest.raises(InputError, match="column sd_baseline"):
        change_sd(0.0, 12.0, 0.5)
