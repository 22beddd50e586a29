"""evigrade, with RevMan 5's settings, reproduces RevMan's own pooled results for every analysis of real reviews.

A RevMan 5 file stores RevMan's pooled result of every analysis and subgroup at full double precision
(EFFECT_SIZE, CI_START/CI_END, Z, P_Z, CHI2, P_CHI2, I2, TAU2).  ``revman_pool`` re-computes each one
from the study data with ``evigrade.stats`` (MH / IV / Peto, fixed or DerSimonian-Laird random effects,
OR / RR / RD / MD / SMD / generic inverse variance) and must agree with all of them: every analysis with
a pooled result is compared, none is skipped.  RevMan prints estimates and CIs to 2 decimals, Chi² and Z
to 2 decimals, I² as a whole percent and tau² to 2 decimals; agreement is checked far below that.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose
from revman_helpers import CSV_FILES, RM5_FILES, real_file

from evigrade.errors import EstimationError
from evigrade.interop import read_revman, revman_pool
from evigrade.interop.revman_meta import study_effects

#: .rm5 values are RevMan's doubles: the same closed forms agree to rounding (observed <= 5e-13 relative).
RTOL_RM5 = 1e-10
#: The CSV export prints 8 significant digits (observed <= 2e-8 relative, the CI end of an I² = 0 analysis).
RTOL_CSV = 1e-7
#: RevMan's own normal and chi-square tail algorithms are approximate: its P values differ from scipy's
#: by up to 4.7e-7 (absolute, observed over 1,046 pooled results of 15 reviews); it prints "P < 0.00001" or 2
#: significant digits, so 1e-6 absolute is far below its printed precision.
ATOL_P = 1e-6

#: Pooled results (overall + subgroups) per file: a check that nothing is silently skipped.
EXPECTED_COMPARED = {"CD003188StatsDataOnly.rm5": 71, "CD004976StatsDataOnly.rm5": 19, "CD007419StatsDataOnly.rm5": 1,
                     "CD007868StatsDataOnly.rm5": 23, "CD008625StatsDataOnly.rm5": 180, "CD013437StatsDataOnly.rm5": 9,
                     "Fleiss1993.rm5": 1, "Fleiss1993_CR.csv": 2}
#: Tests for subgroup differences compared (analyses with subgroups and an overall total).
EXPECTED_SUBGROUP_TESTS = {"CD003188StatsDataOnly.rm5": 18, "CD008625StatsDataOnly.rm5": 24}


def _targets(analysis):
    try:
        res = revman_pool(analysis)
    except EstimationError:  # no estimable study: RevMan must not have pooled anything either
        assert analysis.pooled is None or analysis.pooled.estimate is None, analysis.id
        assert all(g.pooled is None or g.pooled.estimate is None for g in analysis.subgroups), analysis.id
        return None, []
    out = []
    if analysis.pooled is not None and analysis.pooled.estimate is not None:
        out.append(("overall", res, analysis.pooled))
    subs = dict(res.subgroups)
    for g in analysis.subgroups:
        if g.pooled is not None and g.pooled.estimate is not None:
            assert g.no in subs, f"analysis {analysis.id}: RevMan pooled subgroup {g.no}, evigrade did not"
            out.append((f"subgroup {g.no}", subs[g.no], g.pooled))
    return res, out


def _check(ours, theirs, where, rtol):
    for name in ("estimate", "ci_low", "ci_high", "z", "chi2", "i2", "tau2"):
        want = getattr(theirs, name)
        got = getattr(ours, name)
        if want is None or (name in ("chi2", "i2") and ours.df == 0):
            continue  # RevMan writes no heterogeneity for a single study (evigrade: nan)
        # atol: values that are 0 in RevMan (tau2 = 0, I2 = 0, Chi2 = 0, Z = 0) must be 0 to rounding
        assert_allclose(got, want, rtol=rtol, atol=1e-12 if rtol == RTOL_RM5 else 1e-8, err_msg=f"{where}: {name}")
        # and the printed value is the same (RevMan prints 2 decimals; I2 as a whole percent)
        digits = 0 if name == "i2" else 2
        assert round(got, digits) == round(want, digits) or math.isclose(got, want, rel_tol=rtol), (where, name)
    for name in ("p_z", "p_chi2"):
        want = getattr(theirs, name)
        if want is not None and not (name == "p_chi2" and ours.df == 0):
            assert_allclose(getattr(ours, name), want, rtol=0, atol=ATOL_P, err_msg=f"{where}: {name}")
    if theirs.df is not None and ours.df > 0:
        assert ours.df == theirs.df, where


@pytest.mark.parametrize("name", RM5_FILES + CSV_FILES)
def test_every_pooled_result_reproduced(name, tmp_path):
    review = read_revman(real_file(name, tmp_path))
    rtol = RTOL_CSV if name.endswith(".csv") else RTOL_RM5
    compared = sg_tests = 0
    for a in review.analyses:
        res, targets = _targets(a)
        for what, ours, theirs in targets:
            _check(ours, theirs, f"{name} analysis {a.id} {what} ({a.method} {a.measure} "
                                 f"{'random' if a.random else 'fixed'})", rtol)
            compared += 1
        st = a.subgroup_test
        if res is not None and a.pooled is not None and st is not None and st.chi2 is not None and res.subgroup_df > 0:
            assert_allclose(res.subgroup_chi2, st.chi2, rtol=rtol, atol=1e-10, err_msg=f"{name} {a.id} subgroup test")
            assert_allclose(res.subgroup_i2, st.i2, rtol=rtol, atol=1e-8, err_msg=f"{name} {a.id} subgroup I2")
            assert_allclose(res.subgroup_p, st.p, rtol=0, atol=ATOL_P, err_msg=f"{name} {a.id} subgroup P")
            sg_tests += 1
    assert compared == EXPECTED_COMPARED[name]
    assert sg_tests == EXPECTED_SUBGROUP_TESTS.get(name, 0)


def test_the_files_cover_revmans_methods(tmp_path):
    """The real files between them exercise every setting the reproduction claims."""
    seen = set()
    for name in RM5_FILES:
        for a in read_revman(real_file(name, tmp_path)).analyses:
            if a.pooled is not None and a.pooled.estimate is not None or any(g.pooled and g.pooled.estimate for g in a.subgroups):
                seen.add((a.data_type, a.method, a.measure, a.random))
    for combo in [("dichotomous", "MH", "OR", False), ("dichotomous", "MH", "OR", True), ("dichotomous", "MH", "RR", False),
                  ("dichotomous", "MH", "RR", True), ("dichotomous", "MH", "RD", False), ("continuous", "IV", "MD", True),
                  ("continuous", "IV", "SMD", True), ("generic_iv", "IV", "HR", True), ("generic_iv", "IV", "ROM", True),
                  ("generic_iv", "IV", "MD", False)]:
        assert combo in seen, combo


@pytest.mark.parametrize("name", RM5_FILES)
def test_per_study_effects_equal_revmans(name, tmp_path):
    """Each study's own estimate (RevMan's EFFECT_SIZE) from evigrade's per-study effects, incl. RevMan's SMD
    (approximate Hedges correction) and RD (raw difference, variance with 0.5 in zero cells)."""
    review = read_revman(real_file(name, tmp_path))
    n = 0
    for a in review.analyses:
        yi, vi, ok = study_effects(a)
        for e, y, v, good in zip(a.studies, yi, vi, ok):
            if e.revman_estimate is None or not good:
                continue
            got = math.exp(y) if a.log_measure else y
            assert_allclose(got, e.revman_estimate, rtol=RTOL_RM5, atol=1e-12, err_msg=f"{name} {a.id} {e.study_name}")
            if e.revman_ci_low is not None:
                lo = y - 1.959963984540054 * math.sqrt(v)
                assert_allclose(math.exp(lo) if a.log_measure else lo, e.revman_ci_low, rtol=1e-9, atol=1e-12)
            n += 1
    assert n > 0


def test_peto_analysis_reproduced():
    """No real file here uses Peto; a RevMan-shaped analysis checks the Peto path against the closed form."""
    from evigrade.interop.revman import Analysis, StudyEntry

    rows = [(4, 20, 9, 21), (0, 15, 3, 16), (7, 40, 12, 38)]
    es = tuple(StudyEntry(study_id=f"s{i}", study_name=f"s{i}", year="", subgroup=0, location="",
                          events_1=a, total_1=n1, events_2=c, total_2=n2) for i, (a, n1, c, n2) in enumerate(rows))
    an = Analysis(comparison_no=1, outcome_no=1, comparison_name="c", name="o", data_type="dichotomous", method="PETO",
                  measure="OR", measure_label="PETO_OR", random=False, ci_level=95, ci_level_study=95, totals="yes",
                  subgroup_test_shown=True, log_scale_data=True, swap_events=False, group_label_1="", group_label_2="",
                  graph_label_left="", graph_label_right="", units="", location="", studies=es)
    res = revman_pool(an)
    o_e = v = 0.0
    for a, n1, c, n2 in rows:
        N, m = n1 + n2, a + c
        o_e += a - m * n1 / N
        v += m * (N - m) * n1 * n2 / (N**2 * (N - 1))
    assert_allclose(math.log(res.estimate), o_e / v, rtol=1e-12)
    assert_allclose(res.ci_high, math.exp(o_e / v + 1.959963984540054 / math.sqrt(v)), rtol=1e-12)
    assert np.isfinite(res.chi2) and res.df == 2


def test_swap_events_analyses_the_non_events(tmp_path):
    """RevMan's "swap events and non-events": counts stored as events, analysed as non-events."""
    import dataclasses

    a = read_revman(real_file("CD004976StatsDataOnly.rm5", tmp_path)).analyses[0]
    flipped = tuple(dataclasses.replace(e, events_1=e.total_1 - e.events_1, events_2=e.total_2 - e.events_2)
                    for e in a.studies)
    swapped = dataclasses.replace(a, studies=flipped, swap_events=True)
    want, got = revman_pool(a), revman_pool(swapped)
    assert_allclose([got.estimate, got.ci_low, got.ci_high, got.chi2], [want.estimate, want.ci_low, want.ci_high, want.chi2],
                    rtol=1e-13)


def test_check_review_counts_every_pooled_result(tmp_path):
    from evigrade.interop import check_review

    for name, n in (("CD008625StatsDataOnly.rm5", 180), ("Fleiss1993_CR.csv", 2)):
        c = check_review(read_revman(real_file(name, tmp_path)))
        assert (c.compared, c.matched, c.mismatches) == (n, n, ())
        assert c.max_rel_diff < (1e-12 if name.endswith(".rm5") else 1e-7)
