"""Validation helpers for public boundaries (never ``assert`` on user input)."""
from __future__ import annotations

import math
from typing import Any, Iterable

from .errors import SpecError


def check_choice(name: str, value: Any, allowed: Iterable[Any], *, casefold: bool = True) -> Any:
    """Return the canonical spelling of ``value`` from ``allowed`` or raise SpecError."""
    allowed = tuple(allowed)
    if isinstance(value, str) and casefold:
        for a in allowed:
            if isinstance(a, str) and a.casefold() == value.casefold():
                return a
    elif value in allowed:
        return value
    opts = ", ".join(repr(a) for a in allowed)
    raise SpecError(f"{name}={value!r} is not one of {opts}")


def check_positive(name: str, value: float, *, strict: bool = True) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise SpecError(f"{name} must be a number, got {value!r}") from None
    if not math.isfinite(v) or (v <= 0 if strict else v < 0):
        raise SpecError(f"{name} must be {'>' if strict else '>='} 0, got {value!r}")
    return v


def check_finite(name: str, value: float) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise SpecError(f"{name} must be a number, got {value!r}") from None
    if not math.isfinite(v):
        raise SpecError(f"{name} must be finite, got {value!r}")
    return v


def check_level(level: float) -> float:
    """Confidence level given as a percentage (95) or a fraction (0.95); returns the fraction."""
    v = check_finite("level", level)
    if v > 1:
        v = v / 100.0
    if not 0 < v < 1:
        shown = f"{level:g}" if isinstance(level, (int, float)) else repr(level)
        raise SpecError(f"level={shown} must be a percentage strictly between 0 and 100 (e.g. 95) or a fraction "
                        f"strictly between 0 and 1 (e.g. 0.95)")
    return v
