"""The report model: one pure function turns a Summary (or its ``to_dict()``) into the view every
renderer (HTML, Markdown, terminal) draws from.

The model is where numbers become text, exactly once, so the three formats say the same thing.
It refuses what it cannot describe correctly (an estimate outside its own CI, an unknown certainty
or basis, a forest plot whose study rows disagree with k, ...) with a one-line error rather than
printing something misleading.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from .._escape import first_url, safe_url
from ..errors import InputError, SpecError
from ..effects.measures import RATIO_MEASURES
from ..plots._data import (
    ForestData,
    FunnelData,
    forest_data,
    forest_from_rows,
    funnel_data,
    heterogeneity_text,
    measure_label,
)
from .._format import fmt, fmt_ci, fmt_pct, fmt_sig
from ..packs.summary import MechanismClaim, SafetySummary, Summary
from ..grade.families import FamilySummary, SafetyRating
from .load import SummaryParts, load_parts
from .robustness import robustness_lines
from .views import absolute_text, contrasts, direction_text, event_type_rows, humanise as _humanise, key_points, narrative_rows, pool_row
from .._access import finite_float as _f, first as _g

__all__ = ["ReportModel", "SofRow", "SofTableView", "sof_tables", "build_model", "CERTAINTY", "certainty_symbols", "FUNNEL_MIN_K"]

#: certainty level -> (symbols, word).  Symbols as GRADEpro prints them.
CERTAINTY = {
    "high": ("\u2295\u2295\u2295\u2295", "High"),
    "moderate": ("\u2295\u2295\u2295\u25ef", "Moderate"),
    "low": ("\u2295\u2295\u25ef\u25ef", "Low"),
    "very_low": ("\u2295\u25ef\u25ef\u25ef", "Very low"),
}
#: a funnel plot is drawn only where k >= 10 (Sterne et al. BMJ 2011;343:d4002; Cochrane Handbook 13.3.5.4)
FUNNEL_MIN_K = 10
BASES = ("trials", "review")
_ADDON_PAT = re.compile(r"add[\s_-]?on|\+", re.IGNORECASE)


def certainty_symbols(level: str | None) -> tuple[str, str]:
    if level is None:
        return ("", "Not rated")
    key = str(level).strip().casefold().replace(" ", "_").replace("-", "_")
    if key not in CERTAINTY:
        raise SpecError(f"certainty={level!r} is not one of {', '.join(repr(k) for k in CERTAINTY)}")
    return CERTAINTY[key]


def _slug(s: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", str(s).casefold()).strip("-") or "x"


# --------------------------------------------------------------------------------------------
# view objects


@dataclass(frozen=True)
class Reference:
    """One paper of the reference list; ``keys`` are every source id (or citation) that names it."""

    number: int
    key: str
    citation: str
    url: str | None = None
    anchor: str = ""
    keys: tuple[str, ...] = ()

    @property
    def labels(self) -> tuple[str, ...]:
        """The source ids to show beside the citation (not citation texts, which name the same paper)."""
        return tuple(k for k in (self.keys or (self.key,)) if not any(c.isspace() for c in k.strip()) and
                     _norm_citation(k) != _norm_citation(self.citation))


@dataclass(frozen=True)
class Footnote:
    mark: str
    text: str


@dataclass(frozen=True)
class FindingView:
    anchor: str
    outcome: str
    family: str
    timepoint: str
    comparison: str
    measure: str
    measure_name: str
    basis: str
    effect: str  # "-1.53 (-2.29 to -0.76)"
    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    k: int | None
    participants: int | None
    certainty: str | None
    certainty_symbols: str
    certainty_word: str
    statement: str | None
    footnotes: tuple[Footnote, ...]
    heterogeneity: str | None
    forest: ForestData | None
    funnel: FunnelData | None
    alternatives: tuple[dict[str, str], ...]
    notes: tuple[str, ...]
    refs: tuple[int, ...]
    is_addon: bool
    units: str
    review_rating: str | None = None
    absolute: str | None = None
    population: str = ""
    reported: tuple[str, ...] = ()  # results without an effect estimate (not poolable, qualitative)
    judgements: tuple[dict[str, Any], ...] = ()  # every GRADE domain, including those not rated down
    robustness: tuple[str, ...] = ()  # moderators / sensitivity / small-study lines (report.robustness)
    absolute_effect: str = ""  # SoF "anticipated absolute effect" cell (report.views.absolute_text)
    k_effects: int | None = None  # results pooled when studies give several (multilevel pool), else None
    effect_unit: str = ""  # unit of the estimate and CI ("SD units", "proportion", "NPRS 0-10 points", ...)
    narrative: tuple[dict[str, str], ...] = ()  # results without numbers: source's words + direction
    direction: str = ""  # for findings without an estimate: what the narratives say, in words
    certainty_note: str = ""  # "certainty not rated: no numeric estimate"

    @property
    def has_estimate(self) -> bool:
        return self.estimate is not None


@dataclass(frozen=True)
class FamilyView:
    anchor: str
    name: str
    summary: str | None
    certainty_range: str | None
    findings: tuple[FindingView, ...]


@dataclass(frozen=True)
class SofRow:
    """One row of a SoF table: the finding, its footnote letters in this table ("a,b") and what happens
    (the statement's first sentence; what follows it about the certainty is one of the footnotes)."""

    finding: FindingView
    marks: str
    what_happens: str


@dataclass(frozen=True)
class SofTableView:
    """One Summary-of-Findings table (GRADEpro: one per comparison): its rows and its own footnotes,
    lettered a, b, c ... within the table (a repeated text shares a letter)."""

    anchor: str
    comparison: str
    rows: tuple[SofRow, ...]
    footnotes: tuple[Footnote, ...]


_SENTENCE_END = re.compile(r"(?<=\.)\s+(?=[A-Z])")


def _split_statement(statement: str | None) -> tuple[str, str]:
    """(first sentence, the rest) of a GRADE statement; the rest (e.g. "Certainty could not be fully
    assessed (...)") becomes a footnote of the SoF row."""
    text = (statement or "").strip()
    parts = _SENTENCE_END.split(text, maxsplit=1)
    return parts[0], (parts[1].strip() if len(parts) > 1 else "")


def sof_tables(sof: Sequence[FindingView]) -> tuple[SofTableView, ...]:
    """The SoF rows grouped by comparison (in order of first appearance), footnotes per table."""
    groups: dict[str, list[FindingView]] = {}
    for v in sof:
        groups.setdefault(v.comparison, []).append(v)
    out = []
    for i, (comparison, views) in enumerate(groups.items(), start=1):
        marks: dict[str, str] = {}
        rows = []
        for v in views:
            what, rest = _split_statement(v.statement)
            letters: list[str] = []
            for text in [fn.text for fn in v.footnotes] + ([rest] if rest else []):
                if text not in marks:
                    marks[text] = _mark(len(marks))
                if marks[text] not in letters:
                    letters.append(marks[text])
            rows.append(SofRow(v, ",".join(letters), what))
        out.append(SofTableView(f"sof-{i}", comparison, tuple(rows),
                                tuple(Footnote(m, t) for t, m in marks.items())))
    return tuple(out)


@dataclass(frozen=True)
class ReportModel:
    title: str
    question: tuple[tuple[str, str], ...]  # (label, text) pairs
    generated_at: str | None
    families: tuple[FamilyView, ...]
    key_messages: tuple[FindingView, ...]
    sof: tuple[FindingView, ...]
    sof_footnotes: tuple[Footnote, ...]
    safety: dict[str, Any]
    mechanisms: tuple[dict[str, Any], ...]
    practice: tuple[FindingView, ...]
    methods: tuple[str, ...]
    grade_config: tuple[tuple[str, str], ...]
    references: tuple[Reference, ...]
    notes: tuple[str, ...]
    version: str = ""
    n_plots: int = 0
    show_population: bool = False
    key_points: tuple[dict[str, Any], ...] = ()  # Summary.key_messages (report.views.key_points)
    conclusion: str = ""
    contrasts: tuple[dict[str, Any], ...] = ()  # Summary.comparisons (report.views.contrasts)
    brief: Mapping[str, Any] | None = None  # report.brief.Brief.to_dict(), printed first (issue 15)

    @property
    def findings(self) -> tuple[FindingView, ...]:
        return tuple(f for fam in self.families for f in fam.findings)

    @property
    def sof_tables(self) -> tuple[SofTableView, ...]:
        """One SoF table per comparison, footnotes lettered within each table."""
        return sof_tables(self.sof)


# --------------------------------------------------------------------------------------------
# references


_DOI_IN = re.compile(r"\b(10\.\d{4,9}/[^\s\"<>&#?]+)", re.IGNORECASE)
_PMID_IN = re.compile(r"pubmed(?:\.ncbi\.nlm\.nih\.gov|\.gov)?/(\d{5,9})\b|\bPMID:?\s*(\d{5,9})\b", re.IGNORECASE)


_PROVENANCE = re.compile(r"\s*\[[^\[\]]*\]\s*$")  # "... 2016;36(1):1-13 [evidence_supplement/pooled.csv X008]"
_VOL_PAGE = re.compile(r"\b((?:19|20)\d\d)\b[^;]{0,20};\s*(\d+)\s*(?:\([^)]*\))?\s*:\s*([A-Za-z]?\d+)")


def _norm_citation(text: str) -> str:
    """A citation reduced to lower-case letters and digits, one space apart (punctuation, case and a
    trailing "[file row]" provenance tag ignored)."""
    return " ".join(re.sub(r"[^0-9a-z]+", " ", _PROVENANCE.sub("", str(text)).casefold()).split())


def _citation_ids(citation: str) -> list[str]:
    """Identities of a citation text: itself normalised, and first author + year + volume + first page
    when it states them ("Smith J, et al. ... 2014;44(4):252-260" and its short form match)."""
    out = [f"cit:{_norm_citation(citation)}"]
    m = _VOL_PAGE.search(citation)
    author = re.split(r"[,.]", citation.strip(), maxsplit=1)[0].strip()
    if m and author and " " in author:
        out.append(f"avp:{_norm_citation(author)}|{m.group(1)}|{m.group(2)}|{m.group(3).casefold()}")
    return out


def paper_ids(citation: str, url: str | None) -> tuple[str | None, str | None]:
    """(DOI lower-cased, PubMed id) written in a source's URL or citation, each None when absent."""
    from urllib.parse import unquote

    doi = pmid = None
    for text in (url or "", citation):
        t = unquote(str(text))
        if doi is None and (m := _DOI_IN.search(t)):
            doi = m.group(1).rstrip(".,;)").casefold()
        if pmid is None and (p := _PMID_IN.search(t)):
            pmid = p.group(1) or p.group(2)
    return doi, pmid


class _Refs:
    """Collects sources in order of first appearance; each paper gets one stable number, however many
    source ids or citation texts name it (same DOI, same PubMed id or the same citation text once
    case and punctuation are ignored).  Its link is the DOI, else PubMed, else the source's own
    http(s) URL (``safe_url`` only)."""

    def __init__(self, catalogue: Mapping[str, Mapping[str, Any]]):
        self.catalogue = catalogue
        self.papers: list[dict[str, Any]] = []   # citation, url, doi, pmid, keys
        self.number_of: dict[str, int] = {}      # source key -> paper number
        self.by_id: dict[str, int] = {}          # "doi:..", "pmid:..", "cit:.." -> paper number

    def add(self, src: Any) -> int | None:
        if src is None or src == "":
            return None
        if isinstance(src, Mapping):
            key = str(_g(src, "id", "key", "source_id", "review_id", "study_id", "citation", default=""))
            citation = str(_g(src, "citation", "title", "label", default=key))
            url = _g(src, "url", "source_url")
        else:
            key = str(src).strip()
            cat = self.catalogue.get(key)
            citation = str(_g(cat, "citation", default=key)) if cat else key
            url = _g(cat, "url", "source_url") if cat else None
        if not key:
            return None
        if key in self.number_of:
            return self.number_of[key]
        if url is None:
            url = first_url(citation)
        doi, pmid = paper_ids(citation, None if url is None else str(url))
        ids = [f"doi:{doi}" if doi else "", f"pmid:{pmid}" if pmid else "", *_citation_ids(citation)]
        n = next((self.by_id[i] for i in ids if i and i in self.by_id), None)
        if n is None:
            self.papers.append({"citation": _PROVENANCE.sub("", citation) or citation, "url": url, "doi": doi, "pmid": pmid, "keys": [key]})
            n = len(self.papers)
        else:
            p = self.papers[n - 1]
            p["keys"].append(key)
            p["doi"], p["pmid"] = p["doi"] or doi, p["pmid"] or pmid
            if p["url"] is None:
                p["url"] = url
            if len(_PROVENANCE.sub("", citation)) > len(p["citation"]) and citation != key:
                p["citation"] = _PROVENANCE.sub("", citation)  # the fullest citation text of the paper
        for i in ids:
            if i:
                self.by_id.setdefault(i, n)
        self.number_of[key] = n
        return n

    def add_many(self, srcs: Any) -> tuple[int, ...]:
        if srcs is None:
            return ()
        if isinstance(srcs, (str, Mapping)):
            srcs = [srcs]
        out = []
        for s in srcs:
            n = self.add(s)
            if n is not None and n not in out:
                out.append(n)
        return tuple(sorted(out))

    def all(self) -> tuple[Reference, ...]:
        out = []
        for n, p in enumerate(self.papers, start=1):
            link = (f"doi:{p['doi']}" if p["doi"] else f"PMID: {p['pmid']}" if p["pmid"] else p["url"])
            url = safe_url(link) if link else None
            out.append(Reference(n, p["keys"][0], p["citation"], url, f"ref-{n}", tuple(p["keys"])))
        return tuple(out)


# --------------------------------------------------------------------------------------------
# findings


def _effect_text(measure: str, est: float | None, lo: float | None, hi: float | None, digits: int = 2) -> str:
    if est is None:
        return "not estimable"
    s = f"{measure} {fmt(est, digits)}"
    if lo is not None and hi is not None:
        s += f" ({fmt_ci(lo, hi, digits)})"
    return s


def _check_ci(label: str, est: float | None, lo: float | None, hi: float | None, what: str = "estimate") -> None:
    if lo is not None and hi is not None and lo > hi + 1e-12:
        raise InputError(
            "the CI lower bound exceeds the upper bound, so the report cannot describe it",
            label=label, column="ci_low/ci_high", value=f"{lo} > {hi}", fix="check the CI limits in the pack",
        )
    if est is not None and lo is not None and hi is not None:
        tol = 1e-9 * max(1.0, abs(est))
        if not (lo - tol <= est <= hi + tol):
            raise InputError(
                f"the {what} lies outside its own CI, so the report cannot describe it",
                label=label, column="estimate", value=f"{est} not in [{lo}, {hi}]",
                fix="check the sign convention (orientation) and the CI limits in the pack",
            )


def _meta_of(f: Mapping[str, Any]) -> Mapping[str, Any] | None:
    m = _g(f, "meta", "meta_analysis", "result", "pooled")
    if isinstance(m, Mapping) and (m.get("studies") or m.get("yi") is not None):
        return m
    if f.get("studies") and isinstance(f["studies"], Sequence) and f["studies"] and isinstance(f["studies"][0], Mapping) and "vi" in f["studies"][0]:
        return f
    return None


def _display_triplet(f: Mapping[str, Any], measure: str, meta: Mapping[str, Any] | None) -> tuple[float | None, float | None, float | None]:
    est, lo, hi = _f(_g(f, "estimate")), _f(_g(f, "ci_low")), _f(_g(f, "ci_high"))
    if measure in RATIO_MEASURES:
        if meta is not None and est is None:
            est, lo, hi = (math.exp(v) if v is not None else None for v in (_f(meta.get("estimate")), _f(meta.get("ci_low")), _f(meta.get("ci_high"))))
        elif meta is not None and est is not None and _f(meta.get("estimate")) is not None:
            me = float(meta["estimate"])  # finite: checked just above
            if abs(est - me) < 1e-12 and abs(est - math.exp(me)) > 1e-9:  # finding given on the log scale
                est, lo, hi = (math.exp(v) if v is not None else None for v in (est, lo, hi))
        if est is not None and est <= 0:
            raise InputError(
                f"a ratio measure ({measure}) must be positive on its natural scale",
                label=str(_g(f, "outcome", default="")), column="estimate", value=est,
                fix="store ratios on their natural scale (e.g. RR 0.8), not the log scale",
            )
    elif meta is not None and est is None:
        est, lo, hi = _f(meta.get("estimate")), _f(meta.get("ci_low")), _f(meta.get("ci_high"))
    return est, lo, hi


def _domain_label(domain: Any) -> str:
    return _humanise(domain).capitalize()


def _judgements(f: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every GRADE domain judgement of a finding (from its ``grade`` record, else ``downgrades``)."""
    grade = _g(f, "grade")
    rating = _g(grade, "rating", default=grade) if isinstance(grade, Mapping) else None
    js = _g(rating, "judgements") if isinstance(rating, Mapping) else None
    if not js:
        js = [d for d in (_g(f, "downgrades", "judgements", default=()) or ()) if isinstance(d, Mapping)]
    out = []
    for d in js:
        levels = _f(d.get("levels"))
        out.append({
            "domain": _domain_label(d.get("domain", "")),
            "concern": _humanise(d.get("concern", "")),
            "levels": 0 if levels is None else int(levels),
            "rationale": str(_g(d, "rationale", "footnote", "reason", default="")).strip(),
            "override": d.get("source") == "override",
        })
    return out


def _downgrade_footnotes(f: Mapping[str, Any]) -> list[str]:
    """One footnote per domain that changed the rating (GRADE SoF style)."""
    texts: list[str] = []
    for j in _judgements(f):
        n = j["levels"]
        if n == 0:
            continue
        txt = f"{j['domain']}: rated {'down' if n < 0 else 'up'} {abs(n)} level{'s' if abs(n) != 1 else ''}."
        if j["rationale"]:
            txt += " " + j["rationale"]
        if j["override"]:
            txt += " (reviewer override)"
        texts.append(txt)
    return texts


def _alternatives(f: Mapping[str, Any], measure: str, label: str,
                  refs: _Refs) -> tuple[list[dict[str, str]], list[dict[str, Any]]]:
    """The reviews' results for the same question (table rows) and those on our measure (forest reference rows)."""
    alternatives: list[dict[str, str]] = []
    reference_rows: list[dict[str, Any]] = []
    for alt in _g(f, "alternatives", "reviews", "review_alternatives", default=()) or ():
        if not isinstance(alt, Mapping):
            continue
        am = str(_g(alt, "measure", default=measure)).upper()
        ae, al, ah = _f(alt.get("estimate")), _f(alt.get("ci_low")), _f(alt.get("ci_high"))
        alabel = str(_g(alt, "label", "review", "review_id", "source", default="Published review"))
        _check_ci(f"{label} ({alabel})", ae, al, ah, "review's estimate")
        if alt.get("review_id") and alt.get("citation"):
            n = refs.add_many([{"id": alt["review_id"], "citation": alt["citation"], "url": first_url(alt.get("source"))}])
        else:
            n = refs.add_many(_g(alt, "sources", "source", "citation", default=()))
        akey = _g(alt, "k", "n_trials")
        if ae is None:
            as_rep = str(_g(alt, "result_as_reported", default="")).strip()
            alternatives.append({
                "label": alabel, "effect": as_rep or "no numeric estimate", "k": "" if _f(akey) is None else str(int(akey)),
                "participants": "", "certainty": _humanise(_g(alt, "grade", "grade_certainty", "certainty", default="")),
                "difference": "", "refs": ", ".join(f"[{x}]" for x in n), "primary": "yes" if alt.get("primary") else "",
            })
            continue
        diff = _f(alt.get("difference"))
        diff_txt = str(_g(alt, "difference_text", default="")) or (
            f"ours minus this review: {fmt(diff)}" if diff is not None else "")
        alternatives.append(
            {
                "label": alabel,
                "effect": _effect_text(am, ae, al, ah),
                "k": "" if _f(akey) is None else str(int(akey)),
                "participants": "" if _f(_g(alt, "participants", "n_participants")) is None else str(int(_g(alt, "participants", "n_participants"))),
                "certainty": _humanise(_g(alt, "grade", "grade_certainty", "certainty", default="")),
                "difference": diff_txt,
                "refs": ", ".join(f"[{x}]" for x in n),
                "primary": "yes" if alt.get("primary") else "",
            }
        )
        if am == measure and ae is not None and al is not None and ah is not None:
            reference_rows.append({"label": alabel, "estimate": ae, "ci_low": al, "ci_high": ah, "k": None if _f(akey) is None else int(akey)})

    return alternatives, reference_rows


def _meta_plots(f: Mapping[str, Any], meta: Mapping[str, Any], k: int | None, label: str, title: str, measure: str,
                comparison: str, benefit: Any, units: str, intervention: str, rob_map: Mapping[str, Any],
                reference_rows: list[dict[str, Any]]) -> tuple[Any, Any, str | None]:
    """Forest plot (with RoB, subgroups and the reviews' results), funnel plot (k >= FUNNEL_MIN_K) and the
    heterogeneity line of a pooled finding."""
    studies = meta.get("studies") or []
    n_rows = len(studies) if studies else len(meta.get("yi") or [])
    if k is not None and n_rows and n_rows != k:
        raise InputError(
            "the forest plot would show a different number of studies than k",
            label=label, column="k", value=f"k={k}, {n_rows} study rows", fix="pass the Summary unchanged",
        )
    intervention_lbl = str(_g(f, "intervention", default=intervention))
    comparator_lbl = str(_g(f, "comparator", default=_comparator_of(comparison)))
    rob = {}
    trial_rob = {}
    for t in _g(f, "trials", default=()) or ():
        if isinstance(t, Mapping):
            r = _g(t, "rob_overall", "rob")
            for key in (t.get("study_id"), t.get("result_id")):
                if key is not None and r is not None:
                    trial_rob[str(key)] = r
    for s in studies:
        sid = str(_g(s, "study", default=""))
        r = _g(s, "rob", default=trial_rob.get(sid, rob_map.get(sid)))
        if r is not None:
            rob[sid] = r
    subgroups = [
        {"label": str(_g(sg, "label", "level", default="Subgroup")), "estimate": sg.get("estimate"),
         "ci_low": sg.get("ci_low"), "ci_high": sg.get("ci_high"), "k": sg.get("k")}
        for sg in (_g(f, "subgroups", default=()) or ()) if isinstance(sg, Mapping)
    ]
    # subgroup rows are on the display scale (ratios as ratios), like the reference rows
    forest = forest_data(
        meta, title=title, measure=measure, rob=rob or None,
        references=reference_rows, subgroups=subgroups, benefit=benefit,
        intervention=intervention_lbl, comparator=_short_cmp(comparator_lbl), units=units or None,
        pooled_label=f"Pooled ({_g(meta, 'method', default='RE')}{', HKSJ' if str(_g(meta, 'test', default='')).lower() in ('knha', 'hksj') else ''})",
    )
    funnel = funnel_data(meta, title=title, measure=measure) if n_rows >= FUNNEL_MIN_K else None
    return forest, funnel, heterogeneity_text(meta)


def _trial_forest(f: Mapping[str, Any], label: str, title: str, measure: str, comparison: str, benefit: Any,
                  units: str, intervention: str, rob_map: Mapping[str, Any], reference_rows: list[dict[str, Any]]) -> Any:
    """Forest plot of an unpooled finding: its trials' own estimates beside the reviews' results (or None)."""
    study_rows = []
    for t in _g(f, "trials", default=()) or ():
        if not isinstance(t, Mapping) or str(_g(t, "measure", default=measure)).upper() != measure:
            continue
        te, tl, th = _f(t.get("estimate")), _f(t.get("ci_low")), _f(t.get("ci_high"))
        if te is None or tl is None or th is None:
            continue
        tlabel = str(_g(t, "study_id", "result_id", default="Study"))
        _check_ci(f"{label} ({tlabel})", te, tl, th, "trial's estimate")
        row = {"label": tlabel, "estimate": te, "ci_low": tl, "ci_high": th, "weight": t.get("weight")}
        row["rob"] = _g(t, "rob_overall", "rob", default=rob_map.get(tlabel))
        study_rows.append(row)
    if not study_rows and not reference_rows:
        return None
    return forest_from_rows(
        study_rows, title=title, measure=measure, references=reference_rows,
        benefit=benefit, intervention=str(_g(f, "intervention", default=intervention)),
        comparator=_short_cmp(str(_g(f, "comparator", default=_comparator_of(comparison)))), units=units or None,
    )


def _reported_lines(f: Mapping[str, Any], est: float | None, refs: _Refs) -> list[str]:
    """Results left out of pooling (with what was reported and why) and, without an estimate, the
    reviews' results reported without numbers."""
    reported: list[str] = []
    for npool in _g(f, "not_poolable", default=()) or ():
        if isinstance(npool, Mapping):
            what = str(_g(npool, "result_as_reported", default="")).strip()
            pv = str(_g(npool, "p_value", default="") or "").strip()
            why = str(_g(npool, "reason", default="")).strip()
            sid = str(_g(npool, "study_id", default="")).strip()
            n = refs.add_many([sid]) if sid else ()
            ptxt = "" if not pv else (f" (p {pv})" if pv[0] in "<>=" else f" (p = {pv})")
            reported.append(f"{sid or 'trial'}: {what or 'no result text'}{ptxt}" + (f"; not pooled: {why}" if why else "")
                            + (" " + ", ".join(f"[{x}]" for x in n) if n else ""))
    if est is None:
        for alt in _g(f, "reviews", default=()) or ():
            if isinstance(alt, Mapping) and _f(alt.get("estimate")) is None and _g(alt, "result_as_reported"):
                reported.append(f"{_g(alt, 'review_id', default='review')}: {alt['result_as_reported']}")
    return reported


def _footnotes(f: Mapping[str, Any], marks: dict[str, str]) -> list[Footnote]:
    """The finding's downgrade footnotes, numbered across the whole report (one mark per distinct text)."""
    fns: list[Footnote] = []
    for t in _downgrade_footnotes(f):
        if t not in marks:
            marks[t] = _mark(len(marks))
        fns.append(Footnote(marks[t], t))
    return fns


def _certainty(f: Mapping[str, Any]) -> tuple[str | None, str, str]:
    """(certainty key such as 'very_low' or None, its symbols, its word)."""
    certainty = _g(f, "certainty")
    if isinstance(certainty, Mapping):
        certainty = _g(certainty, "certainty", "level")
    sym, word = certainty_symbols(certainty)
    cert_key = None if certainty is None else str(certainty).strip().casefold().replace(" ", "_").replace("-", "_")
    return cert_key, sym, word


def _finding_notes(f: Mapping[str, Any], basis: str, est: float | None) -> list[str]:
    """The finding's notes as text; a review-based estimate says first that it rests on a review."""
    notes = []
    for n in _g(f, "notes", default=()) or ():
        notes.append(str(_g(n, "message", default=n)) if isinstance(n, Mapping) else str(n))
    if basis == "review" and est is not None:
        notes.insert(0, "Too few trials with usable data: this finding rests on a published review's pooled result.")
    return notes


def _int_or_none(x: Any) -> int | None:
    return int(x) if _f(x) is not None else None


def _without_told(reported: list[str], narrative: Any) -> list[str]:
    """The narratives replace the older "reported" lines for the same rows (no duplicates)."""
    told = {r["source"] for r in narrative}
    return [r for r in reported if not any(r.startswith(t + ":") for t in told)]


def _finding_plots(f: Mapping[str, Any], meta: Any, est: float | None, k: int | None, label: str, title: str,
                   measure: str, comparison: str, benefit: Any, units: str, intervention: str,
                   rob_map: Mapping[str, Any], reference_rows: Any) -> tuple[Any, Any, Any]:
    """Forest, funnel and heterogeneity text of one finding: pooled trials, or one estimate alone."""
    if meta is not None:
        return _meta_plots(f, meta, k, label, title, measure, comparison, benefit, units, intervention, rob_map,
                           reference_rows)
    if est is not None:
        return _trial_forest(f, label, title, measure, comparison, benefit, units, intervention, rob_map,
                             reference_rows), None, None
    return None, None, None


def _finding_view(
    f: Mapping[str, Any],
    idx: int,
    refs: _Refs,
    marks: dict[str, str],
    outcomes: Mapping[str, Mapping[str, Any]],
    comparisons: Mapping[str, str],
    timepoints: Mapping[str, str],
    rob_map: Mapping[str, Any],
    intervention: str,
    direction_name: str | None = None,
) -> FindingView:
    outcome_id = str(_g(f, "outcome", "outcome_id", default=f"finding {idx + 1}"))
    oinfo = outcomes.get(outcome_id, {})
    outcome = str(_g(f, "outcome_name", default=_g(oinfo, "name", default=_humanise(outcome_id))))
    outcome = outcome[:1].upper() + outcome[1:]
    family = str(_g(f, "family", default=_g(oinfo, "family", default="other")))
    tp_id = str(_g(f, "timepoint", default="unspecified"))
    timepoint = str(_g(f, "timepoint_label", default=timepoints.get(tp_id, _humanise(tp_id))))
    cmp_id = str(_g(f, "comparison", default=""))
    comparison = str(_g(f, "comparison_label", default=comparisons.get(cmp_id, _humanise(cmp_id))))
    basis = str(_g(f, "basis", default="trials"))
    if basis not in BASES:
        raise SpecError(f"basis={basis!r} is not one of 'trials', 'review' (finding {outcome_id}, {tp_id}, {cmp_id})")
    meta = _meta_of(f) if basis == "trials" else None
    measure = str(_g(f, "measure", default=_g(meta, "measure", default="GEN") if meta else "GEN")).upper()
    label = f"{outcome} / {timepoint} / {comparison}"
    est, lo, hi = _display_triplet(f, measure, meta)
    _check_ci(label, est, lo, hi)
    k = _int_or_none(_g(f, "k", default=_g(meta, "k") if meta else None))
    participants = _int_or_none(_g(f, "participants", "n"))
    cert_key, sym, word = _certainty(f)
    units = str(_g(f, "units", "unit", default=_g(oinfo, "unit", "scale", default="")) or "")
    benefit = _g(f, "benefit", default=_g(oinfo, "benefit"))
    benefit = benefit if benefit is None or str(benefit) in ("lower", "higher") else None

    fns = _footnotes(f, marks)
    src = refs.add_many(_g(f, "sources", "source", default=()))
    alternatives, reference_rows = _alternatives(f, measure, label, refs)

    pop_id = str(_g(f, "population", default=""))
    population = str(_g(f, "population_label", default=_humanise(pop_id)))
    anchor = f"f-{_slug(outcome_id)}-{_slug(tp_id)}-{_slug(cmp_id)}" + (f"-{_slug(pop_id)}" if pop_id else "")
    title = f"{outcome}, {timepoint}, {comparison}"
    forest, funnel, heterogeneity = _finding_plots(f, meta, est, k, label, title, measure, comparison, benefit,
                                                   units, intervention, rob_map, reference_rows)
    reported = _reported_lines(f, est, refs)
    notes = _finding_notes(f, basis, est)
    effect_unit = str(_g(f, "effect_unit", default="") or "") or units
    if measure == "SMD" and not effect_unit:
        effect_unit = "SD units"
    dname = direction_name or intervention
    narrative = narrative_rows(f, lambda x: refs.add_many([x]), dname)
    if narrative and est is None:
        reported = _without_told(reported, narrative)
    ml = _g(f, "meta")
    return FindingView(
        k_effects=_int_or_none(_g(ml, "k_effects")) if isinstance(ml, Mapping) and _g(ml, "model") == "multilevel" else None,
        absolute_effect=absolute_text(f, measure, est, lo, hi, effect_unit) if basis in BASES else "",
        effect_unit=effect_unit,
        narrative=narrative,
        direction=direction_text(_g(f, "reported_direction"), dname) if est is None and _g(f, "reported_direction") else "",
        certainty_note=str(_g(f, "certainty_note", default="") or ("certainty not rated: no numeric estimate"
                                                                   if est is None and not _g(f, "certainty") else "")),
        robustness=tuple(robustness_lines(_g(f, "robustness"))),
        judgements=tuple(_judgements(f)),
        population=population,
        reported=tuple(reported),
        anchor=anchor,
        outcome=outcome,
        family=family,
        timepoint=timepoint,
        comparison=comparison,
        measure=measure,
        measure_name=measure_label(measure),
        basis=basis,
        effect=_effect_text(measure, est, lo, hi),
        estimate=est,
        ci_low=lo,
        ci_high=hi,
        k=k,
        participants=participants,
        certainty=cert_key,
        certainty_symbols=sym,
        certainty_word=word,
        statement=_g(f, "statement"),
        footnotes=tuple(fns),
        heterogeneity=heterogeneity,
        forest=forest,
        funnel=funnel,
        alternatives=tuple(alternatives),
        notes=tuple(notes),
        refs=src,
        is_addon=bool(_g(f, "is_addon", default=False)) or bool(_ADDON_PAT.search(cmp_id + " " + comparison)),
        units=units,
        review_rating=_humanise(_g(f, "review_rating")) or None,
        absolute=_g(f, "absolute_effect", "absolute"),
    )


def _comparator_of(comparison: str) -> str:
    """'the intervention + X vs X' -> 'X'; a label without ' vs ' is used as it is."""
    parts = re.split(r"\s+(?:vs\.?|versus|compared with)\s+", comparison, maxsplit=1)
    return parts[1] if len(parts) == 2 and parts[1] else (comparison or "control")



def _short_cmp(s: str) -> str:
    return s if len(s) <= 28 else s[:27] + "\u2026"


def _mark(i: int) -> str:
    letters = "abcdefghijklmnopqrstuvwxyz"
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = letters[r] + s
    return s


# --------------------------------------------------------------------------------------------
# methods paragraph


_METHOD_NAMES = {
    "FE": "a common-effect (fixed-effect) model",
    "CE": "a common-effect (fixed-effect) model",
    "DL": "a random-effects model with the DerSimonian-Laird estimator of tau\u00b2",
    "REML": "a random-effects model with restricted maximum likelihood (REML) estimation of tau\u00b2",
    "ML": "a random-effects model with maximum likelihood estimation of tau\u00b2",
    "PM": "a random-effects model with the Paule-Mandel estimator of tau\u00b2",
    "EB": "a random-effects model with the empirical Bayes estimator of tau\u00b2",
    "HE": "a random-effects model with the Hedges estimator of tau\u00b2",
    "HS": "a random-effects model with the Hunter-Schmidt estimator of tau\u00b2",
    "HSK": "a random-effects model with the Hunter-Schmidt (small-sample) estimator of tau\u00b2",
    "SJ": "a random-effects model with the Sidik-Jonkman estimator of tau\u00b2",
}


def _methods(summary: Mapping[str, Any], cfg: Mapping[str, Any] | None, version: str) -> tuple[str, ...]:
    spec = _g(summary, "spec", "analysis", default={}) or {}
    method = str(_g(spec, "method", default=_g(summary, "method", default="REML"))).upper()
    test = str(_g(spec, "test", default=_g(summary, "test", default="knha"))).lower()
    level = _f(_g(spec, "level", default=95)) or 95.0
    if level <= 1:
        level *= 100
    lv = f"{fmt_sig(level)}%"
    if method not in _METHOD_NAMES:
        raise SpecError(f"method={method!r} is not one the report can describe ({', '.join(sorted(_METHOD_NAMES))})")
    if test not in ("knha", "hksj", "z"):
        raise SpecError(f"test={test!r} is not one of 'knha', 'z'")
    ci_txt = (
        "Hartung-Knapp-Sidik-Jonkman (t-based) confidence intervals" if test in ("knha", "hksj") else "Wald-type (z) confidence intervals"
    )
    p1 = (
        f"Trial results for the same outcome, time point and comparison were pooled with {_METHOD_NAMES[method]}, "
        f"with {lv} {ci_txt}"
        + ("" if method in ("FE", "CE") else f", a {lv} prediction interval where at least three trials were pooled, and Q-profile confidence intervals for tau\u00b2")
        + " (evigrade " + version + ", whose statistics are checked against R metafor 3.8). "
        "Heterogeneity is reported as tau\u00b2, I\u00b2 and Cochran's Q. Ratio measures were pooled on the log scale and are shown on their natural scale. "
        "Where fewer than two trials had usable data, the finding rests on a published review's pooled result, and overlapping reviews are shown as "
        "alternative summaries of the same trials, never pooled with each other."
    )
    ml = [m for m in (_g(f, "meta") for f in _g(summary, "findings", default=()) or ())
          if isinstance(m, Mapping) and _g(m, "model") == "multilevel"]
    if ml:  # several results of one study for one question (evigrade.pipeline.pooling)
        rhos = sorted({float(m["rho"]) for m in ml if _f(m.get("rho")) is not None})
        p1 += (" Where a trial gave several results for one question (several arms against one control, several scales "
               "or several time points within one time frame), all of them were pooled with a multilevel random-effects "
               "model (REML; results nested in trials; a sampling correlation of " + " or ".join(f"{r:g}" for r in rhos)
               + " assumed between results of one trial) with cluster-robust (CR2) variance and Satterthwaite t-based "
               "confidence and prediction intervals (R metafor rma.mv and robust() with clubSandwich); such findings "
               "count trials and results separately.")
    paras = [p1]
    if cfg:
        bits = []
        rs, rv = _f(cfg.get("rob_serious_share")), _f(cfg.get("rob_very_serious_share"))
        if rs is not None:
            bits.append(
                f"risk of bias was rated down one level when trials at high risk of bias or with some concerns (unknown risk counted as some concerns) "
                f"carried at least {fmt_pct(rs, 0)} of the analysis weight" + (f", and two levels when trials at high risk carried at least {fmt_pct(rv, 0)}" if rv is not None else "")
            )
        i2s, i2v = _f(cfg.get("i2_serious")), _f(cfg.get("i2_very_serious"))
        if i2s is not None:
            bits.append(
                f"inconsistency was rated down from I\u00b2 \u2265 {fmt_pct(i2s, 0)}" + (f" (two levels from {fmt_pct(i2v, 0)})" if i2v is not None else "")
                + " only when the trials' point estimates fall on both sides of the null or the prediction interval crosses it"
            )
        oc, ob, far = cfg.get("ois_continuous"), cfg.get("ois_binary_events"), _f(cfg.get("ois_far_below"))
        if oc is not None:
            bits.append(
                "imprecision was rated down one level for each decision threshold (minimal important difference for benefit, no effect, "
                "minimal important difference for harm) that the confidence interval crosses, up to three; otherwise against an optimal information size of "
                f"{oc} participants" + (f" or {ob} events" if ob is not None else "") + (f" (two levels below {fmt_pct(far, 0)} of it)" if far is not None else "")
            )
        pk, pa = cfg.get("pub_bias_min_k"), _f(cfg.get("pub_bias_alpha"))
        if pk is not None:
            bits.append(
                f"publication bias was assessed with small-study tests only where at least {pk} trials were pooled"
                + (f" (rated down when p < {fmt_sig(pa)})" if pa is not None else "") + ", and is otherwise reported as not assessable"
            )
        txt = ("Certainty of evidence was rated with GRADE: randomised evidence started at high certainty; " + "; ".join(bits) + ".") if bits else "Certainty of evidence was rated with GRADE."
        txt += " Indirectness was taken from explicit judgements in the evidence pack; where none was given it is reported as not assessed. The thresholds used are listed below."
        paras.append(txt.strip())
    else:
        paras.append("Certainty of evidence (GRADE) was not rated in this summary.")
    paras.append(
        "Plain-language statements follow GRADE's informative statements (Santesso et al., J Clin Epidemiol 2020;119:126-135): "
        "high certainty uses a plain verb, moderate \"probably\", low \"may\", and very low \"the evidence is very uncertain\"."
    )
    return tuple(paras)


def _config_rows(cfg: Mapping[str, Any] | None) -> tuple[tuple[str, str], ...]:
    if not cfg:
        return ()
    rows = []
    for k, v in cfg.items():
        if isinstance(v, (list, tuple)) and v and isinstance(v[0], Mapping):
            v = "; ".join(", ".join(f"{kk}={vv}" for kk, vv in item.items() if kk != "source") for item in v)
        elif isinstance(v, (list, tuple)):
            v = ", ".join(fmt_sig(x) if isinstance(x, float) else str(x) for x in v)
        elif isinstance(v, float):
            v = fmt_sig(v)
        rows.append((str(k), str(v)))
    return tuple(rows)


# --------------------------------------------------------------------------------------------
# safety and mechanisms


def _src_ref(refs: _Refs, item: Any) -> tuple[int, ...]:
    """Reference numbers of one safety row (a SafetyItem, or a source's dict inside the typed safety
    summary): its source id (a catalogue entry, else the id with the row's citation and link)."""
    sid = _g(item, "source_id", "id") or None
    src = _g(item, "sources", "source", "citation")
    if sid is not None and str(sid) in refs.catalogue:
        return refs.add_many([str(sid)])
    if sid is not None:
        cit = _g(item, "citation", default=None)
        return refs.add_many([{"id": str(sid), "citation": str(cit or sid), "url": first_url(src)}])
    return refs.add_many(src or ())


def _safety(safety: SafetySummary | None, refs: _Refs, rating: SafetyRating | None,
            context: tuple[str, ...] = ()) -> dict[str, Any]:
    """The safety section; ``rating`` is the typed safety rating (``GradedSummary.safety_rating``, or
    loaded at the JSON edge by ``report.load.load_safety``); ``context`` the pack's [safety] context lines."""
    if safety is None:
        return {}
    ref_of = lambda it: _src_ref(refs, it)  # noqa: E731
    rates = [pool_row(r, ref_of, safety.min_pool_k) for r in safety.pools]
    event_types = event_type_rows(safety, ref_of)
    items = []
    for it in safety.items:
        p, lo, hi = it.proportion, it.ci_low, it.ci_high
        _check_ci(it.event or "adverse event", p, lo, hi, "proportion")
        nums = _src_ref(refs, it)
        ev, den = it.events, it.denominator
        items.append({
            "event": it.event,
            "severity": _humanise(it.severity_as_reported or it.severity),
            "basis": _humanise(it.denominator_basis),
            "counts": f"{ev} / {den}" if ev is not None and den is not None else "",
            "rate": (fmt_pct(p, 2) + (f" ({fmt_pct(lo, 2)} to {fmt_pct(hi, 2)})" if lo is not None and hi is not None else "")) if p is not None else "",
            "reported": it.rate_as_reported,
            "refs": ", ".join(f"[{x}]" for x in nums),
        })
    cases = []
    for c in safety.case_reports:
        nums = _src_ref(refs, c)
        cases.append({
            "event": str(_g(c, "event", default="")),
            "description": str(_g(c, "description", "summary", "notes", "population", "population_or_region", default="")),
            "refs": ", ".join(f"[{x}]" for x in nums),
        })
    other = []
    for o in safety.other:
        basis = _humanise(_g(o, "denominator_basis", default=""))
        rep = str(_g(o, "rate_as_reported", default="") or "").strip()
        other.append({
            "source": str(_g(o, "source_id", default="")),
            "event": str(_g(o, "event", default="")),
            "severity": _humanise(_g(o, "severity", default="")),
            "reported": rep + (f" (of {basis})" if rep and basis and basis != "none" else ""),
            "design": str(_g(o, "design", default="") or ""),
            "refs": ", ".join(f"[{x}]" for x in _src_ref(refs, o)),
        })
    return {"rates": rates, "by_source": items, "cases": cases,
            "rating": _humanise(rating.label) if rating is not None and rating.label else "",
            "statement": rating.sentence if rating is not None else "",
            "notes": [n.message for n in safety.notes], "event_types": event_types,
            "common_mild": list(safety.common_mild_events), "other": other,
            "rule": rating.rule if rating is not None else "", "context": context}


def _mechanisms(mechs: Sequence[MechanismClaim], labels: Sequence[str | None], refs: _Refs) -> tuple[dict[str, Any], ...]:
    """One row per mechanism claim (``labels``: ``GradedSummary.mechanism_labels``, one per claim, or none)."""
    out = []
    for i, m in enumerate(mechs):
        acc: list[int] = []
        for e in m.evidence:
            cit = e.citation or e.claim_id
            if not cit:
                continue
            # a citation that is a catalogue key (a source id) is that source; otherwise the text itself
            n = refs.add(cit) if cit in refs.catalogue else refs.add({"id": cit, "citation": cit, "url": first_url(e.source)})
            if n is not None and n not in acc:
                acc.append(n)
        sup, nsup = m.supporting, m.not_supporting
        label = labels[i] if i < len(labels) else None
        out.append({
            "count": "" if sup is None else f"{sup} supporting, {nsup or 0} not supporting",
            "name": m.claim,
            "claim": m.proposed_effect,
            "support": _humanise(m.strongest_support or ""),
            "label": _humanise(label or ""),
            "refs": ", ".join(f"[{x}]" for x in sorted(acc)),
        })
    return tuple(out)


# --------------------------------------------------------------------------------------------


def _study_catalogue(d: Mapping[str, Any], pack: Any) -> tuple[dict[str, Any], dict[str, Mapping[str, Any]]]:
    """(study id -> overall RoB, reference key -> citation/url) from the studies and the source list."""
    rob_map: dict[str, Any] = {}
    catalogue: dict[str, Mapping[str, Any]] = {}
    for s in _g(d, "studies", default=None) or _g(pack, "studies", default=()) or ():
        if isinstance(s, Mapping):
            sid = str(_g(s, "study_id", "id", default=""))
            rob = _g(s, "rob")
            rob_map[sid] = _g(rob, "overall") if isinstance(rob, Mapping) else rob
            catalogue[sid] = {"citation": _g(s, "citation", default=sid), "url": _g(s, "url", "source")}
    for src in _g(d, "sources", "references", default=()) or ():
        if isinstance(src, Mapping):
            key = str(_g(src, "id", "key", default=""))
            if key:
                catalogue[key] = src
    return rob_map, catalogue


def _unique_anchors(views: list[FindingView]) -> list[FindingView]:
    """Make anchors unique (deterministically: a repeat gets -2, -3, ...)."""
    anchors: dict[str, int] = {}
    fixed = []
    for v in views:  # make anchors unique (deterministically)
        n = anchors.get(v.anchor, 0)
        anchors[v.anchor] = n + 1
        fixed.append(v if n == 0 else _replace(v, anchor=f"{v.anchor}-{n + 1}"))
    return fixed


def _family_views(summaries: Sequence[FamilySummary], views: list[FindingView]) -> list[FamilyView]:
    """One FamilyView per outcome family, in the order the findings first name them (``summaries``:
    the typed family summaries, ``GradedSummary.families`` or loaded by ``report.load.load_families``)."""
    fam_info = {fs.family: fs for fs in summaries}
    fam_order: list[str] = []
    for v in views:
        if v.family not in fam_order:
            fam_order.append(v.family)
    families = []
    for name in fam_order:
        info = fam_info.get(name)
        families.append(
            FamilyView(
                anchor=f"family-{_slug(name)}",
                name=_humanise(name).capitalize(),
                summary=(info.sentence or None) if info is not None else None,
                certainty_range=(_humanise(info.certainty_range) or None) if info is not None else None,
                findings=tuple(v for v in views if v.family == name),
            )
        )
    return families


def _question_rows(question: Any) -> list[tuple[str, str]]:
    """(label, text) rows of the pack's question (population, intervention, ...)."""
    q_rows: list[tuple[str, str]] = []
    if isinstance(question, Mapping):
        for key in ("population", "intervention", "comparators", "comparison", "outcomes", "setting"):
            v = question.get(key)
            if v:
                q_rows.append((key.capitalize(), "; ".join(map(str, v)) if isinstance(v, (list, tuple)) else str(v)))
    elif question:
        q_rows.append(("Question", str(question)))
    return q_rows


def build_model(summary: Summary | Mapping[str, Any], *, generated_at: str | None = None) -> ReportModel:
    """Turn a Summary (or a saved summary's dict) into a :class:`ReportModel`.

    Safety, mechanisms, key messages, contrasts and family summaries are read typed
    (``report.load.SummaryParts``: a Summary's own objects, or a dict's loaded once by ``load_parts``);
    the findings are still read from ``to_dict()`` (issue 12)."""
    from .. import __version__

    d = summary.to_dict() if hasattr(summary, "to_dict") and not isinstance(summary, Mapping) else summary
    if not isinstance(d, Mapping):
        raise InputError("the report needs a Summary (or Summary.to_dict())", value=type(summary).__name__,
                         fix="call evigrade.packs.summarize(pack) and pass its result")
    findings = d.get("findings")
    if not isinstance(findings, Sequence) or isinstance(findings, (str, bytes)):
        raise InputError("the summary has no 'findings' list", column="findings", fix="pass Summary.to_dict() unchanged")
    pack = _g(d, "pack", default={}) or {}
    outcomes = {str(_g(o, "id", default="")): o for o in (_g(d, "outcomes", default=None) or _g(pack, "outcomes", default=()) or ()) if isinstance(o, Mapping)}
    comps = {str(_g(c, "id", default="")): str(_g(c, "label", default=_g(c, "id", default=""))) for c in (_g(d, "comparisons", default=None) or _g(pack, "comparisons", default=()) or ()) if isinstance(c, Mapping)}
    tps = {str(_g(b, "id", default="")): str(_g(b, "label", default=_g(b, "id", default=""))) for b in (_g(d, "buckets", "timepoints", default=None) or _g(pack, "buckets", default=()) or ()) if isinstance(b, Mapping)}
    rob_map, catalogue = _study_catalogue(d, pack)
    refs = _Refs(catalogue)
    question = _g(d, "question", default=_g(pack, "question", default={})) or {}
    title = str(_g(d, "title", default=_g(pack, "title", default="Evidence summary")))
    intervention = str(_g(question, "intervention", default="intervention")) if isinstance(question, Mapping) else "intervention"
    intervention_short = str(_g(d, "intervention_short", default=_g(question, "intervention_short", default=intervention)) if isinstance(question, Mapping) else intervention)
    if len(intervention_short) > 28:
        intervention_short = "intervention"

    marks: dict[str, str] = {}
    raw = [f for f in findings if isinstance(f, Mapping)]
    views = [
        _finding_view(f, i, refs, marks, outcomes, comps, tps, rob_map, intervention_short, _direction_name(question))
        for i, f in enumerate(raw)
    ]
    views = _unique_anchors(views)
    anchor_of = {
        tuple(str(_g(f, k, default="")) for k in ("outcome", "timepoint", "comparison", "population")): v.anchor
        for f, v in zip(raw, views)
    }

    # typed parts: a Summary's own objects; from a dict they are loaded once, at the edge (report.load)
    parts = SummaryParts.of(summary) if isinstance(summary, Summary) else load_parts(d)
    families = _family_views(parts.families, views)
    key_messages = tuple(v for v in views if v.statement and v.has_estimate)
    sof = tuple(v for v in views if v.has_estimate)
    sof_notes = tuple(Footnote(m, t) for t, m in sorted(marks.items(), key=lambda kv: _mark_index(kv[1])))
    cfg = _g(d, "grade_config", "config", default=None)
    if cfg is not None and hasattr(cfg, "to_dict"):
        cfg = cfg.to_dict()
    version = __version__
    # the pack's own lines on where the safety counts come from ([safety] context; never words of the code)
    safety = _safety(parts.safety, refs, parts.safety_rating, parts.topic.safety_context)
    mechanisms = _mechanisms(parts.mechanisms, parts.mechanism_labels, refs)
    q_rows = _question_rows(question)
    notes = tuple(str(_g(n, "message", default=n)) if isinstance(n, Mapping) else str(n) for n in (_g(d, "notes", default=()) or ()))
    n_plots = sum((v.forest is not None) + (v.funnel is not None) for v in views)
    return ReportModel(
        title=title,
        question=tuple(q_rows),
        generated_at=generated_at,
        families=tuple(families),
        key_messages=key_messages,
        sof=sof,
        sof_footnotes=sof_notes,
        safety=safety,
        mechanisms=mechanisms,
        practice=tuple(v for v in views if v.is_addon),
        methods=_methods(d, cfg, version),
        grade_config=_config_rows(cfg),
        references=refs.all(),
        notes=notes,
        version=version,
        n_plots=n_plots,
        show_population=len({v.population for v in views if v.population}) > 1,
        key_points=key_points(parts.key_messages, certainty_symbols, anchor_of),
        conclusion=str(_g(d, "conclusion", default="") or ""),
        contrasts=contrasts(parts.comparisons),
        brief=_brief(d),
    )


def _brief(d: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The brief as ``report_dict`` adds it (``report.brief.Brief.to_dict()``), or None."""
    b = d.get("brief")
    return b if isinstance(b, Mapping) and isinstance(b.get("sections"), list) else None


def _direction_name(question: Any) -> str:
    """Short intervention name for 'favours ...' (the pack's short name, else its name without a parenthesis)."""
    if not isinstance(question, Mapping):
        return "the intervention"
    for key in ("intervention_short", "intervention_name", "short_intervention", "intervention"):
        v = question.get(key)
        if isinstance(v, str) and v.strip():
            v = " ".join(v.split()).split(" (")[0].strip()
            if 0 < len(v) <= 40:
                return v if v[:2].isupper() else v[:1].lower() + v[1:]
    return "the intervention"


def _mark_index(m: str) -> int:
    n = 0
    for ch in m:
        n = n * 26 + (ord(ch) - 96)
    return n


def _replace(v: FindingView, **changes: Any) -> FindingView:
    import dataclasses

    return dataclasses.replace(v, **changes)
