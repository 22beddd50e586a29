"""One pure rule per GRADE domain.  Each takes a :class:`GradeInput` and a :class:`GradeConfig` and
returns a :class:`DomainJudgement`; none reads anything else.

Scales: every rule works on the *benefit scale* -- the estimate (log scale for ratios) signed so
that positive values mean benefit.  Thresholds on that scale are ``t_benefit > 0`` (the smallest
important benefit), ``0`` (no effect) and ``t_harm < 0`` (the smallest important harm).
"""
from __future__ import annotations

import math
import re
from statistics import NormalDist
from typing import Any

from .._format import fmt_fixed, fmt_pct, fmt_sig
from ..effects.measures import BINARY_MEASURES, is_ratio
from ..notes import NoteCode
from ..results import Note
from .config import GradeConfig
from .model import DomainJudgement, GradeInput, NarrativeInput, StudyRoB

__all__ = [
    "risk_of_bias",
    "inconsistency",
    "indirectness",
    "imprecision",
    "publication_bias",
    "large_effect",
    "dose_response",
    "resolve_mid",
    "outcome_mid",
    "mid_unit_compatible",
    "benefit_scale",
    "thresholds",
    "optimal_information_size",
    "concern_for",
    "rob_judgement",
    "discordance",
    "rob_from_studies",
]

# BINARY_MEASURES (measures of events: OIS in events, Peters' test) comes from the measures registry.


def concern_for(levels: int) -> str:
    """0 -> 'no', -1 -> 'serious', -2 and -3 -> 'very_serious' (three levels keep ``levels == -3``)."""
    return {0: "no", -1: "serious", -2: "very_serious", -3: "very_serious"}[levels]


# ----------------------------------------------------------------------------------------- scales

def benefit_scale(x: float, inp: GradeInput) -> float:
    """``x`` (reader's scale) on the benefit scale: log for ratios, sign flipped when lower is better."""
    z = math.log(x) if inp.is_ratio else float(x)
    return -z if inp.benefit == "lower" else z


def resolve_mid(inp: GradeInput, config: GradeConfig) -> tuple[float | None, str | None, bool]:
    """(mid, source, is_default): the outcome's own MID, else the config default for the measure."""
    if inp.mid is not None:
        return inp.mid, inp.mid_source, False
    d = config.default_mid(inp.measure)
    if d is None:
        return None, None, False
    return d.value, d.source, True


_MID_SYNONYMS = {"NRS": "NPRS", "NPRS": "NPRS", "VAS": "VAS", "NDI": "NDI"}


def _mid_tokens(text: str) -> set[str]:
    return {_MID_SYNONYMS.get(t, t) for t in re.findall(r"[A-Za-z]+", text.upper())}


def mid_unit_compatible(unit: str, mid_unit: str) -> bool:
    """True when the finding's unit names the MID's instrument (the first word of ``mid_unit``,
    e.g. 'NPRS' in 'NPRS points (0-10)'; NRS counts as NPRS).  A bare 'points' is not enough:
    the MID applies to one instrument and scale only."""
    if not unit.strip() or not mid_unit.strip():
        return False
    first = _mid_tokens(mid_unit.split()[0])
    return bool(first) and first <= _mid_tokens(unit)


def outcome_mid(
    measure: str,
    mid: float | None,
    *,
    source: str | None = None,
    unit: str = "",
    mid_unit: str = "",
    reference_sd: float | None = None,
    reference_sd_source: str = "",
    config: GradeConfig | None = None,
) -> tuple[float | None, str | None, tuple[Note, ...]]:
    """The outcome's MID (natural units, from the pack) as it applies to a finding in ``measure``.

    Returns (mid, source, notes); a None mid means "use the config default for the measure"
    (:func:`resolve_mid` then supplies it).  An SMD gets the MID divided by the reference SD; a
    MID in another instrument's units, or any natural-unit MID for a ratio measure, is not used,
    and a Note says so (nothing is dropped silently).
    """
    if mid is None:
        return None, None, ()
    src = source or None
    if measure == "SMD":
        sd = reference_sd
        if sd and sd > 0:
            note = Note(NoteCode.MID_FROM_REFERENCE_SD,
                        f"MID {fmt_sig(mid)} {mid_unit or ''} expressed as an SMD by dividing by the "
                        f"reference SD {fmt_sig(sd)} ({reference_sd_source}): {fmt_fixed(mid / sd, 3)}.")
            return mid / sd, f"{src or 'outcome MID'}; divided by reference SD {fmt_sig(sd)} ({reference_sd_source})", (note,)
        return None, None, (Note(NoteCode.MID_UNITS_DIFFER, "The outcome's MID is in natural units but the finding is an SMD "
                                                     "and no reference SD is given; the SMD default MID is used."),)
    if is_ratio(measure):
        d = (config or GradeConfig()).default_mid(measure)
        then = (f"the default relative MID for {measure} ({fmt_sig(d.value)}, i.e. {fmt_sig(100 * d.value)}%) is used instead"
                if d is not None else "no MID is used, so imprecision is judged against no effect")
        return None, None, (Note(NoteCode.MID_NOT_FOR_RATIO,
                                 f"The outcome's MID ({fmt_sig(mid)} {mid_unit}".rstrip() + f") is in natural units and does "
                                 f"not apply to a ratio measure ({measure}); {then}."),)
    if not mid_unit_compatible(unit, mid_unit):
        return None, None, (Note(NoteCode.MID_UNITS_DIFFER,
                                 f"The outcome's MID ({fmt_sig(mid)} {mid_unit}) applies to another instrument or scale than "
                                 f"this finding ({unit or 'unit not stated'}); no MID is used, so imprecision is judged "
                                 "against no effect and the size of the effect is not classified."),)
    return mid, src, ()


def thresholds(inp: GradeInput, config: GradeConfig) -> tuple[float, float] | None:
    """(t_benefit, t_harm) on the benefit scale, or None without an MID."""
    mid, _, _ = resolve_mid(inp, config)
    if mid is None:
        return None
    if inp.is_ratio:
        down, up = math.log(1 - mid), math.log(1 + mid)  # e.g. log(0.75) < 0 < log(1.25)
        # lower is better: a ratio below 1 is benefit, so the benefit threshold is -log(0.75)
        return (-down, -up) if inp.benefit == "lower" else (up, down)
    return mid, -mid


# ---------------------------------------------------------------------------------- risk of bias

def rob_judgement(study: StudyRoB, config: GradeConfig) -> str | None:
    """A study's judgement: its own, else from its PEDro score, else None (unknown)."""
    if study.judgement is not None:
        return study.judgement
    if study.pedro is not None:
        if study.pedro >= config.pedro_low_min:
            return "low"
        if study.pedro >= config.pedro_some_min:
            return "some_concerns"
        return "high"
    return None


def risk_of_bias(inp: GradeInput, config: GradeConfig) -> DomainJudgement:
    """Weight-share rule.  Unknown risk of bias counts as "some concerns" (conservative); when more
    than ``rob_unknown_share`` of the weight is unknown the domain is "not assessable" and rated
    down one level as a precaution."""
    return rob_from_studies(inp.rob, config)


def rob_from_studies(studies: tuple[StudyRoB, ...], config: GradeConfig) -> DomainJudgement:
    """The weight-share rule of :func:`risk_of_bias` on a tuple of studies (also used for narrative votes)."""
    shares = {"low": 0.0, "some_concerns": 0.0, "high": 0.0, "unknown": 0.0}
    if studies:
        total = sum(s.weight for s in studies)
        equal = total <= 0
        for s in studies:
            w = (1.0 / len(studies)) if equal else s.weight / total
            j = rob_judgement(s, config)
            shares[j or "unknown"] += w
    else:
        shares["unknown"] = 1.0
        equal = False
    numbers: dict[str, Any] = {
        "share_low": shares["low"],
        "share_some_concerns": shares["some_concerns"],
        "share_high": shares["high"],
        "share_unknown": shares["unknown"],
        "n_studies_with_rob": len(studies),
        "equal_weights_used": equal,
        "rob_serious_share": config.rob_serious_share,
        "rob_very_serious_share": config.rob_very_serious_share,
        "rob_unknown_share": config.rob_unknown_share,
    }
    concern_share = shares["some_concerns"] + shares["high"] + shares["unknown"]
    numbers["share_concerns_or_unknown"] = concern_share
    if shares["high"] >= config.rob_very_serious_share:
        return DomainJudgement(
            "risk_of_bias", "very_serious", -2, "rob_very_serious",
            f"Studies at high risk of bias carry {fmt_pct(shares['high'], 0)} of the weight "
            f"(threshold {fmt_pct(config.rob_very_serious_share, 0)}).", numbers)
    if shares["unknown"] > config.rob_unknown_share:
        why = ("No per-study risk-of-bias judgements were available" if not studies else
               f"Risk of bias is unknown for studies carrying {fmt_pct(shares['unknown'], 0)} of the weight")
        return DomainJudgement(
            "risk_of_bias", "not_assessable", -1, "rob_unknown",
            f"{why}; risk of bias cannot be assessed, so the evidence is rated down one level as a precaution.",
            numbers)
    if concern_share >= config.rob_serious_share:
        return DomainJudgement(
            "risk_of_bias", "serious", -1, "rob_serious",
            f"Studies with some concerns or high risk of bias (or unknown risk) carry {fmt_pct(concern_share, 0)} "
            f"of the weight (threshold {fmt_pct(config.rob_serious_share, 0)}).", numbers)
    return DomainJudgement(
        "risk_of_bias", "no", 0, "rob_low",
        f"Studies at low risk of bias carry {fmt_pct(shares['low'], 0)} of the weight.", numbers)


# --------------------------------------------------------------------------------- inconsistency

def inconsistency(inp: GradeInput, config: GradeConfig) -> DomainJudgement:
    """:func:`_inconsistency_core`, then :func:`discordance`; where heterogeneity is at least ``i2_serious`` and a subgroup or moderator
    test may explain it (``inp.subgroup_explanations``), the rationale says so.  The level is unchanged:
    such explanations are exploratory (GRADE 7, Guyatt 2011 J Clin Epidemiol 64:1294)."""
    j = discordance(_inconsistency_core(inp, config), inp.discordant)
    if not inp.subgroup_explanations or j.reason_code in ("inconsistency_single_study", "inconsistency_unknown",
                                                          "inconsistency_low"):
        return j
    import dataclasses

    parts = "; ".join(f"{d}: p = {fmt_fixed(pv, 3)}" for d, pv in inp.subgroup_explanations)
    text = (f" Possible explanation (exploratory, not used to change the rating): subgroup or moderator tests "
            f"suggest differences by {parts}.")
    numbers = {**j.numbers, "subgroup_explanations": [{"moderator": d, "p": pv} for d, pv in inp.subgroup_explanations]}
    return dataclasses.replace(j, rationale=j.rationale + text, numbers=numbers)


def discordance(j: DomainJudgement, discordant: bool | None) -> DomainJudgement:
    """Reviews of the same question that disagree in direction or significance (Jadad 1997; Pollock
    2020) cost one level for inconsistency unless the within-review rule already cost as much or more
    (one domain is never counted twice)."""
    import dataclasses

    numbers = {**j.numbers, "discordant": discordant}
    if not discordant:
        return dataclasses.replace(j, numbers=numbers)
    text = "Reviews of the same question disagree in direction or statistical significance."
    if j.levels <= -1:
        return dataclasses.replace(j, numbers=numbers, rationale=f"{j.rationale} {text}")
    return DomainJudgement("inconsistency", "serious", -1, "inconsistency_discordant",
                           f"{text} (Within the best source: {j.rationale})", numbers)


def _inconsistency_core(inp: GradeInput, config: GradeConfig) -> DomainJudgement:
    """I² with the direction check: a level is lost only when heterogeneity is substantial *and*
    the studies' point estimates fall on both sides of the null or the prediction interval crosses
    it; two levels when I² is considerable and both signals are present.  The decision threshold
    is the null (no effect)."""
    numbers: dict[str, Any] = {
        "k": inp.k, "i2": inp.i2, "tau2": inp.tau2, "pi_low": inp.pi_low, "pi_high": inp.pi_high,
        "i2_serious": config.i2_serious, "i2_very_serious": config.i2_very_serious,
    }
    if inp.k is not None and inp.k < 2:
        return DomainJudgement("inconsistency", "not_assessable", 0, "inconsistency_single_study",
                               "Only one study: inconsistency could not be assessed.", numbers)
    b = [benefit_scale(y, inp) for y in inp.study_estimates
         if not inp.is_ratio or y > 0]
    both_sides = (any(v > 0 for v in b) and any(v < 0 for v in b)) if len(b) >= 2 else None
    pi_crosses = None
    if inp.pi_low is not None and inp.pi_high is not None and (not inp.is_ratio or min(inp.pi_low, inp.pi_high) > 0):
        lo, hi = sorted((benefit_scale(inp.pi_low, inp), benefit_scale(inp.pi_high, inp)))
        pi_crosses = lo < 0 < hi
    numbers.update({"estimates_both_sides": both_sides, "pi_crosses_null": pi_crosses,
                    "n_study_estimates": len(b)})
    if inp.i2 is None:
        return DomainJudgement(
            "inconsistency", "not_assessable", 0, "inconsistency_unknown",
            "Heterogeneity statistics (I², tau²) are not available, so inconsistency could not be assessed; "
            "the rating may overstate certainty if the studies disagree.", numbers)
    i2 = fmt_pct(inp.i2, 0)
    if inp.i2 < config.i2_serious:
        return DomainJudgement("inconsistency", "no", 0, "inconsistency_low",
                               f"I² = {i2} is below {fmt_pct(config.i2_serious, 0)}.", numbers)
    if both_sides is None and pi_crosses is None:
        if inp.i2 >= config.i2_very_serious:
            return DomainJudgement(
                "inconsistency", "very_serious", -2, "inconsistency_i2_only",
                f"I² = {i2} (at least {fmt_pct(config.i2_very_serious, 0)}); the individual study estimates are "
                "not known, so whether their confidence intervals overlap cannot be checked and the considerable "
                "heterogeneity is assumed to matter.", numbers)
        return DomainJudgement(
            "inconsistency", "serious", -1, "inconsistency_i2_only",
            f"I² = {i2} (at least {fmt_pct(config.i2_serious, 0)}); the direction of the individual study "
            "estimates is not known, so the heterogeneity is assumed to matter.", numbers)
    signals = [s for s, on in (("study estimates fall on both sides of no effect", both_sides),
                               ("the prediction interval includes no effect", pi_crosses)) if on]
    if not signals:
        return DomainJudgement(
            "inconsistency", "no", 0, "inconsistency_same_direction",
            f"I² = {i2}, but all study estimates and the prediction interval point the same way "
            "(differences in size only).", numbers)
    if inp.i2 >= config.i2_very_serious and both_sides and pi_crosses:
        return DomainJudgement(
            "inconsistency", "very_serious", -2, "inconsistency_very_serious",
            f"I² = {i2} (at least {fmt_pct(config.i2_very_serious, 0)}) and " + " and ".join(signals) + ".", numbers)
    return DomainJudgement(
        "inconsistency", "serious", -1, "inconsistency_serious",
        f"I² = {i2} (at least {fmt_pct(config.i2_serious, 0)}) and " + " and ".join(signals) + ".", numbers)


# ---------------------------------------------------------------------------------- indirectness

def indirectness(inp: GradeInput | NarrativeInput, config: GradeConfig) -> DomainJudgement:
    """An explicit judgement; no judgement is "not assessed", never "no concern"."""
    reason = (inp.indirectness_reason or "").strip()
    tail = f" {reason.rstrip('.')}." if reason else ""
    numbers = {"judgement": inp.indirectness}
    if inp.indirectness is None:
        return DomainJudgement("indirectness", "not_assessable", 0, "indirectness_not_assessed",
                               "Indirectness could not be assessed (no judgement given); it is not counted as "
                               "'no concern'." + tail, numbers)
    if inp.indirectness == "none":
        return DomainJudgement("indirectness", "no", 0, "indirectness_none",
                               "No serious indirectness." + tail, numbers)
    if inp.indirectness == "serious":
        return DomainJudgement("indirectness", "serious", -1, "indirectness_serious",
                               "Serious indirectness." + tail, numbers)
    return DomainJudgement("indirectness", "very_serious", -2, "indirectness_very_serious",
                           "Very serious indirectness." + tail, numbers)


# ----------------------------------------------------------------------------------- imprecision

def optimal_information_size(control_risk: float, config: GradeConfig) -> int:
    """Total participants (both arms) to detect ``ois_rrr`` relative risk reduction from
    ``control_risk`` with a two-sided test at ``ois_alpha`` and ``ois_power`` (normal approximation
    for two proportions)."""
    p1 = control_risk
    p2 = p1 * (1 - config.ois_rrr)
    z = NormalDist().inv_cdf(1 - config.ois_alpha / 2) + NormalDist().inv_cdf(config.ois_power)
    per_arm = z * z * (p1 * (1 - p1) + p2 * (1 - p2)) / (p1 - p2) ** 2
    return 2 * math.ceil(per_arm)


def _ois_levels(inp: GradeInput, config: GradeConfig, numbers: dict[str, Any]) -> tuple[int, str, str]:
    binary = inp.measure in BINARY_MEASURES
    if binary and inp.control_risk is not None:
        ois = optimal_information_size(inp.control_risk, config)
        have, what = inp.n, "participants"
    elif binary:
        ois, have, what = config.ois_binary_events, inp.events, "events"
        if have is None and inp.n is not None and inp.n < ois:
            # events are never more than participants: fewer participants than the OIS in events
            numbers.update({"ois": ois, "ois_unit": what, "ois_have": None, "events_upper_bound": inp.n})
            if inp.n < config.ois_far_below * ois:
                return -2, "imprecision_ois_far_below", (
                    f"the number of events is unknown but at most {inp.n} (the participants), far below the optimal "
                    f"information size ({ois} events)")
            return -1, "imprecision_ois_not_met", (
                f"the number of events is unknown but at most {inp.n} (the participants), fewer than the optimal "
                f"information size ({ois} events)")
    else:
        ois, have, what = config.ois_continuous, inp.n, "participants"
    numbers.update({"ois": ois, "ois_unit": what, "ois_have": have})
    if have is None:
        return 0, "imprecision_ois_unknown", f"the number of {what} is unknown, so the optimal information size ({ois} {what}) could not be checked"
    if have >= ois:
        return 0, "imprecision_none", f"{have} {what} meet the optimal information size ({ois})"
    if have < config.ois_far_below * ois:
        return -2, "imprecision_ois_far_below", (
            f"{have} {what} are far below the optimal information size ({ois}; less than "
            f"{fmt_pct(config.ois_far_below, 0)} of it)")
    return -1, "imprecision_ois_not_met", f"{have} {what} are fewer than the optimal information size ({ois})"


def imprecision(inp: GradeInput, config: GradeConfig) -> DomainJudgement:
    """GRADE 34/35 (Zeng 2022; Schünemann 2022), minimally contextualised.

    The point estimate sets the target: important benefit (beyond the MID), important harm, or a
    trivial effect.  For an important target each threshold the CI crosses (MID, null, the opposite
    MID) costs one level (up to three); for a trivial target, crossing the MID for benefit and/or
    for harm costs one level each.  Without an MID the CI is judged against the null only (one
    level).  The optimal-information-size check always runs and the worse of the two counts
    (so certainty never rises as the CI widens or the sample shrinks).
    """
    mid, mid_source, is_default = resolve_mid(inp, config)
    e = benefit_scale(inp.estimate, inp)
    lo, hi = sorted((benefit_scale(inp.ci_low, inp), benefit_scale(inp.ci_high, inp)))
    numbers: dict[str, Any] = {"mid": mid, "mid_source": mid_source, "mid_is_default": is_default,
                               "estimate": inp.estimate, "ci_low": inp.ci_low, "ci_high": inp.ci_high,
                               "n": inp.n, "events": inp.events}
    th = thresholds(inp, config)
    ci_txt = f"{fmt_fixed(inp.ci_low)} to {fmt_fixed(inp.ci_high)}"
    if th is None:
        crossed: list[str] = ["no effect"] if lo < 0 < hi else []
        target = "any effect"
        numbers.update({"target": target, "thresholds_crossed": crossed})
        ci_levels = -1 if crossed else 0
        ci_code = "imprecision_crosses_null" if crossed else "imprecision_none"
        ci_text = (f"No MID is available for this outcome, so the 95% CI ({ci_txt}) was judged against "
                   f"no effect only: it {'includes' if crossed else 'excludes'} no effect")
    else:
        tb, th_ = th
        numbers.update({"threshold_benefit": tb, "threshold_harm": th_})
        if e >= tb:
            target = "important benefit"
            crossed = [name for name, t in (("MID for benefit", tb), ("no effect", 0.0), ("MID for harm", th_)) if lo < t]
        elif e <= th_:
            target = "important harm"
            crossed = [name for name, t in (("MID for harm", th_), ("no effect", 0.0), ("MID for benefit", tb)) if hi > t]
        else:
            target = "little or no effect"
            crossed = [name for name, t in (("MID for benefit", tb), ("MID for harm", th_)) if lo < t < hi]
        numbers.update({"target": target, "thresholds_crossed": crossed})
        ci_levels = -len(crossed)
        ci_code = ("imprecision_none", "imprecision_crosses_one", "imprecision_crosses_two",
                   "imprecision_crosses_three")[len(crossed)]
        mid_txt = fmt_sig(mid) if mid is not None else ""  # thresholds() is not None, so mid is known
        src = f"default MID {mid_txt} ({mid_source})" if is_default else f"MID {mid_txt}" + (f" ({mid_source})" if mid_source else "")
        ci_text = (f"The point estimate suggests {target}; against the {src} the 95% CI ({ci_txt}) "
                   + (f"crosses {len(crossed)} threshold{'s' if len(crossed) > 1 else ''} ({', '.join(crossed)})"
                      if crossed else "crosses no threshold"))
    ois_levels, ois_code, ois_text = _ois_levels(inp, config, numbers)
    numbers.update({"ci_levels": ci_levels, "ois_levels": ois_levels,
                    "ois_unknown": ois_code == "imprecision_ois_unknown"})
    if ois_levels < ci_levels:
        levels, code = ois_levels, ois_code
    else:
        levels, code = ci_levels, ci_code
        if levels == 0 and ois_code == "imprecision_ois_unknown":
            code = ois_code
    rationale = f"{ci_text}; {ois_text}."
    concern = "not_assessable" if code == "imprecision_ois_unknown" else concern_for(levels)
    return DomainJudgement("imprecision", concern, levels, code, rationale, numbers)


# ------------------------------------------------------------------------------ publication bias

def publication_bias(inp: GradeInput, config: GradeConfig) -> DomainJudgement:
    """Small-study test only when ``k >= pub_bias_min_k``; otherwise "not assessable" with a note."""
    test = inp.small_study_test or ("Peters" if inp.measure in BINARY_MEASURES else "Egger")
    test_poss = test + ("'" if test.endswith("s") else "'s")  # Peters' / Egger's
    numbers = {"k": inp.k, "min_k": config.pub_bias_min_k, "p": inp.small_study_p, "test": test,
               "alpha": config.pub_bias_alpha}
    if inp.k is None:
        return DomainJudgement(
            "publication_bias", "not_assessable", 0, "publication_bias_not_assessable",
            "The number of studies behind this estimate is unknown, so small-study effects could not be "
            "tested and publication bias could not be assessed.", numbers)
    if inp.k < config.pub_bias_min_k:
        return DomainJudgement(
            "publication_bias", "not_assessable", 0, "publication_bias_not_assessable",
            f"Only {inp.k} stud{'y' if inp.k == 1 else 'ies'}: tests for small-study effects need at least "
            f"{config.pub_bias_min_k}, so publication bias could not be assessed.", numbers)
    if inp.small_study_p is None:
        return DomainJudgement(
            "publication_bias", "not_assessable", 0, "publication_bias_not_assessed",
            f"{inp.k} studies, but no small-study test result was given; publication bias was not assessed.",
            numbers)
    if inp.small_study_p < config.pub_bias_alpha:
        return DomainJudgement(
            "publication_bias", "serious", -1, "publication_bias_suspected",
            f"{test_poss} test for small-study effects: p = {fmt_fixed(inp.small_study_p, 3)} (< {fmt_sig(config.pub_bias_alpha)}).",
            numbers)
    return DomainJudgement(
        "publication_bias", "no", 0, "publication_bias_none",
        f"{test_poss} test for small-study effects: p = {fmt_fixed(inp.small_study_p, 3)} (>= {fmt_sig(config.pub_bias_alpha)}).",
        numbers)


# -------------------------------------------------------------------------------------- upgrades

def large_effect(inp: GradeInput, config: GradeConfig, rob_levels: int = 0) -> DomainJudgement:
    """+1 for a ratio beyond ``large_effect_ratio`` (or below its inverse), +2 beyond
    ``very_large_effect_ratio``; only for non-randomised evidence not rated down for risk of bias."""
    numbers: dict[str, Any] = {"design": inp.design, "estimate": inp.estimate,
                               "large": config.large_effect_ratio, "very_large": config.very_large_effect_ratio}
    if inp.design == "randomised":
        return DomainJudgement("large_effect", "no", 0, "large_effect_not_applicable",
                               "Randomised evidence starts high and is not rated up.", numbers)
    if not inp.is_ratio:
        return DomainJudgement("large_effect", "no", 0, "large_effect_none",
                               f"A large effect is judged on ratio measures only ({inp.measure} given).", numbers)
    r = max(inp.estimate, 1 / inp.estimate)
    numbers["ratio_distance"] = r
    up = 2 if r > config.very_large_effect_ratio else (1 if r > config.large_effect_ratio else 0)
    if up and rob_levels < 0:
        return DomainJudgement("large_effect", "no", 0, "large_effect_blocked",
                               f"{inp.measure} {fmt_fixed(inp.estimate)} would qualify as a large effect, but the "
                               "evidence was rated down for risk of bias.", numbers)
    if up == 2:
        return DomainJudgement("large_effect", "no", 2, "very_large_effect",
                               f"{inp.measure} {fmt_fixed(inp.estimate)}: very large effect (beyond "
                               f"{fmt_sig(config.very_large_effect_ratio)} or 1/{fmt_sig(config.very_large_effect_ratio)}).", numbers)
    if up == 1:
        return DomainJudgement("large_effect", "no", 1, "large_effect",
                               f"{inp.measure} {fmt_fixed(inp.estimate)}: large effect (beyond "
                               f"{fmt_sig(config.large_effect_ratio)} or 1/{fmt_sig(config.large_effect_ratio)}).", numbers)
    return DomainJudgement("large_effect", "no", 0, "large_effect_none",
                           f"{inp.measure} {fmt_fixed(inp.estimate)} is not a large effect.", numbers)


def dose_response(inp: GradeInput, config: GradeConfig, rob_levels: int = 0) -> DomainJudgement:
    numbers = {"design": inp.design, "dose_response": inp.dose_response}
    if inp.design == "randomised":
        return DomainJudgement("dose_response", "no", 0, "dose_response_not_applicable",
                               "Randomised evidence starts high and is not rated up.", numbers)
    if not inp.dose_response:
        return DomainJudgement("dose_response", "no", 0, "dose_response_none",
                               "No dose-response gradient was reported.", numbers)
    if rob_levels < 0:
        return DomainJudgement("dose_response", "no", 0, "dose_response_blocked",
                               "A dose-response gradient was reported, but the evidence was rated down for "
                               "risk of bias.", numbers)
    return DomainJudgement("dose_response", "no", 1, "dose_response",
                           "A dose-response gradient was reported.", numbers)
