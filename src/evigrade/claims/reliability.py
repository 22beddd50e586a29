"""How far the checker's verdicts can be trusted: its measured precision and recall on real texts it
was never tuned on, printed with every report (the checker says no more about a text than it knows,
and no more about itself than was measured).

The figures live in ``lexicon/reliability.json``, written by ``scripts/claims_eval.py
--write-reliability`` from the held-out real texts only (tests/claims/realtext, split ``heldout``, and
tests/claims/realtext2), aggregate counts only; nothing in the checker is tuned on those texts.  The
file also holds the SHA-256 of the checker's own sources (``SOURCES``) as they were measured: a test
fails when they change without the figures being measured again.  (Changes to the evidence a pack
gives, upstream of the checker, are not caught by it.)
"""
from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass
from importlib import resources
from typing import Any

from ..results import ResultMixin, json_keys

__all__ = ["Reliability", "load_reliability", "RELIABILITY_FILE", "SOURCES", "sources_hash", "stored_sources_hash"]

#: The stored figures (in the package, beside the lexicon).
RELIABILITY_FILE = "reliability.json"
#: The checker's sources whose change calls for measuring again (paths inside ``evigrade.claims``).
SOURCES = ("check.py", "detect.py", "evidence.py", "judge.py", "learned.py", "terms.py", "text.py",
           "lexicon/claims.toml", "lexicon/learned_model.json")


@json_keys("measured", "texts", "units", "flags", "flags_right", "should_flag", "precision", "recall", "sets")
@dataclass(frozen=True, slots=True)
class Reliability(ResultMixin):
    """The checker's "flagged" verdicts (overstated, understated, unsupported, contradicted) on held-out
    real texts: ``flags_right`` of its ``flags`` were right, and it flagged ``flags_right`` of the
    ``should_flag`` units the labels flag."""

    measured: str
    texts: int
    units: int
    flags: int
    flags_right: int
    should_flag: int
    sets: tuple[str, ...]

    @property
    def precision(self) -> float | None:
        return self.flags_right / self.flags if self.flags else None

    @property
    def recall(self) -> float | None:
        return self.flags_right / self.should_flag if self.should_flag else None

    def sentence(self) -> str:
        """One sentence for a report's header."""
        p, r = self.precision, self.recall
        if p is None or r is None:
            return "How far to trust these verdicts: not yet measured on real texts."
        return (f"How far to trust these verdicts: on {self.texts} real web texts it was not tuned on (measured "
                f"{self.measured}), {self.flags_right} of this checker's {self.flags} flags were right ({p:.0%}) "
                f"and it caught {self.flags_right} of the {self.should_flag} sentences that should be flagged "
                f"({r:.0%}); read each flag as a pointer to check, not as a finding.")


def _stored() -> dict[str, Any]:
    raw: dict[str, Any] = json.loads(
        resources.files("evigrade.claims").joinpath("lexicon", RELIABILITY_FILE).read_text(encoding="utf-8"))
    return raw


def sources_hash() -> str:
    """SHA-256 over the checker's ``SOURCES`` (name and bytes of each, line endings as stored)."""
    h = hashlib.sha256()
    root = resources.files("evigrade.claims")
    for name in SOURCES:
        h.update(name.encode() + b"\0" + root.joinpath(*name.split("/")).read_bytes().replace(b"\r\n", b"\n") + b"\0")
    return h.hexdigest()


def stored_sources_hash() -> str:
    """The ``sources_hash`` the stored figures were measured with."""
    return str(_stored().get("sources_sha256", ""))


@functools.lru_cache(maxsize=1)
def load_reliability() -> Reliability:
    """The stored figures (``lexicon/reliability.json``; read once, the result is frozen)."""
    raw = _stored()
    return Reliability(measured=str(raw["measured"]), texts=int(raw["texts"]), units=int(raw["units"]),
                       flags=int(raw["flags"]), flags_right=int(raw["flags_right"]),
                       should_flag=int(raw["should_flag"]), sets=tuple(str(s) for s in raw["sets"]))
