"""RevMan 5 review files (.rm5 XML) and RevMan's analysis CSV export -> frozen records -> an evidence pack.

``read_revman(path)`` parses (nothing is written) into a :class:`RevManReview`: studies, every
analysis (comparison x outcome) with its data type (dichotomous, continuous, generic inverse
variance), RevMan's settings (MH/IV/Peto, fixed/random, OR/RR/RD/MD/SMD/..., CI level, totals),
subgroups, the per-study data and RevMan's own pooled results as stored in the file, and the
risk-of-bias (RoB 1) judgements.  ``write_pack(review, folder)`` writes pack.toml and the pack CSVs
into a temporary folder next to ``folder`` and renames it into place, so a failure never leaves a
half-written pack.  Output is deterministic (same input, same bytes).

Security: the XML is parsed with expat directly and any document type declaration is refused, so
no entity (internal or external) is ever defined or expanded; files over ``MAX_BYTES`` are refused.

Bad input raises one :class:`~evigrade.errors.InputError` naming the file, the line and element
(or CSV row and column), the value and the fix.
"""
from __future__ import annotations

import csv
import io
import math
import os
import re
import shutil
import tempfile
import unicodedata
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Literal, TypedDict
from xml.parsers import expat

from ..errors import InputError
from ..results import ResultMixin, jsonable

__all__ = [
    "MAX_BYTES",
    "RevManStudy",
    "StudyEntry",
    "Pooled",
    "Subgroup",
    "SubgroupTest",
    "Analysis",
    "RobJudgement",
    "RevManReview",
    "read_revman",
    "write_pack",
    "import_revman",
]

#: Largest input file accepted (the largest public Cochrane data file we have seen is ~4 MB).
MAX_BYTES = 64 * 1024 * 1024

DataType = Literal["dichotomous", "continuous", "generic_iv"]
Method = Literal["MH", "IV", "PETO"]

_OUTCOME_TAGS: dict[str, DataType] = {"DICH_OUTCOME": "dichotomous", "CONT_OUTCOME": "continuous",
                                      "IV_OUTCOME": "generic_iv"}
_DATA_TAG = {"dichotomous": "DICH_DATA", "continuous": "CONT_DATA", "generic_iv": "IV_DATA"}
_SUBGROUP_TAG = {"dichotomous": "DICH_SUBGROUP", "continuous": "CONT_SUBGROUP", "generic_iv": "IV_SUBGROUP"}
#: RevMan 5 outcome types evigrade cannot read yet (observed-minus-expected, "other" data, IPD).
_UNSUPPORTED_TAGS = {"OE_OUTCOME": "O-E and variance", "OTHER_OUTCOME": "other data", "IPD_OUTCOME": "individual patient data"}

#: Effect-measure names in RevMan (attribute codes and generic-inverse-variance labels) -> evigrade measure.
_MEASURES = {
    "or": "OR", "odds ratio": "OR", "peto_or": "OR", "peto odds ratio": "OR", "rr": "RR", "risk ratio": "RR",
    "rd": "RD", "risk difference": "RD", "md": "MD", "mean difference": "MD", "smd": "SMD",
    "std. mean difference": "SMD", "standardized mean difference": "SMD", "standardised mean difference": "SMD",
    "ratio of means": "ROM", "hr": "HR", "hazard ratio": "HR", "rate ratio": "RateRatio",
}
#: Measures analysed on the log scale.
LOG_MEASURES = ("OR", "RR", "ROM", "HR", "RateRatio")
#: Measures the pack format can hold in results.csv / reviews.csv (others are written as "ES").
_PACK_MEASURES = ("MD", "SMD", "OR", "RR", "RD", "ROM")
#: RoB 1 judgements as RevMan 5 stores them.
_ROB: dict[str, Literal["low", "high", "unclear"]] = {"YES": "low", "NO": "high", "UNKNOWN": "unclear"}


# ------------------------------------------------------------------------------------------------
# frozen records
# ------------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class RevManStudy:
    """An included study: RevMan's id (``STD-...``), its name as printed and its year (text)."""

    id: str
    name: str
    year: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "year": self.year}


@dataclass(frozen=True, slots=True)
class StudyEntry(ResultMixin):
    """One study's data in one analysis (group 1 = experimental, group 2 = control, as RevMan).

    Dichotomous: ``events_1, total_1, events_2, total_2``; continuous: ``mean_1, sd_1, total_1,
    mean_2, sd_2, total_2``; generic inverse variance: ``estimate`` and ``se`` on the analysis scale
    (natural log for ratio measures).  ``revman_*`` are RevMan's own per-study results as stored.
    """

    study_id: str
    study_name: str
    year: str
    subgroup: int  # 0 = the analysis has no subgroups
    location: str  # where in the file (for messages)
    events_1: float | None = None
    total_1: float | None = None
    events_2: float | None = None
    total_2: float | None = None
    mean_1: float | None = None
    sd_1: float | None = None
    mean_2: float | None = None
    sd_2: float | None = None
    estimate: float | None = None
    se: float | None = None
    revman_estimate: float | None = None
    revman_ci_low: float | None = None
    revman_ci_high: float | None = None
    revman_weight: float | None = None
    order: int | None = None


class _EntryCommon(TypedDict):
    """The ``StudyEntry`` fields of every data type: the study, where it is in the file, RevMan's own results."""

    study_id: str
    study_name: str
    year: str
    subgroup: int
    location: str
    revman_estimate: float | None
    revman_ci_low: float | None
    revman_ci_high: float | None
    revman_weight: float | None
    order: int | None


@dataclass(frozen=True, slots=True)
class Pooled(ResultMixin):
    """RevMan's pooled result for an analysis or subgroup, as stored (ratios as ratios).

    ``chi2``/``df``/``p_chi2`` are the heterogeneity test, ``i2`` in percent, ``z``/``p_z`` the test
    of the overall effect; ``k`` the number of studies RevMan lists (estimable or not).
    """

    k: int | None
    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    z: float | None = None
    p_z: float | None = None
    chi2: float | None = None
    df: float | None = None
    p_chi2: float | None = None
    i2: float | None = None
    tau2: float | None = None
    events_1: float | None = None
    total_1: float | None = None
    events_2: float | None = None
    total_2: float | None = None


@dataclass(frozen=True, slots=True)
class SubgroupTest(ResultMixin):
    """RevMan's test for subgroup differences (Chi², df, P, I² in percent)."""

    chi2: float | None
    df: float | None
    p: float | None
    i2: float | None


@dataclass(frozen=True, slots=True)
class Subgroup(ResultMixin):
    no: int
    name: str
    pooled: Pooled | None


@dataclass(frozen=True, slots=True)
class Analysis:
    """One RevMan analysis (comparison x outcome) with RevMan's settings and results."""

    comparison_no: int
    outcome_no: int
    comparison_name: str
    name: str
    data_type: DataType
    method: Method
    measure: str  # OR, RR, RD, MD, SMD, ROM, HR, ... or the label as written when unknown
    measure_label: str  # as RevMan wrote it
    random: bool
    ci_level: float  # percent, for the pooled result
    ci_level_study: float  # percent, for the study rows
    totals: Literal["yes", "subtotals", "none"]
    subgroup_test_shown: bool
    log_scale_data: bool  # generic IV: estimates entered on the log scale
    swap_events: bool
    group_label_1: str
    group_label_2: str
    graph_label_left: str
    graph_label_right: str
    units: str
    location: str
    studies: tuple[StudyEntry, ...]
    subgroups: tuple[Subgroup, ...] = ()
    pooled: Pooled | None = None
    subgroup_test: SubgroupTest | None = None

    @property
    def id(self) -> str:
        """RevMan's analysis number, e.g. ``"1.2"`` (comparison 1, outcome 2)."""
        return f"{self.comparison_no}.{self.outcome_no}"

    @property
    def log_measure(self) -> bool:
        return self.measure in LOG_MEASURES

    def to_dict(self) -> dict[str, Any]:
        d = {k: getattr(self, k) for k in self.__slots__ if k not in ("studies", "subgroups", "pooled", "subgroup_test")}
        d.update(id=self.id, studies=[s.to_dict() for s in self.studies],
                 subgroups=[g.to_dict() for g in self.subgroups],
                 pooled=self.pooled.to_dict() if self.pooled else None,
                 subgroup_test=self.subgroup_test.to_dict() if self.subgroup_test else None)
        return jsonable(d)


@dataclass(frozen=True, slots=True)
class RobJudgement:
    """One RoB 1 judgement: item (e.g. "Allocation concealment (selection bias)"), study, outcome group
    (for items judged per outcome group; "" = the whole study), ``low``/``high``/``unclear`` and the support text."""

    item_no: int
    item: str
    study_id: str
    group: str
    judgement: Literal["low", "high", "unclear"]
    support: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__slots__}


@dataclass(frozen=True, slots=True)
class RevManReview:
    source: str  # file name as given
    format: Literal["rm5", "csv"]
    title: str
    doi: str
    revman_version: str
    studies: tuple[RevManStudy, ...]
    analyses: tuple[Analysis, ...]
    rob: tuple[RobJudgement, ...] = ()
    notes: tuple[str, ...] = field(default=())  # what was read but not imported, with the reason

    def analysis(self, aid: str) -> Analysis:
        return next(a for a in self.analyses if a.id == aid)

    def to_dict(self) -> dict[str, Any]:
        return jsonable({"source": self.source, "format": self.format, "title": self.title, "doi": self.doi,
                         "revman_version": self.revman_version, "studies": [s.to_dict() for s in self.studies],
                         "analyses": [a.to_dict() for a in self.analyses], "rob": [r.to_dict() for r in self.rob],
                         "notes": list(self.notes)})


# ------------------------------------------------------------------------------------------------
# safe XML
# ------------------------------------------------------------------------------------------------
def _read_bytes(path: str | os.PathLike, name: str) -> bytes:
    from .._io import input_limit, too_large_error

    try:
        size = os.path.getsize(path)
        if size > MAX_BYTES:
            raise InputError(f"file is {size / 1e6:.0f} MB, more than the {MAX_BYTES // (1024 * 1024)} MB limit",
                             file=name, fix="give a RevMan 5 review file (.rm5) or a RevMan analysis CSV export")
        limit = input_limit()  # the --max-input-mb limit of every reader (issue 19), below RevMan's own
        if size > limit:
            raise too_large_error(name, size, limit)
        with open(path, "rb") as fh:
            data = fh.read(min(MAX_BYTES, limit) + 1)
    except FileNotFoundError:
        raise InputError("file not found", file=name, fix="check the path and the file name") from None
    except IsADirectoryError:
        raise InputError("is a folder, not a file", file=name, fix="give the path of the .rm5 or .csv file") from None
    except PermissionError:
        raise InputError("cannot be read (permission denied)", file=name, fix="check the file's permissions") from None
    except OSError as exc:
        raise InputError(f"cannot be read ({exc.strerror or exc})", file=name, fix="check the path") from None
    if not data.strip():
        raise InputError("file is empty", file=name, fix="export the review again from RevMan 5 (File > Export)")
    return data


class _NoDTD(Exception):
    pass


def _parse_xml(data: bytes, name: str) -> tuple[ET.Element, dict[int, tuple[int, int]]]:
    """Parse with expat, refusing any DOCTYPE (hence any entity definition); returns the root and
    the line number of every element (by id)."""
    builder = ET.TreeBuilder()
    lines: dict[int, tuple[int, int]] = {}
    p = expat.ParserCreate()
    p.buffer_text = True

    def start(tag, attrs):  # ordered_attributes off: attrs is a dict
        el = builder.start(tag, attrs)
        lines[id(el)] = (p.CurrentLineNumber, p.CurrentColumnNumber + 1)

    def refuse(*_a):
        raise _NoDTD()

    p.StartElementHandler = start
    p.EndElementHandler = builder.end
    p.CharacterDataHandler = builder.data
    p.StartDoctypeDeclHandler = refuse
    p.EntityDeclHandler = refuse
    p.UnparsedEntityDeclHandler = refuse
    p.ExternalEntityRefHandler = refuse
    try:
        p.Parse(data, True)
    except _NoDTD:
        raise InputError(f"line {p.CurrentLineNumber}: the XML declares a document type (<!DOCTYPE> or <!ENTITY>), "
                         "which RevMan files never do; it is refused so that no entity is expanded",
                         file=name, fix="give the .rm5 file exactly as RevMan 5 saved it") from None
    except expat.ExpatError as exc:
        raise InputError(f"line {exc.lineno}, column {exc.offset + 1}: not well-formed XML "
                         f"({expat.ErrorString(exc.code)})", file=name,
                         fix="give the .rm5 file exactly as RevMan 5 saved it (File > Save), not an edited copy") from None
    root = builder.close()
    return root, lines


# ------------------------------------------------------------------------------------------------
# .rm5
# ------------------------------------------------------------------------------------------------
class _Ctx:
    def __init__(self, name: str, lines: dict[int, tuple[int, int]]):
        self.name, self.lines = name, lines

    def where(self, el: ET.Element, what: str = "") -> str:
        line = self.lines.get(id(el))
        return (f"line {line[0]} column {line[1]}, " if line else "") + f"element <{el.tag}>" + (f" ({what})" if what else "")

    def err(self, el: ET.Element, what: str, attr: str, problem: str, value: Any, fix: str) -> InputError:
        return InputError(f"attribute {attr} {problem}", file=f"{self.name}, {self.where(el, what)}", value=value,
                          has_value=True, fix=fix)

    def num(self, el: ET.Element, attr: str, what: str = "", *, integer: bool = False, nonneg: bool = False,
            positive: bool = False, required: bool = False) -> float | None:
        raw = el.get(attr)
        if raw is None or not raw.strip():
            if required:
                raise InputError(f"attribute {attr} is missing or empty", file=f"{self.name}, {self.where(el, what)}",
                                 fix=f"enter {attr} in RevMan and save the review again")
            return None
        try:
            v = float(raw.strip())
        except ValueError:
            raise self.err(el, what, attr, "must be a number", raw, "correct the value in RevMan and save again") from None
        if not math.isfinite(v):
            if attr in ("P_Z", "P_CHI2", "P_Q", "Z", "CHI2", "Q", "I2", "I2_Q", "TAU2", "CI_START", "CI_END",
                        "EFFECT_SIZE", "LOG_CI_START", "LOG_CI_END", "LOG_EFFECT_SIZE", "WEIGHT", "SE", "VAR"):
                return None  # RevMan writes NaN/Infinity for results it could not compute
            raise self.err(el, what, attr, "must be a finite number", raw, "correct the value in RevMan and save again")
        if integer and v != int(v):
            raise self.err(el, what, attr, "must be a whole number", raw, "correct the count in RevMan")
        if nonneg and v < 0:
            raise self.err(el, what, attr, "must be >= 0", raw, "counts and totals cannot be negative")
        if positive and v <= 0:
            raise self.err(el, what, attr, "must be > 0", raw, "correct the value in RevMan")
        return v


def _text(el: ET.Element | None) -> str:
    if el is None:
        return ""
    return " ".join("".join(el.itertext()).split())


def _measure(label: str) -> str:
    key = " ".join(label.strip().split()).casefold()
    return _MEASURES.get(key, label.strip())


def _pooled(ctx: _Ctx, el: ET.Element, what: str) -> Pooled | None:
    g = lambda a, **kw: ctx.num(el, a, what, **kw)  # noqa: E731
    est = g("EFFECT_SIZE")
    k = g("STUDIES", integer=True, nonneg=True)
    if el.get("ESTIMABLE", "YES") == "NO" or est is None:
        return Pooled(k=None if k is None else int(k), estimate=None, ci_low=None, ci_high=None,
                      events_1=g("EVENTS_1"), total_1=g("TOTAL_1"), events_2=g("EVENTS_2"), total_2=g("TOTAL_2"))
    return Pooled(k=None if k is None else int(k), estimate=est, ci_low=g("CI_START"), ci_high=g("CI_END"),
                  z=g("Z"), p_z=g("P_Z"), chi2=g("CHI2"), df=g("DF"), p_chi2=g("P_CHI2"), i2=g("I2"),
                  tau2=g("TAU2"), events_1=g("EVENTS_1"), total_1=g("TOTAL_1"), events_2=g("EVENTS_2"),
                  total_2=g("TOTAL_2"))


def _study_entry(ctx: _Ctx, el: ET.Element, dtype: DataType, aid: str, subgroup: int,
                 studies: dict[str, RevManStudy]) -> StudyEntry:
    sid = el.get("STUDY_ID", "")
    st = studies.get(sid)
    what = f"analysis {aid}, study {st.name if st else sid!r}"
    if not sid:
        raise InputError("attribute STUDY_ID is missing", file=f"{ctx.name}, {ctx.where(el, f'analysis {aid}')}",
                         fix="give the .rm5 file exactly as RevMan 5 saved it")
    if st is None:
        raise ctx.err(el, what, "STUDY_ID", "names a study that is not among the included studies", sid,
                      "add the study to the included studies in RevMan, or remove its data row")
    g = lambda a, **kw: ctx.num(el, a, what, **kw)  # noqa: E731
    common = _EntryCommon(study_id=sid, study_name=st.name, year=st.year, subgroup=subgroup, location=what,
                  revman_estimate=g("EFFECT_SIZE"), revman_ci_low=g("CI_START"), revman_ci_high=g("CI_END"),
                  revman_weight=g("WEIGHT"), order=None if g("ORDER") is None else int(g("ORDER") or 0))
    if dtype == "dichotomous":
        e1 = g("EVENTS_1", integer=True, nonneg=True, required=True)
        n1 = g("TOTAL_1", integer=True, nonneg=True, required=True)
        e2 = g("EVENTS_2", integer=True, nonneg=True, required=True)
        n2 = g("TOTAL_2", integer=True, nonneg=True, required=True)
        for e, n, a in ((e1, n1, "EVENTS_1"), (e2, n2, "EVENTS_2")):
            if e is not None and n is not None and e > n:
                raise ctx.err(el, what, a, f"is larger than the group total ({n:g})", el.get(a),
                              "correct the events or the total in RevMan")
        return StudyEntry(events_1=e1, total_1=n1, events_2=e2, total_2=n2, **common)
    if dtype == "continuous":
        return StudyEntry(mean_1=g("MEAN_1", required=True), sd_1=g("SD_1", nonneg=True, required=True),
                          total_1=g("TOTAL_1", integer=True, nonneg=True, required=True),
                          mean_2=g("MEAN_2", required=True), sd_2=g("SD_2", nonneg=True, required=True),
                          total_2=g("TOTAL_2", integer=True, nonneg=True, required=True), **common)
    est = g("ESTIMATE", required=True)
    se = g("SE", nonneg=True, required=True)
    return StudyEntry(estimate=est, se=se, total_1=g("TOTAL_1", integer=True, nonneg=True),
                      total_2=g("TOTAL_2", integer=True, nonneg=True), **common)


def _analysis_rm5(ctx: _Ctx, el: ET.Element, cmp_no: int, cmp_name: str, studies: dict[str, RevManStudy]) -> Analysis:
    dtype = _OUTCOME_TAGS[el.tag]
    no_raw = el.get("NO", "")
    if not no_raw.strip().isdigit():
        raise ctx.err(el, f"comparison {cmp_no}", "NO", "must be the outcome's number", no_raw,
                      "give the .rm5 file exactly as RevMan 5 saved it")
    out_no = int(no_raw)
    aid = f"{cmp_no}.{out_no}"
    what = f"analysis {aid}"
    if dtype == "generic_iv":
        label = _text(el.find("EFFECT_MEASURE"))
        method: str = "IV"
    else:
        label = el.get("EFFECT_MEASURE", "")
        method = (el.get("METHOD") or "IV").upper() if dtype == "dichotomous" else "IV"
    if method not in ("MH", "IV", "PETO"):
        raise ctx.err(el, what, "METHOD", "is not one of MH, IV, PETO", el.get("METHOD"),
                      "give the .rm5 file exactly as RevMan 5 saved it")
    measure = _measure(label)
    if dtype == "dichotomous" and measure not in ("OR", "RR", "RD"):
        raise ctx.err(el, what, "EFFECT_MEASURE", "is not one of OR, RR, RD, PETO_OR", label,
                      "choose the effect measure in RevMan's analysis properties")
    if dtype == "continuous" and measure not in ("MD", "SMD"):
        raise ctx.err(el, what, "EFFECT_MEASURE", "is not one of MD, SMD", label,
                      "choose the effect measure in RevMan's analysis properties")
    if method == "PETO":
        measure = "OR"
    random = el.get("RANDOM", "NO").upper() == "YES"
    log_data = el.get("LOG_DATA", "YES" if measure in LOG_MEASURES else "NO").upper() == "YES"
    totals = {"YES": "yes", "SUB": "subtotals", "NO": "none"}.get(el.get("TOTALS", "YES").upper())
    if totals is None:
        raise ctx.err(el, what, "TOTALS", "is not one of YES, SUB, NO", el.get("TOTALS"),
                      "give the .rm5 file exactly as RevMan 5 saved it")
    ci_total = ctx.num(el, "CI_TOTAL", what, positive=True) or 95.0
    ci_study = ctx.num(el, "CI_STUDY", what, positive=True) or 95.0
    for a, v in (("CI_TOTAL", ci_total), ("CI_STUDY", ci_study)):
        if not 50 <= v < 100:
            raise ctx.err(el, what, a, "must be a confidence level in percent (50 to 99.9)", el.get(a),
                          "set the confidence interval in RevMan's analysis properties")
    entries: list[StudyEntry] = []
    subgroups: list[Subgroup] = []
    data_tag, sub_tag = _DATA_TAG[dtype], _SUBGROUP_TAG[dtype]
    for ch in el:
        if ch.tag == data_tag:
            entries.append(_study_entry(ctx, ch, dtype, aid, 0, studies))
        elif ch.tag == sub_tag:
            gno_raw = ch.get("NO", "")
            if not gno_raw.strip().isdigit():
                raise ctx.err(ch, what, "NO", "must be the subgroup's number", gno_raw,
                              "give the .rm5 file exactly as RevMan 5 saved it")
            gno = int(gno_raw)
            gname = _text(ch.find("NAME")) or f"Subgroup {gno}"
            for d in ch:
                if d.tag == data_tag:
                    entries.append(_study_entry(ctx, d, dtype, aid, gno, studies))
            subgroups.append(Subgroup(gno, gname, _pooled(ctx, ch, f"{what}, subgroup {gno}")))
    pooled = _pooled(ctx, el, what) if totals == "yes" else None
    sg_test = None
    if subgroups and el.get("SUBGROUP_TEST", "YES").upper() == "YES" and len(subgroups) > 1:
        sg_test = SubgroupTest(ctx.num(el, "Q", what), None if ctx.num(el, "Q", what) is None else float(
            sum(1 for g in subgroups if g.pooled and g.pooled.estimate is not None) - 1),
            ctx.num(el, "P_Q", what), ctx.num(el, "I2_Q", what))
    return Analysis(
        comparison_no=cmp_no, outcome_no=out_no, comparison_name=cmp_name, name=_text(el.find("NAME")) or f"Outcome {aid}",
        data_type=dtype, method=method, measure=measure, measure_label=label, random=random, ci_level=ci_total,  # type: ignore[arg-type]
        ci_level_study=ci_study, totals=totals, subgroup_test_shown=el.get("SUBGROUP_TEST", "YES").upper() == "YES",  # type: ignore[arg-type]
        log_scale_data=log_data, swap_events=el.get("SWAP_EVENTS", "NO").upper() == "YES",
        group_label_1=_text(el.find("GROUP_LABEL_1")), group_label_2=_text(el.find("GROUP_LABEL_2")),
        graph_label_left=_text(el.find("GRAPH_LABEL_1")), graph_label_right=_text(el.find("GRAPH_LABEL_2")),
        units=el.get("UNITS", ""), location=what, studies=tuple(entries), subgroups=tuple(subgroups),
        pooled=pooled, subgroup_test=sg_test)


def _read_rm5(data: bytes, name: str) -> RevManReview:
    root, lines = _parse_xml(data, name)
    ctx = _Ctx(name, lines)
    if root.tag != "COCHRANE_REVIEW":
        raise InputError(f"the root element is <{root.tag}>, not <COCHRANE_REVIEW>", file=name,
                         fix="give a RevMan 5 review file (.rm5), or RevMan's analysis CSV export (.csv)")
    notes: list[str] = []
    studies: dict[str, RevManStudy] = {}
    for s in root.iter("STUDY"):
        sid = s.get("ID", "")
        if not sid:
            raise InputError("attribute ID is missing", file=f"{name}, {ctx.where(s)}",
                             fix="give the .rm5 file exactly as RevMan 5 saved it")
        if sid in studies:
            raise ctx.err(s, "", "ID", "is used by two studies", sid, "give the .rm5 file exactly as RevMan 5 saved it")
        studies[sid] = RevManStudy(sid, (s.get("NAME") or sid).strip(), (s.get("YEAR") or "").strip())
    analyses: list[Analysis] = []
    data_root = root.find("ANALYSES_AND_DATA")
    seen: set[str] = set()
    for cmp in (data_root if data_root is not None else ()):
        if cmp.tag != "COMPARISON":
            continue
        no_raw = cmp.get("NO", "")
        if not no_raw.strip().isdigit():
            raise ctx.err(cmp, "", "NO", "must be the comparison's number", no_raw,
                          "give the .rm5 file exactly as RevMan 5 saved it")
        cno = int(no_raw)
        cname = _text(cmp.find("NAME")) or f"Comparison {cno}"
        for el in cmp:
            if el.tag in _OUTCOME_TAGS:
                a = _analysis_rm5(ctx, el, cno, cname, studies)
                if a.id in seen:
                    raise ctx.err(el, f"comparison {cno}", "NO", "repeats an outcome number already used in this comparison",
                                  el.get("NO"), "give the .rm5 file exactly as RevMan 5 saved it")
                seen.add(a.id)
                analyses.append(a)
            elif el.tag in _UNSUPPORTED_TAGS:
                notes.append(f"analysis {cno}.{el.get('NO', '?')} ({_text(el.find('NAME'))}): "
                             f"{_UNSUPPORTED_TAGS[el.tag]} outcomes are not imported")
    if not analyses:
        raise InputError("has no analyses (no <DICH_OUTCOME>, <CONT_OUTCOME> or <IV_OUTCOME> under <ANALYSES_AND_DATA>)",
                         file=name, fix="add the data and analyses in RevMan 5, or download the review's data file "
                                        "(\"Download statistical data\") from the Cochrane Library")
    rob = _read_rob(ctx, root, studies)
    title = _text(root.find("COVER_SHEET/TITLE"))
    return RevManReview(source=name, format="rm5", title=title or Path(name).stem, doi=root.get("DOI", ""),
                        revman_version=root.get("REVMAN_SUB_VERSION") or root.get("REVMAN_VERSION") or "",
                        studies=tuple(studies.values()), analyses=tuple(analyses), rob=rob, notes=tuple(notes))


def _read_rob(ctx: _Ctx, root: ET.Element, studies: dict[str, RevManStudy]) -> tuple[RobJudgement, ...]:
    out: list[RobJudgement] = []
    for item in root.iter("QUALITY_ITEM"):
        try:
            no = int(item.get("NO", "0"))
        except ValueError:
            raise ctx.err(item, "risk of bias", "NO", "must be the item's number", item.get("NO"),
                          "give the .rm5 file exactly as RevMan 5 saved it") from None
        iname = _text(item.find("NAME")) or item.get("ID", f"item {no}")
        groups = {g.get("ID", ""): _text(g.find("NAME")) for g in item.iter("QUALITY_ITEM_DATA_ENTRY_GROUP")}
        for e in item.iter("QUALITY_ITEM_DATA_ENTRY"):
            res = (e.get("RESULT") or "").upper()
            sid = e.get("STUDY_ID", "")
            if res not in _ROB:
                raise ctx.err(e, f"risk of bias, {iname}", "RESULT", "is not one of YES (low), NO (high), UNKNOWN (unclear)",
                              e.get("RESULT"), "set the judgement in RevMan's risk-of-bias table")
            if sid not in studies:
                continue  # judgements of excluded / awaiting studies are not part of the analyses
            gid = e.get("GROUP_ID", "")
            out.append(RobJudgement(no, iname, sid, groups.get(gid, gid), _ROB[res], _text(e.find("DESCRIPTION"))))
    out.sort(key=lambda r: (r.item_no, r.study_id, r.group))
    return tuple(out)


# ------------------------------------------------------------------------------------------------
# RevMan's analysis CSV export (the format R meta's read.rm5 / read.cdir reads)
# ------------------------------------------------------------------------------------------------
def _norm_header(h: str) -> str:
    h = h.replace("\ufeff", "").replace("²", "2").replace("\u00b2", "2")
    return re.sub(r"[^a-z0-9]+", "", unicodedata.normalize("NFKC", h).casefold())


_CSV_COLS = {
    "comparisonnumber": "cmp", "outcomenumber": "out", "subgroupnumber": "sub", "name": "name",
    "datatype": "type", "statisticalmethod": "method", "effectmeasure": "measure", "analysismodel": "model",
    "events1": "e1", "mean1": "m1", "sd1": "sd1", "total1": "n1", "events2": "e2", "mean2": "m2", "sd2": "sd2",
    "total2": "n2", "effectestimate": "est", "se": "se", "cistart": "lo", "ciend": "hi", "weight": "w", "q": "q",
    "pq": "pq", "i2q": "i2", "tau2": "tau2", "z": "z", "pz": "pz", "qint": "qint", "pqint": "pqint",
    "i2qint": "i2qint", "df": "df", "grouplabel1": "gl1", "grouplabel2": "gl2", "leftgraphlabel": "left",
    "rightgraphlabel": "right", "yearofstudy": "year", "userdefinedorder": "order", "totals": "totals",
    "studyconfidenceinterval": "ci_study", "totalconfidenceinterval": "ci_total",
    "enteredthedataareonlogscalegenericinversevarianceonly": "logscale",
    "entereddataareonlogscalegenericinversevarianceonly": "logscale",
    "swapeventandnonevent": "swap",
}
_CSV_TYPES: dict[str, DataType] = {"dic": "dichotomous", "dich": "dichotomous", "con": "continuous",
                                   "cont": "continuous", "iv": "generic_iv", "giv": "generic_iv"}


def _decode_csv(data: bytes, name: str) -> str:
    if b"\x00" in data[:4096]:
        raise InputError("is not a text file (it contains NUL bytes)", file=name,
                         fix="give RevMan's analysis CSV export (File > Export > Data and analyses) or the .rm5 file")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")  # RevMan 5 on Windows writes the local code page


class _CsvRow:
    def __init__(self, name: str, rownum: int, cells: dict[str, str], label: str):
        self.name, self.rownum, self.cells, self.label = name, rownum, cells, label

    def err(self, col: str, problem: str, value: Any, fix: str) -> InputError:
        return InputError(problem, file=self.name, row=self.rownum, label=self.label or None, column=col, value=value,
                          has_value=True, fix=fix)

    def text(self, key: str) -> str:
        return (self.cells.get(key) or "").strip()

    def num(self, key: str, col: str, *, integer: bool = False, nonneg: bool = False) -> float | None:
        raw = self.text(key).replace(",", "") if key in ("e1", "e2", "n1", "n2") else self.text(key)
        if not raw or raw.upper() in ("NA", "NAN"):
            return None
        try:
            v = float(raw)
        except ValueError:
            raise self.err(col, "must be a number", raw, "correct the value in RevMan and export again") from None
        if not math.isfinite(v):
            return None
        if integer and v != int(v):
            raise self.err(col, "must be a whole number", raw, "correct the count in RevMan and export again")
        if nonneg and v < 0:
            raise self.err(col, "must be >= 0", raw, "counts and totals cannot be negative")
        return v


def _csv_rows(rows: list[list[str]], header: list[str], keys: list[str], name: str) -> list[_CsvRow]:
    """The non-blank data rows (row numbers from 2), each as cells by key; a row of the wrong width is refused."""
    parsed: list[_CsvRow] = []
    for i, row in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in row):
            continue
        if len(row) != len(header):
            raise InputError(f"has {len(row)} cells but the header has {len(header)}", file=name, row=i,
                             fix="export again without the 'Risk of bias tables' field, and quote cells that contain "
                                 "the delimiter")
        cells = {k: v for k, v in zip(keys, row) if k}
        parsed.append(_CsvRow(name, i, cells, cells.get("name", "").strip()))
    return parsed


def _csv_settings(head: _CsvRow, dtype: str,
                  cn: Callable[[str], str]) -> tuple[str, str, str, str, bool, str, float, float]:
    """An analysis row's settings: method, measure (and its label), model, log-scale data, totals, CI levels."""
    method = head.text("method").upper() or "IV"
    if method in ("INVERSE", "INV"):
        method = "IV"
    label = head.text("measure")
    measure = _measure(label)
    if method in ("PETO", "EXP_O_E_VAR"):
        method, measure = "PETO", "OR"
    if method not in ("MH", "IV", "PETO"):
        raise head.err(cn("method"), "is not one of MH, IV, PETO", head.text("method"),
                       "choose the statistical method in RevMan's analysis properties and export again")
    if dtype == "dichotomous" and measure not in ("OR", "RR", "RD"):
        raise head.err(cn("measure"), "is not one of OR, RR, RD, PETO_OR for dichotomous data", label,
                       "choose the effect measure in RevMan and export again")
    if dtype == "continuous" and measure not in ("MD", "SMD"):
        raise head.err(cn("measure"), "is not one of MD, SMD for continuous data", label,
                       "choose the effect measure in RevMan and export again")
    model = head.text("model").casefold()
    if model not in ("fixed", "random", ""):
        raise head.err(cn("model"), "is not Fixed or Random", head.text("model"), "export again from RevMan 5")
    log_raw = head.text("logscale").casefold()
    log_data = (log_raw in ("yes", "true", "1")) if log_raw else measure in LOG_MEASURES
    totals_raw = head.text("totals").casefold()
    totals = {"yes": "yes", "sub": "subtotals", "subtotals only": "subtotals", "no": "none"}.get(totals_raw, "yes")
    ci_total = head.num("ci_total", cn("ci_total")) or 95.0
    ci_study = head.num("ci_study", cn("ci_study")) or 95.0
    return method, measure, label, model, log_data, totals, ci_total, ci_study


def _csv_entry(r: _CsvRow, dtype: str, cn: Callable[[str], str], common: _EntryCommon) -> StudyEntry | None:
    """A study row's entry: arm counts (dichotomous) or means, SDs and totals (continuous), checked."""
    if dtype == "dichotomous":
        vals = {k: r.num(k, cn(k), integer=True, nonneg=True) for k in ("e1", "n1", "e2", "n2")}
        counts: dict[str, float] = {}
        for k, v in vals.items():
            if v is None:
                raise r.err(cn(k), "is required but empty", "", "enter the counts in RevMan and export again")
            counts[k] = v
        for e, n in (("e1", "n1"), ("e2", "n2")):
            if counts[e] > counts[n]:
                raise r.err(cn(e), f"is larger than the group total ({vals[n]:g})", r.text(e),
                            "correct the events or the total in RevMan")
        return StudyEntry(events_1=vals["e1"], total_1=vals["n1"], events_2=vals["e2"],
                          total_2=vals["n2"], **common)
    elif dtype == "continuous":
        vals = {k: r.num(k, cn(k), nonneg=k in ("sd1", "sd2", "n1", "n2"), integer=k in ("n1", "n2"))
                for k in ("m1", "sd1", "n1", "m2", "sd2", "n2")}
        for k, v in vals.items():
            if v is None:
                raise r.err(cn(k), "is required but empty", "", "enter the means, SDs and totals in RevMan")
        return StudyEntry(mean_1=vals["m1"], sd_1=vals["sd1"], total_1=vals["n1"], mean_2=vals["m2"],
                          sd_2=vals["sd2"], total_2=vals["n2"], **common)
    return None


def _read_csv(data: bytes, name: str) -> RevManReview:
    text = _decode_csv(data, name)
    first = text.split("\n", 1)[0]
    delim = max((",", ";", "\t"), key=first.count)
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delim))
    if not rows:
        raise InputError("file is empty", file=name, fix="export the data and analyses again from RevMan 5")
    header = rows[0]
    keys = [_CSV_COLS.get(_norm_header(h), "") for h in header]
    colname = {k: h.strip() for k, h in zip(keys, header) if k}
    missing = [c for c, k in (("Comparison Number", "cmp"), ("Outcome Number", "out"), ("Subgroup Number", "sub"),
                              ("Name", "name"), ("Data Type", "type")) if k not in keys]
    if missing:
        raise InputError(f"required column is missing: {missing[0]}", file=name, row=1, column=missing[0],
                         fix="export with RevMan 5's default fields (File > Export > Data and analyses), "
                             "or give the .rm5 file")

    def cn(k: str) -> str:
        return colname.get(k, k)

    parsed = _csv_rows(rows, header, keys, name)

    def intcol(r: _CsvRow, k: str) -> int:
        v = r.num(k, cn(k), integer=True, nonneg=True)
        if v is None:
            raise r.err(cn(k), "is required but empty", r.text(k), "export again from RevMan 5; every row has its numbers")
        return int(v)

    comparisons: dict[int, str] = {}
    # group rows by analysis, keeping file order
    by_analysis: dict[tuple[int, int], list[_CsvRow]] = {}
    for r in parsed:
        c, o = intcol(r, "cmp"), intcol(r, "out")
        if o == 0:
            comparisons[c] = r.text("name") or f"Comparison {c}"
            continue
        by_analysis.setdefault((c, o), []).append(r)
    analyses: list[Analysis] = []
    studies: dict[str, RevManStudy] = {}
    notes: list[str] = []
    for (c, o), rs in by_analysis.items():
        head = rs[0]
        aid = f"{c}.{o}"
        if intcol(head, "sub") != 0 or not head.text("type"):
            raise head.err(cn("type"), f"the first row of analysis {aid} must be the analysis row (Subgroup Number 0, "
                                       "Data Type filled)", head.text("type"),
                           "export again from RevMan 5 without re-sorting the rows")
        tcode = head.text("type").casefold()
        dtype = _CSV_TYPES.get(tcode)
        if dtype is None or dtype == "generic_iv":
            # generic inverse variance rows of the CSV export are not read: no real export was available to
            # confirm on which scale RevMan writes their estimates (the .rm5 file is unambiguous)
            why = "is not imported" if dtype is None else "is not imported from the CSV export (use the .rm5 file)"
            notes.append(f"analysis {aid} ({head.text('name')}): data type {head.text('type')!r} {why}")
            continue
        method, measure, label, model, log_data, totals, ci_total, ci_study = _csv_settings(head, dtype, cn)
        entries: list[StudyEntry] = []
        subgroups: list[Subgroup] = []
        seen_sub: set[int] = set()
        for r in rs[1:]:
            gno = intcol(r, "sub")
            if gno > 0 and gno not in seen_sub:  # the first row of a subgroup is its summary row
                seen_sub.add(gno)
                subgroups.append(Subgroup(gno, r.text("name") or f"Subgroup {gno}", _csv_pooled(r, cn)))
                continue
            sname = r.text("name")
            if not sname:
                raise r.err(cn("name"), "is required but empty", "", "every study row needs the study's name")
            year = r.text("year")
            sid = _csv_study_id(sname, year)
            studies.setdefault(sid, RevManStudy(sid, sname, year))
            loc = f"analysis {aid}, row {r.rownum}, study {sname!r}"
            common = _EntryCommon(study_id=sid, study_name=sname, year=year, subgroup=gno, location=loc,
                          revman_estimate=r.num("est", cn("est")), revman_ci_low=r.num("lo", cn("lo")),
                          revman_ci_high=r.num("hi", cn("hi")), revman_weight=r.num("w", cn("w")),
                          order=None if r.num("order", cn("order")) is None else int(r.num("order", cn("order")) or 0))
            entry = _csv_entry(r, dtype, cn, common)
            if entry is not None:
                entries.append(entry)
        pooled = _csv_pooled(head, cn) if totals == "yes" else None
        sg_test = None
        if len(subgroups) > 1 and head.num("qint", cn("qint")) is not None:
            sg_test = SubgroupTest(head.num("qint", cn("qint")), float(len(subgroups) - 1),
                                   head.num("pqint", cn("pqint")), head.num("i2qint", cn("i2qint")))
        analyses.append(Analysis(
            comparison_no=c, outcome_no=o, comparison_name=comparisons.get(c, f"Comparison {c}"),
            name=head.text("name") or f"Outcome {aid}", data_type=dtype, method=method, measure=measure,  # type: ignore[arg-type]
            measure_label=label, random=model == "random", ci_level=ci_total, ci_level_study=ci_study,
            totals=totals, subgroup_test_shown=True, log_scale_data=log_data,  # type: ignore[arg-type]
            swap_events=head.text("swap").casefold() in ("yes", "true", "1"),
            group_label_1=head.text("gl1"), group_label_2=head.text("gl2"), graph_label_left=head.text("left"),
            graph_label_right=head.text("right"), units="", location=f"analysis {aid}, row {head.rownum}", studies=tuple(entries),
            subgroups=tuple(subgroups), pooled=pooled, subgroup_test=sg_test))
    if not analyses:
        raise InputError("has no analyses with dichotomous (DIC), continuous (CON) or generic inverse variance (IV) data",
                         file=name, fix="export the data and analyses from RevMan 5, or give the .rm5 file")
    title = next(iter(comparisons.values()), Path(name).stem) if len(comparisons) == 1 else Path(name).stem
    return RevManReview(source=name, format="csv", title=title, doi="", revman_version="",
                        studies=tuple(sorted(studies.values(), key=lambda s: s.id)), analyses=tuple(analyses),
                        rob=(), notes=tuple(notes))


def _csv_study_id(name: str, year: str) -> str:
    return f"STD-{name}" + (f"-{year}" if year and year not in name else "")


def _csv_pooled(r: _CsvRow, cn) -> Pooled | None:
    est = r.num("est", cn("est"))
    k = r.num("df", cn("df"))
    g = lambda key: r.num(key, cn(key))  # noqa: E731
    return Pooled(k=None, estimate=est, ci_low=g("lo"), ci_high=g("hi"), z=g("z"), p_z=g("pz"), chi2=g("q"),
                  df=k, p_chi2=g("pq"), i2=g("i2"), tau2=g("tau2"), events_1=g("e1"), total_1=g("n1"),
                  events_2=g("e2"), total_2=g("n2"))


# ------------------------------------------------------------------------------------------------
# entry point
# ------------------------------------------------------------------------------------------------
def read_revman(path: str | os.PathLike, *, name: str | None = None) -> RevManReview:
    """Read a RevMan 5 review (.rm5) or RevMan's analysis CSV export; nothing is written.

    The format is chosen from the content (an XML declaration or ``<COCHRANE_REVIEW`` -> .rm5,
    otherwise CSV), so a misnamed file is still read correctly.
    """
    name = os.fspath(path) if name is None else name
    data = _read_bytes(path, name)
    head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<"):
        return _read_rm5(data, name)
    if head[:2] == b"\x1f\x8b":
        raise InputError("is gzip-compressed", file=name, fix="decompress it first (gunzip) and give the .rm5 or .csv file")
    if head[:2] == b"PK":
        raise InputError("is a zip archive (RevMan Web's export?)", file=name,
                         fix="unzip it and give the .rm5 file or RevMan 5's analysis CSV export")
    return _read_csv(data, name)


# ------------------------------------------------------------------------------------------------
# writing a pack
# ------------------------------------------------------------------------------------------------
_ID_BAD = re.compile(r"[^A-Za-z0-9_.\-]+")


def _slug(text: str, fallback: str) -> str:
    t = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    t = _ID_BAD.sub("-", t).strip("-._")
    return t or fallback


def _fmt(v: Any) -> str:
    """Numbers written with repr (shortest round-trip), so the pack holds exactly what the file holds."""
    if v is None:
        return ""
    if isinstance(v, float):
        if math.isnan(v):
            return ""
        return str(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v)
    return str(v)


def _toml_str(s: str) -> str:
    out = s.replace("\\", "\\\\").replace('"', '\\"')
    out = "".join(ch if (ch >= " " and ch != "\x7f") or ch == "\t" else f"\\u{ord(ch):04x}" for ch in out)
    return f'"{out}"'


def _benefit(a: Analysis) -> tuple[str, str]:
    """(benefit direction, how it was decided): from RevMan's graph labels ("Favours experimental"
    on the left means lower values favour the experimental group)."""
    left, right = a.graph_label_left.casefold(), a.graph_label_right.casefold()
    g1 = a.group_label_1.casefold().strip()
    g2 = a.group_label_2.casefold().strip()

    def favours_exp(lbl: str) -> bool | None:
        if not lbl:
            return None
        if "experimental" in lbl or "intervention" in lbl or "treatment" in lbl or (g1 and g1 in lbl):
            return True
        if "control" in lbl or "placebo" in lbl or (g2 and g2 in lbl):
            return False
        return None

    fl, fr = favours_exp(left), favours_exp(right)
    if fl is True or fr is False:
        return "lower", f"RevMan's forest plot labels: left {a.graph_label_left!r}, right {a.graph_label_right!r}"
    if fl is False or fr is True:
        return "higher", f"RevMan's forest plot labels: left {a.graph_label_left!r}, right {a.graph_label_right!r}"
    return "lower", ("not stated in the RevMan file (forest plot labels "
                     f"{a.graph_label_left!r} / {a.graph_label_right!r}); assumed lower - check")


def _csv_text(header: list[str], rows: list[list[Any]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    for r in rows:
        w.writerow([_fmt(v) for v in r])
    return buf.getvalue()


def _pack_study_ids(review: RevManReview) -> dict[str, str]:
    """The pack's study id (a slug of the name, made unique) for each RevMan study id."""
    study_ids: dict[str, str] = {}
    used: set[str] = set()
    for s in review.studies:
        base = _slug(s.name, "")
        if not any(ch.isalpha() for ch in base):  # e.g. a name in a non-Latin script: RevMan's own id
            base = _slug(s.id.removeprefix("STD-"), "study")
        sid, n = base, 2
        while sid.casefold() in used:
            sid, n = f"{base}-{n}", n + 1
        used.add(sid.casefold())
        study_ids[s.id] = sid
    return study_ids


def _pack_toml(review: RevManReview, src: str, pid: str) -> tuple[str, dict[int, str], dict[str, str]]:
    """pack.toml's text, with the pack's comparison id per RevMan comparison and outcome id per analysis."""
    t: list[str] = []
    t.append(f"# Imported from {src} by `evigrade import-revman` (RevMan {review.revman_version or 'version not stated'}).")
    t.append("# RevMan's analysis settings and its own pooled results are in revman/analyses.csv; subgroups in")
    t.append("# revman/subgroups.csv, risk of bias (RoB 1) in revman/rob.csv.  See docs/revman.md.")
    t.append("schema_version = 1")
    t.append(f"id = {_toml_str(pid)}")
    t.append(f"title = {_toml_str(review.title)}")
    desc = f"Imported from the RevMan file {src}" + (f" (DOI {review.doi})" if review.doi else "") + "."
    t.append(f"description = {_toml_str(desc)}")
    t.append('sign_convention = "group 1 = RevMan\'s experimental group, group 2 = its control group (as RevMan)"')
    t.append("")
    t.append("[question]")
    t.append('population = "not stated in the RevMan file (see the review)"')
    t.append(f"intervention = {_toml_str(review.title)}")
    t.append("")
    cmp_ids: dict[int, str] = {}
    for a in review.analyses:
        if a.comparison_no in cmp_ids:
            continue
        cid = f"c{a.comparison_no}"
        cmp_ids[a.comparison_no] = cid
        t.append("[[comparisons]]")
        t.append(f"id = {_toml_str(cid)}")
        t.append(f"label = {_toml_str(a.comparison_name)}")
        t.append(f"description = {_toml_str(f'RevMan comparison {a.comparison_no}')}")
        t.append("")
    out_ids = {a.id: f"a{a.comparison_no}_{a.outcome_no}" for a in review.analyses}
    for a in review.analyses:
        benefit, why = _benefit(a)
        t.append("[[outcomes]]")
        t.append(f"id = {_toml_str(out_ids[a.id])}")
        t.append(f"name = {_toml_str(a.name)}")
        t.append(f"family = {_toml_str(a.name)}")
        t.append(f"benefit = {_toml_str(benefit)}")
        if a.units:
            t.append(f"unit = {_toml_str(a.units)}")
        if a.data_type == "continuous":
            t.append(f"pool_measure = {_toml_str(a.measure)}")
        d = (f"RevMan analysis {a.id} ({a.comparison_name}): {a.data_type}, {a.method} {a.measure_label or a.measure}, "
             f"{'random' if a.random else 'fixed'} effects; benefit direction from {why}"
             + ("; RevMan analyses the non-events of this outcome (swap events), the counts here are events"
                if a.swap_events else ""))
        t.append(f"description = {_toml_str(d)}")
        t.append("")
    return "\n".join(t).rstrip() + "\n", cmp_ids, out_ids


def _result_values(a: Analysis, e: StudyEntry, pm: str) -> tuple[str, dict[str, Any], list[str]]:
    """A study entry's data type in the pack, its numbers by results.csv column, and its notes (why not estimable)."""
    notes: list[str] = []
    vals: dict[str, Any] = {}
    dtype = "arm_level"
    if a.data_type == "dichotomous":
        if not e.total_1 or not e.total_2:
            dtype = "qualitative"
            notes.append("a group total is 0 in RevMan (not estimable)")
            vals.update(ai=e.events_1, ci=e.events_2)
        else:
            vals.update(ai=e.events_1, n1i=e.total_1, ci=e.events_2, n2i=e.total_2)
            none_ = e.events_1 == 0 and e.events_2 == 0
            all_ = e.events_1 == e.total_1 and e.events_2 == e.total_2
            if a.measure in ("OR", "RR") and (none_ or all_):
                # RevMan: "Not estimable"; kept with its counts but out of pooling, as in RevMan
                dtype = "qualitative"
                notes.append(f"{'no' if none_ else 'only'} events in both groups: not estimable for "
                             f"{a.measure} (RevMan: Not estimable); counts kept, not pooled")
    elif a.data_type == "continuous":
        if (e.sd_1 or 0) <= 0 or (e.sd_2 or 0) <= 0 or (e.total_1 or 0) < 1 or (e.total_2 or 0) < 1:
            dtype = "qualitative"
            notes.append("SD or group size is 0 in RevMan (not estimable); numbers kept in notes: "
                         f"mean {e.mean_1!r}/{e.mean_2!r}, SD {e.sd_1!r}/{e.sd_2!r}, n {e.total_1!r}/{e.total_2!r}")
        else:
            vals.update(m1i=e.mean_1, sd1i=e.sd_1, n1i=e.total_1, m2i=e.mean_2, sd2i=e.sd_2, n2i=e.total_2)
    else:
        dtype = "effect"
        if e.se is None or e.se <= 0 or e.estimate is None:
            dtype = "qualitative"
            notes.append("no SE in RevMan (not estimable)")
        else:
            y: float | None
            if a.log_measure and not a.log_scale_data:
                if e.estimate <= 0:
                    dtype = "qualitative"
                    notes.append("a ratio <= 0 cannot be log-transformed")
                    y = None
                else:
                    y = math.log(e.estimate)
            else:
                y = e.estimate
            if y is not None:
                z = _z(a.ci_level_study)
                tr = math.exp if a.log_measure else (lambda v: v)
                vals.update(estimate=tr(y), ci_low=tr(y - z * e.se), ci_high=tr(y + z * e.se), se=e.se,
                            n1i=e.total_1 if e.total_1 else None, n2i=e.total_2 if e.total_2 else None)
                if pm == "ES":
                    notes.append(f"measure {a.measure_label or a.measure} is not in the pack vocabulary; "
                                 "kept as ES (not pooled by summarize)")
    return dtype, vals, notes


def _revman_folder(review: RevManReview, src: str, study_ids: dict[str, str], cmp_ids: dict[int, str],
                   out_ids: dict[str, str]) -> dict[str, str]:
    """The revman/ folder: what the pack format cannot hold (the loader ignores this folder)."""
    files: dict[str, str] = {}
    arows = []
    for a in review.analyses:
        p = a.pooled or Pooled(None, None, None, None)
        st = a.subgroup_test or SubgroupTest(None, None, None, None)
        arows.append([a.id, out_ids[a.id], cmp_ids[a.comparison_no], a.comparison_name, a.name, a.data_type, a.method,
                      a.measure, a.measure_label, "random" if a.random else "fixed", a.ci_level, a.ci_level_study,
                      a.totals, "yes" if a.log_scale_data else "no", "yes" if a.swap_events else "no",
                      a.group_label_1, a.group_label_2, a.graph_label_left, a.graph_label_right, len(a.studies),
                      len(a.subgroups), p.estimate, p.ci_low, p.ci_high, p.z, p.p_z, p.chi2, p.df, p.p_chi2, p.i2,
                      p.tau2, st.chi2, st.df, st.p, st.i2])
    files["revman/analyses.csv"] = _csv_text(
        ["analysis", "outcome", "comparison", "comparison_name", "name", "data_type", "method", "measure",
         "measure_label", "model", "ci_level", "ci_level_study", "totals", "log_scale_data", "swap_events",
         "group_label_1", "group_label_2", "graph_label_left", "graph_label_right", "k_rows", "subgroups",
         "estimate", "ci_low", "ci_high", "z", "p_z", "chi2", "df", "p_chi2", "i2", "tau2",
         "subgroup_chi2", "subgroup_df", "subgroup_p", "subgroup_i2"], arows)
    grows = []
    for a in review.analyses:
        for g in a.subgroups:
            p = g.pooled or Pooled(None, None, None, None)
            grows.append([a.id, out_ids[a.id], g.no, g.name, p.k, p.estimate, p.ci_low, p.ci_high, p.z, p.p_z, p.chi2,
                          p.df, p.p_chi2, p.i2, p.tau2])
    files["revman/subgroups.csv"] = _csv_text(
        ["analysis", "outcome", "subgroup", "name", "k", "estimate", "ci_low", "ci_high", "z", "p_z", "chi2", "df",
         "p_chi2", "i2", "tau2"], grows)
    files["revman/rob.csv"] = _csv_text(
        ["study_id", "revman_study_id", "item_no", "item", "outcome_group", "judgement", "support"],
        [[study_ids.get(r.study_id, r.study_id), r.study_id, r.item_no, r.item, r.group, r.judgement, r.support]
         for r in review.rob])
    readme = [f"# RevMan import of {src}", "",
              "Written by `evigrade import-revman`. The pack files (pack.toml, studies/results/reviews/safety/claims.csv)",
              "are read by `evigrade summarize`; this folder keeps what the pack format cannot hold yet:", "",
              "* `analyses.csv`: one row per RevMan analysis with RevMan's settings (method, measure, fixed/random,",
              "  CI level, totals) and RevMan's own pooled result, heterogeneity and test for subgroup differences.",
              "* `subgroups.csv`: RevMan's subgroups and their pooled results (results.csv says which subgroup each row is in).",
              "* `rob.csv`: risk of bias (RoB 1: low / high / unclear) per item, study and outcome group, verbatim.", ""]
    if review.notes:
        readme += ["Not imported:", ""] + [f"* {n}" for n in review.notes] + [""]
    files["revman/README.md"] = "\n".join(readme)
    return files


def pack_files(review: RevManReview, *, pack_id: str | None = None) -> dict[str, str]:
    """The pack's files (relative path -> text), without writing anything."""
    src = Path(review.source).name
    pid = pack_id or _slug(Path(review.source).stem, "revman").lower()
    study_ids = _pack_study_ids(review)

    # ---- pack.toml -----------------------------------------------------------------------------
    toml, cmp_ids, out_ids = _pack_toml(review, src, pid)
    files: dict[str, str] = {"pack.toml": toml}

    # ---- studies.csv ---------------------------------------------------------------------------
    comps_of: dict[str, set[str]] = {}
    for a in review.analyses:
        for e in a.studies:
            comps_of.setdefault(e.study_id, set()).add(cmp_ids[a.comparison_no])
    srows = []
    for s in review.studies:
        year = int(s.year) if s.year.isdigit() and 1900 <= int(s.year) <= 2100 else None
        srows.append([study_ids[s.id], f"{s.name}" + (f" ({s.year})" if s.year and s.year not in s.name else ""),
                      f"{src}: included study {s.id}", year, ";".join(sorted(comps_of.get(s.id, ()))), s.id])
    files["studies.csv"] = _csv_text(["study_id", "citation", "source", "year", "comparison", "revman_study_id"], srows)

    # ---- results.csv ---------------------------------------------------------------------------
    rrows = []
    header = ["result_id", "study_id", "outcome", "timepoint", "comparison", "data_type", "source", "measure",
              "m1i", "sd1i", "n1i", "m2i", "sd2i", "n2i", "ai", "ci", "estimate", "ci_low", "ci_high", "se",
              "unit", "notes", "revman_analysis", "subgroup", "revman_measure", "revman_estimate", "revman_ci_low",
              "revman_ci_high", "revman_weight"]
    sub_names = {(a.id, g.no): g.name for a in review.analyses for g in a.subgroups}
    for a in review.analyses:
        for j, e in enumerate(a.studies, start=1):
            rid = f"r{a.comparison_no}_{a.outcome_no}_{j}"
            pm = a.measure if a.measure in _PACK_MEASURES else "ES"
            src_txt = f"{src}: {e.location}"
            dtype, vals, notes = _result_values(a, e, pm)
            sub = sub_names.get((a.id, e.subgroup), "")
            rrows.append([rid, study_ids.get(e.study_id, e.study_id), out_ids[a.id], "unspecified",
                          cmp_ids[a.comparison_no], dtype, src_txt, pm if dtype != "arm_level" or a.data_type != "continuous" else a.measure,
                          vals.get("m1i"), vals.get("sd1i"), vals.get("n1i"), vals.get("m2i"), vals.get("sd2i"),
                          vals.get("n2i"), vals.get("ai"), vals.get("ci"), vals.get("estimate"), vals.get("ci_low"),
                          vals.get("ci_high"), vals.get("se"), a.units, "; ".join(notes), a.id, sub,
                          a.measure_label or a.measure, e.revman_estimate, e.revman_ci_low, e.revman_ci_high,
                          e.revman_weight])
    files["results.csv"] = _csv_text(header, rrows)

    # ---- reviews.csv: RevMan's own overall result per analysis ----------------------------------
    vrows = []
    for a in review.analyses:
        p = a.pooled
        if p is None or p.estimate is None:
            continue
        pm = a.measure if a.measure in _PACK_MEASURES else "ES"
        n_total = (p.total_1 or 0) + (p.total_2 or 0)
        k = sum(1 for _ in a.studies) if p.k is None else p.k
        model = f"{a.method} {'random' if a.random else 'fixed'}-effect"
        vrows.append([f"rv{a.comparison_no}_{a.outcome_no}", "revman", review.title + (f" (DOI {review.doi})" if review.doi else ""),
                      out_ids[a.id], "unspecified", cmp_ids[a.comparison_no], "all", "numeric",
                      f"{src}: {a.location}, RevMan's pooled result", k if k else None, "estimate",
                      int(n_total) if n_total else None, "estimate" if n_total else "", pm, a.units, p.estimate, p.ci_low, p.ci_high,
                      _fmt_p(p.p_z), None if p.i2 is None else min(100.0, max(0.0, p.i2)), f"{a.measure_label or a.measure}, {model}, {a.ci_level:g}% CI",
                      a.id, a.measure_label or a.measure])
    files["reviews.csv"] = _csv_text(
        ["review_row_id", "review_id", "citation", "outcome", "timepoint", "comparison", "population", "reported_as",
         "source", "k", "k_scope", "participants", "participants_scope", "measure", "unit", "estimate", "ci_low",
         "ci_high", "p_value", "i2", "notes", "revman_analysis", "revman_measure"], vrows)
    files["safety.csv"] = _csv_text(["safety_id", "source_id", "citation", "design", "severity", "event", "source"], [])
    files["claims.csv"] = _csv_text(["claim_id", "claim", "support_kind", "direction", "citation", "source"], [])

    # ---- revman/: what the pack format cannot hold (the loader ignores this folder) -------------
    files.update(_revman_folder(review, src, study_ids, cmp_ids, out_ids))
    return files


def _z(level: float) -> float:
    from .._dist import norm

    return float(norm.isf((1 - level / 100) / 2))


def _fmt_p(p: float | None) -> str:
    """RevMan's printed style: "<0.00001" below its floor, else two significant digits, no exponent."""
    if p is None or math.isnan(p):
        return ""
    if p < 0.00001:
        return "<0.00001"
    if p >= 1:
        return "1"
    d = max(2, 1 - math.floor(math.log10(p)))
    return f"{p:.{d}f}"


def write_pack(review: RevManReview, folder: str | os.PathLike, *, overwrite: bool = False,
               pack_id: str | None = None) -> Path:
    """Write ``review`` as an evidence pack at ``folder``, atomically: every file goes into a temporary
    folder next to it, which is renamed into place only when complete.  An existing non-empty
    ``folder`` is an error unless ``overwrite`` (then it is replaced as a whole)."""
    dest = Path(folder)
    if dest.exists() and not dest.is_dir():
        raise InputError("exists and is not a folder", file=str(dest), fix="choose another output folder (-o)")
    if dest.is_dir() and any(dest.iterdir()) and not overwrite:
        raise InputError("output folder exists and is not empty", file=str(dest),
                         fix="choose a new folder, or add --overwrite to replace it")
    files = pack_files(review, pack_id=pack_id)
    parent = dest.resolve().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", suffix=".tmp", dir=parent))
    except OSError as exc:
        raise InputError(f"cannot create the output folder ({exc.strerror or exc})", file=str(dest),
                         fix="check the path and its permissions") from None
    try:
        for rel, text in sorted(files.items()):
            p = tmp / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            with open(p, "w", encoding="utf-8", newline="") as fh:
                fh.write(text)
        old = None
        if dest.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", suffix=".old", dir=parent))
            old.rmdir()
            os.replace(dest, old)
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(tmp, 0o777 & ~mask)  # mkdtemp makes the folder private; a pack is an ordinary folder
        os.replace(tmp, dest)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise InputError(f"cannot write the pack ({exc.strerror or exc})", file=str(dest),
                         fix="check the disk space and permissions of the output folder") from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return dest


def import_revman(source: str | os.PathLike, folder: str | os.PathLike, *, overwrite: bool = False,
                  pack_id: str | None = None) -> tuple[RevManReview, Path]:
    """Read a RevMan file and write it as a pack; returns the review and the pack folder."""
    review = read_revman(source)
    return review, write_pack(review, folder, overwrite=overwrite, pack_id=pack_id)
