"""The JSON edge of the report: saved or hand-written summary parts read back into the pipeline's
typed objects, leniently (missing optional keys take their defaults, unknown keys are ignored, an
entry that is not an object is skipped).

The report reads these typed objects; a GradedSummary's own objects are used as they are, so
``report --from-json`` of a saved result and the live pipeline go through the same code.
"""
from __future__ import annotations

from typing import Iterable, Mapping, Sequence

from .._access import finite_float, first
from ..grade.families import ComparisonContrast, FamilySummary, SafetyRating
from ..grade.integrate import KeyMessage

__all__ = ["load_key_message", "load_key_messages", "load_contrast", "load_contrasts", "load_family",
           "load_families", "load_safety_rating"]


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


def _int(v: object) -> int:
    f = finite_float(v)
    return 0 if f is None else int(f)


def _counts(v: object) -> dict[str, int]:
    return ({str(k): int(f) for k, x in v.items() if (f := finite_float(x)) is not None}
            if isinstance(v, Mapping) else {})


def load_family(d: Mapping[str, object] | FamilySummary) -> FamilySummary:
    """One family summary from its ``to_dict()`` form (``sentence`` may be given as ``summary``; the
    family id as ``id`` or ``name``; counts that are not numbers are left out)."""
    if isinstance(d, FamilySummary):
        return d
    rng = d.get("certainty_range", d.get("range"))
    narr = d.get("narratives")
    return FamilySummary(
        family=str(first(d, "family", "id", "name", default="")),
        outcomes=_strs(d.get("outcomes")),
        n_findings=_int(d.get("n_findings")),
        n_rated=_int(d.get("n_rated")),
        certainty_range=None if rng is None else str(rng),
        consistency=str(first(d, "consistency", default="")),
        counts=_counts(d.get("counts")),
        sentence=str(first(d, "sentence", "summary", "statement", default="") or ""),
        narratives=tuple(dict(n) for n in narr if isinstance(n, Mapping)) if isinstance(narr, Sequence) else (),
        narrative_counts=_counts(d.get("narrative_counts")),
    )


def load_families(items: Iterable[object] | None) -> tuple[FamilySummary, ...]:
    """Every family summary of ``items`` (objects or their dicts; other entries are skipped)."""
    return tuple(load_family(x) for x in items or () if isinstance(x, (Mapping, FamilySummary)))


def load_safety_rating(d: object) -> SafetyRating | None:
    """The safety rating from its ``to_dict()`` form, or from a bare label ("reassuring"); None when absent.
    Numbers that are missing stay None (not stated), never zero."""
    if d is None or isinstance(d, SafetyRating):
        return d
    if isinstance(d, str):
        return SafetyRating(label=d, serious_rare=False, consistent=False, serious_estimate=None, serious_upper=None,
                            serious_sources=0, treatments=None, mild_estimate=None, mild_low=None, mild_high=None,
                            case_reports=(), rule="", sentence="") if d.strip() else None
    if not isinstance(d, Mapping):
        return None
    tr = finite_float(d.get("treatments"))
    return SafetyRating(
        label=str(first(d, "label", "rating", "level", "certainty", default="")),
        serious_rare=bool(d.get("serious_rare")), consistent=bool(d.get("consistent")),
        serious_estimate=finite_float(d.get("serious_estimate")), serious_upper=finite_float(d.get("serious_upper")),
        serious_sources=_int(d.get("serious_sources")), treatments=None if tr is None else int(tr),
        mild_estimate=finite_float(d.get("mild_estimate")), mild_low=finite_float(d.get("mild_low")),
        mild_high=finite_float(d.get("mild_high")), case_reports=_strs(d.get("case_reports")),
        rule=str(first(d, "rule", default="") or ""),
        sentence=str(first(d, "sentence", "statement", "summary", default="") or ""),
    )
