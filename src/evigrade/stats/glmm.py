"""Generalised linear mixed models for 2x2 tables, as metafor 3.8's ``rma.glmm(measure="OR")``.

Four models for the log odds ratio (metafor's names; study i has ``ai`` events of ``n1i`` in the
treatment arm and ``ci`` of ``n2i`` in the control arm):

* ``"UM.FS"`` unconditional model, fixed study effects: logistic regression of the arm counts with
  a fixed intercept per study, the treatment effect ``beta`` and (``method="ML"``) a random
  treatment effect ``b_i ~ N(0, tau2)`` entering the two arms as ``+b_i/2`` and ``-b_i/2``
  (metafor: ``glmer(... ~ -1 + X.fit + study + (group - 1 | study), nAGQ=7)``).
* ``"UM.RS"`` unconditional model, random study effects: one fixed intercept, random study
  intercepts ``N(0, sigma2)`` and (``"ML"``) an independent random treatment effect
  (``glmer(... + (group || study))``; metafor forces ``nAGQ=1``, the Laplace approximation, for it).
* ``"CM.EL"`` conditional model, exact likelihood: conditional on the total number of events, ``ai``
  follows Fisher's noncentral hypergeometric distribution with odds ratio ``exp(theta_i)``;
  ``theta_i ~ N(beta, tau2)`` is integrated out numerically.
* ``"CM.AL"`` conditional model, approximate likelihood: the binomial approximation
  ``ai ~ Bin(ai + ci, expit(theta_i + log(n1i/n2i)))`` with ``theta_i ~ N(beta, tau2)`` (``glmer``).

``method="FE"`` drops the random treatment effect (``tau2 = 0``).

How the numbers are made to agree with metafor:

* The glm() fits (method="FE" of UM.FS and CM.AL, and the saturated models of the heterogeneity
  tests) follow R's ``glm.fit`` step by step (its starting values, IRLS updates, R's clamped logit
  link and its stopping rule), so that the saturated fits, whose coefficients diverge when a study has
  a zero cell, stop where R's stop; their covariance is R's (from the last IRLS weights).
* The glmer() fits maximise lme4's adaptive Gauss-Hermite approximation (``nAGQ`` nodes at the
  conditional modes of the random effects, the Laplace approximation when ``nAGQ=1``) of the
  marginal likelihood over (theta, beta) jointly, as lme4's second stage; the standard errors come from
  the inverse Hessian of that objective over (theta, beta), as lme4's ``vcov()``.  The maximum is found
  to about 1e-9 by Newton's method (the per-study fixed effects of UM.FS enter one study each, so the
  Hessian is formed from a handful of evaluations).  lme4's default Nelder-Mead stops earlier.
* CM.EL integrates over the random effect with adaptive Gauss-Hermite quadrature (64 nodes at each
  study's posterior mode; metafor calls ``integrate()``), and its gradient and Hessian come from the
  same quadrature, so the maximum and the standard errors are exact to about 1e-10.
* The log-likelihood that metafor reports for the glmer models is its own
  ``ll.QE - deviance(fit)/2`` (the conditional likelihood at the random effects' modes); for UM.RS
  lme4's ``logLik``.  Both are reproduced.

Heterogeneity: the Wald-type and likelihood-ratio tests of metafor (``QE.Wld``, ``QE.LRT``) against
the saturated model with one treatment effect per study (k - 1 df).  For CM.EL and UM.RS the saturated
model's effects of studies with a zero cell (arms without events, for UM.RS) are infinite; metafor's
optimiser stops somewhere far out, where their contribution is small but, for the Wald statistic, not always
nil, so both statistics are taken at the limit (the arm fitted exactly, its effect's variance infinite).
For UM.FS and CM.AL the saturated model is a glm() and R's own stopping point is reproduced.  I²
and H² are metafor's (from the per-study log odds ratios with 1/2 added to tables with a zero cell).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Literal

import numpy as np
from scipy import special as spsp

from .. import _dist as sps
from .._validate import check_choice, check_level
from ..errors import InputError, SpecError
from ..notes import NoteCode
from ..results import Note, ResultMixin, json_keys
from .mh import _cells, escalc_2x2
from .results import PooledEstimate

__all__ = ["GlmmResult", "rma_glmm", "GLMM_MODELS", "GLMM_METHODS"]

GLMM_MODELS: tuple[str, ...] = ("UM.FS", "UM.RS", "CM.EL", "CM.AL")
GLMM_METHODS: tuple[str, ...] = ("ML", "FE")
_DBL_EPS = float(np.finfo(float).eps)
#: metafor's .dnchgi clamps the log odds ratio to [log 1e-12, log 1e12] inside the exact likelihood
_LOGOR_CLAMP = 12 * math.log(10.0)
#: Gauss-Hermite nodes for the CM.EL integral (adaptive: at each study's posterior mode)
_CMEL_NODES = 64
#: CM.EL: below this tau2 the maximiser is taken to be at the boundary tau2 = 0
_CMEL_TAU2_MIN = 1e-8


@json_keys("model", "method", "measure", "estimate", "se", "zval", "pval", "ci_low", "ci_high", "tau2", "tau2_se",
           "sigma2", "i2", "h2", "qe_wald", "qe_wald_pvalue", "qe_lrt", "qe_lrt_pvalue", "qe_df", "loglik", "deviance",
           "aic", "bic", "aicc", "objective_loglik", "k", "k_all", "test", "df", "level", "nagq", "notes")
@dataclass(frozen=True, slots=True, kw_only=True)
class GlmmResult(PooledEstimate, ResultMixin):
    """A fitted ``rma.glmm`` model (log odds ratio).

    ``tau2`` is the variance of the random treatment effect (0 for ``method="FE"``); ``sigma2`` the
    variance of the random study intercepts of UM.RS (NaN otherwise); ``tau2_se`` exists for CM.EL
    only (as metafor).  ``loglik`` and the fit statistics are metafor's ``fit.stats``;
    ``objective_loglik`` is the maximised criterion (lme4's ``logLik()`` of the glmer fit, or CM.EL's exact
    log-likelihood).  ``qe_wald``/``qe_lrt`` test homogeneity against the saturated model (``qe_df = k - 1``).
    """

    model: str
    method: str
    measure: str
    sigma2: float
    i2: float
    h2: float
    qe_wald: float
    qe_wald_pvalue: float
    qe_lrt: float
    qe_lrt_pvalue: float
    qe_df: int
    loglik: float
    deviance: float
    aic: float
    bic: float
    aicc: float
    objective_loglik: float
    k_all: int
    test: str
    df: int | None
    nagq: int


# ---------------------------------------------------------------------------------------------------------------
# binomial GLM pieces, as R (stats:::binomial, glm.fit)


def _linkinv(eta: np.ndarray) -> np.ndarray:
    """R's C_logit_linkinv (clamped at |eta| > 30)."""
    with np.errstate(over="ignore"):
        tmp = np.where(eta < -30, _DBL_EPS, np.where(eta > 30, 1 / _DBL_EPS, np.exp(np.clip(eta, -30, 30))))
    out: np.ndarray = tmp / (1 + tmp)
    return out


def _mu_eta(eta: np.ndarray) -> np.ndarray:
    """R's C_logit_mu_eta."""
    ope = np.exp(np.clip(eta, -30, 30))
    out: np.ndarray = np.where(np.abs(eta) > 30, _DBL_EPS, ope / ((1 + ope) * (1 + ope)))
    return out


def _ylogy(y: np.ndarray, mu: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        out: np.ndarray = np.where(y != 0, y * np.log(y / mu), 0.0)
    return out


def _dev_resids(yp: np.ndarray, mu: np.ndarray, n: np.ndarray) -> np.ndarray:
    """R's binomial deviance residuals (yp = proportion, n = prior weights)."""
    out: np.ndarray = 2 * n * (_ylogy(yp, mu) + _ylogy(1 - yp, 1 - mu))
    return out


def _logdbinom(y: np.ndarray, n: np.ndarray, mu: np.ndarray) -> float:
    """sum(dbinom(y, n, mu, log=TRUE))."""
    lc = spsp.gammaln(n + 1) - spsp.gammaln(y + 1) - spsp.gammaln(n - y + 1)
    return float(np.sum(lc + spsp.xlogy(y, mu) + spsp.xlog1py(n - y, -mu)))


@dataclass(frozen=True, slots=True)
class _GlmFit:
    coef: np.ndarray
    cov: np.ndarray
    mu: np.ndarray
    loglik: float
    converged: bool
    boundary: bool  # fitted probabilities numerically 0 or 1


def _glm_fit(X: np.ndarray, y: np.ndarray, n: np.ndarray, offset: np.ndarray | None = None,
             epsilon: float = 1e-8, maxit: int = 25) -> _GlmFit:
    """``glm(cbind(y, n - y) ~ -1 + X, offset, family=binomial)`` following R's ``glm.fit`` iterations.

    ``X`` must have full column rank (aliased columns removed by the caller, where R reports NA)."""
    off = np.zeros(len(y)) if offset is None else offset
    yp = np.where(n == 0, 0.0, y / np.where(n == 0, 1, n))
    mu = (n * yp + 0.5) / (n + 1)
    eta = np.log(mu / (1 - mu))
    devold = float(np.sum(_dev_resids(yp, mu, n)))
    conv = False
    coef = np.zeros(X.shape[1])
    wx = X
    for _ in range(maxit):
        mue = _mu_eta(eta)
        z = eta - off + (yp - mu) / mue
        w = np.sqrt(n * mue ** 2 / (mu * (1 - mu)))
        wx = X * w[:, None]
        coef = np.linalg.lstsq(wx, z * w, rcond=None)[0]
        eta = X @ coef + off
        mu = _linkinv(eta)
        dev = float(np.sum(_dev_resids(yp, mu, n)))
        if abs(dev - devold) / (abs(dev) + 0.1) < epsilon:
            conv = True
            break
        devold = dev
    _, r = np.linalg.qr(wx)
    rinv = np.linalg.inv(r)
    cov = rinv @ rinv.T
    eps10 = 10 * _DBL_EPS
    return _GlmFit(coef=coef, cov=cov, mu=mu, loglik=_logdbinom(y, n, mu), converged=conv,
                   boundary=bool(np.any(mu > 1 - eps10) or np.any(mu < eps10)))


# ---------------------------------------------------------------------------------------------------------------
# lme4's Laplace / adaptive Gauss-Hermite objective for one scalar random effect per study


def _gh_rule(nagq: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """lme4's ``GHrule(nAGQ)``: nodes, weights (summing to 1, for the standard normal) and log dnorm(node)."""
    z, w = np.polynomial.hermite_e.hermegauss(nagq)
    w = w / math.sqrt(2 * math.pi)
    return z, w, sps.norm.logpdf(z)


class _ScalarRE:
    """Binomial rows (y of n), fixed design X, one random effect per study g entering as theta*zr*u_g."""

    def __init__(self, X: np.ndarray, y: np.ndarray, n: np.ndarray, g: np.ndarray, zr: np.ndarray,
                 offset: np.ndarray, nagq: int) -> None:
        self.X, self.y, self.n, self.g, self.zr, self.off = X, y, n, g, zr, offset
        self.yp = y / n
        self.ng = int(g.max()) + 1
        self.nagq = nagq
        self.gh = _gh_rule(nagq)
        self.u0 = np.zeros(self.ng)

    def _gsum(self, v: np.ndarray) -> np.ndarray:
        return np.bincount(self.g, weights=v, minlength=self.ng)

    def modes(self, theta: float, eta_fix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Conditional modes u0 of the random effects and their conditional sd (1 / Cholesky factor)."""
        u = self.u0.copy() if np.all(np.isfinite(self.u0)) else np.zeros(self.ng)
        tz = theta * self.zr
        f0 = self._devc(theta, eta_fix, u)
        for _ in range(200):
            eta = eta_fix + tz * u[self.g]
            mu = _linkinv(eta)
            grad = self._gsum(tz * (self.y - self.n * mu)) - u
            curv = 1 + self._gsum(tz * tz * self.n * mu * (1 - mu))
            step = grad / curv
            # Newton with step halving per study (a large study started far from its mode overshoots)
            lam = np.ones(self.ng)
            for _ in range(60):
                f1 = self._devc(theta, eta_fix, u + lam * step)
                bad = ~(f1 <= f0 + 1e-9 * (1 + np.abs(f0)))  # clearly worse (not rounding)
                if not bad.any():
                    break
                lam[bad] /= 2
            u, f0 = u + lam * step, f1
            if np.max(np.abs(lam * step)) < 1e-13 * max(1.0, float(np.max(np.abs(u)))):
                break
        mu = _linkinv(eta_fix + tz * u[self.g])
        curv = 1 + self._gsum(tz * tz * self.n * mu * (1 - mu))
        self.u0 = u
        return u, 1 / np.sqrt(curv)

    def _devc(self, theta: float, eta_fix: np.ndarray, u: np.ndarray) -> np.ndarray:
        mu = _linkinv(eta_fix + theta * self.zr * u[self.g])
        out: np.ndarray = u * u + self._gsum(_dev_resids(self.yp, mu, self.n))
        return out

    def group_dev(self, theta: float, beta: np.ndarray) -> np.ndarray:
        """lme4's per-study deviance (Laplace for nAGQ=1, else its AGQ formula)."""
        eta_fix = self.X @ beta + self.off
        u0, sd = self.modes(theta, eta_fix)
        devc0 = self._devc(theta, eta_fix, u0)
        base = devc0 - 2 * np.log(sd)
        if self.nagq == 1:
            out: np.ndarray = base
            return out
        z, w, ldn = self.gh
        terms = np.empty((len(z), self.ng))
        for j in range(len(z)):
            terms[j] = math.log(w[j]) - 0.5 * (self._devc(theta, eta_fix, u0 + z[j] * sd) - devc0) - ldn[j]
        out = base - 2 * spsp.logsumexp(terms, axis=0)
        return out

    def cond_dev(self, theta: float, beta: np.ndarray) -> float:
        """Sum of the deviance residuals at the conditional modes (lme4's ``deviance()`` of a GLMM)."""
        eta_fix = self.X @ beta + self.off
        u0, _ = self.modes(theta, eta_fix)
        mu = _linkinv(eta_fix + theta * self.zr * u0[self.g])
        return float(np.sum(_dev_resids(self.yp, mu, self.n)))


class _TwoRE:
    """UM.RS with method="ML": two independent random effects per study (intercept, and treatment entering as
    +-1/2), lme4's Laplace approximation (metafor forces nAGQ=1 here)."""

    def __init__(self, X: np.ndarray, y: np.ndarray, n: np.ndarray, g: np.ndarray, zr: np.ndarray) -> None:
        self.X, self.y, self.n, self.g, self.zr = X, y, n, g, zr
        self.yp = y / n
        self.ng = int(g.max()) + 1
        self.u0 = np.zeros((self.ng, 2))

    def _gsum(self, v: np.ndarray) -> np.ndarray:
        return np.bincount(self.g, weights=v, minlength=self.ng)

    def _state(self, th: np.ndarray, eta_fix: np.ndarray, u: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        a1, a2 = th[0] * np.ones_like(self.zr), th[1] * self.zr  # Z Lambda, per row
        mu = _linkinv(eta_fix + a1 * u[self.g, 0] + a2 * u[self.g, 1])
        w = self.n * mu * (1 - mu)
        r = self.y - self.n * mu
        grad = np.column_stack([self._gsum(a1 * r), self._gsum(a2 * r)]) - u
        h11 = 1 + self._gsum(a1 * a1 * w)
        h12 = self._gsum(a1 * a2 * w)
        h22 = 1 + self._gsum(a2 * a2 * w)
        return mu, grad, np.stack([h11, h12, h22], axis=1)

    def _devc(self, th: np.ndarray, eta_fix: np.ndarray, u: np.ndarray) -> np.ndarray:
        mu = _linkinv(eta_fix + th[0] * u[self.g, 0] + th[1] * self.zr * u[self.g, 1])
        out: np.ndarray = (u * u).sum(axis=1) + self._gsum(_dev_resids(self.yp, mu, self.n))
        return out

    def group_dev(self, th: np.ndarray, beta: np.ndarray) -> np.ndarray:
        eta_fix = self.X @ beta
        u = self.u0.copy() if np.all(np.isfinite(self.u0)) else np.zeros((self.ng, 2))
        f0 = self._devc(th, eta_fix, u)
        for _ in range(200):
            _, grad, h = self._state(th, eta_fix, u)
            det = h[:, 0] * h[:, 2] - h[:, 1] ** 2
            step = np.column_stack([(h[:, 2] * grad[:, 0] - h[:, 1] * grad[:, 1]) / det,
                                    (h[:, 0] * grad[:, 1] - h[:, 1] * grad[:, 0]) / det])
            lam = np.ones(self.ng)  # step halving per study, as in _ScalarRE.modes
            for _ in range(60):
                f1 = self._devc(th, eta_fix, u + lam[:, None] * step)
                bad = ~(f1 <= f0 + 1e-9 * (1 + np.abs(f0)))  # clearly worse (not rounding)
                if not bad.any():
                    break
                lam[bad] /= 2
            u, f0 = u + lam[:, None] * step, f1
            if np.max(np.abs(lam[:, None] * step)) < 1e-13 * max(1.0, float(np.max(np.abs(u)))):
                break
        self.u0 = u
        mu, _, h = self._state(th, eta_fix, u)
        det = h[:, 0] * h[:, 2] - h[:, 1] ** 2
        out: np.ndarray = (u * u).sum(axis=1) + self._gsum(_dev_resids(self.yp, mu, self.n)) + np.log(det)
        return out


def _newton_max(dev_groups: Callable[[np.ndarray], np.ndarray], x0: np.ndarray, local: np.ndarray,
                ) -> tuple[np.ndarray, np.ndarray, bool]:
    """Minimise sum(dev_groups(x)) over x; ``local[j] = g`` when x[j] enters only study g's deviance (else -1).

    The derivatives are central differences in which all study-local parameters move together (each
    touches only its own study's deviance), so a Newton step costs O(shared²) evaluations.  Returns
    (x, Hessian of the summed deviance at x, converged)."""
    shared = np.flatnonzero(local < 0)
    loc = np.flatnonzero(local >= 0)
    loc_g = local[loc]

    def derivs(x: np.ndarray, h: float) -> tuple[np.ndarray, np.ndarray]:
        dirs = [np.eye(len(x))[j] for j in shared]
        if len(loc):
            e = np.zeros(len(x))
            e[loc] = 1.0
            dirs.append(e)
        m = len(dirs)
        f0 = dev_groups(x)
        fp = [dev_groups(x + h * d) for d in dirs]
        fm = [dev_groups(x - h * d) for d in dirs]
        grad_g = [(a - b) / (2 * h) for a, b in zip(fp, fm)]
        hess_g: list[list[np.ndarray]] = [[f0] * m for _ in range(m)]
        for i in range(m):
            hess_g[i][i] = (fp[i] - 2 * f0 + fm[i]) / h ** 2
            for j in range(i):
                fpp = dev_groups(x + h * (dirs[i] + dirs[j]))
                fmm = dev_groups(x - h * (dirs[i] + dirs[j]))
                # f(x+hi+hj) + f(x-hi-hj) - 2 f0 = h²(Hii + Hjj + 2 Hij)
                hess_g[i][j] = hess_g[j][i] = ((fpp + fmm - 2 * f0) / h ** 2 - hess_g[i][i] - hess_g[j][j]) / 2
        nx = len(x)
        grad = np.zeros(nx)
        H = np.zeros((nx, nx))
        ns = len(shared)
        for a, ja in enumerate(shared):
            grad[ja] = grad_g[a].sum()
            for b, jb in enumerate(shared):
                H[ja, jb] = hess_g[a][b].sum()
            if len(loc):
                H[ja, loc] = H[loc, ja] = hess_g[a][ns][loc_g]
        if len(loc):
            grad[loc] = grad_g[ns][loc_g]
            H[loc, loc] = hess_g[ns][ns][loc_g]
        return grad, H

    def total(x: np.ndarray) -> float:
        v = float(np.sum(dev_groups(x)))
        return v if math.isfinite(v) else math.inf

    x = x0.astype(float).copy()
    conv = False
    for _ in range(100):
        grad, H = derivs(x, 1e-4)
        try:
            step = np.linalg.solve(H, grad)
        except np.linalg.LinAlgError:
            step = grad
        if not np.all(np.isfinite(step)) or float(grad @ step) <= 0:
            step = grad / max(1.0, float(np.max(np.abs(np.diag(H)))))
        f0, lam = total(x), 1.0
        while lam > 1e-8 and not total(x - lam * step) <= f0 + 1e-12 * abs(f0):
            lam /= 2
        if lam <= 1e-8:
            conv = bool(np.max(np.abs(grad)) < 1e-5)
            break
        x = x - lam * step
        # converged: the step is tiny, or the predicted decrease of the deviance is below rounding
        if np.max(np.abs(lam * step)) < 1e-10 or (lam == 1.0 and 0.5 * float(grad @ step) < 1e-16):
            conv = True
            break
    # Richardson-extrapolated Hessian for the standard errors
    _, H1 = derivs(x, 2e-3)
    _, H2 = derivs(x, 1e-3)
    return x, (4 * H2 - H1) / 3, conv


# ---------------------------------------------------------------------------------------------------------------
# CM.EL: Fisher's noncentral hypergeometric


class _Fnch:
    """log P(ai | margins; log OR) for each study, with its first two derivatives (mean and variance of the count)."""

    def __init__(self, a: np.ndarray, b: np.ndarray, c: np.ndarray, d: np.ndarray) -> None:
        self.x = a
        self.supp: list[np.ndarray] = []
        self.logc: list[np.ndarray] = []
        for ai, bi, ci, di in zip(a, b, c, d):
            n1, n2, m = ai + bi, ci + di, ai + ci
            u = np.arange(max(0, m - n2), min(n1, m) + 1, dtype=float)
            self.supp.append(u)
            self.logc.append(spsp.gammaln(n1 + 1) - spsp.gammaln(u + 1) - spsp.gammaln(n1 - u + 1)
                             + spsp.gammaln(n2 + 1) - spsp.gammaln(m - u + 1) - spsp.gammaln(n2 - m + u + 1))
        self.xidx = [int(xi - u[0]) for xi, u in zip(a, self.supp)]

    def study(self, i: int, psi: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """log P_i, E[U], Var[U] at the (clamped) log odds ratios ``psi`` (any shape)."""
        ps = np.clip(np.asarray(psi, dtype=float), -_LOGOR_CLAMP, _LOGOR_CLAMP)
        u, lc = self.supp[i], self.logc[i]
        t = lc + np.multiply.outer(ps, u)
        lse = spsp.logsumexp(t, axis=-1)
        p = np.exp(t - lse[..., None])
        mean = p @ u
        var = p @ (u * u) - mean * mean
        return t[..., self.xidx[i]] - lse, mean, np.maximum(var, 0.0)


def _cmel_fe(fn: _Fnch, k: int) -> tuple[float, float, float]:
    """Conditional MLE of a common log odds ratio: (beta, information, log-likelihood)."""
    beta = 0.0
    for _ in range(200):
        g = h = 0.0
        for i in range(k):
            _, m, v = fn.study(i, np.array(beta))
            g += float(fn.x[i] - m)
            h += float(v)
        step = g / h
        beta = float(np.clip(beta + step, -_LOGOR_CLAMP, _LOGOR_CLAMP))
        if abs(step) < 1e-14 * max(1.0, abs(beta)):
            break
    ll = info = 0.0
    for i in range(k):
        lp, _, v = fn.study(i, np.array(beta))
        ll += float(lp)
        info += float(v)
    return beta, info, ll


def _cmel_saturated(fn: _Fnch, k: int) -> tuple[np.ndarray, np.ndarray, float]:
    """Each study's own conditional MLE (at metafor's clamp when infinite): (psi, information, log-likelihood)."""
    psi = np.zeros(k)
    info = np.zeros(k)
    ll = 0.0
    for i in range(k):
        u = fn.supp[i]
        x = fn.x[i]
        if x <= u[0] or x >= u[-1]:  # the count at the edge of its support: MLE at -inf / +inf (clamped)
            b = -_LOGOR_CLAMP if x <= u[0] else _LOGOR_CLAMP
            if len(u) == 1:
                b = 0.0
        else:
            b = 0.0
            for _ in range(200):
                _, m, v = fn.study(i, np.array(b))
                step = float((x - m) / v)
                b += step
                if abs(step) < 1e-14 * max(1.0, abs(b)):
                    break
        lp, _, v = fn.study(i, np.array(b))
        psi[i], info[i] = b, float(v)
        ll += float(lp)
    return psi, info, ll


class _CmelML:
    """Marginal log-likelihood of CM.EL: sum_i log ∫ P_i(theta) N(theta; mu, tau2) dtheta, by adaptive GH."""

    def __init__(self, fn: _Fnch, k: int) -> None:
        self.fn, self.k = fn, k
        z, w = np.polynomial.hermite_e.hermegauss(_CMEL_NODES)
        self.z, self.logw = z, np.log(w / math.sqrt(2 * math.pi)) - sps.norm.logpdf(z)

    def _center(self, mu: float, v: float) -> tuple[np.ndarray, np.ndarray]:
        c = np.zeros(self.k)
        s = np.zeros(self.k)
        for i in range(self.k):
            t = mu
            for _ in range(100):
                _, m, var = self.fn.study(i, np.array(t))
                gr = float(self.fn.x[i] - m) - (t - mu) / v
                cu = float(var) + 1 / v
                step = gr / cu
                t += step
                if abs(step) < 1e-12:
                    break
            _, _, var = self.fn.study(i, np.array(t))
            c[i], s[i] = t, 1 / math.sqrt(float(var) + 1 / v)
        return c, s

    def eval(self, mu: float, v: float, nodes: tuple[np.ndarray, np.ndarray] | None = None,
             ) -> tuple[float, np.ndarray, np.ndarray]:
        """(log-likelihood, gradient, Hessian) in (mu, v = tau2), exact for the quadrature at ``nodes``."""
        c, s = self._center(mu, v) if nodes is None else nodes
        ll = 0.0
        g = np.zeros(2)
        H = np.zeros((2, 2))
        for i in range(self.k):
            th = c[i] + s[i] * self.z
            lp, _, _ = self.fn.study(i, th)
            r = th - mu
            lphi = -0.5 * math.log(2 * math.pi * v) - r * r / (2 * v)
            lt = self.logw + math.log(s[i]) + lp + lphi
            lse = float(spsp.logsumexp(lt))
            p = np.exp(lt - lse)
            d1 = np.vstack([r / v, -1 / (2 * v) + r * r / (2 * v * v)])  # d log phi / d(mu, v)
            e1 = d1 @ p
            d2 = np.array([[-1 / v * np.ones_like(r), -r / v ** 2], [-r / v ** 2, 1 / (2 * v * v) - r * r / v ** 3]])
            e2 = np.einsum("abq,q->ab", d2, p) + (d1 * p) @ d1.T - np.outer(e1, e1)
            ll += lse
            g += e1
            H += e2
        return ll, g, H

    def fit(self, mu0: float, v0: float) -> tuple[float, float, float, np.ndarray, bool]:
        """Maximise over (mu, log tau2) by Newton; returns (mu, tau2, ll, Hessian of -ll in (mu, tau2), converged)."""
        x = np.array([mu0, math.log(v0)])
        conv = False

        def ll_at(xx: np.ndarray) -> float:
            return self.eval(float(xx[0]), math.exp(xx[1]))[0]

        for _ in range(200):
            mu, v = float(x[0]), math.exp(x[1])
            ll, g, H = self.eval(mu, v)
            # chain rule to (mu, log v)
            gt = np.array([g[0], g[1] * v])
            Ht = np.array([[H[0, 0], H[0, 1] * v], [H[0, 1] * v, H[1, 1] * v * v + g[1] * v]])
            try:
                step = -np.linalg.solve(Ht, gt)
            except np.linalg.LinAlgError:
                step = gt
            if not np.all(np.isfinite(step)) or float(gt @ step) <= 0:
                step = gt / max(1.0, float(np.max(np.abs(np.diag(Ht)))))
            lam = 1.0
            while lam > 1e-8 and not ll_at(x + lam * step) >= ll - 1e-12 * abs(ll):
                lam /= 2
            if lam <= 1e-8:
                conv = bool(np.max(np.abs(gt)) < 1e-6)
                break
            x = x + lam * step
            if np.max(np.abs(lam * step)) < 1e-11:
                conv = True
                break
            if x[1] < math.log(_CMEL_TAU2_MIN):  # heading for the boundary tau2 = 0
                conv = True
                break
        mu, v = float(x[0]), math.exp(x[1])
        ll, _, H = self.eval(mu, v)
        return mu, v, ll, -H, conv


# ---------------------------------------------------------------------------------------------------------------


def _check_nagq(nagq: Any) -> int:
    if isinstance(nagq, bool) or not isinstance(nagq, (int, np.integer)) or nagq < 1 or nagq > 25:
        raise SpecError(f"nagq={nagq!r} must be a whole number from 1 to 25 (lme4's nAGQ; metafor's default is 7)")
    return int(nagq)


def _wald_qe(b2: np.ndarray, V2: np.ndarray) -> float:
    if len(b2) == 0:
        return 0.0
    try:
        L = np.linalg.cholesky(V2)
    except np.linalg.LinAlgError:
        return math.nan
    y = np.linalg.solve(L, b2)
    return float(y @ y)


@dataclass(frozen=True, slots=True)
class _Fit:
    """What one model's fitter hands back to :func:`rma_glmm`."""

    beta: float
    var: float
    ll: float  # metafor's fit.stats ll
    ll_fe: float  # the model without the random treatment effect (heterogeneity LRT)
    ll_qe: float  # the saturated model
    qe_wald: float
    parms: int
    obj_ll: float
    tau2: float = 0.0
    tau2_se: float = math.nan
    sigma2: float = math.nan
    conv: bool = True


def _arms(a: np.ndarray, b: np.ndarray, c: np.ndarray, d: np.ndarray
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Arm-level rows (treatment, control per study): events, sizes, study index, group1 (1/0), group (+-1/2)."""
    k = len(a)
    return (np.column_stack([a, c]).ravel(), np.column_stack([a + b, c + d]).ravel(), np.repeat(np.arange(k), 2),
            np.tile([1.0, 0.0], k), np.tile([0.5, -0.5], k))


def _fit_umfs(a: np.ndarray, b: np.ndarray, c: np.ndarray, d: np.ndarray, method: str, nagq: int,
              notes: list[Note]) -> _Fit:
    k, p = len(a), 1
    y2, n2r, g, group1, group12 = _arms(a, b, c, d)
    S = np.zeros((2 * k, k))
    S[np.arange(2 * k), g] = 1.0
    Xfe = np.column_stack([group1, S])
    fe = _glm_fit(Xfe, y2, n2r)
    qe = _glm_fit(np.column_stack([group1, S, S[:, :-1] * group1[:, None]]), y2, n2r)
    qe_wald = _wald_qe(qe.coef[k + p:], qe.cov[k + p:, k + p:])
    if method == "FE":
        return _Fit(float(fe.coef[0]), float(fe.cov[0, 0]), fe.loglik, fe.loglik, qe.loglik, qe_wald, p + k,
                    fe.loglik, conv=fe.converged)
    re = _ScalarRE(Xfe, y2, n2r, g, group12, np.zeros(2 * k), nagq)

    def devg(x: np.ndarray) -> np.ndarray:
        return re.group_dev(float(x[0]), x[1:])

    x, H, conv = _newton_max(devg, np.concatenate([[0.5], fe.coef]), np.concatenate([[-1, -1], np.arange(k)]))
    return _Fit(float(x[1]), _vcov_beta(H, 1, notes), qe.loglik - 0.5 * re.cond_dev(float(x[0]), x[1:]), fe.loglik,
                qe.loglik, qe_wald, p + k + 1, _lme4_loglik(re, devg(x), nagq), tau2=float(x[0]) ** 2, conv=conv)


def _fit_umrs(a: np.ndarray, b: np.ndarray, c: np.ndarray, d: np.ndarray, method: str, nagq: int,
              notes: list[Note]) -> _Fit:
    """UM.RS: one fixed intercept, random study intercepts (and, for ML, a random treatment effect)."""
    k, p = len(a), 1
    y2, n2r, g, group1, group12 = _arms(a, b, c, d)
    nq = 1 if method == "ML" else nagq  # metafor: nAGQ > 1 is not possible with two random effects
    Xrs = np.column_stack([group1, np.ones(2 * k)])
    start = _glm_fit(Xrs, y2, n2r).coef
    re_fe = _ScalarRE(Xrs, y2, n2r, g, np.ones(2 * k), np.zeros(2 * k), nq)

    def devg_fe(x: np.ndarray) -> np.ndarray:
        return re_fe.group_dev(float(x[0]), x[1:])

    x_fe, H_fe, conv = _newton_max(devg_fe, np.concatenate([[0.5], start]), np.array([-1, -1, -1]))
    ll_fe = _lme4_loglik(re_fe, devg_fe(x_fe), nq)
    ll_qe, qe_wald = _umrs_saturated(a, a + b, c, c + d, x_fe, nq, notes)
    if method == "FE":
        return _Fit(float(x_fe[1]), _vcov_beta(H_fe, 1, notes), ll_fe, ll_fe, ll_qe, qe_wald, p + 2, ll_fe,
                    sigma2=float(x_fe[0]) ** 2, conv=conv)
    re2 = _TwoRE(Xrs, y2, n2r, g, group12)

    def devg2(x: np.ndarray) -> np.ndarray:
        return re2.group_dev(x[:2], x[2:])

    x2, H2, conv = _newton_max(devg2, np.concatenate([[abs(float(x_fe[0])), 0.5], x_fe[1:]]), np.array([-1] * 4))
    ll = float(_logdbinom(y2, n2r, y2 / n2r) - 0.5 * np.sum(devg2(x2)))
    return _Fit(float(x2[2]), _vcov_beta(H2, 2, notes, ntheta=2), ll, ll_fe, ll_qe, qe_wald, p + 3, ll,
                tau2=float(x2[1]) ** 2, sigma2=float(x2[0]) ** 2, conv=conv)


def _fit_cmal(a: np.ndarray, b: np.ndarray, c: np.ndarray, d: np.ndarray, method: str, nagq: int,
              notes: list[Note]) -> _Fit:
    k, p = len(a), 1
    Xc = np.ones((k, 1))
    off = np.log((a + b) / (c + d))
    fe = _glm_fit(Xc, a, a + c, off)
    qe = _glm_fit(np.column_stack([Xc, np.eye(k)[:, :-1]]), a, a + c, off)
    qe_wald = _wald_qe(qe.coef[p:], qe.cov[p:, p:])
    if method == "FE":
        return _Fit(float(fe.coef[0]), float(fe.cov[0, 0]), fe.loglik, fe.loglik, qe.loglik, qe_wald, p, fe.loglik,
                    conv=fe.converged)
    re = _ScalarRE(Xc, a, a + c, np.arange(k), np.ones(k), off, nagq)

    def devg(x: np.ndarray) -> np.ndarray:
        return re.group_dev(float(x[0]), x[1:])

    x, H, conv = _newton_max(devg, np.array([0.5, fe.coef[0]]), np.array([-1, -1]))
    return _Fit(float(x[1]), _vcov_beta(H, 1, notes), qe.loglik - 0.5 * re.cond_dev(float(x[0]), x[1:]), fe.loglik,
                qe.loglik, qe_wald, p + 1, _lme4_loglik(re, devg(x), nagq), tau2=float(x[0]) ** 2, conv=conv)


def _fit_cmel(a: np.ndarray, b: np.ndarray, c: np.ndarray, d: np.ndarray, method: str, nagq: int,
              notes: list[Note]) -> _Fit:
    k, p = len(a), 1
    fn = _Fnch(a, b, c, d)
    bfe, info, ll_fe = _cmel_fe(fn, k)
    psi, inf_s, ll_qe = _cmel_saturated(fn, k)
    fin = (np.abs(psi) < _LOGOR_CLAMP) & (inf_s > 0)
    qe_wald = 0.0
    if fin.sum() >= 1:
        wq = inf_s[fin]
        pb = float(np.sum(wq * psi[fin]) / wq.sum())
        qe_wald = float(np.sum(wq * (psi[fin] - pb) ** 2))
    if method == "FE":
        return _Fit(bfe, 1 / info, ll_fe, ll_fe, ll_qe, qe_wald, p, ll_fe)
    # metafor starts from the CM.AL glmer fit; any good start reaches the same maximum
    mu, tau2, ll, Hn, conv = _CmelML(fn, k).fit(bfe, 0.5)
    if tau2 <= _CMEL_TAU2_MIN or not ll > ll_fe:
        # the likelihood increases towards tau2 = 0: the ML estimate is the boundary, where the model is the
        # fixed-effect one (metafor stops here: "Cannot compute var-cov matrix of the fixed effects")
        notes.append(Note(NoteCode.TAU2_TRUNCATED.value,
                          "tau2 is estimated at 0 (the likelihood is largest at the boundary): the estimate and its "
                          "standard error are those of the fixed-effect conditional model; metafor stops with an error "
                          "for these data"))
        return _Fit(bfe, 1 / info, ll_fe, ll_fe, ll_qe, qe_wald, p + 1, ll_fe)
    try:
        Vf = np.linalg.inv(Hn)
    except np.linalg.LinAlgError:
        return _Fit(mu, math.nan, ll, ll_fe, ll_qe, qe_wald, p + 1, ll, tau2=tau2, conv=False)
    return _Fit(mu, float(Vf[0, 0]), ll, ll_fe, ll_qe, qe_wald, p + 1, ll, tau2=tau2,
                tau2_se=math.sqrt(Vf[1, 1]) if Vf[1, 1] >= 0 else math.nan, conv=conv)


def rma_glmm(
    ai: Any,
    bi: Any,
    ci: Any,
    di: Any,
    *,
    measure: Literal["OR"] = "OR",
    model: Literal["UM.FS", "UM.RS", "CM.EL", "CM.AL"] = "UM.FS",
    method: Literal["ML", "FE"] = "ML",
    test: Literal["z", "t"] = "z",
    level: float = 95,
    nagq: int = 7,
    study: Any = None,
) -> GlmmResult:
    """metafor ``rma.glmm(measure="OR", ai, bi, ci, di, model=, method=, test=, level=, nAGQ=)``.

    Studies without events, or with only events, in both groups are dropped (metafor ``drop00=TRUE``)
    with a Note.  ``nagq`` is the number of adaptive Gauss-Hermite nodes of the glmer fits (1 = Laplace;
    UM.RS with ``method="ML"`` always uses 1, as metafor).
    """
    check_choice("measure", measure, ("OR",))
    model = check_choice("model", model, GLMM_MODELS, casefold=False)
    method = check_choice("method", method, GLMM_METHODS, casefold=False)
    test = check_choice("test", test, ("z", "t"))
    lvl = check_level(level)
    nagq = _check_nagq(nagq)
    a, b, c, d, labels = _cells(ai, bi, ci, di, study)
    for name, arr in zip(("ai", "bi", "ci", "di"), (a, b, c, d)):
        bad = np.flatnonzero(arr != np.round(arr))
        if len(bad):
            i = int(bad[0])
            raise InputError("count must be a whole number", label=labels[i], column=name, value=float(arr[i]),
                             fix="give the number of participants with and without the event")
    k_all = len(a)
    notes: list[Note] = []
    dropped = ((a == 0) & (c == 0)) | ((b == 0) & (d == 0))
    if dropped.any():
        names = ", ".join(labels[i] for i in np.flatnonzero(dropped))
        notes.append(NoteCode.DOUBLE_ZERO_EXCLUDED.note(
            f"{int(dropped.sum())} stud{'y' if dropped.sum() == 1 else 'ies'} without events (or with only events) "
            f"in both groups excluded from the model (metafor drop00=TRUE): {names}"))
    keep = ~dropped
    a, b, c, d = a[keep], b[keep], c[keep], d[keep]
    k = len(a)
    p = 1
    if k < (p if method == "FE" else p + 1) or k < 2:
        raise InputError(f"too few studies with events for rma.glmm (k = {k} after dropping double-zero tables)",
                         has_value=False, fix="give at least 2 studies with events (3 for method='ML')")
    if method == "ML" and k < p + 1:  # pragma: no cover - covered by the check above
        raise InputError("too few studies", has_value=False)
    # I², H² from escalc's per-study log odds ratios (1/2 added to tables with a zero cell)
    yi, vi, _, _ = escalc_2x2("OR", a, b, c, d, add=0.5, to="only0", drop00=True)
    ok = np.isfinite(yi) & np.isfinite(vi)
    w = 1 / vi[ok]
    kyi = int(ok.sum())
    vt = (kyi - p) / (w.sum() - (w * w).sum() / w.sum()) if kyi > p else math.nan

    fit = {"UM.FS": _fit_umfs, "UM.RS": _fit_umrs, "CM.AL": _fit_cmal, "CM.EL": _fit_cmel}[model](
        a, b, c, d, method, nagq, notes)
    beta, var, tau2, ll, ll_fe, ll_qe, parms = fit.beta, fit.var, fit.tau2, fit.ll, fit.ll_fe, fit.ll_qe, fit.parms
    k_eff = 2 * k if model in ("UM.FS", "UM.RS") else k
    conv, qe_wald = fit.conv, fit.qe_wald
    if not conv:
        notes.append(NoteCode.NO_CONVERGENCE.note(f"the {model} {method} fit did not converge; treat it with caution"))
    qe_lrt = max(0.0, -2 * (ll_fe - ll_qe))
    qe_wald = max(0.0, qe_wald) if math.isfinite(qe_wald) else math.nan
    qe_df = k - p
    se = math.sqrt(var) if var >= 0 else math.nan
    zval = beta / se
    if test == "t":
        df: int | None = k - p
        pval = float(2 * sps.t.sf(abs(zval), df)) if df and df > 0 else math.nan
        crit = float(sps.t.isf((1 - lvl) / 2, df)) if df and df > 0 else math.nan
    else:
        df = None
        pval = float(2 * sps.norm.sf(abs(zval)))
        crit = float(sps.norm.isf((1 - lvl) / 2))
    dev = -2 * (ll - ll_qe)
    kk = max(k_eff, parms + 2)
    return GlmmResult(
        model=model, method=method, measure="OR", estimate=beta, se=se, zval=zval, pval=pval,
        ci_low=beta - crit * se, ci_high=beta + crit * se, tau2=tau2, tau2_se=fit.tau2_se, sigma2=fit.sigma2,
        i2=100 * tau2 / (vt + tau2), h2=tau2 / vt + 1,
        qe_wald=qe_wald, qe_wald_pvalue=float(sps.chi2.sf(qe_wald, qe_df)) if qe_df > 0 else 1.0,
        qe_lrt=qe_lrt, qe_lrt_pvalue=float(sps.chi2.sf(qe_lrt, qe_df)) if qe_df > 0 else 1.0, qe_df=qe_df,
        loglik=ll, deviance=dev, aic=-2 * ll + 2 * parms, bic=-2 * ll + parms * math.log(k_eff),
        aicc=-2 * ll + 2 * parms * kk / (kk - parms - 1), objective_loglik=fit.obj_ll, k=k, k_all=k_all, test=test,
        df=df, level=lvl, nagq=1 if (model == "UM.RS" and method == "ML") else nagq, notes=tuple(notes),
    )


def _umrs_saturated(a: np.ndarray, n1: np.ndarray, c: np.ndarray, n2: np.ndarray, x_fe: np.ndarray, nq: int,
                    notes: list[Note]) -> tuple[float, float]:
    """UM.RS's saturated model (metafor: glmer with a treatment effect per study and random study intercepts):
    (lme4 logLik, Wald statistic of equal treatment effects).

    A treatment arm with no events (or only events) has its own effect at -inf (+inf): in the limit the arm is
    fitted exactly and drops out of the likelihood, and its effect out of the Wald statistic (infinite variance).
    That limit is computed here; lme4 stops at large finite values, where both are nearly the same."""
    k = len(a)
    edge = (a == 0) | (a == n1)
    keep_t = ~edge
    # rows: control arms of all studies, treatment arms of the non-edge studies
    y = np.concatenate([c, a[keep_t]])
    n = np.concatenate([n2, n1[keep_t]])
    g = np.concatenate([np.arange(k), np.flatnonzero(keep_t)])
    is_t = np.concatenate([np.zeros(k), np.ones(int(keep_t.sum()))])
    tstud = np.flatnonzero(keep_t)
    others = tstud[:-1]
    cols = [is_t, np.ones(len(y))] + [(g == i) * is_t for i in others]
    X = np.column_stack(cols) if len(tstud) else np.ones((len(y), 1))
    re = _ScalarRE(X, y, n, g, np.ones(len(y)), np.zeros(len(y)), nq)
    local = np.concatenate([[-1, -1, -1], np.asarray(others, dtype=int)]) if len(tstud) else np.array([-1, -1])

    def devg(x: np.ndarray) -> np.ndarray:
        return re.group_dev(float(x[0]), x[1:])

    x0 = np.concatenate([[x_fe[0]], x_fe[1:] if len(tstud) else x_fe[2:], np.zeros(len(others))])
    x, H, conv = _newton_max(devg, x0, local)
    if not conv:
        notes.append(NoteCode.NO_CONVERGENCE.note("the saturated UM.RS model (for the heterogeneity tests) did not "
                                                  "converge"))
    # the saturated log-likelihood includes the exactly fitted edge arms (log-likelihood 0 at the limit)
    ll = _lme4_loglik(re, devg(x), nq)
    if len(others) == 0:
        return ll, 0.0
    try:
        V = 2 * np.linalg.inv(H)
    except np.linalg.LinAlgError:
        return ll, math.nan
    idx = np.arange(3, 3 + len(others))
    return ll, _wald_qe(x[idx], V[np.ix_(idx, idx)])


def _vcov_beta(H: np.ndarray, j: int, notes: list[Note], ntheta: int = 1) -> float:
    """Variance of parameter j from the Hessian of the deviance (-2 ll): 2 * inverse, as lme4's vcov()."""
    try:
        V = 2 * np.linalg.inv(H)
        ev = np.linalg.eigvalsh((V + V.T) / 2)
        if np.all(ev > 0):
            return float(V[j, j])
    except np.linalg.LinAlgError:
        pass
    notes.append(Note(NoteCode.NO_CONVERGENCE.value, "the Hessian of the random-effects fit is not positive definite; "
                                                     "the variance of beta is taken given tau2"))
    sub = H[ntheta:, ntheta:]
    return float(2 * np.linalg.inv(sub)[j - ntheta, j - ntheta])


def _lme4_loglik(re: _ScalarRE, dev_groups: np.ndarray, nagq: int) -> float:
    """lme4's ``logLik()`` of the fit: minus half its objective.  For the Laplace approximation (nAGQ=1) that is the
    binomial log-likelihood of the saturated model minus half the Laplace deviance, the approximate marginal
    log-likelihood; for nAGQ > 1 lme4's objective is the deviance relative to the saturated model, so its logLik
    leaves the saturated log-likelihood out (ours: the AGQ deviance plus log(2 pi) per study, as lme4's glmerAGQ)."""
    if nagq == 1:
        return float(_logdbinom(re.y, re.n, re.yp) - 0.5 * np.sum(dev_groups))
    return float(-0.5 * (np.sum(dev_groups) + re.ng * math.log(2 * math.pi)))
