"""Glue between :func:`evigrade.packs.summarize` and the GRADE rules.

* :func:`grade_input_from_finding` turns one pack ``Finding`` (plus the pack information it
  already carries: MID, reference instrument, per-study RoB and weights, indirectness judgements,
  the reviews' own ratings) into a :class:`GradeInput`.
* :func:`grade_finding` rates it and returns a :class:`FindingGrade` (rating, magnitude, statement).
* :func:`grade_summary` rates every finding of a ``Summary`` and returns a :class:`GradeReport`
  (family summaries, comparison contrasts, key messages, conclusion, safety rating, SoF table);
  ``evigrade.pipeline.grade_summary`` wraps it into a frozen ``GradedSummary``.

Decisions made here (documented because they change ratings):

* An SMD finding whose outcome MID is in natural units uses MID / reference SD as its MID when
  the pack names a reference instrument with an SD; otherwise the SMD default (0.2) applies.
* An MD finding uses the outcome MID only when the units agree (finding unit vs MID unit, when
  both are stated); otherwise no MID (imprecision judged against the null, size unclassified).
* Several indirectness judgements for one finding: the most serious one counts.
* Trials in a single-trial finding carry the whole weight; unknown RoB wording counts as unknown.
* The finding's ``source_certainty`` (its best source's own GRADE) and ``discordant`` go to GradeInput /
  NarrativeInput; the review's own I² (``source_i2``, 0-100) is used when there is no pooled meta.
* A finding without an estimate but with results in words is rated by ``assess_narrative`` (one vote per
  result with its participants and RoB) and worded by ``narrative_statement``; no size word.
* A between-forms finding is worded with ``kind='between_forms'``, naming the two forms from its best
  source's comparison as stated ('form A vs form B') or the pack's label.
* Key messages are neutral (issue 13): per family the headline is the most reliable body of evidence
  (``_best``: certainty, then comparator directness sham > add-on > active, then an estimate before a vote
  count, then participants), whatever its direction and never a between-forms finding, and the same
  sentence names the main null results for its outcome (``_null_results``).  Counts include the findings
  resting on results without a single estimate.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Mapping, cast

from .._access import finite_float as _num, get as _g
from ..results import Note, jsonable, jsonable_dict
from .assess import assess
from .config import RATIO_MEASURES, GradeConfig
from .families import (
    FindingSummaryItem,
    contrast_comparisons,
    item_kind,
    family_summary,
    mechanism_label,
    overall_conclusion,
    safety_rating,
)
from .magnitude import Magnitude, magnitude
from .model import CertaintyRating, GradeInput, NarrativeInput, Override, RobJudgement, StudyRoB, normalize_rob
from .rules import mid_unit_compatible
from .sof import SoFRow, sof_narrative_row, sof_row, sof_table

if TYPE_CHECKING:
    from ..pipeline import GradedSummary

__all__ = ["FindingGrade", "GradeReport", "KeyMessage", "key_messages", "effect_text", "finding_source", "grade_input_from_finding", "grade_finding", "grade_review_row",
           "grade_summary", "apply",
           "intervention_name"]

_INDIRECT_ORDER = {"none": 0, "serious": 1, "very_serious": 2}


@dataclass(frozen=True, slots=True)
class FindingGrade:
    """GRADE output for one finding."""

    input: GradeInput | NarrativeInput
    rating: CertaintyRating
    magnitude: Magnitude
    statement: str
    notes: tuple[Note, ...] = ()
    #: the size word the statement actually uses ('large', 'small', 'trivial'; language.statement_with_size),
    #: None when it uses none (plain verb, uncertain wording, very low certainty, no single estimate)
    size_claim: str | None = None

    @property
    def certainty(self) -> str:
        return self.rating.certainty

    @property
    def downgrades(self) -> tuple[dict[str, Any], ...]:
        return self.rating.downgrades


    def to_dict(self) -> dict[str, Any]:
        return {
            "certainty": self.rating.certainty,
            "symbols": self.rating.symbols,
            "downgrades": [dict(d) for d in self.rating.downgrades],
            "statement": self.statement,
            "size_claim": self.size_claim,
            "magnitude": self.magnitude.to_dict(),
            "rating": self.rating.to_dict(),
            "input": self.input.to_dict(),
            "notes": [n.to_dict() for n in self.notes],
        }


def _mid_for(finding: Any, measure: str, notes: list[Note]) -> tuple[float | None, str | None]:
    mid = _num(_g(finding, "mid"))
    src = _g(finding, "mid_source") or None
    if mid is None:
        return None, None
    if measure == "SMD":
        ref = _g(finding, "reference")
        sd = _num(_g(ref, "sd")) if ref else None
        if sd and sd > 0:
            notes.append(Note("mid_from_reference_sd",
                              f"MID {mid:g} {_g(finding, 'mid_unit', '') or ''} expressed as an SMD by dividing by the "
                              f"reference SD {sd:g} ({_g(ref, 'sd_source', '')}): {mid / sd:.3f}."))
            return mid / sd, f"{src or 'outcome MID'}; divided by reference SD {sd:g} ({_g(ref, 'sd_source', '')})"
        notes.append(Note("mid_units_differ", "The outcome's MID is in natural units but the finding is an SMD and no "
                                              "reference SD is given; the SMD default MID is used."))
        return None, None
    if measure in RATIO_MEASURES:
        return None, None  # natural-unit MIDs do not apply to ratios; the config default is used
    unit = str(_g(finding, "unit") or "")
    mid_unit = str(_g(finding, "mid_unit") or "")
    if not mid_unit_compatible(unit, mid_unit):
        notes.append(Note("mid_units_differ",
                          f"The outcome's MID ({mid:g} {mid_unit}) applies to another instrument or scale than this "
                          f"finding ({unit or 'unit not stated'}); no MID is used, so imprecision is judged against no "
                          "effect and the size of the effect is not classified."))
        return None, None
    return mid, src


def _indirectness(finding: Any) -> tuple[str | None, str | None]:
    js = list(_g(finding, "indirectness", ()) or ())
    best: tuple[int, str, str] | None = None
    for j in js:
        jj = str(_g(j, "judgement", "") or "").strip().lower().replace(" ", "_")
        if jj not in _INDIRECT_ORDER:
            continue
        cand = (_INDIRECT_ORDER[jj], jj, str(_g(j, "reason", "") or ""))
        if best is None or cand[0] > best[0]:
            best = cand
    if best is None:
        return None, None
    return best[1], best[2] or None


def _rob(finding: Any, notes: list[Note]) -> tuple[StudyRoB, ...]:
    trials = list(_g(finding, "trials", ()) or ())
    meta = _g(finding, "meta")
    if not trials:
        return ()
    used = [t for t in trials if _num(_g(t, "weight")) is not None] if meta is not None else trials
    if not used:
        used = trials
    out = []
    for t in used:
        w = _num(_g(t, "weight"))
        if w is None:
            w = 1.0 / len(used)
        try:
            j = normalize_rob(_g(t, "rob_overall"))
        except Exception:  # unknown wording: counted as unknown, and said so
            notes.append(Note("rob_wording_unknown", f"Risk-of-bias wording {_g(t, 'rob_overall')!r} not recognised; "
                                                     "counted as unknown.", study=_g(t, "study_id")))
            j = None
        pedro = _num(_g(t, "pedro"))
        out.append(StudyRoB(str(_g(t, "study_id", "?")), w, cast("RobJudgement | None", j), pedro))
    return tuple(out)


def _small_study_p(finding: Any, k: int | None) -> tuple[float | None, str | None]:
    """Egger's test p-value (evigrade.stats.bias) for a pooled finding with k >= 10."""
    meta = _g(finding, "meta")
    if meta is None or k is None or k < 10 or _g(meta, "model") == "multilevel":
        return None, None  # a multilevel pool (several results per study): Egger's test assumes one per study
    ss = _g(_g(finding, "robustness"), "small_study")  # evigrade.pipeline.robustness: Egger / Peters by outcome type
    if ss is not None and _g(ss, "assessable"):
        return _num(_g(ss, "pval")), _g(ss, "test")
    from .analysis import small_study_test

    return small_study_test(meta)


def _subgroup_explanations(finding: Any) -> tuple[tuple[str, float], ...]:
    """(moderator description, p) of the finding's subgroup/moderator tests below evigrade.pipeline.robustness.SUBGROUP_ALPHA."""
    rob = _g(finding, "robustness")
    if rob is None:
        return ()
    items = rob.subgroup_explanations() if hasattr(rob, "subgroup_explanations") else _g(rob, "subgroup_explanations", ())
    return tuple((str(_g(x, "description") or _g(x, "moderator")), float(_g(x, "pval"))) for x in items or ()
                 if _num(_g(x, "pval")) is not None)


def grade_input_from_finding(finding: Any, *, overrides: tuple[Override, ...] = (),
                             notes: list[Note] | None = None) -> GradeInput | None:
    """A :class:`GradeInput` for a pack Finding (object or its dict), or None without an estimate."""
    notes = notes if notes is not None else []
    measure = _g(finding, "measure")
    est, lo, hi = (_num(_g(finding, k)) for k in ("estimate", "ci_low", "ci_high"))
    if not measure or est is None or lo is None or hi is None:
        return None
    measure = str(measure).upper()
    if lo > hi:
        lo, hi = hi, lo
    meta = _g(finding, "meta")
    k = _g(finding, "k")
    k = int(k) if _num(k) is not None and int(k) >= 1 else None
    i2 = tau2 = pi_lo = pi_hi = None
    if meta is not None:
        i2, tau2 = _num(_g(meta, "i2")), _num(_g(meta, "tau2"))
        pi_lo, pi_hi = _num(_g(meta, "pi_low")), _num(_g(meta, "pi_high"))
        if measure in RATIO_MEASURES and pi_lo is not None and pi_hi is not None:
            pi_lo, pi_hi = math.exp(pi_lo), math.exp(pi_hi)  # MetaResult works on the log scale
    trials = list(_g(finding, "trials", ()) or ())
    study_est = tuple(v for v in (_num(_g(t, "estimate")) for t in trials if meta is None or _num(_g(t, "weight")) is not None)
                      if v is not None and (measure not in RATIO_MEASURES or v > 0))
    mid, mid_src = _mid_for(finding, measure, notes)
    ind, ind_reason = _indirectness(finding)
    if ind is None and _g(finding, "population_broader", False):
        ind_reason = "the population is broader than the pack's question, but no judgement was recorded"
    basis = _g(finding, "basis", "trials") or "trials"
    review_rating = review_reasons = None
    if basis == "review":
        prim = next((r for r in (_g(finding, "reviews", ()) or ()) if _g(r, "primary")), None)
        if prim is not None:
            review_rating = _g(prim, "grade") or None
            review_reasons = _g(prim, "grade_reasons") or None
    p, test = _small_study_p(finding, k)
    participants = _num(_g(finding, "participants"))
    if i2 is None and _num(_g(finding, "source_i2")) is not None:
        i2 = float(_g(finding, "source_i2")) / 100.0  # the review's own I² (pack: 0-100; GradeInput: a fraction)
    return GradeInput(**_question_inputs(finding),
        estimate=est, ci_low=lo, ci_high=hi, measure=measure, benefit=_g(finding, "benefit", "lower") or "lower",
        k=k, n=int(participants) if participants is not None else None,
        i2=i2, tau2=tau2, pi_low=pi_lo, pi_high=pi_hi, study_estimates=study_est if len(study_est) >= 2 else (),
        rob=_rob(finding, notes), mid=mid, mid_source=mid_src, indirectness_reason=ind_reason,
        indirectness=cast("Literal['none', 'serious', 'very_serious'] | None", ind),  # a key of _INDIRECT_ORDER
        small_study_p=p, small_study_test=test, basis="review" if basis == "review" else "trials",
        subgroup_explanations=_subgroup_explanations(finding),
        review_rating=review_rating, review_reasons=review_reasons, overrides=tuple(overrides),
        label=str(_g(finding, "outcome_name", "") or _g(finding, "outcome", "") or "") or None,
    )


def _question_inputs(finding: Any) -> dict[str, Any]:
    """What the question adds to a GradeInput: the best source's own GRADE (the ceiling) and whether
    reviews of the question disagree (only the fields this GradeInput knows; see grade/model.py)."""
    fields = getattr(GradeInput, "__dataclass_fields__", {})
    vals = {"source_certainty": _g(finding, "source_certainty") or None,
            "discordant": bool(_g(finding, "discordant", False))}
    return {k: v for k, v in vals.items() if k in fields}


def intervention_name(question: Any) -> str:
    """The short intervention name for statements, from the pack question (default 'the intervention')."""
    if isinstance(question, Mapping):
        for key in ("intervention_short", "intervention_name", "short_intervention", "intervention"):
            v = question.get(key)
            if isinstance(v, str) and v.strip() and len(v) <= 40:
                return v.strip()
    return "the intervention"


def _strip_paren(text: str) -> str:
    text = " ".join(str(text).split())
    return text.split(" (")[0].strip()


def _comparison_text(finding: Any) -> str | None:
    label = _strip_paren(_g(finding, "comparison_label", "") or _g(finding, "comparison", "") or "")
    return label or None


def _timeframe(finding: Any) -> str | None:
    tp = str(_g(finding, "timepoint", "") or "")
    parts = [p.replace("_", " ") for p in tp.split("+") if p]
    from ..language.statements import _TIMEFRAMES

    if parts and all(p in _TIMEFRAMES for p in parts):
        return " + ".join(parts)
    if tp in ("", "unspecified", "not_stated"):
        return None
    label = _strip_paren(_g(finding, "timepoint_label", "") or "")
    return label or None


def _timepoint_phrase(finding: Any) -> str | None:
    from ..language.statements import timeframe_phrase

    tf = _timeframe(finding)
    return timeframe_phrase(tf) or None if tf else None


def _population(finding: Any) -> str | None:
    label = _strip_paren(_g(finding, "population_label", "") or "")
    # 'low back pain', 'chronic pain', 'pain in any body region' (a broader population must be said,
    # or the sentence reads as if it were about everyone); 'all participants' and the like are left out
    return label if (label.endswith("pain") or " pain " in f" {label} ") else None


def grade_finding(finding: Any, config: GradeConfig | None = None, *, intervention: str = "the intervention",
                  overrides: tuple[Override, ...] = ()) -> FindingGrade | None:
    """Rate one Finding.  With an estimate: :func:`~evigrade.grade.assess`; without one but with results
    reported in words (direction, p-value): :func:`~evigrade.grade.assess_narrative` from the vote count;
    None when there is nothing to rate."""
    config = config or GradeConfig()
    notes: list[Note] = []
    inp = grade_input_from_finding(finding, overrides=overrides, notes=notes)
    if inp is None:
        return _grade_narrative(finding, config, intervention=intervention, overrides=overrides)
    rating = assess(inp, config)
    ref = _g(finding, "reference")
    sd = _num(_g(ref, "sd")) if ref and inp.measure == "SMD" else None
    mag = magnitude(inp, config, reference_sd=sd,
                    reference_instrument=_g(ref, "instrument") if sd else None,
                    reference_units=_g(ref, "scale") if sd else None,
                    reference_source=_g(ref, "sd_source") if sd else None)
    from ..language.statements import statement_with_size

    named = _sentence_names(finding, intervention)
    text, used = statement_with_size(rating, mag, **named,
                                     comparator_active=named["kind"] == "comparative" and item_kind(finding) == "active",
                                     event=str(inp.measure).upper() in ("RR", "OR", "RD", "PETO"))
    return FindingGrade(inp, rating, mag, text, tuple(notes), used)


def _sentence_names(finding: Any, intervention: str) -> dict[str, Any]:
    """What the sentence of a finding names, for ``statement_with_size`` and ``narrative_statement`` alike: the
    outcome, time frame, intervention (between forms: the two forms, see ``_forms``), comparison, population and
    the kind of contrast."""
    forms = str(_g(finding, "kind", "") or "") == "between_forms"
    x, cmp_phrase = _forms(finding, intervention) if forms else (intervention, None)
    return {"outcome_name": str(_g(finding, "outcome_name", "") or "the outcome"), "timeframe": _timeframe(finding),
            "intervention": x, "comparison": _comparison_text(finding), "population": _population(finding),
            "kind": "between_forms" if forms else "comparative", "comparator_phrase": cmp_phrase}


def _forms(finding: Any, intervention: str) -> tuple[str, str | None]:
    """The two forms a between-forms finding compares: the best source's own words when it names them
    ('high dose vs low dose' -> 'high dose', 'compared with low dose'), else the intervention and the pack's
    comparison label ('compared with another form of the intervention')."""
    best = _g(finding, "best_source") or {}
    for r in _g(finding, "reviews", ()) or ():
        said = " ".join(str(_g(r, "comparison_as_stated", "") or "").split())
        if _g(r, "review_row_id") == _g(best, "review_row_id") and " vs " in said:
            a, b = said.split(" vs ", 1)
            return a.strip(), f"compared with {b.strip()}"
    return intervention, None


_VOTE = {"favours_intervention": "favours_intervention", "favours_comparator": "favours_comparator",
         "no_difference": "no_difference"}


def _grade_narrative(finding: Any, config: GradeConfig, *, intervention: str,
                     overrides: tuple[Override, ...] = ()) -> FindingGrade | None:
    """Evidence without a single estimate (Murad 2017; SWiM): one vote per result reported in words, with
    its participants and risk of bias; the best source's own GRADE and the reviews' discordance apply as
    for an estimate.  Size words are never used."""
    from ..language import narrative_statement
    from .assess import assess_narrative
    from .model import NarrativeInput, Vote

    items = list(_g(finding, "narrative", ()) or ())
    if not items or _num(_g(finding, "estimate")) is not None:
        return None
    votes = []
    for n in items:
        rob: Any = None
        try:
            rob = normalize_rob(_g(n, "rob")) if _g(n, "rob") else None
        except Exception:  # unknown wording counts as unknown (as for trials with an estimate)
            rob = None
        nn = _num(_g(n, "n"))
        votes.append(Vote(_VOTE.get(str(_g(n, "direction", "")), "unclear"),  # type: ignore[arg-type]
                          int(nn) if nn is not None else None, rob, str(_g(n, "source_id", "") or "") or None))
    ind, ind_reason = _indirectness(finding)
    if ind is None and _g(finding, "population_broader", False):
        ind_reason = "the population is broader than the pack's question, but no judgement was recorded"
    k = len({str(_g(n, "source_id")) for n in items})
    inp = NarrativeInput(votes=tuple(votes), **_question_inputs(finding),
                         indirectness=cast("Literal['none', 'serious', 'very_serious'] | None", ind),
                         indirectness_reason=ind_reason, k=k, overrides=tuple(overrides),
                         label=str(_g(finding, "outcome_name", "") or _g(finding, "outcome", "") or "") or None)
    rating = assess_narrative(inp, config)
    text = narrative_statement(rating, inp, **_sentence_names(finding, intervention),
                               benefit=str(_g(finding, "benefit", "") or "") or None)
    return FindingGrade(inp, rating, _NO_MAGNITUDE, text, ())


#: a finding without a single estimate has no size and no CI: nothing is claimed about either
_NO_MAGNITUDE = Magnitude(size="unclassified", direction="none", change="none", basis="no estimate", bands=None,
                          mid=None, mid_source=None, ci_includes_null=True, ci_includes_important_benefit=None,
                          ci_includes_important_harm=None)


def grade_review_row(finding: Any, review: Any, config: GradeConfig | None = None, *,
                     intervention: str = "the intervention") -> FindingGrade | None:
    """Rate one published review's pooled result (``finding.reviews[i]``, primary or alternative) in
    the finding's context (outcome MID, benefit direction, indirectness), carrying that review's
    own rating beside ours.  None when the review row has no numeric estimate."""
    if _num(_g(review, "estimate")) is None or not _g(review, "measure"):
        return None
    view = {
        "outcome": _g(finding, "outcome"), "outcome_name": _g(finding, "outcome_name"),
        "family": _g(finding, "family"), "benefit": _g(finding, "benefit"), "timepoint": _g(finding, "timepoint"),
        "timepoint_label": _g(finding, "timepoint_label"), "comparison": _g(finding, "comparison"),
        "comparison_label": _g(finding, "comparison_label"), "population": _g(finding, "population"),
        "population_label": _g(finding, "population_label"),
        "population_broader": _g(finding, "population_broader", False),
        "measure": _g(review, "measure"), "estimate": _g(review, "estimate"), "ci_low": _g(review, "ci_low"),
        "ci_high": _g(review, "ci_high"), "k": _g(review, "k"), "participants": _g(review, "participants"),
        "unit": _g(review, "unit") or (_g(finding, "unit") if _g(review, "primary") else "") or "", "basis": "review", "mid": _g(finding, "mid"),
        "mid_unit": _g(finding, "mid_unit"), "mid_source": _g(finding, "mid_source"),
        "reference": _g(finding, "reference"), "indirectness": _g(finding, "indirectness", ()),
        "meta": None, "trials": (),
        "reviews": ({"primary": True, "grade": _g(review, "grade"), "grade_reasons": _g(review, "grade_reasons")},),
    }
    return grade_finding(view, config, intervention=intervention)


@dataclass(frozen=True, slots=True)
class KeyMessage:
    """One line of the summary's key messages, derived from the rated findings (never written by hand).

    ``kind``: "effect" (one per outcome family), "practice" (how the intervention compares as an add-on
    and against other active treatments), "mechanisms", "safety".  ``certainty`` is the GRADE
    certainty of the finding the line rests on (None when nothing could be rated); ``finding`` the key
    (outcome, timepoint, comparison, population) of that finding.
    """

    kind: str
    topic: str
    text: str
    certainty: str | None = None
    certainty_range: str | None = None
    sources: tuple[str, ...] = ()
    finding: tuple[str, ...] | None = None
    #: the one-line message (``text`` adds the family context and the results reported without numbers)
    headline: str = ""

    def to_dict(self) -> dict[str, Any]:
        return jsonable_dict({"kind": self.kind, "topic": self.topic, "headline": self.headline or self.text,
                              "text": self.text, "certainty": self.certainty,
                              "certainty_range": self.certainty_range, "sources": list(self.sources),
                              "finding": list(self.finding) if self.finding else None})


#: preferences when several findings could carry a family's key message (after certainty)
_KIND_PREF = {"sham": 3, "add_on": 2, "usual_care": 1, "active": 1}
_TP_PREF = {"short_term": 4, "immediate": 3, "mid_term": 2, "long_term": 1}
_EFFECT_KINDS = ("sham", "add_on", "usual_care", "active")


def _cert_words(c: str | None) -> str:
    return "not rated" if c is None else c.replace("_", " ")


def _fmt_num(v: float | None) -> str:
    if v is None:
        return "NA"
    return f"{v:.2f}" if abs(v) < 1000 else f"{v:,.0f}"


def effect_text(finding: Any) -> str:
    """'MD -2.31 (95% CI -3.64 to -0.99; points (scale not stated in abstract))' with the unit made explicit."""
    m, est, lo, hi = (_g(finding, k) for k in ("measure", "estimate", "ci_low", "ci_high"))
    if est is None:
        return "no numeric estimate"
    unit = str(_g(finding, "effect_unit", "") or "")
    if m == "RD":
        return (f"RD {est:.2f} (95% CI {lo:.2f} to {hi:.2f}), i.e. {100 * est:.0f} percentage points "
                f"(95% CI {100 * lo:.0f} to {100 * hi:.0f})")
    tail = "" if not unit or unit in ("ratio", "SD units") else f"; {unit}"
    return f"{m} {_fmt_num(est)} (95% CI {_fmt_num(lo)} to {_fmt_num(hi)}{tail})"


def _narrative_sources(finding: Any) -> list[str]:
    return list(dict.fromkeys(str(_g(n, "source_id")) for n in (_g(finding, "narrative", ()) or ())))


def _evidence_text(finding: Any) -> str:
    """'SMD -1.07 (95% CI -1.87 to -0.27); Liu2015', or for evidence without a single estimate
    '2 results without a single estimate: Kietrys2013, Liu2015'."""
    if _num(_g(finding, "estimate")) is not None:
        return f"{effect_text(finding)}; {finding_source(finding)}"
    n = len(list(_g(finding, "narrative", ()) or ()))
    return f"{n} result{'s' if n != 1 else ''} without a single estimate: {', '.join(_narrative_sources(finding))}"


def _body_n(finding: Any) -> float:
    """Participants behind a body of evidence: the estimate's, or the sum of the known participants of the
    results reported without an estimate (one count per source); -1 when unknown."""
    n = _num(_g(finding, "participants"))
    if n is not None:
        return n
    if _num(_g(finding, "estimate")) is not None:
        return -1.0
    per: dict[str, float] = {}
    for it in _g(finding, "narrative", ()) or ():
        v = _num(_g(it, "n"))
        if v is not None:
            per[str(_g(it, "source_id"))] = max(per.get(str(_g(it, "source_id")), 0.0), v)
    return sum(per.values()) if per else -1.0


def finding_source(finding: Any) -> str:
    """Short source label: the primary review id, 'N trials pooled', or the single trial's id."""
    status = _g(finding, "status")
    if status == "review":
        rv = next((r for r in (_g(finding, "reviews", ()) or ()) if _g(r, "primary")), None)
        if rv is not None:
            return str(_g(rv, "review_id"))
    trials = [str(_g(t, "study_id")) for t in (_g(finding, "trials", ()) or ())]
    if status == "pooled" and len(set(trials)) < len(trials):  # several results per study (multilevel pool)
        studies = list(dict.fromkeys(trials))
        return f"{len(studies)} trials ({len(trials)} results) pooled ({', '.join(studies)})"
    if status == "pooled":
        return f"{len(trials)} trials pooled ({', '.join(trials)})"
    if trials:
        return trials[0]
    return ""


def _best(cands: list[tuple[Any, FindingGrade]]) -> tuple[Any, FindingGrade] | None:
    """The most reliable body of evidence, whatever its direction: highest certainty, then the most direct
    comparator for efficacy (sham or placebo, then add-on, then active treatments), then the most
    participants, then an estimate before results without one; the time frame breaks ties."""
    if not cands:
        return None
    from .model import level_number

    def key(c: tuple[Any, FindingGrade]) -> tuple[int, int, bool, float, int]:
        f, g = c
        return (level_number(g.certainty), _KIND_PREF.get(item_kind(f), 0), _num(_g(f, "estimate")) is not None,
                _body_n(f),
                _TP_PREF.get(str(_g(f, "timepoint", "")), 0))
    return max(cands, key=key)


def _verdict(f: Any, g: FindingGrade) -> str:
    return _item(f, g).verdict


def _related_mechanisms(family: str, mechanisms: Any) -> str:
    """Mechanism claims whose name contains the family's name (e.g. 'muscle stiffness'), with their label and
    the directions of their rows -- so that what the mechanistic trials found is not lost."""
    out = []
    for m in mechanisms or ():
        claim = str(_g(m, "claim", ""))
        if family.lower() not in claim.lower():
            continue
        ev = list(_g(m, "evidence", ()) or ())
        dirs: dict[str, int] = {}
        for e in ev:
            d = str(_g(e, "direction", "") or "unstated").replace("_", " ")
            dirs[d] = dirs.get(d, 0) + 1
        lab = _g(m, "label") or mechanism_label(ev)
        ids = ", ".join(str(_g(e, "claim_id")) for e in ev)
        out.append(f"Related mechanism claim '{claim}': {lab} ({len(ev)} rows: "
                   + ", ".join(f"{v} {k}" for k, v in dirs.items()) + f"; {ids}).")
    return " ".join(out)


def _range_words(rng: str | None) -> str:
    """'very low to moderate' -> 'certainty across the family ranges from very low to moderate'."""
    r = str(rng or "").replace("_", " ").strip()
    if not r:
        return "certainty across the family is not rated"
    return f"certainty across the family ranges from {r}" if " to " in r else f"certainty across the family is {r}"


def _scope(findings: list[Any]) -> str:
    """'against sham, as an add-on or against active treatments': the comparison groups of the question's
    populations that the summary has (a 'sham' group of no-treatment comparisons only reads 'against no
    treatment')."""
    kinds = {item_kind(f) for f in findings if not _g(f, "population_broader", False)
             and str(_g(f, "kind", "comparative")) != "between_forms"}
    declared = {str(_g(f, "comparator_kind", "") or "") for f in findings if item_kind(f) == "sham"}
    words = {"sham": "against sham" if declared & {"sham", ""} else "against no treatment",
             "add_on": "as an add-on", "usual_care": "against usual care", "active": "against active treatments"}
    parts = [words[k] for k in _EFFECT_KINDS if k in kinds]
    if not parts:
        return ""
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " or " + parts[-1]


def _family_context(n_fav: int, n_core: int, n_words: int, intervention: str, rng: str | None,
                    scope_kinds: str = "against sham, as an add-on or against active treatments") -> str:
    """'3 of 12 findings in the question's populations (against sham, as an add-on or against active
    treatments; 7 of them reported without a single estimate) favour the intervention; certainty across the
    family ranges from very low to moderate.'  Counts include the results reported without numbers."""
    bits = [x for x in (scope_kinds, f"{n_words} of them reported without a single estimate" if n_words else "") if x]
    scope = "in the question's populations" + (f" ({'; '.join(bits)})" if bits else "")
    if n_core == 1:  # the key message's own finding: its sentence already says what it shows
        head = f"This is the only finding {scope}"
    elif n_fav == 0:
        head = f"None of the {n_core} findings {scope} favours {intervention}"
    else:
        head = f"{n_fav} of {n_core} findings {scope} favour {intervention}"
    return f"{head}; {_range_words(rng)}."


def _counts_as_favouring(f: Any, g: FindingGrade | None) -> bool:
    """Rated: its verdict; not rated (no single estimate): the direction its results report."""
    if g is not None:
        return _verdict(f, g) == "favours"
    return _num(_g(f, "estimate")) is None and _g(f, "reported_direction") == "favours_intervention"


def _is_null(f: Any, g: FindingGrade | None) -> bool:
    """A result that does not show an effect: rated with a CI including no effect, or reported without
    numbers as no (significant) difference."""
    if g is not None and _num(_g(f, "estimate")) is not None:
        return bool(g.magnitude.ci_includes_null)
    return bool(_g(f, "reported_direction") == "no_difference")


def _null_results(best: Any, pairs: list[tuple[Any, FindingGrade | None]], limit: int = 4) -> str:
    """'no effect shown in NavarroSantana2020 (vs any comparator; in the short term, not rated); ...': the main
    null results for the headline's outcome: reviews of the headline's own question that found no
    significant effect, then null results against the same kind of comparator (reviews before trials),
    then null results of reviews against other comparators without the intervention, the most reliable
    first (the headline's own source at other time frames included)."""
    from .model import level_number

    outcome, kind = _g(best, "outcome"), item_kind(best)
    own = {finding_source(best), *_narrative_sources(best)}
    bits: list[tuple[tuple[int, int, float, float], str]] = []
    for d in _g(best, "discordance", ()) or ():
        if _g(d, "direction") == "no_difference" and _g(d, "review_id") not in own:
            bits.append(((0, 0, 0.0, 0.0), f"{_g(d, 'review_id')} (same question)"))
    for f, g in pairs:
        if f is best or _g(f, "outcome") != outcome or str(_g(f, "kind", "comparative")) == "between_forms" \
                or not _is_null(f, g):
            continue
        numeric = g is not None and _num(_g(f, "estimate")) is not None
        if numeric:
            src, review = finding_source(f), _g(f, "basis") == "review"
        else:
            items = [n for n in (_g(f, "narrative", ()) or ()) if _g(n, "direction") == "no_difference"]
            review = any(_g(n, "kind") == "review" for n in items)
            items = [n for n in items if _g(n, "kind") == "review"] if review else items
            src = ", ".join(dict.fromkeys(str(_g(n, "source_id")) for n in items))
        same_kind = item_kind(f) == kind
        if not src or not (review or same_kind):
            continue
        tp = _timepoint_phrase(f) or str(_g(f, "timepoint_label", "") or _g(f, "timepoint", ""))
        where = "" if same_kind else f"vs {_comparison_text(f)}; "
        cert = f"{_cert_words(g.certainty)} certainty" if g is not None else "not rated"
        key = (1 if same_kind else 2, 0 if review else 1, -(level_number(g.certainty) if g is not None else 0),
               -_body_n(f))
        bits.append((key, f"{src} ({where}{tp}, {cert})"))
    texts = list(dict.fromkeys(t for _, t in sorted(bits, key=lambda b: b[0])))
    if not texts:
        return ""
    more = len(texts) - limit
    return "no effect shown in " + "; ".join(texts[:limit]) + (f"; and {more} more" if more > 0 else "")


def _family_messages(findings: list[Any], graded: list[FindingGrade | None], families: tuple[Any, ...],
                     intervention: str, mechanisms: Any = ()) -> list[KeyMessage]:
    """One message per family.  The headline is the most reliable body of evidence (``_best``), whatever
    its direction, never a comparison between two forms of the intervention; the same sentence names the
    main null results for that question.  Counts include the findings reported without numbers."""
    from .families import narrative_phrase

    out = []
    for fam in families:
        name = fam.family
        pairs = [(f, g) for f, g in zip(findings, graded) if str(_g(f, "family", "")) == name]
        effect = [(f, g) for f, g in pairs if str(_g(f, "kind", "comparative")) != "between_forms"]
        rated = [(f, g) for f, g in effect if g is not None]

        def in_core(f: Any) -> bool:
            return not _g(f, "population_broader", False) and item_kind(f) in _EFFECT_KINDS

        core = [(f, g) for f, g in rated if in_core(f)]
        core_all = [(f, g) for f, g in effect if in_core(f) and (g is not None or _g(f, "narrative"))]
        n_words = sum(_num(_g(f, "estimate")) is None for f, _ in core_all)
        n_fav = sum(_counts_as_favouring(f, g) for f, g in core_all)
        label = name[0].upper() + name[1:]
        no_effect_reviews = [n for n in fam.narratives if _g(n, "kind") == "review"
                             and _g(n, "direction") in ("no_difference", "favours_comparator")
                             and not str(_g(n, "population_label", "")).startswith("musculoskeletal")]
        extra = ""
        if no_effect_reviews:
            extra = " Reported without numbers: " + "; ".join(narrative_phrase(n, intervention, compact=True)
                                                             for n in no_effect_reviews) + "."
        best = _best(core) or _best(rated)
        if best is not None:
            f, g = best
            ctx = " " + _family_context(n_fav, len(core_all), n_words, intervention, fam.certainty_range,
                                        _scope(findings))
            if best not in core:
                ctx = (f" This rests on a broader population or mixed comparators; "
                       f"{_range_words(fam.certainty_range)}.")
            nulls = _null_results(f, pairs)
            headline = (f"{label}: {g.statement[:-1]} ({_cert_words(g.certainty)} certainty; {_evidence_text(f)})"
                        + (f"; {nulls}" if nulls else "") + ".")
            text = f"{headline}{ctx}{extra}"
            out.append(KeyMessage("effect", name, text, g.certainty, fam.certainty_range,
                                  tuple(x for x in [finding_source(f)] if x),
                                  tuple(str(_g(f, k)) for k in ("outcome", "timepoint", "comparison", "population")),
                                  headline=headline))
        elif fam.narratives:
            reviews = [n for n in fam.narratives if _g(n, "kind") == "review"]
            trials = [n for n in fam.narratives if _g(n, "kind") != "review"]
            bits = [narrative_phrase(n, intervention) for n in reviews]
            if 0 < len(trials) <= 3:
                bits.extend(narrative_phrase(n, intervention) for n in trials)
            elif trials:
                counts = fam.narrative_counts
                words = (("favours_intervention", f"favour {intervention}"), ("no_difference", "no difference"),
                         ("favours_comparator", "favour the comparator"), ("mixed", "mixed"), ("unclear", "unclear"))
                bits.append(f"{len(trials)} trial results without an effect estimate ("
                            + ", ".join(f"{counts[k]} {w}" for k, w in words if counts.get(k)) + ")")
            text = f"{label}: no numeric estimate, so certainty is not rated; " + "; ".join(bits) + "."
            rel = _related_mechanisms(name, mechanisms)
            if rel:
                text += " " + rel
            n_narr = len(fam.narratives)
            who = ", ".join(dict.fromkeys(str(_g(n, "source_id")) for n in fam.narratives))
            headline = (f"{label}: no numeric estimate, so certainty is not rated "
                        f"({n_narr} result{'s' if n_narr != 1 else ''} reported without numbers: {who}).")
            out.append(KeyMessage("effect", name, text, None, None,
                                  tuple(dict.fromkeys(str(_g(n, "source_id")) for n in fam.narratives)),
                                  headline=headline))
    return out


def _practice_messages(findings: list[Any], graded: list[FindingGrade | None], intervention: str) -> list[KeyMessage]:
    """How the intervention does as an add-on and against other active treatments: the most reliable
    finding rated low certainty or better (``_best``, whatever its direction), the main null results of
    its question, and the counts by verdict."""
    out = []
    heads = {"add_on": f"Added to another therapy ({intervention} + X compared with X alone)",
             "usual_care": f"Instead of usual care ({intervention} compared with usual care)",
             "active": f"Instead of another active treatment ({intervention} compared with that treatment)",
             "sham": "Compared with sham or no treatment"}
    for kind in ("add_on", "usual_care", "active"):
        cands = [(f, g) for f, g in zip(findings, graded) if g is not None and not _g(f, "population_broader", False)
                 and str(_g(f, "kind", "comparative")) != "between_forms" and item_kind(f) == kind
                 and g.certainty != "very_low"]
        if not cands:
            continue
        fav = [(f, g) for f, g in cands if _verdict(f, g) == "favours"]
        harm = [(f, g) for f, g in cands if _verdict(f, g) == "harms"]
        f, g = _best(cands)  # type: ignore[misc]
        nulls = _null_results(f, list(zip(findings, graded)))
        n_words = sum(_num(_g(x, "estimate")) is None for x, _ in cands)
        wtxt = f" ({n_words} of them rest on results without a single estimate)" if n_words else ""
        text = (f"{heads[kind]}: {g.statement[:-1]} ({_cert_words(g.certainty)} certainty; "
                f"{finding_source(f) or _evidence_text(f)})"
                + (f"; {nulls}" if nulls else "")
                + f". {len(fav)} of {len(cands)} findings rated low certainty or better{wtxt} favour {intervention}"
                + (f", {len(harm)} favour the comparator" if harm else "") + ".")
        out.append(KeyMessage("practice", kind, text, g.certainty, g.certainty.replace("_", " "),
                              (finding_source(f),)))
    return out


def _mechanism_message(mechanisms: Any, intervention: str) -> KeyMessage | None:
    ms = list(mechanisms or ())
    if not ms:
        return None
    labelled = [(str(_g(m, "claim")), _g(m, "label") or mechanism_label(_g(m, "evidence", ()) or ())) for m in ms]
    est = [c for c, lab in labelled if lab == "established"]
    part = [c for c, lab in labelled if lab == "partially supported"]
    prop = [c for c, lab in labelled if lab not in ("established", "partially supported")]
    if est:
        head = f"Mechanisms: established by the pack's evidence: {'; '.join(est)}"
    else:
        head = (f"Mechanisms: how {intervention} works is unproven: none of the {len(ms)} proposed mechanisms is "
                "established")
    bits = [head]
    if part:
        bits.append(f"{len(part)} partially supported by human studies ({'; '.join(part)})")
    if prop:
        bits.append(f"{len(prop)} only proposed (theory, animal work or non-supporting data: {'; '.join(prop)})")
    return KeyMessage("mechanisms", "mechanisms", "; ".join(bits) + ".", None, None,
                      tuple(dict.fromkeys(str(_g(e, "claim_id")) for m in ms for e in (_g(m, "evidence", ()) or ()))))


def key_messages(summary: Any, graded: list[FindingGrade | None], families: tuple[Any, ...], safety: Any,
                 intervention: str) -> tuple[KeyMessage, ...]:
    """The key messages, in this order: effects by outcome family (the pack question's outcomes first),
    how the intervention compares as an add-on and against active treatments, mechanisms, safety."""
    findings = list(_g(summary, "findings", ()) or ())
    q = _g(summary, "question", {}) or {}
    primary = [str(o) for o in (_g(q, "outcomes", ()) or ())]
    fams = sorted(families, key=lambda fam: (not any(o in primary for o in fam.outcomes),))
    msgs = _family_messages(findings, graded, tuple(fams), intervention, _g(summary, "mechanisms", ()))
    msgs += _practice_messages(findings, graded, intervention)
    mm = _mechanism_message(_g(summary, "mechanisms", ()), intervention)
    if mm is not None:
        msgs.append(mm)
    if safety is not None:
        msgs.append(KeyMessage("safety", "safety", f"Safety ({safety.label}): {safety.sentence}", None, None,
                               tuple(dict.fromkeys(str(_g(i, "source_id")) for p in (_g(_g(summary, "safety"), "pools", ()) or ())
                                                   for i in (_g(p, "items", ()) or ())))))
    return tuple(msgs)


@dataclass(frozen=True, slots=True)
class GradeReport:
    """Everything GRADE adds to a Summary (also available on its own)."""

    findings: tuple[FindingGrade | None, ...]
    families: tuple[Any, ...]
    comparisons: tuple[Any, ...]
    sof: Any
    config: GradeConfig
    safety: Any = None
    conclusion: str = ""
    key_messages: tuple[KeyMessage, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "key_messages": [m.to_dict() for m in self.key_messages],
            "findings": [f.to_dict() if f else None for f in self.findings],
            "families": [f.to_dict() for f in self.families],
            "comparisons": [c.to_dict() for c in self.comparisons],
            "sof": self.sof.to_dict(),
            "safety": self.safety.to_dict() if self.safety is not None else None,
            "conclusion": self.conclusion,
            "config": self.config.to_dict(),
        }


def _item(finding: Any, fg: FindingGrade | None) -> FindingSummaryItem:
    return FindingSummaryItem(
        outcome=str(_g(finding, "outcome", "")), outcome_name=str(_g(finding, "outcome_name", "")),
        family=str(_g(finding, "family", "")), comparison=str(_g(finding, "comparison", "")),
        comparison_label=str(_g(finding, "comparison_label", "")), timepoint=str(_g(finding, "timepoint", "")),
        certainty=fg.certainty if fg else None,
        size=fg.magnitude.size if fg and _num(_g(finding, "estimate")) is not None else None,
        direction=fg.magnitude.direction if fg else None,
        ci_includes_null=fg.magnitude.ci_includes_null if fg else None,
        ci_excludes_important=fg.magnitude.ci_excludes_important if fg else None,
        comparator_kind=str(_g(finding, "comparator_kind", "") or ""),
        kind=str(_g(finding, "kind", "comparative") or "comparative"),
        reported_direction=_g(finding, "reported_direction") if _num(_g(finding, "estimate")) is None else None,
        comparator_includes_intervention=bool(_g(finding, "comparator_includes_intervention", False)),
    )


def grade_summary(summary: Any, config: GradeConfig | None = None, *,
                  overrides: Mapping[Any, tuple[Override, ...]] | None = None) -> GradeReport:
    """Rate every finding of a Summary and build the family, comparison and SoF summaries.

    ``overrides`` maps a finding key (``finding.key``: outcome, timepoint, comparison, population)
    to reviewer overrides for that finding.
    """
    config = config or GradeConfig()
    overrides = overrides or {}
    x = intervention_name(_g(summary, "question", {}))
    findings = list(_g(summary, "findings", ()) or ())
    graded = []
    for f in findings:
        key = _g(f, "key", None)
        graded.append(grade_finding(f, config, intervention=x, overrides=tuple(overrides.get(key, ()))))
    items = [_item(f, g) for f, g in zip(findings, graded)]
    fams: dict[str, list[FindingSummaryItem]] = {}
    for it in items:
        fams.setdefault(it.family, []).append(it)
    narr: dict[str, list[dict[str, Any]]] = {}
    for f in findings:
        if _num(_g(f, "estimate")) is not None:
            continue
        for n in (_g(f, "narrative", ()) or ()):
            narr.setdefault(str(_g(f, "family", "")), []).append({
                **dict(n), "outcome_name": _g(f, "outcome_name"), "population_label": _g(f, "population_label"),
                "comparison_label": _comparison_text(f), "timepoint_phrase": _timepoint_phrase(f),
                "outcome": _g(f, "outcome"), "comparison": _g(f, "comparison"), "timepoint": _g(f, "timepoint"),
                "population": _g(f, "population")})
    families = tuple(family_summary(name, its, intervention=x, narratives=narr.get(name, ()))
                     for name, its in fams.items())
    comparisons = contrast_comparisons(items, intervention=x)
    rows: list[SoFRow] = []
    for f, g in zip(findings, graded):
        if g is None:
            continue
        if not isinstance(g.input, GradeInput):  # evidence without a single estimate: a row without effect
            rows.append(sof_narrative_row(str(_g(f, "outcome_name", "") or _g(f, "outcome", "")), g.input, g.rating,
                                          g.statement, timepoint=_g(f, "timepoint_label") or _g(f, "timepoint")))
            continue
        rows.append(sof_row(str(_g(f, "outcome_name", "") or _g(f, "outcome", "")), g.input, g.rating, g.statement,
                            timepoint=_g(f, "timepoint_label") or _g(f, "timepoint"), magnitude=g.magnitude,
                            units=_g(f, "unit") or None))
    safety_obj = _g(summary, "safety")
    safety = safety_rating(safety_obj, intervention=x) if safety_obj is not None else None
    conclusion = overall_conclusion(items, comparisons, safety, intervention=x)
    msgs = key_messages(summary, graded, families, safety, x)
    return GradeReport(tuple(graded), families, comparisons, sof_table(rows), config, safety, conclusion, msgs)


def apply(summary: Any, config: GradeConfig | None = None, *,
          overrides: Mapping[Any, tuple[Override, ...]] | None = None) -> GradedSummary:
    """Kept for callers of the old API: ``evigrade.pipeline.grade_summary(summary, config)``, a new
    :class:`evigrade.pipeline.GradedSummary` (``summary`` is not changed)."""
    from ..pipeline import grade_summary as _graded  # lazy: the pipeline sits above grade

    return _graded(summary, config, overrides=overrides)


def to_jsonable(obj: Any) -> Any:  # pragma: no cover - convenience for callers
    return jsonable(obj)
