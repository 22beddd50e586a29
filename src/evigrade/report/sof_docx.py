"""Summary-of-findings tables per comparison, written as Word (``evigrade sof PACK -o FILE.docx``).

GRADEpro's layout: one table per comparison with the columns Outcome | Anticipated absolute effects
(95% CI) | Relative effect (95% CI) | No of participants (studies) | Certainty of the evidence
(GRADE) | What happens, and below each table its own footnotes, lettered a, b, c ... (identical
texts share a letter within a table).

:func:`sof_by_comparison` is the pure part: it groups the rows of ``graded.sof`` by the comparison
of the finding each row was made from and adds the comparator risk behind "per 1,000" effects:

1. the pack's ``comparator_risk`` for the outcome (``[[outcomes]] comparator_risk = 0.12`` in
   pack.toml, a proportion), else
2. the median control-arm risk (``ci / n2i``) of the question's trials with arm-level counts
   (rows reported the other way round are left out: their arms are not relabelled here).

Either way a footnote says where the risk comes from.  Without one, a ratio measure's absolute
effect is "not estimable" with the reason.  :func:`write_sof_docx` renders (python-docx, the
optional extra ``evigrade[docx]``).
"""
from __future__ import annotations

import io
import pathlib
import statistics
import tomllib
from dataclasses import dataclass
from typing import Any, Mapping

from .._format import fmt, fmt_ci
from ..effects.measures import RATIO_MEASURES
from ..errors import InputError

__all__ = ["ComparatorRisk", "SoFEntry", "ComparisonSoF", "sof_by_comparison", "write_sof_docx", "HEADERS",
           "absolute_text"]

HEADERS = ("Outcome", "Anticipated absolute effects (95% CI)", "Relative effect (95% CI)",
           "\u2116 of participants (studies)", "Certainty of the evidence (GRADE)", "What happens")

#: measures whose absolute effect per 1,000 needs a comparator risk (ratios of risks, odds, hazards, rates)
_PER_1000 = RATIO_MEASURES - {"ROM", "PLO_RATIO"}


@dataclass(frozen=True, slots=True)
class ComparatorRisk:
    """The assumed risk with the comparator (a proportion) and where it comes from."""

    risk: float
    source: str  # "pack" | "median_control_arm"
    n_trials: int = 0

    def footnote(self) -> str:
        per = f"{fmt(1000 * self.risk, 0)} per 1,000"
        if self.source == "pack":
            return f"Risk with the comparator ({per}): the assumed comparator risk given for this outcome in the pack."
        return (f"Risk with the comparator ({per}): the median control-arm risk of the {self.n_trials} "
                f"trial{'s' if self.n_trials != 1 else ''} with event counts for this question.")


@dataclass(frozen=True, slots=True)
class SoFEntry:
    """One SoF row with the question it belongs to and its footnote letters within its table."""

    row: Any  # grade.sof.SoFRow
    finding_key: tuple[str, str, str, str]
    population_label: str
    comparator_risk: ComparatorRisk | None
    letters: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ComparisonSoF:
    """One SoF table: a comparison, its rows and its own lettered footnotes."""

    comparison: str
    label: str
    intervention: str
    entries: tuple[SoFEntry, ...]
    footnotes: tuple[str, ...]  # footnotes[i] has letter _letter(i)

    @property
    def title(self) -> str:
        return f"{self.intervention} compared with {self.label}"


def _letter(i: int) -> str:
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(97 + r) + s
    return s


def _pack_comparator_risks(pack: Any) -> dict[str, float]:
    """outcome id -> ``comparator_risk`` from the pack's pack.toml ``[[outcomes]]`` (the loader ignores it)."""
    path = getattr(pack, "path", None)
    if not path:
        return {}
    toml = pathlib.Path(path) / "pack.toml"
    if not toml.is_file():
        return {}
    with toml.open("rb") as fh:
        data = tomllib.load(fh)
    out: dict[str, float] = {}
    for i, o in enumerate(data.get("outcomes", []) or []):
        if not isinstance(o, Mapping) or "comparator_risk" not in o:
            continue
        v = o["comparator_risk"]
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not (0 < float(v) < 1):
            raise InputError("comparator_risk must be a proportion between 0 and 1 (exclusive)", file=str(toml),
                             label=f"[[outcomes]] #{i + 1} ({o.get('id', '?')})", column="comparator_risk",
                             value=v, fix="give the assumed risk with the comparator, e.g. comparator_risk = 0.12")
        out[str(o.get("id"))] = float(v)
    return out


def _median_control_risk(finding: Any, results: Mapping[str, Any]) -> ComparatorRisk | None:
    risks = []
    for t in getattr(finding, "trials", ()) or ():
        r = results.get(t.result_id)
        if r is None or getattr(r, "orientation", "") == "reversed" or not r.has_arm_binary():
            continue
        if r.n2i and r.n2i > 0:
            risks.append(r.ci / r.n2i)
    risks = [x for x in risks if 0 < x < 1]
    if not risks:
        return None
    return ComparatorRisk(float(statistics.median(risks)), "median_control_arm", len(risks))


def sof_by_comparison(graded: Any) -> tuple[ComparisonSoF, ...]:
    """Group ``graded.sof`` rows by comparison (pack order of first appearance), with comparator risks
    and footnotes lettered per table.  ``graded`` is a :class:`~evigrade.pipeline.GradedSummary`."""
    sof = getattr(graded, "sof", None)
    rows = tuple(getattr(sof, "rows", ()) or ())
    findings = [f for f in graded.findings if getattr(f, "grade", None) is not None]
    if len(findings) != len(rows):  # grade.integrate makes one row per rated finding, in order
        raise InputError("the summary-of-findings rows do not match the rated findings",
                         value=f"{len(rows)} rows, {len(findings)} rated findings",
                         fix="build the summary with evigrade.pipeline.run (or grade_summary)")
    pack = getattr(graded, "pack", None)
    pack_risks = _pack_comparator_risks(pack) if pack is not None else {}
    results = {r.result_id: r for r in (getattr(pack, "results", ()) or ())}
    question = getattr(graded, "question", None) or {}
    intervention = str(question.get("intervention_short") or question.get("intervention") or "Intervention")
    groups: dict[str, list[tuple[Any, Any]]] = {}
    labels: dict[str, str] = {}
    for f, r in zip(findings, rows):
        groups.setdefault(f.comparison, []).append((f, r))
        labels.setdefault(f.comparison, f.comparison_label or f.comparison)
    out = []
    for comp, items in groups.items():
        notes: list[str] = []
        entries = []
        for f, r in items:
            cr: ComparatorRisk | None = None
            if r.measure.upper() in _PER_1000:
                if f.outcome in pack_risks:
                    cr = ComparatorRisk(pack_risks[f.outcome], "pack")
                else:
                    cr = _median_control_risk(f, results)
            texts = list(r.footnotes) + ([cr.footnote()] if cr is not None else [])
            letters = []
            for t in texts:
                if t not in notes:
                    notes.append(t)
                letters.append(_letter(notes.index(t)))
            entries.append(SoFEntry(r, f.key, f.population_label, cr, tuple(dict.fromkeys(letters))))
        out.append(ComparisonSoF(comp, labels[comp], intervention, tuple(entries), tuple(notes)))
    return tuple(out)


def _per_1000(measure: str, base: float, est: float, lo: float, hi: float) -> tuple[float, float, float, float]:
    from ..grade.sof import _risk

    r, rl, rh = (_risk(measure, base, x) for x in (est, lo, hi))
    return 1000 * base, 1000 * r, 1000 * min(rl, rh), 1000 * max(rl, rh)


def _more_fewer(d: float) -> str:
    return f"{fmt(abs(d), 0)} {'more' if d > 0 else 'fewer'}" if round(d) != 0 else "0 more"


def absolute_text(entry: SoFEntry) -> str:
    """The 'anticipated absolute effects' cell."""
    r = entry.row
    m = r.measure.upper()
    if m in _PER_1000:
        est, lo, hi = r.relative_estimate, r.relative_ci_low, r.relative_ci_high
        if est is None or lo is None or hi is None:
            return "Not estimable: no relative effect"
        if entry.comparator_risk is None:
            return ("Not estimable: no comparator risk (no comparator_risk for this outcome in the pack and no "
                    "control-arm event counts)")
        base, risk, rlo, rhi = _per_1000(m, entry.comparator_risk.risk, est, lo, hi)
        return (f"Risk with comparator: {fmt(base, 0)} per 1,000\n"
                f"Risk with intervention: {fmt(risk, 0)} per 1,000\n"
                f"({_more_fewer(risk - base)} per 1,000; 95% CI {_more_fewer(rlo - base)} to "
                f"{_more_fewer(rhi - base)})")
    a = r.absolute
    if a is None:
        if not m:
            return "Not estimable: results reported without a single estimate"
        return f"Not estimable: no absolute scale for {m}"
    if a.kind == "per_1000":
        return f"{_more_fewer(a.difference)} per 1,000 (95% CI {_more_fewer(a.ci_low)} to {_more_fewer(a.ci_high)})"
    units = f" {a.units}" if a.units else ""
    name = {"mean_difference": "MD", "smd": "SMD", "re_expressed_smd": "re-expressed SMD"}.get(a.kind, a.kind)
    return f"{name} {fmt(a.difference)}{units} (95% CI {fmt_ci(a.ci_low, a.ci_high)})"


def _relative_text(entry: SoFEntry) -> str:
    r = entry.row
    if r.relative_estimate is None or r.relative_ci_low is None or r.relative_ci_high is None:
        return "\u2014"
    return f"{r.measure} {fmt(r.relative_estimate)} ({fmt_ci(r.relative_ci_low, r.relative_ci_high)})"


def _participants_text(entry: SoFEntry) -> str:
    r = entry.row
    n = "\u2014" if r.participants is None else f"{int(r.participants):,}"
    k = "?" if r.studies is None else str(int(r.studies))
    unit = "study" if r.studies == 1 else "studies"
    return f"{n} ({k} {unit})"


def _outcome_text(entry: SoFEntry, show_population: bool) -> str:
    r = entry.row
    parts = [r.outcome]
    if r.timepoint:
        parts.append(str(r.timepoint))
    if show_population and entry.population_label:
        parts.append(entry.population_label)
    return "\n".join(parts)


def write_sof_docx(graded: Any, path: str | pathlib.Path, *, title: str | None = None) -> tuple[ComparisonSoF, ...]:
    """Write one SoF table per comparison to ``path`` (.docx); returns the tables written."""
    try:
        import docx
        from docx.enum.section import WD_ORIENT
        from docx.shared import Pt
    except ImportError:
        raise InputError("writing Word files needs python-docx", value="python-docx not installed",
                         fix="pip install 'evigrade[docx]'") from None
    tables = sof_by_comparison(graded)
    doc = docx.Document()
    sec = doc.sections[0]
    sec.orientation = WD_ORIENT.LANDSCAPE
    sec.page_width, sec.page_height = sec.page_height, sec.page_width
    doc.styles["Normal"].font.size = Pt(9)
    doc.add_heading(title or f"Summary of findings: {getattr(graded, 'title', '') or 'evidence pack'}", level=1)
    for t in tables:
        doc.add_heading(f"Summary of findings: {t.title}", level=2)
        pops = {e.population_label for e in t.entries}
        table = doc.add_table(rows=1, cols=len(HEADERS))
        table.style = "Table Grid"
        for cell, h in zip(table.rows[0].cells, HEADERS):
            cell.text = ""
            cell.paragraphs[0].add_run(h).bold = True
        for e in t.entries:
            cells = table.add_row().cells
            cells[0].text = _outcome_text(e, len(pops) > 1)
            cells[1].text = absolute_text(e)
            cells[2].text = _relative_text(e)
            cells[3].text = _participants_text(e)
            p = cells[4].paragraphs[0]
            p.add_run(f"{e.row.symbols} {e.row.certainty_label.capitalize()}")
            if e.letters:
                sup = p.add_run(" " + ",".join(e.letters))
                sup.font.superscript = True
            cells[5].text = e.row.statement
        for i, note in enumerate(t.footnotes):
            para = doc.add_paragraph()
            para.add_run(_letter(i)).font.superscript = True
            para.add_run(" " + note)
    doc.add_paragraph("GRADE certainty: High \u2295\u2295\u2295\u2295, Moderate \u2295\u2295\u2295\u25ef, "
                      "Low \u2295\u2295\u25ef\u25ef, Very low \u2295\u25ef\u25ef\u25ef. Absolute effects per 1,000 "
                      "use the comparator risk stated in each table's footnotes.")
    from .._io import write_atomic

    buf = io.BytesIO()  # the whole file in memory first: a failing disk cannot leave a half-closed zip behind
    doc.save(buf)
    def write(tmp: str) -> None:  # no partial file on a failed or killed write (issue 19)
        pathlib.Path(tmp).write_bytes(buf.getvalue())

    write_atomic(path, write)
    return tables
