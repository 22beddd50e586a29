"""The one place numbers, CIs and p-values become strings.

Renderers (CLI, plots, reports) and the rationale texts of the GRADE rules format through here, so
the same number reads the same everywhere.  The styles in use:

* ``fmt`` / ``fmt_ci`` / ``fmt_pct`` / ``fmt_p``: display style of plots and reports (typographic
  minus, "-0.00" shown as "0.00", ``"NA"`` for a missing value, "p < 0.001").
* ``fmt_num`` / ``fmt_pval``: metafor's ``print()`` style of the ``meta`` command (ASCII minus,
  four decimals, e-notation from 1e7 on, p-values "< .0001").
* ``fmt_fixed`` / ``fmt_sig``: plain fixed-decimal and significant-digit numbers in sentences
  (rationales, notes), where a missing value has its own words.
"""
from __future__ import annotations

import math
from typing import Any

from ._access import finite_float

__all__ = ["MINUS", "fmt", "fmt_ci", "fmt_pct", "fmt_rate", "fmt_p", "fmt_num", "fmt_pval", "fmt_fixed", "fmt_sig"]

MINUS = "\u2212"


def fmt(x: Any, digits: int = 2, *, minus: str = MINUS, missing: str = "NA") -> str:
    """Fixed-decimal formatting; a typographic minus for display; ``missing`` for None/NaN."""
    f = finite_float(x)
    if f is None:
        return missing
    s = f"{f:.{digits}f}"
    if s.startswith("-"):
        if float(s) == 0.0:  # "-0.00" -> "0.00"
            s = s[1:]
        else:
            s = minus + s[1:]
    return s


def fmt_ci(lo: Any, hi: Any, digits: int = 2, *, minus: str = MINUS, sep: str = " to ") -> str:
    """A confidence interval ``lo to hi``, each end as :func:`fmt`."""
    return f"{fmt(lo, digits, minus=minus)}{sep}{fmt(hi, digits, minus=minus)}"


def fmt_pct(x: Any, digits: int = 1, *, missing: str = "NA") -> str:
    """A fraction 0..1 as a percentage string (0.734 -> '73.4%')."""
    f = finite_float(x)
    return missing if f is None else f"{100 * f:.{digits}f}%"


def fmt_rate(x: float | None, *others: float | None) -> str:
    """An event rate as a percentage: 2 decimals, 3 when ``x`` and ``others`` (the figures shown beside
    it, e.g. its CI) are all below 1% (rare events)."""
    vals = [abs(v) for v in (x, *others) if v is not None]
    return fmt_pct(x, 3 if vals and max(vals) < 0.01 else 2)


def fmt_p(p: Any, *, missing: str = "NA") -> str:
    """A p-value for display: 'p < 0.001' or 'p = 0.023'."""
    f = finite_float(p)
    if f is None:
        return missing
    if f < 0.001:
        return "p < 0.001"
    return f"p = {f:.3f}"


def fmt_num(x: Any, digits: int = 4) -> str:
    """metafor's print style: ``digits`` decimals, e-notation from 1e7 on, 'NA' for None/NaN, text as is."""
    if x is None:
        return "NA"
    try:
        f = float(x)
    except (TypeError, ValueError):
        return str(x)
    if math.isnan(f):
        return "NA"
    if math.isfinite(f) and abs(f) >= 1e7:  # keep columns readable: 2.2361e+159, not 160 digits
        return f"{f:.{digits}e}"
    return f"{f:.{digits}f}"


def fmt_pval(p: float | None) -> str:
    """metafor's p-value style: '< .0001' or four decimals; 'NA' for None/NaN."""
    if p is None or math.isnan(p):
        return "NA"
    return "< .0001" if p < 1e-4 else f"{p:.4f}"


def fmt_fixed(x: float | None, digits: int = 2, *, missing: str = "not available") -> str:
    """Plain fixed decimals with an ASCII minus (as Python prints them); ``missing`` for None."""
    if x is None:
        return missing
    return f"{x:.{digits}f}"


def fmt_sig(x: float, digits: int = 6) -> str:
    """``digits`` significant digits, as Python's ``g`` format (0.000123457, 1.5e+08)."""
    return f"{x:.{digits}g}"
