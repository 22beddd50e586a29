"""``evigrade explain KEY [PACK]``: the numbers, sources and GRADE reasons behind one sentence of the brief.

Thin: ``evigrade.pipeline.run`` -> ``report.brief.build_brief`` -> ``report.brief.explain_lines``.  An
unknown KEY is a controlled error (one line listing the valid keys, exit 3).
"""
from __future__ import annotations

from typing import Optional

import typer

__all__ = ["register", "run_explain"]


def run_explain(key: str, pack: Optional[str] = None, *, method: str = "REML", test: str = "knha") -> list[str]:
    """The lines ``evigrade explain`` prints for ``key`` of the brief of ``pack`` (None: the bundled pack)."""
    from ..errors import InputError
    from ..pipeline import run
    from ..report.brief import build_brief, explain_lines

    graded = run(pack, method=method, test=test)
    brief = build_brief(graded)
    lines = explain_lines(graded, brief, key.strip().strip("[]"))
    if lines is None:
        raise InputError("no sentence of the brief has this key", column="KEY", value=key,
                         fix="use one of " + ", ".join(brief.keys))
    return lines


def register(app: typer.Typer) -> None:
    @app.command("explain")
    def explain_cmd(
        key: str = typer.Argument(..., help="A key of the brief, e.g. pain-1 (shown in brackets by 'evigrade summarize')."),
        pack: Optional[str] = typer.Argument(None, help="Evidence pack folder (default: the bundled pack)."),
        method: str = typer.Option("REML", "--method", help="tau2 estimator (as for summarize)."),
        test: str = typer.Option("knha", "--test", help="knha (Hartung-Knapp-Sidik-Jonkman) or z."),
    ) -> None:
        """Show the numbers, sources and GRADE reasons behind one sentence of the brief."""
        from ..errors import PackError

        try:
            lines = run_explain(key, pack, method=method, test=test)
        except PackError as exc:
            import pathlib

            from .report import _with_validate_hint

            raise _with_validate_hint(exc, pathlib.Path(pack) if pack is not None else None) from None
        typer.echo("\n".join(lines))
