"""``evigrade check-claims TEXT_FILE [--pack PACK] [--format text|json|html]``.

Thin: read the file (refusing missing, empty, binary, non-UTF-8 and > 6 MB files with a one-line
error, exit 3), build the evidence, call ``claims.check``, render.  ``--format json`` prints
exactly ``json.dumps(report.to_dict(), indent=2)``.
"""
from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any, Optional

from .._io import write_text_atomic
from ._plain import parse

if TYPE_CHECKING:
    import typer

__all__ = ["register", "check_claims_command", "plain_args", "DEFAULTS", "PLAIN_OPTIONS"]

#: The default of every option: the typer signature and ``plain_args`` both read them.
DEFAULTS: dict[str, Any] = {"pack": None, "evidence": None, "fmt": "text", "output": None, "no_color": False}
#: The options ``plain_args`` reads (tests/cli/test_plain_commands.py checks them against the typer command).
PLAIN_OPTIONS: dict[str, tuple[str, Any]] = {
    "--pack": ("pack", str), "--evidence": ("evidence", str), "--format": ("fmt", str), "-f": ("fmt", str),
    "--output": ("output", str), "-o": ("output", str), "--no-color": ("no_color", True),
}


def plain_args(argv: list[str]) -> dict[str, Any] | None:
    """The arguments of a plain ``evigrade check-claims`` line, parsed without typer (``cli._plain``);
    None: typer parses the line (and says what is missing or wrong)."""
    return parse(argv, PLAIN_OPTIONS, DEFAULTS, "text_file", required=("text_file",))


def register(app: typer.Typer) -> None:
    import typer

    d = DEFAULTS

    @app.command("check-claims")
    def check_claims(
        text_file: str = typer.Argument(..., metavar="TEXT_FILE", help="Markdown or plain-text file (UTF-8, up to 6 MB)."),
        pack: Optional[str] = typer.Option(d["pack"], "--pack", help="Evidence pack folder (default: the bundled pack)."),
        evidence: Optional[str] = typer.Option(d["evidence"], "--evidence",
                                               help="A stored Evidence JSON to check against instead of a pack."),
        fmt: str = typer.Option(d["fmt"], "--format", "-f", help="Output format: text, json or html."),
        output: Optional[str] = typer.Option(d["output"], "--output", "-o", help="Write the output to this file."),
        no_color: bool = typer.Option(d["no_color"], "--no-color", help="Plain text without colour."),
    ) -> None:
        """Flag what a text claims beyond the evidence, sentence by sentence."""
        check_claims_command(text_file=text_file, pack=pack, evidence=evidence, fmt=fmt, output=output,
                             no_color=no_color)


def check_claims_command(text_file: str, pack: Optional[str], evidence: Optional[str], fmt: str,
                         output: Optional[str], no_color: bool) -> None:
    """The command once its arguments are parsed (by typer, or by ``plain_args``)."""
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
