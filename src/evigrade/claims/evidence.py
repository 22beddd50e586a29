"""The evidence a text is checked against, independent of how it was produced.

``Evidence`` is a frozen bundle of findings (one per outcome x time point x comparison with its
certainty, magnitude and direction), mechanisms (with a support label) and a safety profile.

* ``evidence_from_summary(summary, pack=None)`` reads a ``GradedSummary`` from ``evigrade.pipeline``
  (or an ungraded ``Summary``, or either's saved ``to_dict()``): GRADE certainty / magnitude /
  statements when they are there, and the pack's outcome names and synonyms.
* ``default_evidence()`` builds it from the bundled pack; when the pack chain cannot run it
  falls back to ``lexicon/reference_evidence.json``, a hand-curated Evidence taken from the
  shared evidence of the bundled pack (every finding names its source row), and records a Note.
* ``Evidence.from_dict`` / ``load_evidence(path)`` read a stored Evidence (used for fixtures).

Where a summary finding has no GRADE certainty yet, the finding is "not rated" (certainty None);
the checker then lets it support at most "low" certainty wording (``UNRATED_CEILING``) and says so.
Where a finding has no magnitude, it is derived only for SMD (Cohen's 0.2 / 0.5 / 0.8 bands,
the default D's GradeConfig uses when no MID is given); otherwise it stays unknown and cannot
support an explicit size claim.
"""
from __future__ import annotations

import json
import pathlib
import re
from dataclasses import dataclass
from typing import Any, Mapping

from .._format import fmt_pct
from ..effects.measures import is_ratio
from ..errors import EvigradeError, InputError
from ..packs.schema import Topic
from ..packs.summary import Finding, MechanismClaim, SafetySummary, Summary
from ..results import EstimateCI, Note, jsonable
from .._access import finite_float as _num, first as _get, get as _acc

__all__ = [
    "CERTAINTY_LEVELS",
    "MAGNITUDES",
    "SUPPORT_LABELS",
    "TIME_BUCKETS",
    "EvidenceFinding",
    "EvidenceMechanism",
    "EvidenceSafety",
    "Evidence",
    "evidence_from_summary",
    "evidence_from_summary_dict",
    "EvidenceHeadline",
    "topic_names",
    "default_evidence",
    "reference_evidence",
    "load_evidence",
    "normalise_certainty",
    "normalise_bucket",
]

CERTAINTY_LEVELS = ("very_low", "low", "moderate", "high")  # index = rank
MAGNITUDES = ("trivial", "small", "moderate", "large")  # index = rank
SUPPORT_LABELS = ("proposed", "partially supported", "established")
TIME_BUCKETS = ("immediate", "short_term", "mid_term", "long_term")  # index = rank

_LEXICON_DIR = pathlib.Path(__file__).resolve().parent / "lexicon"
REFERENCE_EVIDENCE_PATH = _LEXICON_DIR / "reference_evidence.json"


def _t(x: Any) -> tuple[Any, ...]:
    """A string -> (string,); a list or tuple -> tuple; anything else (None, numbers, dicts) -> ()."""
    if isinstance(x, str):
        return (x,) if x else ()
    if isinstance(x, (list, tuple)):
        return tuple(x)
    return ()


def _strs(x: Any) -> tuple[str, ...]:
    """Like ``_t`` but keeps only the non-empty strings (synonyms must be text)."""
    return tuple(v for v in _t(x) if isinstance(v, str) and v)


def _seq(x: Any) -> tuple[Any, ...]:
    """A list or tuple -> tuple; anything else -> () (summary data read defensively)."""
    return tuple(x) if isinstance(x, (list, tuple)) else ()


@dataclass(frozen=True, slots=True)
class EvidenceFinding(EstimateCI):
    """One finding: outcome x time point(s) x comparison, with what GRADE says about it and its effect
    (``measure``, ``estimate``, ``ci_low``, ``ci_high`` from :class:`~evigrade.results.EstimateCI`, by keyword).

    ``timepoints`` holds bucket ids from ``TIME_BUCKETS`` (empty = time point not stated).
    ``certainty`` is one of ``CERTAINTY_LEVELS`` or None (not rated); ``magnitude`` one of
    ``MAGNITUDES`` or None (not judged); ``direction`` "benefit", "harm" or "none" (or None).
    ``benefit`` says whether lower or higher values are better.
    """

    outcome: str
    outcome_name: str
    synonyms: tuple[str, ...] = ()
    family: str = ""
    timepoints: tuple[str, ...] = ()
    comparison: str = ""
    certainty: str | None = None
    magnitude: str | None = None
    direction: str | None = None
    benefit: str = "lower"
    statement: str | None = None
    source: str = ""
    basis: str = ""
    population: str = ""
    comparison_id: str = ""
    evidence_form: str = ""
    certainty_note: str = ""
    population_id: str = ""

    def to_dict(self) -> dict[str, Any]:
        return jsonable({
            "population": self.population, "comparison_id": self.comparison_id, "population_id": self.population_id,
            "evidence_form": self.evidence_form, "certainty_note": self.certainty_note,
            "outcome": self.outcome, "outcome_name": self.outcome_name, "synonyms": list(self.synonyms),
            "family": self.family, "timepoints": list(self.timepoints), "comparison": self.comparison,
            "certainty": self.certainty, "magnitude": self.magnitude, "direction": self.direction,
            "benefit": self.benefit, "measure": self.measure, "estimate": self.estimate,
            "ci_low": self.ci_low, "ci_high": self.ci_high, "statement": self.statement,
            "source": self.source, "basis": self.basis,
        })


@dataclass(frozen=True, slots=True)
class EvidenceMechanism:
    """A proposed mechanism with its support label (proposed / partially supported / established)."""

    name: str
    support_label: str
    synonyms: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "support_label": self.support_label, "synonyms": list(self.synonyms),
                "sources": list(self.sources)}


@dataclass(frozen=True, slots=True)
class EvidenceSafety:
    """The safety profile: an overall rating, the common mild events and the rare serious ones."""

    rating: str
    common_mild_events: tuple[str, ...] = ()
    serious_rare_events: tuple[str, ...] = ()
    mild_rate: float | None = None
    serious_rate: float | None = None
    summary: str = ""
    sources: tuple[str, ...] = ()
    #: the range of the mild-event rate across sources when they are too few to pool (< 3)
    mild_rate_low: float | None = None
    mild_rate_high: float | None = None
    #: per event type: (event, severity, rate_low, rate_high, frequency) with rates as proportions
    event_rates: tuple[tuple[str, str, float | None, float | None, str], ...] = ()

    def mild_rate_text(self) -> str:
        """'about 25% of treatments' or '19% to 37% of treatments', or '' when no rate is known."""
        if self.mild_rate is not None:
            return f"about {fmt_pct(self.mild_rate, 0)} of treatments"
        if self.mild_rate_low is not None and self.mild_rate_high is not None:
            return f"{fmt_pct(self.mild_rate_low, 0)} to {fmt_pct(self.mild_rate_high, 0)} of treatments across sources"
        return ""

    def to_dict(self) -> dict[str, Any]:
        return jsonable({
            "rating": self.rating, "common_mild_events": list(self.common_mild_events),
            "serious_rare_events": list(self.serious_rare_events), "mild_rate": self.mild_rate,
            "serious_rate": self.serious_rate, "summary": self.summary, "sources": list(self.sources),
            "mild_rate_low": self.mild_rate_low, "mild_rate_high": self.mild_rate_high,
            "event_rates": [{"event": e, "severity": sev, "rate_low": lo, "rate_high": hi, "frequency": fr}
                            for e, sev, lo, hi, fr in self.event_rates],
        })


@dataclass(frozen=True, slots=True)
class EvidenceHeadline:
    """A question's headline judgement: the key message GRADE gives an outcome family (the most reliable
    body of evidence, whatever its direction), with the finding it rests on."""

    family: str
    text: str
    certainty: str | None = None
    outcome: str = ""
    timepoint: str = ""
    comparison: str = ""
    population: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"family": self.family, "text": self.text, "certainty": self.certainty, "outcome": self.outcome,
                "timepoint": self.timepoint, "comparison": self.comparison, "population": self.population}

    def rests_on(self, f: "EvidenceFinding") -> bool:
        """True when ``f`` is the finding this headline rests on."""
        return (f.outcome == self.outcome and (not self.comparison or f.comparison_id == self.comparison)
                and (not self.timepoint or tuple(normalise_bucket(self.timepoint)) == f.timepoints)
                and (not self.population or not f.population_id or f.population_id == self.population))


@dataclass(frozen=True, slots=True)
class Evidence:
    """Everything the claims checker compares a text with."""

    intervention: str
    findings: tuple[EvidenceFinding, ...]
    mechanisms: tuple[EvidenceMechanism, ...] = ()
    safety: EvidenceSafety | None = None
    origin: str = ""
    notes: tuple[Note, ...] = ()
    #: the summary's key message on mechanisms (e.g. "how the intervention works is unproven: none of
    #: the 12 proposed mechanisms is established ..."), used in rewordings
    mechanisms_summary: str = ""
    #: the names texts use for the intervention (the pack's ``topic.synonyms``; always includes ``intervention``)
    synonyms: tuple[str, ...] = ()
    #: the headline judgement per outcome family (GradedSummary.key_messages of kind "effect")
    headlines: tuple[EvidenceHeadline, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        """The intervention's name and its synonyms, without repeats."""
        return tuple(dict.fromkeys(x for x in (self.intervention, *self.synonyms) if x))

    def to_dict(self) -> dict[str, Any]:
        return {
            "intervention": self.intervention,
            "synonyms": list(self.synonyms),
            "origin": self.origin,
            "mechanisms_summary": self.mechanisms_summary,
            "findings": [f.to_dict() for f in self.findings],
            "mechanisms": [m.to_dict() for m in self.mechanisms],
            "safety": None if self.safety is None else self.safety.to_dict(),
            "notes": [n.to_dict() for n in self.notes],
            "headlines": [h.to_dict() for h in self.headlines],
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Evidence":
        findings = []
        for f in d.get("findings", ()):
            findings.append(EvidenceFinding(
                outcome=str(f["outcome"]), outcome_name=str(f.get("outcome_name") or f["outcome"]),
                synonyms=_t(f.get("synonyms")), family=str(f.get("family") or ""),
                timepoints=tuple(dict.fromkeys(b for x in _t(f.get("timepoints")) for b in normalise_bucket(x))),
                comparison=str(f.get("comparison") or ""),
                certainty=normalise_certainty(f.get("certainty")), magnitude=_norm_magnitude(f.get("magnitude")),
                direction=_norm_direction(f.get("direction")), benefit=str(f.get("benefit") or "lower"),
                measure=f.get("measure"), estimate=_num(f.get("estimate")), ci_low=_num(f.get("ci_low")),
                ci_high=_num(f.get("ci_high")), statement=f.get("statement"), source=str(f.get("source") or ""),
                basis=str(f.get("basis") or ""), population=str(f.get("population") or ""),
                comparison_id=str(f.get("comparison_id") or ""),
                evidence_form=str(f.get("evidence_form") or ""), certainty_note=str(f.get("certainty_note") or ""),
                population_id=str(f.get("population_id") or ""),
            ))
        mechs = [EvidenceMechanism(name=str(m["name"]), support_label=_norm_support(m.get("support_label")),
                                   synonyms=_t(m.get("synonyms")), sources=_t(m.get("sources")))
                 for m in d.get("mechanisms", ())]
        s = d.get("safety")
        safety = None
        if s:
            safety = EvidenceSafety(rating=str(s.get("rating") or ""), common_mild_events=_t(s.get("common_mild_events")),
                                    serious_rare_events=_t(s.get("serious_rare_events")),
                                    mild_rate=_num(s.get("mild_rate")), serious_rate=_num(s.get("serious_rate")),
                                    summary=str(s.get("summary") or ""), sources=_t(s.get("sources")),
                                    mild_rate_low=_num(s.get("mild_rate_low")), mild_rate_high=_num(s.get("mild_rate_high")),
                                    event_rates=tuple((str(r.get("event") or ""), str(r.get("severity") or ""),
                                                       _num(r.get("rate_low")), _num(r.get("rate_high")),
                                                       str(r.get("frequency") or ""))
                                                      for r in _seq(s.get("event_rates")) if isinstance(r, Mapping)))
        notes = tuple(Note(n["code"], n["message"], n.get("study")) for n in d.get("notes", ()))
        return cls(intervention=str(d.get("intervention") or "the intervention"), findings=tuple(findings),
                   mechanisms=tuple(mechs), safety=safety, origin=str(d.get("origin") or ""), notes=notes,
                   mechanisms_summary=str(d.get("mechanisms_summary") or ""), synonyms=_strs(d.get("synonyms")),
                   headlines=tuple(_headline_from_dict(h) for h in _seq(d.get("headlines")) if isinstance(h, Mapping)))


# --------------------------------------------------------------------------------------------
# normalisation helpers


def normalise_certainty(x: Any) -> str | None:
    """'High', 'moderate', 'low', 'very low', 'very_low', ⊕ symbols, CertaintyRating-like -> level or None."""
    if x is None:
        return None
    if isinstance(x, Mapping):
        for key in ("final", "final_level", "level", "certainty"):
            if key in x:
                return normalise_certainty(x[key])
        return None
    for attr in ("final", "final_level", "level"):
        if hasattr(x, attr) and not isinstance(x, str):
            return normalise_certainty(getattr(x, attr))
    s = str(x).strip().lower().replace("-", " ").replace("_", " ")
    if not s:
        return None
    if s.startswith("very low"):
        return "very_low"
    # "low to moderate" and the like: the lower end is what the evidence supports throughout
    for level in ("low", "moderate", "high"):
        if s.startswith(level):
            return level
    if "very low" in s:
        return "very_low"
    for level in ("low", "moderate", "high"):
        if re.search(rf"\b{level}\b", s):
            return level
    return None


def _norm_magnitude(x: Any) -> str | None:
    if isinstance(x, Mapping):
        x = x.get("size") or x.get("magnitude")
    if x is None:
        return None
    s = str(x).strip().lower()
    if s in ("none", "no effect", "negligible"):
        return "trivial"
    if s == "medium":
        return "moderate"
    return s if s in MAGNITUDES else None


def _norm_direction(x: Any) -> str | None:
    if isinstance(x, Mapping):
        x = x.get("direction")
    if x is None:
        return None
    s = str(x).strip().lower().replace("_", " ")
    if s in ("benefit", "harm", "none"):
        return s
    if s in ("favours intervention", "favors intervention", "beneficial", "improvement"):
        return "benefit"
    if s in ("no difference", "no effect", "null", "neutral", "little or no difference", "uncertain"):
        return "none"
    if s.startswith("favours") or s.startswith("favors") or s in ("harmful", "worse"):
        return "harm"
    return None  # "unclear", "mixed": no direction


def _norm_support(x: Any) -> str:
    s = str(x or "").strip().lower().replace("_", " ")
    if s in SUPPORT_LABELS:
        return s
    if "established" in s:
        return "established"
    if "partial" in s:
        return "partially supported"
    return "proposed"


def normalise_bucket(x: Any) -> tuple[str, ...]:
    """A pack bucket id or label ('short_term', 'short term', 'immediate + short term', 'a+b') -> bucket ids."""
    if x is None:
        return ()
    s = str(x).strip().lower()
    if not s or s in ("unspecified", "nan", "none", "not stated"):
        return ()
    out: list[str] = []
    for part in re.split(r"\s*\+\s*|\s*,\s*|\s+and\s+", s):
        p = part.replace("-", " ").replace("_", " ").strip()
        if p.startswith("immediate"):
            out.append("immediate")
        elif p.startswith("short"):
            out.append("short_term")
        elif p.startswith(("mid", "medium", "intermediate")):
            out.append("mid_term")
        elif p.startswith("long"):
            out.append("long_term")
    return tuple(dict.fromkeys(out))


def derive_magnitude(measure: str | None, estimate: float | None) -> str | None:
    """Cohen's bands for SMD (0.2 / 0.5 / 0.8); None for other measures (needs a MID)."""
    if estimate is None or not measure or str(measure).upper() not in ("SMD", "ES", "D", "G"):
        return None
    a = abs(estimate)
    if a < 0.2:
        return "trivial"
    if a < 0.5:
        return "small"
    if a < 0.8:
        return "moderate"
    return "large"


def derive_direction(measure: str | None, ci_low: float | None, ci_high: float | None, benefit: str) -> str | None:
    """'benefit'/'harm' when the CI excludes the null on that side, 'none' when it includes it."""
    if ci_low is None or ci_high is None:
        return None
    null = 1.0 if is_ratio(measure) else 0.0
    if ci_low <= null <= ci_high:
        return "none"
    lower_side = ci_high < null
    good = lower_side if benefit == "lower" else not lower_side
    return "benefit" if good else "harm"


# --------------------------------------------------------------------------------------------
# from C's Summary.to_dict()


def _mapping(x: Any) -> Mapping[str, Any]:
    """``x`` when it is a mapping, else an empty one (a field of an unexpected shape reads as absent)."""
    return x if isinstance(x, Mapping) else {}


def _text(x: Any) -> str:
    """``x`` when it is a string, else ''."""
    return x if isinstance(x, str) else ""


def _pack_outcomes(pack: Any) -> dict[str, dict[str, Any]]:
    """Outcome id -> {name, synonyms, family, benefit} from a Pack object or a dict."""
    out: dict[str, dict[str, Any]] = {}
    if pack is None:
        return out
    outcomes = pack.get("outcomes") if isinstance(pack, Mapping) else getattr(pack, "outcomes", None)
    if outcomes is None:
        return out
    items = outcomes.values() if isinstance(outcomes, Mapping) else outcomes
    for o in items:
        get = (lambda k, o=o: o.get(k)) if isinstance(o, Mapping) else (lambda k, o=o: getattr(o, k, None))
        oid = get("id")
        if not oid:
            continue
        syn = get("synonyms") or get("aliases") or ()
        out[str(oid)] = {
            "name": str(get("name") or oid),
            "synonyms": _strs(syn),
            "family": str(get("family") or ""),
            "benefit": str(get("benefit") or "lower"),
        }
    return out


def _sources_text(x: Any) -> str:
    if x is None:
        return ""
    if isinstance(x, str):
        return x
    if isinstance(x, Mapping):
        return "; ".join(f"{k}: {v}" for k, v in x.items() if v)
    parts = []
    for s in _seq(x):
        if isinstance(s, Mapping):
            parts.append(" ".join(str(v) for v in s.values() if v not in (None, "")))
        else:
            parts.append(str(s))
    return "; ".join(p for p in parts if p)


_NO_EFFECT_TEXT = re.compile(r"(?i)\b(no (significant )?(effect|difference|differences|change)|not significant|"
                             r"non.?significant|no between.group|did not differ)\b")


_STR = (str,)
_NUMBER = (int, float, str)  # numbers, or numeric text; booleans are refused separately
#: The types each summary-finding field may have; anything else is dropped with a Note.
_FINDING_TYPES: dict[str, tuple[type, ...]] = {
    **{k: _STR for k in ("outcome", "outcome_id", "outcome_name", "outcome_label", "family", "benefit",
                         "benefit_direction", "timepoint", "timepoint_bucket", "bucket", "comparison_label",
                         "comparison_id", "population", "population_label", "measure", "statement", "basis",
                         "evidence_form", "certainty_note", "result", "reported_as", "reported_result")},
    **{k: _NUMBER for k in ("estimate", "ci_low", "ci_high")},
    "certainty": (str, Mapping), "direction": (str, Mapping), "reported_direction": (str,),
    "magnitude": (str, Mapping), "comparison": (str, Mapping), "grade": (Mapping,),
    "sources": (str, list, tuple, Mapping), "source": (str, list, tuple, Mapping),
    "primary_source": (str, list, tuple, Mapping), "synonyms": (str, list, tuple),
    "reviews": (list, tuple), "narrative": (list, tuple), "summary": (str,),
}


def _clean_finding(f: Mapping[str, Any], i: int, notes: list[Note]) -> dict[str, Any] | None:
    """A copy of summary finding ``i`` with wrongly typed fields dropped (one Note per finding);
    None (with a Note) when the finding names no outcome."""
    out: dict[str, Any] = {}
    dropped: list[str] = []
    for k, v in f.items():
        want = _FINDING_TYPES.get(k) if isinstance(k, str) else None
        if want is None or v is None:
            if isinstance(k, str):
                out[k] = v
            continue
        if isinstance(v, bool) or not isinstance(v, want):
            dropped.append(f"{k}={v!r:.40}")
            continue
        out[k] = v
    oid = out.get("outcome") or out.get("outcome_id")
    if not isinstance(oid, str) or not oid.strip():
        notes.append(Note("claims_finding_skipped", f"Summary finding {i + 1} was skipped: it names no outcome "
                                                    f"(outcome is {f.get('outcome')!r:.40})."))
        return None
    if dropped:
        notes.append(Note("claims_field_ignored", f"Summary finding {i + 1} ({oid}): ignored field(s) of the "
                                                  f"wrong type: {', '.join(dropped)}."))
    return out


def _finding_from_dict(f: Mapping[str, Any], outcomes: Mapping[str, Mapping[str, Any]]) -> EvidenceFinding:
    oid = str(_get(f, "outcome", "outcome_id", default=""))
    info = outcomes.get(oid, {})
    name = str(_get(f, "outcome_name", "outcome_label", default=info.get("name") or oid.replace("_", " ")))
    synonyms = tuple(dict.fromkeys(_strs(info.get("synonyms")) + _strs(f.get("synonyms"))))
    benefit = str(_get(f, "benefit", "benefit_direction", default=info.get("benefit") or "lower"))
    measure = _get(f, "measure")
    measure = measure if isinstance(measure, str) and measure else None
    est = _num(_get(f, "estimate"))
    lo, hi = _num(_get(f, "ci_low")), _num(_get(f, "ci_high"))
    grade = _mapping(f.get("grade"))
    gmag = _mapping(grade.get("magnitude"))
    certainty = normalise_certainty(_get(f, "certainty", default=None) or grade.get("certainty")
                                    or grade.get("final"))
    magnitude = _norm_magnitude(_get(f, "magnitude", default=None) or gmag or grade.get("magnitude")) \
        or derive_magnitude(measure, est)
    # "shows benefit" means the CI excludes no effect: the CI decides whenever there is one
    # a narrative finding (no numeric estimate) carries the direction its sources reported
    direction = derive_direction(measure, lo, hi, benefit) \
        or _norm_direction(_get(f, "direction", "reported_direction", default=None) or gmag.get("direction"))
    if direction is None and not f.get("reported_direction"):
        # an older summary without reported_direction: read "no effect" from the reported text; when
        # the summary says the reports are "mixed" or "unclear", that judgement stands
        texts = [str(f.get(k) or "") for k in ("result", "reported_as", "reported_result", "summary")]
        for r in _seq(f.get("reviews")):
            if isinstance(r, Mapping):
                texts.append(str(r.get("result_as_reported") or ""))
                texts.append(str(r.get("reported_as") or ""))
        if _NO_EFFECT_TEXT.search(" ".join(texts)):
            direction = "none"  # a reported "no effect": trivial unless GRADE judged a size
            magnitude = magnitude or "trivial"
    statement = _get(f, "statement", default=None) or grade.get("statement")
    tp = normalise_bucket(_get(f, "timepoint", "timepoint_bucket", "bucket", default=None))
    comparison = _get(f, "comparison_label", "comparison", default="")
    if isinstance(comparison, Mapping):
        comparison = comparison.get("label") or comparison.get("id") or ""
    return EvidenceFinding(
        outcome=oid, outcome_name=name, synonyms=synonyms,
        family=str(_get(f, "family", default=info.get("family") or "")), timepoints=tp,
        comparison=str(comparison), certainty=certainty, magnitude=magnitude, direction=direction,
        benefit=benefit, measure=None if measure is None else str(measure), estimate=est, ci_low=lo, ci_high=hi,
        statement=None if statement is None else str(statement),
        source=_sources_text(_get(f, "sources", "source", "primary_source", default="")),
        basis=str(_get(f, "basis", default="")),
        population=str(_get(f, "population_label", "population", default="")),
        comparison_id=_text(f.get("comparison")),
        evidence_form=str(_get(f, "evidence_form", default="")),
        certainty_note=str(_get(f, "certainty_note", default="")),
        population_id=_text(f.get("population")),
    )


def _mechanism_from_dict(m: Mapping[str, Any]) -> EvidenceMechanism:
    name = str(_get(m, "name", "mechanism", "claim", default=""))
    label = _get(m, "support_label", "label", "support", default=None)
    if label is None:  # C's summary before D's labels: map the strongest support kind
        kind = str(_get(m, "strongest_support", "support_kind", "kind", default="theory"))
        label = {"review": "partially supported", "trial": "partially supported",
                 "human_physiological": "proposed", "animal": "proposed", "theory": "proposed"}.get(kind, "proposed")
    srcs = [str(x) for x in _t(_get(m, "sources", "source", default=()))]
    for e in _seq(m.get("evidence")):
        if isinstance(e, Mapping):
            srcs.append(" ".join(str(e.get(k)) for k in ("claim_id", "citation") if e.get(k)))
    return EvidenceMechanism(name=name, support_label=_norm_support(label), synonyms=_strs(m.get("synonyms")),
                             sources=tuple(x for x in srcs if x))


def _safety_from_dict(s: Any) -> EvidenceSafety | None:
    """Our own safety dict, or C's SafetySummary.to_dict() with D's rating."""
    if not s or not isinstance(s, Mapping):
        return None
    rating_raw = _get(s, "rating", "safety_rating", "label", default="")
    summary = str(_get(s, "summary", "statement", default=""))
    mild_rate = _num(_get(s, "mild_rate", default=None))
    serious_rate = _num(_get(s, "serious_rate", default=None))
    mild_low = _num(_get(s, "mild_rate_low", default=None))
    mild_high = _num(_get(s, "mild_rate_high", default=None))
    if isinstance(rating_raw, Mapping):
        summary = summary or str(rating_raw.get("sentence") or "")
        mild_rate = mild_rate if mild_rate is not None else _num(rating_raw.get("mild_estimate"))
        serious_rate = serious_rate if serious_rate is not None else _num(rating_raw.get("serious_estimate"))
        mild_low = mild_low if mild_low is not None else _num(rating_raw.get("mild_low"))
        mild_high = mild_high if mild_high is not None else _num(rating_raw.get("mild_high"))
        rating = str(rating_raw.get("label") or "")
    else:
        rating = str(rating_raw or "")
    mild = list(_t(_get(s, "common_mild_events", "mild_events", default=())))
    serious = list(_t(_get(s, "serious_rare_events", "serious_events", default=())))
    sources: list[str] = [str(x) for x in _t(_get(s, "sources", default=()))]
    for it in _seq(s.get("items")):
        if not isinstance(it, Mapping):
            continue
        ev_name = str(it.get("event") or "")
        if ev_name and not ev_name.lower().startswith("any"):
            (serious if it.get("severity") in ("serious", "significant") else mild).append(ev_name)
        sid = " ".join(str(it.get(k)) for k in ("safety_id", "source_id") if it.get(k))
        if sid:
            sources.append(sid)
    for cr in _seq(s.get("case_reports")):
        if isinstance(cr, Mapping) and cr.get("event"):
            serious.append(str(cr["event"]))
            sources.append(" ".join(str(cr.get(k)) for k in ("safety_id", "source_id") if cr.get(k)))
    for pool in _seq(s.get("pools")):
        if isinstance(pool, Mapping) and pool.get("severity") == "mild" and pool.get("basis") == "treatments":
            # fewer than 3 sources are not pooled: the summary gives the range across sources instead
            if mild_rate is None:
                mild_rate = _num(pool.get("estimate"))
            if mild_low is None and mild_high is None:
                mild_low, mild_high = _num(pool.get("range_low")), _num(pool.get("range_high"))
    event_rates: list[tuple[str, str, float | None, float | None, str]] = []
    for et in _seq(s.get("event_types")):
        if not isinstance(et, Mapping) or not isinstance(et.get("event_type"), str) or not et.get("event_type"):
            continue
        sev = _text(et.get("severity"))
        freq = _text(et.get("frequency"))
        event_rates.append((et["event_type"], sev, _num(et.get("rate_low")), _num(et.get("rate_high")), freq))
        if sev == "mild" and freq == "common":
            mild.append(et["event_type"])
    mild = [str(e.get("event") if isinstance(e, Mapping) else e) for e in mild]
    serious = [str(e.get("event") if isinstance(e, Mapping) else e) for e in serious]
    return EvidenceSafety(rating=rating or "not rated", common_mild_events=tuple(dict.fromkeys(mild)),
                          serious_rare_events=tuple(dict.fromkeys(serious)), mild_rate=mild_rate,
                          serious_rate=serious_rate, summary=summary,
                          sources=tuple(dict.fromkeys(x for x in sources if x)),
                          mild_rate_low=mild_low, mild_rate_high=mild_high, event_rates=tuple(event_rates))


# --------------------------------------------------------------------------------------------
# the typed GradedSummary (the pipeline's own result)


def topic_names(summary: Any) -> tuple[str, tuple[str, ...]]:
    """(name, synonyms) of the intervention: INTERFACE-14's ``summary.topic`` (a ``Topic``) when the
    summary has one, else the pack question's ``intervention_short`` / ``intervention`` /
    ``intervention_synonyms`` (a saved summary dict: its ``pack.topic`` or ``pack.question``)."""
    topic = _acc(summary, "topic") or _acc(_acc(summary, "pack") or {}, "topic")
    if isinstance(topic, Mapping):
        topic = Topic.from_dict(dict(topic))
    if isinstance(topic, Topic) and (topic.full_name or topic.name != "the intervention"):
        return topic.name, topic.synonyms
    q = _acc(summary, "question") or _acc(_acc(summary, "pack") or {}, "question") or {}
    if isinstance(q, Mapping) and (q.get("intervention_short") or q.get("intervention")):
        t = Topic.from_question(dict(q))
        return t.name, t.synonyms
    name = _acc(summary, "intervention") or ""
    return str(name), ((str(name),) if name else ())


def _headline_from_dict(h: Mapping[str, Any]) -> EvidenceHeadline:
    return EvidenceHeadline(family=str(h.get("family") or ""), text=str(h.get("text") or ""),
                            certainty=normalise_certainty(h.get("certainty")), outcome=str(h.get("outcome") or ""),
                            timepoint=str(h.get("timepoint") or ""), comparison=str(h.get("comparison") or ""),
                            population=str(h.get("population") or ""))


def _headlines(key_messages: Any) -> tuple[EvidenceHeadline, ...]:
    """The headline judgement of each outcome family: the key messages of kind "effect" (typed KeyMessage
    objects, or their saved dicts), each with the finding it rests on."""
    out = []
    for k in _seq(key_messages):
        if _acc(k, "kind") != "effect":
            continue
        key = tuple(str(x) for x in (_acc(k, "finding") or ()))
        text = str(_acc(k, "headline") or _acc(k, "text") or "")
        out.append(EvidenceHeadline(
            family=str(_acc(k, "topic") or ""), text=text, certainty=normalise_certainty(_acc(k, "certainty")),
            outcome=key[0] if len(key) > 0 else "", timepoint=key[1] if len(key) > 1 else "",
            comparison=key[2] if len(key) > 2 else "", population=key[3] if len(key) > 3 else ""))
    return tuple(out)


def _direction_from_reviews(f: Finding) -> str | None:
    """'none' when a finding without a direction has a review that reported no effect (older summaries)."""
    texts = [str(r.result_as_reported or "") for r in f.reviews] + [str(r.reported_as or "") for r in f.reviews]
    return "none" if _NO_EFFECT_TEXT.search(" ".join(texts)) else None


def _finding_from_typed(f: Finding, outcomes: Mapping[str, Mapping[str, Any]]) -> EvidenceFinding:
    """One pipeline Finding (a GradedFinding when rated) as an EvidenceFinding."""
    info = outcomes.get(f.outcome, {})
    grade = getattr(f, "grade", None)
    mag = grade.magnitude if grade is not None else None
    benefit = str(f.benefit or info.get("benefit") or "lower")
    measure = f.measure if isinstance(f.measure, str) and f.measure else None
    est, lo, hi = _num(f.estimate), _num(f.ci_low), _num(f.ci_high)
    magnitude = (_norm_magnitude(mag.size) if mag is not None else None) or derive_magnitude(measure, est)
    direction = derive_direction(measure, lo, hi, benefit) or _norm_direction(
        f.reported_direction or (mag.direction if mag is not None else None))
    if direction is None and not f.reported_direction and _direction_from_reviews(f) == "none":
        direction, magnitude = "none", magnitude or "trivial"
    statement = getattr(f, "statement", None)
    return EvidenceFinding(
        outcome=f.outcome, outcome_name=str(f.outcome_name or info.get("name") or f.outcome.replace("_", " ")),
        synonyms=_strs(info.get("synonyms")), family=str(f.family or info.get("family") or ""),
        timepoints=normalise_bucket(f.timepoint), comparison=str(f.comparison_label or f.comparison or ""),
        certainty=normalise_certainty(getattr(f, "certainty", None)), magnitude=magnitude, direction=direction,
        benefit=benefit, measure=measure, estimate=est, ci_low=lo, ci_high=hi,
        statement=None if statement is None else str(statement), source=_sources_text(f.sources),
        basis=str(f.basis or ""), population=str(f.population_label or f.population or ""),
        comparison_id=str(f.comparison or ""), evidence_form=str(f.evidence_form or ""),
        certainty_note=str(f.certainty_note or ""), population_id=str(f.population or ""))


def _mechanism_from_typed(m: MechanismClaim, label: str | None) -> EvidenceMechanism:
    if label is None:  # an ungraded summary: map the strongest support kind
        label = {"review": "partially supported", "trial": "partially supported"}.get(str(m.strongest_support),
                                                                                      "proposed")
    srcs = [" ".join(str(x) for x in (e.claim_id, e.citation) if x) for e in m.evidence]
    return EvidenceMechanism(name=m.claim, support_label=_norm_support(label), sources=tuple(x for x in srcs if x))


def _safety_from_typed(s: SafetySummary, rating: Any) -> EvidenceSafety | None:
    """The safety profile from the typed SafetySummary and GRADE's SafetyRating; None when the pack has
    no safety data at all."""
    if not (s.items or s.pools or s.case_reports or s.event_types):
        return None
    mild: list[str] = list(s.common_mild_events)
    serious: list[str] = []
    sources: list[str] = []
    for it in s.items:
        if it.event and not it.event.lower().startswith("any"):
            (serious if it.severity in ("serious", "significant") else mild).append(it.event)
        sources.append(" ".join(x for x in (it.safety_id, it.source_id) if x))
    for cr in s.case_reports:
        if cr.get("event"):
            serious.append(str(cr["event"]))
            sources.append(" ".join(str(cr.get(k)) for k in ("safety_id", "source_id") if cr.get(k)))
    mild_rate = _num(rating.mild_estimate) if rating is not None else None
    mild_low = _num(rating.mild_low) if rating is not None else None
    mild_high = _num(rating.mild_high) if rating is not None else None
    for pool in s.pools:
        if pool.severity == "mild" and pool.basis == "treatments":
            if mild_rate is None:
                mild_rate = _num(pool.estimate)
            if mild_low is None and mild_high is None:
                mild_low, mild_high = _num(pool.range_low), _num(pool.range_high)
    rates = tuple((e.event_type, e.severity, _num(e.rate_low), _num(e.rate_high), e.frequency or "")
                  for e in s.event_types if e.event_type)
    return EvidenceSafety(rating=(rating.label if rating is not None else "") or "not rated",
                          common_mild_events=tuple(dict.fromkeys(mild)), serious_rare_events=tuple(dict.fromkeys(serious)),
                          mild_rate=mild_rate, serious_rate=_num(rating.serious_estimate) if rating is not None else None,
                          summary=rating.sentence if rating is not None else "",
                          sources=tuple(dict.fromkeys(x for x in sources if x)),
                          mild_rate_low=mild_low, mild_rate_high=mild_high, event_rates=rates)


def _from_typed(summary: Summary, pack: Any, intervention: str | None) -> Evidence:
    """Evidence from the pipeline's typed (Graded)Summary: attributes, not its JSON form."""
    notes: list[Note] = []
    outcomes = _pack_outcomes(pack if pack is not None else summary.pack)
    findings = tuple(_finding_from_typed(f, outcomes) for f in summary.findings)
    labels = tuple(getattr(summary, "mechanism_labels", ()) or ())
    mechanisms = tuple(_mechanism_from_typed(m, labels[i] if i < len(labels) else None)
                       for i, m in enumerate(summary.mechanisms))
    safety = _safety_from_typed(summary.safety, getattr(summary, "safety_rating", None))
    key_messages = tuple(getattr(summary, "key_messages", ()) or ())
    mech_summary = next((k.text for k in key_messages if k.kind == "mechanisms"), "")
    name, synonyms = topic_names(summary)
    if findings and all(f.certainty is None for f in findings):
        notes.append(Note("claims_unrated", "No finding in the summary carries a GRADE certainty yet; "
                                            "unrated findings support at most 'may' (low-certainty) wording."))
    origin = f"pack '{summary.pack_id}' ({summary.title})" if summary.pack_id else "summary"
    if any(f.certainty for f in findings):
        origin += " with GRADE certainty"
    return Evidence(intervention=intervention or name or "the intervention", findings=findings,
                    mechanisms=mechanisms, safety=safety, origin=origin, notes=tuple(notes),
                    mechanisms_summary=mech_summary, synonyms=synonyms, headlines=_headlines(key_messages))


#: What reading an oddly shaped summary can raise; caught per item and recorded as a Note.
_ODD = (TypeError, ValueError, AttributeError, KeyError, IndexError, OverflowError)


def evidence_from_summary(summary: Summary | Mapping[str, Any], pack: Any = None, *,
                          intervention: str | None = None) -> Evidence:
    """Build ``Evidence`` from a (graded) Summary, and the pack (for outcome names and synonyms; a
    Summary brings its own).  A saved ``to_dict()`` form (a JSON file read at the edge) is read by
    ``evidence_from_summary_dict``."""
    if isinstance(summary, Summary):  # the typed result, read through its attributes
        return _from_typed(summary, pack, intervention)
    return evidence_from_summary_dict(summary, pack, intervention=intervention)


def evidence_from_summary_dict(summary: Mapping[str, Any], pack: Any = None, *,
                               intervention: str | None = None) -> Evidence:
    """``evidence_from_summary`` for a saved summary JSON (``GradedSummary.to_dict()``), read defensively:
    every field of an unexpected shape is skipped with a Note."""
    if not isinstance(summary, Mapping):
        raise InputError("summary must be the dict from Summary.to_dict()", value=type(summary).__name__,
                         fix="pass summary.to_dict()")
    notes: list[Note] = []
    outcomes: dict[str, dict[str, Any]] = {}
    for where, src in (("the pack", pack), ("the summary", summary)):
        try:
            got = _pack_outcomes(src)
        except _ODD as exc:
            notes.append(Note("claims_outcomes_skipped", f"Outcome names and synonyms in {where} could not be read "
                                                         f"({type(exc).__name__}: {exc}); outcome names come from the findings."))
            continue
        outcomes.update({k: v for k, v in got.items() if k not in outcomes})
    findings_l: list[EvidenceFinding] = []
    raw_findings = summary.get("findings")
    if raw_findings is not None and not isinstance(raw_findings, (list, tuple)):
        notes.append(Note("claims_field_ignored", f"The summary's findings are not a list "
                                                  f"(got {type(raw_findings).__name__}); no findings were read."))
    for i, f in enumerate(_seq(raw_findings)):
        if not isinstance(f, Mapping):
            notes.append(Note("claims_finding_skipped", f"Summary finding {i + 1} was skipped: it is not a mapping "
                                                        f"(got {type(f).__name__})."))
            continue
        clean = _clean_finding(f, i, notes)
        if clean is None:
            continue
        try:
            findings_l.append(_finding_from_dict(clean, outcomes))
        except _ODD as exc:  # a nested field of an unexpected shape: skip the finding, say so
            notes.append(Note("claims_finding_skipped", f"Summary finding {i + 1} ({clean.get('outcome')}) was "
                                                        f"skipped: {type(exc).__name__}: {exc}."))
    findings = tuple(findings_l)
    mechs_raw = summary.get("mechanisms")
    if isinstance(mechs_raw, Mapping):
        mechs_raw = mechs_raw.get("claims") or mechs_raw.get("items") or list(mechs_raw.values())
    mechs_l: list[EvidenceMechanism] = []
    for i, m in enumerate(_seq(mechs_raw)):
        if not isinstance(m, Mapping):
            notes.append(Note("claims_mechanism_skipped", f"Summary mechanism {i + 1} was skipped: it is not a mapping "
                                                          f"(got {type(m).__name__})."))
            continue
        name = _get(m, "name", "mechanism", "claim", default="")
        if not isinstance(name, str) or not name.strip():
            notes.append(Note("claims_mechanism_skipped", f"Summary mechanism {i + 1} was skipped: it has no "
                                                          f"name (got {name!r:.40})."))
            continue
        try:
            mechs_l.append(_mechanism_from_dict(m))
        except _ODD as exc:
            notes.append(Note("claims_mechanism_skipped", f"Summary mechanism {i + 1} ({name}) was skipped: "
                                                          f"{type(exc).__name__}: {exc}."))
    mechanisms = tuple(mechs_l)
    safety_raw = summary.get("safety")
    try:
        safety = _safety_from_dict(safety_raw)
    except _ODD as exc:
        safety = None
        notes.append(Note("claims_safety_skipped", f"The summary's safety section could not be read "
                                                   f"({type(exc).__name__}: {exc}); safety claims are unsupported."))
    if safety is not None and not (safety.common_mild_events or safety.serious_rare_events or safety.event_rates
                                   or safety.mild_rate is not None or safety.mild_rate_low is not None):
        safety = None  # a safety section without data: the pack has no safety evidence
    t_name, synonyms = topic_names(summary)
    name = intervention or t_name or "the intervention"
    mech_summary = ""
    for km in _seq(summary.get("key_messages")):
        if isinstance(km, Mapping) and km.get("kind") == "mechanisms" and isinstance(km.get("text"), str):
            mech_summary = km["text"]
    if findings and all(f.certainty is None for f in findings):
        notes.append(Note("claims_unrated", "No finding in the summary carries a GRADE certainty yet; "
                                            "unrated findings support at most 'may' (low-certainty) wording."))
    pk = _mapping(summary.get("pack"))
    origin = f"pack '{pk.get('id')}' ({pk.get('title')})" if pk.get("id") else "summary"
    if any(f.certainty for f in findings):
        origin += " with GRADE certainty"
    return Evidence(intervention=name, findings=findings, mechanisms=mechanisms, safety=safety,
                    origin=origin, notes=tuple(notes), mechanisms_summary=mech_summary, synonyms=synonyms,
                    headlines=_headlines(summary.get("key_messages")))


# --------------------------------------------------------------------------------------------
# stored evidence


def load_evidence(path: str | pathlib.Path) -> Evidence:
    """Read a stored Evidence JSON (``Evidence.to_dict()`` format)."""
    p = pathlib.Path(path)
    try:
        from .._io import read_bytes_limited, refuse_binary  # (robust, issue 19: size limit, binary refused)

        data = json.loads(read_bytes_limited(p, name=str(p), check_start=refuse_binary(
            str(p), "an evidence JSON", "write it with json.dumps(evidence.to_dict())")).decode("utf-8"))
    except FileNotFoundError:
        raise InputError("evidence file not found", file=str(p), fix="give the path of an evidence JSON") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"not a valid evidence JSON ({exc.__class__.__name__})", file=str(p),
                         fix="write it with json.dumps(evidence.to_dict())") from None
    try:
        return Evidence.from_dict(data)
    except (KeyError, TypeError, AttributeError) as exc:
        raise InputError(f"evidence JSON is missing a field ({exc})", file=str(p),
                         fix="write it with json.dumps(evidence.to_dict())") from None


_REFERENCE: Evidence | None = None


def reference_evidence() -> Evidence:
    """The hand-curated reference Evidence shipped with the checker (see module docstring)."""
    global _REFERENCE
    if _REFERENCE is None:
        _REFERENCE = load_evidence(REFERENCE_EVIDENCE_PATH)
    return _REFERENCE


def evidence_from_pack(pack_path: str | pathlib.Path | None = None) -> Evidence:
    """Load a pack, run the pipeline (findings rated with GRADE) and build Evidence from it."""
    from ..pipeline import run  # lazy: the pipeline pulls in effects and stats

    return evidence_from_summary(run(pack_path))


def default_evidence() -> Evidence:
    """Evidence from the bundled pack; the curated reference evidence when the pack chain cannot run."""
    try:
        ev = evidence_from_pack(None)
        if ev.findings:
            return ev
        reason = "the bundled pack's summary has no findings"
    except ImportError as exc:
        reason = f"the pack chain is not available ({exc})"
    except EvigradeError as exc:
        reason = f"the bundled pack could not be summarised ({exc})"
    except Exception as exc:  # a half-built upstream module must not break the checker; recorded below
        reason = f"the bundled pack could not be summarised ({type(exc).__name__}: {exc})"
    ref = reference_evidence()
    note = Note("claims_reference_evidence", f"Checked against the curated reference evidence because {reason}.")
    return Evidence(intervention=ref.intervention, findings=ref.findings, mechanisms=ref.mechanisms,
                    safety=ref.safety, origin=ref.origin, notes=ref.notes + (note,))
