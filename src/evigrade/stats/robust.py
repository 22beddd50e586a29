"""Cluster-robust variance for a fitted model, as metafor 3.8's ``robust()``.

``robust(fit, cluster)`` keeps the fitted coefficients and replaces their covariance matrix by a
sandwich estimator that allows any correlation of the effect sizes within a cluster (e.g. several
outcomes or time points of one trial):

* ``vcov="CR1"`` (metafor's default ``robust(x, cluster)``): bread ``(X'WX)^-1 X'W``, meat the
  cluster blocks of ``e e'``, times ``n / (n - p)`` for ``n`` clusters; t-tests and CIs with
  ``n - p`` df, omnibus F-test with ``(m, n - p)`` df.
* ``vcov="CR2"`` (metafor's ``robust(x, cluster, clubSandwich=TRUE)``, i.e. clubSandwich's
  ``vcovCR(type="CR2")``, ``coef_test(test="Satterthwaite")``, ``conf_int`` and
  ``Wald_test(test="HTZ")``): the bias-reduced linearisation of Bell & McCaffrey (2002) and
  Pustejovsky & Tipton (2018) with the fitted model as working model; each coefficient gets its
  own Satterthwaite df, the omnibus test is the Hotelling T²-Z approximation.

``fit`` is an :class:`~evigrade.stats.results.RmaFit` (``fit_rma``), a ``MetaResult`` or a
:class:`~evigrade.stats.multilevel.MultilevelResult` (its marginal covariance is the working
model; for CR2 its random effects must be nested within the clusters, as clubSandwich requires).
The working weights are the model's own (inverse of the marginal covariance).  Deliberate difference:
on a Hartung-Knapp fit metafor's ``robust()`` multiplies its bread by the HKSJ factor s²; here the
sandwich is the same as for the model fitted with a z-test (a Note says so).  The computation
is vectorised over clusters of equal size (one batched eigen-decomposition per distinct size).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, Sequence

import numpy as np
from .. import _dist as sps

from .._validate import check_choice, check_level
from ..errors import InputError, SpecError
from ..notes import NoteCode
from ..results import Note, ResultMixin, json_keys

__all__ = ["RobustResult", "robust", "VCOV_TYPES"]

VCOV_TYPES: tuple[str, ...] = ("CR1", "CR2")


@json_keys("vcov", "beta", "se", "stat", "df", "pval", "ci_low", "ci_high", "vb", "qm", "qm_df", "qm_pvalue", "btt",
           "n_clusters", "k", "p", "level", "cluster_size_min", "cluster_size_max", "notes")
@dataclass(frozen=True, slots=True)
class RobustResult(ResultMixin):
    """Cluster-robust tests of a model's coefficients.

    ``df`` holds one value per coefficient (``n - p`` for CR1; Satterthwaite df for CR2);
    ``vb`` is the robust covariance matrix; ``qm`` the omnibus test of ``btt`` (F with ``qm_df``).
    ``n_clusters`` and ``cluster_sizes`` describe the clustering.
    """

    vcov: str
    beta: np.ndarray
    se: np.ndarray
    stat: np.ndarray
    df: np.ndarray
    pval: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    vb: np.ndarray
    qm: float
    qm_df: tuple[float, float]
    qm_pvalue: float
    btt: tuple[int, ...]
    n_clusters: int
    cluster_sizes: np.ndarray
    k: int
    p: int
    level: float
    notes: tuple[Note, ...] = ()

    @property
    def cluster_size_min(self) -> int:
        return int(self.cluster_sizes.min())

    @property
    def cluster_size_max(self) -> int:
        return int(self.cluster_sizes.max())


def _working(fit: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, bool]:
    """y, X, beta, the working (marginal) covariance and whether it is diagonal."""
    y = np.asarray(fit.yi, dtype=float)
    k = len(y)
    X = getattr(fit, "X", None)
    X = np.ones((k, 1)) if X is None else np.asarray(X, dtype=float)
    beta = getattr(fit, "beta", None)
    beta = np.array([float(fit.estimate)]) if beta is None else np.asarray(beta, dtype=float).reshape(-1)
    M = getattr(fit, "M", None)
    if M is not None:
        return y, X, beta, np.asarray(M, dtype=float), False
    if str(getattr(fit, "method", "")) in ("MH", "PETO"):
        raise SpecError(f"robust() needs an inverse-variance model; method={fit.method!r} is not one "
                        "(refit with method='FE')")
    v = np.asarray(fit.vi, dtype=float) + float(fit.tau2)
    return y, X, beta, v, True


def _blocks(codes: np.ndarray) -> list[np.ndarray]:
    """Row indices of the clusters, grouped by cluster size: one (m, s) array per size s."""
    order = np.argsort(codes, kind="stable")
    sizes = np.bincount(codes)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    out = []
    for s in np.unique(sizes):
        cids = np.flatnonzero(sizes == s)
        out.append(order[starts[cids][:, None] + np.arange(s)[None, :]])
    return out


def _msqrt_inv(G: np.ndarray) -> np.ndarray:
    """Batched symmetric G^(-1/2) (clubSandwich's matrix_power(G, -1/2): eigenvalues kept as they are)."""
    G = 0.5 * (G + np.swapaxes(G, -1, -2))
    ev, vec = np.linalg.eigh(G)
    with np.errstate(divide="ignore", invalid="ignore"):
        d = np.where(ev > 0, 1.0 / np.sqrt(np.where(ev > 0, ev, 1.0)), 0.0)
    out: np.ndarray = (vec * d[..., None, :]) @ np.swapaxes(vec, -1, -2)
    return out


def robust(
    fit: Any,
    cluster: Sequence[Any],
    *,
    vcov: Literal["CR1", "CR2"] = "CR1",
    btt: Sequence[int] | None = None,
    level: float | None = None,
) -> RobustResult:
    """Cluster-robust standard errors, tests and CIs (metafor ``robust(x, cluster)``; ``vcov="CR2"``
    is ``robust(x, cluster, clubSandwich=TRUE)``).

    ``cluster``: one label per effect size (e.g. the study of each outcome).  ``btt``: the
    coefficients of the omnibus test (0-based; default all but the intercept).
    """
    vcov = check_choice("vcov", vcov, VCOV_TYPES)
    y, X, beta, Vw, diag = _working(fit)
    k, p = X.shape
    lvl = float(getattr(fit, "level", 0.95)) if level is None else check_level(level)
    cl = list(cluster) if not isinstance(cluster, np.ndarray) else cluster.tolist()
    if len(cl) != k:
        raise InputError(f"cluster has {len(cl)} values but the model has {k} effect sizes", column="cluster",
                         has_value=False, fix="give one cluster label (e.g. study) per effect size")
    for i, c in enumerate(cl):
        if c is None or (isinstance(c, float) and np.isnan(c)) or (isinstance(c, str) and not c.strip()):
            raise InputError("cluster label is missing", row=i + 1, column="cluster", value=c, has_value=True,
                             fix="give every effect size its cluster (study) label")
    _, codes = np.unique(np.asarray([str(c) for c in cl]), return_inverse=True)
    n = int(codes.max()) + 1
    dfs = n - p
    if dfs <= 0:
        raise InputError(f"number of clusters ({n}) must be larger than the number of coefficients ({p})",
                         column="cluster", has_value=False, fix="use fewer moderators or a coarser cluster")
    sizes = np.bincount(codes)
    notes: list[Note] = []
    if str(getattr(fit, "test", "z")) == "knha":
        # metafor 3.8's robust() builds its bread from x$vb, which for test="knha" already carries the
        # HKSJ factor s2, so its robust SEs are s2 times too large or small; the sandwich needs none.
        notes.append(Note(NoteCode.ROBUST_REPLACES_KNHA, "The Hartung-Knapp adjustment is replaced by the cluster-robust "
                                                  "variance (t-tests on the robust df); the result equals metafor's "
                                                  "robust() on the same model fitted with test='z' (metafor also "
                                                  "scales its bread by the HKSJ factor on a knha fit)."))
    if n < 20 and vcov == "CR1":
        notes.append(Note(NoteCode.ROBUST_FEW_CLUSTERS, f"Only {n} clusters: the CR1 sandwich estimator can be biased "
                                                 "downwards; consider vcov='CR2' (clubSandwich)."))
    # working weights W = Vw^-1 (block-diagonal by cluster for the models we fit)
    if diag:
        w = 1.0 / Vw
        WX = X * w[:, None]
    else:
        WX = np.linalg.solve(Vw, X)
    XtWX = X.T @ WX
    Mw = np.linalg.inv(XtWX)
    Mw = 0.5 * (Mw + Mw.T)
    e = y - X @ beta
    if btt is None:
        idx = tuple(range(1, p)) if (p > 1 and np.allclose(X[:, 0], 1.0)) else tuple(range(p))
    else:
        idx = tuple(sorted({int(i) for i in np.atleast_1d(btt)}))
        if not idx or idx[0] < 0 or idx[-1] >= p:
            raise SpecError(f"btt={btt!r} must hold coefficient indices between 0 and {p - 1}")
    m = len(idx)

    if vcov == "CR1":
        U = np.zeros((n, p))
        np.add.at(U, codes, WX * e[:, None])
        vb = Mw @ (U.T @ U) @ Mw * (n / dfs)
        se = np.sqrt(np.diag(vb))
        stat = beta / se
        df = np.full(p, float(dfs))
        b = beta[list(idx)]
        qm = float(b @ np.linalg.solve(vb[np.ix_(idx, idx)], b)) / m
        qm_df = (float(m), float(dfs))
        qm_p = float(sps.f.sf(qm, m, dfs))
    else:
        vb, df, GG, H = _cr2(X, e, Vw, diag, codes, Mw, n)
        se = np.sqrt(np.diag(vb))
        stat = beta / se
        if p == 1:
            qm = float(stat[0] ** 2)
            qm_df = (1.0, float(df[0]))
            qm_p = float(2 * sps.t.sf(abs(stat[0]), df[0]))
        else:
            C = np.zeros((m, p))
            C[np.arange(m), list(idx)] = 1.0
            qm, qm_df, qm_p = _htz(C, beta, vb, GG, H)
        notes.append(Note(NoteCode.ROBUST_CR2, "Cluster-robust CR2 variance with Satterthwaite df per coefficient "
                                        "(clubSandwich; Pustejovsky & Tipton 2018)."))
    pval = 2 * sps.t.sf(np.abs(stat), df)
    crit = sps.t.isf((1 - lvl) / 2, df)
    if np.any(df < 4):
        notes.append(Note(NoteCode.ROBUST_SMALL_DF, "At least one coefficient has fewer than 4 degrees of freedom: its "
                                             "robust test and CI are unreliable (Tipton 2015)."))
    return RobustResult(
        vcov=vcov, beta=beta, se=se, stat=stat, df=df, pval=pval, ci_low=beta - crit * se, ci_high=beta + crit * se,
        vb=vb, qm=float(qm), qm_df=qm_df, qm_pvalue=float(qm_p), btt=idx, n_clusters=n, cluster_sizes=sizes, k=k,
        p=p, level=lvl, notes=tuple(notes),
    )


def _cr2(X: np.ndarray, e: np.ndarray, Vw: np.ndarray, diag: bool, codes: np.ndarray, Mw: np.ndarray,
         n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """CR2 covariance, Satterthwaite df, and per-cluster G G' (p x p) and H (p x p) for the HTZ test."""
    k, p = X.shape
    comp = np.zeros((n, p))
    GG = np.zeros((n, p, p))
    H = np.zeros((n, p, p))
    Lm = np.linalg.cholesky(Mw)
    for rows in _blocks(codes):
        mcl, s = rows.shape
        cid = codes[rows[:, 0]]
        Xb = X[rows]  # (m, s, p)
        if diag:
            Th = np.zeros((mcl, s, s))
            Th[:, np.arange(s), np.arange(s)] = Vw[rows]
            Wb = np.zeros((mcl, s, s))
            Wb[:, np.arange(s), np.arange(s)] = 1.0 / Vw[rows]
        else:
            Th = Vw[rows[:, :, None], rows[:, None, :]]
            Wb = np.linalg.inv(Th)
        L = np.linalg.cholesky(Th)  # Theta = L L'
        Lt = np.swapaxes(L, -1, -2)
        XW = np.swapaxes(Xb, -1, -2) @ Wb  # (m, p, s)
        IH = np.eye(s)[None] - Xb @ Mw[None] @ XW
        G = Lt @ IH @ Th @ L
        A = L @ _msqrt_inv(G) @ Lt
        E = XW @ A  # (m, p, s)
        comp[cid] = (E @ e[rows][:, :, None])[:, :, 0]
        ME = Mw[None] @ E
        Gs = ME @ L
        GG[cid] = Gs @ np.swapaxes(Gs, -1, -2)
        H[cid] = ME @ Xb @ Lm[None]
    vb = Mw @ (comp.T @ comp) @ Mw
    # Satterthwaite df per coefficient i: P_i[j,l] = -H_j[i].H_l[i] + delta_jl |G_j[i]|^2
    g = np.einsum("jii->ji", GG)  # (n, p)
    df = np.empty(p)
    for i in range(p):
        Hi = H[:, i, :]  # (n, u)
        K = Hi @ Hi.T
        tr = float(g[:, i].sum() - np.trace(K))
        ss = float(np.sum(K * K) - 2 * np.sum(g[:, i] * np.diag(K)) + np.sum(g[:, i] ** 2))
        df[i] = tr**2 / ss
    return vb, df, GG, H


def _htz(C: np.ndarray, beta: np.ndarray, vb: np.ndarray, GG: np.ndarray,
         H: np.ndarray) -> tuple[float, tuple[float, float], float]:
    """clubSandwich's Wald_test(test="HTZ") of C beta = 0."""
    q = C.shape[0]
    Cb = C @ beta
    Q = float(Cb @ np.linalg.solve(C @ vb @ C.T, Cb))
    GGc = C[None] @ GG @ C.T[None]  # (n, q, q)
    Hc = C[None] @ H  # (n, q, u)
    Omega = GGc.sum(0) - np.einsum("jsa,jta->st", Hc, Hc)
    On = _msqrt_inv(Omega)
    Ht = On[None] @ Hc
    GGt = On[None] @ GGc @ On[None]
    B = -np.einsum("jsa,kta->stjk", Ht, Ht)
    nj = B.shape[2]
    B[:, :, np.arange(nj), np.arange(nj)] += np.transpose(GGt, (1, 2, 0))
    var = np.einsum("stjk,tsjk->st", B, B) + np.einsum("ssjk,ttjk->st", B, B)
    nu = q * (q + 1) / float(var.sum())
    delta = max((nu - q + 1) / nu, 0.0)
    df2 = nu - q + 1
    F = delta * Q / q
    pv = float(sps.f.sf(F, q, df2)) if df2 > 0 else float("nan")
    return float(F), (float(q), float(df2)), pv
