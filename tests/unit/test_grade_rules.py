"""Every GRADE domain rule on both sides of each of its thresholds."""
from __future__ import annotations

import math

import pytest

from evigrade.errors import SpecError
from evigrade.grade import (
    GradeConfig,
    GradeInput,
    StudyRoB,
    dose_response,
    imprecision,
    inconsistency,
    indirectness,
    large_effect,
    optimal_information_size,
    publication_bias,
    risk_of_bias,
)

CFG = GradeConfig()


def mk(**kw):
    base = dict(estimate=-2.0, ci_low=-3.0, ci_high=-1.2, measure="MD", benefit="lower", k=5, n=500, mid=1.0)
    base.update(kw)
    return GradeInput(**base)


def rob(*pairs):
    """pairs of (weight, judgement-or-pedro)."""
    out = []
    for i, (w, j) in enumerate(pairs):
        if isinstance(j, (int, float)):
            out.append(StudyRoB(f"s{i}", w, pedro=j))
        else:
            out.append(StudyRoB(f"s{i}", w, j))
    return tuple(out)


# ------------------------------------------------------------------------------ risk of bias

class TestRiskOfBias:
    def test_all_low(self):
        j = risk_of_bias(mk(rob=rob((1, "low"), (1, "low"))), CFG)
        assert (j.levels, j.concern, j.reason_code) == (0, "no", "rob_low")
        assert j.numbers["share_low"] == pytest.approx(1.0)

    def test_some_concerns_share_just_below_and_at_threshold(self):
        below = risk_of_bias(mk(rob=rob((51, "low"), (49, "some concerns"))), CFG)
        at = risk_of_bias(mk(rob=rob((50, "low"), (50, "some concerns"))), CFG)
        assert below.levels == 0
        assert (at.levels, at.reason_code) == (-1, "rob_serious")
        assert at.numbers["share_some_concerns"] == pytest.approx(0.5)

    def test_high_share_below_and_at_very_serious_threshold(self):
        below = risk_of_bias(mk(rob=rob((0.51, "low"), (0.49, "high"))), CFG)
        at = risk_of_bias(mk(rob=rob((0.5, "low"), (0.5, "high"))), CFG)
        assert below.levels == 0  # 49% concerns: under the 50% line
        assert (at.levels, at.concern, at.reason_code) == (-2, "very_serious", "rob_very_serious")

    def test_weights_not_counts_decide(self):
        # three small high-risk studies, one large low-risk one: 10% of the weight at high risk
        j = risk_of_bias(mk(rob=rob((90, "low"), (4, "high"), (3, "high"), (3, "high"))), CFG)
        assert j.levels == 0
        assert j.numbers["share_high"] == pytest.approx(0.10)

    def test_unknown_counts_as_concern_and_majority_unknown_not_assessable(self):
        part = risk_of_bias(mk(rob=rob((0.7, "low"), (0.3, None))), CFG)
        half = risk_of_bias(mk(rob=rob((0.5, "low"), (0.5, None))), CFG)
        most = risk_of_bias(mk(rob=rob((0.49, "low"), (0.51, None))), CFG)
        assert part.levels == 0
        assert (half.levels, half.reason_code) == (-1, "rob_serious")
        assert (most.levels, most.concern, most.reason_code) == (-1, "not_assessable", "rob_unknown")
        assert "cannot be assessed" in most.rationale

    def test_no_rob_at_all_is_not_assessable_and_conservative(self):
        j = risk_of_bias(mk(rob=()), CFG)
        assert (j.levels, j.concern, j.reason_code) == (-1, "not_assessable", "rob_unknown")
        assert j.numbers["share_unknown"] == 1.0

    @pytest.mark.parametrize("score,expected", [(6, 0), (5.99, -1), (5, -1), (4, -1), (3.99, -2), (3, -2)])
    def test_pedro_bands(self, score, expected):
        j = risk_of_bias(mk(rob=rob((1, score))), CFG)
        assert j.levels == expected

    def test_zero_weights_fall_back_to_equal_weights(self):
        j = risk_of_bias(mk(rob=rob((0, "low"), (0, "high"))), CFG)
        assert j.numbers["equal_weights_used"] is True
        assert j.numbers["share_high"] == pytest.approx(0.5)
        assert j.levels == -2

    def test_config_changes_thresholds(self):
        cfg = GradeConfig(rob_serious_share=0.3)
        assert risk_of_bias(mk(rob=rob((0.65, "low"), (0.35, "some_concerns"))), cfg).levels == -1
        assert risk_of_bias(mk(rob=rob((0.65, "low"), (0.35, "some_concerns"))), CFG).levels == 0

    def test_bad_rob_wording_is_spec_error(self):
        with pytest.raises(SpecError, match="risk of bias='dubious'"):
            StudyRoB("x", 1.0, "dubious")

    def test_bad_pedro_and_weight(self):
        with pytest.raises(SpecError, match="PEDro score"):
            StudyRoB("x", 1.0, pedro=11)
        with pytest.raises(SpecError, match="weight"):
            StudyRoB("x", -1.0, "low")


# ----------------------------------------------------------------------------- inconsistency

class TestInconsistency:
    both = (-2.0, -1.0, 0.5)
    same = (-2.0, -1.0, -0.5)

    def test_single_study_not_assessable(self):
        j = inconsistency(mk(k=1, i2=None), CFG)
        assert (j.levels, j.concern, j.reason_code) == (0, "not_assessable", "inconsistency_single_study")

    def test_missing_i2_not_assessable_no_downgrade(self):
        j = inconsistency(mk(i2=None), CFG)
        assert (j.levels, j.concern, j.reason_code) == (0, "not_assessable", "inconsistency_unknown")

    def test_i2_just_below_serious_no_downgrade(self):
        j = inconsistency(mk(i2=0.4999, study_estimates=self.both, pi_low=-4, pi_high=1), CFG)
        assert (j.levels, j.reason_code) == (0, "inconsistency_low")

    def test_i2_at_serious_with_both_sides(self):
        j = inconsistency(mk(i2=0.50, study_estimates=self.both), CFG)
        assert (j.levels, j.concern, j.reason_code) == (-1, "serious", "inconsistency_serious")
        assert j.numbers["estimates_both_sides"] is True

    def test_i2_high_but_same_direction_not_rated_down(self):
        j = inconsistency(mk(i2=0.85, study_estimates=self.same, pi_low=-3.5, pi_high=-0.1), CFG)
        assert (j.levels, j.reason_code) == (0, "inconsistency_same_direction")

    def test_pi_crossing_alone_is_enough_for_one_level(self):
        j = inconsistency(mk(i2=0.6, study_estimates=self.same, pi_low=-3.5, pi_high=0.4), CFG)
        assert (j.levels, j.reason_code) == (-1, "inconsistency_serious")
        assert j.numbers["pi_crosses_null"] is True

    def test_very_serious_needs_i2_075_and_both_signals(self):
        below = inconsistency(mk(i2=0.7499, study_estimates=self.both, pi_low=-4, pi_high=1), CFG)
        at = inconsistency(mk(i2=0.75, study_estimates=self.both, pi_low=-4, pi_high=1), CFG)
        one_signal = inconsistency(mk(i2=0.9, study_estimates=self.both, pi_low=-4, pi_high=-0.2), CFG)
        assert below.levels == -1
        assert (at.levels, at.concern, at.reason_code) == (-2, "very_serious", "inconsistency_very_serious")
        assert one_signal.levels == -1

    def test_i2_only_without_direction_information(self):
        # issue 13: with only the I² known, >= i2_serious costs one level, >= i2_very_serious two (CI overlap unknown)
        j = inconsistency(mk(i2=0.8), CFG)
        assert (j.levels, j.concern, j.reason_code) == (-2, "very_serious", "inconsistency_i2_only")
        j = inconsistency(mk(i2=0.6), CFG)
        assert (j.levels, j.concern, j.reason_code) == (-1, "serious", "inconsistency_i2_only")

    def test_discordant_reviews_rate_down_once(self):
        j = inconsistency(mk(i2=0.1, discordant=True), CFG)
        assert (j.levels, j.concern, j.reason_code) == (-1, "serious", "inconsistency_discordant")
        assert j.numbers["discordant"] is True
        # already rated down two levels for I²: the discordance is named but not counted again
        j = inconsistency(mk(i2=0.8, discordant=True), CFG)
        assert (j.levels, j.reason_code) == (-2, "inconsistency_i2_only") and "disagree" in j.rationale
        j = inconsistency(mk(k=1, discordant=True), CFG)
        assert (j.levels, j.reason_code) == (-1, "inconsistency_discordant")
        assert inconsistency(mk(i2=0.1, discordant=False), CFG).levels == 0

    def test_ratio_measure_sides_of_one(self):
        inp = mk(measure="RR", estimate=0.8, ci_low=0.6, ci_high=0.95, mid=None, i2=0.6,
                 study_estimates=(0.5, 0.7, 1.3))
        assert inconsistency(inp, CFG).levels == -1
        inp2 = mk(measure="RR", estimate=0.8, ci_low=0.6, ci_high=0.95, mid=None, i2=0.6,
                  study_estimates=(0.5, 0.7, 0.9), pi_low=0.4, pi_high=0.99)
        assert inconsistency(inp2, CFG).levels == 0

    def test_i2_must_be_a_fraction(self):
        with pytest.raises(SpecError, match="fraction"):
            mk(i2=73.4)


# ------------------------------------------------------------------------------ indirectness

class TestIndirectness:
    def test_missing_is_not_assessed_never_no_concern(self):
        j = indirectness(mk(indirectness=None), CFG)
        assert j.concern == "not_assessable" and j.concern != "no"
        assert (j.levels, j.reason_code) == (0, "indirectness_not_assessed")

    @pytest.mark.parametrize("value,levels,code", [("none", 0, "indirectness_none"), ("serious", -1, "indirectness_serious"),
                                                   ("very_serious", -2, "indirectness_very_serious")])
    def test_explicit(self, value, levels, code):
        j = indirectness(mk(indirectness=value, indirectness_reason="Population includes shoulder pain."), CFG)
        assert (j.levels, j.reason_code) == (levels, code)
        assert "shoulder pain" in j.rationale

    def test_bad_value(self):
        with pytest.raises(SpecError, match="indirectness='maybe'"):
            mk(indirectness="maybe")


# ------------------------------------------------------------------------------- imprecision

class TestImprecision:
    def test_important_benefit_ci_clear_of_mid(self):
        j = imprecision(mk(estimate=-2, ci_low=-3, ci_high=-1.2), CFG)
        assert (j.levels, j.reason_code) == (0, "imprecision_none")
        assert j.numbers["target"] == "important benefit"

    def test_ci_bound_exactly_at_mid_does_not_cross(self):
        assert imprecision(mk(estimate=-2, ci_low=-3, ci_high=-1.0), CFG).levels == 0
        assert imprecision(mk(estimate=-2, ci_low=-3, ci_high=-0.99), CFG).levels == -1

    def test_crosses_mid_one_level(self):
        j = imprecision(mk(estimate=-2, ci_low=-3, ci_high=-0.8), CFG)
        assert (j.levels, j.concern, j.reason_code) == (-1, "serious", "imprecision_crosses_one")
        assert j.numbers["thresholds_crossed"] == ["MID for benefit"]

    def test_crosses_mid_and_null_two_levels(self):
        j = imprecision(mk(estimate=-2, ci_low=-3, ci_high=0.5), CFG)
        assert (j.levels, j.concern, j.reason_code) == (-2, "very_serious", "imprecision_crosses_two")

    def test_crosses_all_three_thresholds_three_levels(self):
        j = imprecision(mk(estimate=-2, ci_low=-3.5, ci_high=1.5), CFG)
        assert (j.levels, j.concern, j.reason_code) == (-3, "very_serious", "imprecision_crosses_three")

    def test_trivial_target(self):
        ok = imprecision(mk(estimate=-0.2, ci_low=-0.8, ci_high=0.6), CFG)
        one = imprecision(mk(estimate=-0.2, ci_low=-1.2, ci_high=0.6), CFG)
        two = imprecision(mk(estimate=-0.2, ci_low=-1.2, ci_high=1.1), CFG)
        assert ok.numbers["target"] == "little or no effect"
        assert (ok.levels, one.levels, two.levels) == (0, -1, -2)

    def test_important_harm_target(self):
        assert imprecision(mk(estimate=2, ci_low=1.2, ci_high=3), CFG).levels == 0
        j = imprecision(mk(estimate=2, ci_low=0.5, ci_high=3), CFG)
        assert j.levels == -1 and j.numbers["target"] == "important harm"

    def test_benefit_higher_flips_the_scale(self):
        j = imprecision(mk(estimate=2, ci_low=1.2, ci_high=3, benefit="higher"), CFG)
        assert j.numbers["target"] == "important benefit" and j.levels == 0

    def test_no_mid_judged_against_null(self):
        cross = imprecision(mk(mid=None, estimate=-2, ci_low=-4, ci_high=0.1), CFG)
        clear = imprecision(mk(mid=None, estimate=-2, ci_low=-4, ci_high=-0.1), CFG)
        assert (cross.levels, cross.reason_code) == (-1, "imprecision_crosses_null")
        assert clear.levels == 0
        assert "No MID" in cross.rationale

    @pytest.mark.parametrize("n,levels,code", [(400, 0, "imprecision_none"), (399, -1, "imprecision_ois_not_met"),
                                               (100, -1, "imprecision_ois_not_met"), (99, -2, "imprecision_ois_far_below")])
    def test_ois_continuous(self, n, levels, code):
        j = imprecision(mk(n=n), CFG)
        assert (j.levels, j.reason_code) == (levels, code)
        assert j.numbers["ois"] == 400

    def test_ois_unknown_n_is_stated_not_downgraded(self):
        j = imprecision(mk(n=None), CFG)
        assert (j.levels, j.reason_code) == (0, "imprecision_ois_unknown")
        assert "could not be checked" in j.rationale

    def test_worse_of_ci_and_ois(self):
        # CI crosses one threshold (-1) but the sample is far below the OIS (-2): -2
        j = imprecision(mk(estimate=-2, ci_low=-3, ci_high=-0.8, n=50), CFG)
        assert j.levels == -2 and j.numbers["ci_levels"] == -1 and j.numbers["ois_levels"] == -2

    def test_ratio_default_mid_rrr25(self):
        # RR 0.6: benefit threshold is RR 0.75; upper CI 0.8 crosses it, 0.74 does not
        crosses = imprecision(mk(measure="RR", mid=None, estimate=0.6, ci_low=0.45, ci_high=0.8, events=400), CFG)
        clear = imprecision(mk(measure="RR", mid=None, estimate=0.6, ci_low=0.45, ci_high=0.74, events=400), CFG)
        assert crosses.levels == -1 and clear.levels == 0
        assert crosses.numbers["threshold_benefit"] == pytest.approx(-math.log(0.75))
        assert crosses.numbers["mid_is_default"] is True

    def test_binary_ois_events(self):
        base = dict(measure="RR", mid=None, estimate=0.6, ci_low=0.45, ci_high=0.74)
        assert imprecision(mk(events=300, **base), CFG).levels == 0
        assert imprecision(mk(events=299, **base), CFG).levels == -1

    def test_binary_ois_from_control_risk(self):
        ois = optimal_information_size(0.2, CFG)
        # hand computation: (1.959964 + 0.841621)^2 * (0.2*0.8 + 0.15*0.85) / 0.05^2 = 902.6 per arm
        z = 1.959963984540054 + 0.8416212335729143
        per_arm = z * z * (0.2 * 0.8 + 0.15 * 0.85) / 0.05**2
        assert ois == 2 * math.ceil(per_arm) == 1806
        inp = mk(measure="RR", mid=None, estimate=0.6, ci_low=0.45, ci_high=0.74, control_risk=0.2, n=1806)
        assert imprecision(inp, CFG).levels == 0
        assert imprecision(mk(measure="RR", mid=None, estimate=0.6, ci_low=0.45, ci_high=0.74, control_risk=0.2,
                              n=1805), CFG).levels == -1

    def test_smd_default_mid(self):
        j = imprecision(mk(measure="SMD", mid=None, estimate=-0.5, ci_low=-0.8, ci_high=-0.15), CFG)
        assert j.numbers["mid"] == 0.2 and j.levels == -1
        assert "Cohen" in j.numbers["mid_source"]


# -------------------------------------------------------------------------- publication bias

class TestPublicationBias:
    def test_fewer_than_ten_not_assessable(self):
        j = publication_bias(mk(k=9, small_study_p=0.001), CFG)
        assert (j.levels, j.concern, j.reason_code) == (0, "not_assessable", "publication_bias_not_assessable")
        assert "at least 10" in j.rationale

    def test_ten_without_p_not_assessed(self):
        j = publication_bias(mk(k=10), CFG)
        assert (j.levels, j.concern) == (0, "not_assessable")

    def test_p_below_and_at_alpha(self):
        below = publication_bias(mk(k=10, small_study_p=0.0999), CFG)
        at = publication_bias(mk(k=10, small_study_p=0.10), CFG)
        assert (below.levels, below.reason_code) == (-1, "publication_bias_suspected")
        assert (at.levels, at.reason_code) == (0, "publication_bias_none")
        assert below.numbers["test"] == "Egger"

    def test_peters_named_for_binary(self):
        assert publication_bias(mk(k=12, measure="OR", mid=None, estimate=0.5, ci_low=0.3, ci_high=0.8,
                                   small_study_p=0.5), CFG).numbers["test"] == "Peters"

    def test_unknown_k(self):
        assert publication_bias(mk(k=None), CFG).concern == "not_assessable"


# ---------------------------------------------------------------------------------- upgrades

class TestUpgrades:
    def nr(self, est, **kw):
        lo, hi = sorted((est * 0.8, est * 1.2))
        return mk(design="non_randomised", measure="RR", mid=None, estimate=est, ci_low=lo, ci_high=hi, **kw)

    def test_randomised_not_applicable(self):
        j = large_effect(mk(measure="RR", mid=None, estimate=0.1, ci_low=0.05, ci_high=0.2), CFG)
        assert (j.levels, j.concern) == (0, "no")

    @pytest.mark.parametrize("est,levels", [(0.5, 0), (0.49, 1), (2.0, 0), (2.01, 1), (5.0, 1), (5.01, 2),
                                            (0.2, 1), (0.19, 2)])
    def test_large_effect_thresholds(self, est, levels):
        assert large_effect(self.nr(est), CFG).levels == levels

    def test_blocked_by_rob_downgrade(self):
        j = large_effect(self.nr(0.1), CFG, rob_levels=-1)
        assert (j.levels, j.reason_code) == (0, "large_effect_blocked")

    def test_non_ratio_not_judged(self):
        j = large_effect(mk(design="non_randomised"), CFG)
        assert j.levels == 0 and "ratio" in j.rationale

    def test_dose_response(self):
        assert dose_response(self.nr(0.8, dose_response=True), CFG).levels == 1
        assert dose_response(self.nr(0.8, dose_response=False), CFG).levels == 0
        assert dose_response(self.nr(0.8, dose_response=True), CFG, rob_levels=-1).levels == 0
        assert dose_response(mk(dose_response=True), CFG).concern == "no"


# ------------------------------------------------------------------------------------ inputs

class TestInputValidation:
    def test_ci_order(self):
        with pytest.raises(SpecError, match="ci_low"):
            mk(ci_low=1, ci_high=0)

    def test_ratio_must_be_positive(self):
        with pytest.raises(SpecError, match="ratio scale"):
            mk(measure="RR", mid=None, estimate=-0.2, ci_low=-0.5, ci_high=0.1)

    def test_benefit_choice(self):
        with pytest.raises(SpecError, match="benefit='down'"):
            mk(benefit="down")

    def test_mid_positive_and_ratio_mid_fraction(self):
        with pytest.raises(SpecError, match="mid must be > 0"):
            mk(mid=0)
        with pytest.raises(SpecError, match="relative change"):
            mk(measure="RR", estimate=0.5, ci_low=0.4, ci_high=0.6, mid=1.25)

    def test_k_and_n(self):
        with pytest.raises(SpecError, match="k must be"):
            mk(k=0)
        with pytest.raises(SpecError, match="n must be"):
            mk(n=-3)

    def test_config_validation(self):
        with pytest.raises(SpecError, match="i2_serious"):
            GradeConfig(i2_serious=50)
        with pytest.raises(SpecError, match="i2_very_serious"):
            GradeConfig(i2_serious=0.8, i2_very_serious=0.7)
        with pytest.raises(SpecError, match="smd_bands"):
            GradeConfig(smd_bands=(0.5, 0.2, 0.8))
