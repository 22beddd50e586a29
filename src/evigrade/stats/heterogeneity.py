"""Confidence intervals for tau², I² and H² by the Q-profile method (metafor ``confint.rma.uni``, type "QP").

The bounds solve ``Q_gen(tau2) = chi2_{k-p; 1-alpha/2}`` (lower) and ``= chi2_{k-p; alpha/2}``
(upper) on ``[0, max(100, 10 tau2)]``.  Where a root is not reached the bound sits at the edge of
that interval, exactly as metafor: if even ``Q_gen(0)`` is below the lower quantile both bounds are
0 (the CI is "null"); if ``Q_gen(0)`` is below the upper quantile the lower bound is 0.  I² and H²
bounds follow from the tau² bounds and metafor's typical within-study variance ``vt``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from .. import _dist as sps

from .._format import fmt_sig
from ..notes import NoteCode
from ..results import Note
from .fit import qe_generalised

__all__ = ["QProfileCI", "qprofile_ci"]


@dataclass(frozen=True, slots=True)
class QProfileCI:
    tau2_low: float
    tau2_high: float
    i2_low: float
    i2_high: float
    h2_low: float
    h2_high: float
    notes: tuple[Note, ...] = ()


def qprofile_ci(
    yi: np.ndarray,
    vi: np.ndarray,
    X: np.ndarray | None,
    *,
    tau2: float,
    vt: float,
    level: float = 0.95,
    tol: float = 1e-12,
    maxiter: int = 1000,
    tau2_max: float | None = None,
) -> QProfileCI:
    """Q-profile CI (``level`` a fraction) for tau², with the implied I² (fraction) and H² bounds."""
    y = np.asarray(yi, dtype=float)
    v = np.asarray(vi, dtype=float)
    k = len(y)
    Xm = np.ones((k, 1)) if X is None else np.asarray(X, dtype=float)
    p = Xm.shape[1]
    nan = float("nan")
    if k - p < 1:
        return QProfileCI(nan, nan, nan, nan, nan, nan,
                          (Note(NoteCode.UNDEFINED, "The CI for tau2 needs k > p (at least 2 studies)."),))
    alpha = 1 - level
    df = k - p
    crit_u = float(sps.chi2.isf(alpha / 2, df))
    crit_l = float(sps.chi2.ppf(alpha / 2, df))
    lo_b = min(0.0, tau2)
    hi_b = tau2_max if tau2_max is not None else max(100.0, tau2 * 10, lo_b * 10)

    def f(t: float, target: float) -> float:
        return qe_generalised(t, y, v, Xm) - target

    q_max = qe_generalised(hi_b, y, v, Xm)
    q_min = qe_generalised(lo_b, y, v, Xm)
    notes: list[Note] = []
    lb = ub = nan

    def root(target: float) -> float:
        from scipy import optimize  # lazily: scipy.optimize costs ~0.3 s to import

        try:
            r, rr = optimize.brentq(f, lo_b, hi_b, args=(target,), xtol=tol, maxiter=maxiter, full_output=True)
        except (ValueError, RuntimeError):
            return nan
        return float(r) if rr.converged else nan

    if q_min < crit_l:
        lb = ub = lo_b
        notes.append(Note(NoteCode.TAU2_CI_NULL, "The Q-profile CI for tau2 is {0}: even tau2 = 0 gives a Q below the "
                                          "lower critical value (the studies vary less than expected by chance)."))
    else:
        if q_max > crit_l:
            ub = hi_b
            notes.append(Note(NoteCode.TAU2_CI_BOUND, f"The upper bound of the tau2 CI lies beyond the search limit "
                                               f"{fmt_sig(hi_b)} and is reported as that limit."))
        else:
            ub = root(crit_l)
    if q_max > crit_u:
        lb = ub = hi_b
        notes.append(Note(NoteCode.TAU2_CI_BOUND, f"Both tau2 CI bounds lie beyond the search limit {fmt_sig(hi_b)}."))
    else:
        if q_min < crit_u:
            lb = lo_b
        else:
            lb = root(crit_u)
    if math.isnan(lb) or math.isnan(ub):
        notes.append(Note(NoteCode.TAU2_CI_FAILED, "The iterative search for a tau2 CI bound failed; the bound is missing."))

    def i2(t: float) -> float:
        return t / (vt + t)

    def h2(t: float) -> float:
        return t / vt + 1

    return QProfileCI(lb, ub, i2(lb), i2(ub), h2(lb), h2(ub), tuple(notes))
