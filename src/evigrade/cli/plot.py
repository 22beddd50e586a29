"""``evigrade plot forest|funnel STUDIES.csv --measure M [--method ...] -o FILE.png|svg|pdf``.

Thin: the same fit as ``evigrade meta`` (``cli.meta.run_meta``), the risk-of-bias column when the
CSV has one (``--rob-col``, default ``rob`` if present), then ``plots.forest`` / ``plots.funnel``
(matplotlib, ``plots/_mpl.py``) and ``plots._mpl.save``: PNG at 300 dpi, SVG or PDF by the suffix
of ``-o``.  The forest plot shows one row per study (estimate, CI, weight, risk of bias), the
pooled diamond, the prediction interval (k >= 3) and the heterogeneity line.
"""
from __future__ import annotations

import pathlib
from typing import Any, Optional

import typer

from ..errors import InputError
from ._common import naming_file

__all__ = ["register", "plot_studies_csv", "KINDS"]

KINDS = ("forest", "funnel")


def _has_column(path: str, column: str) -> bool:
    from ..effects.io import _parse

    _, header, _ = _parse(path)
    return column.strip().lower() in header


def plot_studies_csv(kind: str, studies: str, measure: str, out: str, *, method: str = "REML",
                     test: str = "knha", level: float = 95.0, preset: Optional[str] = None,
                     rob_col: Optional[str] = None, title: Optional[str] = None,
                     benefit: Optional[str] = None, keep_double_zero: bool = False) -> str:
    """Fit the CSV and write the plot to ``out``; returns the file format written."""
    from .._validate import check_choice
    from ..grade.analysis import read_rob_column
    from ..plots import forest, funnel
    from ..plots._mpl import FILE_FORMATS, save
    from .meta import run_meta

    kind = check_choice("plot", kind, KINDS)
    suffix = pathlib.Path(out).suffix.lstrip(".").lower()
    if suffix not in FILE_FORMATS:
        raise InputError("unknown plot file type", file=out, value=pathlib.Path(out).suffix or "(no suffix)",
                         fix="end the -o file name in .png, .svg or .pdf")
    _, res = run_meta(studies, measure, method=method, test=test, level=level, preset=preset,
                      keep_double_zero=keep_double_zero)
    if kind == "forest":
        rob: dict[str, Any] | None = None
        if rob_col is not None or _has_column(studies, "rob"):
            with naming_file(studies):
                rob = read_rob_column(studies, rob_col or "rob")
        ax = forest(res, title=title or "Forest plot", rob=rob, benefit=benefit)
    else:
        ax = funnel(res, title=title or "Funnel plot")
    pathlib.Path(out).parent.mkdir(parents=True, exist_ok=True)
    return save(ax, out)


def register(app: typer.Typer) -> None:
    @app.command("plot")
    def plot(
        kind: str = typer.Argument(..., metavar="forest|funnel", help="Which plot."),
        studies: str = typer.Argument(..., metavar="STUDIES.csv", help="CSV of studies with metafor column names."),
        measure: str = typer.Option(..., "--measure", "-m", help="Effect measure: MD, SMD, ROM, OR, RR, RD, ..."),
        out: str = typer.Option(..., "--output", "-o", metavar="FILE.png|svg|pdf",
                                help="Output file; the suffix picks the format (PNG at 300 dpi)."),
        method: str = typer.Option("REML", "--method", help="tau^2 estimator: FE, DL, HE, HS, HSk, SJ, ML, REML, EB, PM."),
        test: str = typer.Option("knha", "--test", help="knha (Hartung-Knapp-Sidik-Jonkman, t) or z (Wald)."),
        level: float = typer.Option(95.0, "--level", help="Confidence level: 95 (percent) or 0.95."),
        preset: Optional[str] = typer.Option(None, "--preset",
                                             help="revman5: DerSimonian-Laird, Wald z, Mantel-Haenszel for 2x2 data."),
        rob_col: Optional[str] = typer.Option(None, "--rob-col", help="Risk-of-bias column (default: 'rob' when "
                                              "the CSV has one): low / some concerns / high."),
        title: Optional[str] = typer.Option(None, "--title", help="Plot title."),
        benefit: Optional[str] = typer.Option(None, "--benefit", help="lower or higher is better (labels the "
                                              "'favours' sides of a forest plot)."),
        keep_double_zero: bool = typer.Option(False, "--keep-double-zero",
                                              help="OR/RR: keep studies with no events in both groups (+1/2)."),
    ) -> None:
        """Draw a forest or funnel plot of a CSV of studies to PNG (300 dpi), SVG or PDF."""
        fmt = plot_studies_csv(kind, studies, measure, out, method=method, test=test, level=level, preset=preset,
                               rob_col=rob_col, title=title, benefit=benefit, keep_double_zero=keep_double_zero)
        typer.echo(f"wrote {out} ({fmt.upper()})")
