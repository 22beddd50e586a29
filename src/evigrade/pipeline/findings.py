"""``build_findings(pack, spec) -> Summary``: what the evidence says, outcome by outcome.

For each outcome x time-point bucket x comparison group x population found in results.csv or
reviews.csv:

1. every trial row is classified: usable (arm-level data -> escalc; a reported effect with a CI or
   SE -> yi/vi on the analysis scale) or not poolable with the reason (p-value only, qualitative,
   within-group change, effect-size type not stated, sign convention unclear, no CI/SE, study kept
   out of pooling, another row of the same study already used, a different measure or scale);
2. with k >= 2 usable trials on one measure (and, for MD, one scale) they are pooled with
   ``evigrade.stats.meta_analysis`` (basis "trials", status "pooled");
3. the reviews' pooled results for the same question are listed beside it (sign harmonised, a
   documented primary, the others alternatives; overlapping reviews are never pooled with each
   other) with the difference between ours and theirs on the same measure;
4. with fewer than two usable trials the finding rests on the primary review (basis "review") and
   says so; with neither, a single trial's own estimate is shown (status "single_trial") or the
   finding has no estimate (status "no_estimate") and lists what there is.

Safety: pooled adverse-event proportions per treatment and per patient (logit or Freeman-Tukey
meta-analysis, back-transformed), mild versus significant/serious, exact Clopper-Pearson CIs and the
rule of three for zero counts, and the case reports of serious events.  Mechanisms: each claim with
its strongest support kind.  Output is deterministic (sorted by the pack's declaration order).
"""
from __future__ import annotations

import math
import re
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from .._validate import check_choice, check_level
from ..notes import NoteCode
from ..results import EstimateCI, Note
from ..stats.fit import canonical_method, canonical_test
from ..packs.schema import RATIO_MEASURES, SUPPORT_RANK, Pack, ResultRow, ReviewRow, Topic
from ..packs.summary import (
    Finding,
    MechanismClaim,
    MechanismEvidence,
    NotPoolable,
    ReviewEstimate,
    SafetyEventType,
    SafetyItem,
    SafetyPool,
    SafetySummary,
    Summary,
    TrialEstimate,
)
from .robustness import attach_robustness

if TYPE_CHECKING:
    from ..stats.results import MetaResult
    from .pooling import MultilevelPool

__all__ = ["build_findings", "FindingsSpec", "SAFETY_MEASURES", "SAFETY_MIN_POOL_K", "direction_class"]

SAFETY_MEASURES = ("PLO", "PFT")
#: packs and their reports describe Wald z and Hartung-Knapp only (not metafor's plain test="t")
PACK_TESTS = ("z", "knha")
#: pool adverse-event proportions only from at least this many sources; with fewer, each source's rate
#: (exact Clopper-Pearson CI) and the range across sources are the headline
SAFETY_MIN_POOL_K = 3
_POOLABLE_EFFECTS = ("MD", "SMD", "OR", "RR", "RD")


def _f(v: Any) -> float | None:
    return None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v)


# ---------------------------------------------------------------------------------------------
# trials
# ---------------------------------------------------------------------------------------------
def _trial_n(row: ResultRow, pack: Pack) -> int | None:
    if row.n1i is not None and row.n2i is not None:
        return int(row.n1i + row.n2i)
    return pack.study(row.study_id).n_randomised


def _classify(row: ResultRow, pack: Pack, level: float) -> tuple[TrialEstimate | None, str | None]:
    """A usable TrialEstimate (on its own measure) or the reason the row cannot be pooled."""
    from ..effects import escalc

    study = pack.study(row.study_id)
    if not study.in_pooling:
        return None, "study kept out of pooling (exclude_from_pooling = yes in studies.csv, e.g. not randomised)"
    if row.data_type == "p_value_only":
        return None, "only a p-value is reported (no effect estimate with CI or SE)"
    if row.data_type == "qualitative":
        return None, "only a qualitative statement (or a threshold/range) is reported"
    if row.data_type == "within_group":
        return None, "a within-group change, not a between-group comparison"
    common: dict[str, Any] = dict(result_id=row.result_id, study_id=row.study_id, instrument=row.instrument, unit=row.unit,
                  rob_overall=study.rob_overall, pedro=study.pedro, orientation=row.orientation, source=row.source)
    if row.data_type == "arm_level":
        if row.has_arm_continuous():
            # measure decided per cell (MD or SMD); compute both lazily in _arm_effect
            return TrialEstimate(measure="ARM", estimate=float("nan"), ci_low=None, ci_high=None, yi=None, vi=None,
                                 n=_trial_n(row, pack), derived_from="arm_level", **common), None
        if row.has_arm_binary():
            measure = row.measure if row.measure in ("OR", "RR", "RD") else "RR"
            tab = escalc(measure, ai=[row.ai], n1i=[row.n1i], ci=[row.ci], n2i=[row.n2i], slab=[row.study_id])
            yi, vi = float(tab.yi[0]), float(tab.vi[0])
            z = _z(level)
            arm_lo, arm_hi = yi - z * math.sqrt(vi), yi + z * math.sqrt(vi)
            tr = (lambda v: math.exp(v)) if measure in RATIO_MEASURES else (lambda v: v)
            return TrialEstimate(measure=measure, estimate=tr(yi), ci_low=tr(arm_lo), ci_high=tr(arm_hi), yi=yi, vi=vi,
                                 n=_trial_n(row, pack), derived_from="arm_level", **common), None
        return None, _arm_gap(row)
    # reported effect
    if row.measure == "ES":
        return None, "effect-size type not stated by the source (cannot be combined with MD or SMD)"
    if row.measure not in _POOLABLE_EFFECTS:
        return None, f"measure {row.measure!r} cannot be pooled here"
    if row.orientation == "unclear":
        return None, "the source's sign convention is unclear (kept as printed, not pooled)"
    est, lo, hi = row.harmonised()
    if est is None:
        return None, "no estimate"
    if row.measure == "RD" and _rd_percentage_points(est, lo, hi):
        # metafor's RD scale is a proportion; store it so and say so (the Note is added per finding)
        est, lo, hi = est / 100, (None if lo is None else lo / 100), (None if hi is None else hi / 100)
        common["unit"] = RD_PP_UNIT
        row_se: float | None = None if row.se is None else row.se / 100
    else:
        row_se = row.se
    log = row.measure in RATIO_MEASURES
    if row_se is not None:
        se = row_se
        derived = "se"
    elif lo is not None and hi is not None:
        if (log and lo <= 0) or lo >= hi:
            return None, "CI cannot give a standard error"
        se = ((math.log(hi) - math.log(lo)) if log else (hi - lo)) / (2 * _z(level))
        derived = "ci"
    else:
        return None, "no CI or SE reported"
    yi = math.log(est) if log else est
    return TrialEstimate(measure=row.measure, estimate=est, ci_low=lo, ci_high=hi, yi=yi, vi=se * se,
                         n=_trial_n(row, pack), derived_from=derived, **common), None


def _arm_gap(row: ResultRow) -> str:
    """Why an arm-level row cannot be used, naming the arm(s) and the columns that are not reported."""
    cont: tuple[tuple[str, ...], ...] = (("m1i", "sd1i", "n1i"), ("m2i", "sd2i", "n2i"))
    binary: tuple[tuple[str, ...], ...] = (("ai", "n1i"), ("ci", "n2i"))

    def has(c: str) -> bool:
        return getattr(row, c, None) is not None

    if any(has(c) for c in ("m1i", "sd1i", "m2i", "sd2i")):
        arms = cont
    elif any(has(c) for c in ("ai", "ci")) or row.measure in ("OR", "RR", "RD"):
        arms = binary
    elif row.measure in ("MD", "SMD"):
        arms = cont
    else:
        return ("arm-level data incomplete (neither arm's mean/SD nor event counts are reported: give m1i, sd1i, "
                "n1i, m2i, sd2i, n2i or ai, n1i, ci, n2i)")
    word = {"m": "mean", "sd": "SD", "n": "size", "ai": "events", "ci": "events"}

    def what(c: str) -> str:
        return f"{word.get(c, word.get(c.rstrip('12i'), c))} ({c})"

    parts = [f"the {arm} arm's {', '.join(what(c) for c in cols if not has(c))}"
             for arm, cols in zip(("intervention", "comparator"), arms) if not all(has(c) for c in cols)]
    return f"arm-level data incomplete ({' and '.join(parts)} not reported)"


RD_PP_UNIT = "proportion (converted from percentage points)"


def _rd_percentage_points(est: float | None, lo: float | None, hi: float | None) -> bool:
    """A risk difference is a difference of two proportions, so |RD| <= 1.  A value (or CI limit) above
    1 in absolute size can only be in percentage points (e.g. Hando 2026: 24, 95% CI 4 to 45)."""
    return any(v is not None and abs(v) > 1 for v in (est, lo, hi))


def _z(level: float) -> float:
    from .._dist import norm

    return float(norm.ppf(1 - (1 - level) / 2))


def _arm_effects(rows: list[ResultRow], measure: str) -> list[tuple[float, float]]:
    from ..effects import escalc

    tab = escalc(measure, m1i=[r.m1i for r in rows], sd1i=[r.sd1i for r in rows], n1i=[r.n1i for r in rows],
                 m2i=[r.m2i for r in rows], sd2i=[r.sd2i for r in rows], n2i=[r.n2i for r in rows],
                 slab=[r.result_id for r in rows])  # result ids: a study may give several results
    return [(float(a), float(b)) for a, b in zip(tab.yi, tab.vi)]


# ---------------------------------------------------------------------------------------------
# reviews
# ---------------------------------------------------------------------------------------------
def _review_estimate(r: ReviewRow, intervention: str = "the intervention") -> ReviewEstimate:
    est, lo, hi = r.harmonised()
    notes = []
    if r.orientation == "reversed":
        notes.append(Note("sign_reversed", f"{r.review_id}: sign reversed to {intervention} minus comparator "
                          f"(printed {r.estimate:g} [{r.ci_low:g}, {r.ci_high:g}])." if r.estimate is not None and r.ci_low is not None
                          else f"{r.review_id}: sign reversed to {intervention} minus comparator."))
    if r.orientation == "unclear" and r.estimate is not None:
        notes.append(Note("sign_unclear", f"{r.review_id}: sign convention not stated; shown as printed and not used as the primary estimate."))
    if r.k is not None and r.k_scope == "review_total":
        notes.append(Note("k_review_total", f"{r.review_id}: {r.k} is the number of trials in the whole review, not in this estimate."))
    return ReviewEstimate(
        review_row_id=r.review_row_id, review_id=r.review_id, citation=r.citation, year=r.year, population=r.population,
        comparison_as_stated=r.comparison_as_stated, timepoint_as_stated=r.timepoint_as_stated, reported_as=r.reported_as,
        measure=r.measure, estimate=est, ci_low=lo, ci_high=hi, estimate_as_reported=r.estimate,
        ci_low_as_reported=r.ci_low, ci_high_as_reported=r.ci_high, orientation=r.orientation, k=r.k, k_scope=r.k_scope,
        participants=r.participants, participants_scope=r.participants_scope, grade=r.grade, grade_reasons=r.grade_reasons,
        result_as_reported=r.result_as_reported, direction_note=r.direction_note, source=r.source,
        source_row=r.source_row or r.review_row_id, notes=tuple(notes), i2=r.i2, comparison_kind=r.comparison_kind,
        grade_level=source_grade(r.grade)[0])


#: the stated rule that picks a question's best source among the reviews reporting it (DESIGN.md 5b)
BEST_SOURCE_RULE = ("most direct comparison (a comparator without the intervention before comparators pooled with "
                    "other forms of it), then a usable estimate (a number with a CI and a stated sign) before words "
                    "only, then the most recent review, then a review that rated the outcome with GRADE, then the "
                    "largest number of trials, then the most participants, then file order")


def _usable_number(r: ReviewRow) -> bool:
    return r.reported_as == "numeric" and r.estimate is not None and r.orientation != "unclear" and r.ci_low is not None


def _best_source_key(r: ReviewRow, order: int) -> tuple[int, int, int, int, int, int, int]:
    """BEST_SOURCE_RULE as a sort key (smallest first)."""
    direct = 0 if r.comparison_kind == "comparative" else 1
    k = r.k if r.k is not None and r.k_scope != "review_total" else 0
    n = r.participants if r.participants is not None and r.participants_scope != "review_total" else 0
    return (direct, 0 if _usable_number(r) else 1, -(r.year or 0), 0 if source_grade(r.grade)[0] else 1,
            -k, -n, order)


_GRADE_WORDS = (("very low", "very_low"), ("very-low", "very_low"), ("very_low", "very_low"), ("moderate", "moderate"),
                ("low", "low"), ("high", "high"))
_LEVEL_ORDER = ("very_low", "low", "moderate", "high")


def source_grade(text: str | None) -> tuple[str | None, str]:
    """A review's own GRADE as printed ('very low', 'Very Low', 'low-to-moderate (overall)', 'low to
    moderate') -> (level on GRADE's scale or None, how it was read).  A range takes its lower level and
    says so; a rating on another scheme (the review's own 'level of evidence' scheme: strong, moderate,
    limited evidence) is not a GRADE rating and gives None."""
    raw = " ".join(str(text or "").split())
    if not raw:
        return None, ""
    t = raw.lower()
    if "level scheme" in t or "own scheme" in t or re.search(r"\b(strong|limited|conflicting) evidence\b", t):
        return None, f"'{raw}' is not a GRADE rating (the review's own levels of evidence); not used as a ceiling"
    head = re.split(r"[(;]", t)[0]
    found: list[str] = []
    pos = 0
    while pos < len(head):
        for word, level in _GRADE_WORDS:
            if head.startswith(word, pos):
                found.append(level)
                pos += len(word)
                break
        else:
            pos += 1
    if not found:
        return None, f"'{raw}' is not read as a GRADE level; not used as a ceiling"
    lowest = min(found, key=_LEVEL_ORDER.index)
    if len(set(found)) > 1:
        return lowest, (f"'{raw}' is a range; the lower level ({lowest.replace('_', ' ')}) is taken")
    return lowest, f"'{raw}' read as {lowest.replace('_', ' ')}"


def _significance_class(measure: str | None, est: float | None, lo: float | None, hi: float | None,
                        benefit: str) -> str | None:
    """favours_intervention / favours_comparator (the CI excludes no effect) or no_difference."""
    if measure is None or est is None or lo is None or hi is None:
        return None
    null = 1.0 if measure in RATIO_MEASURES else 0.0
    if lo <= null <= hi:
        return "no_difference"
    below = hi < null
    good = below if benefit == "lower" else not below
    return "favours_intervention" if good else "favours_comparator"


def _discordance(reviews: list[ReviewRow], narrative: list[dict[str, Any]], benefit: str) -> list[dict[str, Any]]:
    """Each review's direction/significance for the question; discordant when two reviews differ."""
    out: list[dict[str, Any]] = []
    narr = {n["row_id"]: n for n in narrative if n.get("kind") == "review"}
    for r in reviews:
        if _usable_number(r):
            est, lo, hi = r.harmonised()
            cls = _significance_class(r.measure, est, lo, hi, benefit)
            basis = "numeric"
        elif r.review_row_id in narr:
            cls = narr[r.review_row_id]["direction"]
            basis = "words"
        else:
            cls = None
            basis = ""
        if cls in ("favours_intervention", "favours_comparator", "no_difference"):
            out.append({"review_id": r.review_id, "review_row_id": r.review_row_id, "year": r.year,
                        "direction": cls, "basis": basis, "grade": r.grade})
    return out


# ---------------------------------------------------------------------------------------------
# results without numbers
# ---------------------------------------------------------------------------------------------
_NULL_WORDS = re.compile(r"no (statistically )?(significant )?(between[- ]group )?(difference|effect|change)|not (statistically )?"
                         r"significant|non-?significant|no differences|no added benefit|similar|equal to|no between", re.I)
DIRECTION_CLASSES = ("favours_intervention", "no_difference", "favours_comparator", "mixed", "unclear")

#: always understood, whatever the pack: words for the intervention arm and phrases for either side
_GENERIC_NAMES = ("the intervention", "intervention", "the intervention group", "intervention group",
                  "the experimental group", "experimental group", "the treatment group", "treatment group")
_GENERIC_FAV_COMPARATOR = ("favours control", "favours the control", "favours comparator", "favours the comparator",
                           "in favour of control", "in favour of the comparator")


def _phrase_re(phrases: tuple[str, ...]) -> re.Pattern[str] | None:
    """A case-insensitive pattern for any of ``phrases`` (spaces flexible; 'favours' also reads 'favors',
    'favour', 'favor')."""
    alts = []
    for p in sorted({" ".join(p.split()) for p in phrases if p.strip()}, key=len, reverse=True):
        words = [re.escape(w) for w in p.split()]
        for i, w in enumerate(words[:2]):
            if re.fullmatch(r"(?i)favou?rs?", w):
                words[i] = "favou?rs?"
        alts.append(r"\s+".join(words))
    if not alts:
        return None
    return re.compile(r"(?<![\w-])(?:" + "|".join(alts) + r")(?![\w-])", re.I)


@dataclass(frozen=True)
class _DirectionRules:
    """The direction patterns of one topic: the pack's names and phrases plus the generic ones."""

    fav: re.Pattern[str]
    other: re.Pattern[str]
    fav_phrases: re.Pattern[str] | None
    cmp_phrases: re.Pattern[str] | None
    unclear: re.Pattern[str] | None


_RULES_CACHE: dict[Topic, _DirectionRules] = {}


def _rules(topic: Topic) -> _DirectionRules:
    cached = _RULES_CACHE.get(topic)
    if cached is not None:
        return cached
    names = sorted({" ".join(n.split()).lower() for n in (*topic.synonyms, *_GENERIC_NAMES) if n.strip()},
                   key=len, reverse=True)
    nm = "|".join(r"\s+".join(re.escape(w) for w in n.split()) for n in names)
    end = r"(?![\w-])"
    # 'favours X', 'favours the X', 'favours Y + X', 'favours adding X' (X a name of the intervention)
    favoured = rf"(?:the\s+)?(?:{nm}){end}|[\w -]*\+\s*(?:{nm}){end}|adding\s+(?:{nm}){end}"
    fav = re.compile(rf"favou?rs?\s+(?:{favoured})|in\s+favou?r\s+of\s+(?:{favoured})|"
                     rf"(?<![\w-])(?:{nm})\s+(?:better|superior|improved|increases|effective|more)\b|"
                     rf"greater improvement with|"
                     rf"(?:better|superior|greater|larger)\s+(?:with|for|in)\s+(?:the\s+)?(?:{nm}){end}", re.I)
    other = re.compile(rf"favou?rs?\s+(?!of\s)(?!(?:{favoured}))([a-z][\w /+-]*)|"
                       rf"in\s+favou?r\s+of\s+(?!(?:{favoured}))([a-z][\w /+-]*)", re.I)
    out = _DirectionRules(fav, other, _phrase_re(topic.favours_intervention),
                          _phrase_re((*topic.favours_comparator, *_GENERIC_FAV_COMPARATOR)),
                          _phrase_re(topic.unclear_directions))
    _RULES_CACHE[topic] = out
    return out


def direction_class(text: str, topic: Topic | None = None) -> str:
    """Classify a reported direction ('favours the intervention', 'no effect', 'favours ultrasound',
    'X better than placebo; similar to other approaches', ...) into one of DIRECTION_CLASSES.

    The intervention is named by the ``topic``'s synonyms (``[question] intervention_synonyms``) and the
    generic words ('the intervention', 'intervention group'); the pack's ``[directions]`` phrases are read
    as favouring the intervention, the comparator, or neither (``unclear``: e.g. one form of the
    intervention over another).  'favours' followed by anything else favours the comparator.  Only the
    source's own words are used; anything not recognised is 'unclear'."""
    t = " ".join(str(text or "").split())
    if not t:
        return "unclear"
    r = _rules(topic or Topic())
    m = r.other.search(t)
    fav = bool(r.fav.search(t)) or bool(r.fav_phrases and r.fav_phrases.search(t)) or bool(
        re.search(r"\b(superior|better than|effective|decrease in pain)\b", t, re.I) and not m)
    if not fav and r.unclear is not None and r.unclear.search(t):
        return "unclear"  # the pack says these words do not tell which arm is the intervention
    other = bool(m) or bool(r.cmp_phrases and r.cmp_phrases.search(t))
    null = bool(_NULL_WORDS.search(t))
    if fav and null:
        return "no_difference" if re.search(r"but not|not statistically", t, re.I) else "mixed"
    if fav and other:
        return "mixed"
    if fav:
        return "favours_intervention"
    if other:
        return "favours_comparator"
    if null:
        return "no_difference"
    return "unclear"


_OUTCOME_WORDS = {"rom": ("rom", "range of motion", "range"), "disability": ("disab", "function", "ndi", "dash", "spadi"),
                  "quality_of_life": ("qol", "quality of life"), "ppt": ("ppt", "pressure pain", "sensitivity"),
                  "pain": ("pain",), "strength": ("strength",), "stiffness": ("stiff", "elastic")}


def _outcome_direction(text: str, outcome_id: str, outcome_name: str, all_outcomes: tuple[str, ...],
                       topic: Topic | None = None) -> str:
    """The direction a (possibly multi-outcome) statement reports for one outcome.

    A statement covering several outcomes ('X effective short term for pain, ROM, QoL; insufficient evidence
    for disability') is read clause by clause: the clause naming the outcome decides ('insufficient' -> unclear);
    when clauses name other outcomes but not this one the direction is 'unclear' for it (the source's words do
    not speak to it); a statement naming no outcome at all applies to every outcome it covers."""
    if len(all_outcomes) <= 1:
        return direction_class(text, topic)
    clauses = [c.strip() for c in re.split(r"[;.]", text) if c.strip()]

    def words(oid: str, name: str = "") -> tuple[str, ...]:
        return _OUTCOME_WORDS.get(oid, ()) + ((name.lower(),) if name else ())

    def mentions(clause: str, oid: str, name: str = "") -> bool:
        c = clause.lower()
        return any(re.search(rf"\b{re.escape(w)}", c) for w in words(oid, name) if w)

    mine = [c for c in clauses if mentions(c, outcome_id, outcome_name)]
    if mine:
        if any(re.search(r"insufficient|inconclusive|unclear", c, re.I) for c in mine):
            return "unclear"
        return direction_class("; ".join(mine), topic)
    if any(mentions(c, o) for c in clauses for o in all_outcomes if o != outcome_id):
        return "unclear"
    return direction_class(text, topic)


def _narrative(rows: list[ResultRow], reviews: list[ReviewRow], used: set[str], pack: Pack,
               outcome_id: str = "", outcome_name: str = "") -> list[dict[str, Any]]:
    """Every result of the cell that has no usable number: review narratives first, then trials."""
    out: list[dict[str, Any]] = []
    for r in reviews:
        unclear_sign = r.reported_as == "numeric" and r.estimate is not None and r.orientation == "unclear"
        if _usable_number(r):
            continue
        words = r.direction_note or r.result_as_reported or r.reported_as
        if r.reported_as == "numeric" and r.estimate is not None and not unclear_sign:
            # a number without a CI cannot be the estimate; its reported direction is kept as a result in words
            out.append({"kind": "review", "source_id": r.review_id, "row_id": r.review_row_id,
                        "reported_as": "numeric (no CI)", "direction_as_reported": r.direction_note,
                        "result_as_reported": f"{r.measure} {r.estimate:g} as printed, no CI"
                                              + (f"; {r.direction_note}" if r.direction_note else ""),
                        "direction": _outcome_direction(words, outcome_id, outcome_name, tuple(r.outcomes),
                                                        pack.topic),
                        "k": r.k, "k_scope": r.k_scope, "grade": r.grade, "citation": r.citation,
                        "n": r.participants if r.participants_scope == "estimate" else None, "rob": None,
                        "source": r.source, "source_row": r.source_row or r.review_row_id})
            continue
        if unclear_sign:
            # a number whose sign convention is not stated cannot be harmonised; only its significance is usable
            out.append({"kind": "review", "source_id": r.review_id, "row_id": r.review_row_id,
                        "reported_as": "numeric (sign convention unclear)", "direction_as_reported": r.direction_note,
                        "result_as_reported": f"{r.measure} {r.estimate:g} as printed, sign convention not stated; "
                                              f"{r.direction_note}",
                        "direction": "no_difference" if _NULL_WORDS.search(r.direction_note or "") else "unclear",
                        "k": r.k, "k_scope": r.k_scope, "grade": r.grade, "citation": r.citation,
                        "n": r.participants if r.participants_scope == "estimate" else None, "rob": None,
                        "source": r.source, "source_row": r.source_row or r.review_row_id})
            continue
        out.append({"kind": "review", "source_id": r.review_id, "row_id": r.review_row_id,
                    "reported_as": r.reported_as, "direction_as_reported": r.direction_note,
                    "result_as_reported": r.result_as_reported or r.reported_as,
                    "direction": _outcome_direction(f"{words}; {r.result_as_reported}", outcome_id, outcome_name,
                                                    tuple(r.outcomes), pack.topic),
                    "k": r.k, "k_scope": r.k_scope, "grade": r.grade, "citation": r.citation,
                    "n": r.participants if r.participants_scope == "estimate" else None, "rob": None,
                    "source": r.source, "source_row": r.source_row or r.review_row_id})
    for t in rows:
        if t.result_id in used:
            continue
        out.append({"kind": "trial", "source_id": t.study_id, "row_id": t.result_id, "reported_as": t.data_type,
                    "direction_as_reported": t.direction_reported, "result_as_reported": t.result_as_reported,
                    "p_value": t.p_value,
                    "direction": _outcome_direction(f"{t.direction_reported}; {t.result_as_reported}"
                                                    if t.direction_reported else t.result_as_reported,
                                                    outcome_id, outcome_name, tuple(t.outcomes), pack.topic),
                    "k": 1, "k_scope": "trial", "grade": "", "citation": pack.study(t.study_id).citation,
                    "n": _trial_n(t, pack), "rob": pack.study(t.study_id).rob_overall,
                    "source": t.source, "source_row": t.source_row or t.result_id})
    return out


def _overall_direction(items: list[dict[str, Any]]) -> str | None:
    if not items:
        return None
    classes = {i["direction"] for i in items if i["direction"] != "unclear"}
    if not classes:
        return "unclear"
    return classes.pop() if len(classes) == 1 else "mixed"


def _effect_unit(measure: str | None, unit: str) -> str:
    if measure is None:
        return ""
    if measure == "RD":
        return "proportion"
    if measure in RATIO_MEASURES:
        return "ratio"
    if measure == "SMD":
        return "SD units"
    return unit or "unit not stated by the source"


# ---------------------------------------------------------------------------------------------
# the cell
# ---------------------------------------------------------------------------------------------
def _fmt(v: float | None) -> str:
    return "NA" if v is None else f"{v:.3g}"


def _not_poolable(row: ResultRow, reason: str) -> NotPoolable:
    return NotPoolable(row.result_id, row.study_id, row.data_type, reason, row.result_as_reported,
                       row.p_value, row.direction_reported, row.source)


def _usable_rows(rows: list[ResultRow], pack: Pack, level: float,
                 not_poolable: list[NotPoolable]) -> list[tuple[ResultRow, TrialEstimate]]:
    """Classify the trial rows: usable (several results of one study are all kept; see _pooled_group and
    pipeline.pooling) or not poolable with the reason."""
    usable: list[tuple[ResultRow, TrialEstimate]] = []
    for row in rows:
        te, reason = _classify(row, pack, level)
        if te is None:
            not_poolable.append(_not_poolable(row, reason or "not poolable"))
            continue
        usable.append((row, te))
    return usable


def _resolve_arm_rows(usable: list[tuple[ResultRow, TrialEstimate]], outcome: Any, level: float,
                      notes: list[Note]) -> list[tuple[ResultRow, TrialEstimate]]:
    """Arm-level continuous rows become MD (one scale) or SMD (several scales, or the outcome's pool_measure)."""
    arm_rows = [r for r, t in usable if t.measure == "ARM"]
    if not arm_rows:
        return usable
    scales = {f"{r.instrument} | {r.unit}" for r in arm_rows}
    arm_measure = outcome.pool_measure or ("MD" if len(scales) == 1 else "SMD")
    if outcome.pool_measure is None and len(scales) > 1:
        notes.append(Note("smd_different_scales", f"Arm-level data on different instruments or scales "
                          f"({'; '.join(sorted(scales))}): pooled as SMD."))
    eff = _arm_effects(arm_rows, arm_measure)
    z = _z(level)
    resolved = {}
    for r, (yi, vi) in zip(arm_rows, eff):
        resolved[r.result_id] = (arm_measure, yi, vi, yi - z * math.sqrt(vi), yi + z * math.sqrt(vi))
    new = []
    for r, t in usable:
        if t.measure == "ARM":
            m, yi, vi, lo, hi = resolved[r.result_id]
            t = TrialEstimate(**{**t.to_dict(), "measure": m, "estimate": yi, "ci_low": lo, "ci_high": hi, "yi": yi, "vi": vi})
        new.append((r, t))
    return new


def _pooled_group(usable: list[tuple[ResultRow, TrialEstimate]], not_poolable: list[NotPoolable],
                  notes: list[Note]) -> list[tuple[ResultRow, TrialEstimate]]:
    """The largest set of rows on one measure (and for MD/RD one scale); the others are not poolable, with why."""
    groups: OrderedDict[tuple[str, str], list[tuple[ResultRow, TrialEstimate]]] = OrderedDict()
    for r, t in usable:
        # an MD (or RD) is combinable only on one instrument and scale; SMD/ratios across instruments
        gk = (t.measure, f"{t.instrument} | {t.unit}" if t.measure in ("MD", "RD") else "")
        groups.setdefault(gk, []).append((r, t))
    if not groups:
        return []
    # the most studies first, then the most rows (equal when each study gives one result)
    best = max(groups.items(), key=lambda kv: (len({r.study_id for r, _ in kv[1]}), len(kv[1]), kv[0][0] == "MD",
                                               -list(groups).index(kv[0])))
    pooled_group = best[1]
    studies = list(dict.fromkeys(r.study_id for r, _ in pooled_group))
    if len(studies) == 1 and len(pooled_group) > 1:
        # one study: no multilevel model (it needs results from at least 2 studies); its first result is
        # shown and the others are listed, never dropped
        first = pooled_group[0][0].result_id
        for r, _ in pooled_group[1:]:
            not_poolable.append(_not_poolable(
                r, f"another result of the same study is already used ({first}); several results of one study are "
                   "pooled by a multilevel model only with results from at least 2 studies, and this is the only "
                   "study with usable data on this measure"))
        pooled_group = pooled_group[:1]
    for gk, members in groups.items():
        if gk == best[0]:
            continue
        for r, t in members:
            same = next((u.result_id for u, _ in pooled_group if u.study_id == r.study_id), None)
            not_poolable.append(_not_poolable(
                r, (f"another result of the same study is already used ({same}), on a " if same else "")
                + f"different measure or scale ({t.measure}{', ' + t.unit if t.unit else ''}) "
                  f"from the {len(pooled_group)} row(s) used ({best[0][0]}{', ' + best[0][1] if best[0][1] else ''})"))
    if len(studies) == 1:
        mine = [r.result_id for r, _ in usable if r.study_id == studies[0]]
        if len(mine) > 1:
            notes.append(NoteCode.SEVERAL_RESULTS_PER_STUDY.note(
                f"{studies[0]} gives {len(mine)} usable results for this question ({', '.join(mine)}) and is the only "
                f"study with usable data on {best[0][0]}{', ' + best[0][1] if best[0][1] else ''}: a multilevel model "
                f"needs results from at least 2 studies, so only {mine[0]} is used and the others are listed as not "
                "poolable."))
    return pooled_group


@dataclass(frozen=True, slots=True, kw_only=True)
class _Estimate(EstimateCI):
    """The estimate a finding rests on (pooled trials, the primary review, one trial, or none): its measure,
    estimate and CI (``EstimateCI``) on the reporting scale, with the prediction interval when pooled."""

    basis: str = "trials"
    status: str = "no_estimate"
    pi_low: float | None = None
    pi_high: float | None = None
    k: int | None = None
    participants: int | None = None
    meta: MetaResult | MultilevelPool | None = None
    sources: tuple[str, ...] = ()
    trials: tuple[TrialEstimate, ...] = ()


def _trial_sources(pack: Pack, group: list[tuple[ResultRow, TrialEstimate]]) -> tuple[str, ...]:
    return tuple(f"{pack.study(r.study_id).citation} [{r.source_row or r.result_id}]" for r, _ in group)


def _pool_trials(pack: Pack, group: list[tuple[ResultRow, TrialEstimate]], method: str, test: str, level: float,
                 notes: list[Note]) -> _Estimate:
    """Random-effects pooling of k >= 2 trials on one measure (ratios back-transformed for reporting)."""
    from ..stats import meta_analysis

    m = group[0][1].measure
    yi = np.array([t.yi for _, t in group], dtype=float)
    vi = np.array([t.vi for _, t in group], dtype=float)
    meta = meta_analysis(yi, vi, method=method, test=test, level=level * 100,  # type: ignore[arg-type]  # canonical since FindingsSpec.make
                         study=[t.study_id for _, t in group], measure=m)
    tr = (lambda v: None if v is None else math.exp(v)) if m in RATIO_MEASURES else (lambda v: v)
    ns = [t.n for _, t in group]
    participants = int(sum(n for n in ns if n is not None)) if all(n is not None for n in ns) else None
    if participants is None:
        notes.append(Note("participants_unknown", "Participants not known for every pooled trial; total not given."))
    elif any(r.n1i is None or r.n2i is None for r, _ in group):
        notes.append(Note("participants_randomised", "Arm sizes not reported for every trial; participants counted as randomised in the whole trial."))
    trials_out = [t for _, t in group]
    w_raw = getattr(meta, "weights", None)
    w = [] if w_raw is None else [float(x) for x in np.asarray(w_raw, dtype=float).ravel()]
    if len(w) == len(trials_out):
        trials_out = [TrialEstimate(**{**t.to_dict(), "weight": float(wi)}) for t, wi in zip(trials_out, w)]
    for n in getattr(meta, "notes", ()) or ():
        notes.append(n)
    if m in RATIO_MEASURES:
        notes.append(Note("log_scale", f"{m} pooled on the log scale; estimate and CI exponentiated."))
    return _Estimate(basis="trials", status="pooled", measure=m, estimate=tr(_f(meta.estimate)),
                     ci_low=tr(_f(meta.ci_low)), ci_high=tr(_f(meta.ci_high)),
                     pi_low=tr(_f(getattr(meta, "pi_low", None))), pi_high=tr(_f(getattr(meta, "pi_high", None))),
                     k=len(group), participants=participants, meta=meta, sources=_trial_sources(pack, group),
                     trials=tuple(trials_out))


def _pool_several(pack: Pack, group: list[tuple[ResultRow, TrialEstimate]], method: str, test: str, level: float,
                  notes: list[Note]) -> _Estimate:
    """Several results of one study in a question of k >= 2 studies: multilevel model (results nested in
    studies, vcalc sampling covariance with rho) with CR2 cluster-robust inference (pipeline.pooling)."""
    from .pooling import DEFAULT_RHO, pool_multilevel, several_results

    m = group[0][1].measure
    pack_rho = getattr(pack, "analysis_rho", None)
    rho = DEFAULT_RHO if pack_rho is None else float(pack_rho)
    ml_method = method if method in ("REML", "ML") else "REML"
    study = [r.study_id for r, _ in group]
    pool = pool_multilevel(np.array([t.yi for _, t in group], dtype=float), np.array([t.vi for _, t in group], dtype=float),
                           study, [r.result_id for r, _ in group],
                           measure=m, rho=rho, level=level, method=ml_method)
    many = several_results(study)
    which = "; ".join(f"{s}: {', '.join(r.result_id for r, _ in group if r.study_id == s)}" for s in many)
    rho_from = "the pack's [analysis] rho" if pack_rho is not None else "default; set [analysis] rho in pack.toml"
    notes.append(NoteCode.SEVERAL_RESULTS_PER_STUDY.note(
        f"{len(many)} of {pool.k_studies} studies give several results for this question ({which}); all "
        f"{pool.k} results are pooled by a {pool.method_text}: rho = {rho:g} ({rho_from}). "
        + (f"The requested test ({test}) is replaced by the robust t-test. " if test != "t" else "")
        + (f"{method} is not available for the multilevel model; REML is used. " if ml_method != method else "")
        + "Moderator, sensitivity and small-study analyses are not run (they assume one result per study)."))
    tr = (lambda v: None if v is None else math.exp(v)) if m in RATIO_MEASURES else (lambda v: v)
    per_study: dict[str, int | None] = {}
    for r, t in group:
        n_rand = pack.study(r.study_id).n_randomised
        cur = per_study.get(r.study_id)
        cand = n_rand if n_rand is not None else t.n
        per_study[r.study_id] = None if cand is None else (cand if cur is None else max(cur, cand))
    participants = None if any(n is None for n in per_study.values()) else int(sum(per_study.values()))  # type: ignore[arg-type]
    if participants is None:
        notes.append(Note("participants_unknown", "Participants not known for every pooled trial; total not given."))
    else:
        notes.append(Note("participants_randomised", "Participants counted once per study (the number randomised, "
                          "else the largest comparison), not once per result."))
    trials_out = tuple(TrialEstimate(**{**t.to_dict(), "weight": float(w)}) for (_, t), w in zip(group, pool.weights))
    notes.extend(pool.notes)
    if m in RATIO_MEASURES:
        notes.append(Note("log_scale", f"{m} pooled on the log scale; estimate and CI exponentiated."))
    return _Estimate(basis="trials", status="pooled", measure=m, estimate=tr(pool.estimate), ci_low=tr(pool.ci_low),
                     ci_high=tr(pool.ci_high), pi_low=tr(pool.pi_low), pi_high=tr(pool.pi_high), k=pool.k_studies,
                     participants=participants, meta=pool, sources=_trial_sources(pack, group), trials=trials_out)


def _estimate(pack: Pack, rows: list[ResultRow], group: list[tuple[ResultRow, TrialEstimate]],
              primary: ReviewRow | None, revs: list[ReviewEstimate], method: str, test: str, level: float,
              notes: list[Note]) -> _Estimate:
    """Pooled trials (k >= 2 studies; a multilevel model when a study gives several results), else the primary
    review, else one trial, else no estimate (with a Note each)."""
    k_trials = len({r.study_id for r, _ in group})
    if k_trials >= 2 and len(group) > k_trials:
        return _pool_several(pack, group, method, test, level, notes)
    if k_trials >= 2:
        return _pool_trials(pack, group, method, test, level, notes)
    trials = tuple(t for _, t in group)
    if primary is not None:
        est, lo, hi = primary.harmonised()
        why = "no trial result in this pack" if not rows else \
            f"only {k_trials} trial{'s' if k_trials != 1 else ''} with usable data in this pack; at least 2 are needed to pool"
        notes.append(Note("rests_on_review", f"Rests on the pooled result of {primary.review_id} ({why})."))
        return _Estimate(basis="review", status="review", measure=primary.measure, estimate=est, ci_low=lo, ci_high=hi,
                         k=primary.k if primary.k_scope == "estimate" else None,
                         participants=primary.participants if primary.participants_scope == "estimate" else None,
                         sources=(f"{primary.citation} [{primary.source_row or primary.review_row_id}]",), trials=trials)
    if k_trials == 1:
        r, t = group[0]
        if r.n1i is None or r.n2i is None:
            notes.append(Note("participants_randomised", "Arm sizes not reported; participants = number randomised in the whole trial (all arms)."))
        notes.append(Note("single_trial", f"One trial with usable data ({r.study_id}); no pooling and no published pooled result with a usable number for this question."))
        return _Estimate(basis="trials", status="single_trial", measure=t.measure, estimate=t.estimate,
                         ci_low=t.ci_low, ci_high=t.ci_high, k=1, participants=t.n,
                         sources=_trial_sources(pack, group), trials=trials)
    sources = tuple(f"{rv.citation} [{rv.source_row}]" for rv in revs) + \
        tuple(f"{pack.study(r.study_id).citation} [{r.source_row or r.result_id}]" for r in rows)
    notes.append(Note("no_estimate", "No numeric estimate: the sources give only p-values, qualitative statements, "
                      "or results whose sign convention is unclear."))
    return _Estimate(basis="review" if revs else "trials", status="no_estimate", sources=sources, trials=trials)


def _compare_with_reviews(revs: list[ReviewEstimate], primary: ReviewRow | None, e: _Estimate,
                          notes: list[Note]) -> tuple[list[ReviewEstimate], str]:
    """The reviews (primary marked, difference from ours on the same measure) and the sentence comparing them."""
    status, measure, estimate, ci_low, ci_high = e.status, e.measure, e.estimate, e.ci_low, e.ci_high
    rev_out: list[ReviewEstimate] = []
    diffs: list[str] = []
    for rv in revs:
        diff = None
        if status == "pooled" and rv.estimate is not None and rv.measure == measure and rv.orientation != "unclear" \
                and measure not in RATIO_MEASURES and estimate is not None:
            diff = estimate - rv.estimate
            overlap = rv.ci_low is not None and ci_low is not None and ci_high is not None and rv.ci_high is not None \
                and not (ci_high < rv.ci_low or rv.ci_high < ci_low)
            diffs.append(f"{rv.review_id} {rv.measure} {_fmt(rv.estimate)} [{_fmt(rv.ci_low)}, {_fmt(rv.ci_high)}]: "
                         f"ours differs by {diff:+.3g} ({'CIs overlap' if overlap else 'CIs do not overlap'})")
        elif status == "pooled" and rv.estimate is not None and rv.measure == measure and measure in RATIO_MEASURES \
                and rv.orientation != "unclear" and estimate is not None and rv.estimate > 0:
            diffs.append(f"{rv.review_id} {rv.measure} {_fmt(rv.estimate)} [{_fmt(rv.ci_low)}, {_fmt(rv.ci_high)}]: "
                         f"ours / theirs = {estimate / rv.estimate:.3g}")
        elif status == "pooled" and rv.estimate is not None:
            diffs.append(f"{rv.review_id} {rv.measure} {_fmt(rv.estimate)}: not directly comparable "
                         f"({'different measure' if rv.measure != measure else 'sign convention unclear'})")
        is_primary = primary is not None and rv.review_row_id == primary.review_row_id
        rev_out.append(ReviewEstimate(**{**{f: getattr(rv, f) for f in rv.__slots__}, "primary": is_primary, "difference": diff}))
    if status == "pooled":
        cmp_text = ("Published pooled results for this question: " + "; ".join(diffs) + ".") if diffs else \
            "No published pooled result with a number for this question."
    elif status == "review" and primary is not None:
        alts = [rv.review_id for rv in rev_out if not rv.primary]
        cmp_text = f"Primary: {primary.review_id} ({primary.source_row or primary.review_row_id}), chosen by the best-source rule" + \
            (f"; alternatives: {', '.join(dict.fromkeys(alts))}" if alts else "") + "."
    else:
        cmp_text = ""
    if len({rv.review_id for rv in rev_out}) > 1:
        notes.append(Note("overlapping_reviews", "Several reviews report this question; they share trials and are "
                          "alternative summaries, never pooled with each other."))
    for rv in rev_out:
        notes.extend(rv.notes)
    return rev_out, cmp_text


def _finding(pack: Pack, key: tuple[str, str, str, str], rows: list[ResultRow], reviews: list[tuple[int, ReviewRow]],
             method: str, test: str, level: float) -> Finding:
    oid, tp, cid, pid = key
    outcome = pack.outcome(oid)
    comp = pack.comparison(cid)
    pop = pack.population(pid)
    notes: list[Note] = []
    not_poolable: list[NotPoolable] = []
    usable = _resolve_arm_rows(_usable_rows(rows, pack, level, not_poolable), outcome, level, notes)
    pooled_group = _pooled_group(usable, not_poolable, notes)

    revs = [_review_estimate(r, pack.topic.name) for _, r in reviews]
    candidates = [(o, r) for o, r in reviews if _usable_number(r)]
    primary = min(candidates, key=lambda c: _best_source_key(c[1], c[0]))[1] if candidates else None
    best = min(reviews, key=lambda c: _best_source_key(c[1], c[0]))[1] if reviews else None
    e = _estimate(pack, rows, pooled_group, primary, revs, method, test, level, notes)
    rev_out, cmp_text = _compare_with_reviews(revs, primary, e, notes)

    if any(t.unit == RD_PP_UNIT for _, t in pooled_group):
        notes.append(Note("rd_percentage_points", "Risk difference reported in percentage points (a value above 1 "
                          "cannot be a difference of proportions); divided by 100 to metafor's proportion scale "
                          "(0.24 = 24 percentage points)."))
    used_ids = {r.result_id for r, _ in pooled_group} if e.status in ("pooled", "single_trial") else set()
    narrative = _narrative(rows, [r for _, r in reviews], used_ids, pack, oid, outcome.name)
    reported_direction = _overall_direction(narrative) if e.estimate is None else None
    unit = _finding_unit(e.status, pooled_group, primary, outcome)
    ref = outcome.reference.to_dict() if outcome.reference else None

    kinds = {r.comparison_kind for r in rows} | {r.comparison_kind for _, r in reviews}
    kind = "between_forms" if kinds == {"between_forms"} else "comparative"
    mixed_comparator = kind == "comparative" and bool(kinds & {"between_forms", "partly_between_forms"})
    if kind == "between_forms":
        notes.append(Note("between_forms", f"Compares two forms of the intervention ({comp.label}); not an effect of "
                          "the intervention itself and never counted as favouring it."))
    elif mixed_comparator:
        notes.append(Note("comparator_includes_intervention", f"The comparator ({comp.label}) pools arms without the "
                          "intervention with other forms of it (comparison_kind partly_between_forms)."))
    src_level, src_note = source_grade(best.grade) if best is not None else (None, "")
    best_source = None
    if best is not None:
        why = "the only review of this question" if len(reviews) == 1 else \
            f"first of {len({r.review_id for _, r in reviews})} reviews by the best-source rule"
        best_source = {"rule": BEST_SOURCE_RULE, "review_row_id": best.review_row_id, "review_id": best.review_id,
                       "year": best.year, "grade": best.grade or None, "why": why}
        if src_note:
            notes.append(Note("source_grade", f"{best.review_id}'s own GRADE: {src_note}."))
    source_i2 = best.i2 if best is not None and primary is not None and best is primary and e.status == "review" else None
    disc = _discordance([r for _, r in reviews], narrative, outcome.benefit)
    discordant = len({d["direction"] for d in disc}) > 1 and len({d["review_id"] for d in disc}) > 1
    if discordant:
        notes.append(Note("discordant_reviews", "Reviews of this question disagree in direction or significance: "
                          + "; ".join(f"{d['review_id']} {d['direction'].replace('_', ' ')}" for d in disc) + "."))
    return Finding(
        outcome=oid, outcome_name=outcome.name, family=outcome.family, benefit=outcome.benefit, timepoint=tp,
        timepoint_label=pack.bucket_label(tp), comparison=cid, comparison_label=comp.label,
        comparator_kind=comp.kind, population=pid,
        population_label=pop.label if pop else ("all participants" if pid == "all" else pid), measure=e.measure,
        estimate=_f(e.estimate), ci_low=_f(e.ci_low), ci_high=_f(e.ci_high), k=e.k, participants=e.participants,
        basis=e.basis, status=e.status, sources=e.sources, unit=unit, pi_low=_f(e.pi_low), pi_high=_f(e.pi_high),
        mid=outcome.mid, mid_unit=outcome.mid_unit, mid_source=outcome.mid_source, reference=ref, meta=e.meta,
        trials=e.trials, not_poolable=tuple(not_poolable), reviews=tuple(rev_out),
        primary_review=primary.review_row_id if primary is not None else None, comparison_with_reviews=cmp_text,
        indirectness=tuple(j.to_dict() for j in pack.indirectness_for(oid, cid, pid)),
        population_broader=bool(pop and pop.broader), notes=tuple(notes), narrative=tuple(narrative),
        reported_direction=reported_direction, effect_unit=_effect_unit(e.measure, unit), kind=kind,
        comparator_includes_intervention=mixed_comparator, best_source=best_source, source_certainty=src_level,
        source_certainty_note=src_note, source_i2=source_i2, discordant=discordant, discordance=tuple(disc))


def _finding_unit(status: str, group: list[tuple[ResultRow, TrialEstimate]], primary: ReviewRow | None,
                  outcome: Any) -> str:
    if status in ("pooled", "single_trial") and group:
        t = group[0][1]
        if t.measure == "RD":
            return t.unit or ""
        return f"{t.instrument} {t.unit}".strip() if t.measure == "MD" else ""
    if status == "review" and primary is not None and primary.measure == "MD":
        return primary.unit
    return ""


# ---------------------------------------------------------------------------------------------
# safety
# ---------------------------------------------------------------------------------------------
def _safety(pack: Pack, method: str, test: str, level: float, measure: str) -> SafetySummary:
    from ..stats.proportions import clopper_pearson, meta_proportions, rule_of_three

    items: list[SafetyItem] = []
    other: list[dict[str, Any]] = []
    cases: list[dict[str, Any]] = []
    notes: list[Note] = []
    for s in pack.safety:
        if s.case_report:
            cases.append({"safety_id": s.safety_id, "source_id": s.source_id, "severity": s.severity, "event": s.event,
                          "population": s.population, "citation": s.citation, "source": s.source})
            continue
        denom = s.denominator
        if s.events is not None and denom is not None:
            lo, hi = clopper_pearson(s.events, denom, level * 100)
            items.append(SafetyItem(s.safety_id, s.source_id, s.design, s.severity, s.severity_as_reported, s.event,
                                    s.events, denom, s.denominator_basis, s.events / denom, lo, hi,
                                    rule_of_three(denom) if s.events == 0 else None, s.rate_as_reported,
                                    s.region_specific, s.source, s.citation))
        else:
            other.append({"safety_id": s.safety_id, "source_id": s.source_id, "severity": s.severity, "event": s.event,
                          "events": s.events, "denominator_basis": s.denominator_basis, "rate_as_reported": s.rate_as_reported,
                          "design": s.design, "region_specific": s.region_specific, "source": s.source})
    pools: list[SafetyPool] = []
    by_id = {s.safety_id: s for s in pack.safety}
    for basis in ("treatments", "patients"):
        for sev, classes in (("mild", ("mild",)), ("significant_or_serious", ("significant", "serious")), ("any", ("any",))):
            its = [i for i in items if i.denominator_basis == basis and i.severity in classes and by_id[i.safety_id].aggregate]
            if not its:
                if sev != "any" and pack.safety:
                    notes.append(Note("no_safety_counts", f"No aggregate {sev.replace('_', ' ')} adverse-event counts per {basis[:-1]} in the pack."))
                continue
            pnotes: list[Note] = []
            ev, tot = sum(i.events or 0 for i in its), sum(i.denominator or 0 for i in its)  # aggregate rows have counts
            zero_all = ev == 0
            ub = clopper_pearson(0, tot, level * 100)[1] if zero_all else None
            r3 = rule_of_three(tot) if zero_all else None
            props = [i.proportion for i in its if i.proportion is not None]
            if not all(i.region_specific for i in its):
                pnotes.append(Note("all_regions", "Counts include sources that are not specific to the question's "
                                   "population (region_specific = no in safety.csv)."))
            if len(its) >= SAFETY_MIN_POOL_K:
                res = meta_proportions([i.events for i in its], [i.denominator for i in its], measure=measure, method=method,
                                       test=test, level=level * 100, study=[i.source_id for i in its])
                pnotes.extend(res.notes)
                if any(i.events == 0 for i in its) and measure == "PLO":
                    pnotes.append(Note("zero_count", "A source with zero events: escalc adds 0.5 to its cells on the logit scale (metafor's default)."))
                pools.append(SafetyPool(sev, basis, measure, len(its), ev, tot, res.estimate, res.ci_low, res.ci_high,
                                        res.pi_low, res.pi_high, _f(getattr(res.meta, "i2", None)),
                                        _f(getattr(res.meta, "tau2", None)), ub, r3, tuple(its), res.meta, tuple(pnotes),
                                        min(props), max(props), True))
            elif len(its) >= 2:
                pnotes.append(Note("not_pooled_few_sources",
                                   f"Only {len(its)} sources: no pooled rate (a random-effects rate from fewer than "
                                   f"{SAFETY_MIN_POOL_K} heterogeneous surveys has an uninformative interval); each source's "
                                   "rate with its exact Clopper-Pearson CI and the range across sources are reported instead."))
                pools.append(SafetyPool(sev, basis, "not_pooled", len(its), ev, tot, None, None, None, None, None,
                                        None, None, ub, r3, tuple(its), None, tuple(pnotes), min(props), max(props), False))
            else:
                i = its[0]
                pnotes.append(Note("single_source", f"One source ({i.source_id}); exact Clopper-Pearson CI, no pooling."))
                pools.append(SafetyPool(sev, basis, "single", 1, ev, tot, i.proportion, i.ci_low, i.ci_high, None, None,
                                        None, None, ub, r3, tuple(its), None, tuple(pnotes), i.proportion, i.proportion, False))
    return SafetySummary(pools=tuple(pools), items=tuple(items), case_reports=tuple(cases), other=tuple(other),
                         notes=tuple(notes), event_types=_event_types(pack), min_pool_k=SAFETY_MIN_POOL_K)


#: keyword -> event type (first match wins, after the pack's own ``[safety.event_types]``); the event text of
#: each safety row is matched in lower case
_EVENT_TYPES: tuple[tuple[tuple[str, ...], str], ...] = (
    (("bruis", "haematoma", "hematoma"), "bruising"),
    (("bleed", "haemorrh", "hemorrh"), "bleeding"),
    (("pain during", "discomfort during"), "pain during treatment"),
    (("pain after", "soreness"), "pain or soreness after treatment"),
    (("aggravation",), "aggravation of symptoms"),
    (("syncope", "faint"), "fainting"),
)
_PCT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*%(\s+of treatments)?\s*$")


def _event_type(event: str, own: tuple[tuple[tuple[str, ...], str], ...] = ()) -> str | None:
    """The event type of a safety row's event text: the pack's own types (``own``) first, then the generic ones,
    else the text itself; None for an aggregate row."""
    e = event.lower()
    if e.startswith("any "):
        return None  # an aggregate row ("any mild AE"): not an event type
    for keys, name in (*own, *_EVENT_TYPES):
        if any(k in e for k in keys):
            return name
    return " ".join(event.split()) or None


def _cioms(p: float) -> str:
    return "common" if p >= 0.01 else ("uncommon" if p >= 0.001 else "rare")


def _event_types(pack: Pack) -> tuple[SafetyEventType, ...]:
    """Adverse events by type: the per-treatment rates the sources state (a plain 'x%' with a treatment
    denominator; nothing is back-calculated) and every other row naming the event."""
    groups: OrderedDict[tuple[str, str], tuple[list[Any], list[Any]]] = OrderedDict()
    for srow in pack.safety:
        name = _event_type(srow.event, pack.event_types)
        if name is None or srow.severity == "unclassified":
            continue
        sev = "serious" if srow.severity in ("significant", "serious") else srow.severity
        rates, mentions = groups.setdefault((name, sev), ([], []))
        m = _PCT.match(srow.rate_as_reported or "")
        if m and srow.denominator_basis == "treatments" and srow.n_treatments:
            rates.append({"safety_id": srow.safety_id, "source_id": srow.source_id, "event": srow.event,
                          "proportion": float(m.group(1)) / 100, "denominator": srow.n_treatments,
                          "rate_as_reported": srow.rate_as_reported, "source": srow.source})
        else:
            mentions.append({"safety_id": srow.safety_id, "source_id": srow.source_id, "event": srow.event,
                             "design": srow.design, "denominator_basis": srow.denominator_basis,
                             "rate_as_reported": srow.rate_as_reported, "events": srow.events, "source": srow.source})
    out = []
    for (name, sev), (rates, mentions) in groups.items():
        props = [r["proportion"] for r in rates]
        if props:
            words = sorted({_cioms(p) for p in props}, key=("rare", "uncommon", "common").index)
            freq = words[0] if len(words) == 1 else f"{words[0]} to {words[-1]}"
        else:
            freq = None
        out.append(SafetyEventType(name, sev, tuple(rates), tuple(mentions), min(props) if props else None,
                                   max(props) if props else None, freq))
    # event types with stated rates first (highest rate first), then the rest in file order
    out.sort(key=lambda e: (e.rate_high is None, -(e.rate_high or 0)))
    return tuple(out)


# ---------------------------------------------------------------------------------------------
# mechanisms
# ---------------------------------------------------------------------------------------------
def _mechanisms(pack: Pack) -> tuple[MechanismClaim, ...]:
    groups: OrderedDict[str, list[Any]] = OrderedDict()
    for c in pack.claims:
        groups.setdefault(c.claim, []).append(c)
    out = []
    for claim, rows in groups.items():
        sup = [c for c in rows if c.direction in ("supports", "partial")]
        strongest = max((c.support_kind for c in sup), key=lambda k: SUPPORT_RANK[k]) if sup else None
        strongest_any = max((c.support_kind for c in rows), key=lambda k: SUPPORT_RANK[k])
        ev = tuple(MechanismEvidence(c.claim_id, c.support_kind, c.direction, c.citation, c.finding, c.caveats, c.source)
                   for c in sorted(rows, key=lambda c: (-SUPPORT_RANK[c.support_kind], c.row)))
        out.append(MechanismClaim(claim, strongest, strongest_any, len(sup),
                                  sum(c.direction in ("does_not_support", "critical") for c in rows), ev))
    return tuple(out)


# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class FindingsSpec:
    """How findings are pooled: tau2 estimator, CI test, confidence level (a fraction, 0.95) and the
    safety proportion transform.  Build it with :meth:`make`, which validates once (level given as
    95 or 0.95)."""

    method: str = "REML"
    test: str = "knha"
    level: float = 0.95
    safety_measure: str = "PLO"

    @classmethod
    def make(cls, *, method: str = "REML", test: str = "knha", level: float = 95,
             safety_measure: str = "PLO") -> "FindingsSpec":
        """Canonical, validated options (aliases resolved; bad values raise SpecError naming the argument)."""
        return cls(canonical_method(method), check_choice("test", canonical_test(test), PACK_TESTS), check_level(level),
                   check_choice("safety_measure", safety_measure, SAFETY_MEASURES))


def build_findings(pack: Pack, spec: FindingsSpec | None = None) -> Summary:
    """What the evidence in ``pack`` says, outcome by outcome (ungraded); see the module docstring."""
    spec = spec or FindingsSpec.make()
    method, test, lev, safety_measure = spec.method, spec.test, spec.level, spec.safety_measure

    out_order = {o.id: i for i, o in enumerate(pack.outcomes)}
    tp_order = {b.id: i for i, b in enumerate(pack.buckets)}
    cmp_order = {c.id: i for i, c in enumerate(pack.comparisons)}
    pop_order = {p.id: i for i, p in enumerate(pack.populations)}

    def tp_key(tp: str) -> tuple[tuple[int, ...], int]:
        parts = tp.split("+")
        return (tuple(tp_order.get(p, 99) for p in parts), len(parts))

    cells: dict[tuple[str, str, str, str], tuple[list[ResultRow], list[tuple[int, ReviewRow]]]] = {}
    non_comparative: list[dict[str, Any]] = []
    for row in pack.results:
        pop = pack.study(row.study_id).population or "all"  # no population stated: "all participants"
        if _non_comparative_kind(row) is not None:
            non_comparative.append(_non_comparative_trial(pack, row, pop))
            continue
        for oid in row.outcomes:
            cells.setdefault((oid, row.timepoint, row.comparison, pop), ([], []))[0].append(row)
    for i, rv in enumerate(pack.reviews):
        if rv.comparison_kind == "intervention_in_all_arms":
            non_comparative.append(_non_comparative_review(pack, rv))
            continue
        for oid in rv.outcomes:
            cells.setdefault((oid, rv.timepoint, rv.comparison, rv.population), ([], []))[1].append((i, rv))
    keys = sorted(cells, key=lambda k: (out_order[k[0]], tp_key(k[1]), cmp_order[k[2]], pop_order.get(k[3], 99)))
    findings = tuple(_finding(pack, k, cells[k][0], cells[k][1], method, test, lev) for k in keys)
    findings = attach_robustness(findings, pack)  # moderators, sensitivity, small-study tests (K)

    return Summary(
        pack_id=pack.id, title=pack.title, question=dict(pack.question), pack_path=pack.path, method=method, test=test,
        level=lev, safety_measure=safety_measure, findings=findings,
        safety=_safety(pack, method, test, lev, safety_measure), mechanisms=_mechanisms(pack), pack=pack,
        non_comparative=tuple(non_comparative), notes=pack.notes, topic=pack.topic)


# ---------------------------------------------------------------------------------------------
# results that are not comparative effects of the intervention
# ---------------------------------------------------------------------------------------------
_NON_COMPARATIVE_WHY = {
    "within_group": "a change within one group only, not a comparison between groups",
    "intervention_in_all_arms": "the intervention is given in every arm (the trial tests something else)",
}


def _non_comparative_kind(row: ResultRow) -> str | None:
    """'intervention_in_all_arms' or 'within_group' for a trial row that is not an effect of the intervention."""
    if row.comparison_kind == "intervention_in_all_arms":
        return "intervention_in_all_arms"
    if row.data_type == "within_group":
        return "within_group"
    return None


def _non_comparative_trial(pack: Pack, row: ResultRow, pop: str) -> dict[str, Any]:
    kind = _non_comparative_kind(row) or ""
    return {"kind": kind, "why": _NON_COMPARATIVE_WHY[kind], "source_kind": "trial", "source_id": row.study_id,
            "row_id": row.result_id, "outcomes": list(row.outcomes),
            "outcome_names": [pack.outcome(o).name for o in row.outcomes], "timepoint": row.timepoint,
            "comparison": row.comparison, "comparison_label": pack.comparison(row.comparison).label,
            "population": pop, "data_type": row.data_type, "result_as_reported": row.result_as_reported,
            "direction_as_reported": row.direction_reported, "p_value": row.p_value,
            "citation": pack.study(row.study_id).citation, "source": row.source,
            "source_row": row.source_row or row.result_id}


def _non_comparative_review(pack: Pack, rv: ReviewRow) -> dict[str, Any]:
    return {"kind": "intervention_in_all_arms", "why": _NON_COMPARATIVE_WHY["intervention_in_all_arms"],
            "source_kind": "review", "source_id": rv.review_id, "row_id": rv.review_row_id,
            "outcomes": list(rv.outcomes), "outcome_names": [pack.outcome(o).name for o in rv.outcomes],
            "timepoint": rv.timepoint, "comparison": rv.comparison,
            "comparison_label": pack.comparison(rv.comparison).label, "population": rv.population,
            "data_type": rv.reported_as, "result_as_reported": rv.result_as_reported,
            "direction_as_reported": rv.direction_note, "p_value": rv.p_value, "citation": rv.citation,
            "source": rv.source, "source_row": rv.source_row or rv.review_row_id}
