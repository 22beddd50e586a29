"""``evigrade grade STUDIES.csv --measure MD --mid 1.0 [--rob-col rob] [--benefit lower] [--json]``.

Thin: one library call (``evigrade.grade.analysis.grade_studies_csv``) -> render.  ``--json`` prints
exactly ``AnalysisGrade.to_dict()``; otherwise a short GRADE profile (rich).
"""
from __future__ import annotations

import json
from typing import Optional

import typer

from .._format import fmt_fixed, fmt_pct
from ._common import cli_double_zero_fix, naming_file, text_console, use_color

__all__ = ["register", "render_text"]


def render_text(res, *, color: bool = True, width: int = 100) -> str:
    """Certainty with symbols, the statement, one row per domain and the footnotes."""
    from rich.table import Table

    from ..grade import DOMAIN_LABELS
    from ..grade.reasons import describe

    con = text_console(color, width)
    a = res.analysis
    pi = ""
    if a.get("pi_low") is not None and a.get("pi_high") is not None:
        pi = f"; 95% PI {fmt_fixed(a['pi_low'])} to {fmt_fixed(a['pi_high'])}"
    i2 = f"; I² {fmt_pct(a['i2'], 1)}" if a.get("i2") is not None else ""
    con.print(f"{a['measure']} {fmt_fixed(a['estimate'])} (95% CI {fmt_fixed(a['ci_low'])} to "
              f"{fmt_fixed(a['ci_high'])}{pi}; "
              f"k = {a['k']}{i2})", markup=False)
    r = res.rating
    con.print(f"[bold]Certainty: {r.symbols} {r.label}[/bold] (start: {r.start})")
    con.print(res.statement, markup=False)  # pack/user text is never rich markup
    table = Table(show_header=True, header_style="bold", expand=False)
    table.add_column("Domain")
    table.add_column("Concern")
    table.add_column("Levels", justify="right")
    table.add_column("Reason")
    for j in r.judgements:
        src = " (override)" if j.source == "override" else ""
        table.add_row(DOMAIN_LABELS[j.domain], j.concern.replace("_", " ") + src, f"{j.levels:+d}" if j.levels else "0",
                      describe(j.reason_code) or j.reason_code.replace("_", " "))  # words, not codes
    con.print(table)
    for i, f in enumerate(r.footnotes, 1):
        con.print(f"{i}. {f}", markup=False)
    for n in res.notes:
        con.print(f"note: {n.message}", markup=False)
    return con.file.getvalue()


def register(app: typer.Typer) -> None:
    @app.command("grade")
    def grade(
        studies: str = typer.Argument(..., metavar="STUDIES.csv", help="CSV of studies with metafor column names."),
        measure: str = typer.Option(..., "--measure", "-m", help="Effect measure: MD, SMD, ROM, OR, RR, RD, ..."),
        mid: Optional[float] = typer.Option(None, "--mid", help="Minimal important difference in the measure's units "
                                            "(ratios: relative change, 0.25 = 25%). Default: by measure, else none."),
        mid_source: Optional[str] = typer.Option(None, "--mid-source", help="Where the MID comes from (printed)."),
        rob_col: Optional[str] = typer.Option(None, "--rob-col", help="Column with risk of bias per study: low / "
                                              "some concerns / high, or a PEDro score 0-10."),
        benefit: str = typer.Option("lower", "--benefit", help="Which direction is better: lower or higher."),
        indirectness: Optional[str] = typer.Option(None, "--indirectness",
                                                   help="none, serious or very_serious (default: not assessed)."),
        indirectness_reason: Optional[str] = typer.Option(None, "--indirectness-reason", help="Why (printed)."),
        method: str = typer.Option("REML", "--method", help="tau^2 estimator: FE, DL, HE, HS, HSk, SJ, ML, REML, EB, PM."),
        test: str = typer.Option("knha", "--test", help="knha (Hartung-Knapp-Sidik-Jonkman, t) or z (Wald)."),
        outcome: str = typer.Option("the outcome", "--outcome", help="Outcome name for the statement."),
        intervention: str = typer.Option("the intervention", "--intervention", help="Intervention name."),
        comparison: Optional[str] = typer.Option(None, "--comparison", help="Comparator, e.g. 'placebo'."),
        timeframe: Optional[str] = typer.Option(None, "--timeframe", help="e.g. 'short term'."),
        json_out: bool = typer.Option(False, "--json", help="Print AnalysisGrade.to_dict() as JSON."),
        no_color: bool = typer.Option(False, "--no-color", help="Plain text output."),
        keep_double_zero: bool = typer.Option(False, "--keep-double-zero",
                                              help="OR/RR: keep studies with no events (or only events) in both "
                                                   "groups, adding 1/2 to each cell (metafor's drop00=FALSE)."),
    ) -> None:
        """Rate the certainty of evidence (GRADE) for one CSV analysis, with a plain-language statement."""
        from ..grade.analysis import grade_studies_csv

        with naming_file(studies), cli_double_zero_fix():
            res = grade_studies_csv(studies, measure, mid=mid, mid_source=mid_source, rob_col=rob_col,
                                    benefit=benefit, indirectness=indirectness, indirectness_reason=indirectness_reason,
                                    method=method, test=test, outcome=outcome, intervention=intervention,
                                    comparison=comparison, timeframe=timeframe,
                                    drop00=False if keep_double_zero else None)
        if json_out:
            typer.echo(json.dumps(res.to_dict(), indent=2, sort_keys=False))
            return
        typer.echo(render_text(res, color=use_color(no_color)), nl=False)
