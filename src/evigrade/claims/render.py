"""Renderers for a ClaimsReport: terminal text (rich), JSON and self-contained HTML.

Pure functions of the report.  The HTML has no scripts, no external links and no network
resources; every piece of input text is escaped.
"""
from __future__ import annotations

import html
import io
import json
import re
from typing import Any

from .._format import fmt_sig
from .check import ClaimsReport, ClaimVerdict

__all__ = ["render", "render_text", "render_json", "render_html", "FORMATS"]

FORMATS = ("text", "json", "html")

_STYLE = {
    "consistent": "green", "overstated": "bold red", "understated": "yellow", "unsupported": "magenta",
    "contradicted": "bold red", "not_a_claim": "dim",
}
_COLOUR = {
    "consistent": "#1b7f3b", "overstated": "#b3261e", "understated": "#8a6d00", "unsupported": "#7b1fa2",
    "contradicted": "#b3261e", "not_a_claim": "#6b6b6b",
}


def _heading(c: ClaimVerdict) -> tuple[str, str]:
    """A checked claim's verdict as a heading word ('NOT SUPPORTED') and its aspects in brackets (or '')."""
    label = c.verdict.replace("_", " ").upper()
    asp = f" ({', '.join(a.replace('_', ' ') for a in c.aspects)})" if c.aspects else ""
    return label, asp


def _evidence_line(e: dict[str, Any]) -> str:
    if e.get("kind") == "finding":
        tp = ", ".join(x.replace("_", " ") for x in e.get("timepoints") or []) or "time point not stated"
        cert = (e.get("certainty") or "not rated").replace("_", " ")
        est = ""
        if e.get("estimate") is not None and e.get("measure"):
            est = f"; {e['measure']} {fmt_sig(e['estimate'])}"
            if e.get("ci_low") is not None and e.get("ci_high") is not None:
                est += f" (95% CI {fmt_sig(e['ci_low'])} to {fmt_sig(e['ci_high'])})"
        mag = f", {e['magnitude']}" if e.get("magnitude") else ""
        return f"{e.get('outcome_name')} ({tp}; {e.get('comparison')}): {cert} certainty{mag}{est}. Source: {e.get('source')}"
    if e.get("kind") == "mechanism":
        return f"mechanism {e.get('name')}: {e.get('support_label')}. Source: {e.get('source')}"
    if e.get("kind") == "safety":
        return f"safety: {e.get('rating')}. Source: {e.get('source')}"
    if e.get("kind") == "mechanisms":
        return (f"mechanisms: {e.get('n')} in the evidence; {e.get('established')} established, "
                f"{e.get('partially_supported')} partially supported, {e.get('proposed')} proposed")
    return json.dumps(e)


def render_json(report: ClaimsReport) -> str:
    return json.dumps(report.to_dict(), indent=2, sort_keys=False)


def _plain_lines(report: ClaimsReport) -> list[str]:
    """The text report as logical lines (before wrapping), without colour."""
    src = report.source or "text"
    counts = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in report.counts.items() if v)
    lines = [f"Claims in {src} checked against: {report.evidence_origin}",
             f"{len(report.claims)} sentences: {counts or 'none'}"]
    if report.reliability is not None:
        lines.append(report.reliability.sentence())
    lines += [f"note: {n.message}" for n in report.notes]
    for i, c in enumerate(report.claims, start=1):
        lines.append("")
        label, asp = _heading(c)
        lines.append(f"{i}. line {c.line}: {label}{asp}")
        lines.append(f"   \"{c.sentence}\"")
        if c.verdict == "not_a_claim":
            continue
        lines += [f"   why: {w}" for w in c.explanation]
        lines += [f"   evidence: {_evidence_line(e)}" for e in c.evidence]
        if c.rewording:
            lines.append(f"   honest wording: {c.rewording}")
    return lines


def _wrap(line: str, width: int) -> list[str]:
    """Word-wrap one line the way rich does for plain text (continuation lines start at column 0)."""
    if len(line) <= width:
        return [line.rstrip()]
    out: list[str] = []
    cur = ""
    for word in re.split(r"(?<=\s)(?=\S)", line):
        if len(cur) + len(word.rstrip()) <= width:
            cur += word
            continue
        if cur.strip():
            out.append(cur.rstrip())
        while len(word.rstrip()) > width:  # a word longer than the line is cut
            out.append(word[:width])
            word = word[width:]
        cur = word
    if cur.strip():
        out.append(cur.rstrip())
    return out


def render_text(report: ClaimsReport, *, color: bool = False, width: int = 100) -> str:
    """The terminal report.  Without colour it is built as plain text (rich is far too slow for a
    report of tens of thousands of sentences: 8 s per 500 kB of input); with colour, rich."""
    if not color:
        return "".join(w + "\n" for line in _plain_lines(report) for w in _wrap(line, width))
    from rich.console import Console
    from rich.markup import escape

    buf = io.StringIO()
    con = Console(file=buf, force_terminal=color, no_color=not color, width=width, highlight=False)
    src = report.source or "text"
    con.print(f"[bold]Claims in {escape(src)}[/bold] checked against: {escape(report.evidence_origin)}")
    counts = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in report.counts.items() if v)
    con.print(f"{len(report.claims)} sentences: {counts or 'none'}")
    if report.reliability is not None:
        con.print(f"[italic]{escape(report.reliability.sentence())}[/italic]")
    for n in report.notes:
        con.print(f"[dim]note: {escape(n.message)}[/dim]")
    for i, c in enumerate(report.claims, start=1):
        con.print()
        label, asp = _heading(c)
        con.print(f"[{_STYLE[c.verdict]}]{i}. line {c.line}: {label}{escape(asp)}[/{_STYLE[c.verdict]}]")
        con.print(f"   \"{escape(c.sentence)}\"")
        if c.verdict == "not_a_claim":
            continue
        for w in c.explanation:
            con.print(f"   why: {escape(w)}")
        for e in c.evidence:
            con.print(f"   evidence: {escape(_evidence_line(e))}")
        if c.rewording:
            con.print(f"   [bold]honest wording:[/bold] {escape(c.rewording)}")
    return buf.getvalue()


def _html_claim(i: int, c: ClaimVerdict) -> str:
    e = html.escape
    asp = f" ({', '.join(a.replace('_', ' ') for a in c.aspects)})" if c.aspects else ""
    parts = [f'<section class="claim {e(c.verdict)}">',
             f'<h2><span class="badge" style="background:{_COLOUR[c.verdict]}">{e(c.verdict.replace("_", " "))}'
             f'{e(asp)}</span> <span class="where">sentence {i}, line {c.line}</span></h2>',
             f'<blockquote>{e(c.sentence)}</blockquote>']
    if c.verdict != "not_a_claim":
        if c.explanation:
            parts.append("<ul class=\"why\">" + "".join(f"<li>{e(w)}</li>" for w in c.explanation) + "</ul>")
        if c.evidence:
            parts.append("<ul class=\"evidence\">" + "".join(f"<li>{e(_evidence_line(x))}</li>" for x in c.evidence)
                         + "</ul>")
        if c.rewording:
            parts.append(f'<p class="rewording"><strong>Honest wording:</strong> {e(c.rewording)}</p>')
    parts.append("</section>")
    return "\n".join(parts)


_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem;color:#1d1d1d;line-height:1.45}
h1{font-size:1.5rem}h2{font-size:1rem;margin:.2rem 0}.badge{color:#fff;border-radius:.3rem;padding:.1rem .45rem;text-transform:uppercase;font-size:.8rem}
.where{color:#6b6b6b;font-weight:normal;font-size:.85rem}blockquote{margin:.4rem 0;padding:.3rem .8rem;border-left:4px solid #ccc;background:#f7f7f7}
section.claim{border-bottom:1px solid #e3e3e3;padding:.6rem 0}.rewording{background:#eef6ee;padding:.3rem .6rem}
.reliability{background:#fff7e0;border-left:4px solid #d9a400;padding:.4rem .7rem}
ul{margin:.3rem 0}.counts td,.counts th{padding:.1rem .6rem;text-align:left}.not_a_claim blockquote{color:#6b6b6b}
"""


def render_html(report: ClaimsReport) -> str:
    e = html.escape
    rows = "".join(f"<tr><th>{e(k.replace('_', ' '))}</th><td>{v}</td></tr>" for k, v in report.counts.items())
    notes = "".join(f"<p class=\"note\">Note: {e(n.message)}</p>" for n in report.notes)
    if report.reliability is not None:
        notes = f"<p class=\"reliability\">{e(report.reliability.sentence())}</p>\n" + notes
    body = "\n".join(_html_claim(i, c) for i, c in enumerate(report.claims, start=1))
    title = f"Claims check: {report.source or 'text'}"
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        f"<title>{e(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        f"<h1>{e(title)}</h1>\n<p>Checked against: {e(report.evidence_origin)} "
        f"(intervention: {e(report.intervention)}).</p>\n{notes}\n"
        f"<table class=\"counts\">{rows}</table>\n{body}\n</body>\n</html>\n"
    )


def render(report: ClaimsReport, fmt: str = "text", *, color: bool = False) -> str:
    from .._validate import check_choice

    fmt = check_choice("format", fmt, FORMATS)
    if fmt == "json":
        return render_json(report)
    if fmt == "html":
        return render_html(report)
    return render_text(report, color=color)
