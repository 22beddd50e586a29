"""Selection models, as metafor 3.8's ``selmodel()``: the step function (Vevea & Hedges 1995) and the smooth
``beta`` (Citkowicz & Vevea 2017), ``halfnorm`` and ``negexp`` (Preston et al. 2004) selection functions.

The random-effects model ``y_i ~ N(mu, v_i + tau²)`` is combined with a selection function that
multiplies the chance of a study being observed by ``delta_j`` when its one-sided p-value falls in
the j-th interval ``(steps[j-1], steps[j]]`` (``delta_1 = 1``).  All parameters (mu, tau², delta_2..)
are estimated by maximum likelihood, as metafor (which refits a REML model by ML first); the
standard errors come from the Hessian of the log-likelihood on the natural scale (metafor:
``numDeriv::hessian``); the likelihood-ratio test compares with the ML random-effects model
(``delta = 1``).

Smooth selection functions ``w(p)`` (metafor's definitions; ``p`` is the study's one-sided p-value, clamped to
``[pval_min, 1 - pval_min]``): beta ``p^(d1-1) (1-p)^(d2-1)`` (d in [1e-5, 100], pval_min 1e-5), halfnorm
``exp(-d p^2)``, negexp ``exp(-d p)`` (d in [0, 100]; with ``steps=(a,)``: 1 for p <= a and scaled to be
continuous there).  The normalising integral ``A_i = int w(p(y)) phi(y; mu, v_i + tau2) dy`` is computed by
composite Gauss-Legendre quadrature split at every kink of the integrand (the clamps, the step), so that it is
exact to about 1e-13; metafor uses R's ``integrate`` (the goldens tighten its rel.tol to 1e-12).

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
from scipy import special

from .. import _dist as sps
from .._validate import check_choice, check_level
from ..errors import EstimationError, InputError, SpecError
from ..notes import NoteCode
from ..results import Note, ResultMixin, json_keys
from .fit import fit_rma
from .fitstats import uni_loglik
from .regression import coerce_effects
from .results import PooledEstimate

__all__ = ["SelectionModelResult", "selection_model"]

_DELTA_MAX = 100.0  # metafor's delta.max for step functions


@json_keys("type=selection_type", "estimate", "se", "zval", "pval", "ci_low", "ci_high", "tau2", "tau2_se", "delta", "delta_se", "steps",
           "interval_k", "alternative", "loglik", "loglik0", "lrt", "lrt_df", "lrt_pvalue", "k", "level", "notes")
@dataclass(frozen=True, slots=True, kw_only=True)
class SelectionModelResult(PooledEstimate, ResultMixin):
    """A fitted step-function selection model.

    ``delta`` has one weight per interval (``delta[0] == 1``); ``interval_k`` counts the studies whose
    p-value falls in each interval; ``lrt``/``lrt_df``/``lrt_pvalue`` test ``delta == 1`` against the
    ML random-effects model (``loglik0``).
    """

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
    #: "stepfun", "beta", "halfnorm" or "negexp" (metafor's ``type``)
    selection_type: str = "stepfun"


SelectionType = Literal["stepfun", "beta", "halfnorm", "negexp"]
SELECTION_TYPES: tuple[str, ...] = ("stepfun", "beta", "halfnorm", "negexp")
#: per smooth type: (number of weights, lower bound, upper bound, pval_min, value under no selection) as metafor
_SMOOTH: dict[str, tuple[int, float, float, float, float]] = {
    "beta": (2, 1e-5, 100.0, 1e-5, 1.0),
    "halfnorm": (1, 0.0, 100.0, 0.0, 0.0),
    "negexp": (1, 0.0, 100.0, 0.0, 0.0),
}
_GL_X, _GL_W = np.polynomial.legendre.leggauss(16)
_TAIL = 14.0                          # integrate mu +- 14 SD (normal tail mass 1.6e-44)
_S_GRID = np.arange(-13.5, 14.0, 1.0)  # segment edges in units of sqrt(v + tau2) around mu
_Z_GRID = np.arange(-9.0, 9.01, 0.5)   # and in units of sqrt(v) (where the p-value, so the weight, changes)


def _weight(kind: str, p: np.ndarray, delta: np.ndarray, step: float) -> np.ndarray:
    """metafor's smooth selection function ``w(p)`` (``p`` already clamped)."""
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        if kind == "beta":
            return np.asarray(p ** (delta[0] - 1) * (1 - p) ** (delta[1] - 1), dtype=float)
        power = 2.0 if kind == "halfnorm" else 1.0  # halfnorm exp(-d p^2), negexp exp(-d p)
        w = np.exp(-delta[0] * p**power) / math.exp(-float(delta[0]) * step**power)
        return np.asarray(np.where(p <= step, 1.0, w), dtype=float)


def _make_ll_smooth(y: np.ndarray, v: np.ndarray, kind: str, step: float,
                    alternative: str) -> Callable[[float, float, np.ndarray], float]:
    """The log-likelihood of a smooth selection model, ``ll(mu, tau2, delta)``."""
    pmin = _SMOOTH[kind][3]
    sv = np.sqrt(v)
    sign = 1.0 if alternative == "greater" else -1.0  # p = Phi(-sign * y / sv)
    pobs = np.clip(special.ndtr(-sign * y / sv), pmin, 1 - pmin)
    # the kinks of w(p(y)) in y, per study: the clamps and the step
    kinks_p = [q for q in (pmin, 1 - pmin) if 0 < q < 1] + ([step] if 0 < step < 1 else [])
    kinks = np.array([-sign * sv * special.ndtri(q) for q in kinks_p]).T if kinks_p else np.zeros((len(y), 0))

    def ll(mu: float, tau2: float, delta: np.ndarray) -> float:
        s = np.sqrt(v + tau2)
        lo, hi = mu - _TAIL * s, mu + _TAIL * s
        # segment edges: the kinks, a grid on the scale of the normal density (s) and one on the scale on which
        # p(y) changes (sqrt(v), much narrower than s when tau2 >> v); one Gauss-Legendre rule per segment
        grid = np.column_stack([mu + _S_GRID[None, :] * s[:, None], -sign * sv[:, None] * _Z_GRID[None, :], kinks])
        edges = np.sort(np.column_stack([lo, np.clip(grid, lo[:, None], hi[:, None]), hi]), axis=1)
        pa, pb = edges[:, :-1], edges[:, 1:]
        half = (pb - pa) / 2
        nodes = (pa + pb)[..., None] / 2 + half[..., None] * _GL_X                # (k, segments, nodes)
        wts = half[..., None] * _GL_W
        pn = np.clip(special.ndtr(-sign * nodes / sv[:, None, None]), pmin, 1 - pmin)
        dens = np.exp(-0.5 * ((nodes - mu) / s[:, None, None]) ** 2) / (s[:, None, None] * _SQRT2PI)
        A = np.sum(wts * _weight(kind, pn, delta, step) * dens, axis=(1, 2))
        logw = np.log(_weight(kind, pobs, delta, step))
        return float(np.sum(logw - 0.5 * ((y - mu) / s) ** 2 - np.log(s * _SQRT2PI) - np.log(A)))

    return ll


_SQRT2PI = math.sqrt(2 * math.pi)


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
    h = rel * np.maximum(np.abs(x), 1e-2)
    out: np.ndarray = (4 * _fd_hessian(f, x, h / 2) - _fd_hessian(f, x, h)) / 3
    return out


def _fd_hessian(f: Callable[[np.ndarray], float], x: np.ndarray, hs: np.ndarray) -> np.ndarray:
    n = len(x)
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


def _richardson_hessian(f: Callable[[np.ndarray], float], x: np.ndarray, levels: int = 4,
                        h0: np.ndarray | None = None) -> np.ndarray:
    """The Hessian as numDeriv computes it (metafor's standard errors): steps ``h0`` (default 0.1 |x|, 1e-4 where x
    is about 0), halved ``levels - 1`` times, with Richardson extrapolation over the levels."""
    if h0 is None:
        h0 = np.where(np.abs(x) < 1.8e-5, 1e-4, 0.1 * np.abs(x))
    table = [_fd_hessian(f, x, h0 / 2**j) for j in range(levels)]
    for m in range(1, levels):
        table = [(4**m * table[j + 1] - table[j]) / (4**m - 1) for j in range(len(table) - 1)]
    return table[0]


def _se_hessian(ll_fun: Callable[[float, float, np.ndarray], float], xn: np.ndarray,
                fixed_first: bool) -> np.ndarray:
    """Hessian of -ll on the natural scale (mu, tau2, free weights), as metafor (htransf=FALSE), for the SEs.

    First as numDeriv (steps 0.1 |x|), then again with an absolute step per parameter of 0.2 of its standard error
    (from the first Hessian), halved five times: a step relative to the parameter is far below its SE where the
    parameter is near 0 (molloy2014 halfnorm: delta 0.0016, SE 2.26), and there the quadrature's rounding dominates
    the second differences (SEs 1.5e-6 off).  A smooth weight is analytic in delta across 0, so such a step may cross
    it; tau2 may not (metafor's likelihood sets a negative tau2 to 0), nor a step-function weight (log delta): where a
    step would, the first Hessian is kept.  The golden's se_check (selmodel_check.R) is this Hessian computed in R."""

    def negll(x: np.ndarray, wide: bool) -> float:
        d = np.concatenate([[1.0], x[2:]]) if fixed_first else x[2:]
        if x[1] < 0 or (fixed_first and np.any(d <= 0)) or (not wide and np.any(d < 0)):
            return math.nan
        return -ll_fun(float(x[0]), float(x[1]), d)

    H = _richardson_hessian(lambda x: negll(x, False), xn)
    with np.errstate(invalid="ignore"):
        scale = np.sqrt(np.diag(np.linalg.inv(H))) if np.all(np.isfinite(H)) else np.full(len(xn), np.nan)
    if np.all(np.isfinite(scale)) and np.all(scale > 0):
        H_abs = _richardson_hessian(lambda x: negll(x, True), xn, levels=6, h0=0.2 * scale)
        if np.all(np.isfinite(H_abs)):
            return H_abs
    return H


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
    type: SelectionType = "stepfun",  # noqa: A002 - metafor's argument name
    steps: Sequence[float] | None = None,
    alternative: Literal["greater", "less"] = "greater",
    level: float | None = None,
    study: Sequence[str] | None = None,
) -> SelectionModelResult:
    """metafor ``selmodel(rma(yi, vi, method="ML"), type=, steps=, alternative=)``.

    ``type="stepfun"``: ``steps`` are increasing one-sided p-value cut points in (0, 1] (default (0.025, 1); 1 is
    added when missing).  ``"halfnorm"``/``"negexp"``: ``steps`` may give one p-value below which the weight is 1
    (metafor's ``steps=c(a, 1)``); ``"beta"`` takes no steps.
    """
    kind = check_choice("type", type, SELECTION_TYPES)
    alternative = check_choice("alternative", alternative, ("greater", "less"))
    eff = coerce_effects(effects, vi, study=study)
    y, v = eff.yi, eff.vi
    k = len(y)
    lvl = float(getattr(effects, "level", 0.95)) if level is None else check_level(level)
    ml = fit_rma(y, v, method="ML", test="z", control={"threshold": 1e-12, "maxiter": 10000})
    ll0 = float(uni_loglik(y, v, np.ones((k, 1)), ml.tau2, False)[0])
    notes: list[Note] = []
    if kind == "stepfun":
        st = _check_steps((0.025, 1.0) if steps is None else steps)
        ll_fun, grp = _make_ll(y, v, st, alternative)
        counts = _interval_counts(grp, st, k)
        nd, dlo, dhi, d_null = len(st) - 1, 0.0, _DELTA_MAX, 1.0
        fixed_first = True
    else:
        nd, dlo, dhi, _pmin, d_null = _SMOOTH[kind]
        step = _smooth_step(kind, steps)
        st = np.array([step, 1.0]) if step > 0 else np.array([1.0])
        ll_fun = _make_ll_smooth(y, v, kind, step, alternative)
        counts = np.array([k])
        fixed_first = False
        if k < 2 + nd:
            raise InputError(f"too few studies (k = {k}) for mu, tau2 and {nd} selection parameter(s)",
                             has_value=False, fix="use a model with fewer parameters (e.g. halfnorm or stepfun)")

    def weights(tw: np.ndarray) -> np.ndarray:
        if fixed_first:  # step function: delta_1 = 1, the others on the log scale up to 100
            return np.concatenate([[1.0], np.minimum(np.exp(tw), _DELTA_MAX)])
        return np.asarray(dlo + (dhi - dlo) / (1 + np.exp(-tw)), dtype=float)  # metafor's delta.min..delta.max

    def negll_t(t: np.ndarray) -> float:
        val = -ll_fun(float(t[0]), math.exp(float(t[1])), weights(t[2:]))
        return val if math.isfinite(val) else 1e300

    if fixed_first:
        tw0 = np.zeros(nd)
    else:
        d0 = np.clip(np.full(nd, 1.0), dlo + 1e-3, dhi - 1e-3)
        tw0 = np.log((d0 - dlo) / (dhi - d0))
    t0 = np.concatenate([[float(ml.beta[0]), math.log(ml.tau2 + 0.001)], tw0])
    res, t = _maximise(negll_t, t0)
    mu, tau2, delta = float(t[0]), math.exp(float(t[1])), weights(t[2:])
    if tau2 < 10 * np.finfo(float).eps:
        tau2 = 0.0
    ll = ll_fun(mu, tau2, delta)
    free = delta[1:] if fixed_first else delta
    at_edge = np.any(free >= dhi * (1 - 1e-6)) or np.any(free <= max(dlo, 0.0) + 1e-8)
    if at_edge:
        notes.append(Note(NoteCode.SELMODEL_BOUNDARY, f"A selection weight is at the edge of its range ({dlo:g} or "
                                                      f"{dhi:g}); the model is weakly identified and its standard "
                                                      "errors are unreliable."))

    xn = np.concatenate([[mu, tau2], free])
    H = _se_hessian(ll_fun, xn, fixed_first)
    try:
        se_all = np.sqrt(np.diag(np.linalg.inv(H)))
    except np.linalg.LinAlgError:
        se_all = np.full(len(xn), np.nan)
        notes.append(Note(NoteCode.SELMODEL_HESSIAN, "The Hessian could not be inverted; standard errors are not "
                                                     "given."))
    se, tau2_se = float(se_all[0]), float(se_all[1])
    delta_se = np.concatenate([[np.nan], se_all[2:]]) if fixed_first else se_all[2:]
    crit = float(special.ndtri(1 - (1 - lvl) / 2))
    zval = mu / se
    lrt = max(0.0, 2 * (ll - ll0))
    notes.append(Note(NoteCode.SELMODEL_SENSITIVITY, "A selection model is a sensitivity analysis: its adjusted "
                                                     "estimate depends on the assumed selection function."))
    if not res.success and not np.isfinite(ll):
        raise EstimationError("the selection model could not be fitted (the likelihood is not finite)")
    del d_null
    return SelectionModelResult(
        estimate=mu, se=se, zval=zval, pval=float(2 * special.ndtr(-abs(zval))), ci_low=mu - crit * se,
        ci_high=mu + crit * se, tau2=tau2, tau2_se=tau2_se, delta=delta, delta_se=delta_se, steps=st,
        interval_k=counts, alternative=alternative, loglik=ll, loglik0=ll0, lrt=lrt, lrt_df=nd,
        lrt_pvalue=float(special.chdtrc(nd, lrt)), k=k, level=lvl, notes=tuple(notes), selection_type=kind,
    )


def _smooth_step(kind: str, steps: Sequence[float] | None) -> float:
    """The p-value below which a halfnorm/negexp weight is 1 (metafor ``steps=c(a, 1)``; default 0)."""
    if steps is None:
        return 0.0
    st = [float(x) for x in steps]
    if kind == "beta":
        raise SpecError("type='beta' takes no steps (metafor ignores them); leave steps out")
    if st and st[-1] == 1.0:
        st = st[:-1]
    if len(st) != 1 or not (0 <= st[0] < 1):
        raise SpecError(f"steps={list(steps)!r}: type={kind!r} takes one p-value in [0, 1) (e.g. steps=(0.025,))")
    return st[0]


def _maximise(negll_t: Callable[[np.ndarray], float], t0: np.ndarray) -> tuple[Any, np.ndarray]:
    """BFGS, then Newton polishing with finite-difference derivatives (the maximiser to about 1e-9)."""
    from scipy import optimize  # lazily: scipy.optimize costs ~0.3 s to import

    res = optimize.minimize(negll_t, t0, method="BFGS", options={"gtol": 1e-10, "maxiter": 5000})
    t = res.x
    for _ in range(30):
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
        # converged: the step is tiny, or the decrease Newton predicts is below the noise of the likelihood
        if np.max(np.abs(lam * step) / np.maximum(np.abs(t), 1e-2)) < 1e-11 or abs(g @ step) < 1e-13 * max(1.0, abs(f0)):
            break
    return res, t
