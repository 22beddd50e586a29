"""The fold: start level, one judgement per domain, reviewer overrides, final certainty."""
from __future__ import annotations

from ..results import Note
from .config import GradeConfig
from .model import CertaintyRating, DomainJudgement, GradeInput, level_name
from .rules import (
    concern_for,
    dose_response,
    imprecision,
    inconsistency,
    indirectness,
    large_effect,
    publication_bias,
    risk_of_bias,
)

__all__ = ["assess", "DOMAIN_LABELS"]

DOMAIN_LABELS = {
    "risk_of_bias": "Risk of bias",
    "inconsistency": "Inconsistency",
    "indirectness": "Indirectness",
    "imprecision": "Imprecision",
    "publication_bias": "Publication bias",
    "large_effect": "Large effect",
    "dose_response": "Dose-response",
}


def _apply_override(auto: DomainJudgement, inp: GradeInput) -> DomainJudgement:
    for o in inp.overrides:
        if o.domain == auto.domain:
            if o.concern is not None:
                concern = o.concern
            elif o.levels > 0:
                concern = "upgrade"
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
    if j.source == "override" or j.concern in ("not_assessed", "not_assessable"):
        return f"{label}: not rated down. {j.rationale}"
    return None


def assess(inp: GradeInput, config: GradeConfig | None = None) -> CertaintyRating:
    """Rate the certainty of one body of evidence.

    Randomised evidence starts high (4), non-randomised low (2).  Each domain rule runs, reviewer
    overrides replace automatic judgements (their reason is printed), and the levels are summed and
    clamped to very_low..high.  When ``inp.basis == "review"`` the rating uses only the numbers the
    review reported and carries the review's own rating beside ours.
    """
    if not isinstance(inp, GradeInput):
        from ..errors import SpecError

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
    start = 4 if inp.design == "randomised" else 2
    down = sum(j.levels for j in judgements if j.levels < 0)
    up = sum(j.levels for j in judgements if j.levels > 0)
    level = max(1, min(4, start + down + up))
    notes: list[Note] = []
    if start + down + up < 1:
        notes.append(Note("certainty_floor", f"Downgrades total {-down} levels; certainty cannot fall below very low."))
    if start + down + up > 4:
        notes.append(Note("certainty_ceiling", "Upgrades would lift the rating above high; capped at high."))
    if inp.basis == "review":
        own = f" The review's own rating: {inp.review_rating}." if inp.review_rating else " The review gave no rating in the text read."
        notes.append(Note("review_basis",
                          "Rated from the review's pooled numbers only (CI vs MID, I², k, n); per-study data "
                          "were not available." + own))
    footnotes = tuple(f for f in (_footnote(j) for j in judgements) if f)
    return CertaintyRating(
        start=level_name(start),
        judgements=tuple(judgements),
        certainty=level_name(level),
        level=level,
        downgrade_levels=down,
        upgrade_levels=up,
        footnotes=footnotes,
        basis=inp.basis,
        review_rating=inp.review_rating,
        review_reasons=inp.review_reasons,
        notes=tuple(notes),
    )
