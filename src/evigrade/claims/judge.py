"""Compare an ``Assertion`` with the ``Evidence`` and give a verdict with its reasons.

Verdicts: consistent, overstated (aspects: certainty, size, time_frame, universality),
understated (aspects: certainty, size), unsupported (nothing in the evidence), contradicted (the
evidence points the other way), not_a_claim.

Rules (each verdict's ``explanation`` states the ones that fired):

* Outcome claims are compared with every finding for that outcome, narrowed to the region and
  comparator the sentence names; a sentence that names no comparator is judged against sham,
  no-treatment, add-on and pooled findings (head-to-head comparisons with other active
  treatments only when there are no others).  The text gets the benefit of the doubt: the
  verdict uses the finding that leaves the fewest overstated aspects, then the fewest understated
  ones, then the highest certainty and largest effect.
* Certainty: projected certainty above the finding's GRADE certainty is overstated; below it,
  understated.  An unrated finding supports at most ``UNRATED_CEILING`` ("may").
* Size: a claimed size above the finding's magnitude is overstated; below it, understated.  A
  finding with no judged magnitude cannot support a claimed moderate or large effect.
* Time frame: each claimed bucket needs a finding showing benefit in that bucket.
* Universality ("everyone", "always", "100%") is always overstated: findings are average effects.
* A finding "shows benefit" only when its CI excludes no effect.  A positive claim is
  contradicted when no finding shows benefit and one shows no effect (or harm), or when every
  finding showing benefit is outweighed by a more certain finding of no effect at the same time
  (unrated findings count as low); a claim of no effect is contradicted by a benefit finding that
  is more certain than the findings of no effect at its time; a claim of superiority is
  contradicted where the comparator did better; a claim that an outcome gets worse is
  contradicted unless a finding shows harm.  No evidence of an effect at one time point is not a
  contradiction: a claimed time frame without a benefit finding is overstated (time_frame).
* Narrative findings (a review or trial that reported a direction but no usable estimate; certainty
  not rated) take part in the balance of benefit against no effect with a weight between very low
  and low certainty (``_strength``), but the wording of a claim is compared with a GRADE-rated
  finding whenever one speaks to it (``_prefer_rated``); on their own they support at most "may".
* "Reduces pain less than injection", "less effective than", "injection works better than <the
  intervention>" claim that the comparator does better: supported by findings where it did.
* A sentence saying the evidence is very uncertain / limited / sparse is consistent unless a
  finding at that time has moderate or high certainty (then understated).
* Mechanisms: proposed supports at most "may" wording, partially supported at most "probably",
  established any.  Lay metaphors with no pack counterpart ("resets the nervous system",
  "releases knots") are unsupported.
* How the treatment works in general ("how it works is not fully understood", "science has shown how
  it works"): judged against the mechanisms' support labels (none established -> doubt is
  consistent, certainty is overstated).
* Safety: a named mild event is checked against its own rate when the evidence has one ("headache
  is common" is contradicted at 0.14% of treatments; "bruising is rare" at 7.6%).  Claims of no
  risk at all ("completely safe", "no side effects", "painless") and
  claims that serious harm is common, or mild events rare or absent, are contradicted by a
  profile with common mild and rare serious events; "generally safe", "serious events are rare",
  "soreness and bruising are common" are consistent.
* Rewordings are passed through ``tidy`` (upstream statement oddities such as "in the immediate to
  short term" or an unmatched ")" are cleaned here).
* A sentence that reports what a study found keeps its own time points and effect size: only a size
  above the evidence's judged one is compared (its wording projects no certainty unless it states a
  GRADE level).  An outcome with its own stated level is judged at that level; a stated range is
  understated only when the evidence is above its top.
* Weak matches get the weaker verdict (claims16): a doubting hedge ("may", "some studies suggest")
  fits very-low-certainty evidence of benefit ("can", an ability, does not); a hedged denial is not
  overstated; plain wording with no intervention as agent is not read as certainty; a statement that
  evidence is absent is understated where a finding rated low or better (high, for "no strong
  evidence") shows benefit, else consistent; how it works is unsupported when the evidence holds no
  mechanism; a general claim of doing better than a comparator is contradicted where a graded finding
  shows the comparator did better.
* Third round (claims16b): a claim about the treatment in general at no time named ("it would not have any
  effect", "there is no evidence it works") is weighed outcome by outcome: a finding of no effect on one outcome
  does not outweigh benefit on another; "symptoms" where the pack has no finding on the concept it stands for is
  a claim about the treatment in general.
* A sentence with several parts takes the worst verdict in the order contradicted > unsupported >
  overstated > understated > consistent, and the union of the overstated aspects.
"""
from __future__ import annotations

import dataclasses
import functools
import re
from dataclasses import dataclass, field
from typing import Any

from .._format import fmt_pct
from .detect import Assertion
from .evidence import (CERTAINTY_LEVELS, MAGNITUDES, TIME_BUCKETS, Evidence, EvidenceFinding, EvidenceHeadline,
                       EvidenceMechanism)
from .terms import Concept, Lexicon

__all__ = ["Judgement", "judge", "UNRATED_CEILING", "VERDICTS", "ASPECTS", "statement_for"]

VERDICTS = ("consistent", "overstated", "understated", "unsupported", "contradicted", "not_a_claim")
ASPECTS = ("certainty", "size", "time_frame", "universality")
#: Highest certainty wording an unrated finding supports ("may").
UNRATED_CEILING = "low"
_SEVERITY = {"contradicted": 5, "unsupported": 4, "overstated": 3, "understated": 2, "consistent": 1}
_C = {c: i for i, c in enumerate(CERTAINTY_LEVELS)}
_M = {m: i for i, m in enumerate(MAGNITUDES)}
_B = {b: i for i, b in enumerate(TIME_BUCKETS)}
_MECH_CEILING = {"proposed": "low", "partially supported": "moderate", "established": "high"}
_TF_PHRASE = {"immediate": "immediately after treatment", "short_term": "in the short term",
              "mid_term": "in the medium term", "long_term": "in the long term"}


@dataclass(frozen=True)
class Judgement:
    verdict: str
    aspects: tuple[str, ...] = ()
    evidence: tuple[dict[str, Any], ...] = ()
    rewording: str | None = None
    explanation: tuple[str, ...] = ()


@dataclass
class _Part:
    verdict: str
    aspects: list[str] = field(default_factory=list)
    evidence: list[dict[str, Any]] = field(default_factory=list)
    rewording: str | None = None
    why: list[str] = field(default_factory=list)


# ------------------------------------------------------------------------------------------
# wording in GRADE's informative-statement style (Santesso et al. 2020)


def _verb_forms(benefit: str, outcome_concept: str | None) -> tuple[str, str]:
    """(third person, base form) of the verb for a beneficial change in this outcome."""
    if benefit == "higher":
        if outcome_concept == "pressure_pain_threshold":
            return "increases", "increase"
        return "improves", "improve"
    return "reduces", "reduce"


def _comparator_phrase(f: EvidenceFinding) -> str:
    comp = f.comparison or ""
    if re.search(r"(?i)added to|add.?on|\+ other|plus|same therapy without", comp):
        return " when added to other treatment"
    m = re.search(r"\bvs\.?\s+(.*)$", comp)
    if m:
        c = re.sub(r"\s*\((\w+\s*){1,3}\)\s*$", "", m.group(1)).strip()  # "(population)" after the comparator
        return f" compared with {c}" if c else ""
    if re.search(r"(?i)added to|add.?on|\+", comp):
        return " when added to other treatment"
    if comp and not re.search(r"(?i)any comparator|not stated|unspecified|mixed|pooling all", comp):
        # a pack's comparison label ("sham or placebo", "manual therapy")
        return " compared with " + re.sub(r"\s*\([^)]*\)\s*$", "", comp).strip()
    return ""


_TF_WORDS = {"immediate": "immediately after treatment", "short": "in the short term", "medium": "in the medium term",
             "mid": "in the medium term", "long": "in the long term"}


@functools.lru_cache(maxsize=2048)
def tidy(text: str) -> str:
    """Clean statement oddities before they reach a reader (they come from upstream wording):
    "in the immediate to short term" -> "immediately after treatment and in the short term",
    a ")" without its "(" ("compared with sham)."), "compared with comparator not stated",
    "a/b/c" comparator labels, doubled spaces and stops, " ." and ",."."""
    s = text
    s = re.sub(r"(?i)\bin the (immediate|short|medium|mid|long)(?:[ -]term)? to (?:the )?(short|medium|mid|long)[ -]term\b",
               lambda m: f"{_TF_WORDS[m.group(1).lower()]} and {_TF_WORDS[m.group(2).lower()]}", s)
    s = re.sub(r"(?i)\s*\b(compared with|versus|vs\.?) (the )?(comparator|comparison) not (stated|reported)\b", "", s)
    # drop a closing bracket that closes nothing (and an opening one never closed)
    out, depth = [], 0
    for ch in s:
        if ch == "(":
            depth += 1
        elif ch == ")":
            if depth == 0:
                continue
            depth -= 1
        out.append(ch)
    s = "".join(out)
    while depth > 0:
        i = s.rfind("(")
        s = s[:i] + s[i + 1:]
        depth -= 1
    s = re.sub(r"(?<=[a-z])/(?=[a-z])", " or ", s) if re.search(r"compared with [^.;]*\w/\w", s) else s
    s = re.sub(r"\s+([.,;:])", r"\1", s)
    s = re.sub(r"([,;:])\.", ".", s)
    s = re.sub(r"\.{2,}", ".", s)
    s = re.sub(r"\(\s*\)", "", s)
    s = re.sub(r"\s{2,}", " ", s).strip()
    return s


def statement_for(f: EvidenceFinding, intervention: str, concept: str | None = None) -> str:
    """An honest sentence about a finding: D's statement when present, else GRADE-style wording."""
    if f.statement:
        st = re.sub(r"\bthe intervention\b", intervention, f.statement)
        return re.sub(r"^The intervention\b", intervention[:1].upper() + intervention[1:], st)
    name = f.outcome_name or f.outcome
    tf = " " + " and ".join(_TF_PHRASE[b] for b in f.timepoints) if f.timepoints else ""
    comp = _comparator_phrase(f)
    cert = f.certainty
    rated = "" if cert else (" (reported without a usable effect estimate; the certainty of this evidence has not "
                             "been rated)" if f.evidence_form == "narrative" else
                             " (the certainty of this evidence has not been rated)")
    if cert == "very_low":
        return f"The evidence is very uncertain about the effect of {intervention} on {name}{tf}{comp}."
    subject = intervention[:1].upper() + intervention[1:]
    if f.direction == "harm":
        modal = {"high": "is", "moderate": "is probably", "low": "may be"}.get(cert or UNRATED_CEILING, "may be")
        return f"{subject} {modal} less effective{comp} for {name}{tf}{rated}."
    if f.direction == "none" or f.magnitude == "trivial":
        return f"The evidence does not show that {intervention} changes {name}{tf}{comp}{rated}."
    third, base = _verb_forms(f.benefit, concept)
    level = cert or UNRATED_CEILING
    noun = "reduction" if base == "reduce" else "improvement" if base == "improve" else "increase"
    if f.magnitude == "large":
        verb = {"high": f"results in a large {noun} in", "moderate": f"probably results in a large {noun} in",
                "low": f"may result in a large {noun} in"}[level]
    elif f.magnitude == "small":
        verb = {"high": f"slightly {third}", "moderate": f"probably slightly {third}",
                "low": f"may slightly {base}"}[level]
    else:
        verb = {"high": third, "moderate": f"probably {third}", "low": f"may {base}"}[level]
    return f"{subject} {verb} {name}{tf}{comp}{rated}."


def _finding_evidence(f: EvidenceFinding) -> dict[str, Any]:
    return {
        "kind": "finding", "outcome": f.outcome, "outcome_name": f.outcome_name,
        "timepoints": list(f.timepoints), "comparison": f.comparison,
        "certainty": f.certainty, "magnitude": f.magnitude, "direction": f.direction,
        "measure": f.measure, "estimate": f.estimate, "ci_low": f.ci_low, "ci_high": f.ci_high,
        "source": f.source,
    }


def _mechanism_evidence(m: EvidenceMechanism) -> dict[str, Any]:
    return {"kind": "mechanism", "name": m.name, "support_label": m.support_label, "source": "; ".join(m.sources)}


# ------------------------------------------------------------------------------------------
# outcome claims


def _finding_text(f: EvidenceFinding) -> str:
    return " ".join([f.outcome, f.outcome_name, f.family, " ".join(f.synonyms)])


_FINDINGS_CACHE: dict[tuple[int, str], tuple[Evidence, list[EvidenceFinding]]] = {}


def _findings_for(concept: Concept, ev: Evidence) -> list[EvidenceFinding]:
    key = (id(ev), str(concept.concept))
    hit = _FINDINGS_CACHE.get(key)
    if hit is not None and hit[0] is ev:
        return list(hit[1])
    out = _match_findings(concept, ev)
    if len(_FINDINGS_CACHE) > 256:
        _FINDINGS_CACHE.clear()
    _FINDINGS_CACHE[key] = (ev, out)
    return list(out)


def _match_findings(concept: Concept, ev: Evidence) -> list[EvidenceFinding]:
    out = []
    for f in ev.findings:
        if concept.matches_pack_text(_finding_text(f)):
            out.append(f)
            continue
        # pack synonyms: a finding whose own synonyms include one of the concept's terms
        if f.synonyms and concept.terms is not None and any(concept.terms.search(s) for s in f.synonyms) and not (
                concept.pack_exclude is not None and concept.pack_exclude.search(_finding_text(f))):
            out.append(f)
    return out


def _region_filter(fs: list[EvidenceFinding], a: Assertion, lex: Lexicon) -> list[EvidenceFinding]:
    """Findings for the one body region the sentence names (the lexicon's region groups): those whose
    population names that region, or no region, or several; all findings when the sentence names none
    or several regions."""
    if len(a.regions) != 1:
        return fs
    want = a.regions[0]
    keep = []
    for f in fs:
        r = _finding_regions(f, lex)
        if len(r) != 1 or r == frozenset({want}):
            keep.append(f)
    return keep or fs


#: (id of the lexicon's region groups, finding text) -> the region groups that text names; a finding's
#: regions do not change, and long texts ask for them once per outcome sentence (a profile found this
#: set comprehension among the costliest steps of check-claims on a 5 MB text)
_REGIONS_CACHE: dict[tuple[int, str], tuple[Any, frozenset[int]]] = {}


def _finding_regions(f: EvidenceFinding, lex: Lexicon) -> frozenset[int]:
    txt = f.population or " ".join([f.outcome, f.outcome_name, f.comparison, f.family, f.source])
    key = (id(lex.region_groups), txt)
    hit = _REGIONS_CACHE.get(key)
    if hit is not None and hit[0] is lex.region_groups:  # (the id of a freed lexicon may be reused)
        return hit[1]
    if len(_REGIONS_CACHE) > 4096:
        _REGIONS_CACHE.clear()
    out = frozenset(i for i, g in enumerate(lex.region_groups) if g.search(txt))
    _REGIONS_CACHE[key] = (lex.region_groups, out)
    return out


_GENERAL_COMP = re.compile(r"(?i)sham|placebo|no.?treatment|waiting|control|any.?comparator|add.?on|added to|"
                           r"adjunct|\+|\bcomparison\b|either")
_ACTIVE_COMP = re.compile(r"(?i)manual|massage|compression|inject|other.?active|other interventions|"
                          r"other therap|other treatments|variant|other form|another form|modalit|"
                          r"in every arm|in all arms|dn_in_all_arms")


def _overlap(f: EvidenceFinding, g: EvidenceFinding) -> bool:
    """Two findings speak to the same time when either has no stated time point or their buckets meet."""
    return not f.timepoints or not g.timepoints or bool(set(f.timepoints) & set(g.timepoints))


def _strength(f: EvidenceFinding) -> float:
    """How much a finding weighs when findings of benefit and of no effect are balanced: its GRADE
    level (very low 0 ... high 3); an unrated (narrative) report 0.5, above a very-low-certainty
    estimate ("very uncertain") but below a low-certainty one."""
    return float(_C[f.certainty]) if f.certainty else 0.5


def _outweighed(f: EvidenceFinding, null: list[EvidenceFinding], *, ties: bool = False) -> bool:
    """True when a finding of no effect (or harm) at the same time weighs more than ``f`` (or as
    much, with ``ties``); see ``_strength``."""
    rf = _strength(f)
    for n in null:
        if _overlap(f, n):
            rn = _strength(n)
            if rn > rf or (ties and rn == rf):
                return True
    return False


def _graded(f: EvidenceFinding) -> bool:
    """A finding that can contradict a sentence: GRADE-rated at low certainty or better."""
    return f.certainty in ("low", "moderate", "high")


def _is_head_to_head(f: EvidenceFinding) -> bool:
    """True for comparisons with another active treatment (not sham, control, add-on or pooled-any)."""
    return _head_to_head_text(f"{f.comparison_id} {f.comparison}")


@functools.lru_cache(maxsize=1024)
def _head_to_head_text(txt: str) -> bool:
    return not _GENERAL_COMP.search(txt) and bool(_ACTIVE_COMP.search(txt))


def _prefer_rated(fs: list[EvidenceFinding], a: Assertion) -> list[EvidenceFinding]:
    """The findings a claim is judged against: GRADE-rated ones when there are any.

    Narrative findings (a review or trial that reported a direction without a usable estimate,
    "certainty not rated") join only where no rated finding speaks: when none of the findings is
    rated, or when none is rated at a time frame the sentence names.  A rated body of evidence is
    what GRADE judges; an unrated report beside it neither confirms nor outweighs it, and on its own
    it supports at most "may" (``UNRATED_CEILING``).
    """
    rated = [f for f in fs if f.certainty is not None]
    if not rated:
        return fs
    if a.timeframes and not any(b in f.timepoints for f in rated for b in a.timeframes):
        return rated + [f for f in fs if f.certainty is None and any(b in f.timepoints for b in a.timeframes)]
    return rated


_NO_AGENT = "the sentence does not name the intervention as the agent"
#: hedges that express doubt (epistemic), as opposed to "can" (what the treatment is able to do)
_EPISTEMIC = re.compile(r"(?i)(may|might|could|possibl|perhaps|appear|seem|suggest|some\s+(studies|trials|evidence|"
                        r"research)|potential|tends?\s+to|sometimes|in\s+some|some\s+(people|patients)|low)")


def _compare(a: Assertion, f: EvidenceFinding, covered: frozenset[str] = frozenset()) -> tuple[list[str], list[str], list[str]]:
    """(overstated aspects, understated aspects, reasons) for a positive claim against a benefit finding."""
    over: list[str] = []
    under: list[str] = []
    why: list[str] = []
    ev_cert = f.certainty or UNRATED_CEILING
    if a.reported and a.certainty == "high" and a.certainty_cue is None:
        pass  # "a review found that ...": the sentence reports a result; its wording projects no certainty
    elif a.certainty == "low" and _EPISTEMIC.match(a.certainty_cue or "") and f.certainty == "very_low" \
            and f.direction == "benefit":
        # "it may help", "some studies suggest": a hedge is flagged only when even the hedge says more than the
        # evidence (a finding of little or no difference); very uncertain evidence of benefit fits it.  "Can"
        # states what the treatment is able to do, not a doubt, and is compared as a low-certainty claim.
        pass
    elif not a.agent and a.certainty_cue is None and _C[a.certainty] > _C[ev_cert]:
        # "the benefits last for weeks": the intervention is not the sentence's agent, so its plain wording is a
        # weak match for a certainty claim; the verdict rests on size, time frame and universality alone
        why.append(_NO_AGENT + ", so its plain wording is not read as a claim of certainty")
    elif _C[a.certainty] > _C[ev_cert]:
        over.append("certainty")
        why.append(f"the sentence reads as {a.certainty.replace('_', ' ')} certainty"
                   + (f" ('{a.certainty_cue}')" if a.certainty_cue else " (a plain assertion)")
                   + f" but the evidence is {(f.certainty or 'not rated').replace('_', ' ')}")
    elif _C[a.certainty_top or a.certainty] < _C[ev_cert] and f.certainty is not None:
        under.append("certainty")
        why.append(f"the sentence is more hesitant ('{a.certainty_cue}') than {f.certainty.replace('_', ' ')}"
                   " certainty evidence warrants")
    if a.reported and a.size != "complete" and (f.magnitude is None or a.size is None
                                                or _M.get(a.size, 0) <= _M[f.magnitude]):
        pass  # a study's reported effect size is its own: only one above the evidence's judged size is compared
    elif a.size == "complete":
        over.append("size")
        why.append(f"'{a.size_cue}' claims the problem goes away completely; the evidence shows an average "
                   f"{f.magnitude or 'unjudged'} effect, not complete resolution")
    elif a.size is not None and a.size != "trivial":
        if f.magnitude is None:
            if _M[a.size] >= _M["moderate"]:
                over.append("size")
                why.append(f"'{a.size_cue}' claims a {a.size} effect but the size of this effect has not been judged")
        elif _M[a.size] > _M[f.magnitude]:
            over.append("size")
            why.append(f"'{a.size_cue}' claims a {a.size} effect but the evidence shows a {f.magnitude} one")
        elif _M[a.size] < _M[f.magnitude]:
            under.append("size")
            why.append(f"'{a.size_cue}' claims a {a.size} effect but the evidence shows a {f.magnitude} one")
    for b in () if a.reported else a.timeframes:  # a study's time points are its own
        if b not in f.timepoints and b not in covered:  # another finding showing benefit covers that time
            over.append("time_frame")
            shown = ", ".join(x.replace("_", " ") for x in f.timepoints) or "an unstated time point"
            why.append(f"the sentence claims an effect {_TF_PHRASE[b]} but this finding is for {shown}")
            break
    if a.universal_cue:
        over.append("universality")
        why.append(f"'{a.universal_cue}' claims the effect for everyone; the evidence is about average effects")
    return over, under, why


def _rank(f: EvidenceFinding) -> tuple[int, int]:
    """A finding's rank as the support shown for a claim: certainty, then magnitude."""
    return _C.get(f.certainty or "", -1), _M.get(f.magnitude or "", -1)


def _on_finding(verdict: str, best: EvidenceFinding, ev: Evidence, concept: Concept, why: str,
                aspects: tuple[str, ...] = ()) -> _Part:
    """A part that rests on one finding: its evidence, GRADE's statement for it as the rewording, and why."""
    return _Part(verdict, aspects=list(aspects), evidence=[_finding_evidence(best)],
                 rewording=statement_for(best, ev.intervention, concept.concept), why=[why])


#: an outcome that counts harms (adverse events, side effects, dropouts because of them): more of it with the
#: intervention is a cost, weighed by the safety rules, not evidence that the comparator works better
_HARM_OUTCOME = re.compile(r"(?i)\b(adverse|side[\s-]+effects?|harms?|complications?|toxicity|safety)\b")


def _is_harm_outcome(f: EvidenceFinding) -> bool:
    return _HARM_OUTCOME.search(" ".join((f.outcome, f.outcome_name, f.family)).replace("_", " ")) is not None


def _denial_part(concept: Concept, a: Assertion, ev: Evidence, fs: list[EvidenceFinding],
                 benefit: list[EvidenceFinding], null: list[EvidenceFinding]) -> _Part:
    """A sentence that denies an effect: contradicted by a finding of benefit that is not outweighed."""
    rank = _rank
    if a.timeframes:
        benefit_tf = [f for f in benefit if any(b in f.timepoints for b in a.timeframes)]
    else:
        benefit_tf = benefit
    # "it wouldn't have any effect" (the treatment in general, at no time named): a finding of no effect on one outcome
    # does not outweigh benefit on another; an effect said to fade is weighed against every finding at that time
    per_outcome = concept.concept is None and not a.timeframes
    strong_benefit = [f for f in benefit_tf if _graded(f) and not _outweighed(
        f, [n for n in null if not per_outcome or n.outcome == f.outcome], ties=True)]
    if strong_benefit:
        best = max(strong_benefit, key=rank)
        return _on_finding("contradicted", best, ev, concept,
                           f"the sentence denies an effect on {concept.label} ('{a.negation_cue}') but a finding "
                           f"shows benefit ({(best.certainty or 'not rated').replace('_', ' ')} certainty)"
                           + (" that outweighs the findings of no effect" if null else ""))
    pool = null or fs
    best = max(pool, key=rank)
    weak = [f for f in benefit_tf if not _graded(f)]
    p = _on_finding("consistent", best, ev, concept,
                    f"no finding rated low certainty or better shows a benefit on {concept.label}"
                    + (" (the reports of benefit are unrated or very low certainty)" if weak else ""))
    if _C[a.certainty] > _C[best.certainty or UNRATED_CEILING] and a.certainty_cue and _C[a.certainty] > _C["low"]:
        # a hedged denial ("some may not be protected") says no more than weak evidence; a confident one does
        p.verdict, p.aspects = "overstated", ["certainty"]
        p.why.append(f"'{a.certainty_cue}' is more certain than the evidence")
    return p


_TP_PREF = {"short_term": 4, "immediate": 3, "mid_term": 2, "long_term": 1}


def headline_for(fs: list[EvidenceFinding], ev: Evidence) -> tuple[EvidenceHeadline, EvidenceFinding | None] | None:
    """The question's headline judgement for these findings: GRADE's key message for their outcome (the
    most certain one when several outcomes match), with the finding it rests on.  Evidence without key
    messages (a stored snapshot) gets the same rule applied here: the most certain rated finding that
    is not a head-to-head comparison, the short term first."""
    outs = {f.outcome for f in fs}
    hs = [h for h in ev.headlines if h.outcome in outs]
    if hs:
        h = max(hs, key=lambda h: _C.get(h.certainty or "", -1))
        return h, next((f for f in fs if h.rests_on(f)), None)
    rated = [f for f in fs if f.certainty and not _is_head_to_head(f)] or [f for f in fs if f.certainty]
    if not rated:
        return None
    best = max(rated, key=lambda f: (_C[f.certainty or "very_low"], max((_TP_PREF.get(b, 0) for b in f.timepoints),
                                                                       default=0)))
    label = best.family or best.outcome_name
    return EvidenceHeadline(family=label, text=f"{label[:1].upper() + label[1:]}: "
                                                f"{statement_for(best, ev.intervention)}",
                            certainty=best.certainty, outcome=best.outcome), best


def _headline_why(h: EvidenceHeadline) -> str:
    text = re.split(r"(?<=[a-z)])\.\s", h.text, maxsplit=1)[0].rstrip(".")
    cert = (h.certainty or "not rated").replace("_", " ")
    return f"headline judgement for {h.family} ({cert} certainty): {text}"


def _outcome_part(concept: Concept, a: Assertion, ev: Evidence, lex: Lexicon) -> _Part:
    """An outcome claim's verdict, resting on the question's headline judgement: the headline finding is
    the one compared when it fits the sentence as well as any other, and the reason names it."""
    fs = _findings_for(concept, ev)
    head = headline_for(fs, ev) if fs else None
    own = next((x for x in a.outcome_certainty if x[0] == concept.concept), None)
    if own is not None:  # the level the sentence states for this outcome
        a = dataclasses.replace(a, certainty=own[1], certainty_cue=own[2], certainty_top=own[3])
    p = _outcome_verdict(concept, a, ev, lex, head[1] if head else None)
    if head is not None:
        p.why.append(_headline_why(head[0]))
    return p


# long: the verdict ladder for one outcome (coverage, subgroup, comparator, inferiority, uncertainty, harm,
# denial, balance of benefit against no effect, then the wording); each rung returns, in the docstring's order
def _outcome_verdict(concept: Concept, a: Assertion, ev: Evidence, lex: Lexicon,
                     headline: EvidenceFinding | None) -> _Part:
    fs = _findings_for(concept, ev)
    if not fs and (a.absent or (a.certainty == "very_low" and not a.negated)):
        return _Part("consistent", why=[f"the sentence says the evidence on {concept.label} is missing or uncertain; "
                                        "the evidence indeed has no finding about it"],
                     rewording=f"The evidence in this pack does not cover the effect of {ev.intervention} on "
                               f"{concept.label}.")
    if not fs:
        return _Part("unsupported", why=[f"the evidence has no finding about {concept.label}"],
                     rewording=f"The evidence in this pack does not cover the effect of {ev.intervention} on "
                               f"{concept.label}.")
    fs = _region_filter(fs, a, lex)
    if a.subgroups:
        named = [g for g in a.subgroups if not any(re.search(rf"(?i)\b{re.escape(g.split()[0])}", f.population)
                                                   for f in fs)]
        if named:
            return _Part("unsupported", evidence=[_finding_evidence(f) for f in fs[:1]],
                         why=[f"the evidence on {concept.label} has no finding for {', '.join(named)} "
                              f"(its populations: {'; '.join(dict.fromkeys(f.population for f in fs if f.population)) or 'not stated'})"],
                         rewording=f"The evidence in this pack does not report the effect of {ev.intervention} on "
                                   f"{concept.label} for {', '.join(named)}.")
    if a.comparators:
        narrowed = [f for f in fs if any(lex.comparisons[i][1].search(f"{f.comparison_id} {f.comparison}")
                                         for i in a.comparators)]
        if not narrowed:
            terms = ", ".join(a.comparator_terms)
            return _Part("unsupported", why=[f"no finding about {concept.label} compares {ev.intervention} with {terms}"],
                         rewording=f"The evidence in this pack does not compare {ev.intervention} with {terms} for "
                                   f"{concept.label}.")
        fs = narrowed
    else:
        # A claim that names no comparator is about the treatment's own effect: judge it against
        # sham / no-treatment / add-on / pooled-any-comparator findings when there are any, not
        # against head-to-head comparisons with other active treatments.
        own = [f for f in fs if not _is_head_to_head(f)]
        fs = own or fs
    # Balancing benefit against no effect uses every finding, narrative reports included (weighed
    # by _strength); the finding a claim's wording is compared with is a rated one when any is.
    benefit = [f for f in fs if f.direction == "benefit"]
    null = [f for f in fs if f.direction in ("none", "harm")]
    rank = _rank

    if a.inferior and not a.negated:
        # "reduces pain less than injection": what supports it is a finding where the comparator did
        # better (direction "harm" for the treatment); findings of benefit or no difference weigh against
        worse = [f for f in fs if f.direction == "harm"]
        if worse:
            benefit, null = worse, [f for f in fs if f.direction in ("none", "benefit")]
        else:
            best = max(benefit or null or fs, key=rank)
            verdict = "contradicted" if any(_graded(f) for f in benefit + null) else "unsupported"
            return _on_finding(verdict, best, ev, concept,
                               f"the sentence says the comparator does better on {concept.label}, but no finding "
                               "shows that")

    if a.absent:
        return _absence_part(concept, a, ev, fs, benefit, null)

    if concept.concept is None and a.comparators and not a.negated and not a.inferior:
        # "more effective than other therapies", naming no outcome: a claim on every outcome compared, so a
        # graded finding in which the comparator did better points the other way
        worse = [f for f in fs if f.direction == "harm" and _graded(f) and not _is_harm_outcome(f)]
        if worse:
            best = max(worse, key=rank)
            return _on_finding("contradicted", best, ev, concept,
                               f"the sentence claims {ev.intervention} does better than {', '.join(a.comparator_terms)} "
                               f"in general, but on {best.outcome_name} the comparator did better "
                               f"({(best.certainty or '').replace('_', ' ')} certainty)")

    if a.certainty == "very_low" and not a.negated:
        return _uncertainty_part(concept, a, ev, fs, benefit)

    if concept.concept in a.harm and not a.negated:
        # the sentence says the outcome gets worse: supported only by a finding showing harm
        harmful = [f for f in fs if f.direction == "harm"]
        if not harmful:
            shown = max(benefit or null or fs, key=rank)
            if not any(_graded(f) for f in benefit):
                # nothing graded points the other way: the claim of harm has no support, no contradiction
                return _Part("unsupported", evidence=[_finding_evidence(shown)],
                             rewording=None,
                             why=[f"the sentence says {concept.label} gets worse, but no finding shows harm"])
            shown = max((f for f in benefit if _graded(f)), key=rank)
            return _Part("contradicted", evidence=[_finding_evidence(shown)],
                         rewording=statement_for(shown, ev.intervention, concept.concept),
                         why=[f"the sentence says {concept.label} gets worse, but no finding shows harm"])
        benefit, null = harmful, [f for f in fs if f.direction == "none"]

    if a.negated:
        return _denial_part(concept, a, ev, fs, benefit, null)

    if not benefit or all(_outweighed(f, null) for f in benefit):
        # no finding shows benefit, or the findings of no effect are more certain than any showing benefit
        if null and not any(_graded(f) for f in null):
            # only unrated or very-low-certainty findings of no effect: not enough to contradict
            best = max(null, key=rank)
            return _Part("overstated", aspects=["certainty"],
                         evidence=[_finding_evidence(f) for f in sorted(null, key=rank, reverse=True)[:3]],
                         rewording=statement_for(best, ev.intervention, concept.concept),
                         why=[f"the sentence claims a benefit on {concept.label}, but no finding shows one; the "
                              f"findings of no effect are {(best.certainty or 'not rated').replace('_', ' ')}"
                              + (" certainty" if best.certainty else "")])
        if null:
            best = max((f for f in null if _graded(f)), key=rank)
            what = ("the comparator did better" if best.direction == "harm" else
                    f"{ev.intervention} did better" if best.direction == "benefit" else "no effect was shown")
            claimed = ("that the comparator does better on" if a.inferior else
                       "harm to" if concept.concept in a.harm else "a benefit on")
            return _Part("contradicted", evidence=[_finding_evidence(f) for f in sorted(null, key=rank, reverse=True)[:3]],
                         rewording=statement_for(best, ev.intervention, concept.concept),
                         why=[f"the sentence claims {claimed} {concept.label} but {what} "
                              f"({(best.certainty or 'not rated').replace('_', ' ')} certainty)"])
        return _Part("unsupported", evidence=[_finding_evidence(f) for f in fs[:3]],
                     why=[f"no finding about {concept.label} states the direction of the effect"],
                     rewording=f"The evidence in this pack does not show whether {ev.intervention} changes "
                               f"{concept.label}.")

    scored = []
    candidates = _prefer_rated(benefit, a)
    covered = frozenset(b for f in candidates for b in f.timepoints) if len(a.timeframes) > 1 else frozenset()
    for f in candidates:
        over, under, why = _compare(a, f, covered)
        scored.append((len(over), len(under), 0 if f is headline else 1, -_C.get(f.certainty or UNRATED_CEILING, 0),
                       -_M.get(f.magnitude or "", -1), over, under, why, f))
    scored.sort(key=lambda s: s[:5])
    n_over, n_under, _, _, _, over, under, why, f = scored[0]
    if over:
        verdict = "overstated"
    elif under:
        verdict = "understated"
    else:
        verdict = "consistent"
        why = [f"matches a finding on {f.outcome_name} ({(f.certainty or 'not rated').replace('_', ' ')} certainty"
               + (f", {f.magnitude} effect" if f.magnitude else "") + ")"] + [w for w in why if w.startswith(_NO_AGENT)]
    return _Part(verdict, aspects=over if over else under, evidence=[_finding_evidence(f)],
                 rewording=statement_for(f, ev.intervention, concept.concept), why=why)


def _absence_part(concept: Concept, a: Assertion, ev: Evidence, fs: list[EvidenceFinding],
                  benefit: list[EvidenceFinding], null: list[EvidenceFinding]) -> _Part:
    """A sentence that says there is no evidence or proof of an effect, or calls the treatment pseudoscience.

    Understated (certainty) when a finding at the time frame named (any when none is named) shows benefit
    at low certainty or better and is not outweighed by a finding of no effect: "no evidence" says less
    than even "may".  Consistent otherwise (nothing graded shows a benefit)."""
    pool = [f for f in benefit if not a.timeframes or any(b in f.timepoints for b in a.timeframes)]
    # "no strong / high-quality / conclusive evidence" says only that the evidence is not of high certainty
    floor = "high" if _HIGH_STANDARD.search(a.certainty_cue or "") else "low"
    per_outcome = concept.concept is None and not a.timeframes  # (as in _denial_part)
    shown = [f for f in pool if f.certainty is not None and _C[f.certainty] >= _C[floor]
             and not _outweighed(f, [n for n in null if not per_outcome or n.outcome == f.outcome], ties=True)]
    if shown:
        best = max(shown, key=_rank)
        return _on_finding("understated", best, ev, concept,
                           f"the sentence says the evidence is absent ('{a.certainty_cue}'), "
                           f"but a finding on {best.outcome_name} shows benefit with "
                           f"{(best.certainty or '').replace('_', ' ')} certainty", aspects=("certainty",))
    top = max(pool or fs, key=_rank) if (pool or fs) else None
    return _Part("consistent", evidence=[_finding_evidence(top)] if top else [],
                 rewording=statement_for(top, ev.intervention, concept.concept) if top else None,
                 why=[f"no finding on {concept.label}" + (" at that time" if a.timeframes else "")
                      + f" rated {floor.replace('_', ' ')} certainty" + (" or better" if floor != "high" else "")
                      + " shows a benefit"])


_HIGH_STANDARD = re.compile(r"(?i)\b(strong|high[\s-]+quality|conclusive|definitive|robust|solid)\b")


def _uncertainty_part(concept: Concept, a: Assertion, ev: Evidence, fs: list[EvidenceFinding],
                      benefit: list[EvidenceFinding]) -> _Part:
    """A sentence that says the evidence is very uncertain / limited / unknown.

    Consistent unless a finding at the time frame named (any time frame when none is named) shows
    benefit with moderate or high certainty, which makes it understated ("limited" and "uncertain"
    fit low as well as very low certainty).
    """
    pool = [f for f in benefit if not a.timeframes or any(b in f.timepoints for b in a.timeframes)]
    # "limited", "uncertain", "sparse" fit low or very low certainty; moderate or high makes them understated
    rated = [f for f in pool if f.certainty in ("moderate", "high")]
    if rated:
        best = max(rated, key=lambda f: (_C[f.certainty or "very_low"], _M.get(f.magnitude or "", -1)))
        return _on_finding("understated", best, ev, concept,
                           f"the sentence calls the evidence very uncertain ('{a.certainty_cue}') but a finding on "
                           f"{best.outcome_name} has {(best.certainty or '').replace('_', ' ')} certainty", aspects=("certainty",))
    shown = pool or fs
    top = max(shown, key=lambda f: _C.get(f.certainty or "", -1)) if shown else None
    return _Part("consistent", evidence=[_finding_evidence(top)] if top else [],
                 rewording=statement_for(top, ev.intervention, concept.concept) if top else None,
                 why=[f"no finding on {concept.label}" + (" at that time" if a.timeframes else "")
                      + " is more certain than very low"])


class _AnyOutcome:
    """Stands in for an outcome concept when a sentence claims an effect of the treatment in general."""

    concept = None
    label = "any outcome"

    def matches_pack_text(self, text: str) -> bool:  # every finding counts
        return True

    terms = None
    pack_exclude = None


def _general_part(a: Assertion, ev: Evidence, lex: Lexicon) -> _Part:
    """A claim about the treatment in general: judged like an outcome claim over every finding.  Its
    rewording stays general too (no outcome the sentence did not name): the certainty and direction of
    the finding the verdict rests on, with the sentence's own comparator and time frame."""
    p = _outcome_part(_AnyOutcome(), a, ev, lex)  # type: ignore[arg-type]
    found = [e for e in p.evidence if e.get("kind") == "finding"]
    if found:
        p.rewording = _general_rewording(ev.intervention, found[0], a)
    return p


def _general_rewording(intervention: str, e: dict[str, Any], a: Assertion) -> str:
    subject = intervention[:1].upper() + intervention[1:]
    tf = "".join(" " + _TF_PHRASE[b] for b in a.timeframes[:1])
    comp = f" compared with {' or '.join(a.comparator_terms)}" if a.comparator_terms else ""
    cert, direction = e.get("certainty") or UNRATED_CEILING, e.get("direction")
    if direction == "harm":
        modal = {"high": "is", "moderate": "is probably"}.get(cert, "may be")
        return f"{subject} {modal} less effective{comp}{tf}."
    if direction != "benefit":
        return f"The evidence does not show that {intervention} helps{comp}{tf}."
    if cert == "very_low":
        return f"The evidence is very uncertain about whether {intervention} helps{comp}{tf}."
    verb = {"high": "helps", "moderate": "probably helps"}.get(cert, "may help")
    return f"{subject} {verb}{comp}{tf}, on at least one of the outcomes studied."


# ------------------------------------------------------------------------------------------
# mechanisms and safety


def _mechanism_part(concept: Concept, a: Assertion, ev: Evidence) -> _Part:
    interv = ev.intervention
    matches = [m for m in ev.mechanisms
               if concept.matches_pack_text(" ".join((m.name,) + m.synonyms))
               or any(concept.terms.search(s) for s in m.synonyms)]
    if not matches:
        if a.negated:
            return _Part("consistent", why=[f"the sentence denies '{concept.label}', which nothing in the evidence supports"],
                         rewording=f"No study in the evidence shows that {interv} works through {concept.label}.")
        return _Part("unsupported", why=[f"nothing in the evidence supports {concept.label}"],
                     rewording=f"No study in the evidence shows that {interv} works through {concept.label}; "
                               "how it works is not established.")
    order = {"proposed": 0, "partially supported": 1, "established": 2}
    best = max(matches, key=lambda m: order.get(m.support_label, 0))
    ceiling = _MECH_CEILING.get(best.support_label, "low")
    rewording = {
        "proposed": f"It has been proposed that {interv} acts through {concept.label}, but this has not been established.",
        "partially supported": f"Some studies suggest that {concept.label} may play a part in how {interv} works; "
                               "this is only partially supported.",
        "established": f"{concept.label[:1].upper() + concept.label[1:]} is an established part of how {interv} works.",
    }[best.support_label]
    evid = [_mechanism_evidence(best)]
    if a.negated:
        if best.support_label == "established":
            return _Part("contradicted", evidence=evid, rewording=rewording,
                         why=[f"{concept.label} is established but the sentence denies it"])
        return _Part("consistent", evidence=evid, rewording=rewording,
                     why=[f"{concept.label} is only {best.support_label}; denying it is not contradicted"])
    over: list[str] = []
    why: list[str] = []
    if _C[a.certainty] > _C[ceiling]:
        over.append("certainty")
        why.append(f"the sentence states the mechanism as {a.certainty.replace('_', ' ')} certainty"
                   + (f" ('{a.certainty_cue}')" if a.certainty_cue else " (a plain assertion)")
                   + f" but it is only {best.support_label}")
    if a.universal_cue:
        over.append("universality")
        why.append(f"'{a.universal_cue}' generalises a mechanism that is {best.support_label}")
    if over:
        return _Part("overstated", aspects=over, evidence=evid, rewording=rewording, why=why)
    if best.support_label == "established" and a.certainty in ("very_low", "low"):
        return _Part("understated", aspects=["certainty"], evidence=evid, rewording=rewording,
                     why=[f"{concept.label} is established but the sentence hedges ('{a.certainty_cue}')"])
    return _Part("consistent", evidence=evid, rewording=rewording,
                 why=[f"the hedged wording fits a mechanism that is {best.support_label}"])


def _mechanisms_overall(ev: Evidence) -> str:
    """The evidence's own sentence on mechanisms, or one built from the support labels."""
    if ev.mechanisms_summary:
        return re.sub(r"^\s*Mechanisms:\s*", "", ev.mechanisms_summary).strip()
    n = len(ev.mechanisms)
    est = [m.name for m in ev.mechanisms if m.support_label == "established"]
    if est:
        return f"Established mechanisms of {ev.intervention}: {'; '.join(est)}."
    return (f"How {ev.intervention} works is not established: none of the {n} proposed mechanisms in the "
            "evidence is established." if n else f"The evidence does not say how {ev.intervention} works.")


def _mechanism_general_part(a: Assertion, ev: Evidence) -> _Part:
    """A sentence about how the treatment works in general ("how it works is not fully understood").  The
    rewording is the first clause of the evidence's message on mechanisms: it names none of them, so it
    adds no claim the sentence did not make."""
    overall = _mechanisms_overall(ev).split(";")[0].strip().rstrip(".") + "."
    rew = overall[:1].upper() + overall[1:]
    labels = [m.support_label for m in ev.mechanisms]
    evid = [{"kind": "mechanisms", "n": len(labels), "established": labels.count("established"),
             "partially_supported": labels.count("partially supported"), "proposed": labels.count("proposed"),
             "summary": rew}]
    established = "established" in labels
    if not labels:
        return _Part("unsupported", evidence=evid, rewording=rew,
                     why=[f"the evidence holds no finding on how {ev.intervention} works"])
    if a.negated:
        if established:
            return _Part("understated", aspects=["certainty"], evidence=evid, rewording=rew,
                         why=[f"the sentence says it is not known how {ev.intervention} works ('{a.negation_cue}'), "
                              "but the evidence has an established mechanism"])
        return _Part("consistent", evidence=evid, rewording=rew,
                     why=[f"none of the {len(labels)} mechanisms in the evidence is established"])
    if a.certainty == "high" and not established:
        return _Part("overstated", aspects=["certainty"], evidence=evid, rewording=rew,
                     why=[f"the sentence presents how {ev.intervention} works as known"
                          + (f" ('{a.certainty_cue}')" if a.certainty_cue else "")
                          + f", but none of the {len(labels)} mechanisms in the evidence is established"])
    return _Part("consistent", evidence=evid, rewording=rew, why=["the wording fits the mechanisms' support"])


def _safety_rewording(ev: Evidence) -> str:
    s = ev.safety
    if s is None:
        return ""
    if s.summary:
        return s.summary
    mild = ", ".join(s.common_mild_events[:3]) or "mild events"
    serious = ", ".join(s.serious_rare_events[:2]) or "serious events"
    return (f"{ev.intervention[:1].upper() + ev.intervention[1:]} commonly causes mild, short-lived side effects "
            f"such as {mild}; serious complications such as {serious} are rare.")


def _event_root(word: str) -> str:
    w = re.sub(r"(iness|ness|ing|es|s|y)$", "", word.lower())
    return w[:5]


def _event_rates(s: Any, terms: Any) -> list[tuple[str, float | None, float | None, str]]:
    """(event, rate_low, rate_high, frequency) for the mild event types the sentence names
    ("bruising" -> bruising; "soreness" -> pain or soreness after treatment); [] when none is known."""
    out: list[tuple[str, float | None, float | None, str]] = []
    for term in terms:
        words = re.findall(r"[a-z]+", str(term).lower())
        if not words or words[0] in ("side", "adverse", "mild", "minor", "reaction", "reactions", "pain",
                                     "discomfort", "post"):
            continue  # generic phrases and "pain after treatment" are judged as mild events in general
        root = _event_root(words[-1] if words[0] == "muscle" else words[0])
        for event, sev, lo, hi, freq in s.event_rates:
            if sev == "mild" and freq and any(_event_root(w) == root for w in re.findall(r"[a-z]+", event.lower())):
                if (event, lo, hi, freq) not in out:
                    out.append((event, lo, hi, freq))
    return out


def _rate_text(lo: float | None, hi: float | None) -> str:
    if lo is None and hi is None:
        return "rate not reported"
    if lo is None or hi is None or abs(lo - hi) < 1e-12:
        v = lo if lo is not None else hi
        return f"{fmt_pct(v, 2)} of treatments"
    return f"{fmt_pct(lo, 2)} to {fmt_pct(hi, 2)} of treatments"


def _safety_part(a: Assertion, ev: Evidence) -> _Part:
    s = ev.safety
    if s is None:
        return _Part("unsupported", why=["the evidence has no safety profile"])
    evid = [{"kind": "safety", "rating": s.rating, "common_mild_events": list(s.common_mild_events),
             "serious_rare_events": list(s.serious_rare_events), "mild_rate": s.mild_rate,
             "serious_rate": s.serious_rate, "source": "; ".join(s.sources)}]
    rew = _safety_rewording(ev)

    def part(verdict: str, why: str) -> _Part:
        return _Part(verdict, evidence=evid, rewording=rew, why=[why])

    d = a.safety_detail
    kind = a.safety
    if kind == "comparative":
        return part("unsupported", f"'{d.get('cue')}': the evidence has no safety comparison with another treatment")
    if kind == "absolute":
        return part("contradicted", f"'{d.get('cue')}' denies any risk, but mild adverse events are common"
                    + (f" ({s.mild_rate_text()})" if s.mild_rate_text() else "")
                    + " and serious ones are rare, not absent")
    if kind == "danger":
        if a.negated:
            return part("consistent", "serious adverse events are rare")
        return part("contradicted", f"'{d.get('cue')}' overstates the risk: serious adverse events are rare")
    if kind == "event":
        sev, stance = d.get("severity"), d.get("stance")
        ev_name = ", ".join(d.get("events", ()))
        if sev == "serious":
            if stance == "frequent":
                return part("contradicted", f"the sentence says {ev_name} is frequent, but serious events are rare")
            if stance == "absent" and a.reported:
                return part("consistent", f"a study that reports no {ev_name} fits a profile in which serious events "
                            "are rare")
            if stance == "absent":
                return part("contradicted", f"the sentence rules out {ev_name}, but serious events"
                            + (f" such as {s.serious_rare_events[0]}" if s.serious_rare_events else "")
                            + " are documented")
            return part("consistent", "serious adverse events are rare but possible")
        # mild events (or side effects in general): first the named events' own rates, when known
        rates = _event_rates(s, d.get("events", ()))
        if rates:
            shown = "; ".join(f"{e} {_rate_text(lo, hi)} ({fr})" for e, lo, hi, fr in rates)
            common = [r for r in rates if r[3] == "common"]
            unusual = [r for r in rates if r[3] in ("uncommon", "rare")]
            if stance in ("rare", "absent") and common:
                return part("contradicted", f"the sentence says {ev_name} is {stance}, but it is common: {shown}")
            if stance == "frequent" and unusual and not common:
                return part("contradicted", f"the sentence says {ev_name} is common, but it is not: {shown}")
            if stance == "rare" and not common:
                return part("consistent", f"{ev_name} is not common: {shown}")
        if stance in ("rare", "absent"):
            return part("contradicted", f"the sentence says {ev_name} is {stance}, but mild adverse events are common"
                        + (f" ({s.mild_rate_text()})" if s.mild_rate_text() else ""))
        if a.universal_cue:
            return _Part("overstated", aspects=["universality"], evidence=evid, rewording=rew,
                         why=[f"'{a.universal_cue}': mild events are common but do not follow every treatment"])
        return part("consistent", "mild adverse events are common"
                    + (f" ({s.mild_rate_text()}" + (f"; {shown}" if rates else "") + ")" if s.mild_rate_text() else ""))
    # general "safe"
    if a.negated:
        return part("contradicted", "the sentence says it is not safe, but serious adverse events are rare")
    over, why = [], []
    if a.certainty == "high" and a.certainty_cue:
        over.append("certainty")
        why.append(f"'{a.certainty_cue}': safety rests on practitioner surveys and case reports, not proof")
    if a.universal_cue:
        over.append("universality")
        why.append(f"'{a.universal_cue}': not every patient can be treated safely")
    if over:
        return _Part("overstated", aspects=over, evidence=evid, rewording=rew, why=why)
    return _Part("consistent", evidence=evid, rewording=rew,
                 why=[f"the safety profile ({s.rating}) supports a general safety statement"])


# ------------------------------------------------------------------------------------------


#: outcome words that name a condition's symptoms in general, not one outcome
_GENERIC_TERM = re.compile(r"(?i)(\w+\s+)?symptoms?")


def judge(a: Assertion, ev: Evidence, lex: Lexicon) -> Judgement:
    """The verdict for one parsed sentence."""
    if not a.is_claim:
        return Judgement("not_a_claim", explanation=(a.reason,) if a.reason else ())
    parts: list[_Part] = []
    by_id = {c.concept: c for c in lex.all_outcomes}
    for oc in a.outcomes:
        if not _findings_for(by_id[oc], ev) and a.outcome_terms and all(
                _GENERIC_TERM.fullmatch(t) for t in a.outcome_terms) and not a.general:
            # "relieves cold symptoms" where the pack has no finding on the concept "symptoms" stands for: the
            # condition's symptoms in general, judged like a claim about the treatment in general
            parts.append(_general_part(a, ev, lex))
            continue
        parts.append(_outcome_part(by_id[oc], a, ev, lex))
    for term in a.foreign:
        if a.absent or (a.certainty == "very_low" and not a.negated):
            # "evidence on X is limited / there is no evidence on X", where the evidence indeed has nothing on X
            parts.append(_Part("consistent", why=[f"the evidence indeed has no finding on '{term}'"],
                               rewording=f"The evidence in this pack does not cover {term}."))
            continue
        parts.append(_Part("unsupported", why=[f"the evidence says nothing about '{term}'"],
                           rewording=f"The evidence in this pack does not cover {term}."))
    mech_by_id = {c.concept: c for c in lex.mechanisms}
    for mc in a.mechanisms:
        parts.append(_mechanism_part(mech_by_id[mc], a, ev))
    if a.safety is not None:
        parts.append(_safety_part(a, ev))
    if a.mechanism_general:
        parts.append(_mechanism_general_part(a, ev))
    if a.modifier:
        parts.append(_Part("unsupported", why=[f"'{a.modifier}': the evidence has no analysis of what changes the "
                                                "size of the effect (subgroups or moderators)"],
                           rewording=f"The evidence in this pack does not show what changes the effect of "
                                     f"{ev.intervention}."))
    if a.general and not parts:
        parts.append(_general_part(a, ev, lex))
    if not parts:
        return Judgement("not_a_claim", explanation=("nothing to compare",))
    worst = max(parts, key=lambda p: _SEVERITY[p.verdict])
    verdict = worst.verdict
    if verdict == "overstated" or any(p.verdict == "overstated" for p in parts):
        aspects = [x for x in ASPECTS if any(x in p.aspects for p in parts if p.verdict == "overstated")]
    elif verdict == "understated":
        aspects = [x for x in ASPECTS if any(x in p.aspects for p in parts if p.verdict == "understated")]
    else:
        aspects = []
    evidence = tuple(e for p in parts for e in p.evidence)
    rewordings = [p.rewording for p in parts if p.rewording]
    rewording = " ".join(dict.fromkeys(tidy(r) for r in rewordings)) if rewordings else None
    why = tuple(w for p in parts for w in p.why)
    return Judgement(verdict, tuple(aspects), evidence, rewording, why)
