"""Summaries above the single finding: outcome families, comparison groups, mechanisms, safety.

Rules (all documented here so reports can cite them):

* **Family certainty range**: the lowest and highest certainty among a family's rated findings
  ("low to moderate"; one word when they agree).  **Consistency**: a finding "favours" the
  intervention when its magnitude is not trivial, its direction is benefit and its CI excludes no
  effect; it "shows little to no difference" when its CI excludes important effects; anything
  else is "inconclusive".  All favouring -> consistent; some favouring the intervention and some the
  comparator *within the same kind of comparison* (sham, add-on, active) -> conflicting; otherwise
  mixed (e.g. better than sham but worse than injection is not a conflict).
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

from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

from ..results import jsonable
from .model import LEVELS, level_number

__all__ = [
    "FindingSummaryItem",
    "FamilySummary",
    "family_summary",
    "certainty_range",
    "ComparisonContrast",
    "contrast_comparisons",
    "comparison_kind",
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

    @property
    def verdict(self) -> str:
        if self.certainty is None or self.size is None:
            return "not rated"
        if self.certainty == "very_low":
            return "very uncertain"
        if (self.size not in ("trivial",) and self.direction == "benefit" and self.ci_includes_null is False):
            return "favours"
        if (self.size not in ("trivial",) and self.direction == "harm" and self.ci_includes_null is False):
            return "harms"
        if self.ci_excludes_important:
            return "little or no difference"
        return "inconclusive"

    def to_dict(self) -> dict[str, Any]:
        d = {f: getattr(self, f) for f in self.__slots__}  # type: ignore[attr-defined]
        d["verdict"] = self.verdict
        return jsonable(d)


def _consistency(items: Sequence[FindingSummaryItem]) -> str:
    v = [i.verdict for i in items if i.verdict != "not rated"]
    if not v:
        return "no_estimates"
    by_kind: dict[str, set[str]] = {}
    for i in items:
        by_kind.setdefault(comparison_kind(i.comparison, i.comparison_label), set()).add(i.verdict)
    if any({"favours", "harms"} <= vs for vs in by_kind.values()):
        return "conflicting"  # within one kind of comparison, some findings favour each side
    if all(x == "very uncertain" for x in v):
        return "very_uncertain"
    if len(v) == 1:
        return "single_finding"
    if all(x == "favours" for x in v):
        return "consistent_benefit"
    if all(x == "little or no difference" for x in v):
        return "consistent_no_difference"
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

    def to_dict(self) -> dict[str, Any]:
        return jsonable({"family": self.family, "outcomes": list(self.outcomes), "n_findings": self.n_findings,
                         "n_rated": self.n_rated, "certainty_range": self.certainty_range,
                         "consistency": self.consistency, "counts": dict(self.counts), "sentence": self.sentence})


def _verdict_counts(items: Sequence[FindingSummaryItem]) -> dict[str, int]:
    out: dict[str, int] = {}
    for i in items:
        out[i.verdict] = out.get(i.verdict, 0) + 1
    return out


def _verdict_sentence(counts: dict[str, int], intervention: str) -> str:
    parts = []
    order = (("favours", f"favour{{s}} {intervention}"), ("little or no difference", "show{s} little or no difference"),
             ("inconclusive", "{are} inconclusive"), ("harms", f"favour{{s}} the comparator"),
             ("very uncertain", "{are} very uncertain"))
    for key, tmpl in order:
        n = counts.get(key, 0)
        if n:
            parts.append(f"{n} " + tmpl.format(s="s" if n == 1 else "", are="is" if n == 1 else "are"))
    if not parts:
        return ""
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def family_summary(family: str, items: Sequence[FindingSummaryItem], *, intervention: str = "the intervention",
                   family_label: str | None = None) -> FamilySummary:
    """Certainty range and a consistency sentence for one outcome family."""
    rated = [i for i in items if i.certainty is not None]
    rng = certainty_range(i.certainty for i in rated)  # type: ignore[misc]
    cons = _consistency(items)
    counts = _verdict_counts(items)
    outcomes = tuple(dict.fromkeys(i.outcome_name for i in items))
    label = (family_label or family).replace("_", " ")
    label = label[0].upper() + label[1:] if label else label
    if not rated:
        sentence = f"{label}: no finding could be rated ({len(items)} without an estimate)."
    else:
        verdicts = _verdict_sentence({k: v for k, v in counts.items() if k != "not rated"}, intervention)
        cons_txt = {
            "consistent_benefit": "the findings consistently favour " + intervention,
            "consistent_no_difference": "the findings consistently show little or no difference",
            "conflicting": "the findings conflict",
            "mixed": "the findings are mixed",
            "very_uncertain": "the evidence is very uncertain",
            "single_finding": "a single finding",
            "no_estimates": "",
        }[cons]
        show = verdicts and cons not in ("very_uncertain",)
        sentence = (f"{label} ({', '.join(outcomes)}): certainty {rng} across {len(rated)} rated "
                    f"finding{'s' if len(rated) != 1 else ''}; {cons_txt}" + (f" ({verdicts})." if show else "."))
    return FamilySummary(family=family, outcomes=outcomes, n_findings=len(items), n_rated=len(rated),
                         certainty_range=rng, consistency=cons, counts=counts, sentence=sentence)


# ----------------------------------------------------------------------------- comparison groups

def comparison_kind(comparison_id: str, label: str = "") -> str:
    """'add_on' (X + DN vs X), 'sham' (sham, placebo, waiting list, no treatment), 'dn_variant'
    (another form of the same intervention), 'mixed' (reviews pooling any comparator) or 'active'."""
    text = f"{comparison_id} {label}".lower()
    if any(w in text for w in ("add_on", "add-on", "addon", "added to", "combined", "adjunct", "plus", " + ")):
        return "add_on"
    if any(w in text for w in ("sham", "placebo", "waiting", "wait list", "no treatment", "no_treatment", "no intervention", "control")):
        return "sham"
    if any(w in text for w in ("variant", "another form", "other form", "in every arm", "all_arms", "all arms")):
        return "dn_variant"
    if any(w in text for w in ("any_comparator", "any comparator", "all comparators", "mixed comparator")):
        return "mixed"
    return "active"


_KIND_PHRASE = {
    "sham": "against sham, placebo or no treatment",
    "add_on": "added to another therapy (compared with that therapy alone)",
    "active": "against other active treatments",
    "dn_variant": "compared with other forms of the same intervention",
    "mixed": "against mixed comparators (reviews pooling all comparators)",
}
_KIND_ORDER = ("sham", "add_on", "active", "dn_variant", "mixed")


@dataclass(frozen=True, slots=True)
class ComparisonContrast:
    kind: str
    comparisons: tuple[str, ...]
    n_findings: int
    certainty_range: str | None
    counts: dict[str, int]
    sentence: str

    def to_dict(self) -> dict[str, Any]:
        return jsonable({"kind": self.kind, "comparisons": list(self.comparisons), "n_findings": self.n_findings,
                         "certainty_range": self.certainty_range, "counts": dict(self.counts),
                         "sentence": self.sentence})


def contrast_comparisons(items: Sequence[FindingSummaryItem], *, intervention: str = "the intervention"
                         ) -> tuple[ComparisonContrast, ...]:
    """One entry per comparison kind (sham, add-on, active, other forms, mixed) with its certainty
    range and verdicts."""
    groups: dict[str, list[FindingSummaryItem]] = {}
    for i in items:
        groups.setdefault(comparison_kind(i.comparison, i.comparison_label), []).append(i)
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
        d = {f: getattr(self, f) for f in self.__slots__}  # type: ignore[attr-defined]
        d["case_reports"] = list(self.case_reports)
        return jsonable(d)


def _g(obj: Any, name: str, default: Any = None) -> Any:
    if isinstance(obj, dict):
        return obj.get(name, default)
    return getattr(obj, name, default)


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
    from scipy.stats import beta

    if events >= n:
        return 1.0
    return float(beta.ppf(1 - (1 - level) / 2, events + 1, n - events))


def safety_rating(safety: Any, *, rare: float = 0.001, common: float = 0.01, min_treatments: int = 3000,
                  intervention: str = "the intervention") -> SafetyRating:
    """Rate the adverse-event evidence of a :class:`~evigrade.packs.SafetySummary` (or its dict).

    Serious events (severity containing 'serious') per treatment are summed over sources and given
    an exact (Clopper-Pearson) 95% CI: a random-effects CI from two or three surveys is too wide to
    say anything.  "Rare" means a point estimate below ``rare`` (1/1,000, CIOMS "rare") with an upper
    limit below ``common`` (1/100, CIOMS "common") from at least ``min_treatments`` treatments;
    "consistent" means at least two sources, each below ``rare``.
    """
    pools = list(_g(safety, "pools", ()) or ())
    serious = [p for p in pools if "serious" in str(_g(p, "severity", "")) and _g(p, "basis") == "treatments"]
    mild = [p for p in pools if str(_g(p, "severity", "")) == "mild" and _g(p, "basis") == "treatments"]
    rule = (f"serious adverse events are 'rare' when the summed count per treatment is below {rare:g} with an exact "
            f"upper 95% limit below {common:g} from at least {min_treatments} treatments; 'consistent' when at least "
            f"two sources each stay below {rare:g}; labels: reassuring (rare and consistent), probably reassuring "
            "(rare), uncertain (otherwise)")
    items = [i for p in serious for i in (_g(p, "items", ()) or ())
             if _g(i, "events") is not None and _g(i, "denominator")]
    events = sum(int(_g(i, "events")) for i in items)
    total = sum(int(_g(i, "denominator")) for i in items)
    s_est = events / total if total else None
    s_up = _exact_upper(events, total) if total else None
    sources = {_g(i, "source_id") for i in items}
    below = {_g(i, "source_id") for i in items if _g(i, "events") / _g(i, "denominator") < rare}
    is_rare = bool(total >= min_treatments and s_est is not None and s_est < rare and s_up is not None and s_up < common)
    consistent = bool(is_rare and len(sources) >= 2 and below == sources)
    m_items = [i for p in mild for i in (_g(p, "items", ()) or ()) if _g(i, "proportion") is not None]
    m_props = sorted(float(_g(i, "proportion")) for i in m_items)
    m_est = _g(mild[0], "estimate") if mild else None
    m_lo, m_hi = (m_props[0], m_props[-1]) if m_props else (None, None)
    cases = tuple(str(_g(c, "event", "") or _g(c, "source_id", "")) for c in (_g(safety, "case_reports", ()) or ()))
    cases = tuple(dict.fromkeys(c for c in cases if c))
    label = "reassuring" if consistent else ("probably reassuring" if is_rare else "uncertain")
    if total:
        head = (f"Serious adverse events after {intervention} " + ("appear rare" if is_rare else "cannot yet be called rare")
                + f": {events} in {total:,} treatments ({_per(s_est)}; upper 95% limit {_per(s_up, s_est)}) across "
                f"{len(sources)} source{'s' if len(sources) != 1 else ''}"
                + (", consistently low in each" if consistent else ""))
    else:
        head = "There are too few data to rate the risk of serious adverse events"
    parts = [head]
    if m_props:
        rng = _per(m_lo) if m_lo == m_hi else f"{_per(m_lo)} to {_per(m_hi)}"
        parts.append(f"mild, short-lived events are common ({rng} of treatments across {len(m_props)} "
                     f"source{'s' if len(m_props) != 1 else ''})")
    sentence = "; ".join(parts) + "."
    if cases:
        sentence += f" Case reports describe serious events ({'; '.join(cases[:4])}{'; ...' if len(cases) > 4 else ''})."
    return SafetyRating(label, is_rare, consistent, s_est, s_up, len(sources), total or None, m_est, m_lo, m_hi,
                        cases, rule, sentence)


def overall_conclusion(items: Sequence[FindingSummaryItem], comparisons: Sequence[ComparisonContrast] = (),
                       safety: SafetyRating | None = None, *, intervention: str = "the intervention") -> str:
    """A short closing paragraph: the overall certainty range, what each comparison kind shows, safety.

    Built only from the rated findings' verdicts (no new judgement is made here)."""
    rated = [i for i in items if i.certainty is not None]
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
    for c in comparisons:
        text += " " + c.sentence
    if safety is not None:
        text += " " + safety.sentence
    return text
