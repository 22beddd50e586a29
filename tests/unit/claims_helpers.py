"""Helpers shared by the claims tests."""
from __future__ import annotations

from evigrade.claims import Evidence, check


def one(text: str, evidence: Evidence):
    """The one claim ``check`` finds in ``text`` (fails, listing the sentences, when it finds another number)."""
    r = check(text, evidence)
    assert len(r.claims) == 1, [c.sentence for c in r.claims]
    return r.claims[0]
