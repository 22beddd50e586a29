"""``evigrade import-revman FILE.rm5|FILE.csv -o PACKDIR``: a RevMan 5 review or RevMan's analysis CSV
export as an evidence pack.

Parse -> one library call (``evigrade.interop.import_revman``) -> a short report.  The pack is
written into a temporary folder and renamed into place, so a failure leaves nothing behind.
``--check`` also re-computes every analysis with evigrade under RevMan's settings and prints how
far it is from RevMan's own pooled results.
"""
from __future__ import annotations

from typing import Any

import typer

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    @app.command("import-revman")
    def import_revman_cmd(
        source: str = typer.Argument(..., metavar="FILE", help="RevMan 5 review (.rm5) or RevMan's analysis CSV export."),
        output: str = typer.Option(..., "--output", "-o", metavar="PACKDIR", help="Folder to write the pack into (new or empty)."),
        overwrite: bool = typer.Option(False, "--overwrite", help="Replace PACKDIR if it exists."),
        pack_id: str = typer.Option(None, "--id", help="Pack id (default: from the file name)."),
        check: bool = typer.Option(False, "--check", help="Re-compute every analysis with RevMan's settings and compare."),
        json_out: bool = typer.Option(False, "--json", help="Print the import summary as JSON."),
    ) -> None:
        """Import a RevMan 5 review (.rm5) or RevMan analysis CSV export as an evidence pack."""
        import json

        import contextlib
        import pathlib

        from .._io import output_lock
        from ..interop.revman import import_revman

        # the output lock (a second run fails at once; a killed run's temporary folder is removed) when
        # the parent folder exists (import-revman makes missing parents)
        held = output_lock(output) if pathlib.Path(output).resolve().parent.is_dir() else contextlib.nullcontext()
        with held:
            review, dest = import_revman(source, output, overwrite=overwrite, pack_id=pack_id)
        info: dict[str, Any] = {  # the --json output
            "source": review.source, "pack": str(dest), "title": review.title, "studies": len(review.studies),
            "analyses": len(review.analyses),
            "subgroups": sum(len(a.subgroups) for a in review.analyses),
            "rob_judgements": len(review.rob), "not_imported": list(review.notes),
        }
        if check:
            from ..interop.revman_meta import check_review

            info["check"] = check_review(review).to_dict()
        if json_out:
            typer.echo(json.dumps(info, indent=2, allow_nan=False))
            return
        typer.echo(f"{dest}: pack written from {review.source} ({info['studies']} studies, {info['analyses']} analyses, "
                   f"{info['subgroups']} subgroups, {info['rob_judgements']} risk-of-bias judgements)")
        for n in review.notes:
            typer.echo(f"  not imported: {n}")
        if check:
            c = info["check"]
            typer.echo(f"  RevMan's pooled results re-computed with RevMan's settings: {c['matched']} of {c['compared']} "
                       f"match at RevMan's printed precision (largest relative difference {c['max_rel_diff']:.1e})")
            for m in c["mismatches"]:
                typer.echo(f"  differs: {m}")
        typer.echo(f"  next: evigrade summarize {dest}")

