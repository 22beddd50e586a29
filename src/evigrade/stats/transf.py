"""Pooled results on the reporting scale (metafor ``predict(x, transf=...)``).

``back_transformed(res)`` applies the measure's back-transformation (exp for OR/RR/ROM, inverse
logit for PLO, tanh for ZCOR, the inverse Freeman-Tukey transform with the harmonic mean of the
sample sizes for PFT -- metafor's ``transf.exp.int`` is not used, exactly ``transf=exp`` etc.) to
the estimate, its CI and the prediction interval.  Measures analysed on their own scale (MD, SMD,
RD, PR, GEN) have none: the function returns None.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ..results import ResultMixin, json_keys

__all__ = ["BackTransformed", "back_transformed", "TRANSF"]

#: The back-transformation metafor users pass as ``transf=`` for each measure.
TRANSF: dict[str, str] = {"OR": "exp", "RR": "exp", "ROM": "exp", "PLO": "transf.ilogit", "ZCOR": "transf.ztor",
                          "PFT": "transf.ipft.hm"}
_SCALE = {"OR": "odds ratio", "RR": "risk ratio", "ROM": "ratio of means", "PLO": "proportion", "PFT": "proportion",
          "ZCOR": "correlation"}


@json_keys("measure", "transf", "scale", "estimate", "ci_low", "ci_high", "pi_low", "pi_high")
@dataclass(frozen=True, slots=True)
class BackTransformed(ResultMixin):
    """Estimate, CI and PI of a pooled result on the reporting scale (NaN where undefined)."""

    measure: str
    transf: str
    scale: str
    estimate: float
    ci_low: float
    ci_high: float
    pi_low: float
    pi_high: float


def back_transformed(res: Any, *, ni: Any = None) -> BackTransformed | None:
    """``res`` (a MetaResult) on the reporting scale; ``ni``: the studies' sample sizes (PFT only)."""
    from ..effects import back_transform

    measure = (getattr(res, "measure", None) or "").upper()
    if measure not in TRANSF:
        return None
    vals = [res.estimate, res.ci_low, res.ci_high, res.pi_low, res.pi_high]
    if measure == "PFT" and ni is None:
        return None
    out = [float("nan") if (v is None or math.isnan(float(v))) else float(back_transform(measure, float(v), ni=ni))
           for v in vals]
    return BackTransformed(measure=measure, transf=TRANSF[measure], scale=_SCALE[measure], estimate=out[0],
                           ci_low=out[1], ci_high=out[2], pi_low=out[3], pi_high=out[4])
