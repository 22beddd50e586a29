"""Conversions that turn what papers report into what ``escalc`` needs.

* ``se_from_ci``: standard error from a normal-theory confidence interval (log scale for ratios).
* ``se_from_p``: standard error from an estimate and its (two-sided) p value.
* ``mean_sd_from_median``: mean and SD from a median with the range and/or the IQR
  (mean: Luo et al. 2018; SD: Wan et al. 2014 for S1 and S2, Shi et al. 2020 for S3).
* ``change_sd``: SD of change scores from baseline and follow-up SDs and their correlation
  (Cochrane Handbook 6.5.2.8).

Every function validates its input and raises a one-line ``InputError`` naming the argument.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from .._dist import norm

from .._format import fmt_sig
from .._validate import check_level
from ..errors import InputError
from ..results import jsonable
from .transforms import FloatOrArray

__all__ = ["se_from_ci", "se_from_p", "mean_sd_from_median", "MeanSD", "change_sd", "z_for_level"]


def z_for_level(level: float = 95) -> float:
    """The standard normal quantile for a two-sided ``level`` (95 or 0.95 -> 1.959963984540054)."""
    return float(norm.ppf(0.5 + check_level(level) / 2))


def _arr(name: str, x: Any) -> NDArray[np.float64]:
    try:
        a: NDArray[np.float64] = np.asarray(x, dtype=float)
    except (TypeError, ValueError):
        raise InputError("must be a number", column=name, value=x, fix=f"give {name} as a number") from None
    if not np.all(np.isfinite(a)):
        bad = a[~np.isfinite(a)].flat[0]
        raise InputError("must be a finite number", column=name, value=float(bad), fix=f"give a finite {name}")
    return a


def _ret(x: NDArray[np.float64]) -> FloatOrArray:
    return x if x.ndim else float(x)


def se_from_ci(lo: ArrayLike, hi: ArrayLike, level: float = 95, log: bool = False) -> FloatOrArray:
    """Standard error from a ``level`` % normal confidence interval: (hi - lo) / (2 z).

    With ``log=True`` the bounds are ratios (OR, RR, HR, ROM) and the SE is that of the log ratio:
    (log hi - log lo) / (2 z).  Works on scalars and arrays.
    """
    z = z_for_level(level)
    lo_a, hi_a = _arr("ci_low", lo), _arr("ci_high", hi)
    if log:
        for name, a in (("ci_low", lo_a), ("ci_high", hi_a)):
            if np.any(a <= 0):
                raise InputError("ratio CI bounds must be > 0", column=name, value=float(a[a <= 0].flat[0]) if a.ndim else float(a),
                                 fix="give the CI of the ratio itself (not of its logarithm) or use log=False")
        lo_a, hi_a = np.log(lo_a), np.log(hi_a)
    bad = lo_a >= hi_a
    if np.any(bad):
        lo_in = np.asarray(lo, dtype=float)  # the bound as given (lo_a may be on the log scale)
        v = float(lo_in) if lo_in.ndim == 0 else float(lo_in[np.asarray(bad)].flat[0])
        raise InputError("the lower CI bound must be below the upper bound", column="ci_low", value=v,
                         fix="swap or correct the bounds")
    return _ret((hi_a - lo_a) / (2 * z))


def se_from_p(estimate: ArrayLike, p: ArrayLike, two_sided: bool = True, log: bool = False) -> FloatOrArray:
    """Standard error from an estimate and its p value: |estimate| / z_p.

    ``z_p`` is the normal quantile with upper-tail probability p/2 (two-sided, the default) or p.
    With ``log=True`` the estimate is a ratio and the SE is that of its logarithm.  The estimate
    must not be 0 (null) and p must lie strictly between 0 and 1; p values reported as
    "p < 0.001" give only a bound and should not be converted.
    """
    est = _arr("estimate", estimate)
    pp = _arr("p", p)
    if np.any((pp <= 0) | (pp >= 1)):
        v = pp[(pp <= 0) | (pp >= 1)].flat[0] if pp.ndim else float(pp)
        raise InputError("a p value must be strictly between 0 and 1", column="p", value=float(v),
                         fix="give the exact p value (e.g. 0.032); p = 1 or p < x cannot be converted")
    if log:
        if np.any(est <= 0):
            raise InputError("a ratio estimate must be > 0", column="estimate",
                             value=float(est[est <= 0].flat[0]) if est.ndim else float(est),
                             fix="give the ratio itself (not its logarithm) or use log=False")
        est = np.log(est)
    if np.any(est == 0):
        raise InputError("the estimate is exactly null, so its p value carries no SE information",
                         column="estimate", value=0, fix="use the CI or the SE reported for this estimate")
    z = norm.isf(pp / 2 if two_sided else pp)
    return _ret(np.abs(est) / z)


@dataclass(frozen=True, slots=True)
class MeanSD:
    """An estimated mean and SD with the scenario and methods used (for the report's footnote)."""

    mean: float
    sd: float
    n: float
    scenario: str  # "S1" {min, median, max}, "S2" {q1, median, q3}, "S3" {min, q1, median, q3, max}
    mean_method: str
    sd_method: str

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = jsonable({"mean": self.mean, "sd": self.sd, "n": self.n, "scenario": self.scenario,
                         "mean_method": self.mean_method, "sd_method": self.sd_method})
        return out

    @property
    def message(self) -> str:
        return (f"mean and SD estimated from the median ({self.scenario}): mean by {self.mean_method}, "
                f"SD by {self.sd_method}")


def _xi(n: float) -> float:
    """Wan et al. (2014) eq. (7): 2 * Phi^-1((n - 0.375) / (n + 0.25))."""
    return 2 * float(norm.ppf((n - 0.375) / (n + 0.25)))


def _eta(n: float) -> float:
    """Wan et al. (2014) eq. (16): 2 * Phi^-1((0.75 n - 0.125) / (n + 0.25))."""
    return 2 * float(norm.ppf((0.75 * n - 0.125) / (n + 0.25)))


def mean_sd_from_median(median: float, n: float, *, q1: float | None = None, q3: float | None = None,
                        min: float | None = None, max: float | None = None) -> MeanSD:  # noqa: A002
    """Mean and SD from a median plus the range (S1), the quartiles (S2) or both (S3).

    Mean (Luo, Wan, Liu & Tong 2018, Stat Methods Med Res 27:1785):
      S1: w (a+b)/2 + (1-w) m with w = 4 / (4 + n^0.75)
      S2: (0.7 + 0.39/n) (q1+q3)/2 + (0.3 - 0.39/n) m
      S3: w1 (a+b)/2 + w2 (q1+q3)/2 + (1 - w1 - w2) m, w1 = 2.2/(2.2 + n^0.75), w2 = 0.7 - 0.72/n^0.55
    SD (Wan, Wang, Liu & Tong 2014, BMC Med Res Methodol 14:135; Shi et al. 2020, Res Synth
    Methods 11:641 for S3):
      S1: (b-a) / xi(n); S2: (q3-q1) / eta(n);
      S3: w (b-a)/xi(n) + (1-w) (q3-q1)/eta(n), w = 1 / (1 + 0.07 n^0.6)
    with xi(n) = 2 Phi^-1((n-0.375)/(n+0.25)) and eta(n) = 2 Phi^-1((0.75n-0.125)/(n+0.25)).
    These assume roughly normal data; strongly skewed outcomes deserve a note in the review.
    """
    vals = {"median": median, "n": n, "q1": q1, "q3": q3, "min": min, "max": max}
    for name, v in vals.items():
        if v is None:
            continue
        try:
            f = float(v)
        except (TypeError, ValueError):
            raise InputError("must be a number", column=name, value=v, fix=f"give {name} as a number") from None
        if not math.isfinite(f):
            raise InputError("must be a finite number", column=name, value=v, fix=f"give a finite {name}")
    m, nn = float(median), float(n)
    if nn < 2 or not nn.is_integer():
        raise InputError("the sample size must be a whole number >= 2", column="n", value=n,
                         fix="give the number of participants summarised by the median")
    has_range = min is not None or max is not None
    has_iqr = q1 is not None or q3 is not None
    if has_range and (min is None or max is None):
        missing = "max" if max is None else "min"
        raise InputError(f"the range needs both min and max; {missing} is missing", column=missing,
                         fix="give both min and max, or neither")
    if has_iqr and (q1 is None or q3 is None):
        missing = "q3" if q3 is None else "q1"
        raise InputError(f"the IQR needs both q1 and q3; {missing} is missing", column=missing,
                         fix="give both quartiles, or neither")
    if not (has_range or has_iqr):
        raise InputError("a median alone cannot give a mean and SD", column="median", value=median,
                         fix="also give min and max (S1), q1 and q3 (S2), or all four (S3)")
    # Both ends of the range / both quartiles are present together or not at all (checked above).
    rng = (float(min), float(max)) if min is not None and max is not None else None
    iqr = (float(q1), float(q3)) if q1 is not None and q3 is not None else None
    order = [("min", min), ("q1", q1), ("median", median), ("q3", q3), ("max", max)]
    present = [(k, float(v)) for k, v in order if v is not None]
    for (k1, v1), (k2, v2) in zip(present, present[1:]):
        if v1 > v2:
            raise InputError(f"{k1} must not exceed {k2}={fmt_sig(v2)}", column=k1, value=v1 if not v1.is_integer() else int(v1),
                             fix="check the order min <= q1 <= median <= q3 <= max")
    if rng is not None and rng[1] <= rng[0]:
        raise InputError("max must be above min (a zero range gives no SD)", column="max", value=max,
                         fix="check the range")
    if iqr is not None and iqr[1] <= iqr[0]:
        raise InputError("q3 must be above q1 (a zero IQR gives no SD)", column="q3", value=q3, fix="check the quartiles")

    luo = "Luo et al. (2018)"
    if rng is not None and iqr is not None:
        (a, b), (lq, uq) = rng, iqr
        w1 = 2.2 / (2.2 + nn**0.75)
        w2 = 0.7 - 0.72 / nn**0.55
        mean = w1 * (a + b) / 2 + w2 * (lq + uq) / 2 + (1 - w1 - w2) * m
        w = 1 / (1 + 0.07 * nn**0.6)
        sd = w * (b - a) / _xi(nn) + (1 - w) * (uq - lq) / _eta(nn)
        return MeanSD(mean, sd, nn, "S3", luo, "Shi et al. (2020)")
    if rng is not None:
        a, b = rng
        w = 4 / (4 + nn**0.75)
        mean = w * (a + b) / 2 + (1 - w) * m
        sd = (b - a) / _xi(nn)
        return MeanSD(mean, sd, nn, "S1", luo, "Wan et al. (2014)")
    assert iqr is not None  # no range and no IQR was refused above
    lq, uq = iqr
    mean = (0.7 + 0.39 / nn) * (lq + uq) / 2 + (0.3 - 0.39 / nn) * m
    sd = (uq - lq) / _eta(nn)
    return MeanSD(mean, sd, nn, "S2", luo, "Wan et al. (2014)")


def change_sd(sd_baseline: ArrayLike, sd_followup: ArrayLike, r: ArrayLike) -> FloatOrArray:
    """SD of the change from baseline: sqrt(sd_b^2 + sd_f^2 - 2 r sd_b sd_f) (Cochrane Handbook 6.5.2.8).

    ``r`` is the baseline-follow-up correlation (often imputed from another study; report it).
    """
    b = _arr("sd_baseline", sd_baseline)
    f = _arr("sd_followup", sd_followup)
    rr = _arr("r", r)
    for name, a in (("sd_baseline", b), ("sd_followup", f)):
        if np.any(a <= 0):
            raise InputError("a standard deviation must be > 0", column=name,
                             value=float(a[a <= 0].flat[0]) if a.ndim else float(a), fix="check the SD")
    if np.any(np.abs(rr) > 1):
        raise InputError("a correlation must be between -1 and 1", column="r",
                         value=float(rr[np.abs(rr) > 1].flat[0]) if rr.ndim else float(rr),
                         fix="give the baseline-follow-up correlation (typically 0.5 to 0.8)")
    v = b**2 + f**2 - 2 * rr * b * f
    return _ret(np.sqrt(np.maximum(v, 0.0)))
