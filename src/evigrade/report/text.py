"""Terminal view (rich): a tidy Summary-of-Findings table plus footnotes, safety and mechanisms."""
from __future__ import annotations

import io
from typing import TYPE_CHECKING

from .model import ReportModel

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

__all__ = ["render_text", "sof_table", "print_report"]

_CERT_STYLE = {"high": "bold green", "moderate": "green", "low": "yellow", "very_low": "red"}


def sof_table(m: ReportModel, width: int = 120) -> Table:
    """The SoF table; the plain-language statement gets its own column only on wide (>= 150) terminals."""
    from rich.table import Table
    from rich.text import Text

    wide = width >= 150
    narrow = width < 100  # the absolute effect goes under the relative one
    n_cols = (6 if wide else 5) - narrow
    eff_w, kn_w, cert_w = (26 if width >= 120 else 24), (11 if width >= 120 else 9), (22 if width >= 120 else 14)
    abs_w = 0 if narrow else 26
    rest = max(20, width - (3 * n_cols + 1) - eff_w - kn_w - cert_w - abs_w)
    stmt_w = rest // 2 if wide else 0
    t = Table(title="Summary of findings", title_justify="left", header_style="bold", show_lines=True)
    t.add_column("Finding", overflow="fold", width=rest - stmt_w)
    t.add_column("k (n)", justify="right", overflow="fold", width=kn_w)
    t.add_column("Effect (95% CI)", overflow="fold", width=eff_w)
    if not narrow:
        t.add_column("Absolute effect", overflow="fold", width=abs_w)
    t.add_column("Certainty", overflow="fold", width=cert_w)
    if wide:
        t.add_column("What happens", overflow="fold", width=stmt_w)
    for f in m.sof:
        kn = ("k not reported" if f.k is None else str(f.k)) + ("" if f.participants is None else f" ({f.participants})")
        if f.k_effects:  # several results per study (multilevel pool)
            kn += f" [{f.k_effects} results]"
        if f.basis == "review":
            kn += " R"
        marks = ",".join(fn.mark for fn in f.footnotes)
        cert = f"{f.certainty_symbols} {f.certainty_word}".strip() + (f" [{marks}]" if marks else "")
        what = Text(f.outcome, style="bold")
        what.append(f"\n{f.timepoint}\nvs {_comparator(f.comparison)}" + (f"\n{f.population}" if m.show_population else ""), style="")
        if not wide and f.statement:
            what.append("\n" + f.statement, style="italic")
        eff = Text(f.effect)
        if f.effect_unit:
            eff.append("\n" + f.effect_unit, style="dim")
        absolute = Text(f.absolute_effect or "not estimable")
        if narrow:
            eff.append("\nAbsolute: " + (f.absolute_effect or "not estimable"))
        cells = [what, Text(kn), eff, *([] if narrow else [absolute]), Text(cert, style=_CERT_STYLE.get(f.certainty or "", ""))]
        if wide:
            cells.append(Text(f.statement or ""))
        t.add_row(*cells)
    return t


def _comparator(comparison: str) -> str:
    import re

    parts = re.split(r"\s+(?:vs\.?|versus)\s+", comparison, maxsplit=1)
    return parts[1] if len(parts) == 2 else comparison


def _print(m: ReportModel, console: Console) -> None:
    from rich.markup import escape

    console.print(f"[bold]{escape(m.title)}[/]")
    for label, text in m.question:
        console.print(f"  [bold]{escape(label)}:[/] {escape(text)}")
    console.print()
    if m.key_points:
        console.print("[bold]Key messages[/]")
        for k in m.key_points:
            cert = ""
            if k["kind"] in ("effect", "practice"):
                cert = f" ({k['symbols'] + ' ' if k['symbols'] else ''}{k['word']}{' certainty' if k['certainty'] else ''})"
            elif k["label"]:
                cert = f" ({k['label']})"
            style = _CERT_STYLE.get(k["certainty"] or "", "")
            console.print(f"  [bold]{escape(k['topic'])}[/]" + (f"[{style}]{escape(cert)}[/]" if style else escape(cert))
                          + ": " + escape(k["headline"]))
        console.print()
    if m.conclusion:
        console.print("[bold]Overall conclusion[/]")
        console.print("  " + escape(m.conclusion))
        console.print()
    console.print(sof_table(m, console.width))
    if any(f.basis == "review" for f in m.sof):
        console.print("R = rests on a published review's pooled result (too few trials with usable data).")
    for fn in m.sof_footnotes:
        console.print(escape(f"  [{fn.mark}] {fn.text}"))
    if m.safety and m.safety.get("rates"):
        console.print()
        console.print("[bold]Safety[/]")
        if m.safety.get("statement"):
            console.print("  " + escape(m.safety["statement"]))
        for r in m.safety["rates"]:
            ci = f" ({r['ci']})" if r["ci"] and r.get("pooled", True) else ""
            console.print(escape(f"  {r['event']} (per {r['basis']}): {r['rate']}{ci}"))
            for x in r.get("sources", ()):
                console.print(escape(f"    {x['source']}: {x['counts']}, {x['rate']}" + (f"; {x['bound']}" if x["bound"] else "")))
        if m.safety.get("common_mild"):
            console.print(escape("  Common mild events: " + ", ".join(
                f"{e['event']} ({e['range']})" if e["range"] else e["event"]
                for e in m.safety.get("event_types", ()) if e["common"])))
    if m.mechanisms:
        console.print()
        console.print("[bold]Mechanisms[/]")
        for mm in m.mechanisms:
            console.print(f"  {escape(mm['name'])}: {escape(mm['label'] or mm['support'])}")


def render_text(m: ReportModel, *, color: bool = False, width: int = 120) -> str:
    from rich.console import Console

    buf = io.StringIO()
    console = Console(file=buf, width=width, no_color=not color, color_system="standard" if color else None,
                      force_terminal=color, highlight=False, emoji=False)
    _print(m, console)
    return buf.getvalue()


def print_report(m: ReportModel, console: Console) -> None:
    """Print the terminal view on an existing rich Console (the CLI's)."""
    _print(m, console)
