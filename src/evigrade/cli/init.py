"""``evigrade init DIR``: write a minimal, commented evidence pack to fill in.

Thin: ``evigrade.packs.template.write_template`` -> print what was written and what to do next.
"""
from __future__ import annotations

import pathlib

import typer

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    @app.command("init")
    def init_cmd(
        folder: pathlib.Path = typer.Argument(..., metavar="DIR", help="Folder of the new pack (created; must be "
                                                                            "empty unless --force)."),
        force: bool = typer.Option(False, "--force", help="Write into a folder that is not empty, replacing "
                                                         "pack.toml, results.csv and reviews.csv there."),
    ) -> None:
        """Start a pack on a new topic: write DIR/pack.toml, results.csv and reviews.csv to fill in."""
        from ..packs.template import write_template

        for path in write_template(folder, force=force):
            typer.echo(f"wrote {path}")
        typer.echo(f"next: replace every \"FILL IN\" in {folder / 'pack.toml'}, add rows to results.csv or "
                   f"reviews.csv, then run `evigrade validate {folder}` (docs/packs.md explains every key)")
