"""Tiny accessors shared by the renderers and adapters that read results either as dataclasses or
as their ``to_dict()`` form."""
from __future__ import annotations

import math
from typing import Any, Mapping

__all__ = ["first", "finite_float"]


def first(d: Any, *keys: str, default: Any = None) -> Any:
    """The first present, non-None key of a mapping (or attribute of an object); ``default`` if none."""
    for k in keys:
        v = d.get(k) if isinstance(d, Mapping) else getattr(d, k, None)
        if v is not None:
            return v
    return default


def finite_float(x: Any) -> float | None:
    """``x`` as a finite float, or None (for None, booleans, text that is not a number, NaN and inf)."""
    if x is None or isinstance(x, bool):
        return None
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None
