"""``evigrade check-claims TEXT_FILE [--pack PACK] [--format text|json|html]``.

Thin: read the file (refusing missing, empty, binary, non-UTF-8 and > 6 MB files with a one-line
error, exit 3), build the evidence, call ``claims.check``, render.  ``--format json`` prints
exactly ``json.dumps(report.to_dict(), indent=2)``.
"""
from __future__ import annotations

import sys
from typing import Optional

import typer

from .._io import write_text_atomic


def register(app: typer.Typer) -> None:
    @app.command("check-claims")
    def check_claims(
        text_file: str = typer.Argument(..., metavar="TEXT_FILE", help="Markdown or plain-text file (UTF-8, up to 6 MB)."),
        pack: Optional[str] = typer.Option(None, "--pack", help="Evidence pack folder (default: the bundled pack)."),
        evidence: Optional[str] = typer.Option(None, "--evidence",
                                               help="A stored Evidence JSON to check against instead of a pack."),
        fmt: str = typer.Option("text", "--format", "-f", help="Output format: text, json or html."),
        output: Optional[str] = typer.Option(None, "--output", "-o", help="Write the output to this file."),
        no_color: bool = typer.Option(False, "--no-color", help="Plain text without colour."),
    ) -> None:
        """Flag what a text claims beyond the evidence, sentence by sentence."""
        from .._validate import check_choice
        from ..claims import check, default_evidence, evidence_from_pack, load_evidence, read_text_file
        from ..claims.render import FORMATS, render

        fmt = check_choice("--format", fmt, FORMATS)
        if pack is not None and evidence is not None:
            from ..errors import SpecError

            raise SpecError("give either --pack or --evidence, not both")
        text = read_text_file(text_file)
        if evidence is not None:
            ev = load_evidence(evidence)
        elif pack is not None:
            ev = evidence_from_pack(pack)
        else:
            ev = default_evidence()
        report = check(text, ev, source=text_file)
        color = fmt == "text" and not no_color and output is None and sys.stdout.isatty()
        out = render(report, fmt, color=color)
        if output:
            write_text_atomic(output, out)
        else:
            sys.stdout.write(out if out.endswith("\n") else out + "\n")
