"""Summaries above the single finding: outcome families, comparison groups, mechanisms, safety.

Rules (all documented here so reports can cite them):

* **Family certainty range**: the lowest and highest certainty among a family's rated findings
  ("low to moderate"; one word when they agree).  **Consistency**: a finding "favours" the
  intervention when its magnitude is not trivial, its direction is benefit and its CI excludes no
  effect; it "shows little to no difference" when its CI excludes important effects; anything
  else is "inconclusive".  All favouring -> consistent; some favouring the intervention and some the
  comparator *against the same comparator* -> conflicting; otherwise mixed (e.g. better than sham but
  worse than injection, or better than manual therapy but worse than injection, is not a conflict).
* **Results without numbers** (review narratives, trial p-values or qualitative statements): a finding
  resting only on them is rated from its vote count (``assess_narrative``) and its verdict is the
  direction the results report (favouring the comparator -> "harms"; no significant difference or
  anything else -> "inconclusive", never "little or no difference"); family sentences also name the
  review results that reported no effect (in the source's words, never strengthened: 'not
  significant' is 'no significant effect') and count the rest by the direction the source reported.
* **Between forms** (two forms of the intervention, finding ``kind`` "between_forms"): verdict
  "between forms", never "favours"; left out of consistency and of every "X of Y favour" count, and
  grouped as "between_forms" in the comparison contrasts.  A comparator pooling arms with and without
  the intervention (``comparator_includes_intervention``) is grouped as "mixed" (:func:`item_kind`).
* **Comparison groups** come from the pack (``[[comparisons]] kind``, carried on each finding as
  ``comparator_kind``): sham and no_treatment form one group ("sham", against sham, placebo or no
  treatment), the others their own (usual_care, active, add_on, between_forms, mixed).  Only output
  without ``comparator_kind`` (saved before packs stated it) falls back to the keyword guess
  :func:`~evigrade.packs.schema.guess_comparator_kind` on the comparison id and label.
* **Mechanism label** from the kinds of support (ranked theory < animal < human physiological <
  clinical trial < systematic review):
  *established*: at least two fully supporting rows from clinical trials or reviews, at least one
  of them a systematic review, and no human-level row (physiological, trial, review) against it;
  *partially supported*: at least one supporting (fully or partly) human-level row;
  *proposed*: everything else (theory, animal work, or only non-supporting human data).
* **Safety rating** from the adverse-event evidence per treatment (CIOMS frequency words: common
  >= 1/100, rare < 1/1,000): *serious adverse events rare* when the summed serious events per
  treatment are below 1/1,000 with an exact upper 95% limit below 1/100, from at least 3,000
  treatments; *consistent* when at least two sources each stay below 1/1,000.  Labels:
  "reassuring" (rare and consistent), "probably reassuring" (rare, one source or inconsistent),
  "uncertain" (otherwise).  Case reports of serious events are always named.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

from .._access import get as _g
from ..packs.schema import guess_comparator_kind
from ..results import jsonable_dict
from .model import LEVELS, level_number

__all__ = [
    "FindingSummaryItem",
    "FamilySummary",
    "family_summary",
    "narrative_phrase",
    "certainty_range",
    "ComparisonContrast",
    "contrast_comparisons",
    "comparison_kind",
    "contrast_kind",
    "item_kind",
    "support_rank",
    "mechanism_label",
    "SafetyRating",
    "safety_rating",
    "overall_conclusion",
]


def certainty_range(certainties: Iterable[str]) -> str | None:
    """'low to moderate' (worst to best), one word when all agree, None when empty."""
    nums = sorted({level_number(c) for c in certainties if c})
    if not nums:
        return None
    lo, hi = LEVELS[4 - nums[0]], LEVELS[4 - nums[-1]]
    lo, hi = lo.replace("_", " "), hi.replace("_", " ")
    return lo if lo == hi else f"{lo} to {hi}"


@dataclass(frozen=True, slots=True)
class FindingSummaryItem:
    """The few facts a family or comparison summary needs about one rated finding."""

    outcome: str
    outcome_name: str
    family: str
    comparison: str
    comparison_label: str
    timepoint: str
    certainty: str | None
    size: str | None
    direction: str | None
    ci_includes_null: bool | None
    ci_excludes_important: bool | None
    #: "comparative" or "between_forms" (two forms of the intervention: never counted as favouring it)
    kind: str = "comparative"
    #: for a finding without an estimate: the direction its results report (favours_intervention, ...)
    reported_direction: str | None = None
    #: the comparator pools arms with and without the intervention (partly between forms)
    comparator_includes_intervention: bool = False
    #: the pack's kind of the comparison group (``[[comparisons]] kind``); "" = not known
    comparator_kind: str = ""

    @property
    def verdict(self) -> str:
        if self.kind == "between_forms":
            return "between forms"
        if self.certainty is None:
            return "not rated"
        if self.certainty == "very_low":
            return "very uncertain"
        if self.size is None:
            if self.reported_direction is None:
                return "not rated"
            # rated evidence without a single estimate: the direction its results report (never 'no difference':
            # a non-significant result is not evidence of no effect)
            return {"favours_intervention": "favours", "favours_comparator": "harms"}.get(self.reported_direction,
                                                                                           "inconclusive")
        if (self.size not in ("trivial",) and self.direction == "benefit" and self.ci_includes_null is False):
            return "favours"
        if (self.size not in ("trivial",) and self.direction == "harm" and self.ci_includes_null is False):
            return "harms"
        if self.ci_excludes_important:
            return "little or no difference"
        return "inconclusive"

    def to_dict(self) -> dict[str, Any]:
        d = {f: getattr(self, f) for f in self.__slots__}
        d["verdict"] = self.verdict
        return jsonable_dict(d)


def _consistency(items: Sequence[FindingSummaryItem]) -> str:
    v = [i.verdict for i in items if i.verdict not in ("not rated", "between forms")]
    if not v:
        return "no_estimates"
    by_cmp: dict[str, set[str]] = {}
    for i in items:
        if i.kind == "between_forms":
            continue
        by_cmp.setdefault(i.comparison or comparison_kind(i.comparison, i.comparison_label), set()).add(i.verdict)
    if any({"favours", "harms"} <= vs for vs in by_cmp.values()):
        return "conflicting"  # against the same comparator, some findings favour each side
    if all(x == "very uncertain" for x in v):
        return "very_uncertain"
    if len(v) == 1:
        return "single_finding"
    if all(x == "favours" for x in v):
        return "consistent_benefit"
    if all(x == "little or no difference" for x in v):
        return "consistent_no_difference"
    if all(x == "harms" for x in v):
        return "consistent_comparator"  # every rated finding favours the comparator: not 'mixed'
    return "mixed"


def _count_phrase(n: int, what: str) -> str:
    return f"{n} {what}" if n != 1 else f"1 {what.rstrip('s') if what.endswith('findings') else what}"


@dataclass(frozen=True, slots=True)
class FamilySummary:
    family: str
    outcomes: tuple[str, ...]
    n_findings: int
    n_rated: int
    certainty_range: str | None
    consistency: str
    counts: dict[str, int] = field(default_factory=dict)
    sentence: str = ""
    narratives: tuple[dict[str, Any], ...] = ()       # results without numbers (certainty not rated)
    narrative_counts: dict[str, int] = field(default_factory=dict)  # trial narratives by reported direction

    def to_dict(self) -> dict[str, Any]:
        return jsonable_dict({"family": self.family, "outcomes": list(self.outcomes), "n_findings": self.n_findings,
                              "n_rated": self.n_rated, "certainty_range": self.certainty_range,
                              "consistency": self.consistency, "counts": dict(self.counts), "sentence": self.sentence,
                              "narratives": [dict(n) for n in self.narratives],
                              "narrative_counts": dict(self.narrative_counts)})


_NARR_WORDS = {"favours_intervention": "a benefit of {x}", "no_difference": "no difference or no effect",
               "favours_comparator": "a benefit of the comparator", "mixed": "mixed results",
               "unclear": "a result whose direction is not clear"}


def _reported_words(n: Any, intervention: str) -> str:
    """The source's own words when short (quoted), else the direction class in words."""
    raw = str(_g(n, "result_as_reported", "") or "")
    raw = re.sub(r"^(qualitative|range)\s*(\(.*?\))?\s*:?\s*", "", raw, flags=re.I).strip().lower()
    cls = str(_g(n, "direction", "unclear") or "unclear")
    said = " ".join(str(_g(n, "direction_as_reported", "") or "").split())
    if cls == "favours_comparator" and said and len(said) <= 40:
        return f"a result favouring the comparator ('{said}')"
    if cls == "no_difference":
        # the source's words, never strengthened: 'not significant' stays 'no significant effect'
        if "signific" in raw:
            return "no significant effect"
        if "effect" in raw:
            return "no effect"
        return "no difference"
    return _NARR_WORDS.get(cls, _NARR_WORDS["unclear"]).format(x=intervention)


def narrative_phrase(n: Any, intervention: str = "the intervention", *, compact: bool = False) -> str:
    """'Smith2020 (review) reported no effect on range of motion (adults; vs any comparator)'.
    ``compact`` drops the population and the '(review)' tag (key messages)."""
    where = "; ".join(x for x in (None if compact else _g(n, "population_label"),
                                  ("vs " + str(_g(n, "comparison_label"))) if _g(n, "comparison_label") else "",
                                  _g(n, "timepoint_phrase")) if x)
    kind = "" if compact else (" (review)" if _g(n, "kind") == "review" else " (trial)")
    words = _reported_words(n, intervention)
    prep = "in" if words == "no difference" else "on"
    return (f"{_g(n, 'source_id')}{kind} reported {words} {prep} "
            f"{_g(n, 'outcome_name')}" + (f" ({where})" if where else ""))


def _narrative_sentence(narratives: Sequence[Any], intervention: str) -> tuple[str, dict[str, int]]:
    reviews = [n for n in narratives if _g(n, "kind") == "review"]
    trials = [n for n in narratives if _g(n, "kind") != "review"]
    counts: dict[str, int] = {}
    for n in trials:
        d = str(_g(n, "direction", "unclear"))
        counts[d] = counts.get(d, 0) + 1
    parts = []
    if reviews:
        fav = [n for n in reviews if _g(n, "direction") == "favours_intervention"]
        rest = [n for n in reviews if _g(n, "direction") != "favours_intervention"]
        bits_r = []
        if fav:
            ids = list(dict.fromkeys(str(_g(n, "source_id")) for n in fav))
            bits_r.append(f"{len(fav)} review result{'s' if len(fav) != 1 else ''} reported a benefit of {intervention} "
                          f"({', '.join(ids)})")
        bits_r.extend(narrative_phrase(n, intervention) for n in rest)
        parts.append("; ".join(bits_r))
    if trials:
        order = ("favours_intervention", "no_difference", "favours_comparator", "mixed", "unclear")
        words = {"favours_intervention": (f"favours {intervention}", f"favour {intervention}"),
                 "no_difference": ("reports no difference", "report no difference"),
                 "favours_comparator": ("favours the comparator", "favour the comparator"),
                 "mixed": ("is mixed", "are mixed"), "unclear": ("gives no clear direction", "give no clear direction")}
        bits = [f"{counts[k]} {words[k][0 if counts[k] == 1 else 1]}" for k in order if counts.get(k)]
        parts.append(f"{len(trials)} trial result{'s' if len(trials) != 1 else ''} without an effect estimate ("
                     + ", ".join(bits) + ")")
    if not parts:
        return "", counts
    return "Not rated (no numeric estimate): " + "; ".join(parts) + ".", counts


def _verdict_counts(items: Sequence[FindingSummaryItem]) -> dict[str, int]:
    out: dict[str, int] = {}
    for i in items:
        out[i.verdict] = out.get(i.verdict, 0) + 1
    return out


def _verdict_sentence(counts: dict[str, int], intervention: str) -> str:
    parts = []
    order = (("favours", f"favour{{s}} {intervention}"), ("little or no difference", "show{s} little or no difference"),
             ("inconclusive", "{are} inconclusive"), ("harms", "favour{s} the comparator"),
             ("very uncertain", "{are} very uncertain"),
             ("between forms", f"compare{{s}} two forms of {intervention} (not counted as favouring it)"))
    for key, tmpl in order:
        n = counts.get(key, 0)
        if n:
            parts.append(f"{n} " + tmpl.format(s="s" if n == 1 else "", are="is" if n == 1 else "are"))
    if not parts:
        return ""
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def family_summary(family: str, items: Sequence[FindingSummaryItem], *, intervention: str = "the intervention",
                   family_label: str | None = None, narratives: Sequence[Any] = ()) -> FamilySummary:
    """Certainty range and a consistency sentence for one outcome family."""
    rated = [i for i in items if i.certainty is not None]
    rng = certainty_range(i.certainty for i in rated)  # type: ignore[misc]
    cons = _consistency(items)
    counts = _verdict_counts(items)
    outcomes = tuple(dict.fromkeys(i.outcome_name for i in items))
    label = (family_label or family).replace("_", " ")
    label = label[0].upper() + label[1:] if label else label
    # 'Pain (pain intensity)', but 'Range of motion', not 'Range of motion (range of motion)'
    named = label if [o.lower() for o in outcomes] == [label.lower()] else f"{label} ({', '.join(outcomes)})"
    if not rated:
        sentence = f"{label}: no finding could be rated ({len(items)} without an estimate)."
        if narratives:
            sentence = f"{named}: no finding has a numeric estimate, so none could be rated."
    else:
        verdicts = _verdict_sentence({k: v for k, v in counts.items() if k != "not rated"}, intervention)
        cons_txt = {
            "consistent_benefit": "the findings consistently favour " + intervention,
            "consistent_no_difference": "the findings consistently show little or no difference",
            "consistent_comparator": "the findings consistently favour the comparator",
            "conflicting": "the findings conflict",
            "mixed": "the findings are mixed",
            "very_uncertain": "the evidence is very uncertain",
            "single_finding": "a single finding",
            "no_estimates": "",
        }[cons]
        kinds = {k for k, v in counts.items() if k != "not rated" and v}
        repeats = (cons == "consistent_benefit" and kinds == {"favours"}) or \
            (cons == "consistent_no_difference" and kinds == {"little or no difference"}) or \
            (cons == "consistent_comparator" and kinds == {"harms"})
        show = verdicts and cons not in ("very_uncertain",) and not repeats  # never 'favour X (2 favour X)'

        sentence = (f"{named}: certainty {rng} across {len(rated)} rated "
                    f"finding{'s' if len(rated) != 1 else ''}; {cons_txt}" + (f" ({verdicts})." if show else "."))
    narr_text, narr_counts = _narrative_sentence(narratives, intervention)
    if narr_text:
        sentence = f"{sentence} {narr_text}"
    return FamilySummary(family=family, outcomes=outcomes, n_findings=len(items), n_rated=len(rated),
                         certainty_range=rng, consistency=cons, counts=counts, sentence=sentence,
                         narratives=tuple(dict(n) for n in narratives), narrative_counts=narr_counts)


# ----------------------------------------------------------------------------- comparison groups

#: the comparison group (contrast) each pack kind belongs to: sham and no treatment share one
_CONTRAST_OF = {"sham": "sham", "no_treatment": "sham", "usual_care": "usual_care", "active": "active",
                "add_on": "add_on", "between_forms": "between_forms", "mixed": "mixed"}


def contrast_kind(comparator_kind: str) -> str:
    """The comparison group of a pack's comparison kind: 'sham' (sham, placebo or no treatment), 'usual_care',
    'active', 'add_on', 'between_forms' or 'mixed'."""
    return _CONTRAST_OF.get(comparator_kind, "active")


def comparison_kind(comparison_id: str, label: str = "") -> str:
    """The comparison group guessed from a comparison's id and label (the fallback for output that does not
    carry the pack's ``kind``): :func:`~evigrade.packs.schema.guess_comparator_kind`, grouped by
    :func:`contrast_kind`."""
    return contrast_kind(guess_comparator_kind(comparison_id, label))


def item_kind(item: Any) -> str:
    """The comparison group of a finding (object or dict): two forms of the intervention are 'between_forms'
    and a comparator pooling arms with and without the intervention is 'mixed', whatever the pack says;
    otherwise the pack's kind (``comparator_kind``), or the guess from the comparison's id and label."""
    if str(_g(item, "kind", "") or "") == "between_forms":
        return "between_forms"
    if _g(item, "comparator_includes_intervention", False):
        return "mixed"
    declared = str(_g(item, "comparator_kind", "") or "")
    if declared:
        return contrast_kind(declared)
    return comparison_kind(str(_g(item, "comparison", "") or ""), str(_g(item, "comparison_label", "") or ""))


_KIND_PHRASE = {
    "sham": "against sham, placebo or no treatment",
    "add_on": "added to another therapy (compared with that therapy alone)",
    "usual_care": "against usual care",
    "active": "against other active treatments",
    "between_forms": "compared with other forms of the same intervention",
    "mixed": "against mixed comparators (reviews pooling all comparators)",
}
_KIND_ORDER = ("sham", "add_on", "usual_care", "active", "between_forms", "mixed")


@dataclass(frozen=True, slots=True)
class ComparisonContrast:
    kind: str
    comparisons: tuple[str, ...]
    n_findings: int
    certainty_range: str | None
    counts: dict[str, int]
    sentence: str

    def to_dict(self) -> dict[str, Any]:
        return jsonable_dict({"kind": self.kind, "comparisons": list(self.comparisons), "n_findings": self.n_findings,
                              "certainty_range": self.certainty_range, "counts": dict(self.counts),
                              "sentence": self.sentence})


def contrast_comparisons(items: Sequence[FindingSummaryItem], *, intervention: str = "the intervention"
                         ) -> tuple[ComparisonContrast, ...]:
    """One entry per comparison group (sham, add-on, usual care, active, other forms, mixed) with its
    certainty range and verdicts."""
    groups: dict[str, list[FindingSummaryItem]] = {}
    for i in items:
        groups.setdefault(item_kind(i), []).append(i)
    out = []
    for kind in _KIND_ORDER:
        g = groups.get(kind)
        if not g:
            continue
        rated = [i for i in g if i.certainty is not None]
        rng = certainty_range(i.certainty for i in rated)  # type: ignore[misc]
        counts = _verdict_counts(g)
        verdicts = _verdict_sentence({k: v for k, v in counts.items() if k != "not rated"}, intervention)
        head = f"{intervention[0].upper() + intervention[1:]} {_KIND_PHRASE[kind]}"
        if rated:
            sentence = f"{head}: {len(rated)} rated finding{'s' if len(rated) != 1 else ''} (certainty {rng})" + (
                f"; {verdicts}." if verdicts else ".")
        else:
            sentence = f"{head}: no finding could be rated."
        out.append(ComparisonContrast(kind, tuple(dict.fromkeys(i.comparison for i in g)), len(g), rng, counts, sentence))
    return tuple(out)


# ------------------------------------------------------------------------------------ mechanisms

_SUPPORT_RANKS = (("review", 4), ("meta-analysis", 4), ("meta_analysis", 4), ("rct", 3), ("trial", 3),
                  ("clinical", 3), ("human", 2), ("within-subject", 2), ("physiolog", 2), ("animal", 1),
                  ("theory", 0), ("narrative", 0))


def support_rank(kind: str | None) -> int:
    """theory/narrative 0 < animal 1 < human physiological 2 < clinical trial 3 < systematic review 4."""
    k = (kind or "").lower()
    if "narrative" in k:
        return 0
    for word, rank in _SUPPORT_RANKS:
        if word in k:
            return rank
    return 0


def _direction_class(direction: str | None) -> str:
    d = (direction or "").lower().replace("_", " ")
    if any(w in d for w in ("does not", "not support", "no support", "against", "critical", "contradict", "refute")):
        return "against"
    if "partial" in d or "only" in d or "mixed" in d:
        return "partial"
    if "support" in d:
        return "supports"
    return "neutral"


def mechanism_label(evidence: Iterable[Any]) -> str:
    """'established' / 'partially supported' / 'proposed' from rows with ``support_kind`` and
    ``direction`` (attributes or dict keys); see the module docstring for the rule."""
    full_high = 0
    full_review = 0
    human_support = 0
    human_against = 0
    for e in evidence:
        kind = e.get("support_kind") if isinstance(e, dict) else getattr(e, "support_kind", None)
        direc = e.get("direction") if isinstance(e, dict) else getattr(e, "direction", None)
        rank, cls = support_rank(kind), _direction_class(direc)
        if rank >= 2 and cls in ("supports", "partial"):
            human_support += 1
        if rank >= 3 and cls == "supports":
            full_high += 1
        if rank >= 4 and cls == "supports":
            full_review += 1
        if rank >= 2 and cls == "against":
            human_against += 1
    if full_high >= 2 and full_review >= 1 and human_against == 0:
        return "established"
    if human_support >= 1:
        return "partially supported"
    return "proposed"


# ---------------------------------------------------------------------------------------- safety

@dataclass(frozen=True, slots=True)
class SafetyRating:
    label: str                      # reassuring | probably reassuring | uncertain
    serious_rare: bool
    consistent: bool
    serious_estimate: float | None  # proportion per treatment
    serious_upper: float | None     # upper 95% limit per treatment
    serious_sources: int
    treatments: int | None
    mild_estimate: float | None     # pooled estimate (random effects), as summarize reported it
    mild_low: float | None          # lowest source proportion
    mild_high: float | None         # highest source proportion
    case_reports: tuple[str, ...]
    rule: str
    sentence: str

    def to_dict(self) -> dict[str, Any]:
        d = {f: getattr(self, f) for f in self.__slots__}
        d["case_reports"] = list(self.case_reports)
        return jsonable_dict(d)


def _per(x: float | None, like: float | None = None) -> str:
    """A rate in words: '0.7 per 10,000' for small rates, '19.2%' otherwise (``like`` picks the style)."""
    if x is None:
        return "not available"
    ref = x if like is None else like
    if ref < 0.01:
        return f"{x * 10000:.1f} per 10,000"
    return f"{100 * x:.1f}%"


def _exact_upper(events: int, n: int, level: float = 0.95) -> float:
    """Two-sided Clopper-Pearson upper limit."""
    from .._dist import beta

    if events >= n:
        return 1.0
    return float(beta.ppf(1 - (1 - level) / 2, events + 1, n - events))


def _source_rate_text(i: Any) -> str:
    e, n = int(_g(i, "events")), int(_g(i, "denominator"))
    p = e / n
    lo = _g(i, "ci_low")
    hi = _g(i, "ci_high")
    if hi is None:
        lo, hi = _exact_lower(e, n), _exact_upper(e, n)
    if e == 0:
        return f"{_g(i, 'source_id')}: 0 of {n:,} treatments, exact upper 95% limit {_per(hi, 0.0)}"
    if p < 0.01:
        return (f"{_g(i, 'source_id')}: {e:,} of {n:,}, {p * 10000:.1f} per 10,000 (exact 95% CI {lo * 10000:.1f} to "
                f"{hi * 10000:.1f} per 10,000)")
    return f"{_g(i, 'source_id')}: {e:,} of {n:,}, {_per(p)} (exact 95% CI {_per(lo, p)} to {_per(hi, p)})"


def _exact_lower(events: int, n: int, level: float = 0.95) -> float:
    from .._dist import beta

    if events <= 0:
        return 0.0
    return float(beta.ppf((1 - level) / 2, events, n - events + 1))


def _rate_range(lo: float | None, hi: float | None, stated: bool = False) -> str:
    """'19.2% to 36.8%'; ``stated=True`` keeps up to three significant digits (rates as the sources print them)."""
    if lo is None or hi is None:
        return "not available"
    f = (lambda x: f"{100 * x:.3g}%") if stated else _per  # noqa: E731
    return f(lo) if abs(lo - hi) < 1e-12 else f"{f(lo)} to {f(hi)}"


def safety_rating(safety: Any, *, rare: float = 0.001, common: float = 0.01, min_treatments: int = 3000,
                  intervention: str = "the intervention") -> SafetyRating:
    """Rate the adverse-event evidence of a :class:`~evigrade.packs.SafetySummary` (or its dict).

    Serious events (severity containing 'serious') per treatment, source by source: each source's
    rate with its exact (Clopper-Pearson) 95% CI is the headline (a random-effects rate from two or
    three surveys is too wide to say anything; ``summarize`` pools only from 3 sources on).  "Rare"
    means every source's rate is below ``rare`` (1/1,000, CIOMS "rare") with an exact upper limit
    below ``common`` (1/100, CIOMS "common"), from at least ``min_treatments`` treatments in all;
    "consistent" means at least two such sources.  ``serious_estimate`` / ``serious_upper`` keep the
    crude total (events / treatments summed) for reference; they are not the headline.  Mild events:
    the range of the sources' rates, and the common event types (``safety.event_types``) with their
    per-treatment rates.
    """
    pools = list(_g(safety, "pools", ()) or ())
    serious = [p for p in pools if "serious" in str(_g(p, "severity", "")) and _g(p, "basis") == "treatments"]
    mild = [p for p in pools if str(_g(p, "severity", "")) == "mild" and _g(p, "basis") == "treatments"]
    rule = (f"serious adverse events are 'rare' when every source's rate per treatment is below {rare:g} with an exact "
            f"upper 95% limit below {common:g}, from at least {min_treatments} treatments in all; 'consistent' when at "
            "least two sources qualify; labels: reassuring (rare and consistent), probably reassuring (rare), "
            "uncertain (otherwise); rates from fewer than 3 sources are not pooled")
    items = [i for p in serious for i in (_g(p, "items", ()) or ())
             if _g(i, "events") is not None and _g(i, "denominator")]
    events = sum(int(_g(i, "events")) for i in items)
    total = sum(int(_g(i, "denominator")) for i in items)
    s_est = events / total if total else None
    s_up = _exact_upper(events, total) if total else None
    sources = {_g(i, "source_id") for i in items}
    ok = {_g(i, "source_id") for i in items
          if _g(i, "events") / _g(i, "denominator") < rare
          and _exact_upper(int(_g(i, "events")), int(_g(i, "denominator"))) < common}
    is_rare = bool(items and total >= min_treatments and ok == sources)
    consistent = bool(is_rare and len(sources) >= 2)
    m_items = [i for p in mild for i in (_g(p, "items", ()) or ()) if _g(i, "proportion") is not None]
    m_props = sorted(float(_g(i, "proportion")) for i in m_items)
    m_est = _g(mild[0], "estimate") if mild else None
    m_lo, m_hi = (m_props[0], m_props[-1]) if m_props else (None, None)
    cases = tuple(str(_g(c, "event", "") or _g(c, "source_id", "")) for c in (_g(safety, "case_reports", ()) or ()))
    cases = tuple(dict.fromkeys(c for c in cases if c))
    label = "reassuring" if consistent else ("probably reassuring" if is_rare else "uncertain")
    cites = [str(_g(i, "citation", "") or "") for i in items]
    setting = ""
    if cites and all(re.search(r"physiotherap|physical therap", c, re.I) for c in cites):
        setting = " of treatments given by physiotherapists"
    if total:
        what = "appear rare" if is_rare else "cannot yet be called rare"
        n_src = len(sources)
        head = (f"Serious adverse events after {intervention} {what} in {'each of ' if n_src > 1 else ''}"
                f"{n_src} source{'s' if n_src != 1 else ''}{setting} ("
                + "; ".join(_source_rate_text(i) for i in items) + ")")
    else:
        head = "There are too few data to rate the risk of serious adverse events"
    parts = [head]
    if m_props:
        parts.append(f"mild, short-lived events are common ({_rate_range(m_lo, m_hi)} of treatments across {len(m_props)} "
                     f"source{'s' if len(m_props) != 1 else ''})")
    common_types = [e for e in (_g(safety, "event_types", ()) or ())
                    if _g(e, "severity") == "mild" and _g(e, "frequency") == "common"]
    if common_types:
        parts[-1] = parts[-1] + ", most often " + ", ".join(
            f"{_g(e, 'event_type')} ({_rate_range(_g(e, 'rate_low'), _g(e, 'rate_high'), True)})" for e in common_types)
    sentence = "; ".join(parts) + "."
    if cases:
        sentence += f" Case reports describe serious events ({'; '.join(cases[:4])}{'; ...' if len(cases) > 4 else ''})."
    return SafetyRating(label, is_rare, consistent, s_est, s_up, len(sources), total or None, m_est, m_lo, m_hi,
                        cases, rule, sentence)


_WORD_ORDER = ("favours_intervention", "no_difference", "favours_comparator", "mixed", "unclear")
_WORD_DIRS = {"favours_intervention": "favour {x}", "no_difference": "no significant difference",
              "favours_comparator": "favour the comparator", "mixed": "mixed", "unclear": "direction unclear"}


def overall_conclusion(items: Sequence[FindingSummaryItem], comparisons: Sequence[ComparisonContrast] = (),
                       safety: SafetyRating | None = None, *, intervention: str = "the intervention") -> str:
    """A short closing paragraph: the overall certainty range, what each comparison kind shows, safety.

    Built only from the rated findings' verdicts (no new judgement is made here)."""
    rated = [i for i in items if i.certainty is not None]
    words = [i for i in items if i.size is None and i.reported_direction is not None and i.kind != "between_forms"]
    if not rated:
        text = f"No finding about {intervention} could be rated."
    else:
        rng = certainty_range(i.certainty for i in rated)  # type: ignore[misc]
        best = [i for i in rated if i.certainty in ("high", "moderate") and i.verdict == "favours"]
        text = (f"Across {len(rated)} rated finding{'s' if len(rated) != 1 else ''} the certainty of the evidence "
                f"ranges from {rng}" if rng and " to " in rng else
                f"Across {len(rated)} rated finding{'s' if len(rated) != 1 else ''} the certainty of the evidence is {rng}")
        text += (f"; {len(best)} finding{'s' if len(best) != 1 else ''} of moderate or high certainty favour"
                 f"{'s' if len(best) == 1 else ''} {intervention}." if best else
                 f"; no finding of moderate or high certainty favours {intervention}.")
    if words:
        n_w = len(words)
        by: dict[str, int] = {}
        for i in words:
            by[str(i.reported_direction)] = by.get(str(i.reported_direction), 0) + 1
        dirs = ", ".join(f"{v} {_WORD_DIRS.get(k, k.replace('_', ' ')).format(x=intervention)}"
                         for k, v in sorted(by.items(), key=lambda kv: _WORD_ORDER.index(kv[0])
                                            if kv[0] in _WORD_ORDER else 99))
        n_rw = sum(i.certainty is not None for i in words)
        text += (f" {n_w} finding{'s' if n_w != 1 else ''} rest{'s' if n_w == 1 else ''} on results reported without "
                 f"a single estimate ({n_rw} of them rated; by reported direction: {dirs}).")
    for c in comparisons:
        text += " " + c.sentence
    if safety is not None:
        text += " " + safety.sentence
    return text
