"""Frozen result objects of :func:`evigrade.pipeline.build_findings` (ungraded).

``Summary.to_dict()`` is what ``evigrade summarize --json --no-grade`` prints; the graded form,
``evigrade.pipeline.GradedSummary.to_dict()`` (``summarize --json``), has the same shape with the
GRADE keys filled::

    {
      "pack": {id, title, question, topic},        # topic: Topic.to_dict() (name, synonyms, phrases)
      "spec": {method, test, level, safety_measure},
      "findings": [Finding.to_dict(), ...],   # one per outcome x time point x comparison x population
      "safety": SafetySummary.to_dict(),
      "mechanisms": [MechanismClaim.to_dict(), ...],
      "families": [...],                       # GradedSummary: FamilySummary.to_dict(); [] ungraded
      "notes": [...],
      "key_messages": [...],                   # GradedSummary: KeyMessage.to_dict(); [] ungraded
      "conclusion": "...",                     # GradedSummary.conclusion ("" ungraded)
      "comparisons": [...]                     # ComparisonContrast.to_dict() per comparison kind
    }

Added keys (never renamed): each finding's ``evidence_form`` ("numeric" | "narrative" | "none"),
``narrative`` (results without numbers, with the source's words and a ``direction`` class),
``reported_direction``, ``certainty_note`` and ``effect_unit``; safety's ``event_types``,
``common_mild_events``, ``min_pool_k`` and, per pool, ``pooled``, ``range_low``, ``range_high``
(pools from fewer than 3 sources have ``measure`` "not_pooled" and no estimate).

Every Finding carries: outcome, outcome_name, family, benefit, timepoint, timepoint_label,
comparison, comparison_label, population, measure, estimate, ci_low, ci_high, k, participants,
basis ("trials" | "review"), status ("pooled" | "single_trial" | "review" | "no_estimate"),
sources, and -- where basis is "trials" and k >= 2 -- the meta-analysis fields (pi_low, pi_high on the
reporting scale; se, tau2, i2, q, q_pvalue, method, test on the analysis scale, i.e. log for ratios;
meta = MetaResult.to_dict()); the trial rows used
(``trials``), the rows that could not be pooled with the reason (``not_poolable``), the reviews'
pooled results for the same question (``reviews``, one marked ``primary``; ``difference`` =
ours minus theirs when both are on the same measure), the outcome's MID and reference instrument,
indirectness judgements, per-study risk of bias, notes, and the GRADE keys certainty,
downgrades, statement, grade (None here; a ``GradedFinding`` fills them).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..results import Note, ResultMixin, jsonable
from .schema import Topic

if TYPE_CHECKING:
    from ..pipeline.pooling import MultilevelPool
    from ..pipeline.robustness import Robustness
    from ..stats.results import MetaResult
    from .schema import Pack

__all__ = [
    "TrialEstimate",
    "NotPoolable",
    "ReviewEstimate",
    "Finding",
    "SafetyPool",
    "SafetyItem",
    "SafetyEventType",
    "SafetySummary",
    "MechanismEvidence",
    "MechanismClaim",
    "Summary",
]


@dataclass(frozen=True, slots=True)
class TrialEstimate(ResultMixin):
    """One trial's harmonised effect as used (or usable) in a finding."""

    result_id: str
    study_id: str
    measure: str
    estimate: float          # intervention minus comparator (ratios: intervention / comparator)
    ci_low: float | None
    ci_high: float | None
    yi: float | None         # analysis scale (log for ratios); None when not poolable
    vi: float | None
    n: int | None            # participants in the comparison, when known
    instrument: str
    unit: str
    rob_overall: str | None
    pedro: int | None
    derived_from: str        # "arm_level" | "ci" | "se"
    orientation: str
    source: str
    weight: float | None = None  # share of the analysis weight (0..1) once pooled


@dataclass(frozen=True, slots=True)
class NotPoolable(ResultMixin):
    """A trial row for this question that could not be pooled, and why (never dropped silently)."""

    result_id: str
    study_id: str
    data_type: str
    reason: str
    result_as_reported: str
    p_value: str
    direction_reported: str
    source: str


@dataclass(frozen=True, slots=True)
class ReviewEstimate:
    """A published review's pooled result for the same question (harmonised sign)."""

    review_row_id: str
    review_id: str
    citation: str
    year: int | None
    population: str
    comparison_as_stated: str
    timepoint_as_stated: str
    reported_as: str                # numeric | range | qualitative
    measure: str | None
    estimate: float | None          # harmonised: intervention minus comparator
    ci_low: float | None
    ci_high: float | None
    estimate_as_reported: float | None
    ci_low_as_reported: float | None
    ci_high_as_reported: float | None
    orientation: str                # as_reported | reversed | unclear
    k: int | None
    k_scope: str
    participants: int | None
    participants_scope: str
    grade: str
    grade_reasons: str
    result_as_reported: str
    direction_note: str
    source: str
    source_row: str
    primary: bool = False
    difference: float | None = None  # our pooled estimate minus this one (same measure only)
    notes: tuple[Note, ...] = ()
    i2: float | None = None           # the review's own I² for this estimate (0-100), when it reports one
    comparison_kind: str = "comparative"  # reviews.csv comparison_kind (comparative | between_forms | ...)
    #: the review's own GRADE for this outcome on GRADE's scale (high/moderate/low/very_low) or None
    grade_level: str | None = None

    def to_dict(self) -> dict[str, Any]:
        d = {f: getattr(self, f) for f in self.__slots__}
        d["notes"] = [n.to_dict() for n in self.notes]
        return jsonable(d)


@dataclass(frozen=True, slots=True)
class Finding:
    """What the evidence says for one outcome x time point x comparison x population."""

    outcome: str
    outcome_name: str
    family: str
    benefit: str
    timepoint: str
    timepoint_label: str
    comparison: str
    comparison_label: str
    population: str
    population_label: str
    measure: str | None
    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    k: int | None
    participants: int | None
    basis: str                      # "trials" | "review"
    status: str                     # "pooled" | "single_trial" | "review" | "no_estimate"
    sources: tuple[str, ...]
    unit: str = ""
    pi_low: float | None = None     # prediction interval on the reporting scale (ratios exponentiated)
    pi_high: float | None = None
    mid: float | None = None
    mid_unit: str = ""
    mid_source: str = ""
    reference: dict[str, Any] | None = None
    #: the pooled trials when basis == "trials" and k >= 2: a random-effects MetaResult, or a MultilevelPool when a
    #: study gives several results for the question (``pipeline.pooling``)
    meta: MetaResult | MultilevelPool | None = None
    trials: tuple[TrialEstimate, ...] = ()
    not_poolable: tuple[NotPoolable, ...] = ()
    reviews: tuple[ReviewEstimate, ...] = ()
    primary_review: str | None = None
    comparison_with_reviews: str = ""
    indirectness: tuple[dict[str, Any], ...] = ()
    population_broader: bool = False
    notes: tuple[Note, ...] = ()
    # results without numbers (review narratives, trial p-values/qualitative statements), never dropped
    narrative: tuple[dict[str, Any], ...] = ()
    reported_direction: str | None = None   # for findings without an estimate: what the narratives say
    effect_unit: str = ""                   # unit of estimate/ci (e.g. "proportion" for RD, "NPRS 0-10 points")
    # moderators, sensitivity, small-study tests when pooled from >= 3 trials
    robustness: Robustness | None = field(default=None, compare=False)
    #: what kind of contrast the question is: "comparative" (the intervention against a comparator without
    #: it) or "between_forms" (two forms of the intervention); non-comparative results are not findings
    kind: str = "comparative"
    #: the comparator pools arms with and without the intervention (comparison_kind partly_between_forms)
    comparator_includes_intervention: bool = False
    #: what the comparison group compares the intervention with (pack.toml ``[[comparisons]] kind``: sham,
    #: no_treatment, usual_care, active, add_on, between_forms, mixed); "" when not known (older saved output)
    comparator_kind: str = ""
    #: the best source of the question by the stated rule: {"rule", "review_row_id", "review_id", "why"}
    best_source: dict[str, Any] | None = None
    #: the best source's own GRADE for this outcome (high/moderate/low/very_low) or None, and how it was read
    source_certainty: str | None = None
    source_certainty_note: str = ""
    #: the best source's own I² (0-100) when it is the estimate and reports one
    source_i2: float | None = None
    #: reviews of this question disagree in direction or significance (listed side by side in ``discordance``)
    discordant: bool = False
    discordance: tuple[dict[str, Any], ...] = ()

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.outcome, self.timepoint, self.comparison, self.population)

    def to_dict(self) -> dict[str, Any]:
        m = self.meta
        md = m.to_dict() if m is not None and hasattr(m, "to_dict") else None
        g = lambda k: getattr(m, k, None) if m is not None else None  # noqa: E731
        d: dict[str, Any] = {
            "outcome": self.outcome, "outcome_name": self.outcome_name, "family": self.family,
            "benefit": self.benefit, "timepoint": self.timepoint, "timepoint_label": self.timepoint_label,
            "comparison": self.comparison, "comparison_label": self.comparison_label,
            "population": self.population, "population_label": self.population_label,
            "population_broader": self.population_broader,
            "measure": self.measure, "estimate": self.estimate, "ci_low": self.ci_low, "ci_high": self.ci_high,
            "k": self.k, "participants": self.participants, "basis": self.basis, "status": self.status,
            "sources": list(self.sources), "unit": self.unit,
            "mid": self.mid, "mid_unit": self.mid_unit, "mid_source": self.mid_source, "reference": self.reference,
            "se": g("se"), "pi_low": self.pi_low, "pi_high": self.pi_high, "tau2": g("tau2"), "i2": g("i2"),
            "q": g("q"), "q_pvalue": g("q_pvalue"), "method": g("method"), "test": g("test"),
            "meta": md,
            "trials": [t.to_dict() for t in self.trials],
            "not_poolable": [t.to_dict() for t in self.not_poolable],
            "reviews": [r.to_dict() for r in self.reviews],
            "primary_review": self.primary_review,
            "comparison_with_reviews": self.comparison_with_reviews,
            "indirectness": list(self.indirectness),
            "notes": [n.to_dict() for n in self.notes],
            **self._grade_json(),
            "evidence_form": self.evidence_form,
            "narrative": [dict(x) for x in self.narrative],
            "reported_direction": self.reported_direction,
            "certainty_note": self.certainty_note,
            "effect_unit": self.effect_unit,
            "robustness": self.robustness.to_dict() if self.robustness is not None else None,
            "subgroups": self.robustness.subgroup_rows() if self.robustness is not None else [],
            "kind": self.kind,
            "comparator_includes_intervention": self.comparator_includes_intervention,
            "comparator_kind": self.comparator_kind,
            "best_source": self.best_source,
            "source_certainty": self.source_certainty,
            "source_certainty_note": self.source_certainty_note,
            "source_i2": self.source_i2,
            "discordant": self.discordant,
            "discordance": [dict(x) for x in self.discordance],
        }
        return jsonable(d)

    def _grade_json(self) -> dict[str, Any]:
        """The GRADE keys of ``to_dict()``: empty here; ``evigrade.pipeline.GradedFinding`` fills them."""
        return {"certainty": None, "downgrades": None, "statement": None, "grade": None, "size_claim": None}

    @property
    def evidence_form(self) -> str:
        """'numeric' (an estimate with CI), 'narrative' (only results without numbers) or 'none'."""
        if self.estimate is not None:
            return "numeric"
        return "narrative" if self.narrative else "none"

    @property
    def certainty_note(self) -> str | None:
        if self.estimate is None:
            return "certainty not rated: no numeric estimate"
        return None


@dataclass(frozen=True, slots=True)
class SafetyItem(ResultMixin):
    """One source's adverse-event figure (with an exact CI / upper bound where a count exists)."""

    safety_id: str
    source_id: str
    design: str
    severity: str
    severity_as_reported: str
    event: str
    events: int | None
    denominator: int | None
    denominator_basis: str
    proportion: float | None
    ci_low: float | None          # Clopper-Pearson exact 95% CI
    ci_high: float | None
    rule_of_three: float | None   # 3/n when events == 0
    rate_as_reported: str
    region_specific: bool
    source: str
    citation: str = ""


@dataclass(frozen=True, slots=True)
class SafetyPool:
    """Pooled adverse-event proportion for one severity class on one denominator basis."""

    severity: str                 # "mild" | "serious" (significant or serious) | "any"
    basis: str                    # "treatments" | "patients"
    measure: str                  # "PLO" | "PFT" | "single" (one source: exact CI only)
    k: int
    events: int
    total: int
    estimate: float | None        # proportion (back-transformed)
    ci_low: float | None
    ci_high: float | None
    pi_low: float | None
    pi_high: float | None
    i2: float | None
    tau2: float | None
    upper_bound_exact: float | None   # one-sided exact 97.5% upper bound when all counts are zero
    rule_of_three: float | None
    items: tuple[SafetyItem, ...]
    meta: Any = None
    notes: tuple[Note, ...] = ()
    range_low: float | None = None    # lowest source proportion (the headline when not pooled)
    range_high: float | None = None   # highest source proportion
    pooled: bool = False              # True only when k >= SAFETY_MIN_POOL_K sources were pooled
    # a rate stated by hand (a saved summary's ``rates``, never made by the pipeline): the event as named,
    # the stated upper bound and the source ids; written by ``to_dict`` only when given
    label: str = ""
    upper_bound: float | None = None
    sources: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        stated = {"label": self.label, "upper_bound": self.upper_bound, "sources": list(self.sources)}
        d = {f: getattr(self, f) for f in self.__slots__ if f not in ("meta", "items", "notes", *stated)}
        d["items"] = [i.to_dict() for i in self.items]
        d["meta"] = self.meta.to_dict() if self.meta is not None and hasattr(self.meta, "to_dict") else None
        d["notes"] = [n.to_dict() for n in self.notes]
        d.update({k: v for k, v in stated.items() if v})
        return jsonable(d)


@dataclass(frozen=True, slots=True)
class SafetyEventType:
    """One kind of adverse event (e.g. bruising) with its per-treatment rates as the sources state them.

    ``rates`` holds one entry per source row with a stated percentage of treatments (safety_id,
    source_id, proportion, denominator, rate_as_reported); ``mentions`` lists the other rows naming the
    event (trials, respondent surveys, case series) without a per-treatment rate.  ``frequency`` uses
    the CIOMS words on the per-treatment rates: common (>= 1/100), uncommon (1/1,000 to 1/100), rare
    (< 1/1,000); a range such as "uncommon to common" when sources disagree; None without a rate.
    """

    event_type: str
    severity: str
    rates: tuple[dict[str, Any], ...]
    mentions: tuple[dict[str, Any], ...]
    rate_low: float | None
    rate_high: float | None
    frequency: str | None

    def to_dict(self) -> dict[str, Any]:
        return jsonable({"event_type": self.event_type, "severity": self.severity, "rates": [dict(r) for r in self.rates],
                         "mentions": [dict(m) for m in self.mentions], "rate_low": self.rate_low,
                         "rate_high": self.rate_high, "frequency": self.frequency,
                         "sources": sorted({r["source_id"] for r in self.rates} | {m["source_id"] for m in self.mentions})})


@dataclass(frozen=True, slots=True)
class SafetySummary:
    pools: tuple[SafetyPool, ...]
    items: tuple[SafetyItem, ...]          # every row with a count or a stated rate
    case_reports: tuple[dict[str, Any], ...]  # serious events from case reports
    other: tuple[dict[str, Any], ...]      # qualitative / respondent-level statements
    notes: tuple[Note, ...] = ()
    event_types: tuple[SafetyEventType, ...] = ()
    min_pool_k: int = 3

    @property
    def common_mild_events(self) -> tuple[str, ...]:
        """Mild event types whose per-treatment rate is 'common' (>= 1%) in every source stating one."""
        return tuple(e.event_type for e in self.event_types if e.severity == "mild" and e.frequency == "common")

    def to_dict(self, *, rating: Any = None) -> dict[str, Any]:
        """``rating``: the GRADE safety rating (``GradedSummary.safety_rating``), None before grading."""
        return jsonable({
            "event_types": [e.to_dict() for e in self.event_types],
            "common_mild_events": list(self.common_mild_events),
            "min_pool_k": self.min_pool_k,
            "pools": [p.to_dict() for p in self.pools],
            "items": [i.to_dict() for i in self.items],
            "case_reports": list(self.case_reports),
            "other": list(self.other),
            "notes": [n.to_dict() for n in self.notes],
            "rating": rating,
        })


@dataclass(frozen=True, slots=True)
class MechanismEvidence(ResultMixin):
    claim_id: str
    support_kind: str
    direction: str
    citation: str
    finding: str
    caveats: str
    source: str


@dataclass(frozen=True, slots=True)
class MechanismClaim:
    """A mechanism claim with its strongest supporting evidence kind."""

    claim: str
    strongest_support: str | None    # strongest kind among rows that support (fully or partly)
    strongest_any: str               # strongest kind among all rows, whatever their direction
    supporting: int | None           # None: not stated (a hand-written summary without evidence rows)
    not_supporting: int | None
    evidence: tuple[MechanismEvidence, ...]
    #: what the claim says the mechanism does, in words (pack claims.csv ``proposed_effect``); "" when not given
    proposed_effect: str = ""

    def to_dict(self, *, label: str | None = None) -> dict[str, Any]:
        """``label``: proposed / partially supported / established (``GradedSummary.mechanism_labels``)."""
        return jsonable({
            "claim": self.claim, "strongest_support": self.strongest_support, "strongest_any": self.strongest_any,
            "supporting": self.supporting, "not_supporting": self.not_supporting,
            "evidence": [e.to_dict() for e in self.evidence], "label": label,
            **({"proposed_effect": self.proposed_effect} if self.proposed_effect else {}),
        })


@dataclass(frozen=True, slots=True)
class Summary:
    pack_id: str
    title: str
    question: dict[str, Any]
    pack_path: str
    method: str
    test: str
    level: float
    safety_measure: str
    findings: tuple[Finding, ...]
    safety: SafetySummary
    mechanisms: tuple[MechanismClaim, ...]
    notes: tuple[Note, ...] = ()
    pack: Pack | None = field(default=None, compare=False, repr=False)  # the Pack, for downstream stages
    #: results that are not comparative effects of the intervention (within-group changes only; the
    #: intervention in every arm): listed apart, never findings
    non_comparative: tuple[dict[str, Any], ...] = ()
    #: what the pack is about, in its own words (name, synonyms, direction phrases, safety context)
    topic: Topic = field(default_factory=Topic)

    def to_dict(self) -> dict[str, Any]:
        g = self._grade_json()
        labels = g["mechanism_labels"] or (None,) * len(self.mechanisms)
        return jsonable({
            "pack": {"id": self.pack_id, "title": self.title, "question": self.question,
                     "topic": self.topic.to_dict()},
            "spec": {"method": self.method, "test": self.test, "level": self.level, "safety_measure": self.safety_measure},
            "findings": [f.to_dict() for f in self.findings],
            "safety": self.safety.to_dict(rating=g["safety_rating"]),
            "mechanisms": [m.to_dict(label=lab) for m, lab in zip(self.mechanisms, labels)],
            "families": g["families"],
            "notes": [n.to_dict() for n in self.notes],
            "key_messages": g["key_messages"],
            "conclusion": g["conclusion"],
            "comparisons": g["comparisons"],
            "non_comparative": [dict(x) for x in self.non_comparative],
        })

    def _grade_json(self) -> dict[str, Any]:
        """What GRADE adds to ``to_dict()``: nothing here; ``evigrade.pipeline.GradedSummary`` fills it."""
        return {"safety_rating": None, "mechanism_labels": None, "families": [], "key_messages": [],
                "conclusion": "", "comparisons": []}

    #: columns of ``to_frame()``: one row per finding
    FRAME_COLUMNS = ("outcome", "outcome_name", "family", "timepoint", "comparison", "population", "measure",
                     "estimate", "ci_low", "ci_high", "pi_low", "pi_high", "k", "participants", "basis", "status",
                     "primary_review", "certainty", "statement")

    def to_frame(self):
        """One row per finding (the columns in ``FRAME_COLUMNS``) as a pandas DataFrame."""
        import pandas as pd

        rows = [{c: getattr(f, c, None) for c in self.FRAME_COLUMNS} for f in self.findings]  # ungraded: no certainty
        return pd.DataFrame(rows, columns=list(self.FRAME_COLUMNS))
