"""The graded stage: ``grade_summary(summary, config) -> GradedSummary``.

GRADE does not fill slots of the ungraded :class:`~evigrade.packs.Summary`; it returns new frozen
objects.  A :class:`GradedFinding` is a :class:`~evigrade.packs.Finding` plus its
:class:`~evigrade.grade.FindingGrade` (None for a finding without an estimate to rate); a
:class:`GradedSummary` is the Summary with graded findings plus what GRADE adds across findings:
family summaries, comparison contrasts, key messages, the overall conclusion, the safety rating, the
mechanism labels, the SoF table and the ``GradeConfig`` used.  ``GradedSummary.to_dict()`` is what
``evigrade summarize --json`` prints.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Mapping

from ..grade import GradeConfig, Override
from ..grade import grade_summary as _grade_report
from ..grade.families import ComparisonContrast, FamilySummary, SafetyRating, mechanism_label
from ..grade.integrate import FindingGrade, KeyMessage
from ..grade.sof import SoFTable
from ..packs.summary import Finding, Summary

__all__ = ["GradedFinding", "GradedSummary", "grade_summary"]


@dataclass(frozen=True, slots=True)
class GradedFinding(Finding):
    """A Finding with its GRADE rating (``grade`` is None when there is no estimate to rate)."""

    grade: FindingGrade | None = None

    @classmethod
    def of(cls, finding: Finding, grade: FindingGrade | None) -> GradedFinding:
        return cls(**{f.name: getattr(finding, f.name) for f in dataclasses.fields(Finding)}, grade=grade)

    @property
    def certainty(self) -> str | None:
        return self.grade.certainty if self.grade is not None else None

    @property
    def downgrades(self) -> tuple[dict[str, Any], ...] | None:
        """(domain, levels, reason_code) per downgraded domain; None when not rated."""
        return tuple(dict(d) for d in self.grade.downgrades) if self.grade is not None else None

    @property
    def statement(self) -> str | None:
        return self.grade.statement if self.grade is not None else None

    @property
    def size_claim(self) -> str | None:
        """The size word the statement uses (only where the whole CI supports it), or None."""
        return self.grade.size_claim if self.grade is not None else None

    @property
    def certainty_note(self) -> str | None:
        if self.grade is not None or self.estimate is not None:
            return None
        return "certainty not rated: no numeric estimate"

    def _grade_json(self) -> dict[str, Any]:
        if self.grade is None:
            return Finding._grade_json(self)
        return {"certainty": self.certainty, "downgrades": [dict(d) for d in self.grade.downgrades],
                "statement": self.statement, "grade": self.grade, "size_claim": self.size_claim}


@dataclass(frozen=True, slots=True)
class GradedSummary(Summary):
    """A Summary whose findings are rated, with what GRADE concludes across them."""

    findings: tuple[GradedFinding, ...]
    families: tuple[FamilySummary, ...] = ()
    comparisons: tuple[ComparisonContrast, ...] = ()
    key_messages: tuple[KeyMessage, ...] = ()
    conclusion: str = ""
    safety_rating: SafetyRating | None = None
    mechanism_labels: tuple[str, ...] = ()  # one per ``mechanisms`` entry
    sof: SoFTable | None = field(default=None, compare=False)
    config: GradeConfig = field(default_factory=GradeConfig)

    def _grade_json(self) -> dict[str, Any]:
        return {"safety_rating": self.safety_rating, "mechanism_labels": self.mechanism_labels or None,
                "families": list(self.families), "key_messages": list(self.key_messages),
                "conclusion": self.conclusion, "comparisons": list(self.comparisons)}


def grade_summary(summary: Summary, config: GradeConfig | None = None, *,
                  overrides: Mapping[Any, tuple[Override, ...]] | None = None) -> GradedSummary:
    """Rate every finding of ``summary`` (reviewer ``overrides`` by ``finding.key``) and add the
    family summaries, comparison contrasts, key messages, conclusion, safety rating, mechanism
    labels and SoF table.  ``summary`` is not changed."""
    config = config or GradeConfig()
    rep = _grade_report(summary, config, overrides=overrides)
    base = {f.name: getattr(summary, f.name) for f in dataclasses.fields(Summary) if f.name != "findings"}
    return GradedSummary(
        **base,
        findings=tuple(GradedFinding.of(f, g) for f, g in zip(summary.findings, rep.findings)),
        families=tuple(rep.families), comparisons=tuple(rep.comparisons), key_messages=tuple(rep.key_messages),
        conclusion=rep.conclusion, safety_rating=rep.safety,
        mechanism_labels=tuple(mechanism_label(m.evidence) for m in summary.mechanisms),
        sof=rep.sof, config=config,
    )
