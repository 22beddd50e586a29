"""``evigrade plot forest|funnel STUDIES.csv --measure M [--method ...] -o FILE.png|svg|pdf``.

Thin: the same fit as ``evigrade meta`` (``cli.meta.run_meta``), the risk-of-bias column when the
CSV has one (``--rob-col``, default ``rob`` if present), then ``plots.forest`` / ``plots.funnel``
(matplotlib, ``plots/_mpl.py``) and ``plots._mpl.save``: PNG at 300 dpi, SVG or PDF by the suffix
of ``-o``.  The forest plot shows one row per study (estimate, CI, weight, risk of bias), the
pooled diamond, the prediction interval (k >= 3) and the heterogeneity line.

``evigrade plot forest|funnel PACK --finding ANCHOR -o FILE`` draws the plot the HTML report shows
for that finding (the same ``ForestData``/``FunnelData`` from ``report.model.build_model``; the
anchor is the ``#f-...`` id of the finding in index.html).
"""
from __future__ import annotations

import pathlib
from typing import Any, Optional

import typer

from ..errors import InputError
from ._common import naming_file

__all__ = ["register", "plot_studies_csv", "plot_pack_finding", "KINDS"]

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
    from ..plots._mpl import FILE_FORMATS
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
    return _save_atomic(ax, out)


def plot_pack_finding(kind: str, pack: str, finding: str, out: str, *, method: str = "REML",
                      test: str = "knha") -> str:
    """The report's plot of one finding of a pack, written to ``out``; returns the file format."""
    from .._validate import check_choice
    from ..plots import forest, funnel
    from ..plots._mpl import FILE_FORMATS
    from ..report.model import build_model
    from ..report.pipeline import summary_for_report

    kind = check_choice("plot", kind, KINDS)
    suffix = pathlib.Path(out).suffix.lstrip(".").lower()
    if suffix not in FILE_FORMATS:
        raise InputError("unknown plot file type", file=out, value=pathlib.Path(out).suffix or "(no suffix)",
                         fix="end the -o file name in .png, .svg or .pdf")
    model = build_model(summary_for_report(pack, method=method, test=test))
    views = {v.anchor: v for v in model.findings}
    want = finding if finding.startswith("f-") else f"f-{finding}"
    view = views.get(want)
    with_plot = [a for a, v in views.items() if getattr(v, kind) is not None]
    if view is None or getattr(view, kind) is None:
        shown = ", ".join(with_plot[:5]) + (f" (and {len(with_plot) - 5} more)" if len(with_plot) > 5 else "")
        why = "no such finding" if view is None else f"this finding has no {kind} plot"
        raise InputError(why, file=pack, value=finding,
                         fix=f"use the anchor of a finding with a {kind} plot: {shown or 'none in this pack'}")
    ax = forest(view.forest) if kind == "forest" else funnel(view.funnel)
    return _save_atomic(ax, out)


def _save_atomic(ax: Any, out: str) -> str:
    """``plots.save`` through ``_io.write_atomic``: a failed or killed write leaves no partial file, and an
    output that cannot be written (folder missing, disk full, ...) is one line, exit 3 (issue 19)."""
    from .._io import write_atomic
    from ..plots._mpl import save

    fmt: list[str] = []
    write_atomic(out, lambda tmp: fmt.append(save(ax, tmp, fmt=pathlib.Path(out).suffix.lstrip("."))))
    return fmt[0]


def register(app: typer.Typer) -> None:
    @app.command("plot")
    def plot(
        kind: str = typer.Argument(..., metavar="forest|funnel", help="Which plot."),
        studies: str = typer.Argument(..., metavar="STUDIES.csv|PACK",
                                      help="CSV of studies with metafor column names, or a pack folder with --finding."),
        measure: Optional[str] = typer.Option(None, "--measure", "-m",
                                              help="Effect measure of the CSV: MD, SMD, ROM, OR, RR, RD, ..."),
        finding: Optional[str] = typer.Option(None, "--finding", metavar="ANCHOR",
                                              help="With a pack: the finding's anchor (its #f-... id in the report)."),
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
        """Draw a forest or funnel plot of a CSV of studies (or of a pack's finding) to PNG (300 dpi), SVG or PDF."""
        from ..errors import SpecError

        if pathlib.Path(studies).is_dir():
            if finding is None:
                raise SpecError(f"{studies} is a pack folder: name the finding with --finding ANCHOR")
            fmt = plot_pack_finding(kind, studies, finding, out, method=method, test=test)
            typer.echo(f"wrote {out} ({fmt.upper()})")
            return
        if measure is None:
            raise SpecError("--measure is required for a CSV of studies (e.g. --measure RR)")
        fmt = plot_studies_csv(kind, studies, measure, out, method=method, test=test, level=level, preset=preset,
                               rob_col=rob_col, title=title, benefit=benefit, keep_double_zero=keep_double_zero)
        typer.echo(f"wrote {out} ({fmt.upper()})")
