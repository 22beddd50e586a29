"""GRADE certainty of evidence: one pure rule per domain, a frozen config, the fold.

    >>> from evigrade.grade import GradeInput, assess
    >>> r = assess(GradeInput(estimate=-0.49, ci_low=-0.84, ci_high=-0.13, measure="MD",
    ...                       benefit="lower", k=6, mid=1.0))
    >>> r.certainty
    'moderate'

No matplotlib / jinja2 / typer / rich imports here (a test checks this).
"""
from __future__ import annotations

from .assess import DOMAIN_LABELS, assess, assess_narrative, narrative_direction
from .config import DEFAULT_MIDS, RATIO_MEASURES, DefaultMID, GradeConfig
from .families import (
    ComparisonContrast,
    FamilySummary,
    FindingSummaryItem,
    SafetyRating,
    certainty_range,
    comparison_kind,
    contrast_comparisons,
    family_summary,
    mechanism_label,
    overall_conclusion,
    safety_rating,
    support_rank,
)
from .integrate import (
    FindingGrade,
    GradeReport,
    apply,
    grade_finding,
    grade_input_from_finding,
    grade_review_row,
    grade_summary,
)
from .magnitude import Magnitude, ReExpression, magnitude, re_express
from .model import (
    CONCERNS,
    LEVELS,
    VOTE_DIRECTIONS,
    CertaintyRating,
    Disagreement,
    NarrativeInput,
    Vote,
    normalize_certainty,
    DomainJudgement,
    GradeInput,
    Override,
    StudyRoB,
    level_name,
    level_number,
)
from .reasons import DOMAINS, REASONS, describe
from .sof import AbsoluteEffect, SoFRow, SoFTable, absolute_effect, sof_row, sof_table
from .rules import (
    benefit_scale,
    dose_response,
    imprecision,
    inconsistency,
    indirectness,
    large_effect,
    optimal_information_size,
    publication_bias,
    resolve_mid,
    risk_of_bias,
)

__all__ = [
    "assess", "assess_narrative", "narrative_direction", "NarrativeInput", "Vote", "VOTE_DIRECTIONS",
    "Disagreement", "CONCERNS", "normalize_certainty", "GradeConfig", "GradeInput", "StudyRoB", "Override", "DomainJudgement", "CertaintyRating",
    "Magnitude", "ReExpression", "magnitude", "re_express", "LEVELS", "level_name", "level_number",
    "DOMAINS", "REASONS", "describe", "DOMAIN_LABELS", "DEFAULT_MIDS", "DefaultMID", "RATIO_MEASURES",
    "risk_of_bias", "inconsistency", "indirectness", "imprecision", "publication_bias", "large_effect",
    "dose_response", "resolve_mid", "benefit_scale", "optimal_information_size",
    "FamilySummary", "FindingSummaryItem", "family_summary", "certainty_range", "ComparisonContrast",
    "contrast_comparisons", "comparison_kind", "mechanism_label", "overall_conclusion", "support_rank", "SafetyRating", "safety_rating",
    "FindingGrade", "GradeReport", "apply", "grade_finding", "grade_review_row", "grade_input_from_finding", "grade_summary",
    "AbsoluteEffect", "SoFRow", "SoFTable", "absolute_effect", "sof_row", "sof_table",
]

_LAZY = {"AnalysisGrade", "grade_analysis", "grade_studies_csv", "read_rob_column", "small_study_test"}


def __getattr__(name: str) -> object:  # the CSV/MetaResult entry points pull in effects + stats: import on use
    if name in _LAZY:
        from . import analysis

        return getattr(analysis, name)
    raise AttributeError(name)
