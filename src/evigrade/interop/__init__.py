"""Reading what reviewers already have: RevMan 5 review files (.rm5) and RevMan's analysis CSV export.

>>> from evigrade.interop import read_revman, write_pack
>>> review = read_revman("CD013437StatsDataOnly.rm5")      # frozen typed records, nothing written
>>> write_pack(review, "packs/cd013437")                    # pack.toml + CSVs, written atomically

``revman_pool(analysis)`` re-computes one RevMan analysis with evigrade's statistics under RevMan 5's
settings (see docs/revman.md).
"""
from __future__ import annotations

from .revman import (
    Analysis,
    Pooled,
    RevManReview,
    RevManStudy,
    RobJudgement,
    StudyEntry,
    Subgroup,
    SubgroupTest,
    import_revman,
    read_revman,
    write_pack,
)
from .revman_meta import RevManCheck, RevManPooled, check_review, revman_pool

__all__ = [
    "Analysis",
    "Pooled",
    "RevManReview",
    "RevManStudy",
    "RobJudgement",
    "StudyEntry",
    "Subgroup",
    "SubgroupTest",
    "import_revman",
    "read_revman",
    "write_pack",
    "RevManPooled",
    "RevManCheck",
    "check_review",
    "revman_pool",
]
