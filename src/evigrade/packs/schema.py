"""The evidence-pack format: vocabularies, column specifications and the frozen pack objects.

A pack is a folder a reviewer edits by hand and keeps in git::

    pack.toml     title, question, outcomes (family, benefit direction, instrument, MID with source,
                  reference instrument), time-point buckets, comparison groups, populations,
                  moderators, indirectness judgements
    studies.csv   one row per trial
    results.csv   one row per study x outcome x time point x comparison (arm-level data or a
                  reported effect, or only a p-value / a qualitative statement)
    reviews.csv   pooled results reported by published systematic reviews
    safety.csv    adverse-event counts with their denominators
    claims.csv    mechanism (and other) claims with their kind of support

Conventions (documented in docs/packs.md):

* Group 1 is the intervention arm, group 2 the comparator.  A harmonised effect is
  *intervention minus comparator* (or intervention / comparator for ratios).  Numbers are stored
  in the CSVs exactly as the source printed them; the ``orientation`` column says how to harmonise:
  ``as_reported`` (already intervention minus comparator), ``reversed`` (the source reported
  comparator minus intervention, or a "reduction" where positive favours the intervention: the
  loader negates the estimate and swaps the CI limits) or ``unclear`` (kept as printed; such rows
  are never used as a primary estimate).
* Time points are bucket ids declared in pack.toml; ``unspecified`` (the source gave no time
  point) is always allowed, and ``a+b`` names a statement that spans several buckets.
* Row numbers in errors count the header as row 1, so the first data row is row 2.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from ..effects.measures import RATIO_MEASURES
from ..results import EstimateCI, Note, ResultMixin, json_keys, jsonable

__all__ = [
    "BENEFIT_DIRECTIONS",
    "DEFAULT_BUCKETS",
    "UNSPECIFIED_BUCKET",
    "DATA_TYPES",
    "EFFECT_MEASURES",
    "ORIENTATIONS",
    "COMPARISON_KINDS",
    "COMPARATOR_KINDS",
    "SEVERITIES",
    "DENOMINATOR_BASES",
    "SUPPORT_KINDS",
    "SUPPORT_RANK",
    "CLAIM_DIRECTIONS",
    "REPORTED_AS",
    "INDIRECTNESS_JUDGEMENTS",
    "ROB_LEVELS",
    "Bucket",
    "Topic",
    "guess_comparator_kind",
    "Comparison",
    "Population",
    "ReferenceInstrument",
    "Outcome",
    "Moderator",
    "Indirectness",
    "Study",
    "ResultRow",
    "ReviewRow",
    "SafetyRow",
    "ClaimRow",
    "Pack",
]

BENEFIT_DIRECTIONS = ("lower", "higher")
UNSPECIFIED_BUCKET = "unspecified"
DATA_TYPES = ("arm_level", "effect", "p_value_only", "qualitative", "within_group")
EFFECT_MEASURES = ("MD", "SMD", "OR", "RR", "RD", "ROM", "ES")  # ES = effect size of unstated type
# RATIO_MEASURES is the measures registry's set (of the pack measures: OR, RR, ROM), re-exported here.
POOL_MEASURES = ("MD", "SMD")
ORIENTATIONS = ("as_reported", "reversed", "unclear")
#: what kind of contrast a result is (results.csv / reviews.csv ``comparison_kind``; empty = comparative):
#: the intervention against a comparator without it; two forms of the intervention; the intervention in
#: every arm (the trial tests something else); comparators with and without the intervention pooled together
COMPARISON_KINDS = ("comparative", "between_forms", "intervention_in_all_arms", "partly_between_forms")
#: what a comparison group of pack.toml compares the intervention with (``[[comparisons]] kind``): placebo or
#: sham; no treatment or a waiting list; usual care; another active treatment; the intervention added to X
#: against X alone; two forms of the intervention; several of these pooled together (by a review)
COMPARATOR_KINDS = ("sham", "no_treatment", "usual_care", "active", "add_on", "between_forms", "mixed")
REPORTED_AS = ("numeric", "range", "qualitative")
SEVERITIES = ("mild", "significant", "serious", "any", "unclassified")
DENOMINATOR_BASES = ("treatments", "patients", "respondents", "studies", "none")
SUPPORT_KINDS = ("theory", "animal", "human_physiological", "trial", "review")
#: Strength of each support kind (higher = stronger); used to pick a claim's strongest support.
SUPPORT_RANK = {"theory": 0, "animal": 1, "human_physiological": 2, "trial": 3, "review": 4}
CLAIM_DIRECTIONS = ("supports", "partial", "uncertain", "does_not_support", "critical", "theory")
INDIRECTNESS_JUDGEMENTS = ("none", "serious", "very_serious")
ROB_LEVELS = ("low", "some_concerns", "high")


@dataclass(frozen=True, slots=True)
class Bucket:
    """A time-point bucket: ``upper_days`` is the inclusive upper bound (None = open)."""

    id: str
    label: str
    upper_days: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return jsonable({"id": self.id, "label": self.label, "upper_days": self.upper_days})


#: Defaults from the issue: immediate <= 1 day, short <= 12 weeks, mid <= 12 months, long > 12 months.
DEFAULT_BUCKETS = (
    Bucket("immediate", "immediately (up to 1 day)", 1.0),
    Bucket("short_term", "in the short term (up to 12 weeks)", 84.0),
    Bucket("mid_term", "in the mid term (up to 12 months)", 365.0),
    Bucket("long_term", "in the long term (over 12 months)", None),
)


def _texts(value: Any) -> tuple[str, ...]:
    """A tuple of non-empty, stripped strings from a list (or one string); duplicates dropped (case-insensitive)."""
    items = [value] if isinstance(value, str) else list(value or ())
    out: dict[str, str] = {}
    for v in items:
        t = " ".join(str(v).split())
        if t and t.casefold() not in out:
            out[t.casefold()] = t
    return tuple(out.values())


@dataclass(frozen=True, slots=True)
class Topic:
    """What the pack is about, in the pack's own words (no topic word lives in the code).

    ``name`` is the short name sentences use (pack.toml ``[question] intervention_short``, else
    ``intervention``); ``full_name`` is ``[question] intervention``; ``synonyms`` the words sources and
    real-world texts use for the intervention (``[question] intervention_synonyms``; always includes
    ``name`` and ``full_name``); ``favours_intervention`` / ``favours_comparator`` the phrases that mean
    so in the pack's sources (``[directions]``; generic phrases are understood in addition);
    ``unclear_directions`` phrases whose favoured arm cannot be told (``[directions] unclear``, e.g. one
    form of the intervention over another); ``safety_context`` the lines shown with the safety data
    (``[safety] context``).  ``Topic()`` is the topic of a pack that states nothing: "the intervention".
    """

    name: str = "the intervention"
    full_name: str = ""
    synonyms: tuple[str, ...] = ()
    favours_intervention: tuple[str, ...] = ()
    favours_comparator: tuple[str, ...] = ()
    safety_context: tuple[str, ...] = ()
    unclear_directions: tuple[str, ...] = ()

    @classmethod
    def make(cls, name: str = "", full_name: str = "", synonyms: Any = (), favours_intervention: Any = (),
             favours_comparator: Any = (), safety_context: Any = (), unclear_directions: Any = ()) -> Topic:
        """A Topic with its lists cleaned (stripped, de-duplicated) and ``synonyms`` including the names."""
        full = " ".join(str(full_name or "").split())
        short = " ".join(str(name or "").split()) or full or "the intervention"
        names = (short, full) if short != "the intervention" else (full,)
        return cls(short, full, _texts([*names, *_texts(synonyms)]), _texts(favours_intervention),
                   _texts(favours_comparator), _texts(safety_context), _texts(unclear_directions))

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "full_name": self.full_name, "synonyms": list(self.synonyms),
                "favours_intervention": list(self.favours_intervention),
                "favours_comparator": list(self.favours_comparator), "safety_context": list(self.safety_context),
                "unclear_directions": list(self.unclear_directions)}

    @classmethod
    def from_dict(cls, d: Any) -> Topic:
        """Read ``to_dict()`` back (a saved summary's ``pack.topic``); missing or malformed -> the defaults."""
        if not isinstance(d, dict):
            return cls()
        return cls.make(d.get("name") or "", d.get("full_name") or "", d.get("synonyms") or (),
                        d.get("favours_intervention") or (), d.get("favours_comparator") or (),
                        d.get("safety_context") or (), d.get("unclear_directions") or ())

    @classmethod
    def from_question(cls, question: Any) -> Topic:
        """The topic a pack question (dict) states, for summaries saved before ``pack.topic`` existed."""
        q = question if isinstance(question, dict) else {}
        return cls.make(str(q.get("intervention_short") or ""), str(q.get("intervention") or ""),
                        q.get("intervention_synonyms") or ())


def guess_comparator_kind(comparison_id: str, label: str = "") -> str:
    """The kind a comparison group's id and label suggest, for a pack that does not state ``kind`` (the
    loader then adds a Note ``pack_default_assumed``): 'add_on' (added to, plus, combined), 'sham' (sham,
    placebo, control), 'no_treatment' (no treatment, waiting list), 'between_forms' (variant, another
    form, every arm), 'mixed' (any or all comparators), else 'active'.  A keyword guess: it reads "no
    vaccination" as 'active', for instance, so a pack should state its kinds."""
    text = f"{comparison_id} {label}".lower()
    if any(w in text for w in ("add_on", "add-on", "addon", "added to", "combined", "adjunct", "plus", " + ")):
        return "add_on"
    if any(w in text for w in ("sham", "placebo", "control")):
        return "sham"
    if any(w in text for w in ("waiting", "wait list", "no treatment", "no_treatment", "no intervention")):
        return "no_treatment"
    if any(w in text for w in ("variant", "another form", "other form", "in every arm", "all_arms", "all arms")):
        return "between_forms"
    if any(w in text for w in ("any_comparator", "any comparator", "all comparators", "mixed comparator")):
        return "mixed"
    return "active"


@dataclass(frozen=True, slots=True)
class _Labelled(ResultMixin):
    """An entity pack.toml names and describes (a comparison, a population): its id, label and description."""

    id: str
    label: str
    description: str = ""


@dataclass(frozen=True, slots=True)
class Comparison(_Labelled):
    #: one of COMPARATOR_KINDS (pack.toml ``kind``; guessed from the id and label when the pack does not say)
    kind: str = "active"
    #: True when ``kind`` was guessed (an old pack without ``kind``; a Note says so)
    kind_assumed: bool = False


@dataclass(frozen=True, slots=True)
class Population(_Labelled):
    #: True when the population is broader than the pack's question (an indirectness flag for GRADE).
    broader: bool = False


@dataclass(frozen=True, slots=True)
class ReferenceInstrument(ResultMixin):
    """Instrument used to re-express an SMD in natural units (SMD x sd), with the SD's source."""

    instrument: str
    scale: str
    sd: float
    sd_source: str


@dataclass(frozen=True, slots=True)
class Outcome:
    id: str
    name: str
    family: str
    benefit: str  # "lower" | "higher"
    instrument: str = ""
    scale: str = ""
    unit: str = ""
    mid: float | None = None
    mid_unit: str = ""
    mid_source: str = ""
    reference: ReferenceInstrument | None = None
    #: measure used to pool arm-level continuous data: "MD" (same scale) or "SMD"; None = automatic.
    pool_measure: str | None = None
    description: str = ""

    def to_dict(self) -> dict[str, Any]:
        return jsonable({
            "id": self.id, "name": self.name, "family": self.family, "benefit": self.benefit,
            "instrument": self.instrument, "scale": self.scale, "unit": self.unit, "mid": self.mid,
            "mid_unit": self.mid_unit, "mid_source": self.mid_source,
            "reference": self.reference.to_dict() if self.reference else None,
            "pool_measure": self.pool_measure, "description": self.description,
        })


@dataclass(frozen=True, slots=True)
class Moderator(ResultMixin):
    id: str
    description: str
    column: str = ""  # the studies.csv column that holds it, if any


@dataclass(frozen=True, slots=True)
class Indirectness(ResultMixin):
    """An explicit indirectness judgement; ``outcome``/``comparison``/``population`` may be ``*``."""

    outcome: str
    comparison: str
    population: str
    judgement: str  # none | serious | very_serious
    reason: str

    def applies(self, outcome: str, comparison: str, population: str) -> bool:
        return all(a in ("*", b) for a, b in ((self.outcome, outcome), (self.comparison, comparison), (self.population, population)))


def _harmonise(measure: str | None, orientation: str, est: float | None, lo: float | None,
               hi: float | None) -> tuple[float | None, float | None, float | None]:
    """Turn a row reported the other way round ("reversed") into intervention minus comparator
    (ratios: their inverse), swapping the CI limits; other rows are returned as given."""
    if orientation != "reversed" or est is None:
        return est, lo, hi
    if measure in RATIO_MEASURES:
        inv = lambda v: None if v is None else 1.0 / v  # noqa: E731
        return inv(est), inv(hi), inv(lo)
    neg = lambda v: None if v is None else -v  # noqa: E731
    return neg(est), neg(hi), neg(lo)


@dataclass(frozen=True, slots=True, kw_only=True)
class _Reported(EstimateCI):
    """The columns a trial result (results.csv) and a review result (reviews.csv) share: which question the
    row answers (outcomes, time point, comparison), where it comes from, the number as the source printed it
    (measure, estimate, CI as ``EstimateCI``; p-value, orientation) and the words beside it; ``outcome`` is the first outcome
    named and ``harmonised()`` the (estimate, ci_low, ci_high) as intervention minus comparator.  Each row
    type lists its own JSON keys (``json_keys``), so they keep their order."""

    outcomes: tuple[str, ...]
    timepoint: str
    comparison: str
    source: str
    row: int
    timepoint_as_stated: str = ""
    unit: str = ""
    p_value: str = ""
    orientation: str = "as_reported"
    result_as_reported: str = ""
    notes: str = ""
    source_row: str = ""
    comparison_kind: str = "comparative"

    @property
    def outcome(self) -> str:
        return self.outcomes[0]

    def harmonised(self) -> tuple[float | None, float | None, float | None]:
        """(estimate, ci_low, ci_high) as intervention minus comparator (ratios: intervention/comparator)."""
        return _harmonise(self.measure, self.orientation, self.estimate, self.ci_low, self.ci_high)


def _num(x: float | None) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else x


@dataclass(frozen=True, slots=True)
class Study:
    study_id: str
    citation: str
    source: str
    row: int
    year: int | None = None
    country: str = ""
    population: str = ""  # population id
    population_description: str = ""
    design: str = ""
    n_randomised: int | None = None
    intervention: str = ""
    comparator: str = ""
    comparisons: tuple[str, ...] = ()
    co_interventions: str = ""
    trp_identification: str = ""
    chronicity: str = ""
    rob: dict[str, str] = field(default_factory=dict)  # RoB 2 domains d1..d5 and overall
    pedro: int | None = None
    in_pooling: bool = True  # False keeps e.g. non-randomised studies out of pooling
    notes: str = ""
    source_row: str = ""

    @property
    def rob_overall(self) -> str | None:
        return self.rob.get("overall") or None

    def to_dict(self) -> dict[str, Any]:
        return jsonable({
            "study_id": self.study_id, "citation": self.citation, "year": self.year, "country": self.country,
            "population": self.population, "design": self.design, "n_randomised": self.n_randomised,
            "comparisons": list(self.comparisons), "rob": dict(self.rob), "pedro": self.pedro,
            "in_pooling": self.in_pooling, "source": self.source, "source_row": self.source_row,
        })


@json_keys("result_id", "study_id", "outcomes", "timepoint", "comparison", "data_type", "source", "row", "instrument",
           "unit", "measure", "m1i", "sd1i", "n1i", "m2i", "sd2i", "n2i", "ai", "ci", "estimate", "ci_low", "ci_high", "se",
           "p_value", "orientation", "direction_reported", "result_as_reported", "timepoint_as_stated", "notes",
           "source_row", "comparison_kind")
@dataclass(frozen=True, slots=True, kw_only=True)
class ResultRow(_Reported, ResultMixin):
    """One trial result.  Numbers as the source printed them; ``harmonised()`` applies orientation."""

    result_id: str
    study_id: str
    data_type: str
    instrument: str = ""
    m1i: float | None = None
    sd1i: float | None = None
    n1i: int | None = None
    m2i: float | None = None
    sd2i: float | None = None
    n2i: int | None = None
    ai: int | None = None  # events, intervention arm
    ci: int | None = None  # events, comparator arm
    se: float | None = None
    direction_reported: str = ""

    def has_arm_continuous(self) -> bool:
        return all(v is not None for v in (self.m1i, self.sd1i, self.n1i, self.m2i, self.sd2i, self.n2i))

    def has_arm_binary(self) -> bool:
        return all(v is not None for v in (self.ai, self.n1i, self.ci, self.n2i))


@json_keys("review_row_id", "review_id", "citation", "outcomes", "timepoint", "comparison", "population", "reported_as",
           "source", "row", "year", "comparison_as_stated", "population_scope", "timepoint_as_stated", "k", "k_scope",
           "participants", "participants_scope", "measure", "unit", "estimate", "ci_low", "ci_high", "p_value", "i2",
           "grade", "grade_reasons", "orientation", "direction_note", "result_as_reported", "notes", "source_row",
           "comparison_kind")
@dataclass(frozen=True, slots=True, kw_only=True)
class ReviewRow(_Reported, ResultMixin):
    """One pooled result of a review, as the review reports it."""

    review_row_id: str
    review_id: str
    citation: str
    population: str
    reported_as: str
    year: int | None = None
    comparison_as_stated: str = ""
    population_scope: str = ""
    k: int | None = None
    k_scope: str = ""  # "estimate" | "review_total" | ""
    participants: int | None = None
    participants_scope: str = ""
    i2: float | None = None
    grade: str = ""
    grade_reasons: str = ""
    direction_note: str = ""


@dataclass(frozen=True, slots=True)
class SafetyRow(ResultMixin):
    safety_id: str
    source_id: str
    citation: str
    design: str
    severity: str
    event: str
    source: str
    row: int
    severity_as_reported: str = ""
    population: str = ""
    region_specific: bool = False
    aggregate: bool = False  # True: the row counts all events of its severity class
    n_practitioners: int | None = None
    n_patients: int | None = None
    n_treatments: int | None = None
    events: int | None = None
    denominator_basis: str = "none"
    rate_as_reported: str = ""
    case_report: bool = False
    time_window: str = ""
    notes: str = ""
    source_row: str = ""

    @property
    def denominator(self) -> int | None:
        return {"treatments": self.n_treatments, "patients": self.n_patients}.get(self.denominator_basis)


@dataclass(frozen=True, slots=True)
class ClaimRow(ResultMixin):
    claim_id: str
    claim: str
    support_kind: str
    direction: str
    citation: str
    source: str
    row: int
    support_as_reported: str = ""
    direction_as_reported: str = ""
    proposed_effect: str = ""
    study_model: str = ""
    finding: str = ""
    caveats: str = ""
    source_row: str = ""


@dataclass(frozen=True, slots=True)
class Pack:
    """A validated evidence pack (see the module docstring for the format)."""

    path: str
    id: str
    title: str
    question: dict[str, Any]
    outcomes: tuple[Outcome, ...]
    buckets: tuple[Bucket, ...]
    comparisons: tuple[Comparison, ...]
    populations: tuple[Population, ...]
    moderators: tuple[Moderator, ...]
    indirectness: tuple[Indirectness, ...]
    studies: tuple[Study, ...]
    results: tuple[ResultRow, ...]
    reviews: tuple[ReviewRow, ...]
    safety: tuple[SafetyRow, ...]
    claims: tuple[ClaimRow, ...]
    description: str = ""
    version: str = ""
    sign_convention: str = ""
    primary_review_rule: str = ""
    topic: Topic = field(default_factory=Topic)
    #: the pack's own adverse-event types (``[safety.event_types]``): ((keywords, type name), ...), matched
    #: in the event text (lower case) before the generic types
    event_types: tuple[tuple[tuple[str, ...], str], ...] = ()
    #: what the loader assumed for keys the pack does not state (code ``pack_default_assumed``), and tables
    #: that are absent (code ``pack_table_absent``)
    notes: tuple[Note, ...] = ()
    #: ``[columns.<table>]``: (table file, pack column, the CSV's own column name), for code that reads a
    #: table's raw columns (moderators of studies.csv) and must find the study id under its own name
    columns: tuple[tuple[str, str, str], ...] = ()
    #: ``[analysis] rho``: the assumed correlation between two results of one study (multilevel pooling,
    #: evigrade.pipeline.pooling); None = its default
    analysis_rho: float | None = None

    # ---- look-ups -------------------------------------------------------------------------
    def csv_column(self, table: str, column: str) -> str:
        """The name ``column`` of ``table`` (e.g. "studies.csv", "study_id") has in the CSV's header."""
        return next((own for t, c, own in self.columns if t == table and c == column), column)

    def outcome(self, oid: str) -> Outcome:
        return next(o for o in self.outcomes if o.id == oid)

    def comparison(self, cid: str) -> Comparison:
        return next(c for c in self.comparisons if c.id == cid)

    def population(self, pid: str) -> Population | None:
        return next((p for p in self.populations if p.id == pid), None)

    def study(self, sid: str) -> Study:
        return next(s for s in self.studies if s.study_id == sid)

    def bucket_label(self, timepoint: str) -> str:
        labels = {b.id: b.label for b in self.buckets}
        labels[UNSPECIFIED_BUCKET] = "over an unstated follow-up period"
        if "+" in timepoint:
            parts = timepoint.split("+")
            return f"in the {parts[0].replace('_', ' ')} to {parts[-1].replace('_', ' ')}"
        return labels.get(timepoint, timepoint)

    def indirectness_for(self, outcome: str, comparison: str, population: str) -> tuple[Indirectness, ...]:
        return tuple(j for j in self.indirectness if j.applies(outcome, comparison, population))

    def counts(self) -> dict[str, int]:
        return {"studies": len(self.studies), "results": len(self.results), "reviews": len(self.reviews),
                "safety": len(self.safety), "claims": len(self.claims), "outcomes": len(self.outcomes)}

    def to_dict(self) -> dict[str, Any]:
        return jsonable({
            "id": self.id, "title": self.title, "question": self.question, "topic": self.topic.to_dict(),
            "outcomes": [o.to_dict() for o in self.outcomes], "buckets": [b.to_dict() for b in self.buckets],
            "comparisons": [c.to_dict() for c in self.comparisons],
            "populations": [p.to_dict() for p in self.populations],
            "moderators": [m.to_dict() for m in self.moderators],
            "indirectness": [i.to_dict() for i in self.indirectness], "counts": self.counts(),
        })
