"""The JSON edge of the report: saved or hand-written summary parts read back into the pipeline's
typed objects, leniently (missing optional keys take their defaults, unknown keys are ignored, an
entry that is not an object is skipped).

The report reads these typed objects; a GradedSummary's own objects are used as they are, so
``report --from-json`` of a saved result and the live pipeline go through the same code.
"""
from __future__ import annotations

from typing import Iterable, Mapping, Sequence

from .._access import finite_float, first
from ..grade.families import ComparisonContrast
from ..grade.integrate import KeyMessage

__all__ = ["load_key_message", "load_key_messages", "load_contrast", "load_contrasts"]


def load_key_message(d: Mapping[str, object] | KeyMessage) -> KeyMessage:
    """One key message from its ``to_dict()`` form (``kind`` defaults to "effect")."""
    if isinstance(d, KeyMessage):
        return d
    cert, rng, fkey = d.get("certainty"), d.get("certainty_range"), d.get("finding")
    finding = tuple(str(x) for x in fkey) if isinstance(fkey, Sequence) and not isinstance(fkey, str) else None
    text = str(first(d, "text", default=""))
    headline = str(first(d, "headline", default=""))
    return KeyMessage(
        kind=str(first(d, "kind", default="effect")),
        topic=str(first(d, "topic", default="")),
        text=text,
        certainty=None if cert is None else str(cert),
        certainty_range=None if rng is None else str(rng),
        sources=_strs(d.get("sources")),
        finding=finding,
        headline="" if headline == text else headline,  # to_dict() writes ``headline or text``
    )


def load_key_messages(items: Iterable[object] | None) -> tuple[KeyMessage, ...]:
    """Every key message of ``items`` (KeyMessage objects or their dicts; other entries are skipped)."""
    return tuple(load_key_message(x) for x in items or () if isinstance(x, (Mapping, KeyMessage)))


def _strs(v: object) -> tuple[str, ...]:
    return tuple(str(x) for x in v) if isinstance(v, Sequence) and not isinstance(v, str) else ()


def load_contrast(d: Mapping[str, object] | ComparisonContrast) -> ComparisonContrast:
    """One comparison contrast from its ``to_dict()`` form; a missing ``n_findings`` is 0 (not stated),
    counts that are not numbers are left out."""
    if isinstance(d, ComparisonContrast):
        return d
    counts = d.get("counts")
    n = finite_float(d.get("n_findings"))
    rng = d.get("certainty_range")
    return ComparisonContrast(
        kind=str(first(d, "kind", default="")),
        comparisons=_strs(d.get("comparisons")),
        n_findings=0 if n is None else int(n),
        certainty_range=None if rng is None else str(rng),
        counts={str(k): int(f) for k, v in counts.items() if (f := finite_float(v)) is not None}
        if isinstance(counts, Mapping) else {},
        sentence=str(first(d, "sentence", default="")),
    )


def load_contrasts(items: Iterable[object] | None) -> tuple[ComparisonContrast, ...]:
    """The summary's comparison contrasts.  In a summary dict ``comparisons`` may instead hold the
    pack's comparison list (id, label): then there are none (an entry without ``kind`` is no contrast)."""
    got = [x for x in items or () if isinstance(x, ComparisonContrast) or (isinstance(x, Mapping) and "kind" in x)]
    if not got:
        return ()
    return tuple(load_contrast(x) for x in items or () if isinstance(x, (Mapping, ComparisonContrast)))
