"""Evidence packs: the pack format, the loader and the validator (and the frozen Summary types the
pipeline builds from a pack).  ``evigrade.pipeline`` owns the chain pack -> findings -> graded summary."""
from __future__ import annotations

from .loader import bundled_pack_path, load_pack, validate_pack
from .schema import Pack
from .summary import (
    Finding,
    MechanismClaim,
    NotPoolable,
    ReviewEstimate,
    SafetyPool,
    SafetySummary,
    Summary,
    TrialEstimate,
)

__all__ = [
    "load_pack",
    "validate_pack",
    "bundled_pack_path",
    "summarize",
    "Pack",
    "Summary",
    "Finding",
    "ReviewEstimate",
    "TrialEstimate",
    "NotPoolable",
    "SafetyPool",
    "SafetySummary",
    "MechanismClaim",
]


def summarize(
    pack: Pack | str | None = None,
    *,
    method: str = "REML",
    test: str = "knha",
    level: float = 95,
    safety_measure: str = "PLO",
) -> Summary:
    """Kept for callers of the old API: ``evigrade.pipeline.build_findings(load_pack(pack), FindingsSpec.make(...))``
    (ungraded; ``evigrade.pipeline.run`` also rates the findings)."""
    from ..pipeline import FindingsSpec, build_findings  # lazy: the pipeline sits above packs and pulls in stats

    p = pack if isinstance(pack, Pack) else load_pack(pack)
    return build_findings(p, FindingsSpec.make(method=method, test=test, level=level, safety_measure=safety_measure))
