"""``MetaResult.summary()``: the pooled result as metafor's ``print.rma`` prints it.

Only text: no rich, no HTML libraries (the stats layer imports no presentation library).  The
layout and number formats follow metafor 3.8-1 (``formatC(x, digits=4, format="f")``, p-values
below 1e-4 as ``<.0001``, the results table printed with two spaces between columns and the
significance stars); tests/reference/golden/print_rma.json holds metafor's own output for the
cases the tests compare line by line.
"""
from __future__ import annotations

import html
import math
from typing import Any

__all__ = ["summary_text", "summary_html"]

_FIXED = {"FE": "Fixed-Effects Model", "EE": "Equal-Effects Model", "CE": "Common-Effect Model"}
_SIGNIF = "Signif. codes:  0 \u2018***\u2019 0.001 \u2018**\u2019 0.01 \u2018*\u2019 0.05 \u2018.\u2019 0.1 \u2018 \u2019 1"


def _f(x: Any, digits: int = 4) -> str:
    """formatC(x, digits, format="f"); an exact 0 prints as 0 (as metafor's tau^2 at the boundary)."""
    v = float(x)
    if math.isnan(v):
        return "NA"
    if v == 0.0:
        return "0"
    return f"{v:.{digits}f}"


def _p(p: Any) -> str:
    v = float(p)
    if math.isnan(v):
        return "NA"
    return "<.0001" if v < 1e-4 else f"{v:.4f}"


def _stars(p: float) -> str:
    if math.isnan(p):
        return " "
    for cut, sym in ((0.001, "***"), (0.01, "**"), (0.05, "*"), (0.1, ".")):
        if p <= cut:
            return sym
    return " "


def summary_text(res: Any) -> str:
    """The text metafor's ``print(rma(...))`` writes for this result (intercept-only model)."""
    method = str(res.method)
    fixed = method in _FIXED
    lines = [""]
    lines.append(f"{_FIXED[method]} (k = {res.k})" if fixed else
                 f"Random-Effects Model (k = {res.k}; tau^2 estimator: {method})")
    lines.append("")
    if not fixed:
        se = "" if res.tau2_se is None or math.isnan(float(res.tau2_se)) else f" (SE = {_f(res.tau2_se)})"
        lines.append(f"tau^2 (estimated amount of total heterogeneity): {_f(res.tau2)}{se}")
        lines.append(f"tau (square root of estimated tau^2 value):      {_f(math.sqrt(max(float(res.tau2), 0.0)))}")
    lines.append(f"I^2 (total heterogeneity / total variability):   {float(res.i2) * 100:.2f}%")
    lines.append(f"H^2 (total variability / sampling variability):  {float(res.h2):.2f}")
    lines.append("")
    lines.append("Test for Heterogeneity:")
    qp = _p(res.q_pvalue)
    lines.append(f"Q(df = {res.q_df}) = {float(res.q):.4f}, p-val {qp if qp.startswith('<') else '= ' + qp}"
                 .replace("p-val <", "p-val < "))
    lines.append("")
    lines.append("Model Results:")
    lines.append("")
    knha = str(res.test) in ("knha", "t", "adhoc")
    cols: list[tuple[str, str]] = [("estimate", _f(res.estimate)), ("se", _f(res.se)),
                                   ("tval" if knha else "zval", _f(res.zval))]
    if knha:
        cols.append(("df", str(res.df)))
    cols += [("pval", _p(res.pval)), ("ci.lb", _f(res.ci_low)), ("ci.ub", _f(res.ci_high))]
    stars = _stars(float(res.pval)) + " "
    widths = [max(len(h), len(v)) for h, v in cols]
    head = "  ".join(h.rjust(w) for (h, _), w in zip(cols, widths)) + "  " + " " * len(stars)
    row = "  ".join(v.rjust(w) for (_, v), w in zip(cols, widths)) + "  " + stars
    lines += [head, row, "", "---", _SIGNIF, ""]
    return "\n".join(lines) + "\n"


def summary_html(res: Any) -> str:
    """A small HTML table for notebooks (Jupyter's ``_repr_html_``): the summary text, escaped."""
    return ("<div class=\"evigrade-meta-result\"><pre>" + html.escape(summary_text(res).strip("\n"))
            + "</pre></div>")
