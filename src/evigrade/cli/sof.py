"""``evigrade sof [PACK] -o FILE.docx``: Summary-of-Findings tables per comparison as Word.

A command of its own (rather than ``report --format docx``) so that the report command and its
outputs stay as they are.  Thin: ``pipeline.run(pack)`` -> ``report.sof_docx.write_sof_docx``.
Needs python-docx (``pip install 'evigrade[docx]'``).
"""
from __future__ import annotations

import pathlib
from typing import Optional

import typer

from ..errors import InputError

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    @app.command("sof")
    def sof(
        pack: Optional[pathlib.Path] = typer.Argument(None, readable=False, metavar="PACK",
                                                      help="Evidence pack folder (default: the bundled pack)."),
        out: pathlib.Path = typer.Option(..., "--output", "-o", readable=False, metavar="FILE.docx", help="Word file to write."),
        method: str = typer.Option("REML", "--method", help="tau^2 estimator for pooled trials."),
        test: str = typer.Option("knha", "--test", help="knha (Hartung-Knapp-Sidik-Jonkman) or z (Wald)."),
    ) -> None:
        """Write GRADEpro-style Summary-of-Findings tables, one per comparison, to a Word file."""
        from .. import pipeline
        from ..report.sof_docx import write_sof_docx

        if out.suffix.lower() != ".docx":
            raise InputError("the SoF file must be a Word file", file=str(out), value=out.suffix or "(no suffix)",
                             fix="end the -o file name in .docx")
        graded = pipeline.run(str(pack) if pack is not None else None, method=method, test=test)
        tables = write_sof_docx(graded, out)
        rows = sum(len(t.entries) for t in tables)
        typer.echo(f"wrote {out} ({len(tables)} comparison table{'s' if len(tables) != 1 else ''}, {rows} rows)")
