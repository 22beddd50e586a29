"""``evigrade meta STUDIES.csv --measure SMD``: one meta-analysis of a plain studies CSV.

Thin: read the CSV (``effects.read_studies_csv``) -> ``stats.meta_analysis`` -> print.  ``--json``
prints exactly ``MetaResult.to_dict()``; otherwise a metafor-like summary rendered with rich.
"""
from __future__ import annotations

import json
import math
import os
from typing import Any, Optional

import typer

__all__ = ["register", "run_meta", "render_text"]


def run_meta(studies: str, measure: str, *, method: str = "REML", test: str = "knha", level: float = 95,
             preset: Optional[str] = None, ratio_scale: bool = False):
    """The library call behind the command: (EffectTable, MetaResult)."""
    from ..effects import read_studies_csv
    from ..stats import meta_analysis

    options = {"scale": "ratio"} if ratio_scale else {}
    table = read_studies_csv(studies, measure, **options)
    result = meta_analysis(table, method=method, test=test, level=level, preset=preset)
    return table, result


def _num(x: Any, digits: int = 4) -> str:
    if x is None:
        return "NA"
    try:
        f = float(x)
    except (TypeError, ValueError):
        return str(x)
    if math.isnan(f):
        return "NA"
    return f"{f:.{digits}f}"


def _p(p: float) -> str:
    if p is None or math.isnan(p):
        return "NA"
    return "< .0001" if p < 1e-4 else f"{p:.4f}"


_MODEL = {
    "FE": "Common-Effect Model",
    "MH": "Common-Effect Model (Mantel-Haenszel)",
    "PETO": "Common-Effect Model (Peto)",
}
_TESTS = {"z": "z", "knha": "knha (Hartung-Knapp-Sidik-Jonkman)", "adhoc": "knha, ad hoc"}


def render_text(table, res, *, color: bool = True, width: int = 100) -> str:
    """A metafor-like ``print(rma)`` summary followed by the per-study table and the notes."""
    import io

    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from ..effects import RATIO_MEASURES, back_transform

    buf = io.StringIO()
    con = Console(file=buf, width=width, no_color=not color, color_system="standard" if color else None,
                  highlight=False, force_terminal=color, emoji=False, soft_wrap=True)
    pct = f"{res.level * 100:g}%"
    model = _MODEL.get(res.method, "Random-Effects Model")
    est_name = "" if res.method in _MODEL else f"; tau^2 estimator: {res.method}"
    con.print(f"[bold]{model}[/bold] (k = {res.k}{est_name}; measure: {res.measure})")
    con.print()
    if res.method not in _MODEL:
        tci = ""
        if not math.isnan(res.tau2_ci_low):
            tci = f"  [{pct} CI {_num(res.tau2_ci_low)} to {_num(res.tau2_ci_high)}]"
        con.print(f"tau^2 (estimated amount of total heterogeneity): {_num(res.tau2)} (SE = {_num(res.tau2_se)}){tci}")
        con.print(f"tau (square root of estimated tau^2 value):      {_num(res.tau)}")
    ici = ""
    if not math.isnan(res.i2_ci_low):
        ici = f"  [{pct} CI {res.i2_ci_low * 100:.2f}% to {res.i2_ci_high * 100:.2f}%]"
    i2 = "NA" if math.isnan(res.i2) else f"{res.i2 * 100:.2f}%"
    con.print(f"I^2 (total heterogeneity / total variability):   {i2}{ici}")
    con.print(f"H^2 (total variability / sampling variability):  {_num(res.h2, 2)}")
    con.print()
    con.print("[bold]Test for Heterogeneity:[/bold]")
    con.print(f"Q(df = {res.q_df}) = {_num(res.q)}, p-val {'' if _p(res.q_pvalue).startswith('<') else '= '}"
              f"{_p(res.q_pvalue)}")
    con.print()
    df = f", df = {res.df}" if res.df is not None else ""
    con.print(f"[bold]Model Results[/bold] (test = {_TESTS.get(res.test, res.test)}{df}):")
    stat = "tval" if res.df is not None else "zval"
    mt = Table(show_edge=False, box=None, pad_edge=False)
    for col in ("estimate", "se", stat, "pval", "ci.lb", "ci.ub"):
        mt.add_column(col, justify="right")
    mt.add_row(_num(res.estimate), _num(res.se), _num(res.zval), _p(res.pval), _num(res.ci_low), _num(res.ci_high))
    con.print(mt)
    common = res.method in _MODEL
    if not common and not math.isnan(res.pi_low):
        con.print(f"Prediction interval ({pct}): {_num(res.pi_low)} to {_num(res.pi_high)}")
    measure = (res.measure or "").upper()
    if measure in RATIO_MEASURES or measure in ("PLO", "PFT", "ZCOR"):
        ni = table.n if measure == "PFT" else None
        vals = [res.estimate, res.ci_low, res.ci_high]
        bt = [back_transform(measure, v, ni=ni) for v in vals]
        scale = {"PLO": "proportion", "PFT": "proportion", "ZCOR": "correlation"}.get(measure, measure)
        line = f"Back-transformed ({scale}): {_num(bt[0])} [{pct} CI {_num(bt[1])} to {_num(bt[2])}]"
        if not common and not math.isnan(res.pi_low):
            pb = [back_transform(measure, v, ni=ni) for v in (res.pi_low, res.pi_high)]
            line += f"; prediction interval {_num(pb[0])} to {_num(pb[1])}"
        con.print(line)
    con.print()
    st = Table(title=None, show_edge=False, box=None, pad_edge=False)
    st.add_column("study", justify="left")
    for col in ("yi", "vi", "weight %"):
        st.add_column(col, justify="right")
    for i, s in enumerate(res.study):
        st.add_row(Text(s), _num(res.yi[i]), _num(res.vi[i]), f"{float(res.weights[i]) * 100:.2f}")
    con.print(st)
    notes = list(res.notes)
    if notes:
        con.print()
        con.print("[bold]Notes:[/bold]")
        for n in notes:
            con.print("- " + n.message, markup=False)
    return buf.getvalue()


def register(app: typer.Typer) -> None:
    @app.command("meta")
    def meta(
        studies: str = typer.Argument(..., metavar="STUDIES.csv", help="CSV of studies with metafor column names (m1i, sd1i, n1i, ...)."),
        measure: str = typer.Option(..., "--measure", "-m",
                                    help="Effect measure: MD, SMD, ROM, OR, RR, RD, PR, PLO, PFT, ZCOR, GEN."),
        method: str = typer.Option("REML", "--method", help="tau^2 estimator: FE, DL, HE, HS, HSk, SJ, ML, REML, EB, PM."),
        test: str = typer.Option("knha", "--test", help="knha (Hartung-Knapp-Sidik-Jonkman, t) or z (Wald)."),
        level: float = typer.Option(95.0, "--level", help="Confidence level in percent."),
        json_out: bool = typer.Option(False, "--json", help="Print the result as JSON (MetaResult.to_dict())."),
        preset: Optional[str] = typer.Option(None, "--preset",
                                             help="revman5: DerSimonian-Laird, Wald z, Mantel-Haenszel for 2x2 data."),
        ratio_scale: bool = typer.Option(False, "--ratio-scale",
                                         help="yi, ci_low, ci_high are ratios as printed (e.g. OR 0.5, CI 0.3 to 0.8)."),
        no_color: bool = typer.Option(False, "--no-color", help="Plain text output (also when NO_COLOR is set)."),
    ) -> None:
        """Meta-analyse a CSV of studies (effect sizes as metafor's escalc, pooling as rma)."""
        table, res = run_meta(studies, measure, method=method, test=test, level=level, preset=preset,
                              ratio_scale=ratio_scale)
        if json_out:
            typer.echo(json.dumps(res.to_dict(), indent=2, sort_keys=False))
            return
        color = not no_color and not os.environ.get("NO_COLOR")
        import sys

        color = color and sys.stdout.isatty()
        typer.echo(render_text(table, res, color=color), nl=False)
