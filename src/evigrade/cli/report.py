"""`evigrade report [PACK] -o DIR`: the web page, Markdown and JSON report of an evidence pack."""
from __future__ import annotations

import os
import pathlib
import sys
from typing import Any, Callable, Optional

import typer

__all__ = ["register", "make_console", "run_with_progress"]


def make_console(no_color: bool, *, stderr: bool = False) -> Any:
    from rich.console import Console

    return Console(
        file=sys.stderr if stderr else sys.stdout,
        no_color=no_color or bool(os.environ.get("NO_COLOR")),
        highlight=False,
        emoji=False,
    )


def run_with_progress(fn: Callable[[Callable[[str], None]], Any], no_color: bool) -> Any:
    """Run ``fn(progress)`` with a transient rich progress bar on stderr (only on a terminal)."""
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    console = make_console(no_color, stderr=True)
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console,
                  transient=True, disable=not console.is_terminal) as prog:
        task = prog.add_task("starting", total=None)

        def progress(text: str) -> None:
            prog.update(task, description=text)

        return fn(progress)


def register(app: typer.Typer) -> None:
    @app.command("report")
    def report_cmd(
        pack: Optional[pathlib.Path] = typer.Argument(None, help="Evidence pack folder (default: the bundled dry-needling pack)."),
        out: Optional[pathlib.Path] = typer.Option(None, "--out", "-o", help="Write DIR/index.html, DIR/report.md and DIR/results.json."),
        method: str = typer.Option("REML", "--method", help="tau² estimator (REML, DL, PM, ...)."),
        test: str = typer.Option("knha", "--test", help="knha (HKSJ) or z."),
        from_json: Optional[pathlib.Path] = typer.Option(None, "--from-json", help="Render a saved `summarize --json` output instead of a pack."),
        no_color: bool = typer.Option(False, "--no-color", help="Plain terminal output."),
    ) -> None:
        """Build the report: a self-contained web page with forest and funnel plots, plus Markdown and JSON."""
        from ..report import write_report
        from ..report.model import build_model
        from ..report.pipeline import load_summary_json, summary_for_report
        from ..report.text import print_report

        if from_json is not None and pack is not None:
            from ..errors import SpecError

            raise SpecError("give either PACK or --from-json, not both")

        def work(progress: Callable[[str], None]) -> Any:
            if from_json is not None:
                progress("reading summary JSON")
                d = load_summary_json(from_json)
            else:
                d = summary_for_report(pack, method=method, test=test, progress=progress)
            progress("rendering report")
            if out is not None:
                write_report(d, out)
            return d

        d = run_with_progress(work, no_color)
        console = make_console(no_color)
        if out is not None:
            for name in ("index.html", "report.md", "results.json"):
                console.print(f"wrote {out / name}", markup=False)
        else:
            print_report(build_model(d), console)
