"""``evigrade summarize [PACK] [--json] [--method REML] [--test knha] [--no-color]``.

Thin: ``packs.summarize(pack)`` -> (GRADE hook) -> render.  With no PACK the bundled
dry-needling pack is used.  ``--json`` prints exactly ``summary.to_dict()``.
"""
from __future__ import annotations

import json
import math
from typing import Any, Optional

import typer

__all__ = ["register", "run_summarize", "render_text"]


def _apply_grade(summary: Any) -> Any:
    """HOOK for GRADE + plain language (engineer D): ``evigrade.grade.apply(summary) -> Summary``.

    Fills each finding's certainty / downgrades / statement, the families, mechanism labels and the
    safety rating.  If the grade package is not available the summary is returned unchanged.
    """
    try:
        from ..grade import apply
    except ImportError:  # pragma: no cover - grade not installed/built
        return summary
    return apply(summary)


def run_summarize(pack: Optional[str] = None, *, method: str = "REML", test: str = "knha", grade: bool = True,
                  safety_measure: str = "PLO"):
    """The library call behind the command (pack path or None for the bundled pack)."""
    from ..packs import load_pack, summarize

    summary = summarize(load_pack(pack), method=method, test=test, safety_measure=safety_measure)
    return _apply_grade(summary) if grade else summary


def _n(x: Any, digits: int = 2) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "NA"
    return f"{x:.{digits}f}" if abs(x) < 1000 else f"{x:,.0f}"


def _pct(x: Any, digits: int = 2) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "NA"
    return f"{100 * x:.{digits}f}%"


def _attr(obj: Any, name: str) -> Any:
    return obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)


def _item_line(it: Any) -> str:
    extra = f"; rule of three <= {_pct(it.rule_of_three, 3)}" if it.rule_of_three is not None else ""
    return (f"      {it.source_id}: {it.events:,}/{it.denominator:,} = {_pct(it.proportion)} "
            f"[exact {_pct(it.ci_low, 3)}, {_pct(it.ci_high, 3)}]{extra}")


def render_text(summary: Any, *, color: bool = True, width: int = 120, all_findings: bool = False) -> str:
    """Terminal summary: one line per finding grouped by outcome family; safety; mechanisms."""
    import io

    from rich.console import Console
    from rich.markup import escape

    buf = io.StringIO()
    con = Console(file=buf, width=width, no_color=not color, color_system="standard" if color else None,
                  highlight=False, force_terminal=color, emoji=False, soft_wrap=True)
    con.print(f"[bold]{escape(summary.title)}[/bold]")
    q = summary.question or {}
    if q.get("population"):
        con.print(f"Population: {escape(str(q['population']))}")
    if q.get("intervention"):
        con.print(f"Intervention: {escape(str(q['intervention']))}")
    con.print(f"Pooling: {summary.method}, {summary.test}; {summary.level * 100:g}% CIs; effects are intervention minus comparator (ratios: intervention / comparator).")
    shown = [f for f in summary.findings if all_findings or f.status != "no_estimate"]
    hidden = len(summary.findings) - len(shown)
    fams: dict[str, list] = {}
    for f in shown:
        fams.setdefault(f.family, []).append(f)
    for fam, fs in fams.items():
        con.print()
        con.print(f"[bold underline]{escape(fam)}[/bold underline]")
        fs_sum = next((x for x in summary.families if _attr(x, "family") == fam), None)
        if fs_sum is not None and _attr(fs_sum, "sentence"):
            con.print(escape(f"  {_attr(fs_sum, 'sentence')}"))
        for f in fs:
            eff = f"{f.measure} {_n(f.estimate)} [{_n(f.ci_low)}, {_n(f.ci_high)}]" if f.estimate is not None else "no estimate"
            k = f"k={f.k}" if f.k is not None else "k=NA"
            n = f"n={f.participants}" if f.participants is not None else "n=NA"
            src = {"pooled": "pooled trials", "single_trial": "single trial", "review": "review",
                   "no_estimate": "no estimate"}[f.status]
            if f.status == "review" and f.primary_review:
                rv = next((r for r in f.reviews if r.primary), None)
                if rv is not None:
                    src = f"review: {rv.review_id}"
            line = (f"  {f.outcome_name} | {f.timepoint_label} | vs {f.comparison_label} | "
                    f"{f.population_label}: {eff}; {k}; {n} ({src})")
            if f.certainty:
                line += f" — certainty: {f.certainty}"
            con.print(escape(line))
            if f.statement:
                con.print(f"      {escape(f.statement)}")
    if hidden:
        con.print()
        con.print(f"({hidden} outcome/time point/comparison cells have no numeric estimate; see --json)")

    s = summary.safety
    con.print()
    con.print("[bold underline]Safety (adverse events)[/bold underline]")
    if not s.pools and not s.items and not s.case_reports:
        con.print("  No adverse-event data in this pack.")
    pooled_ids = set()
    for p in s.pools:
        sev = p.severity.replace("_", " ")
        if p.k >= 2:
            head = (f"  {sev} per {p.basis[:-1]}: pooled {_pct(p.estimate)} [{_pct(p.ci_low)}, {_pct(p.ci_high)}] "
                    f"({p.measure}, {summary.method}, {summary.test}; k={p.k}, {p.events:,}/{p.total:,})")
        else:
            head = (f"  {sev} per {p.basis[:-1]}: {_pct(p.estimate)} [{_pct(p.ci_low)}, {_pct(p.ci_high)}] exact "
                    f"(one source, {p.events:,}/{p.total:,})")
        con.print(escape(head))
        for it in p.items:
            pooled_ids.add(it.safety_id)
            con.print(escape(_item_line(it)))
    rest = [it for it in s.items if it.safety_id not in pooled_ids]
    if rest:
        con.print("  Other counts (single events, not pooled):")
        for it in rest:
            con.print(escape(_item_line(it) + f" ({it.severity}: {it.event})"))
    for n in s.notes:
        con.print(escape(f"  Note: {n.message}"))
    if s.case_reports:
        con.print(f"  Case reports of serious events ({len(s.case_reports)}):")
        for c in s.case_reports:
            con.print(f"      {escape(str(c['source_id']))}: {escape(str(c['event']))}")
    if getattr(s, "rating", None) is not None:
        r = s.rating
        txt = next((getattr(r, k, None) or (r.get(k) if isinstance(r, dict) else None)
                    for k in ("sentence", "statement") if getattr(r, k, None) or (isinstance(r, dict) and r.get(k))), None)
        if txt:
            con.print(f"  {escape(str(txt))}")

    con.print()
    con.print("[bold underline]Mechanisms[/bold underline]")
    if not summary.mechanisms:
        con.print("  No mechanism claims in this pack.")
    for m in summary.mechanisms:
        sup = m.strongest_support.replace("_", " ") if m.strongest_support else "none (theory or no supporting study)"
        lab = f" — {m.label}" if m.label else ""
        con.print(escape(f"  {m.claim}: strongest support {sup} ({m.supporting} supporting, {m.not_supporting} against/critical){lab}"))
    return buf.getvalue()


def register(app: typer.Typer) -> None:
    @app.command("summarize")
    def summarize_cmd(
        pack: Optional[str] = typer.Argument(None, help="Evidence pack folder (default: the bundled dry-needling pack)."),
        as_json: bool = typer.Option(False, "--json", help="Print the full structured result (summary.to_dict())."),
        method: str = typer.Option("REML", "--method", help="tau2 estimator: FE, DL, HE, HS, HSk, SJ, ML, REML, EB, PM."),
        test: str = typer.Option("knha", "--test", help="knha (Hartung-Knapp-Sidik-Jonkman) or z."),
        safety_measure: str = typer.Option("PLO", "--safety-measure", help="Proportion scale for adverse events: PLO (logit) or PFT (Freeman-Tukey)."),
        no_grade: bool = typer.Option(False, "--no-grade", help="Skip GRADE certainty and plain-language statements."),
        all_findings: bool = typer.Option(False, "--all", help="Also list cells without a numeric estimate."),
        no_color: bool = typer.Option(False, "--no-color", help="Plain text output."),
        report_dir: Optional[str] = typer.Option(None, "--report", help="Also write the report (index.html, report.md, results.json) to this folder."),
    ) -> None:
        """Summarise an evidence pack: findings by outcome, time point and comparison; safety; mechanisms."""
        summary = run_summarize(pack, method=method, test=test, grade=not no_grade, safety_measure=safety_measure)
        if report_dir is not None:  # the report (engineer H): written atomically before anything is printed
            from ..report import write_report
            from ..report.pipeline import report_dict

            write_report(report_dict(summary), report_dir)
        if as_json:
            typer.echo(json.dumps(summary.to_dict(), indent=2, sort_keys=False))
        else:
            typer.echo(render_text(summary, color=not no_color, all_findings=all_findings), nl=False)
