"""Plain language: GRADE informative statements from certainty x magnitude x direction.

``statement(rating, magnitude, direction, outcome_name, timeframe, intervention, comparison) -> str``
(Santesso et al. 2020).  The claims checker lives in :mod:`evigrade.claims`.
"""
from __future__ import annotations

from .statements import CERTAINTIES, KINDS, SIZES, narrative_statement, size_claim_of, statement, statement_with_size, timeframe_phrase

__all__ = ["statement", "statement_with_size", "narrative_statement", "size_claim_of", "timeframe_phrase", "CERTAINTIES", "SIZES", "KINDS"]
