"""Reports: one model of a Summary, rendered as a self-contained web page (inline SVG plots),
Markdown, JSON and a rich terminal view.

``render(summary, fmt="html"|"md"|"json"|"text") -> str`` and ``write_report(summary, outdir)``
(atomic: index.html, report.md, results.json).  Renderers refuse what they cannot describe correctly.
"""
from __future__ import annotations

from .model import CERTAINTY, FUNNEL_MIN_K, ReportModel, build_model
from ._render import FORMATS, REPORT_FILES, check_report_folder, generated_at, render, write_report

__all__ = ["render", "write_report", "check_report_folder", "build_model", "ReportModel", "generated_at", "FORMATS", "REPORT_FILES",
           "CERTAINTY", "FUNNEL_MIN_K"]
