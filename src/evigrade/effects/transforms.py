"""Back-transformations from the analysis scale to the reporting scale (as metafor's ``transf.*``)."""
from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .measures import RATIO_MEASURES, measure_info

__all__ = [
    "transform_pft",
    "transform_pft_back",
    "transform_plo_back",
    "transform_zcor_back",
    "back_transform",
    "RATIO_MEASURES",
]

#: A scalar in gives a float out; an array in gives an array of the same shape out.
FloatOrArray = float | NDArray[np.float64]


def transform_pft(p: ArrayLike, ni: ArrayLike) -> NDArray[np.float64]:
    """Freeman-Tukey double arcsine of a proportion ``p`` with sample size ``ni`` (metafor ``transf.pft``)."""
    p_arr = np.asarray(p, dtype=float)
    n_arr = np.asarray(ni, dtype=float)
    xi = p_arr * n_arr
    out: NDArray[np.float64] = 0.5 * (np.arcsin(np.sqrt(xi / (n_arr + 1))) + np.arcsin(np.sqrt((xi + 1) / (n_arr + 1))))
    return out


def transform_pft_back(yi: ArrayLike, ni: ArrayLike) -> FloatOrArray:
    """Inverse Freeman-Tukey double arcsine (Miller 1978), as metafor's ``transf.ipft.hm``.

    ``ni`` is either one sample size or the studies' sample sizes, in which case their harmonic
    mean is used (that is what ``transf.ipft.hm(x, targs=list(ni=dat$ni))`` does).  Values below the
    transform of p=0 map to 0 and above the transform of p=1 map to 1.
    """
    x = np.asarray(yi, dtype=float)
    n_arr = np.atleast_1d(np.asarray(ni, dtype=float))
    n_arr = n_arr[~np.isnan(n_arr)]
    nhm = 1.0 / np.mean(1.0 / n_arr)
    with np.errstate(invalid="ignore", divide="ignore"):
        s = np.sin(2 * x)
        inner = 1 - (s + (s - 1 / s) / nhm) ** 2
        zi = 0.5 * (1 - np.sign(np.cos(2 * x)) * np.sqrt(inner))
    zi = np.where(np.isnan(zi), np.nan, zi)
    zi = np.where(x > transform_pft(1.0, nhm), 1.0, zi)
    zi = np.where(x < transform_pft(0.0, nhm), 0.0, zi)
    return zi if zi.ndim else float(zi)


def transform_plo_back(yi: ArrayLike) -> FloatOrArray:
    """Inverse logit (metafor ``transf.ilogit``)."""
    x = np.asarray(yi, dtype=float)
    out = np.exp(-np.logaddexp(0.0, -x))
    return out if out.ndim else float(out)


def transform_zcor_back(yi: ArrayLike) -> FloatOrArray:
    """Fisher's z back to a correlation (metafor ``transf.ztor``)."""
    out = np.tanh(np.asarray(yi, dtype=float))
    return out if out.ndim else float(out)


def back_transform(measure: str, values: ArrayLike, ni: ArrayLike | None = None) -> FloatOrArray:
    """Values on ``measure``'s analysis scale -> the reporting scale.

    As the measures registry says: ratio measures (OR, RR, ROM, HR, ...) -> exp; PLO -> inverse
    logit; PFT -> inverse double arcsine with the harmonic mean of ``ni``; ZCOR -> tanh; everything
    else is returned unchanged (MD, SMD, RD, PR, GEN, and measures the registry does not know).
    """
    info = measure_info(measure)
    how = info.back_transform if info is not None else "identity"
    if how == "exp":
        out = np.exp(np.asarray(values, dtype=float))
        return out if out.ndim else float(out)
    if how == "ilogit":
        return transform_plo_back(values)
    if how == "tanh":
        return transform_zcor_back(values)
    if how == "ipft":
        if ni is None:
            from ..errors import SpecError

            raise SpecError("back_transform('PFT', ...) needs the studies' sample sizes ni")
        return transform_pft_back(values, ni)
    out = np.asarray(values, dtype=float)
    return out if out.ndim else float(out)
