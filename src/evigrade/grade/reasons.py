"""The reason-code catalogue: one stable code per GRADE outcome, with the domain it belongs to.

Codes are what machines compare (claims checker, tests, JSON); the rationale text of a
:class:`~evigrade.grade.model.DomainJudgement` is what people read.
"""
from __future__ import annotations

__all__ = ["REASONS", "DOMAINS", "DOWNGRADE_DOMAINS", "UPGRADE_DOMAINS", "describe"]

DOWNGRADE_DOMAINS = ("risk_of_bias", "inconsistency", "indirectness", "imprecision", "publication_bias")
UPGRADE_DOMAINS = ("large_effect", "dose_response")
DOMAINS = DOWNGRADE_DOMAINS + UPGRADE_DOMAINS

#: code -> (domain, short description)
REASONS: dict[str, tuple[str, str]] = {
    # risk of bias
    "rob_low": ("risk_of_bias", "most of the weight comes from studies at low risk of bias"),
    "rob_serious": ("risk_of_bias", "a large share of the weight comes from studies with some concerns or high risk of bias"),
    "rob_very_serious": ("risk_of_bias", "most of the weight comes from studies at high risk of bias"),
    "rob_unknown": ("risk_of_bias", "risk of bias of the contributing studies is unknown; rated down as a precaution"),
    # inconsistency
    "inconsistency_single_study": ("inconsistency", "a single study: inconsistency cannot be judged"),
    "inconsistency_low": ("inconsistency", "little heterogeneity"),
    "inconsistency_same_direction": ("inconsistency", "heterogeneity in size only; all estimates point the same way"),
    "inconsistency_serious": ("inconsistency", "substantial heterogeneity with estimates on both sides of the decision threshold"),
    "inconsistency_very_serious": ("inconsistency", "considerable heterogeneity with estimates on both sides of the decision threshold"),
    "inconsistency_i2_only": ("inconsistency", "substantial heterogeneity (I² only; direction of study estimates unknown)"),
    "inconsistency_unknown": ("inconsistency", "heterogeneity statistics not available"),
    "inconsistency_discordant": ("inconsistency", "reviews of the same question disagree in direction or significance"),
    "inconsistency_votes_opposite": ("inconsistency", "results reported without an estimate point in opposite directions"),
    "inconsistency_votes_consistent": ("inconsistency", "results reported without an estimate do not point in opposite directions"),
    # indirectness
    "indirectness_none": ("indirectness", "no serious indirectness"),
    "indirectness_serious": ("indirectness", "serious indirectness"),
    "indirectness_very_serious": ("indirectness", "very serious indirectness"),
    "indirectness_not_assessed": ("indirectness", "indirectness not assessed"),
    # imprecision
    "imprecision_none": ("imprecision", "the confidence interval does not cross a decision threshold and the optimal information size is met"),
    "imprecision_ois_unknown": ("imprecision", "the confidence interval does not cross a decision threshold; the optimal information size could not be checked"),
    "imprecision_crosses_one": ("imprecision", "the confidence interval crosses one decision threshold"),
    "imprecision_crosses_two": ("imprecision", "the confidence interval crosses two decision thresholds"),
    "imprecision_crosses_three": ("imprecision", "the confidence interval includes important benefit, no effect and important harm"),
    "imprecision_crosses_null": ("imprecision", "the confidence interval includes no effect (no MID available)"),
    "imprecision_ois_not_met": ("imprecision", "the optimal information size is not met"),
    "imprecision_ois_far_below": ("imprecision", "the sample is far below the optimal information size"),
    "imprecision_not_assessable": ("imprecision", "no estimate and no sample size: imprecision cannot be judged"),
    # publication bias
    "publication_bias_not_assessable": ("publication_bias", "fewer than 10 studies: small-study effects cannot be tested"),
    "publication_bias_not_assessed": ("publication_bias", "no small-study test result available"),
    "publication_bias_none": ("publication_bias", "no evidence of small-study effects"),
    "publication_bias_suspected": ("publication_bias", "small-study effects suggest publication bias"),
    # upgrades
    "large_effect_not_applicable": ("large_effect", "randomised evidence: not rated up"),
    "large_effect_none": ("large_effect", "effect not large enough to rate up"),
    "large_effect": ("large_effect", "large effect"),
    "very_large_effect": ("large_effect", "very large effect"),
    "large_effect_blocked": ("large_effect", "not rated up because the evidence was rated down for risk of bias"),
    "dose_response_not_applicable": ("dose_response", "randomised evidence: not rated up"),
    "dose_response_none": ("dose_response", "no dose-response gradient reported"),
    "dose_response": ("dose_response", "dose-response gradient"),
    "dose_response_blocked": ("dose_response", "not rated up because the evidence was rated down for risk of bias"),
    # reviewer
    "override": ("", "reviewer override"),
    # the fold (not tied to one domain)
    "not_assessable_cap": ("", "two or more domains could not be assessed and no source GRADE was available: certainty capped at low"),
    # source review's own GRADE (CertaintyRating.disagreements and judgements left to the source)
    "source_covers_domain": ("", "the source review's own GRADE already covers this domain; not rated again"),
    "source_own_rules_lower": ("", "evigrade's rules on the reported numbers alone would rate lower than the source review; the source's rating is kept"),
    "source_own_rules_higher": ("", "evigrade's rules would rate higher than the source review; the source's rating is the ceiling"),
    "source_rated_below": ("", "rated below the source review for data the source did not account for"),
    "source_override_above": ("", "rated above the source review because the pack states a reason"),
}


def describe(code: str) -> str:
    """The short description of a reason code ('' for unknown codes)."""
    return REASONS.get(code, ("", ""))[1]
