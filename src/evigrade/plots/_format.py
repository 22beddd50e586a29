"""Number formatting for plots and reports: the display style of :mod:`evigrade._format`, re-exported
under the names ``report`` and ``plots`` import."""
from __future__ import annotations

from .._format import MINUS, fmt, fmt_ci, fmt_p, fmt_pct

__all__ = ["fmt", "fmt_ci", "fmt_pct", "fmt_p", "MINUS"]
