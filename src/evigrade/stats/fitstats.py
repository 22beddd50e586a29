"""Fit statistics, model comparison and predictions for a fitted model, as metafor 3.8.

* :func:`fit_statistics` -- ``logLik``, ``deviance``, ``AIC``, ``BIC``, ``AICc`` (metafor's
  ``fitstats()``): the restricted likelihood for REML fits, the full likelihood otherwise (also for
  the non-likelihood estimators DL, PM, ..., evaluated at their tau²; metafor does the same).
  ``parms`` counts the fixed effects plus the variance components that were estimated.
* :func:`lrt` -- likelihood-ratio test between nested models (metafor ``anova(full, reduced)``).
  REML likelihoods are comparable only between models with the same fixed effects; a REML pair with
  different design matrices is a SpecError (metafor warns and reports a meaningless test).
* :func:`wald_test` -- Wald-type test of a set of coefficients (``anova(x, btt=)``) or of linear
  combinations ``L beta`` (``anova(x, X=L)``); F-tests for t-based fits (HKSJ, ``test="t"``).
* :func:`predict` -- ``predict(x, newmods=)``: fitted values with CI and prediction interval.

Each accepts an :class:`~evigrade.stats.results.RmaFit` (``fit_rma``), a ``MetaResult``
(``meta_analysis``) or a :class:`~evigrade.stats.multilevel.MultilevelResult`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
from .. import _dist as sps

from .._validate import check_level
from ..errors import InputError, SpecError
from ..notes import NoteCode
from ..results import Note, ResultMixin, json_keys

__all__ = [
    "FitStatistics",
    "LikelihoodRatioTest",
    "WaldTest",
    "Prediction",
    "fit_statistics",
    "lrt",
    "wald_test",
    "predict",
]

_LOG2PI = math.log(2.0 * math.pi)


@json_keys("loglik", "deviance", "aic", "bic", "aicc", "likelihood", "parms", "k", "p")
@dataclass(frozen=True, slots=True)
class FitStatistics(ResultMixin):
    """metafor's ``fitstats()`` column for one model.

    ``likelihood`` is ``"REML"`` (restricted) or ``"ML"``; ``parms`` the number of estimated
    parameters (fixed effects + variance components); ``k`` and ``p`` the studies (effect sizes)
    and fixed effects.  ``deviance`` is metafor's: for ML, -2 (ll - ll of the saturated model);
    for REML, -2 ll.
    """

    loglik: float
    deviance: float
    aic: float
    bic: float
    aicc: float
    likelihood: str
    parms: int
    k: int
    p: int


def _from_ll(ll: float, ll_sat: float, likelihood: str, parms: int, k: int, p: int) -> FitStatistics:
    n = k if likelihood == "ML" else k - p
    dev = -2.0 * (ll - ll_sat) if likelihood == "ML" else -2.0 * ll
    m = max(n, parms + 2)
    return FitStatistics(
        loglik=float(ll), deviance=float(dev), aic=float(-2 * ll + 2 * parms), bic=float(-2 * ll + parms * math.log(n)),
        aicc=float(-2 * ll + 2 * parms * m / (m - parms - 1)), likelihood=likelihood, parms=int(parms), k=int(k),
        p=int(p),
    )


def _parts(x: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, float, str]:
    """yi, vi, X, tau2 and the estimator of an RmaFit or MetaResult."""
    y = np.asarray(x.yi, dtype=float)
    v = np.asarray(x.vi, dtype=float)
    X = getattr(x, "X", None)
    X = np.ones((len(y), 1)) if X is None else np.asarray(X, dtype=float)
    method = str(getattr(x, "method", ""))
    if method in ("MH", "PETO"):
        raise SpecError(f"fit statistics need a likelihood-based model; method={method!r} has none "
                        "(refit with method='FE' for a common-effect likelihood)")
    return y, v, X, float(x.tau2), method


def uni_loglik(y: np.ndarray, v: np.ndarray, X: np.ndarray, tau2: float, restricted: bool) -> tuple[float, float]:
    """metafor's ``ll.ML`` / ``ll.REML`` (with its ``REMLf`` constant 1/2 log|X'X|) and the ML saturated ll."""
    k, p = X.shape
    w = 1.0 / (v + tau2)
    sw = np.sqrt(w)
    Qw, Rw = np.linalg.qr(X * sw[:, None])
    beta = np.linalg.solve(Rw, Qw.T @ (y * sw))
    rss = float(np.sum(w * (y - X @ beta) ** 2))
    logdet_v = float(np.sum(np.log(v + tau2)))
    ll_sat = float(np.sum(-0.5 * _LOG2PI - 0.5 * np.log(v)))
    if not restricted:
        return -0.5 * k * _LOG2PI - 0.5 * logdet_v - 0.5 * rss, ll_sat
    logdet_xwx = 2.0 * float(np.sum(np.log(np.abs(np.diag(Rw)))))
    _, logdet_xx = np.linalg.slogdet(X.T @ X)
    return -0.5 * (k - p) * _LOG2PI + 0.5 * logdet_xx - 0.5 * logdet_v - 0.5 * logdet_xwx - 0.5 * rss, 0.0


def fit_statistics(x: Any, *, restricted: bool | None = None) -> FitStatistics:
    """``fitstats(x)``: log-likelihood, deviance, AIC, BIC and AICc.

    ``restricted`` (default: True for REML fits) chooses the restricted likelihood; set it to True
    to evaluate a common-effect fit (tau² = 0, ``parms = p``) on the REML scale, as metafor's
    ``rma(method="REML", tau2=0)``, for a likelihood-ratio test of tau².
    """
    own = getattr(x, "fit_statistics", None)
    if isinstance(own, FitStatistics):
        if restricted is not None and restricted != (own.likelihood == "REML"):
            raise SpecError(f"restricted={restricted!r}: this model was fitted by {own.likelihood}; refit it to "
                            "compare on the other likelihood")
        return own
    y, v, X, tau2, method = _parts(x)
    if restricted is None:
        restricted = method == "REML"
    elif not isinstance(restricted, (bool, np.bool_)):
        raise SpecError(f"restricted must be True, False or None, got {restricted!r}")
    k, p = X.shape
    if restricted and k <= p:
        raise InputError(f"the restricted likelihood needs k > p (k = {k}, p = {p})", has_value=False,
                         fix="use restricted=False")
    ll, ll_sat = uni_loglik(y, v, X, tau2, bool(restricted))
    parms = p + (0 if method == "FE" else 1)
    return _from_ll(ll, ll_sat, "REML" if restricted else "ML", parms, k, p)


# ------------------------------------------------------------------------------------------ LRT


@json_keys("lrt", "df", "pval", "full", "reduced", "notes")
@dataclass(frozen=True, slots=True)
class LikelihoodRatioTest(ResultMixin):
    """metafor ``anova(full, reduced)``: LRT = 2 (ll_full - ll_reduced) on ``df`` = parms difference."""

    lrt: float
    df: int
    pval: float
    full: FitStatistics
    reduced: FitStatistics
    notes: tuple[Note, ...] = ()


def _design(x: Any) -> np.ndarray:
    X = getattr(x, "X", None)
    return np.ones((len(np.asarray(x.yi)), 1)) if X is None else np.asarray(X, dtype=float)


def lrt(full: Any, reduced: Any) -> LikelihoodRatioTest:
    """Likelihood-ratio test of ``reduced`` nested in ``full`` (metafor ``anova(full, reduced)``).

    Both must be fitted to the same effect sizes, on the same likelihood: ML (or FE) for models
    that differ in their fixed effects; REML only when the fixed effects are the same.  A REML
    random-effects model against the common-effect model (``method="FE"``) with the same moderators
    tests tau² = 0 on the REML scale (the FE fit is evaluated on the restricted likelihood).
    The p-value is the chi² one; for a variance component on the boundary it is conservative
    (the null distribution is a 50:50 mixture), as in metafor.
    """
    yf, yr = np.asarray(full.yi, dtype=float), np.asarray(reduced.yi, dtype=float)
    if yf.shape != yr.shape or not np.array_equal(yf, yr) or not np.array_equal(np.asarray(full.vi), np.asarray(reduced.vi)):
        raise SpecError("full and reduced must be fitted to the same effect sizes (yi, vi)")
    mf, mr = str(getattr(full, "method", "")), str(getattr(reduced, "method", ""))
    reml = "REML" in (mf, mr)
    if reml:
        if {mf, mr} - {"REML", "FE"}:
            raise SpecError(f"cannot compare a {mf} fit with a {mr} fit: refit both with method='ML' (or both REML "
                            "with the same moderators)")
        Xf, Xr = _design(full), _design(reduced)
        if Xf.shape != Xr.shape or not np.allclose(Xf, Xr):
            raise SpecError("REML likelihoods are comparable only between models with the same fixed effects; "
                            "refit both models with method='ML' to compare moderators")
        sf, sr = fit_statistics(full, restricted=True), fit_statistics(reduced, restricted=True)
    else:
        bad = [m for m in (mf, mr) if m not in ("ML", "FE")]
        if bad and not (hasattr(full, "fit_statistics") and hasattr(reduced, "fit_statistics")):
            raise SpecError(f"method={bad[0]!r} is not a likelihood estimator; refit both models with method='ML' "
                            "(or 'REML' with the same moderators)")
        sf, sr = fit_statistics(full), fit_statistics(reduced)
    if sf.likelihood != sr.likelihood:
        raise SpecError(f"full ({sf.likelihood}) and reduced ({sr.likelihood}) use different likelihoods")
    df = sf.parms - sr.parms
    if df <= 0:
        raise SpecError(f"the full model must have more parameters than the reduced one (got {sf.parms} and "
                        f"{sr.parms}); swap the arguments")
    stat = max(0.0, 2.0 * (sf.loglik - sr.loglik))
    notes: list[Note] = []
    if sf.loglik < sr.loglik - 1e-8 * max(1.0, abs(sr.loglik)):
        notes.append(Note(NoteCode.NOT_NESTED, "The reduced model fits better than the full one, so they are probably not "
                                        "nested; the test statistic was set to 0."))
    return LikelihoodRatioTest(lrt=float(stat), df=int(df), pval=float(sps.chi2.sf(stat, df)), full=sf, reduced=sr,
                               notes=tuple(notes))


# ------------------------------------------------------------------------------------------ Wald


@json_keys("qm", "qm_df", "qm_pvalue", "btt", "L", "estimate", "se", "stat", "pval", "test")
@dataclass(frozen=True, slots=True)
class WaldTest(ResultMixin):
    """A Wald-type test: of the coefficients ``btt`` (``estimate`` is then empty) or of ``L beta``.

    ``qm`` is chi² with ``qm_df[0]`` df for Wald z fits, and F with ``qm_df`` = (m, k - p) for
    t-based fits (HKSJ or ``test="t"``), as metafor.  ``estimate``, ``se``, ``stat``, ``pval``: one
    row per row of ``L``.
    """

    qm: float
    qm_df: tuple[int, int | None]
    qm_pvalue: float
    btt: tuple[int, ...] | None
    L: np.ndarray | None
    estimate: np.ndarray
    se: np.ndarray
    stat: np.ndarray
    pval: np.ndarray
    test: str


def _coef(x: Any) -> tuple[np.ndarray, np.ndarray, int | None, str]:
    beta = getattr(x, "beta", None)
    if beta is None:  # MetaResult
        beta = np.array([float(x.estimate)])
        vb = np.array([[float(x.se) ** 2]])
    else:
        beta = np.asarray(beta, dtype=float).reshape(-1)
        vb = np.asarray(x.vb, dtype=float)
    test = str(getattr(x, "test", "z"))
    df = getattr(x, "df", None)
    return beta, vb, (None if test == "z" else (None if df is None else int(df))), test


def wald_test(x: Any, btt: Sequence[int] | None = None, *, L: Any = None) -> WaldTest:
    """``anova(x, btt=)`` (0-based coefficient indices; default: all but the intercept, or the only one)
    or ``anova(x, X=L)`` (each row of ``L`` a linear combination of the coefficients)."""
    beta, vb, df, test = _coef(x)
    p = len(beta)
    if L is not None and btt is not None:
        raise SpecError("give either btt (coefficients) or L (linear combinations), not both")
    est = se = stat = pv = np.array([])
    if L is not None:
        Lm = np.asarray(L, dtype=float)
        if Lm.ndim == 1:
            Lm = Lm[None, :]
        if Lm.ndim != 2 or Lm.shape[1] != p or not np.all(np.isfinite(Lm)):
            raise SpecError(f"L must be a finite matrix with {p} columns (one per coefficient), got shape {Lm.shape}")
        est = Lm @ beta
        VL = Lm @ vb @ Lm.T
        se = np.sqrt(np.diag(VL))
        with np.errstate(divide="ignore", invalid="ignore"):
            stat = est / se
        pv = 2 * (sps.t.sf(np.abs(stat), df) if df is not None else sps.norm.sf(np.abs(stat)))
        m = int(np.linalg.matrix_rank(Lm))
        if m < Lm.shape[0]:
            raise SpecError("the rows of L are linearly dependent; the omnibus test needs independent hypotheses")
        qm = float(est @ np.linalg.solve(VL, est))
        idx = None
    else:
        if btt is None:
            idx = tuple(range(1, p)) if p > 1 else (0,)
        else:
            try:
                idx = tuple(sorted({int(i) for i in np.atleast_1d(np.asarray(btt))}))
            except (TypeError, ValueError):
                raise SpecError(f"btt={btt!r} must be coefficient indices (0-based)") from None
            if not idx or idx[0] < 0 or idx[-1] >= p:
                raise SpecError(f"btt={btt!r} must hold indices between 0 and {p - 1}")
        b = beta[list(idx)]
        qm = float(b @ np.linalg.solve(vb[np.ix_(idx, idx)], b))
        m = len(idx)
        Lm = None
    if df is not None:
        qm = qm / m
        return WaldTest(qm=qm, qm_df=(m, df), qm_pvalue=float(sps.f.sf(qm, m, df)), btt=idx, L=Lm, estimate=est,
                        se=se, stat=stat, pval=pv, test=test)
    return WaldTest(qm=qm, qm_df=(m, None), qm_pvalue=float(sps.chi2.sf(qm, m)), btt=idx, L=Lm, estimate=est, se=se,
                    stat=stat, pval=pv, test=test)


# ------------------------------------------------------------------------------------------ predict


@json_keys("X", "pred", "se", "ci_low", "ci_high", "pi_low", "pi_high", "level", "df", "notes")
@dataclass(frozen=True, slots=True)
class Prediction(ResultMixin):
    """metafor ``predict(x, newmods=)``: one row per new moderator row (``X`` holds the full rows).

    ``pi_low``/``pi_high`` use sqrt(se² + tau²) (multilevel fits: + the sum of the variance
    components) with the CI's critical value; NaN for common-effect models, as metafor.
    """

    X: np.ndarray
    pred: np.ndarray
    se: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    pi_low: np.ndarray
    pi_high: np.ndarray
    level: float
    df: int | None
    notes: tuple[Note, ...] = ()

    def to_frame(self) -> Any:  # a pandas DataFrame (pandas is imported lazily)
        import pandas as pd

        return pd.DataFrame({"pred": self.pred, "se": self.se, "ci_low": self.ci_low, "ci_high": self.ci_high,
                             "pi_low": self.pi_low, "pi_high": self.pi_high})


def predict(x: Any, newmods: Any = None, *, intercept: bool = True, level: float | None = None) -> Prediction:
    """Predicted (average) effects for new moderator values.

    ``newmods``: one row per prediction, with one value per moderator (the intercept column is
    added when ``intercept=True`` and the row is one shorter than the design) or a full design row.
    Without ``newmods``: the pooled estimate (intercept-only models).  ``level`` defaults to the
    fit's own.
    """
    beta, vb, df, test = _coef(x)
    p = len(beta)
    lvl = float(getattr(x, "level", 0.95)) if level is None else check_level(level)
    if newmods is None:
        if p != 1:
            raise SpecError("newmods is required for a model with moderators (one row of moderator values per "
                            "prediction)")
        Xn = np.ones((1, 1))
    else:
        Xn = np.asarray(newmods, dtype=float)
        if Xn.ndim == 0:
            Xn = Xn.reshape(1, 1)
        elif Xn.ndim == 1:
            Xn = Xn[:, None] if (p - int(bool(intercept))) == 1 else Xn[None, :]
        if Xn.ndim != 2 or not np.all(np.isfinite(Xn)):
            raise SpecError("newmods must be a finite matrix: one row per prediction, one column per moderator")
        if intercept and Xn.shape[1] == p - 1:
            Xn = np.column_stack([np.ones(len(Xn)), Xn])
        if Xn.shape[1] != p:
            raise SpecError(f"newmods has {Xn.shape[1]} columns; the model has {p} coefficients"
                            f"{' (intercept included)' if intercept else ''}: give {p - int(bool(intercept))} "
                            "moderator values per row")
    pred = Xn @ beta
    se = np.sqrt(np.einsum("ij,jk,ik->i", Xn, vb, Xn))
    crit = float(sps.t.isf((1 - lvl) / 2, df)) if df is not None else float(sps.norm.isf((1 - lvl) / 2))
    method = str(getattr(x, "method", ""))
    total_var = getattr(x, "total_variance", None)
    tau2 = float(total_var) if total_var is not None else float(getattr(x, "tau2", 0.0))
    notes: list[Note] = []
    if method == "FE":
        pi_lo = pi_hi = np.full(len(pred), np.nan)
        notes.append(Note(NoteCode.UNDEFINED, "A common-effect model has no between-study variance, so no prediction "
                                       "interval is given (as metafor)."))
    else:
        half = crit * np.sqrt(se**2 + tau2)
        pi_lo, pi_hi = pred - half, pred + half
    return Prediction(X=Xn, pred=pred, se=se, ci_low=pred - crit * se, ci_high=pred + crit * se, pi_low=pi_lo,
                      pi_high=pi_hi, level=lvl, df=df, notes=tuple(notes))
