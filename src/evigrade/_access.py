"""Tiny accessors for the public functions that accept a result either as a dataclass or as its
``to_dict()`` form (a saved result, or a hand-made dict in a test or a notebook): the GRADE glue
(``grade.integrate``, ``grade.families``), the plot data builders, the report and the claims reader.
The pipeline itself hands typed objects from stage to stage and needs none of them."""
from __future__ import annotations

import math
from typing import Any, Mapping

__all__ = ["get", "first", "finite_float"]


def get(obj: Any, name: str, default: Any = None) -> Any:
    """``obj[name]`` for a mapping, else ``obj.name``; ``default`` when absent (a stored None stays None)."""
    if isinstance(obj, dict) or isinstance(obj, Mapping):  # (dict first: the ABC check costs ~1 µs a call)
        return obj.get(name, default)
    return getattr(obj, name, default)


def first(d: Any, *keys: str, default: Any = None) -> Any:
    """The first present, non-None key of a mapping (or attribute of an object); ``default`` if none."""
    for k in keys:
        v = d.get(k) if isinstance(d, dict) or isinstance(d, Mapping) else getattr(d, k, None)
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
