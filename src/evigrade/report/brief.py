"""The two-minute brief (issue 15): what the evidence says, as a careful clinician would write it.

``build_brief(graded) -> Brief`` reads only the judgements of a :class:`~evigrade.pipeline.GradedSummary`
(each family's headline body of evidence, its certainty and statement, the null results of the same
question, the safety rating, the mechanism labels) and writes a short text from them:

* the question (population, intervention, comparators);
* one :class:`BriefSection` per theme -- each outcome family with rated evidence, safety, mechanisms,
  and how the intervention is best used (added to other care, instead of other care, against sham) --
  with its evidence level (the certainty of the theme's headline body of evidence, with the range when
  findings differ) and one to three sentences;
* what we don't know (outcomes without rated evidence, long-term effects, populations not studied);
* a conclusion of two to four sentences.

Every :class:`BriefSentence` has a short key (``pain-1``) and the findings and sources behind it;
``explain_lines(graded, key)`` shows their numbers, sources and GRADE reasons.  Sentences that state an
effect reuse the GRADE statement of their finding (its hedge and its size word, if any, come from the
judgement); every word about the topic comes from the pack.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..grade.families import item_kind
from ..grade.integrate import effect_text, finding_source, intervention_name
from ..grade import NarrativeInput
from ..grade.model import level_number

if TYPE_CHECKING:
    from ..pipeline import GradedFinding, GradedSummary

__all__ = ["Brief", "BriefSection", "BriefSentence", "build_brief", "render_brief_text", "render_brief_markdown",
           "explain_lines", "HEDGES"]

#: the hedge a sentence stating an effect must carry at each certainty (Santesso 2020; DESIGN.md section 5)
HEDGES: dict[str, tuple[str, ...]] = {
    "high": (),
    "moderate": ("probably", "likely"),
    "low": ("may",),
    "very_low": ("very uncertain",),
}

_KIND_ORDER = ("sham", "add_on", "active")
_KIND_TITLE = {"sham": "Against sham, placebo or no treatment", "add_on": "Added to other care",
               "active": "Instead of other care (alone)"}


@dataclass(frozen=True, slots=True)
class BriefSentence:
    """One sentence of the brief.  ``certainty`` is set when the sentence states an effect (its hedge
    then matches it); ``findings`` are the keys (outcome, timepoint, comparison, population) of the
    findings behind it; ``sources`` the pack's source ids (studies, reviews, safety and claim rows)."""

    key: str
    text: str
    certainty: str | None = None
    findings: tuple[tuple[str, str, str, str], ...] = ()
    sources: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "text": self.text, "certainty": self.certainty,
                "findings": [list(k) for k in self.findings], "sources": list(self.sources)}


@dataclass(frozen=True, slots=True)
class BriefSection:
    """One theme: ``kind`` is "family", "use", "safety", "mechanisms", "gaps" or "conclusion";
    ``level`` the evidence level in words (None for the gaps and the conclusion)."""

    kind: str
    title: str
    level: str | None
    sentences: tuple[BriefSentence, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "title": self.title, "level": self.level,
                "sentences": [s.to_dict() for s in self.sentences]}


@dataclass(frozen=True, slots=True)
class Brief:
    title: str
    population: str
    intervention: str
    comparators: tuple[str, ...]
    sections: tuple[BriefSection, ...]   # themes, then "what we don't know"
    conclusion: BriefSection

    @property
    def sentences(self) -> tuple[BriefSentence, ...]:
        return tuple(s for sec in (*self.sections, self.conclusion) for s in sec.sentences)

    def sentence(self, key: str) -> BriefSentence | None:
        return next((s for s in self.sentences if s.key == key), None)

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(s.key for s in self.sentences)

    def to_dict(self) -> dict[str, Any]:
        return {"title": self.title, "population": self.population, "intervention": self.intervention,
                "comparators": list(self.comparators), "sections": [s.to_dict() for s in self.sections],
                "conclusion": self.conclusion.to_dict()}


# ---------------------------------------------------------------------------------------------- helpers

def _words(c: str | None) -> str:
    return "not rated" if c is None else c.replace("_", " ")


def _first_sentence(statement: str) -> str:
    """The statement's first sentence (the effect; the rest repeats what the evidence level says)."""
    parts = re.split(r"(?<=\.)\s+(?=[A-Z])", statement.strip(), maxsplit=1)
    s = parts[0].strip()
    return s if s.endswith(".") else s + "."


_VERY_UNCERTAIN = re.compile(r"The evidence is very uncertain about the effect of .+? on ")


def _statement(f: GradedFinding, question_population: str) -> str:
    """The first sentence of ``f``'s statement, without "in people with P" when P is the question's own
    population (the brief states it once, in the question).  A very-low-certainty statement claims
    nothing, so it stops at the outcome ("The evidence is very uncertain about the effect of X on Y.");
    its population, time frame and comparator are behind its key (``evigrade explain``)."""
    text = _first_sentence(f.statement or "")
    m = _VERY_UNCERTAIN.match(text) if f.certainty == "very_low" else None
    outcome = (f.outcome_name or "").strip()
    if m and outcome and text[m.end():].lower().startswith(outcome.lower()):
        return text[:m.end() + len(outcome)] + "."
    label = re.sub(r"\s*\([^)]*\)", "", f.population_label or "").strip()
    if label and label.lower() in question_population.lower():
        text = text.replace(f" in people with {label}", "", 1)
    return text


def _not_fully_assessed(f: GradedFinding) -> bool:
    return f.statement is not None and "could not be fully assessed" in f.statement


def _core(f: GradedFinding) -> bool:
    return not f.population_broader and item_kind(f) in _KIND_ORDER and f.kind != "between_forms"


def _n(f: GradedFinding) -> float:
    if f.participants is not None:
        return float(f.participants)
    per: dict[str, float] = {}
    for it in f.narrative or ():
        v = it.get("n")
        if isinstance(v, (int, float)):
            per[str(it.get("source_id"))] = max(per.get(str(it.get("source_id")), 0.0), float(v))
    return sum(per.values()) if per else -1.0


_KIND_PREF = {"sham": 3, "add_on": 2, "active": 1}
_TP_PREF = {"short_term": 4, "immediate": 3, "mid_term": 2, "long_term": 1}


def _best(fs: list[GradedFinding]) -> GradedFinding | None:
    """The most reliable body of evidence, whatever its direction (the rule of the key messages):
    certainty, then the most direct comparator, then an estimate, then participants, then time frame."""
    if not fs:
        return None
    return max(fs, key=lambda f: (level_number(f.certainty or "very_low"), _KIND_PREF.get(item_kind(f), 0),
                                  f.estimate is not None, _n(f), _TP_PREF.get(f.timepoint, 0)))


def _sources(f: GradedFinding) -> tuple[str, ...]:
    ids: list[str] = []
    if f.status == "review":
        ids += [r.review_id for r in f.reviews if r.primary] or [r.review_id for r in f.reviews]
    else:
        ids += [t.study_id for t in f.trials]
    ids += [str(n.get("source_id")) for n in (f.narrative or ()) if n.get("source_id")]
    return tuple(dict.fromkeys(i for i in ids if i))


def _null_sources(f: GradedFinding) -> tuple[str, ...]:
    """The sources of a null finding that found no effect: the estimate's own sources, or the results
    reported without numbers as no difference."""
    if f.estimate is not None:
        if f.status == "review":
            return tuple(r.review_id for r in f.reviews if r.primary) or tuple(r.review_id for r in f.reviews[:1])
        return tuple(dict.fromkeys(t.study_id for t in f.trials))
    return tuple(dict.fromkeys(str(n.get("source_id")) for n in (f.narrative or ())
                               if n.get("direction") == "no_difference" and n.get("source_id")))


def _is_null(f: GradedFinding) -> bool:
    """The graded judgement finds no effect: for an estimate, its 95% CI includes no effect or lies wholly
    within the MID thresholds (size "trivial"); for results without an estimate, the rated body's
    direction is "no difference" (an unrated finding: the direction its sources report)."""
    g = f.grade
    if g is None:
        return f.reported_direction == "no_difference"
    if isinstance(g.input, NarrativeInput):
        return g.input.direction == "no_difference"
    return bool(g.magnitude.ci_includes_null) or g.size_claim == "trivial"


def _no_clear_effect(f: GradedFinding) -> bool:
    """The judgement shows no clear effect: a null result (:func:`_is_null`), or results without an
    estimate whose direction is unclear or mixed."""
    g = f.grade
    if g is not None and isinstance(g.input, NarrativeInput):
        return g.input.direction in ("no_difference", "unclear", "mixed")
    return _is_null(f)


def _level(head: GradedFinding | None, certs: list[str]) -> str:
    """'low' or 'low (findings range from very low to low)'; '... certainty not fully assessable' added
    when the headline's own certainty could not be fully assessed."""
    if head is None or head.certainty is None:
        return "not rated"
    out = f"certainty {_words(head.certainty)}"
    nums = sorted({level_number(c) for c in certs})
    extra = []
    if len(nums) > 1:
        names = {1: "very low", 2: "low", 3: "moderate", 4: "high"}
        extra.append(f"range {names[nums[0]]} to {names[nums[-1]]}")
    if _not_fully_assessed(head):
        extra.append("partly assessable")
    return out + (f"; {'; '.join(extra)}" if extra else "")


def _texts(v: object) -> tuple[str, ...]:
    """A pack question's list field (``comparators``, ``outcomes``) as texts: a list, or one text."""
    if v is None or v == "":
        return ()
    if isinstance(v, str):
        return (v,)
    if isinstance(v, (list, tuple)):
        return tuple(str(x) for x in v if str(x).strip())
    return (str(v),)


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "x"


def _family_keys(names: list[str]) -> dict[str, str]:
    """A short key per family: its first word when unique, else the whole name."""
    firsts = [_slug(n).split("-")[0] for n in names]
    return {n: (f if firsts.count(f) == 1 and f not in ("use", "safety", "mech", "gaps", "concl") else _slug(n))
            for n, f in zip(names, firsts)}


def _list_ids(ids: list[str], limit: int = 3) -> str:
    ids = list(dict.fromkeys(ids))
    more = len(ids) - limit
    return ", ".join(ids[:limit]) + (f" and {more} more" if more > 0 else "")


# ---------------------------------------------------------------------------------------------- build

def _family_section(name: str, key: str, fs: list[GradedFinding], qpop: str) -> tuple[BriefSection, GradedFinding] | None:
    effect = [f for f in fs if f.kind != "between_forms"]
    rated = [f for f in effect if f.certainty is not None]
    if not rated:
        return None
    head = _best([f for f in rated if _core(f)]) or _best(rated)
    assert head is not None and head.statement is not None  # rated is not empty
    sents = [BriefSentence(f"{key}-1", _statement(head, qpop), head.certainty, (head.key,), _sources(head))]
    own = set(_sources(head))
    nulls = [f for f in effect if f is not head and f.outcome == head.outcome and _is_null(f)
             and (item_kind(f) == item_kind(head) or f.basis == "review")]
    nulls.sort(key=lambda f: (item_kind(f) != item_kind(head), -level_number(f.certainty or "very_low"), -_n(f)))
    null_ids = list(dict.fromkeys(s for f in nulls for s in _null_sources(f) if s not in own))
    if null_ids:
        what, n = head.outcome_name, len(set(null_ids))
        sents.append(BriefSentence(
            f"{key}-2", f"No clear effect on {what} in {n} other source{'s' if n != 1 else ''}.", None,
            tuple(f.key for f in nulls), tuple(dict.fromkeys(null_ids))))
    title = name[0].upper() + name[1:]
    level = _level(head, [f.certainty for f in rated if f.certainty])
    return BriefSection("family", title, level, tuple(sents)), head


def _use_text(f: GradedFinding, qpop: str, x: str) -> str:
    """'X may reduce pain intensity (adults) compared with manual therapy.': the effect and the
    comparator (the time frame is behind the key), or the whole first sentence."""
    text = _statement(f, qpop)
    clause = _effect_clause(text, x)
    if clause is None:
        return text
    return f"{x} {clause}."


def _use_section(findings: list[GradedFinding], x: str, qpop: str,
                 said: dict[tuple[str, str, str, str], str]) -> BriefSection | None:
    """Against sham, added to other care, instead of other care: the most reliable finding of each kind
    (a finding a family section already states is referred to by its key)."""
    sents: list[BriefSentence] = []
    certs: list[str] = []
    for kind in _KIND_ORDER:
        cands = [f for f in findings if f.certainty is not None and _core(f) and item_kind(f) == kind]
        best = _best(cands)
        if best is None or best.statement is None:
            continue
        certs.append(best.certainty or "very_low")
        text = (f"{_KIND_TITLE[kind]}: the most reliable evidence is stated above [{said[best.key]}]."
                if best.key in said else f"{_KIND_TITLE[kind]}: {_use_text(best, qpop, x)}")
        sents.append(BriefSentence(f"use-{len(sents) + 1}", text, None if best.key in said else best.certainty, (best.key,), _sources(best)))
    if not sents:
        return None
    nums = sorted({level_number(c) for c in certs})
    names = {1: "very low", 2: "low", 3: "moderate", 4: "high"}
    level = f"certainty {names[nums[-1]]}" + (f"; range {names[nums[0]]} to {names[nums[-1]]}" if len(nums) > 1 else "")
    return BriefSection("use", f"Best use of {x}", level, tuple(sents))


def _per10k(p: float | None) -> str:
    return "NA" if p is None else f"{10000 * p:.1f}".rstrip("0").rstrip(".")


def _pct(p: float | None) -> str:
    return "NA" if p is None else f"{100 * p:.0f}%"


def _safety_section(graded: GradedSummary, x: str) -> BriefSection:
    s = graded.safety
    sr = graded.safety_rating
    src = tuple(dict.fromkeys(i.source_id for i in s.items))
    sents: list[BriefSentence] = []
    if sr is None:
        return BriefSection("safety", "Safety", "not rated",
                            (BriefSentence("safety-1", "The pack has no adverse-event data to rate.", None, (), src),))
    serious_ids = tuple(dict.fromkeys(i.source_id for i in s.items if i.severity != "mild"))
    if sr.serious_rare:
        where = f" in each of {sr.serious_sources} sources" if sr.serious_sources > 1 else ""
        t = (f"Serious adverse events appear rare{where} ({sr.treatments:,} treatments in all; upper 95% limit "
             f"{_per10k(sr.serious_upper)} per 10,000).") if sr.treatments else \
            f"Serious adverse events appear rare{where}."
        sents.append(BriefSentence("safety-1", t, None, (), serious_ids or src))
    else:
        sents.append(BriefSentence("safety-1", _first_sentence(sr.sentence), None, (), serious_ids or src))
    if sr.mild_low is not None and sr.mild_high is not None:
        common = ", ".join(s.common_mild_events[:2])
        t = (f"Mild, short-lived events are common ({_pct(sr.mild_low)} to {_pct(sr.mild_high)} of treatments"
             + (f"; most often {common}" if common else "") + ").")
        sents.append(BriefSentence("safety-2", t, None, (), tuple(dict.fromkeys(
            i.source_id for i in s.items if i.severity == "mild")) or src))
    if sr.case_reports:
        n = len(sr.case_reports)
        ids = tuple(dict.fromkeys(str(c.get("source_id")) for c in s.case_reports))
        sents.append(BriefSentence(f"safety-{len(sents) + 1}", f"{n} case report{'s' if n != 1 else ''} describe "
                                   "serious harm.", None, (), ids))
    return BriefSection("safety", "Safety", f"{sr.label}; not GRADE-rated", tuple(sents))


_MECH_RANK = {"established": 3, "partially supported": 2}


def _mechanism_section(graded: GradedSummary, x: str) -> BriefSection:
    ms = list(graded.mechanisms)
    if not ms:  # said, not left out: the brief has a mechanisms section for every pack
        return BriefSection("mechanisms", "Mechanisms", "not covered", (BriefSentence(
            "mech-1", f"This evidence pack states no proposed mechanism for how {x} works.", None, (), ()),))
    labels = list(graded.mechanism_labels) or ["proposed"] * len(ms)
    est = [m.claim for m, lab in zip(ms, labels) if lab == "established"]
    part = [m.claim for m, lab in zip(ms, labels) if lab == "partially supported"]
    ids = tuple(dict.fromkeys(e.claim_id for m in ms for e in m.evidence))
    top = max(labels, key=lambda lab: _MECH_RANK.get(lab, 1))
    if est:
        t1 = f"Established by the pack's evidence: {'; '.join(est)}."
    else:
        t1 = f"How {x} works is unproven: none of the {len(ms)} proposed mechanisms is established."
    if part:
        t1 = t1[:-1] + f"; {len(part)} {'are' if len(part) != 1 else 'is'} partially supported by human studies."
    sents = [BriefSentence("mech-1", t1, None, (), ids)]
    return BriefSection("mechanisms", "Mechanisms", top, tuple(sents))


def _gap(n: int, text: str, behind: list[GradedFinding]) -> BriefSentence:
    """A sentence of "what we don't know" with the pack's unrated findings behind it (results reported
    without numbers, which ``explain`` lists) and their sources."""
    return BriefSentence(f"gaps-{n + 1}", text, None, tuple(f.key for f in behind),
                         tuple(dict.fromkeys(str(x.get("source_id")) for f in behind for x in (f.narrative or ())
                                             if x.get("source_id"))))


def _gaps_section(graded: GradedSummary) -> BriefSection:
    """Outcomes of the pack without rated evidence (harms are the safety section's), the longest follow-up,
    populations of the pack without rated evidence."""
    findings = list(graded.findings)
    sents: list[BriefSentence] = []
    rated_ids = {f.outcome for f in findings if f.certainty is not None}
    pack = graded.pack
    # the pack's outcome table (ids as in the findings); the question's free-text outcome list is not matched
    outs = [o for o in (getattr(pack, "outcomes", ()) or ())
            if getattr(o, "id", None) not in rated_ids and "adverse" not in str(getattr(o, "name", "")).lower()]
    wanted = list(dict.fromkeys(w for w in (str(getattr(o, "name", "") or getattr(o, "id", "")) for o in outs) if w))
    if wanted:
        ids = {getattr(o, "id", None) for o in outs}
        sents.append(_gap(len(sents), f"No rated evidence on {_list_ids(wanted, 4)}.",
                          [f for f in findings if f.outcome in ids]))
    buckets = list(getattr(pack, "buckets", ()) or ())
    if buckets:  # the pack's last time bucket is its longest follow-up
        last = buckets[-1]
        label = str(getattr(last, "label", "") or last.id)
        long = [f for f in findings if f.certainty is not None and last.id in f.timepoint.split("+") and _core(f)]
        if not long:
            sents.append(_gap(len(sents), f"Longest follow-up, {label}: no rated evidence.",
                              [f for f in findings if last.id in f.timepoint.split("+")]))
        else:
            top = max(long, key=lambda f: level_number(f.certainty or "very_low"))
            sents.append(BriefSentence(
                f"gaps-{len(sents) + 1}", f"Longest follow-up, {label}: {len(long)} rated finding"
                f"{'s' if len(long) != 1 else ''}, at best {_words(top.certainty)} certainty.", None,
                tuple(f.key for f in long), tuple(dict.fromkeys(s for f in long for s in _sources(f)))))
    if pack is not None:
        pops = [p for p in getattr(pack, "populations", ()) if not getattr(p, "broader", False)]
        studied = {f.population for f in findings if f.certainty is not None}
        missing = [p for p in pops if p.id not in studied]
        if missing:
            ids = {p.id for p in missing}
            sents.append(_gap(len(sents), f"No rated evidence for {_list_ids([p.label for p in missing], 3)}.",
                              [f for f in findings if f.population in ids]))
    if not sents:
        sents.append(BriefSentence("gaps-1", "The pack names no outcome, time frame or population without rated "
                                   "evidence.", None, (), ()))
    return BriefSection("gaps", "What we don't know", None, tuple(sents))


_CUTS = (" in people with ", " in the ", " immediately ", " over ", " at ", " compared with ")


def _effect_clause(text: str, x: str) -> str | None:
    """'may reduce pain intensity compared with sham' from 'X may reduce pain intensity in people
    with P in the short term compared with sham.' (population and time frame left to the keyed sentence);
    None when the statement is not of that form."""
    head = x[:1].upper() + x[1:] + " "
    if not text.startswith(head) or " compared with " not in text:
        return None
    rest = text[len(head):].rstrip(".")
    cut = min((i for i in (rest.find(c) for c in _CUTS) if i > 0), default=-1)
    if cut <= 0:
        return None
    return f"{rest[:cut]} compared with {rest.rsplit(' compared with ', 1)[1]}"


def _conclusion(graded: GradedSummary, fam_heads: list[tuple[BriefSection, GradedFinding]],
                safety: BriefSection, mech: BriefSection | None, x: str) -> BriefSection:
    """Two to four sentences from the judgements: what the most reliable evidence shows (with its hedge),
    where it shows no clear effect, what the certainty means, and harms and mechanisms."""
    sents: list[BriefSentence] = []
    names = {1: "very low", 2: "low", 3: "moderate", 4: "high"}
    if fam_heads:
        top = max(level_number(h.certainty or "very_low") for _, h in fam_heads)
        at_top = [(sec, h) for sec, h in fam_heads if level_number(h.certainty or "very_low") == top]
        if top == 1:
            outs = _list_ids([h.outcome_name for _, h in at_top], 3)
            sents.append(BriefSentence("concl-1", f"All the evidence is of very low certainty: the evidence is very "
                                       f"uncertain about the effect of {x} on {outs}.", "very_low",
                                       tuple(h.key for _, h in at_top), ()))
        else:
            clauses = [(c, h) for sec, h in at_top if not _no_clear_effect(h)
                       for c in [_effect_clause(sec.sentences[0].text, x)] if c]
            if clauses:
                said, h0 = clauses[0]
                lead = (f"At best the evidence is of {names[top]} certainty"
                        + (" (new research could change it)" if top <= 2 else ""))
                sents.append(BriefSentence("concl-1", f"{lead}: {x} {said}.", names[top].replace(" ", "_"),
                                           (h0.key,), _sources(h0)))
            else:
                sents.append(BriefSentence("concl-1", f"At best the evidence is of {names[top]} certainty.", None,
                                           tuple(h.key for _, h in at_top), ()))
        null_heads = [h for _, h in fam_heads if _no_clear_effect(h) and h.certainty != "very_low"]
        if null_heads:
            outs = _list_ids([h.outcome_name for h in null_heads], 4)
            sents.append(BriefSentence("concl-2", f"The most reliable evidence shows no clear effect on {outs}.",
                                       None, tuple(h.key for h in null_heads), ()))
    sr = graded.safety_rating
    if sr is not None:
        if sr.label in ("reassuring", "probably reassuring"):
            t = "Serious harm appears rare" + (" (case reports exist)." if sr.case_reports else ".")
        else:
            t = "The data are too few to judge the risk of serious harm."
        if mech is not None and mech.level in ("partially supported", "proposed"):
            t = t[:-1] + f", and how {x} works is unproven."
        sents.append(BriefSentence(f"concl-{len(sents) + 1}", t, None, (), safety.sentences[0].sources))
    if len(sents) < 2:
        sents.append(BriefSentence(f"concl-{len(sents) + 1}", "The pack holds no other rated findings.", None, (), ()))
    return BriefSection("conclusion", "Conclusion", None, tuple(sents[:4]))


def build_brief(graded: GradedSummary) -> Brief:
    """The brief of ``graded`` (a pure function of the judgements; nothing is recomputed)."""
    q = graded.question or {}
    x = intervention_name(q)
    qpop = str(q.get("population") or "")
    findings = list(graded.findings)
    by_fam: dict[str, list[GradedFinding]] = {}
    for f in findings:
        by_fam.setdefault(f.family, []).append(f)
    primary = list(_texts(q.get("outcomes")))
    order = sorted(by_fam, key=lambda fam: not any(f.outcome in primary or f.outcome_name in primary
                                                   for f in by_fam[fam]))
    keys = _family_keys(order)
    sections: list[BriefSection] = []
    heads: list[tuple[BriefSection, GradedFinding]] = []
    for fam in order:
        got = _family_section(fam, keys[fam], by_fam[fam], qpop)
        if got is not None:
            sections.append(got[0])
            heads.append(got)
    said = {h.key: sec.sentences[0].key for sec, h in heads}
    use = _use_section(findings, x, qpop, said)
    if use is not None:
        sections.append(use)
    safety = _safety_section(graded, x)
    sections.append(safety)
    mech = _mechanism_section(graded, x)
    sections.append(mech)
    sections.append(_gaps_section(graded))
    comps = _texts(q.get("comparators"))
    if not comps:
        comps = tuple(dict.fromkeys(f.comparison_label for f in findings))
    return Brief(title=graded.title, population=str(q.get("population") or ""),
                 intervention=str(q.get("intervention") or x), comparators=comps, sections=tuple(sections),
                 conclusion=_conclusion(graded, heads, safety, mech, x))


# ---------------------------------------------------------------------------------------------- render

def render_brief_text(brief: Brief, *, width: int = 100, color: bool = False) -> str:
    """The brief for a terminal: rich wraps each paragraph at word boundaries to ``width``."""
    import io

    from rich.console import Console
    from rich.text import Text

    buf = io.StringIO()
    con = Console(file=buf, width=width, no_color=not color, color_system="standard" if color else None,
                  highlight=False, force_terminal=color, emoji=False)

    def para(head: str, body: str, style: str = "bold") -> None:
        t = Text()
        if head:
            t.append(head, style=style)
            t.append(" ")
        t.append(body)
        con.print(t, overflow="fold", no_wrap=False)

    con.print(Text(brief.title, style="bold"))
    para("Question:", f"{brief.population}; {brief.intervention}; compared with {'; '.join(brief.comparators)}.")
    for sec in (*brief.sections, brief.conclusion):
        lvl = f" ({sec.level})" if sec.level else ""
        body = " ".join(f"{s.text} [{s.key}]" for s in sec.sentences)
        para(f"{sec.title}{lvl}:", body)
    con.print(Text("[key]: evigrade explain KEY; --details lists every finding.", style="dim"))
    return buf.getvalue()


def _citations(graded: GradedSummary) -> dict[str, str]:
    pack = graded.pack
    out: dict[str, str] = {}
    if pack is None:
        return out
    for s in getattr(pack, "studies", ()):
        out.setdefault(s.study_id, s.citation or s.source)
    for r in getattr(pack, "reviews", ()):
        out.setdefault(r.review_id, r.citation or r.source)
    for s in getattr(pack, "safety", ()):
        sid = getattr(s, "source_id", None)
        if sid:
            out.setdefault(sid, getattr(s, "citation", "") or getattr(s, "source", "") or sid)
    for c in getattr(pack, "claims", ()):
        cid = getattr(c, "claim_id", None)
        if cid:
            out.setdefault(cid, getattr(c, "citation", "") or getattr(c, "source", "") or cid)
    return out


def render_brief_markdown(brief: Brief, graded: GradedSummary) -> str:
    """The brief as blog-ready Markdown: numbered citations after each sentence, one reference per paper
    (the source ids that cite it in brackets)."""
    from .._escape import md_inline

    cites = _citations(graded)
    numbers: dict[str, int] = {}        # one number per paper (its citation text), whatever its source ids
    ids_of: dict[str, list[str]] = {}

    def refs(s: BriefSentence) -> str:
        nums = []
        for sid in s.sources:
            paper = " ".join(str(cites.get(sid) or sid).split())
            if paper not in numbers:
                numbers[paper] = len(numbers) + 1
            ids_of.setdefault(paper, [])
            if sid not in ids_of[paper]:
                ids_of[paper].append(sid)
            nums.append(numbers[paper])
        return "[" + ", ".join(str(n) for n in sorted(set(nums))) + "]" if nums else ""

    lines = [f"# {md_inline(brief.title)}", "",
             f"**Question.** {md_inline(brief.population)}; {md_inline(brief.intervention)}; compared with "
             f"{md_inline('; '.join(brief.comparators))}.", ""]
    for sec in (*brief.sections, brief.conclusion):
        lvl = f" (evidence: {md_inline(sec.level)})" if sec.level else ""
        lines.append(f"## {md_inline(sec.title)}{lvl}")
        lines.append("")
        body = " ".join(f"{md_inline(s.text)} {refs(s)}".rstrip() + f" <!-- {s.key} -->" for s in sec.sentences)
        lines.append(body)
        lines.append("")
    if numbers:
        lines.append("## References")
        lines.append("")
        for paper, n in numbers.items():
            lines.append(f"{n}. {md_inline(paper)} ({md_inline(', '.join(ids_of[paper]))})")
        lines.append("")
    return "\n".join(lines)


def explain_lines(graded: GradedSummary, brief: Brief, key: str) -> list[str] | None:
    """What stands behind the sentence ``key``: its findings (numbers, sources, certainty and the GRADE
    reasons) and its sources; None when ``key`` is not a key of the brief."""
    s = brief.sentence(key)
    if s is None:
        return None
    out = [f"[{s.key}] {s.text}"]
    if s.certainty:
        out.append(f"certainty: {_words(s.certainty)}")
    by_key = {f.key: f for f in graded.findings}
    for k in s.findings:
        f = by_key.get(k)
        if f is None:
            continue
        out.append("")
        out.append(f"{f.outcome_name} | {f.timepoint_label} | vs {f.comparison_label} | {f.population_label}")
        if f.estimate is not None:
            kn = f"k={f.k}" if f.k is not None else "k not reported"
            k_effects = getattr(f.meta, "k_effects", None)  # several results per study (a multilevel pool)
            if f.k is not None and k_effects is not None:
                kn += f" ({k_effects} results)"
            n = f"n={f.participants:,}" if f.participants is not None else "participants not reported"
            out.append(f"  effect: {effect_text(f)}; {kn}; {n}; source: {finding_source(f) or '-'}")
        for nd in f.narrative or ():
            out.append(f"  reported without numbers: {nd.get('source_id')} [{nd.get('row_id')}]: "
                       f"{str(nd.get('result_as_reported') or nd.get('direction') or '').strip()}")
        if f.certainty is not None and f.grade is not None:
            src = f"; the source's own GRADE: {_words(f.source_certainty)}" if f.source_certainty else ""
            out.append(f"  certainty: {_words(f.certainty)}{src}")
            for j in f.grade.rating.judgements:
                if j.levels != 0 or j.concern != "no":
                    out.append(f"    {j.domain}: {j.concern.replace('_', ' ')} ({j.levels:+d}): {j.rationale}")
            if f.size_claim:
                out.append(f"  size word: {f.size_claim}")
        else:
            out.append("  certainty: not rated")
    sec = next(x for x in (*brief.sections, brief.conclusion) if s in x.sentences)
    if sec.level:
        out.append(f"section: {sec.title} ({sec.level})")
    if sec.kind == "gaps":
        out.append("")
        out.append("how: the pack's outcomes, time frames and populations, checked against the rated findings")
        if not s.findings:
            out.append("  no finding of the pack addresses it (no result reported, with or without numbers)")
    if sec.kind == "safety" and graded.safety_rating is not None:
        out += ["", f"safety rating: {graded.safety_rating.label}", f"  {graded.safety_rating.sentence}",
                f"  rule: {graded.safety_rating.rule}"]
    if sec.kind == "mechanisms":
        labels = graded.mechanism_labels or ("",) * len(graded.mechanisms)
        out += ["", "mechanism claims:"]
        out += [f"  {m.claim}: {lab or 'not labelled'} ({m.supporting} supporting, {m.not_supporting} against or "
                f"critical; strongest support: {(m.strongest_support or 'none').replace('_', ' ')})"
                for m, lab in zip(graded.mechanisms, labels)]
    if s.sources:
        cites = _citations(graded)
        out.append("")
        out.append("sources:")
        out += [f"  {sid}: {cites.get(sid) or sid}" for sid in s.sources]
    return out
