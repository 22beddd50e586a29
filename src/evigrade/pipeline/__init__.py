"""The chain from an evidence pack to graded findings, as plain functions over frozen results::

    load_pack(path) -> Pack                                  (evigrade.packs: format, loader, validator)
    build_findings(pack, spec) -> Summary                    (effects + stats per outcome x time x comparison)
    grade_summary(summary, config) -> GradedSummary          (evigrade.grade, returned as new objects)

``run(pack)`` does all three.  Reports, the claims checker, plots and the CLI take the results.

    >>> from evigrade.pipeline import run
    >>> graded = run()                       # the bundled pack, REML + HKSJ, default GradeConfig
    >>> graded.findings[0].certainty         # doctest: +SKIP
"""
from __future__ import annotations

from pathlib import Path

from ..grade import GradeConfig, Override
from ..packs import Pack, load_pack
from .findings import SAFETY_MEASURES, SAFETY_MIN_POOL_K, FindingsSpec, build_findings
from .graded import GradedFinding, GradedSummary, grade_summary

__all__ = ["run", "load_pack", "build_findings", "grade_summary", "FindingsSpec", "GradedFinding", "GradedSummary",
           "SAFETY_MEASURES", "SAFETY_MIN_POOL_K"]


def run(
    pack: Pack | str | Path | None = None,
    *,
    config: GradeConfig | None = None,
    method: str = "REML",
    test: str = "knha",
    level: float = 95,
    safety_measure: str = "PLO",
    overrides: dict[tuple[str, str, str, str], tuple[Override, ...]] | None = None,
) -> GradedSummary:
    """Load ``pack`` (a Pack, a folder, or None for the bundled pack), build its findings, rate them."""
    p = pack if isinstance(pack, Pack) else load_pack(pack)
    spec = FindingsSpec.make(method=method, test=test, level=level, safety_measure=safety_measure)
    return grade_summary(build_findings(p, spec), config, overrides=overrides)
