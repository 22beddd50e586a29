"""The fold: start level, one judgement per domain, reviewer overrides, the source review's GRADE, final certainty.

Rules of the fold (issue 13; DESIGN.md 5 and 5b):

* Without a source GRADE, randomised evidence starts high (4), non-randomised low (2); domain
  levels are summed and clamped to very_low..high.  When two or more of the five downgrade domains
  lack their inputs ("not_assessable", or imprecision whose optimal information size could not be
  checked because n is unknown) the certainty is capped at low (reason code ``not_assessable_cap``) and
  ``CertaintyRating.not_fully_assessed`` is True (the statement says so).
* With ``source_certainty`` (the best source review's own GRADE) the rating starts there and the
  source is the ceiling.  Only what the source could not have accounted for lowers it further:
  ``discordant`` reviews (inconsistency, one level) and a pack-stated indirectness of serious or
  very serious (the pack's question, not the review's), plus any reviewer override with a reason.
  evigrade's own domain rules still run on the reported numbers; their levels are *not* applied
  (the source already judged risk of bias, heterogeneity, imprecision and publication bias on the
  same data: counting them again would double count), but where they would give a different
  certainty the difference is listed in ``CertaintyRating.disagreements``.  A rating above the
  source needs ``source_override`` (the pack's reason); evigrade's own rating (with its cap) is then used.
* :func:`assess_narrative` rates evidence without a single estimate with the same fold.
"""
from __future__ import annotations

import dataclasses
from typing import Any

from ..errors import SpecError
from ..results import Note
from .config import GradeConfig
from .model import (
    CertaintyRating,
    Disagreement,
    DomainJudgement,
    GradeInput,
    NarrativeInput,
    StudyRoB,
    level_name,
    level_number,
)
from .reasons import DOWNGRADE_DOMAINS
from .rules import (
    concern_for,
    discordance,
    dose_response,
    imprecision,
    inconsistency,
    indirectness,
    large_effect,
    publication_bias,
    risk_of_bias,
    rob_from_studies,
)

__all__ = ["assess", "assess_narrative", "narrative_direction", "DOMAIN_LABELS"]

DOMAIN_LABELS = {
    "risk_of_bias": "Risk of bias",
    "inconsistency": "Inconsistency",
    "indirectness": "Indirectness",
    "imprecision": "Imprecision",
    "publication_bias": "Publication bias",
    "large_effect": "Large effect",
    "dose_response": "Dose-response",
}

#: the cap applied when two or more domains are not assessable and no source GRADE exists
_NA_CAP_LEVEL = 2


def _apply_override(auto: DomainJudgement, inp: GradeInput | NarrativeInput) -> DomainJudgement:
    for o in inp.overrides:
        if o.domain == auto.domain:
            if o.concern is not None:
                concern = o.concern
            elif o.levels > 0:
                concern = "no"
            else:
                concern = concern_for(o.levels)
            numbers = dict(auto.numbers)
            numbers.update({"auto_levels": auto.levels, "auto_reason_code": auto.reason_code,
                            "auto_concern": auto.concern})
            return DomainJudgement(
                auto.domain, concern, o.levels, f"{auto.domain}_override",
                f"Reviewer judgement: {o.reason.strip().rstrip('.')}. (Automatic rule: {auto.rationale})",
                numbers, source="override")
    return auto


def _footnote(j: DomainJudgement) -> str | None:
    label = DOMAIN_LABELS[j.domain]
    if j.levels < 0:
        n = -j.levels
        return f"{label}: rated down {n} level{'s' if n > 1 else ''}. {j.rationale}"
    if j.levels > 0:
        return f"{label}: rated up {j.levels} level{'s' if j.levels > 1 else ''}. {j.rationale}"
    if j.source in ("override", "source_review") or j.concern == "not_assessable":
        return f"{label}: not rated down. {j.rationale}"
    return None


def _to_source(j: DomainJudgement, source: str, inp: GradeInput | NarrativeInput) -> DomainJudgement:
    """A judgement under a source GRADE: applied only for what the source could not know."""
    if j.source == "override":
        return j  # the pack's reviewer stated it, with a reason
    if j.domain == "inconsistency" and inp.discordant:
        if j.levels == 0 and j.reason_code != "inconsistency_discordant":
            return j
        return DomainJudgement("inconsistency", "serious", -1, "inconsistency_discordant",
                               "Reviews of the same question disagree in direction or statistical significance; "
                               "the source review could not account for the other reviews.",
                               {**j.numbers, "auto_levels": j.levels, "auto_reason_code": j.reason_code})
    if j.domain == "indirectness" and j.levels < 0:
        return j  # the pack's question, not the review's
    if j.domain not in DOWNGRADE_DOMAINS and j.levels == 0:
        return j
    numbers = {**j.numbers, "auto_levels": j.levels, "auto_reason_code": j.reason_code,
               "auto_concern": j.concern}
    return dataclasses.replace(
        j, levels=0, numbers=numbers, source="source_review",
        rationale=(f"Left to the source review's own GRADE ({source.replace('_', ' ')}), which already covers this "
                   f"domain. evigrade's rule on the reported numbers: {j.rationale}"))


def _missing_input(j: DomainJudgement) -> bool:
    """Imprecision rated down for its CI but whose optimal information size could not be checked (n
    unknown) still lacks an input: it counts toward the cap, so that a wider CI never lifts the cap
    and raises the certainty."""
    return j.domain == "imprecision" and bool(j.numbers.get("ois_unknown")) and \
        j.numbers.get("auto_levels", j.levels) != 0 and j.source != "override"


def _fold(judgements: list[DomainJudgement], inp: GradeInput | NarrativeInput, *, kind: str, basis: str,
          extra_notes: tuple[Note, ...] = ()) -> CertaintyRating:
    own_start = 4 if inp.design == "randomised" else 2
    down = sum(j.levels for j in judgements if j.levels < 0)
    up = sum(j.levels for j in judgements if j.levels > 0)
    own_level = max(1, min(4, own_start + down + up))
    na = tuple(j.domain for j in judgements if j.domain in DOWNGRADE_DOMAINS and (
        j.concern == "not_assessable" or _missing_input(j)))
    notes: list[Note] = list(extra_notes)
    capped_by: str | None = None
    own_capped = own_level
    if len(na) >= 2 and own_level > _NA_CAP_LEVEL:
        own_capped = _NA_CAP_LEVEL
    src = inp.source_certainty
    disagreements: list[Disagreement] = []
    if src is None:
        start, level, applied = own_start, own_capped, judgements
        if own_capped < own_level:
            capped_by = "not_assessable_cap"
        if own_start + down + up < 1:
            notes.append(Note("certainty_floor", f"Downgrades total {-down} levels; certainty cannot fall below very low."))
        if own_start + down + up > 4:
            notes.append(Note("certainty_ceiling", "Upgrades would lift the rating above high; capped at high."))
        if len(na) >= 2:
            names = ", ".join(DOMAIN_LABELS[d].lower() for d in na)
            notes.append(Note("not_assessable_cap",
                              f"Certainty could not be fully assessed ({names} not assessable) and no source GRADE "
                              "was available: certainty capped at low."
                              + ("" if own_capped < own_level else " (The domains already rated it at low or below.)")))
    else:
        s_level = level_number(src)
        start = s_level
        applied = [_to_source(j, src, inp) for j in judgements]
        a_down = sum(j.levels for j in applied if j.levels < 0)
        a_up = sum(j.levels for j in applied if j.levels > 0)
        level = max(1, min(s_level, s_level + a_down + a_up))
        down, up = a_down, min(a_up, 0)
        src_word, own_word = src.replace("_", " "), level_name(own_capped).replace("_", " ")
        if a_down < 0:
            why = "; ".join(f"{DOMAIN_LABELS[j.domain].lower()} ({j.reason_code})" for j in applied if j.levels < 0)
            disagreements.append(Disagreement(
                "source_rated_below",
                f"Rated {level_name(level).replace('_', ' ')}, below the source review's {src_word}, for what the "
                f"source could not account for: {why}."))
        if inp.source_override and own_capped > level:
            disagreements.append(Disagreement(
                "source_override_above",
                f"Rated {own_word}, above the source review's {src_word}: {inp.source_override.rstrip('.')}."))
            level = own_capped
            down, up = own_capped - s_level, 0
        elif own_capped > s_level:
            disagreements.append(Disagreement(
                "source_own_rules_higher",
                f"evigrade's rules on the reported numbers would give {own_word}; the source review's {src_word} is "
                "the ceiling (no override in the pack)."))
        elif own_capped < s_level:
            disagreements.append(Disagreement(
                "source_own_rules_lower",
                f"evigrade's rules on the reported numbers alone would give {own_word}; the source review rated "
                f"{src_word} with its study-level data, so its rating is kept (not rated lower without data the "
                "source did not have)."))
        notes.append(Note("source_certainty", f"Started from the source review's own GRADE ({src_word})."))
    footnotes = tuple(f for f in (_footnote(j) for j in applied) if f)
    rr, rs = inp.review_rating, inp.review_reasons
    if basis == "review":
        own = f" The review's own rating: {rr}." if rr else " The review gave no rating in the text read."
        notes.append(Note("review_basis",
                          "Rated from the review's pooled numbers only (CI vs MID, I², k, n); per-study data "
                          "were not available." + own))
    return CertaintyRating(
        start=level_name(start), judgements=tuple(applied), certainty=level_name(level), level=level,
        downgrade_levels=down, upgrade_levels=up, footnotes=footnotes, basis=basis, review_rating=rr,
        review_reasons=rs, notes=tuple(notes), source_certainty=src, disagreements=tuple(disagreements),
        capped_by=capped_by, not_assessable=na, kind="narrative" if kind == "narrative" else "estimate",
        own_rules_certainty=level_name(own_capped))


def assess(inp: GradeInput, config: GradeConfig | None = None) -> CertaintyRating:
    """Rate the certainty of one body of evidence with a single estimate (see the module docstring).

    When ``inp.basis == "review"`` the rating uses only the numbers the review reported and carries
    the review's own rating beside ours.
    """
    if not isinstance(inp, GradeInput):
        raise SpecError(f"assess() needs a GradeInput, got {type(inp).__name__}")
    config = config or GradeConfig()
    rob = _apply_override(risk_of_bias(inp, config), inp)
    judgements = [
        rob,
        _apply_override(inconsistency(inp, config), inp),
        _apply_override(indirectness(inp, config), inp),
        _apply_override(imprecision(inp, config), inp),
        _apply_override(publication_bias(inp, config), inp),
        _apply_override(large_effect(inp, config, rob.levels), inp),
        _apply_override(dose_response(inp, config, rob.levels), inp),
    ]
    return _fold(judgements, inp, kind="estimate", basis=inp.basis)


# ------------------------------------------------------------------------------ narrative evidence

def narrative_direction(inp: NarrativeInput) -> str:
    """The direction of a body of results without a single estimate (:attr:`NarrativeInput.direction`)."""
    return inp.direction


def _vote_text(inp: NarrativeInput) -> str:
    parts = []
    for d, word in (("favours_intervention", "favoured the intervention"), ("favours_comparator", "favoured the comparator"),
                    ("no_difference", "found no difference"), ("unclear", "had an unclear direction")):
        c, n = inp.count(d)
        if c:
            parts.append(f"{c} {word}" + (f" ({n} participants)" if n else ""))
    return "; ".join(parts)


def _narrative_inconsistency(inp: NarrativeInput) -> DomainJudgement:
    """Opposite directions among the results (some favour the intervention, some the comparator) cost
    one level; results differing only in statistical significance do not (vote counting by
    significance is discouraged: SWiM, Campbell 2020); reviews that disagree (``discordant``) cost one
    level; a single result is not assessable."""
    fi, nfi = inp.count("favours_intervention")
    fc, nfc = inp.count("favours_comparator")
    nd, _ = inp.count("no_difference")
    numbers: dict[str, Any] = {"favours_intervention": fi, "favours_comparator": fc, "no_difference": nd,
                               "participants_favours_intervention": nfi, "participants_favours_comparator": nfc,
                               "k": inp.k}
    if fi and fc:
        j = DomainJudgement("inconsistency", "serious", -1, "inconsistency_votes_opposite",
                            f"Results point in opposite directions: {_vote_text(inp)}.", numbers)
    elif (fi + fc + nd) < 2:
        j = DomainJudgement("inconsistency", "not_assessable", 0, "inconsistency_single_study",
                            "Fewer than two results with a known direction: inconsistency could not be assessed.", numbers)
    else:
        j = DomainJudgement("inconsistency", "no", 0, "inconsistency_votes_consistent",
                            f"No results point in opposite directions ({_vote_text(inp)}); differences in statistical "
                            "significance alone are not rated down.", numbers)
    return discordance(j, inp.discordant)


def _narrative_imprecision(inp: NarrativeInput, config: GradeConfig) -> DomainJudgement:
    """Without an estimate there is no CI to set against the MID, so whether important effects are
    excluded is unknown (Murad 2017): one level for that alone when the total sample meets the optimal
    information size for a continuous outcome (``ois_continuous``), two levels below it; with the
    participants unknown for any result the domain is not assessable and still rated down one level
    as a precaution (nothing is known about precision)."""
    n, ois = inp.n, config.ois_continuous
    numbers: dict[str, Any] = {"n": n, "ois": ois}
    if n is None:
        return DomainJudgement("imprecision", "not_assessable", -1, "imprecision_not_assessable",
                               "No pooled estimate and the number of participants is not known for every result: "
                               "imprecision could not be assessed, so the evidence is rated down one level as a "
                               "precaution.", numbers)
    if n < ois:
        return DomainJudgement("imprecision", "very_serious", -2, "imprecision_ois_not_met",
                               f"No pooled estimate, so important effects cannot be ruled out, and {n} participants "
                               f"in all are fewer than the optimal information size ({ois}).", numbers)
    return DomainJudgement("imprecision", "serious", -1, "imprecision_crosses_null",
                           f"No pooled estimate, so important effects cannot be ruled out; {n} participants meet "
                           f"the optimal information size ({ois}).", numbers)


def _narrative_publication_bias(inp: NarrativeInput, config: GradeConfig) -> DomainJudgement:
    k = inp.k if inp.k is not None else len(inp.votes)
    numbers = {"k": k, "min_k": config.pub_bias_min_k}
    why = (f"only {k} result{'s' if k != 1 else ''} (tests need at least {config.pub_bias_min_k})"
           if k < config.pub_bias_min_k else "no estimates to test for small-study effects")
    return DomainJudgement("publication_bias", "not_assessable", 0, "publication_bias_not_assessable",
                           f"Publication bias could not be assessed: {why}.", numbers)


def assess_narrative(inp: NarrativeInput, config: GradeConfig | None = None) -> CertaintyRating:
    """Rate evidence without a single estimate (Murad 2017; SWiM): risk of bias from the votes'
    judgements weighted by participants (equal weights when any is unknown), inconsistency from
    opposite directions or discordant reviews, indirectness from the pack, imprecision from the total
    sample, publication bias not assessable; then the same fold as :func:`assess` (source ceiling,
    not-assessable cap)."""
    if not isinstance(inp, NarrativeInput):
        raise SpecError(f"assess_narrative() needs a NarrativeInput, got {type(inp).__name__}")
    config = config or GradeConfig()
    known_n = all(v.n is not None for v in inp.votes)
    studies = tuple(StudyRoB(v.study or f"result {i + 1}", float(v.n or 0) if known_n else 1.0, v.rob)
                    for i, v in enumerate(inp.votes)) if any(v.rob is not None for v in inp.votes) else ()
    rob = _apply_override(rob_from_studies(studies, config), inp)
    upgrade_numbers = {"design": inp.design}
    judgements = [
        rob,
        _apply_override(_narrative_inconsistency(inp), inp),
        _apply_override(indirectness(inp, config), inp),
        _apply_override(_narrative_imprecision(inp, config), inp),
        _apply_override(_narrative_publication_bias(inp, config), inp),
        DomainJudgement("large_effect", "no", 0, "large_effect_none" if inp.design != "randomised" else
                        "large_effect_not_applicable", "No estimate: not rated up for a large effect.", upgrade_numbers),
        _apply_override(DomainJudgement("dose_response", "no", 0, "dose_response_none" if inp.design != "randomised"
                                        else "dose_response_not_applicable", "Not rated up.", upgrade_numbers), inp),
    ]
    note = Note("narrative_votes", f"Rated without a single estimate from {len(inp.votes)} result"
                                   f"{'s' if len(inp.votes) != 1 else ''}: {_vote_text(inp)}.")
    return _fold(judgements, inp, kind="narrative", basis="narrative", extra_notes=(note,))
