"""``evigrade validate PACK``: check a pack and print every problem (one per line).

Exit 0 and ``PACK: valid (N studies, M results, ...)`` when the pack is valid; otherwise every
problem on stderr, one per line, and exit 3.  Nothing is written.
"""
from __future__ import annotations

from typing import Optional

import typer

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    @app.command("validate")
    def validate_cmd(
        pack: Optional[str] = typer.Argument(None, metavar="PACK", help="Evidence pack folder (default: the bundled pack)."),
        verbose: bool = typer.Option(False, "--verbose", "-v",
                                     help="Also list the defaults assumed for keys the pack does not state, and the "
                                          "columns kept for provenance but not analysed."),
    ) -> None:
        """Validate an evidence pack; print every problem (file, row, column, value, fix)."""
        from ..errors import PackError
        from ..packs import load_pack
        from ..packs.loader import BUNDLED_PACKS

        name = pack if pack is not None else f"bundled:{BUNDLED_PACKS[0]}"
        try:
            p = load_pack(pack)
        except PackError as exc:
            for prob in exc.problems:
                text = str(prob)
                typer.echo(text if text.startswith(f"{name}:") else f"{name}: {text}", err=True)
            n = len(exc.problems)
            typer.echo(f"{name}: invalid ({n} problem{'s' if n != 1 else ''})", err=True)
            raise typer.Exit(code=exc.exit_code) from None
        c = p.counts()
        typer.echo(f"{name}: valid ({c['studies']} studies, {c['results']} results, {c['reviews']} review results, "
                   f"{c['safety']} safety rows, {c['claims']} claims, {c['outcomes']} outcomes)")
        if verbose:
            from ..packs.loader import unanalysed_columns

            for fname, cols in unanalysed_columns(pack).items():
                typer.echo(f"{name}: {fname}: not analysed (kept for provenance): {', '.join(cols)}")
            for note in p.notes:  # what was assumed for keys the pack does not state, tables it leaves out
                typer.echo(f"{name}: note: {note.message}")
