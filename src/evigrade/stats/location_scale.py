"""Location-scale meta-regression, as metafor 3.8's ``rma(yi, vi, mods=, scale=, link="log")``.

The model lets the heterogeneity depend on study characteristics:

    y_i = x_i' beta + u_i + e_i,   u_i ~ N(0, tau2_i),  log(tau2_i) = z_i' alpha,   e_i ~ N(0, v_i)

``alpha`` maximises the (restricted) log-likelihood profiled over ``beta`` (metafor's
``.ll.rma.ls`` with ``optbeta=FALSE``); ``beta`` is then the weighted least-squares estimate with
weights ``1 / (v_i + tau2_i)`` and ``vb = (X'WX)^-1``.  metafor maximises with a quasi-Newton
optimiser and numerically differentiates for the Hessian; here the score and the Hessian are
analytic (chain rule through ``tau2 = exp(Z alpha)``), Newton's method with step halving runs to
machine precision, and ``va`` is the inverse of the negative analytic Hessian.  As metafor, the
optimisation works on standardised non-dummy scale columns (an invertible linear map, undone at
the end), which keeps it well conditioned when a covariate is on the scale of, e.g., years.

Reported as metafor's ``rma.ls`` object: ``beta`` with Wald z (or t with k - p df) tests, ``alpha``
with Wald z (or t with k - q df), the omnibus tests QM (location) and QS (scale), QE (residual
heterogeneity from the sampling variances alone), tau2 and I² per study, fit statistics, and the
likelihood-ratio test of the scale part against ``scale = ~ 1`` (metafor
``anova(fit, rma(yi, vi, mods=, scale= ~ 1))``).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from .. import _dist as sps
from .._validate import check_choice, check_level
from ..errors import InputError
from ..notes import NoteCode
from ..results import Note, jsonable_dict
from .fit import check_finite_effects, wald_pval_crit
from .fitstats import _from_ll
from .results import LikelihoodFit

__all__ = ["LocationScaleResult", "location_scale", "LS_METHODS", "LS_TESTS", "LS_LINKS"]

LS_METHODS: tuple[str, ...] = ("REML", "ML")
LS_TESTS: tuple[str, ...] = ("z", "t")
LS_LINKS: tuple[str, ...] = ("log",)
_LOG2PI = math.log(2.0 * math.pi)
#: Newton stops when the step in the standardised alpha is below this (absolute; alpha of order 1).
_STEP_TOL = 1e-11
#: tau2 below this (relative to the median sampling variance) is reported as approaching the boundary.
_TINY_TAU2 = 1e-8


@dataclass(frozen=True, slots=True, kw_only=True)
class LocationScaleResult(LikelihoodFit):
    """A fitted location-scale model (metafor ``rma.ls``).

    ``beta``/``se``/... are the location coefficients (columns of ``X``); ``alpha``/``alpha_se``/...
    the ``q`` scale coefficients (columns of ``Z``, log link: ``tau2 = exp(Z alpha)``).  ``tau2`` and
    ``i2`` (a fraction) have one entry per study.  ``qs`` tests the scale coefficients as ``qm`` the
    location ones.  ``lrt``/``lrt_df``/``lrt_pvalue`` test the scale
    coefficients other than the intercept against ``scale = ~ 1`` (NaN when Z has no intercept or
    only one column); ``loglik_reduced`` is that model's log-likelihood.
    """

    q: int
    alpha: np.ndarray
    va: np.ndarray
    alpha_se: np.ndarray
    alpha_zval: np.ndarray
    alpha_pval: np.ndarray
    alpha_ci_low: np.ndarray
    alpha_ci_high: np.ndarray
    alpha_df: int | None
    tau2: np.ndarray
    i2: np.ndarray
    qs: float
    qs_df: tuple[int, int | None]
    qs_pvalue: float
    lrt: float
    lrt_df: int
    lrt_pvalue: float
    loglik_reduced: float
    Z: np.ndarray
    link: str

    def to_dict(self) -> dict[str, Any]:
        return jsonable_dict({
            "model": "location_scale", "k": self.k, "p": self.p, "q": self.q, "method": self.method,
            "test": self.test, "link": self.link, "level": self.level,
            "location": {"beta": self.beta, "se": self.se, "zval": self.zval, "pval": self.pval,
                         "ci_low": self.ci_low, "ci_high": self.ci_high, "df": self.df},
            "scale": {"alpha": self.alpha, "se": self.alpha_se, "zval": self.alpha_zval, "pval": self.alpha_pval,
                      "ci_low": self.alpha_ci_low, "ci_high": self.alpha_ci_high, "df": self.alpha_df},
            "tau2": self.tau2, "i2": self.i2,
            "qe": self.qe, "qe_df": self.qe_df, "qe_pvalue": self.qe_pvalue,
            "qm": self.qm, "qm_df": list(self.qm_df), "qm_pvalue": self.qm_pvalue,
            "qs": self.qs, "qs_df": list(self.qs_df), "qs_pvalue": self.qs_pvalue,
            "lrt": self.lrt, "lrt_df": self.lrt_df, "lrt_pvalue": self.lrt_pvalue,
            "loglik_reduced": self.loglik_reduced, "fit_statistics": self.fit_statistics.to_dict(),
            "converged": self.converged, "iterations": self.iterations,
            "notes": [n.to_dict() for n in self.notes],
        })


def _design(name: str, M: Any, k: int) -> np.ndarray:
    if M is None:
        return np.ones((k, 1))
    A = np.asarray(M, dtype=float)
    if A.ndim == 1:
        A = A[:, None]
    if A.ndim != 2 or A.shape[0] != k:
        raise InputError(f"{name} must have one row per study ({k}), got shape {A.shape}", column=name,
                         has_value=False, fix=f"build the {name} design matrix with one row per study")
    bad = np.flatnonzero(~np.all(np.isfinite(A), axis=1))
    if len(bad):
        raise InputError(f"{name} has a missing or infinite value", row=int(bad[0]) + 1, column=name,
                         has_value=False, fix="remove studies with missing moderators")
    if np.linalg.matrix_rank(A) < A.shape[1]:
        raise InputError(f"{name} design matrix is not of full rank", column=name, has_value=False,
                         fix=f"drop redundant columns from {name}")
    return A


def _is_intercept(col: np.ndarray) -> bool:
    return bool(np.allclose(col, 1.0))


def _is_dummy(col: np.ndarray) -> bool:
    return bool(np.all((col == 0) | (col == 1)))


class _Profile:
    """The (restricted) log-likelihood profiled over beta, as a function of tau2, with analytic derivatives."""

    def __init__(self, y: np.ndarray, v: np.ndarray, X: np.ndarray, reml: bool) -> None:
        self.y, self.v, self.X, self.reml = y, v, X, reml
        self.k, self.p = X.shape
        self.logdet_xx = float(np.linalg.slogdet(X.T @ X)[1])

    def parts(self, tau2: np.ndarray) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
        """ll, beta, (X'WX)^-1 and P (the projection W - WX(X'WX)^-1X'W)."""
        w = 1.0 / (self.v + tau2)
        XW = self.X.T * w
        XWX = XW @ self.X
        XWXi = np.linalg.inv(XWX)
        XWXi = 0.5 * (XWXi + XWXi.T)
        beta = XWXi @ (XW @ self.y)
        r = self.y - self.X @ beta
        rss = float(np.sum(w * r * r))
        ll = -0.5 * float(np.sum(np.log(self.v + tau2))) - 0.5 * rss
        if self.reml:
            ll += -0.5 * (self.k - self.p) * _LOG2PI + 0.5 * self.logdet_xx - 0.5 * float(np.linalg.slogdet(XWX)[1])
        else:
            ll += -0.5 * self.k * _LOG2PI
        P = np.diag(w) - XW.T @ XWXi @ XW
        return ll, beta, XWXi, P

    def derivs(self, tau2: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        """ll, d ll / d tau2 and d² ll / d tau2 d tau2'."""
        ll, _beta, _XWXi, P = self.parts(tau2)
        u = P @ self.y
        if self.reml:
            g = -0.5 * np.diag(P) + 0.5 * u * u
            H = 0.5 * P * P - np.outer(u, u) * P
        else:
            w = 1.0 / (self.v + tau2)
            g = -0.5 * w + 0.5 * u * u
            H = np.diag(0.5 * w * w) - np.outer(u, u) * P
        return ll, g, H


def _ll_alpha(prof: _Profile, Z: np.ndarray, a: np.ndarray) -> float:
    with np.errstate(over="ignore"):
        tau2 = np.exp(Z @ a)
    if not np.all(np.isfinite(tau2)):
        return -math.inf
    try:
        return prof.parts(tau2)[0]
    except np.linalg.LinAlgError:
        return -math.inf


def _grad_hess(prof: _Profile, Z: np.ndarray, a: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    tau2 = np.exp(Z @ a)
    ll, g, H = prof.derivs(tau2)
    gt = g * tau2
    grad = Z.T @ gt
    hess = (Z * tau2[:, None]).T @ H @ (Z * tau2[:, None]) + (Z * gt[:, None]).T @ Z
    return ll, grad, 0.5 * (hess + hess.T)


def _newton(prof: _Profile, Z: np.ndarray, a0: np.ndarray, maxiter: int) -> tuple[np.ndarray, bool, int]:
    """Maximise over alpha: Newton steps where -H is positive definite, else a (scaled) gradient step; step halving."""
    a = a0.copy()
    ll = _ll_alpha(prof, Z, a)
    for it in range(1, maxiter + 1):
        _, grad, hess = _grad_hess(prof, Z, a)
        negH = -hess
        try:
            np.linalg.cholesky(negH)
            step = np.linalg.solve(negH, grad)
        except np.linalg.LinAlgError:
            ev = np.linalg.eigvalsh(negH)
            shift = max(0.0, -float(ev.min())) + 1e-3 * max(1.0, float(np.abs(ev).max()))
            step = np.linalg.solve(negH + shift * np.eye(len(a)), grad)
        lam = 1.0
        for _ in range(60):
            new = a + lam * step
            lln = _ll_alpha(prof, Z, new)
            if lln >= ll - 1e-13 * max(1.0, abs(ll)):
                break
            lam *= 0.5
        else:
            return a, True, it  # no ascent possible: at the maximum to rounding
        done = bool(np.max(np.abs(new - a)) <= _STEP_TOL)
        a, ll = new, lln
        if done:
            return a, True, it
    return a, False, maxiter


def _start(y: np.ndarray, v: np.ndarray, X: np.ndarray, Zs: np.ndarray) -> np.ndarray:
    """A constant tau2 (the residual variance beyond sampling error, at least 1% of the median vi),
    expressed in the (standardised) scale design."""
    beta, *_ = np.linalg.lstsq(X, y, rcond=None)
    r = y - X @ beta
    k, p = X.shape
    t0 = max(float(r @ r) / max(k - p, 1) - float(np.mean(v)), 0.01 * float(np.median(v)))
    a: np.ndarray = np.linalg.lstsq(Zs, np.full(len(y), math.log(t0)), rcond=None)[0]
    return a


def _wald(coef: np.ndarray, vcov: np.ndarray, idx: list[int], df: int | None) -> tuple[float, tuple[int, int | None],
                                                                                          float]:
    b = coef[idx]
    try:
        stat = float(b @ np.linalg.solve(vcov[np.ix_(idx, idx)], b))
    except np.linalg.LinAlgError:
        stat = float("nan")
    m = len(idx)
    if df is not None:
        stat /= m
        return stat, (m, df), float(sps.f.sf(stat, m, df)) if df > 0 else float("nan")
    return stat, (m, None), float(sps.chi2.sf(stat, m))


def _fit_alpha(prof: _Profile, Z: np.ndarray, maxiter: int) -> tuple[np.ndarray, bool, int]:
    """Standardise non-dummy columns (with an intercept present), maximise, map back."""
    q = Z.shape[1]
    Tm = np.eye(q)  # Z_s = Z @ Tm (standardised columns), so Z alpha = Z_s alpha_s with alpha = Tm @ alpha_s
    has_int = [j for j in range(q) if _is_intercept(Z[:, j])]
    if has_int and q > 1:
        j0 = has_int[0]
        for j in range(q):
            if j == j0 or _is_dummy(Z[:, j]):
                continue
            mu, sd = float(np.mean(Z[:, j])), float(np.std(Z[:, j], ddof=1))
            if sd > 0:
                Tm[j, j] = 1.0 / sd
                Tm[j0, j] = -mu / sd
    Zs = Z @ Tm
    a0 = _start(prof.y, prof.v, prof.X, Zs)
    a_s, ok, its = _newton(prof, Zs, a0, maxiter)
    return Tm @ a_s, ok, its


# long: the rma.ls kernel step by step as metafor (alpha by Newton, beta by WLS, tests, QE, I2, fit statistics, LRT)
def location_scale(
    yi: Any,
    vi: Any,
    mods: Any = None,
    scale: Any = None,
    *,
    method: Literal["REML", "ML"] = "REML",
    test: Literal["z", "t"] = "z",
    link: Literal["log"] = "log",
    level: float = 95,
    maxiter: int = 500,
) -> LocationScaleResult:
    """Fit metafor's ``rma(yi, vi, mods=X, scale=Z, method=, test=, link="log")``.

    ``mods`` and ``scale`` are design matrices with one row per study, their intercept column
    included (as metafor's model matrices; default: intercept only).  A 1-D array is one column.
    """
    method = check_choice("method", method, LS_METHODS)
    test = check_choice("test", test, LS_TESTS)
    link = check_choice("link", link, LS_LINKS)
    lvl = check_level(level)
    y = np.asarray(yi, dtype=float).reshape(-1)
    v = np.asarray(vi, dtype=float).reshape(-1)
    k = len(y)
    if len(v) != k:
        raise InputError(f"vi has {len(v)} values but yi has {k}", column="vi", has_value=False,
                         fix="give one sampling variance per study")
    check_finite_effects(y, v, "studies")
    X = _design("mods", mods, k)
    Z = _design("scale", scale, k)
    p, q = X.shape[1], Z.shape[1]
    if k - p < 1 or k < q + p:
        raise InputError(f"too few studies (k = {k}) for {p} location and {q} scale coefficient(s)",
                         has_value=False, fix="use fewer moderators")
    prof = _Profile(y, v, X, method == "REML")
    notes: list[Note] = []
    alpha, ok, its = _fit_alpha(prof, Z, maxiter)
    if not ok:
        notes.append(Note(NoteCode.NO_CONVERGENCE, f"The scale coefficients did not converge in {maxiter} Newton "
                                                   "iterations; the last values are reported."))
    tau2 = np.exp(Z @ alpha)
    ll, beta, vb, _P = prof.parts(tau2)
    hess = _grad_hess(prof, Z, alpha)[2]
    try:
        va = np.linalg.inv(-hess)
        va = 0.5 * (va + va.T)
        if np.any(np.diag(va) <= 0):
            raise np.linalg.LinAlgError
    except np.linalg.LinAlgError:
        va = np.full((q, q), np.nan)
        notes.append(Note(NoteCode.NO_CONVERGENCE, "The Hessian of the scale coefficients is not negative "
                                                   "definite; their standard errors are not available."))
    if np.any(tau2 < _TINY_TAU2 * float(np.median(v))):
        notes.append(Note(NoteCode.NO_CONVERGENCE, "One or more tau2 values approach 0 (a scale coefficient heads "
                                                   "to minus infinity); treat the scale part with caution."))
    # location part
    se = np.sqrt(np.diag(vb))
    zval = beta / se
    df: int | None = k - p if test == "t" else None
    pval, crit = wald_pval_crit(zval, df, lvl)
    idx_b = list(range(1, p)) if (p > 1 and _is_intercept(X[:, 0])) else list(range(p))
    qm, qm_df, qm_p = _wald(beta, vb, idx_b, df)
    # scale part
    a_se = np.sqrt(np.diag(va))
    a_z = alpha / a_se
    a_df: int | None = k - q if test == "t" else None
    a_p, a_crit = wald_pval_crit(a_z, a_df, lvl)
    z_int = [j for j in range(q) if _is_intercept(Z[:, j])]
    idx_a = [j for j in range(q) if j not in z_int[:1]] if (q > 1 and z_int) else list(range(q))
    qs, qs_df, qs_p = _wald(alpha, va, idx_a, a_df)
    # residual heterogeneity (sampling variances only) and I2 per study (metafor i2def "1")
    w = 1.0 / v
    XW = X.T * w
    P_fe = np.diag(w) - XW.T @ np.linalg.solve(XW @ X, XW)
    qe = max(0.0, float(y @ P_fe @ y))
    vt = (k - p) / float(np.trace(P_fe))
    i2 = tau2 / (vt + tau2)
    parms = p + q
    ll_sat = float(np.sum(-0.5 * _LOG2PI - 0.5 * np.log(v)))
    fs = _from_ll(ll, ll_sat, method, parms, k, p)
    # LRT of the scale part against scale = ~ 1
    lrt = lrt_p = ll_red = float("nan")
    lrt_df = 0
    if q > 1 and z_int:
        a1, _ok1, _ = _newton(prof, np.ones((k, 1)), np.array([float(np.log(np.mean(tau2)))]), maxiter)
        ll_red = _ll_alpha(prof, np.ones((k, 1)), a1)
        lrt_df = q - 1
        lrt = max(0.0, 2.0 * (ll - ll_red))
        lrt_p = float(sps.chi2.sf(lrt, lrt_df))
    return LocationScaleResult(
        k=k, p=p, q=q, beta=beta, vb=vb, se=se, zval=zval, pval=pval, ci_low=beta - crit * se,
        ci_high=beta + crit * se, df=df, alpha=alpha, va=va, alpha_se=a_se, alpha_zval=a_z, alpha_pval=a_p,
        alpha_ci_low=alpha - a_crit * a_se, alpha_ci_high=alpha + a_crit * a_se, alpha_df=a_df, tau2=tau2, i2=i2,
        qe=qe, qe_df=k - p, qe_pvalue=float(sps.chi2.sf(qe, k - p)), qm=qm, qm_df=qm_df, qm_pvalue=qm_p, qs=qs,
        qs_df=qs_df, qs_pvalue=qs_p, lrt=lrt, lrt_df=lrt_df, lrt_pvalue=lrt_p, loglik_reduced=ll_red,
        fit_statistics=fs, yi=y, vi=v, X=X, Z=Z, method=method, test=test, link=link, level=lvl, converged=ok,
        iterations=its, notes=tuple(notes),
    )
