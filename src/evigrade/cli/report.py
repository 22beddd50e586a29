"""`evigrade report [PACK] -o DIR`: the web page, Markdown and JSON report of an evidence pack."""
from __future__ import annotations

import os
import pathlib
import sys
from typing import Any, Callable, Optional

import typer

from ..errors import PackError

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
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    console = make_console(no_color, stderr=True)
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(bar_width=24), TimeElapsedColumn(), console=console,
                  transient=True, disable=not console.is_terminal) as prog:
        task = prog.add_task("starting", total=None)

        def progress(text: str) -> None:
            prog.update(task, description=text)

        return fn(progress)


_NUMBER_KEYS = ("estimate", "ci_low", "ci_high", "pi_low", "pi_high", "k", "participants")


def _check_findings(d: dict, path: pathlib.Path) -> None:
    """A saved summary must hold one object per finding with numbers (or null) where numbers belong;
    anything else was not written by `evigrade summarize --json` and would render as nonsense."""
    from ..errors import InputError

    fix = "give the JSON written by `evigrade summarize --json` (or a report's results.json)"
    for i, f in enumerate(d["findings"], start=1):
        if not isinstance(f, dict):
            raise InputError("each finding must be a JSON object", file=str(path), label=f"finding {i}",
                             column="findings", value=f, fix=fix)
        for key in _NUMBER_KEYS:
            v = f.get(key)
            if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float))):
                raise InputError("must be a number or null", file=str(path), label=f"finding {i}", column=key,
                                 value=v, fix=fix)


def _with_validate_hint(exc: Any, pack: Optional[pathlib.Path]) -> Any:
    """The pack's first problem on one line, naming the pack and how to list the others."""
    where = str(pack) if pack is not None else ""
    first = str(exc.problems[0]) if exc.problems else str(exc)
    if where and not first.startswith(where):
        first = f"{where}: {first}"
    n = len(exc.problems) - 1
    if n > 0:
        first += (f" (and {n} more problem{'s' if n > 1 else ''}; list them all with: "
                  f"evigrade validate{' ' + where if where else ''})")
    err = PackError(exc.problems, pack=exc.pack)
    err.args = (first,)
    return err


def register(app: typer.Typer) -> None:
    @app.command("report")
    def report_cmd(
        pack: Optional[pathlib.Path] = typer.Argument(None, readable=False, metavar="PACK",
                                                      help="Evidence pack folder (default: the bundled pack)."),
        out: Optional[pathlib.Path] = typer.Option(None, "--out", "-o", readable=False, metavar="DIR",
                                                   help="Write DIR/index.html, DIR/report.md and DIR/results.json "
                                                        "(a new or report-only folder); without -o, print to the terminal."),
        method: str = typer.Option("REML", "--method", help="tau² estimator (REML, DL, PM, ...)."),
        test: str = typer.Option("knha", "--test", help="knha (HKSJ) or z."),
        from_json: Optional[pathlib.Path] = typer.Option(None, "--from-json", readable=False, metavar="FILE", help="Render a saved `summarize --json` output instead of a pack."),
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
        if out is not None:  # refuse an unusable folder before computing anything
            from ..report import check_report_folder

            check_report_folder(out)

        def work(progress: Callable[[str], None]) -> Any:
            if from_json is not None:
                progress("reading summary JSON")
                d = load_summary_json(from_json)
                _check_findings(d, from_json)
            else:
                try:
                    d = summary_for_report(pack, method=method, test=test, progress=progress)
                except PackError as exc:
                    raise _with_validate_hint(exc, pack) from None
            progress("rendering report")
            if out is not None:
                try:
                    write_report(d, out)
                except OSError as exc:  # e.g. a read-only folder or a full disk: nothing was left behind
                    from ..errors import InputError

                    raise InputError(f"cannot write the report ({exc.strerror or exc})", file=str(out),
                                     fix="choose a folder you can write to (-o DIR)") from None
            return d

        d = run_with_progress(work, no_color)
        console = make_console(no_color)
        if out is not None:
            for name in ("index.html", "report.md", "results.json"):
                console.print(f"wrote {out / name}", markup=False)
        else:
            print_report(build_model(d), console)
