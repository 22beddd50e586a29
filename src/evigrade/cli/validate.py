"""``evigrade validate PACK``: check a pack and print every problem (one per line).

Exit 0 and ``PACK: valid (N studies, M results, ...)`` when the pack is valid; otherwise every
problem on stderr, one per line, and exit 3.  Nothing is written.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

from ._plain import echo, parse

if TYPE_CHECKING:
    import typer

__all__ = ["register", "validate_command", "plain_args", "DEFAULTS", "PLAIN_OPTIONS"]

#: The default of every option: the typer signature and ``plain_args`` both read them.
DEFAULTS: dict[str, Any] = {"verbose": False}
#: The options ``plain_args`` reads (tests/cli/test_plain_commands.py checks them against the typer command).
PLAIN_OPTIONS: dict[str, tuple[str, Any]] = {"--verbose": ("verbose", True), "-v": ("verbose", True)}


def plain_args(argv: list[str]) -> dict[str, Any] | None:
    """The arguments of a plain ``evigrade validate`` line, parsed without typer (``cli._plain``); None:
    typer parses the line."""
    return parse(argv, PLAIN_OPTIONS, DEFAULTS, "pack")


def register(app: typer.Typer) -> None:
    import typer

    @app.command("validate")
    def validate_cmd(
        pack: Optional[str] = typer.Argument(None, metavar="PACK", help="Evidence pack folder (default: the bundled pack)."),
        verbose: bool = typer.Option(DEFAULTS["verbose"], "--verbose", "-v",
                                     help="Also list the defaults assumed for keys the pack does not state, and the "
                                          "columns kept for provenance but not analysed."),
    ) -> None:
        """Validate an evidence pack; print every problem (file, row, column, value, fix)."""
        code = validate_command(pack=pack, verbose=verbose)
        if code:
            raise typer.Exit(code=code)


def validate_command(pack: Optional[str], verbose: bool) -> int:
    """The command once its arguments are parsed (by typer, or by ``plain_args``): its exit code."""
    from ..errors import PackError
    from ..packs import load_pack
    from ..packs.loader import BUNDLED_PACKS

    name = pack if pack is not None else f"bundled:{BUNDLED_PACKS[0]}"
    try:
        p = load_pack(pack)
    except PackError as exc:
        for prob in exc.problems:
            text = str(prob)
            echo(text if text.startswith(f"{name}:") else f"{name}: {text}", err=True)
        n = len(exc.problems)
        echo(f"{name}: invalid ({n} problem{'s' if n != 1 else ''})", err=True)
        return exc.exit_code
    c = p.counts()
    echo(f"{name}: valid ({c['studies']} studies, {c['results']} results, {c['reviews']} review results, "
         f"{c['safety']} safety rows, {c['claims']} claims, {c['outcomes']} outcomes)")
    if verbose:
        from ..packs.loader import unanalysed_columns

        for fname, cols in unanalysed_columns(pack).items():
            echo(f"{name}: {fname}: not analysed (kept for provenance): {', '.join(cols)}")
        for note in p.notes:  # what was assumed for keys the pack does not state, tables it leaves out
            echo(f"{name}: note: {note.message}")
    return 0
