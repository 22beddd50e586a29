"""Number formatting shared by plots and reports (the only place numbers become strings)."""
from __future__ import annotations

from typing import Any

from .._access import finite_float

__all__ = ["fmt", "fmt_ci", "fmt_pct", "fmt_p", "MINUS"]

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
    return f"{fmt(lo, digits, minus=minus)}{sep}{fmt(hi, digits, minus=minus)}"


def fmt_pct(x: Any, digits: int = 1, *, missing: str = "NA") -> str:
    """A fraction 0..1 as a percentage string."""
    f = finite_float(x)
    return missing if f is None else f"{100 * f:.{digits}f}%"


def fmt_p(p: Any, *, missing: str = "NA") -> str:
    f = finite_float(p)
    if f is None:
        return missing
    if f < 0.001:
        return "p < 0.001"
    return f"p = {f:.3f}"
