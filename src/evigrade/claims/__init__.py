"""The claims checker: flag what a text says beyond the evidence.

``check(text, evidence=None) -> ClaimsReport`` splits Markdown or plain text into sentences,
finds the claims (outcomes, mechanisms, safety, the treatment in general), reads what each one
asserts (certainty, size, time frame, universality, negation) and compares it with the
``Evidence`` (findings with GRADE certainty and magnitude, mechanism support, safety profile).
Each sentence gets a verdict (consistent, overstated, understated, unsupported, contradicted,
not_a_claim), the aspects overstated, the evidence used and an honest rewording.

Deterministic and offline: rules and the lexicon in ``claims/lexicon/claims.toml``.
"""
from __future__ import annotations

from .check import MAX_BYTES, ClaimsReport, ClaimVerdict, check, read_text_file
from .detect import Assertion, analyse
from .evidence import (Evidence, EvidenceFinding, EvidenceMechanism, EvidenceSafety, default_evidence,
                       evidence_from_pack, evidence_from_summary, load_evidence, reference_evidence)
from .judge import ASPECTS, UNRATED_CEILING, VERDICTS, judge, statement_for
from .terms import load_lexicon
from .text import Sentence, split_sentences

__all__ = [
    "check", "ClaimsReport", "ClaimVerdict", "read_text_file", "MAX_BYTES",
    "Evidence", "EvidenceFinding", "EvidenceMechanism", "EvidenceSafety",
    "evidence_from_summary", "evidence_from_pack", "default_evidence", "reference_evidence", "load_evidence",
    "analyse", "Assertion", "judge", "statement_for", "load_lexicon", "split_sentences", "Sentence",
    "VERDICTS", "ASPECTS", "UNRATED_CEILING",
]
