"""Both scales of a ratio measure under explicit key names (``meta --json``, ``grade --json``).

``meta --json`` is ``MetaResult.to_dict()`` (its ``estimate``, ``ci_low``, ... are on the analysis
scale: log RR) and ``grade --json`` rates on the ratio scale (its ``analysis.estimate`` is the RR).
Neither changes its existing keys; for ratio measures (OR, RR, ROM, HR, ...) both now also carry

    "log_scale":   {"scale": "log risk ratio", "estimate", "ci_low", "ci_high", "pi_low", "pi_high"}
    "ratio_scale": {"scale": "risk ratio",     "estimate", "ci_low", "ci_high", "pi_low", "pi_high"}

so a script reads the same key in either command's output.  Measures analysed on their own scale
(MD, SMD, RD, ...) get neither block.
"""
from __future__ import annotations

import math
from typing import Any, Literal, Mapping

from .measures import MEASURE_REGISTRY, RATIO_MEASURES

__all__ = ["SCALE_KEYS", "ratio_scales"]

SCALE_KEYS = ("estimate", "ci_low", "ci_high", "pi_low", "pi_high")


def _num(v: Any) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def ratio_scales(measure: str | None, values: Mapping[str, Any],
                 given: Literal["log", "ratio"]) -> dict[str, dict[str, Any]]:
    """``{"log_scale": ..., "ratio_scale": ...}`` from ``values`` (on the ``given`` scale); ``{}`` for a
    measure that is not a ratio.  Missing or non-finite values stay None on both scales."""
    m = (measure or "").upper()
    if m not in RATIO_MEASURES:
        return {}
    label = MEASURE_REGISTRY[m].label.lower()
    log: dict[str, Any] = {"scale": f"log {label}"}
    ratio: dict[str, Any] = {"scale": label}
    for k in SCALE_KEYS:
        v = _num(values.get(k))
        if given == "log":
            log[k], ratio[k] = v, (None if v is None else math.exp(v))
        else:
            ratio[k], log[k] = v, (None if v is None or v <= 0 else math.log(v))
    return {"log_scale": log, "ratio_scale": ratio}
