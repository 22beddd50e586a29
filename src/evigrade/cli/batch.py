"""``evigrade batch IN -o OUT``: fit many meta-analyses from one long table (CSV or Parquet).

Thin: by default ``batch.stream.run_stream`` (the input read with pyarrow in chunks of whole analyses,
each chunk fitted and appended to the output, so memory stays bounded however long the file; the rows
of each analysis must be next to each other); ``--no-stream`` (or ``--json``, ``--on-error skip``)
``batch.run`` on the whole file (rows in any order) then ``batch.write_table``; ``batch.run_dask`` with ``--scheduler`` /
``--dask-workers``.  The output appears atomically; then a one-line summary (or ``--json``: exactly
``BatchResult.to_dict()``).  A rich progress bar, counting analyses, appears on stderr for runs that
take over a second.
"""
from __future__ import annotations

import json
import sys
import time
from typing import TYPE_CHECKING, Any, Optional, cast

from .._escape import term_safe
from .._format import fmt_fixed
from ._plain import parse

if TYPE_CHECKING:
    import typer
    from rich.progress import Progress, TaskID

    from ..batch.core import Method, Test
    from ..results import Note

__all__ = ["register", "plain_args", "run_batch", "DEFAULTS", "PLAIN_OPTIONS"]


class _Progress:
    """A rich progress bar on stderr that only appears once a run has taken more than a second."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.t0 = time.perf_counter()
        self.bar: Progress | None = None
        self.task: TaskID | None = None

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        if self.bar is None:
            if time.perf_counter() - self.t0 < 1.0 or done >= total:
                return
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            bar = Progress(TextColumn("fitting analyses"), BarColumn(), MofNCompleteColumn(),
                           TimeElapsedColumn(), console=Console(stderr=True), transient=True)
            bar.start()
            self.bar, self.task = bar, bar.add_task("fit", total=total)
        assert self.task is not None  # set together with self.bar
        self.bar.update(self.task, completed=done)

    def stream(self, done: int, fraction: float) -> None:
        """A streamed run: the count of analyses fitted so far, the bar showing how much input has been read."""
        if not self.enabled:
            return
        if self.bar is None:
            if time.perf_counter() - self.t0 < 1.0 or fraction >= 1.0:
                return
            from rich.console import Console
            from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

            bar = Progress(TextColumn("fitting analyses: {task.fields[analyses]:,} done"), BarColumn(),
                           TaskProgressColumn(), TextColumn("of the input read"), TimeElapsedColumn(),
                           console=Console(stderr=True), transient=True)
            bar.start()
            self.bar, self.task = bar, bar.add_task("fit", total=1.0, analyses=0)
        assert self.task is not None  # set together with self.bar
        self.bar.update(self.task, completed=min(1.0, fraction), analyses=done)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


#: The default of every option of ``evigrade batch``, in one place: the typer signature below and the
#: typer-free parse of a plain run (``plain_args``) both read them.
DEFAULTS: dict[str, Any] = {
    "method": "REML", "test": "knha", "level": 95.0, "tau2_ci": False, "pi": True, "measure": None,
    "id_col": "analysis_id", "scheduler": None, "dask_workers": None, "partitions": None, "stream": True,
    "chunk_rows": 1 << 18, "json_out": False, "quiet": False, "on_error": "strict", "force": False,
}

#: The options ``plain_args`` reads: option -> (parameter, type of its value, or the value a flag sets).
#: (Dask, --json and --help are left to typer.)  tests/cli/test_batch_plain_args.py checks them against
#: the typer command: the same names, the same parameters, the same defaults, the same parsed values.
PLAIN_OPTIONS: dict[str, tuple[str, Any]] = {
    "-o": ("output", str), "--output": ("output", str), "--method": ("method", str), "--test": ("test", str),
    "--level": ("level", float), "--tau2-ci": ("tau2_ci", True), "--no-tau2-ci": ("tau2_ci", False),
    "--pi": ("pi", True), "--no-pi": ("pi", False), "-m": ("measure", str), "--measure": ("measure", str),
    "--id-col": ("id_col", str), "--stream": ("stream", True), "--no-stream": ("stream", False),
    "--chunk-rows": ("chunk_rows", int), "-q": ("quiet", True), "--quiet": ("quiet", True),
    "--on-error": ("on_error", str), "--force": ("force", True),
}


def plain_args(argv: list[str]) -> dict[str, Any] | None:
    """The arguments of ``evigrade batch`` for a plain command line (``IN -o OUT`` and the options of
    ``PLAIN_OPTIONS`` with ordinary values), parsed without typer (see ``cli._plain``); None for
    anything else (typer then parses it and reports what is wrong)."""
    return parse(argv, PLAIN_OPTIONS, {**DEFAULTS, "output": None}, "infile", required=("infile", "output"))


def register(app: typer.Typer) -> None:
    import typer

    @app.command("batch")
    def batch_cmd(
        infile: str = typer.Argument(..., metavar="IN",
                                     help="Long table (CSV or .parquet): analysis_id + yi/vi (or sei), "
                                          "or arm-level metafor columns with --measure."),
        output: str = typer.Option(..., "--output", "-o", help="Output file, .csv or .parquet (one row per analysis)."),
        method: str = typer.Option(DEFAULTS["method"], "--method", help="tau^2 estimator: FE, DL, PM, ML, REML, EB."),
        test: str = typer.Option(DEFAULTS["test"], "--test", help="knha (Hartung-Knapp-Sidik-Jonkman, t) or z (Wald)."),
        level: float = typer.Option(DEFAULTS["level"], "--level", help="Confidence level in percent."),
        tau2_ci: bool = typer.Option(DEFAULTS["tau2_ci"], "--tau2-ci/--no-tau2-ci", help="Add Q-profile CIs for tau^2, I^2, H^2."),
        pi: bool = typer.Option(DEFAULTS["pi"], "--pi/--no-pi", help="Add the prediction interval."),
        measure: Optional[str] = typer.Option(DEFAULTS["measure"], "--measure", "-m",
                                              help="Compute yi/vi from arm-level columns with escalc "
                                                   "(MD, SMD, ROM, OR, RR, RD, PR, PLO, PFT, ZCOR)."),
        id_col: str = typer.Option(DEFAULTS["id_col"], "--id-col", help="Column naming each row's analysis."),
        scheduler: Optional[str] = typer.Option(DEFAULTS["scheduler"], "--scheduler",
                                                help="Run on an existing Dask cluster (e.g. tcp://host:8786)."),
        dask_workers: Optional[int] = typer.Option(DEFAULTS["dask_workers"], "--dask-workers",
                                                   help="Run on a temporary local Dask cluster with N workers."),
        partitions: Optional[int] = typer.Option(DEFAULTS["partitions"], "--partitions", help="Dask partitions (default 4 per worker)."),
        stream: bool = typer.Option(DEFAULTS["stream"], "--stream/--no-stream",
                                    help="Read and fit the input in chunks of whole analyses, writing results as "
                                         "they are fitted (bounded memory; the rows of each analysis must be next "
                                         "to each other). --no-stream reads the whole file (rows in any order)."),
        chunk_rows: int = typer.Option(DEFAULTS["chunk_rows"], "--chunk-rows", min=1,
                                       help="Input rows per streamed chunk (a chunk always holds whole analyses)."),
        json_out: bool = typer.Option(DEFAULTS["json_out"], "--json", help="Print BatchResult.to_dict() as JSON."),
        quiet: bool = typer.Option(DEFAULTS["quiet"], "--quiet", "-q", help="No progress bar and no summary line."),
        on_error: str = typer.Option(DEFAULTS["on_error"], "--on-error", metavar="strict|skip",
                                     help="strict: stop at the first bad row (exit 3). skip: fit the other "
                                          "analyses and list each bad row in OUTPUT.rejects.csv (reads the whole "
                                          "file, as --no-stream)."),
        force: bool = typer.Option(DEFAULTS["force"], "--force", help="Write OUTPUT even if another evigrade run is writing it."),
    ) -> None:
        """Fit many meta-analyses at once (vectorised; optionally on a Dask cluster)."""
        run_batch(infile=infile, output=output, method=method, test=test, level=level, tau2_ci=tau2_ci, pi=pi,
                  measure=measure, id_col=id_col, scheduler=scheduler, dask_workers=dask_workers,
                  partitions=partitions, stream=stream, chunk_rows=chunk_rows, json_out=json_out, quiet=quiet,
                  on_error=on_error, force=force)


def run_batch(*, infile: str, output: str, method: str, test: str, level: float, tau2_ci: bool, pi: bool,
              measure: Optional[str], id_col: str, scheduler: Optional[str], dask_workers: Optional[int],
              partitions: Optional[int], stream: bool, chunk_rows: int, json_out: bool, quiet: bool, on_error: str,
              force: bool) -> None:
    """The command once its arguments are parsed (by typer, or by ``plain_args``)."""
    from .. import batch
    from .._validate import check_choice
    from ..errors import SpecError
    from ._common import holding_output

    if scheduler is not None and dask_workers is not None:
        raise SpecError("give either --scheduler or --dask-workers, not both")
    out_ext = output.lower().rsplit(".", 1)[-1] if "." in output else ""
    if out_ext not in ("csv", "parquet", "pq"):
        raise SpecError(f"output {output!r} must end in .csv or .parquet")
    on_error = check_choice("--on-error", on_error, ("strict", "skip"))
    rej_path = None
    if on_error == "skip":
        from ..batch.rejects import rejects_path  # (pandas: only --on-error skip needs it)

        rej_path = rejects_path(output)
    with holding_output(output, force), holding_output(rej_path, force):
        _batch(batch, infile, output, method, test, level, tau2_ci, pi, measure, id_col, scheduler, dask_workers,
               partitions, stream, chunk_rows, json_out, quiet, rej_path)


def _batch(batch: Any, infile: str, output: str, method: str, test: str, level: float, tau2_ci: bool, pi: bool,
           measure: Optional[str], id_col: str, scheduler: Optional[str], dask_workers: Optional[int],
           partitions: Optional[int], stream: bool, chunk_rows: int, json_out: bool, quiet: bool,
           rej_path: Optional[str]) -> None:
    """The body of ``evigrade batch`` (the output lock is held around it)."""
    progress = _Progress(enabled=not quiet and not json_out)
    t0 = time.perf_counter()
    # --on-error skip screens the whole table first, so it reads the file whole (as --no-stream)
    if stream and scheduler is None and dask_workers is None and not json_out and rej_path is None:
        from ..batch.stream import run_stream

        try:
            sres = run_stream(infile, output, method, test, level, tau2_ci, pi, measure=measure, id_col=id_col,
                              chunk_rows=chunk_rows, progress=progress.stream)
        finally:
            progress.close()
        if not quiet:
            _summary(sres.n_analyses, sres.n_rows, sres.method, sres.test, output, time.perf_counter() - t0,
                     sres.n_fallback, sres.summary_counts(), sres.run_notes)
        return
    table_in: Any = infile
    rejects: tuple[Any, ...] = ()
    if rej_path is not None:  # --on-error skip: leave out the analyses with a bad row, list them
        from ..batch.rejects import screen

        table_in, rejects = screen(batch.read_table(infile), measure=measure, id_col=id_col, file=infile)
        if len(table_in) == 0:
            from ..batch.rejects import write_rejects
            from ..errors import InputError

            write_rejects(rejects, rej_path)
            raise InputError(f"every analysis has a bad row ({len(rejects)} listed in {rej_path}); nothing "
                             "was fitted", file=infile, fix=f"correct the rows listed in {rej_path}")
    try:
        if scheduler is not None or dask_workers is not None:
            res = batch.run_dask(table_in, method, test, level, tau2_ci, pi, scheduler=scheduler,
                                 workers=dask_workers, npartitions=partitions, measure=measure,
                                 id_col=id_col, progress=progress)
        else:
            # The user's spelling goes through unchanged: batch.run canonicalises method and test
            # (aliases, any case) and refuses other values with a one-line SpecError (exit 3).
            res = batch.run(table_in, cast("Method", method), cast("Test", test), level, tau2_ci, pi,
                            measure=measure, id_col=id_col, chunk_size=10_000, progress=progress)
    finally:
        progress.close()
    batch.write_table(res.table, output)
    if rej_path is not None:
        from ..batch.rejects import write_rejects

        write_rejects(rejects, rej_path)
        if rejects and (json_out or quiet):
            n_an = len({r.analysis_id for r in rejects})
            print(f"note: {n_an} analys{'es' if n_an != 1 else 'is'} skipped for bad rows; see {rej_path}",
                  file=sys.stderr)
    elapsed = time.perf_counter() - t0
    if json_out:
        import typer

        typer.echo(json.dumps(res.to_dict(), indent=2, sort_keys=False))
        return
    if quiet:
        return
    _summary(res.n_analyses, res.n_rows, res.method, res.test, output, elapsed,
             int((~res.table["converged"]).sum()), res.summary_counts(), res.run_notes)
    if rej_path is not None:
        n_an = len({r.analysis_id for r in rejects})
        print(f"skipped {n_an} analys{'es' if n_an != 1 else 'is'} with {len(rejects)} bad "
              f"row{'s' if len(rejects) != 1 else ''}; listed in {rej_path}", file=sys.stdout)


def _summary(n_analyses: int, n_rows: int, method: str, test: str, output: str, elapsed: float, not_conv: int,
             counts: dict[str, int], run_notes: "tuple[Note, ...]") -> None:
    """The one-line summary of a run and the notes about how the input was read."""
    extra = ""
    if counts:
        extra = "; notes: " + ", ".join(f"{c} x{n}" for c, n in sorted(counts.items(), key=lambda kv: -kv[1]))
    conv = f"; {not_conv} used a fallback estimator" if not_conv else ""
    print(f"wrote {n_analyses} analyses ({n_rows} rows, {method}/{test}) to {output} "
          f"in {fmt_fixed(elapsed)} s{conv}{extra}", file=sys.stdout)
    for note in run_notes:  # how the input was read (delimiter, skipped rows, escalc exclusions)
        print(f"note: {term_safe(note.message)}", file=sys.stdout)
