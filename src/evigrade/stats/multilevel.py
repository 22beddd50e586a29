"""Multilevel meta-analysis of dependent effects, as metafor 3.8's ``rma.mv`` with nested random intercepts.

``multilevel(yi, vi, cluster, obs)`` fits ``rma.mv(yi, V, mods, random = ~ 1 | cluster/obs)``:

    y = X beta + u_cluster + u_(cluster, obs) + e,   u ~ N(0, sigma2_1), N(0, sigma2_2),  e ~ N(0, V)

where ``V`` is ``diag(vi)`` or a full sampling covariance matrix (e.g. from :func:`vcalc` for a
constant within-study correlation).  The variance components are estimated by REML (default) or
ML with Fisher scoring (step halving keeps the likelihood increasing and the components >= 0)
to a relative change of 1e-12 -- metafor maximises the same likelihood with ``nlminb``; the
fixed effects are generalised least squares with the marginal covariance
``M = V + sigma2_1 Z1 Z1' + sigma2_2 Z2 Z2'``.  Components may be fixed (``sigma2=(0, None)``
fits the two-level model for a likelihood-ratio test, as metafor's ``sigma2=c(0, NA)``).

Reported as metafor: coefficients with Wald z or t (``test="t"``, k - p df) tests and CIs, the
omnibus test of moderators (QM), the residual heterogeneity test QE (from the sampling covariance
alone), fit statistics (:mod:`evigrade.stats.fitstats`), profile-likelihood CIs of the variance
components (metafor ``confint()``) and the prediction interval (``sqrt(se² + sum(sigma2))``).
The marginal covariance ``M`` is kept, so :func:`evigrade.stats.robust.robust` gives
cluster-robust (CR1/CR2) inference on the same fit.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal, Sequence

import numpy as np
from .. import _dist as sps

from .._validate import check_choice, check_level
from ..errors import InputError, SpecError
from ..notes import NoteCode
from ..results import Note, jsonable_dict
from .fit import check_finite_effects, wald_pval_crit
from .fitstats import _from_ll
from .results import LikelihoodFit

__all__ = ["MultilevelResult", "multilevel", "vcalc", "ML_METHODS", "ML_TESTS", "MultivariateResult", "multivariate",
           "MV_STRUCTS"]

ML_METHODS: tuple[str, ...] = ("REML", "ML")
ML_TESTS: tuple[str, ...] = ("z", "t")
_LOG2PI = math.log(2.0 * math.pi)
#: Fisher scoring stops when every component changes by less than this, relative to max(1e-8, value).
_THRESHOLD = 1e-12


@dataclass(frozen=True, slots=True, kw_only=True)
class MultilevelResult(LikelihoodFit):
    """A fitted multilevel model (metafor ``rma.mv`` with ``random = ~ 1 | cluster/obs``).

    ``sigma2`` has one entry per random-effects level (``sigma2_names``: ``"cluster"``,
    ``"cluster/obs"``), ``sigma2_n`` the number of groups at that level, ``sigma2_fixed`` whether it
    was fixed by the user; ``sigma2_ci_low``/``_high`` are profile-likelihood CIs (NaN for fixed
    components).  ``V`` is the sampling covariance, ``M`` the marginal covariance of ``yi``.
    """

    sigma2: np.ndarray
    sigma2_names: tuple[str, ...]
    sigma2_n: tuple[int, ...]
    sigma2_fixed: tuple[bool, ...]
    sigma2_ci_low: np.ndarray
    sigma2_ci_high: np.ndarray
    pred: float
    pi_low: float
    pi_high: float
    V: np.ndarray
    M: np.ndarray
    cluster: tuple[str, ...]

    @property
    def total_variance(self) -> float:
        """sum(sigma2): the between-effect variance a prediction interval adds (metafor predict())."""
        return float(np.sum(self.sigma2))

    @property
    def tau2(self) -> float:
        return self.total_variance

    def to_dict(self) -> dict[str, Any]:
        return jsonable_dict({
            "model": "multilevel", "k": self.k, "p": self.p, "method": self.method, "test": self.test,
            "level": self.level, "df": self.df, "beta": self.beta, "se": self.se, "zval": self.zval,
            "pval": self.pval, "ci_low": self.ci_low, "ci_high": self.ci_high,
            "variance_components": [
                {"level": nm, "sigma2": s, "sigma": math.sqrt(s) if s >= 0 else None, "n": n, "fixed": fx,
                 "ci_low": lo, "ci_high": hi}
                for nm, s, n, fx, lo, hi in zip(self.sigma2_names, self.sigma2, self.sigma2_n, self.sigma2_fixed,
                                                self.sigma2_ci_low, self.sigma2_ci_high)],
            "qe": self.qe, "qe_df": self.qe_df, "qe_pvalue": self.qe_pvalue, "qm": self.qm,
            "qm_df": list(self.qm_df), "qm_pvalue": self.qm_pvalue, "pred": self.pred, "pi_low": self.pi_low,
            "pi_high": self.pi_high, "fit_statistics": self.fit_statistics.to_dict(), "converged": self.converged,
            "iterations": self.iterations, "n_clusters": self.sigma2_n[0],
            "notes": [n.to_dict() for n in self.notes],
        })


# ------------------------------------------------------------------------------------------ vcalc


def vcalc(vi: Any, cluster: Sequence[Any], *, obs: Sequence[Any] | None = None, rho: float = 0.5) -> np.ndarray:
    """Sampling covariance matrix with a constant correlation ``rho`` between different effect sizes of
    one cluster (metafor ``vcalc(vi, cluster, obs=, rho=)``): ``V[i, j] = rho sqrt(vi vj)``.

    Effects with the same ``obs`` label within a cluster are the same observation measured twice
    and get correlation 1, as metafor.
    """
    v = np.asarray(vi, dtype=float).reshape(-1)
    k = len(v)
    if not (isinstance(rho, (int, float)) and -1.0 <= float(rho) <= 1.0):
        raise SpecError(f"rho={rho!r} must be a correlation between -1 and 1")
    if len(cluster) != k or (obs is not None and len(obs) != k):
        raise InputError(f"cluster/obs must have one value per effect size ({k})", column="cluster", has_value=False,
                         fix="give one cluster (study) label per effect size")
    if not np.all(np.isfinite(v)) or np.any(v <= 0):
        raise InputError("sampling variances must be finite and > 0", column="vi", has_value=False,
                         fix="check the vi column")
    c = np.asarray([str(x) for x in cluster])
    same = c[:, None] == c[None, :]
    R = np.where(same, float(rho), 0.0)
    if obs is not None:
        o = np.asarray([str(x) for x in obs])
        R = np.where(same & (o[:, None] == o[None, :]), 1.0, R)
    np.fill_diagonal(R, 1.0)
    sv = np.sqrt(v)
    return R * np.outer(sv, sv)


# ------------------------------------------------------------------------------------------ fitting


def _labels(name: str, x: Sequence[Any], k: int) -> np.ndarray:
    arr = list(x) if not isinstance(x, np.ndarray) else x.tolist()
    if len(arr) != k:
        raise InputError(f"{name} has {len(arr)} values but there are {k} effect sizes", column=name,
                         has_value=False, fix=f"give one {name} label per effect size")
    for i, c in enumerate(arr):
        if c is None or (isinstance(c, float) and math.isnan(c)) or (isinstance(c, str) and not c.strip()):
            raise InputError(f"{name} label is missing", row=i + 1, column=name, value=c, has_value=True,
                             fix=f"give every effect size its {name} label")
    return np.asarray([str(c) for c in arr])


def _cluster_blocks(codes: np.ndarray) -> list[np.ndarray]:
    """Row indices of the clusters grouped by cluster size: one (m, s) array per size s."""
    order = np.argsort(codes, kind="stable")
    sizes = np.bincount(codes)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    return [order[starts[np.flatnonzero(sizes == sz)][:, None] + np.arange(sz)[None, :]] for sz in np.unique(sizes)]


def _logdet_blocks(model: "_Model") -> float:
    """log|V| over the cluster blocks."""
    return float(sum(np.sum(np.linalg.slogdet(Vb)[1]) for _, Vb, *_ in model.blocks))


class _Model:
    """Likelihood pieces for M = V + sum_l s_l D_l, computed cluster by cluster.

    M is block-diagonal by cluster (the random effects are nested in the clusters and V has no
    covariance between clusters), so every quantity is a sum over clusters; clusters of equal size
    are processed together as one batch of small matrices (no per-cluster Python loop).
    """

    def __init__(self, y: np.ndarray, V: np.ndarray, X: np.ndarray,
                 groups: list[tuple[np.ndarray, np.ndarray]], reml: bool) -> None:
        self.y, self.X, self.reml = y, X, reml
        k, p = X.shape
        self.k, self.p = k, p
        _, self.logdet_xx = np.linalg.slogdet(X.T @ X)
        self.blocks: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
        for rows, D in groups:  # D: (L, m, s, s), one indicator matrix per component
            Vb = V[rows[:, :, None], rows[:, None, :]]
            self.blocks.append((rows, Vb, D, X[rows], y[rows]))

    def parts(self, s: np.ndarray) -> tuple[float, np.ndarray, np.ndarray,
                                            list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]]:
        p = self.p
        XMX = np.zeros((p, p))
        XMy = np.zeros(p)
        logdet_m = 0.0
        cache: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        for _rows, Vb, D, Xb, yb in self.blocks:
            Mb = Vb + np.tensordot(s, D, axes=1)
            L = np.linalg.cholesky(Mb)
            logdet_m += 2.0 * float(np.sum(np.log(np.einsum("mii->mi", L))))
            Mi = np.linalg.inv(Mb)
            A = Mi @ Xb  # (m, s, p)
            XMX += np.einsum("msp,msq->pq", Xb, A)
            XMy += np.einsum("msp,ms->p", A, yb)
            cache.append((Mi, A, Mb))
        XMXi = np.linalg.inv(XMX)
        XMXi = 0.5 * (XMXi + XMXi.T)
        beta = XMXi @ XMy
        rss = 0.0
        out: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
        for (_rows, _Vb, _D, Xb, yb), (Mi, A, Mb) in zip(self.blocks, cache):
            r = yb - Xb @ beta
            u = np.einsum("mst,mt->ms", Mi, r)  # M^-1 r = P y
            rss += float(np.sum(r * u))
            out.append((Mi, A, u, Mb))
        if self.reml:
            _, logdet_xmx = np.linalg.slogdet(XMX)
            ll = (-0.5 * (self.k - p) * _LOG2PI + 0.5 * self.logdet_xx - 0.5 * logdet_m - 0.5 * logdet_xmx
                  - 0.5 * rss)
        else:
            ll = -0.5 * self.k * _LOG2PI - 0.5 * logdet_m - 0.5 * rss
        return float(ll), beta, XMXi, out

    def loglik(self, s: np.ndarray) -> float:
        try:
            return self.parts(s)[0]
        except np.linalg.LinAlgError:
            return -math.inf

    def score_info(self, s: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        ll, beta, XMXi, out = self.parts(s)
        nl = len(s)
        sc = np.zeros(nl)
        BB = np.zeros((nl, nl))  # tr(B Dl B Dm), B = blockdiag(M_j^-1)
        ADBDA = np.zeros((nl, nl, self.p, self.p))  # A' Dl B Dm A
        ADA = np.zeros((nl, self.p, self.p))  # A' Dl A
        trC = np.zeros(nl)  # tr(C Dl), C = A XMXi A'
        for (_rows, _Vb, D, _Xb, _yb), (Mi, A, u, _Mb) in zip(self.blocks, out):
            MiD = np.einsum("mst,lmtu->lmsu", Mi, D)  # (L, m, s, s)
            trB = np.einsum("lmss->l", MiD)
            sc += 0.5 * np.einsum("ms,lmst,mt->l", u, D, u)
            BB += np.einsum("lmst,kmts->lk", MiD, MiD)
            DA = np.einsum("lmst,mtp->lmsp", D, A)  # (L, m, s, p)
            ADA += np.einsum("msp,lmsq->lpq", A, DA)
            if self.reml:  # A' Dl M^-1 Dm A = sum over clusters of (Dl A)' M^-1 (Dm A)
                ADBDA += np.einsum("lmsp,mst,kmtq->lkpq", DA, Mi, DA)
            sc -= 0.5 * trB
        if self.reml:
            trC = np.einsum("pq,lqp->l", XMXi, ADA)
            sc += 0.5 * trC
            CC = np.einsum("pq,lqr,rs,ksp->lk", XMXi, ADA, XMXi, ADA)
            BC = np.einsum("pq,lkqp->lk", XMXi, ADBDA)
            info = 0.5 * (BB - BC - BC.T + CC)
        else:
            info = 0.5 * BB
        return ll, sc, info


def _scoring(model: _Model, s0: np.ndarray, free: np.ndarray, maxiter: int) -> tuple[np.ndarray, bool, int]:
    s = s0.copy()
    ll = model.loglik(s)
    for it in range(1, maxiter + 1):
        _, sc, info = model.score_info(s)
        f = np.flatnonzero(free)
        # components at 0 with a negative score stay at the boundary
        act = np.array([i for i in f if not (s[i] <= 0.0 and sc[i] <= 0.0)], dtype=int)
        if len(act) == 0:
            return s, True, it
        step = np.zeros_like(s)
        try:
            step[act] = np.linalg.solve(info[np.ix_(act, act)], sc[act])
        except np.linalg.LinAlgError:
            step[act] = sc[act] / np.maximum(np.diag(info)[act], 1e-300)
        lam = 1.0
        for _ in range(60):
            new = np.maximum(s + lam * step, 0.0)
            new[~free] = s[~free]
            lln = model.loglik(new)
            if lln >= ll - 1e-12 * max(1.0, abs(ll)):
                break
            lam *= 0.5
        else:
            return s, True, it  # no ascent possible: at the maximum to rounding
        change = np.abs(new - s)
        s, ll = new, lln
        if np.all(change <= _THRESHOLD * np.maximum(1e-8, np.abs(s))):
            return s, True, it
    return s, False, maxiter


def _options(method: str, test: str, level: float) -> tuple[Literal["REML", "ML"], Literal["z", "t"], float]:
    """The options every ``rma.mv`` fit takes, checked: (method, test, level as a fraction)."""
    return check_choice("method", method, ML_METHODS), check_choice("test", test, ML_TESTS), check_level(level)


def _effects_and_V(yi: Any, vi: Any, V: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The effect sizes, their sampling variances and the k x k sampling covariance (``diag(vi)`` unless ``V``),
    checked (rma.mv's inputs for ``multilevel`` and ``multivariate``)."""
    y = np.asarray(yi, dtype=float).reshape(-1)
    k = len(y)
    if V is None:
        v = np.asarray(vi, dtype=float).reshape(-1)
        if len(v) != k:
            raise InputError(f"vi has {len(v)} values but yi has {k}", column="vi", has_value=False,
                             fix="give one sampling variance per effect size")
        Vm = np.diag(v)
    else:
        Vm = np.asarray(V, dtype=float)
        if Vm.shape != (k, k) or not np.allclose(Vm, Vm.T):
            raise InputError(f"V must be a symmetric {k} x {k} matrix, got shape {Vm.shape}", column="V",
                             has_value=False, fix="build V with vcalc(vi, cluster, rho=...)")
        v = np.diag(Vm).copy()
    check_finite_effects(y, v, "effect sizes")
    return y, v, Vm


def _design(X: Any, k: int) -> np.ndarray:
    """The design matrix (default: intercept only), k finite rows of full column rank."""
    Xm = np.ones((k, 1)) if X is None else np.asarray(X, dtype=float)
    if Xm.ndim == 1:
        Xm = Xm[:, None]
    if Xm.shape[0] != k or not np.all(np.isfinite(Xm)):
        raise InputError(f"design matrix X must have {k} finite rows, got shape {Xm.shape}", column="X",
                         has_value=False, fix="remove effect sizes with missing moderators")
    if np.linalg.matrix_rank(Xm) < Xm.shape[1]:
        raise InputError("design matrix X is not of full rank", column="X", has_value=False,
                         fix="drop redundant moderator columns")
    return Xm


@dataclass(frozen=True, slots=True)
class _GlsTests:
    """What an rma.mv fit reports once its variance components are estimated (shared by ``multilevel`` and
    ``multivariate``): the GLS coefficients with Wald tests, QE, QM and the marginal covariance M."""

    ll: float
    beta: np.ndarray
    vb: np.ndarray
    se: np.ndarray
    zval: np.ndarray
    df: int | None
    pval: np.ndarray
    crit: float
    qe: float
    qe_df: int
    qm: float
    qm_df: tuple[int, int | None]
    qm_p: float
    M: np.ndarray
    v: np.ndarray
    V: np.ndarray

    def ll_sat(self, diagonal: bool) -> float:
        """The saturated log-likelihood (metafor's deviance reference): from vi, or from the full V."""
        k = len(self.v)
        return float(np.sum(-0.5 * _LOG2PI - 0.5 * np.log(self.v))) if diagonal else \
            -0.5 * k * _LOG2PI - 0.5 * float(np.linalg.slogdet(self.V)[1])


def _gls_tests(model: _Model, Vm: np.ndarray, theta: np.ndarray, groups: list[tuple[np.ndarray, np.ndarray]],
               test: str, lvl: float) -> _GlsTests:
    y, Xm = model.y, model.X
    k, p = Xm.shape
    ll, beta, XMXi, out = model.parts(theta)
    M = np.zeros((k, k))  # the marginal covariance, for robust() on this fit
    for (rows, *_), (_, _, _, Mb) in zip(model.blocks, out):
        M[rows[:, :, None], rows[:, None, :]] = Mb
    vb = XMXi
    se = np.sqrt(np.diag(vb))
    zval = beta / se
    df: int | None = k - p if test == "t" else None
    pval, crit = wald_pval_crit(zval, df, lvl)
    # QE: residual heterogeneity from the sampling covariance alone (the same model with the components at 0)
    qe = max(0.0, float(_Model(y, Vm, Xm, groups, False).parts(np.zeros(len(theta)))[0] * -2.0
                        - k * _LOG2PI - _logdet_blocks(model)))
    # QM: all but the intercept (or the only coefficient)
    idx = list(range(1, p)) if (p > 1 and np.allclose(Xm[:, 0], 1.0)) else list(range(p))
    b = beta[idx]
    qm = float(b @ np.linalg.solve(vb[np.ix_(idx, idx)], b))
    m = len(idx)
    if df is not None:
        qm /= m
        qm_df: tuple[int, int | None] = (m, df)
        qm_p = float(sps.f.sf(qm, m, df))
    else:
        qm_df = (m, None)
        qm_p = float(sps.chi2.sf(qm, m))
    return _GlsTests(float(ll), beta, vb, se, zval, df, pval, float(crit), qe, k - p, qm, qm_df, qm_p, M,
                     np.diag(Vm).copy(), Vm)


def _start(y: np.ndarray, V: np.ndarray, X: np.ndarray, L: int) -> np.ndarray:
    """metafor-like start: the residual variance beyond sampling error, split evenly."""
    beta, *_ = np.linalg.lstsq(X, y, rcond=None)
    r = y - X @ beta
    tot = max(float(np.var(r, ddof=X.shape[1]) - np.mean(np.diag(V))), 0.01 * float(np.var(r) + 1e-12))
    return np.full(L, tot / L)


# long: the rma.mv kernel, step by step as metafor (REML/ML Fisher scoring, sigma2 CIs, tests, QE, fit statistics)
def multilevel(
    yi: Any,
    vi: Any,
    cluster: Sequence[Any],
    obs: Sequence[Any] | None = None,
    *,
    X: Any = None,
    V: Any = None,
    method: Literal["REML", "ML"] = "REML",
    test: Literal["z", "t"] = "z",
    level: float = 95,
    sigma2: Sequence[float | None] | None = None,
    profile_ci: bool = True,
    maxiter: int = 1000,
) -> MultilevelResult:
    """Fit ``rma.mv(yi, V, mods=X, random = ~ 1 | cluster/obs, method=, test=)``.

    ``vi``: sampling variances (``V = diag(vi)``) unless ``V`` (a full k x k covariance, e.g.
    :func:`vcalc`) is given.  ``obs``: the effect-size label within its cluster (default: each row
    its own); ``X``: design matrix including the intercept column (default intercept only).
    ``sigma2``: ``None`` entries are estimated, numbers are fixed (metafor ``sigma2=c(0, NA)``).
    """
    method, test, lvl = _options(method, test, level)
    y, v, Vm = _effects_and_V(yi, vi, V)
    k = len(y)
    c = _labels("cluster", cluster, k)
    o = _labels("obs", obs, k) if obs is not None else np.asarray([str(i) for i in range(k)])
    _, c_codes = np.unique(c, return_inverse=True)
    _, co_codes = np.unique(np.char.add(np.char.add(c, "\x00"), o), return_inverse=True)
    n_levels = (int(c_codes.max()) + 1, int(co_codes.max()) + 1)
    if V is not None and np.any(Vm[c_codes[:, None] != c_codes[None, :]] != 0):
        raise InputError("V has covariances between effect sizes of different clusters", column="V",
                         has_value=False, fix="build V within clusters only (vcalc with the same cluster)")
    groups = [(rows, np.stack([np.ones((rows.shape[0], rows.shape[1], rows.shape[1])),
                               (co_codes[rows][:, :, None] == co_codes[rows][:, None, :]).astype(float)]))
              for rows in _cluster_blocks(c_codes)]
    Xm = _design(X, k)
    p = Xm.shape[1]
    if k - p < 1:
        raise InputError(f"too few effect sizes (k = {k}) for {p} coefficient(s) and two variance components",
                         has_value=False, fix="use fewer moderators")
    fixed = np.zeros(2, dtype=bool)
    s0 = _start(y, Vm, Xm, 2)
    if sigma2 is not None:
        if len(sigma2) != 2:
            raise SpecError(f"sigma2={sigma2!r} must have 2 entries (cluster, cluster/obs); None = estimate")
        for i, val in enumerate(sigma2):
            if val is not None and not (isinstance(val, float) and math.isnan(val)):
                if not (float(val) >= 0 and math.isfinite(float(val))):
                    raise SpecError(f"sigma2[{i}]={val!r} must be a number >= 0 or None")
                fixed[i] = True
                s0[i] = float(val)
    notes: list[Note] = []
    if n_levels[1] == n_levels[0]:
        notes.append(Note(NoteCode.MULTILEVEL_ONE_PER_CLUSTER, "Every cluster has a single effect size, so the two "
                                                        "variance components are not separately identified."))
    model = _Model(y, Vm, Xm, groups, method == "REML")
    s, ok, its = _scoring(model, s0, ~fixed, maxiter)
    if not ok:
        notes.append(Note(NoteCode.NO_CONVERGENCE, f"The variance components did not converge in {maxiter} "
                                            "Fisher scoring iterations; the last values are reported."))
    g = _gls_tests(model, Vm, s, groups, test, lvl)
    ll, beta, vb, se, zval, df, pval, crit = g.ll, g.beta, g.vb, g.se, g.zval, g.df, g.pval, g.crit
    fs = _from_ll(ll, g.ll_sat(V is None), method, p + int((~fixed).sum()), k, p)
    # prediction for an intercept-only model: the pooled effect with PI
    if p == 1:
        pred = float(beta[0])
        half = crit * math.sqrt(float(se[0]) ** 2 + float(np.sum(s)))
        pi_low, pi_high = pred - half, pred + half
    else:
        pred = pi_low = pi_high = float("nan")
    ci_lo = np.full(2, np.nan)
    ci_hi = np.full(2, np.nan)
    if profile_ci:
        for j in range(2):
            if not fixed[j]:
                ci_lo[j], ci_hi[j], pnotes = _profile_ci(model, s, j, fixed, ll, lvl, maxiter)
                notes.extend(pnotes)
    return MultilevelResult(
        k=k, p=p, beta=beta, vb=vb, se=se, zval=zval, pval=pval, ci_low=beta - crit * se, ci_high=beta + crit * se,
        df=df, sigma2=s, sigma2_names=("cluster", "cluster/obs"), sigma2_n=n_levels,
        sigma2_fixed=tuple(bool(f) for f in fixed), sigma2_ci_low=ci_lo, sigma2_ci_high=ci_hi, qe=g.qe, qe_df=g.qe_df,
        qe_pvalue=float(sps.chi2.sf(g.qe, g.qe_df)), qm=g.qm, qm_df=g.qm_df, qm_pvalue=g.qm_p, pred=pred,
        pi_low=pi_low, pi_high=pi_high, fit_statistics=fs, yi=y, vi=v, V=Vm, X=Xm, M=g.M, cluster=tuple(c.tolist()),
        method=method,
        test=test, level=lvl, converged=ok, iterations=its, notes=tuple(notes),
    )


def _profile_ci(model: _Model, s_hat: np.ndarray, j: int, fixed: np.ndarray, ll_max: float, lvl: float,
                maxiter: int) -> tuple[float, float, list[Note]]:
    """Profile-likelihood CI of component j (metafor confint.rma.mv): the other free components are
    re-estimated at every value of component j."""
    from scipy import optimize  # lazily: scipy.optimize costs ~0.3 s to import

    crit = float(sps.chi2.isf(1 - lvl, 1))
    free = ~fixed.copy()
    free[j] = False
    notes: list[Note] = []

    warm = {"s": s_hat.copy()}

    def dev(val: float) -> float:
        s0 = warm["s"].copy()  # warm start from the previous profile point
        s0[j] = val
        s, _, _ = _scoring(model, s0, free, maxiter)
        warm["s"] = s
        return 2.0 * (ll_max - model.loglik(s)) - crit

    sj = float(s_hat[j])
    if dev(0.0) <= 0:
        lo = 0.0
    else:
        lo = optimize.brentq(dev, 0.0, sj, xtol=1e-14, rtol=1e-12, maxiter=500) if sj > 0 else 0.0
    hi_b = max(sj, 1e-4) * 2.0
    for _ in range(60):
        if dev(hi_b) > 0:
            break
        hi_b *= 2.0
    else:
        notes.append(Note(NoteCode.PROFILE_CI_OPEN, f"The profile-likelihood CI of sigma2 ({j + 1}) has no finite upper "
                                             "limit."))
        return lo, float("inf"), notes
    hi = optimize.brentq(dev, sj, hi_b, xtol=1e-14, rtol=1e-12, maxiter=500)
    return float(lo), float(hi), notes


# ------------------------------------------------------------------ structured random effects (~ inner | outer)

MV_STRUCTS: tuple[str, ...] = ("CS", "HCS", "UN", "AR", "HAR", "DIAG")
MVStruct = Literal["CS", "HCS", "UN", "AR", "HAR", "DIAG"]


@dataclass(frozen=True, slots=True, kw_only=True)
class MultivariateResult(LikelihoodFit):
    """A fitted ``rma.mv(yi, V, mods, random = ~ inner | outer, struct=)`` model.

    ``G`` is the covariance matrix of the true effects of one outer group over the ``inner_levels``
    (sorted as metafor's factor levels); ``tau2`` has one entry (CS, AR) or one per inner level
    (HCS, UN, HAR, DIAG), ``rho`` none (DIAG), one entry (CS, HCS, AR, HAR) or one per pair of levels (UN;
    pairs (1,2), (1,3), ..., (2,3), ... as metafor).  ``V`` is the sampling covariance, ``M`` the marginal
    covariance of ``yi``; ``cluster`` the outer labels.
    """

    struct: str
    tau2: np.ndarray
    rho: np.ndarray
    G: np.ndarray
    inner_levels: tuple[str, ...]
    n_outer: int
    V: np.ndarray
    M: np.ndarray
    cluster: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return jsonable_dict({
            "model": "multivariate", "struct": self.struct, "k": self.k, "p": self.p, "method": self.method,
            "test": self.test, "level": self.level, "df": self.df, "beta": self.beta, "se": self.se,
            "zval": self.zval, "pval": self.pval, "ci_low": self.ci_low, "ci_high": self.ci_high,
            "inner_levels": list(self.inner_levels), "n_outer": self.n_outer, "tau2": self.tau2, "rho": self.rho,
            "G": self.G, "qe": self.qe, "qe_df": self.qe_df, "qe_pvalue": self.qe_pvalue, "qm": self.qm,
            "qm_df": list(self.qm_df), "qm_pvalue": self.qm_pvalue, "fit_statistics": self.fit_statistics.to_dict(),
            "converged": self.converged, "iterations": self.iterations, "notes": [n.to_dict() for n in self.notes],
        })


def _sorted_levels(labels: np.ndarray) -> list[str]:
    """metafor's factor level order: numeric when every label is a number, else lexicographic."""
    u = sorted(set(labels.tolist()))
    try:
        return sorted(u, key=float)
    except ValueError:
        return u


class _Struct:
    """G(theta) over n inner levels, as the vector g of its upper-triangle elements (l <= m, row-major), and the
    Jacobian dg/dtheta.  theta = (tau2..., rho...) as metafor reports them."""

    def __init__(self, struct: str, n: int) -> None:
        self.struct, self.n = struct, n
        self.pairs = [(a, b) for a in range(n) for b in range(a, n)]
        self.n_tau2 = n if struct in ("HCS", "UN", "HAR", "DIAG") else 1
        self.n_rho = n * (n - 1) // 2 if struct == "UN" else (1 if n > 1 and struct != "DIAG" else 0)
        self.off = [(a, b) for a in range(n) for b in range(a + 1, n)]

    @property
    def size(self) -> int:
        return self.n_tau2 + self.n_rho

    def g_jac(self, th: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        nt = self.n_tau2
        t2 = th[:nt]
        rho = th[nt:]
        g = np.zeros(len(self.pairs))
        J = np.zeros((len(self.pairs), self.size))
        for e, (a, b) in enumerate(self.pairs):
            if self.struct in ("CS", "AR"):
                lag = b - a if self.struct == "AR" else (0 if a == b else 1)
                r = rho[0] if self.n_rho else 0.0
                g[e] = t2[0] * r ** lag
                J[e, 0] = r ** lag
                if lag and self.n_rho:
                    J[e, 1] = t2[0] * lag * r ** (lag - 1)
            elif a == b:
                g[e] = t2[a]
                J[e, a] = 1.0
            elif self.struct == "DIAG":
                continue  # no covariance between inner levels
            elif self.struct == "HAR":  # tau_a tau_b rho^|a - b|
                lag = b - a
                r = th[nt]
                sa, sb = math.sqrt(max(t2[a], 0.0)), math.sqrt(max(t2[b], 0.0))
                g[e] = r ** lag * sa * sb
                J[e, nt] = lag * r ** (lag - 1) * sa * sb
                if sa > 0:
                    J[e, a] = r ** lag * sb / (2.0 * sa)
                if sb > 0:
                    J[e, b] = r ** lag * sa / (2.0 * sb)
            else:
                r_idx = nt + (0 if self.struct == "HCS" else self.off.index((a, b)))
                r = th[r_idx]
                sa, sb = math.sqrt(max(t2[a], 0.0)), math.sqrt(max(t2[b], 0.0))
                g[e] = r * sa * sb
                J[e, r_idx] = sa * sb
                if sa > 0:
                    J[e, a] = r * sb / (2.0 * sa)
                if sb > 0:
                    J[e, b] = r * sa / (2.0 * sb)
        return g, J

    def G(self, th: np.ndarray) -> np.ndarray:
        g, _ = self.g_jac(th)
        Gm = np.zeros((self.n, self.n))
        for e, (a, b) in enumerate(self.pairs):
            Gm[a, b] = Gm[b, a] = g[e]
        return Gm

    def project(self, th: np.ndarray) -> np.ndarray:
        out = th.copy()
        out[:self.n_tau2] = np.maximum(out[:self.n_tau2], 0.0)
        out[self.n_tau2:] = np.clip(out[self.n_tau2:], -1.0, 1.0)
        return out

    def held(self, th: np.ndarray, score: np.ndarray) -> np.ndarray:
        """Components at a bound whose score points out of the parameter space."""
        nt = self.n_tau2
        out = np.zeros(th.shape, dtype=bool)
        out[:nt] = (th[:nt] <= 0.0) & (score[:nt] < 0.0)
        out[nt:] = ((th[nt:] <= -1.0) & (score[nt:] < 0.0)) | ((th[nt:] >= 1.0) & (score[nt:] > 0.0))
        return out


class _CholUN(_Struct):
    """UN with more than two levels, parametrised by the lower-triangular Cholesky factor L of G = L L' (theta =
    L's elements, row-major), so that G stays positive semi-definite as metafor requires; the optimum may lie
    on that boundary (a singular G), which a projection on tau2 and rho could not reach."""

    def __init__(self, n: int) -> None:
        super().__init__("UN", n)
        self.tril = [(a, b) for a in range(n) for b in range(a + 1)]

    def L(self, th: np.ndarray) -> np.ndarray:
        Lm = np.zeros((self.n, self.n))
        for i, (a, b) in enumerate(self.tril):
            Lm[a, b] = th[i]
        return Lm

    def g_jac(self, th: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        Lm = self.L(th)
        Gm = Lm @ Lm.T
        g = np.array([Gm[a, b] for a, b in self.pairs])
        J = np.zeros((len(self.pairs), len(self.tril)))
        for e, (a, b) in enumerate(self.pairs):
            for i, (r, c) in enumerate(self.tril):  # d (L L')_ab / d L_rc = [a == r] L_bc + [b == r] L_ac
                J[e, i] = (Lm[b, c] if a == r else 0.0) + (Lm[a, c] if b == r else 0.0)
        return g, J

    def project(self, th: np.ndarray) -> np.ndarray:
        return th.copy()

    def held(self, th: np.ndarray, score: np.ndarray) -> np.ndarray:
        return np.zeros(th.shape, dtype=bool)  # no bounds on the Cholesky factor

    def start(self, tau2: float) -> np.ndarray:
        return np.asarray([math.sqrt(max(tau2, 1e-12)) if a == b else 0.0 for a, b in self.tril])

    def natural(self, th: np.ndarray) -> np.ndarray:
        """(tau2..., rho...) of G = L L'."""
        Gm = self.G(th)
        t2 = np.diag(Gm).copy()
        rho = [Gm[a, b] / math.sqrt(t2[a] * t2[b]) if t2[a] > 0 and t2[b] > 0 else 0.0 for a, b in self.off]
        return np.concatenate([t2, np.asarray(rho)])


def _struct_scoring(model: _Model, st: _Struct, th0: np.ndarray, maxiter: int) -> tuple[np.ndarray, bool, int]:
    """Fisher scoring in theta: score J' s_g, information J' I_g J (the likelihood is linear in g); step halving keeps
    the likelihood increasing, tau2 >= 0 and |rho| <= 1."""
    th = st.project(th0)

    def ll_of(t: np.ndarray) -> float:
        return model.loglik(st.g_jac(t)[0])

    ll = ll_of(th)
    for it in range(1, maxiter + 1):
        g, J = st.g_jac(th)
        _, sc_g, info_g = model.score_info(g)
        sc = J.T @ sc_g
        info = J.T @ info_g @ J
        # Cholesky coordinates: the information is singular in the direction of a vanishing diagonal element of
        # L (the likelihood depends on its square), so that direction is cut off (rcond 1e-9) instead of followed
        rcond = 1e-9 if isinstance(st, _CholUN) else 1e-14
        # a component held at its bound (tau2 = 0, rho = +-1) by a score pointing outwards stays there, and the
        # step of the others is solved with it fixed (else their joint step, cut by the projection, can stall:
        # dat.kalaian1996, rho = -1)
        held = st.held(th, sc)
        step = np.zeros_like(th)
        free = ~held
        if np.any(free):
            step[free] = np.linalg.lstsq(info[np.ix_(free, free)], sc[free], rcond=rcond)[0]
        lam = 1.0
        for _ in range(60):
            new = st.project(th + lam * step)
            lln = ll_of(new)
            if lln >= ll - 1e-12 * max(1.0, abs(ll)):
                break
            lam *= 0.5
        else:
            return th, True, it
        change = np.abs(new - th)
        th, ll = new, lln
        if np.all(change <= _THRESHOLD * np.maximum(1e-8, np.abs(th))):
            return th, True, it
    return th, False, maxiter


# long: the rma.mv kernel for ~ inner | outer, step by step as metafor (scoring, GLS, tests, QE, fit statistics)
def multivariate(
    yi: Any,
    vi: Any,
    inner: Sequence[Any],
    outer: Sequence[Any],
    *,
    struct: MVStruct = "CS",
    X: Any = None,
    V: Any = None,
    method: Literal["REML", "ML"] = "REML",
    test: Literal["z", "t"] = "z",
    level: float = 95,
    maxiter: int = 2000,
) -> MultivariateResult:
    """Fit ``rma.mv(yi, V, mods=X, random = ~ inner | outer, struct=, method=, test=)``.

    Within an outer group (a study), the true effects of inner levels a and b (outcomes, time points)
    have covariance ``G[a, b]``: CS ``tau2 (rho if a != b)``, HCS ``tau_a tau_b (rho if a != b)``,
    UN a free covariance matrix, AR ``tau2 rho^|a - b|`` over the sorted levels, HAR
    ``tau_a tau_b rho^|a - b|``, DIAG ``tau2_a`` on the diagonal and no covariance.  ``V`` (k x k,
    e.g. :func:`vcalc`) defaults to ``diag(vi)`` and may not link different outer groups.
    """
    method, test, lvl = _options(method, test, level)
    struct = check_choice("struct", struct, MV_STRUCTS)
    y, v, Vm = _effects_and_V(yi, vi, V)
    k = len(y)
    o = _labels("outer", outer, k)
    inn = _labels("inner", inner, k)
    levels = _sorted_levels(inn)
    lev_idx = {lv: i for i, lv in enumerate(levels)}
    inner_codes = np.asarray([lev_idx[x] for x in inn.tolist()])
    _, o_codes = np.unique(o, return_inverse=True)
    if V is not None and np.any(Vm[o_codes[:, None] != o_codes[None, :]] != 0):
        raise InputError("V has covariances between effect sizes of different outer groups", column="V",
                         has_value=False, fix="build V within the outer groups only (vcalc with cluster = outer)")
    n = len(levels)
    st = _CholUN(n) if struct == "UN" and n > 2 else _Struct(struct, n)
    groups = []
    for rows in _cluster_blocks(o_codes):
        ic = inner_codes[rows]  # (m, s)
        D = np.stack([((ic[:, :, None] == a) & (ic[:, None, :] == b)) | ((ic[:, :, None] == b) & (ic[:, None, :] == a))
                      for a, b in st.pairs]).astype(float)
        groups.append((rows, D))
    Xm = _design(X, k)
    p = Xm.shape[1]
    if k - p < st.size:
        raise InputError(f"too few effect sizes (k = {k}) for {p} coefficient(s) and {st.size} variance parameters "
                         f"(struct {struct})", has_value=False, fix="use fewer moderators or a simpler struct")
    notes: list[Note] = []
    model = _Model(y, Vm, Xm, groups, method == "REML")
    t0 = float(_start(y, Vm, Xm, 1)[0])
    th0 = st.start(t0) if isinstance(st, _CholUN) else np.concatenate([np.full(st.n_tau2, t0), np.zeros(st.n_rho)])
    th_int, ok, its = _struct_scoring(model, st, th0, maxiter)
    if isinstance(st, _CholUN):  # a near-zero diagonal element of L: try it at 0 (G singular), keep the better fit
        diag = [i for i, (a, b) in enumerate(st.tril) if a == b]
        scale = max(abs(th_int[i]) for i in diag)
        small = [i for i in diag if abs(th_int[i]) < 1e-3 * scale]
        if small:
            th1 = th_int.copy()
            th1[small] = 0.0
            th1, ok1, its1 = _struct_scoring(model, st, th1, maxiter)
            if ok1 and model.loglik(st.g_jac(th1)[0]) > model.loglik(st.g_jac(th_int)[0]):
                th_int, ok, its = th1, ok1, its + its1
    g, _ = st.g_jac(th_int)
    Gm = st.G(th_int)
    th = st.natural(th_int) if isinstance(st, _CholUN) else th_int
    if not ok:
        notes.append(Note(NoteCode.NO_CONVERGENCE, f"The variance components did not converge in {maxiter} "
                                                   "Fisher scoring iterations; the last values are reported."))
    if not isinstance(st, _CholUN) and (np.any(th[:st.n_tau2] <= 0.0) or np.any(np.abs(th[st.n_tau2:]) >= 1.0)):
        notes.append(Note(NoteCode.NO_CONVERGENCE, "A variance component is at its boundary (tau2 = 0 or |rho| = 1); "
                                                   "treat the random-effects structure with caution."))
    if isinstance(st, _CholUN) and float(np.linalg.eigvalsh(Gm)[0]) <= 1e-8 * float(np.max(np.diag(Gm))):
        notes.append(Note(NoteCode.NO_CONVERGENCE, "The unstructured G is singular at the maximum (on the boundary "
                                                   "of positive semi-definite matrices)."))
    r = _gls_tests(model, Vm, g, groups, test, lvl)
    fs = _from_ll(r.ll, r.ll_sat(V is None), method, p + st.size, k, p)
    return MultivariateResult(
        k=k, p=p, beta=r.beta, vb=r.vb, se=r.se, zval=r.zval, pval=r.pval, ci_low=r.beta - r.crit * r.se,
        ci_high=r.beta + r.crit * r.se, df=r.df, struct=struct, tau2=th[:st.n_tau2].copy(), rho=th[st.n_tau2:].copy(),
        G=Gm, inner_levels=tuple(levels), n_outer=int(o_codes.max()) + 1, qe=r.qe, qe_df=r.qe_df,
        qe_pvalue=float(sps.chi2.sf(r.qe, r.qe_df)), qm=r.qm, qm_df=r.qm_df, qm_pvalue=r.qm_p, fit_statistics=fs,
        yi=y, vi=v, V=Vm, X=Xm, M=r.M, cluster=tuple(o.tolist()), method=method, test=test, level=lvl, converged=ok,
        iterations=its, notes=tuple(notes),
    )
