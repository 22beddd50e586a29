"""Evidence packs: the pack format, loader/validator, and ``summarize`` (pack -> Summary)."""
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


def __getattr__(name: str):  # lazy: summarize pulls in the statistics core
    if name == "summarize":
        from .analysis import summarize

        return summarize
    raise AttributeError(name)
