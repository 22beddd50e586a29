"""Step-function selection models (Vevea & Hedges 1995), as metafor 3.8's ``selmodel(type="stepfun")``.

The random-effects model ``y_i ~ N(mu, v_i + tau²)`` is combined with a selection function that
multiplies the chance of a study being observed by ``delta_j`` when its one-sided p-value falls in
the j-th interval ``(steps[j-1], steps[j]]`` (``delta_1 = 1``).  All parameters (mu, tau², delta_2..)
are estimated by maximum likelihood, as metafor (which refits a REML model by ML first); the
standard errors come from the Hessian of the log-likelihood on the natural scale (metafor:
``numDeriv::hessian``); the likelihood-ratio test compares with the ML random-effects model
(``delta = 1``).

Maximisation: quasi-Newton on (mu, log tau², log delta) followed by Newton polishing with
finite-difference derivatives, so that the maximiser is found to about 1e-9; metafor's optim()
stops at its ``reltol`` (1e-8 by default; the goldens use 1e-14).  The log-likelihood is evaluated
for all studies and intervals at once (numpy), never study by study.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Literal, Sequence

import numpy as np
from .. import _dist as sps

from .._validate import check_choice, check_level
from ..errors import EstimationError, InputError, SpecError
from ..notes import NoteCode
from ..results import Note, ResultMixin, json_keys
from .fit import fit_rma
from .fitstats import uni_loglik
from .regression import coerce_effects

__all__ = ["SelectionModelResult", "selection_model"]

_DELTA_MAX = 100.0  # metafor's delta.max for step functions


@json_keys("estimate", "se", "zval", "pval", "ci_low", "ci_high", "tau2", "tau2_se", "delta", "delta_se", "steps",
           "interval_k", "alternative", "loglik", "loglik0", "lrt", "lrt_df", "lrt_pvalue", "k", "level", "notes",
           type="stepfun")
@dataclass(frozen=True, slots=True)
class SelectionModelResult(ResultMixin):
    """A fitted step-function selection model.

    ``delta`` has one weight per interval (``delta[0] == 1``); ``interval_k`` counts the studies whose
    p-value falls in each interval; ``lrt``/``lrt_df``/``lrt_pvalue`` test ``delta == 1`` against the
    ML random-effects model (``loglik0``).
    """

    estimate: float
    se: float
    zval: float
    pval: float
    ci_low: float
    ci_high: float
    tau2: float
    tau2_se: float
    delta: np.ndarray
    delta_se: np.ndarray
    steps: np.ndarray
    interval_k: np.ndarray
    alternative: str
    loglik: float
    loglik0: float
    lrt: float
    lrt_df: int
    lrt_pvalue: float
    k: int
    level: float
    notes: tuple[Note, ...] = ()


def _make_ll(y: np.ndarray, v: np.ndarray, steps: np.ndarray,
             alternative: str) -> tuple[Callable[[float, float, np.ndarray], float], np.ndarray]:
    sv = np.sqrt(v)
    if alternative == "greater":
        pv = sps.norm.sf(y / sv)
        u = sv[:, None] * sps.norm.isf(steps[:-1])[None, :]  # p <= steps[j]  <=>  y >= u_j
    else:
        pv = sps.norm.cdf(y / sv)
        u = sv[:, None] * sps.norm.ppf(steps[:-1])[None, :]  # p <= steps[j]  <=>  y <= u_j
    grp = np.searchsorted(steps, pv, side="left")  # first j with p <= steps[j]

    def ll(mu: float, tau2: float, delta: np.ndarray) -> float:
        s = np.sqrt(v + tau2)
        z = (u - mu) / s[:, None]
        P = sps.norm.sf(z) if alternative == "greater" else sps.norm.cdf(z)  # P(p <= steps[j]), j < N
        inc = np.diff(np.column_stack([np.zeros(len(y)), P, np.ones(len(y))]), axis=1)  # per interval
        A = inc @ delta
        return float(np.sum(np.log(delta[grp]) + sps.norm.logpdf(y, mu, s) - np.log(A)))

    return ll, grp


def _hessian(f: Callable[[np.ndarray], float], x: np.ndarray, rel: float = 1e-4) -> np.ndarray:
    """Central-difference Hessian with one Richardson extrapolation (error O(h^4))."""
    n = len(x)

    def H(hs: np.ndarray) -> np.ndarray:
        out = np.empty((n, n))
        f0 = f(x)
        for i in range(n):
            ei = np.zeros(n)
            ei[i] = hs[i]
            out[i, i] = (f(x + ei) - 2 * f0 + f(x - ei)) / hs[i] ** 2
            for j in range(i):
                ej = np.zeros(n)
                ej[j] = hs[j]
                out[i, j] = out[j, i] = (f(x + ei + ej) - f(x + ei - ej) - f(x - ei + ej) + f(x - ei - ej)) / (
                    4 * hs[i] * hs[j])
        return out

    h = rel * np.maximum(np.abs(x), 1e-2)
    out: np.ndarray = (4 * H(h / 2) - H(h)) / 3
    return out


def _check_steps(steps: Sequence[float]) -> np.ndarray:
    """The cut points as an increasing array in (0, 1] ending at 1 (added when missing), or SpecError."""
    st = np.asarray(list(steps), dtype=float)
    if st.ndim != 1 or len(st) == 0 or np.any(~np.isfinite(st)) or np.any(st <= 0) or np.any(st > 1) \
            or np.any(np.diff(st) <= 0):
        raise SpecError(f"steps={list(steps)!r} must be increasing p-values in (0, 1]")
    if st[-1] != 1.0:
        st = np.append(st, 1.0)
    if len(st) < 2:
        raise SpecError("steps must define at least two intervals (e.g. steps=(0.025, 1))")
    return st


def _interval_counts(grp: np.ndarray, st: np.ndarray, k: int) -> np.ndarray:
    """The number of studies in each p-value interval, or InputError when an interval whose weight is estimated has
    no study or k is too small for mu, tau2 and the weights."""
    nint = len(st)
    counts = np.bincount(grp, minlength=nint)
    if np.any(counts[1:] == 0):  # the first weight is fixed at 1, so only the others need studies
        j = int(np.flatnonzero(counts[1:] == 0)[0]) + 1
        lo = 0.0 if j == 0 else st[j - 1]
        raise InputError(f"no study has a p-value in the interval ({lo:g}, {st[j]:g}], so its selection weight "
                         "cannot be estimated", column="steps", has_value=False,
                         fix="merge that interval with a neighbour (fewer steps)")
    nd = nint - 1
    if k < 2 + nd:
        raise InputError(f"too few studies (k = {k}) for mu, tau2 and {nd} selection weight(s)", has_value=False,
                         fix="use fewer steps")
    return counts


def selection_model(
    effects: Any,
    vi: Any = None,
    *,
    steps: Sequence[float] = (0.025, 1.0),
    alternative: Literal["greater", "less"] = "greater",
    level: float | None = None,
    study: Sequence[str] | None = None,
) -> SelectionModelResult:
    """metafor ``selmodel(rma(yi, vi, method="ML"), type="stepfun", steps=, alternative=)``.

    ``steps``: increasing one-sided p-value cut points in (0, 1]; 1 is added when missing.
    """
    alternative = check_choice("alternative", alternative, ("greater", "less"))
    st = _check_steps(steps)
    eff = coerce_effects(effects, vi, study=study)
    y, v = eff.yi, eff.vi
    k = len(y)
    lvl = float(getattr(effects, "level", 0.95)) if level is None else check_level(level)
    ll_fun, grp = _make_ll(y, v, st, alternative)
    counts = _interval_counts(grp, st, k)
    nd = len(st) - 1
    ml = fit_rma(y, v, method="ML", test="z", control={"threshold": 1e-12, "maxiter": 10000})
    ll0 = uni_loglik(y, v, np.ones((k, 1)), ml.tau2, False)[0]

    def unpack(t: np.ndarray) -> tuple[float, float, np.ndarray]:
        d = np.concatenate([[1.0], np.minimum(np.exp(t[2:]), _DELTA_MAX)])
        return float(t[0]), float(math.exp(t[1])), d

    def negll_t(t: np.ndarray) -> float:
        mu, tau2, d = unpack(t)
        val = -ll_fun(mu, tau2, d)
        return val if math.isfinite(val) else 1e300

    t0 = np.concatenate([[float(ml.beta[0]), math.log(ml.tau2 + 0.001)], np.zeros(nd)])
    from scipy import optimize  # lazily: scipy.optimize costs ~0.3 s to import

    res = optimize.minimize(negll_t, t0, method="BFGS", options={"gtol": 1e-10, "maxiter": 5000})
    t = res.x
    # Newton polishing on the same parameterisation (finite-difference gradient and Hessian)
    for _ in range(20):
        g = np.array([(negll_t(t + e) - negll_t(t - e)) / (2 * e[i])
                      for i, e in enumerate(np.diag(1e-6 * np.maximum(np.abs(t), 1e-2)))])
        Ht = _hessian(negll_t, t, rel=1e-3)
        try:
            step = np.linalg.solve(Ht, g)
        except np.linalg.LinAlgError:
            break
        if not np.all(np.isfinite(step)):
            break
        lam, f0 = 1.0, negll_t(t)
        while lam > 1e-4 and negll_t(t - lam * step) > f0 + 1e-13 * abs(f0):
            lam /= 2
        if lam <= 1e-4:
            break
        t = t - lam * step
        if np.max(np.abs(lam * step) / np.maximum(np.abs(t), 1e-2)) < 1e-11:
            break
    mu, tau2, delta = unpack(t)
    notes: list[Note] = []
    if tau2 < 10 * np.finfo(float).eps:
        tau2 = 0.0
    ll = ll_fun(mu, tau2, delta)
    if np.any(delta[1:] >= _DELTA_MAX * (1 - 1e-6)) or np.any(delta[1:] <= 1e-8):
        notes.append(Note(NoteCode.SELMODEL_BOUNDARY, "A selection weight is at the edge of its range (0 or 100); the "
                                               "model is weakly identified and its standard errors are unreliable."))

    # SEs: Hessian of -ll on the natural scale (mu, tau2, delta_2..), as metafor (htransf=FALSE)
    def negll_nat(x: np.ndarray) -> float:
        d = np.concatenate([[1.0], x[2:]])
        if x[1] < 0 or np.any(d <= 0):
            return math.nan
        return -ll_fun(float(x[0]), float(x[1]), d)

    xn = np.concatenate([[mu, tau2], delta[1:]])
    H = _hessian(negll_nat, xn, rel=1e-4)
    try:
        V = np.linalg.inv(H)
        se_all = np.sqrt(np.diag(V))
    except np.linalg.LinAlgError:
        se_all = np.full(len(xn), np.nan)
        notes.append(Note(NoteCode.SELMODEL_HESSIAN, "The Hessian could not be inverted; standard errors are not given."))
    se, tau2_se = float(se_all[0]), float(se_all[1])
    delta_se = np.concatenate([[np.nan], se_all[2:]])
    crit = float(sps.norm.isf((1 - lvl) / 2))
    zval = mu / se
    lrt = max(0.0, 2 * (ll - ll0))
    notes.append(Note(NoteCode.SELMODEL_SENSITIVITY, "A selection model is a sensitivity analysis: its adjusted estimate "
                                              "depends on the assumed p-value steps."))
    if not res.success and not np.isfinite(ll):
        raise EstimationError("the selection model could not be fitted (the likelihood is not finite)")
    return SelectionModelResult(
        estimate=mu, se=se, zval=zval, pval=float(2 * sps.norm.sf(abs(zval))), ci_low=mu - crit * se,
        ci_high=mu + crit * se, tau2=tau2, tau2_se=tau2_se, delta=delta, delta_se=delta_se, steps=st,
        interval_k=counts, alternative=alternative, loglik=ll, loglik0=float(ll0), lrt=lrt, lrt_df=nd,
        lrt_pvalue=float(sps.chi2.sf(lrt, nd)), k=k, level=lvl, notes=tuple(notes),
    )
