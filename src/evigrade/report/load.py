"""The JSON edge of the report: saved or hand-written summary parts read back into the pipeline's
typed objects, leniently (missing optional keys take their defaults, unknown keys are ignored, an
entry that is not an object is skipped).

The report reads these typed objects; a GradedSummary's own objects are used as they are, so
``report --from-json`` of a saved result and the live pipeline go through the same code.

Older hand-written summaries (the report's gold-file fixture) name some things differently from
``Summary.to_dict()``; they are translated here, once: safety ``rates`` (one stated rate per row:
``event``, ``method``, ``upper_bound``, ``source``) become :class:`SafetyPool` rows with ``label``,
``upper_bound`` and ``sources``; a safety ``statement`` is the rating's sentence; a mechanism's
``mechanism`` (or ``name``) is its ``claim`` and the ``claim`` beside it its ``proposed_effect``;
``support_label`` is the label; ``sources`` without evidence rows become evidence rows citing them.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence

from .._access import finite_float, first
from ..errors import InputError
from ..grade.families import ComparisonContrast, FamilySummary, SafetyRating
from ..grade.integrate import KeyMessage
from ..packs.schema import Topic
from ..pipeline.graded import GradedSummary
from ..packs.summary import (MechanismClaim, MechanismEvidence, SafetyEventType, SafetyItem, SafetyPool, SafetySummary,
                             Summary)
from ..results import Note

__all__ = ["SummaryParts", "load_parts", "load_key_message", "load_key_messages", "load_contrast", "load_contrasts", "load_family",
           "load_families", "load_safety_rating", "load_safety", "load_mechanisms"]


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


def _int(v: object) -> int:
    f = finite_float(v)
    return 0 if f is None else int(f)


def _counts(v: object) -> dict[str, int]:
    return ({str(k): int(f) for k, x in v.items() if (f := finite_float(x)) is not None}
            if isinstance(v, Mapping) else {})


def load_contrast(d: Mapping[str, object] | ComparisonContrast) -> ComparisonContrast:
    """One comparison contrast from its ``to_dict()`` form; a missing ``n_findings`` is 0 (not stated),
    counts that are not numbers are left out."""
    if isinstance(d, ComparisonContrast):
        return d
    rng = d.get("certainty_range")
    return ComparisonContrast(
        kind=str(first(d, "kind", default="")),
        comparisons=_strs(d.get("comparisons")),
        n_findings=_int(d.get("n_findings")),
        certainty_range=None if rng is None else str(rng),
        counts=_counts(d.get("counts")),
        sentence=str(first(d, "sentence", default="")),
    )


def load_contrasts(items: Iterable[object] | None) -> tuple[ComparisonContrast, ...]:
    """The summary's comparison contrasts.  In a summary dict ``comparisons`` may instead hold the
    pack's comparison list (id, label): then there are none (an entry without ``kind`` is no contrast)."""
    got = [x for x in items or () if isinstance(x, ComparisonContrast) or (isinstance(x, Mapping) and "kind" in x)]
    if not got:
        return ()
    return tuple(load_contrast(x) for x in items or () if isinstance(x, (Mapping, ComparisonContrast)))


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


# --------------------------------------------------------------------------------------------
# safety


def _int_or_none(v: object) -> int | None:
    f = finite_float(v)
    return None if f is None else int(f)


def _text(d: Mapping[str, Any], *keys: str) -> str:
    return str(first(d, *keys, default="") or "")


def _notes(items: object) -> tuple[Note, ...]:
    """Notes from their ``to_dict()`` form (or bare text)."""
    out = []
    for n in items if isinstance(items, Sequence) and not isinstance(items, str) else ():
        if isinstance(n, Mapping):
            out.append(Note(_text(n, "code"), str(first(n, "message", default=n)), n.get("study")))
        else:
            out.append(Note("", str(n)))
    return tuple(out)


def _maps(v: object) -> tuple[dict[str, Any], ...]:
    return tuple(dict(x) for x in v if isinstance(x, Mapping)) if isinstance(v, Sequence) and not isinstance(v, str) else ()


def load_safety_item(d: Mapping[str, Any]) -> SafetyItem:
    """One source's adverse-event figure from its ``to_dict()`` form (``id`` for ``source_id`` and
    ``total`` for ``denominator`` are read too)."""
    return SafetyItem(
        safety_id=_text(d, "safety_id"), source_id=_text(d, "source_id", "id"), design=_text(d, "design"),
        severity=_text(d, "severity"), severity_as_reported=_text(d, "severity_as_reported"), event=_text(d, "event"),
        events=_int_or_none(d.get("events")), denominator=_int_or_none(first(d, "denominator", "total")),
        denominator_basis=_text(d, "denominator_basis"), proportion=finite_float(d.get("proportion")),
        ci_low=finite_float(d.get("ci_low")), ci_high=finite_float(d.get("ci_high")),
        rule_of_three=finite_float(d.get("rule_of_three")), rate_as_reported=_text(d, "rate_as_reported"),
        region_specific=bool(d.get("region_specific")), source=_text(d, "source"), citation=_text(d, "citation"),
    )


def load_safety_pool(d: Mapping[str, Any]) -> SafetyPool:
    """A severity class from its ``to_dict()`` form, or one stated rate of an older summary's ``rates``
    (its ``event`` becomes ``label``, its ``method`` the ``measure``, its ``source`` the ``sources``).
    Counts that are not stated are 0, which the report shows as not stated."""
    srcs = first(d, "sources", "source", default=())
    return SafetyPool(
        severity=_text(d, "severity"), basis=_text(d, "denominator_basis", "basis", "per"),
        measure=_text(d, "measure", "method"), k=_int_or_none(d.get("k")) or 0,
        events=_int_or_none(first(d, "events", "count")) or 0,
        total=_int_or_none(first(d, "total", "denominator", "n")) or 0,
        estimate=finite_float(first(d, "estimate", "rate", "proportion")),
        ci_low=finite_float(d.get("ci_low")), ci_high=finite_float(d.get("ci_high")),
        pi_low=finite_float(d.get("pi_low")), pi_high=finite_float(d.get("pi_high")),
        i2=finite_float(d.get("i2")), tau2=finite_float(d.get("tau2")),
        upper_bound_exact=finite_float(d.get("upper_bound_exact")), rule_of_three=finite_float(d.get("rule_of_three")),
        items=tuple(load_safety_item(it) for it in d.get("items") or () if isinstance(it, Mapping)),
        notes=_notes(d.get("notes")), range_low=finite_float(d.get("range_low")),
        range_high=finite_float(d.get("range_high")), pooled=bool(d.get("pooled")),
        label=_text(d, "event", "label"), upper_bound=finite_float(d.get("upper_bound")),
        sources=(srcs,) if isinstance(srcs, str) else _strs(srcs),
    )


def load_event_type(d: Mapping[str, Any]) -> SafetyEventType:
    rl, rh = finite_float(d.get("rate_low")), finite_float(d.get("rate_high"))
    freq = d.get("frequency")
    return SafetyEventType(event_type=_text(d, "event_type"), severity=_text(d, "severity"), rates=_maps(d.get("rates")),
                           mentions=_maps(d.get("mentions")), rate_low=rl, rate_high=rh,
                           frequency=None if freq is None else str(freq))


def load_safety(d: object) -> tuple[SafetySummary | None, SafetyRating | None]:
    """The safety section of a saved summary and its GRADE rating; (None, None) when there is none.
    Case reports given as bare text become ``{"event": text}``."""
    if not d:
        return None, None
    if not isinstance(d, Mapping):
        raise InputError("the summary's safety section is not an object", column="safety", value=type(d).__name__,
                         fix="pass Summary.to_dict() unchanged")
    cases = first(d, "case_reports", "serious_case_reports", "serious", default=()) or ()
    k = _int_or_none(d.get("min_pool_k"))
    safety = SafetySummary(
        pools=tuple(load_safety_pool(r) for r in [*(first(d, "rates", "pooled_rates", default=()) or ()),
                                                   *(d.get("pools") or ())] if isinstance(r, Mapping)),
        items=tuple(load_safety_item(it) for it in d.get("items") or () if isinstance(it, Mapping)),
        case_reports=tuple(dict(c) if isinstance(c, Mapping) else {"event": str(c)} for c in cases),
        other=_maps(d.get("other")), notes=_notes(d.get("notes")),
        event_types=tuple(load_event_type(e) for e in d.get("event_types") or () if isinstance(e, Mapping)),
        min_pool_k=3 if k is None else k,
    )
    rating = load_safety_rating(first(d, "rating", "certainty"))
    statement = _text(d, "statement", "summary")
    if statement:  # an older summary's own sentence: the rating's sentence (a rating without a label if none)
        rating = dataclasses.replace(rating or _NO_RATING, sentence=statement)
    return safety, rating


_NO_RATING = SafetyRating(label="", serious_rare=False, consistent=False, serious_estimate=None, serious_upper=None,
                          serious_sources=0, treatments=None, mild_estimate=None, mild_low=None, mild_high=None,
                          case_reports=(), rule="", sentence="")


# --------------------------------------------------------------------------------------------
# mechanisms


def load_mechanism(d: Mapping[str, Any]) -> tuple[MechanismClaim, str]:
    """One mechanism claim and its label ("" when not rated) from its ``to_dict()`` form or an older
    summary's (``mechanism``/``name`` with ``claim`` as the proposed effect, ``support_label``,
    ``sources`` instead of evidence rows)."""
    named = d.get("mechanism") or d.get("name")
    evidence = tuple(
        MechanismEvidence(claim_id=_text(e, "claim_id"), support_kind=_text(e, "support_kind"),
                          direction=_text(e, "direction"), citation=_text(e, "citation"), finding=_text(e, "finding"),
                          caveats=_text(e, "caveats"), source=_text(e, "source"))
        for e in d.get("evidence") or () if isinstance(e, Mapping))
    if not evidence:
        srcs = first(d, "sources", "source", "citations", default=()) or ()
        evidence = tuple(
            MechanismEvidence(claim_id=_text(s, "id", "key") if isinstance(s, Mapping) else "", support_kind="",
                              direction="", citation=_text(s, "citation", "title") if isinstance(s, Mapping) else str(s),
                              finding="", caveats="", source=_text(s, "url", "source_url") if isinstance(s, Mapping) else "")
            for s in ([srcs] if isinstance(srcs, (str, Mapping)) else srcs))
    support = first(d, "strongest_support", "support", "support_kind")
    claim = MechanismClaim(
        claim=_text(d, "mechanism", "name", "claim"),
        strongest_support=None if support is None else str(support),
        strongest_any=_text(d, "strongest_any"),
        supporting=_int_or_none(d.get("supporting")), not_supporting=_int_or_none(d.get("not_supporting")),
        evidence=evidence,
        proposed_effect=_text(d, "proposed_effect", "description") or (_text(d, "claim") if named else ""),
    )
    return claim, _text(d, "label", "support_label")


def load_mechanisms(items: Iterable[object] | None) -> tuple[tuple[MechanismClaim, ...], tuple[str, ...]]:
    """The mechanism claims of a saved summary and their labels (one per claim; entries that are not
    objects are skipped)."""
    got = [load_mechanism(m) for m in items or () if isinstance(m, Mapping)]
    return tuple(c for c, _ in got), tuple(lab for _, lab in got)


# --------------------------------------------------------------------------------------------
# the typed parts the report reads


@dataclass(frozen=True)
class SummaryParts:
    """The typed parts of a summary the report reads beside its findings: a Summary's own objects
    (:meth:`of`), or a saved summary's, loaded once by :func:`load_parts`."""

    safety: SafetySummary | None
    safety_rating: SafetyRating | None
    mechanisms: tuple[MechanismClaim, ...]
    mechanism_labels: tuple[str, ...]
    families: tuple[FamilySummary, ...]
    comparisons: tuple[ComparisonContrast, ...]
    key_messages: tuple[KeyMessage, ...]
    topic: Topic

    @classmethod
    def of(cls, summary: Summary) -> SummaryParts:
        """A Summary's own objects (a GradedSummary's GRADE parts; none for an ungraded one)."""
        if isinstance(summary, GradedSummary):
            return cls(safety=summary.safety, safety_rating=summary.safety_rating, mechanisms=summary.mechanisms,
                       mechanism_labels=summary.mechanism_labels, families=summary.families,
                       comparisons=summary.comparisons, key_messages=summary.key_messages, topic=summary.topic)
        return cls(safety=summary.safety, safety_rating=None, mechanisms=summary.mechanisms, mechanism_labels=(),
                   families=(), comparisons=(), key_messages=(), topic=summary.topic)


def load_parts(d: Mapping[str, Any]) -> SummaryParts:
    """The typed parts of a saved summary (``Summary.to_dict()``, a results.json, or an older hand-written one)."""
    safety, rating = load_safety(d.get("safety"))
    mechs, labels = load_mechanisms(_list(d.get("mechanisms")))
    pack = d.get("pack")
    return SummaryParts(safety=safety, safety_rating=rating, mechanisms=mechs, mechanism_labels=labels,
                        families=load_families(_list(d.get("families"))),
                        comparisons=load_contrasts(_list(d.get("comparisons"))),
                        key_messages=load_key_messages(_list(d.get("key_messages"))),
                        topic=Topic.from_dict(pack.get("topic") if isinstance(pack, Mapping) else None))


def _list(v: object) -> Sequence[object]:
    """``v`` when it is a list (not text), else empty."""
    return v if isinstance(v, Sequence) and not isinstance(v, (str, bytes)) else ()
