"""Pooling one question's trial results when a study gives several of them (issue 20).

A question (outcome x time point x comparison x population) may hold several results of one study:
several intervention arms against one control, several scales of one outcome, several time points inside
one bucket.  Those results are not independent, so they are neither pooled as if they were (the study
would count several times) nor cut down to one per study (results would be lost).  Instead
:func:`pool_multilevel` fits the multilevel model of metafor

    V   <- vcalc(vi, cluster = study, obs = es_id, rho = rho)              # sampling covariance
    res <- rma.mv(yi, V, random = ~ 1 | study/es_id, method = "REML")      # results nested in studies
    rob <- robust(res, cluster = study, clubSandwich = TRUE)               # CR2, Satterthwaite t

and reports the robust estimate, its CI (t with the Satterthwaite df), the prediction interval
(``predict(rob)``: ``sqrt(se² + sigma2_study + sigma2_result)`` with the same df), the two variance
components, I² in total and per level (the multilevel I² of Nakagawa & Santos 2012 as given in the metafor
FAQ: ``sigma2 / (sum(sigma2) + (k - p) / tr(P))``, ``P = W - W X (X'WX)^-1 X'W``, ``W = V^-1``), the
residual heterogeneity test QE and each result's weight: metafor's default ``weights(res)`` (the diagonal of
the inverse marginal covariance, in shares: always positive, what forest plots print) and the ``type="rowsum"``
weights (each result's actual share in the estimate, which can be negative for a result correlated with a more
precise one of the same study; a study's rowsum total is always positive).  ``rho`` is the assumed correlation between the sampling errors of two results of one
study (default :data:`DEFAULT_RHO`, or the pack's ``[analysis] rho``); the cluster-robust variance keeps
the CI valid when that guess is wrong (Pustejovsky & Tipton 2022).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from ..results import Note, jsonable_dict
from ..stats.multilevel import MultilevelResult, multilevel, vcalc
from ..stats.robust import RobustResult, robust

__all__ = ["DEFAULT_RHO", "MultilevelPool", "pool_multilevel", "several_results"]

#: the assumed correlation between the sampling errors of two results of one study when the pack states none
#: (``[analysis] rho``); a common default for outcomes measured on the same participants (0.5 to 0.8 are usual)
DEFAULT_RHO = 0.6


@dataclass(frozen=True, slots=True)
class MultilevelPool:
    """A question's pooled result from a multilevel model with cluster-robust (CR2) inference.

    Names follow :class:`~evigrade.stats.results.MetaResult` where the concept is the same
    (``estimate, se, ci_low, ci_high, pi_low, pi_high, tau2, i2, q``; analysis scale: log for ratios;
    ``i2`` a fraction); ``tau2`` is the total between-result variance ``sigma2[0] + sigma2[1]``
    (between studies, between results of one study), ``i2_levels`` I² per level.  ``k`` counts the results
    (the model's rows), ``k_studies`` the studies (clusters); ``df`` is the Satterthwaite df of the CR2 t-test.
    ``weights`` are fractions summing to 1 (metafor ``weights(res)`` / 100, type "diagonal"; > 0);
    ``weights_rowsum`` metafor ``weights(res, type="rowsum")`` / 100 (can be < 0 for single results).
    """

    measure: str
    estimate: float
    se: float
    zval: float
    pval: float
    df: float
    ci_low: float
    ci_high: float
    pi_low: float
    pi_high: float
    tau2: float
    sigma2: tuple[float, float]
    i2: float
    i2_levels: tuple[float, float]
    q: float
    q_df: int
    q_pvalue: float
    k: int
    k_studies: int
    rho: float
    level: float
    yi: np.ndarray
    vi: np.ndarray
    study: tuple[str, ...]
    es_id: tuple[str, ...]
    weights: np.ndarray
    weights_rowsum: np.ndarray
    converged: bool
    notes: tuple[Note, ...] = ()
    method: str = "REML"
    test: str = "t"
    vcov: str = "CR2"
    model: str = "multilevel"
    fit: MultilevelResult | None = field(default=None, compare=False, repr=False)
    robust_fit: RobustResult | None = field(default=None, compare=False, repr=False)

    @property
    def k_effects(self) -> int:
        return self.k

    @property
    def method_text(self) -> str:
        """How the result was pooled, in words (printed with the finding)."""
        return (f"multilevel random-effects model ({self.method}; {self.k} results nested in {self.k_studies} studies; "
                f"sampling correlation {self.rho:g} assumed between results of one study) with cluster-robust "
                f"CR2 variance and a Satterthwaite t-test ({self.df:.1f} df)")

    def to_dict(self) -> dict[str, Any]:
        return jsonable_dict({
            "model": self.model, "method": self.method, "test": self.test, "vcov": self.vcov,
            "method_text": self.method_text, "measure": self.measure, "level": self.level, "rho": self.rho,
            "k_studies": self.k_studies, "k_effects": self.k, "estimate": self.estimate, "se": self.se,
            "tval": self.zval, "df": self.df, "pval": self.pval, "ci_low": self.ci_low, "ci_high": self.ci_high,
            "pi_low": self.pi_low, "pi_high": self.pi_high, "tau2": self.tau2,
            "sigma2_study": self.sigma2[0], "sigma2_result": self.sigma2[1], "i2": self.i2,
            "i2_study": self.i2_levels[0], "i2_result": self.i2_levels[1], "q": self.q, "q_df": self.q_df,
            "q_pvalue": self.q_pvalue, "converged": self.converged,
            # "effects", not "studies": one row per result, several per study
            "effects": [{"study": s, "es_id": e, "yi": y, "vi": v, "weight": w, "weight_rowsum": wr}
                        for s, e, y, v, w, wr in zip(self.study, self.es_id, self.yi, self.vi, self.weights,
                                                     self.weights_rowsum)],
            "notes": [n.to_dict() for n in self.notes],
        })


def several_results(study: Sequence[str]) -> dict[str, int]:
    """{study: number of results} for the studies that give more than one (in first-seen order)."""
    counts: dict[str, int] = {}
    for s in study:
        counts[s] = counts.get(s, 0) + 1
    return {s: n for s, n in counts.items() if n > 1}


def pool_multilevel(yi: Any, vi: Any, study: Sequence[str], es_id: Sequence[str], *,
                    measure: str, rho: float = DEFAULT_RHO, level: float = 0.95,
                    method: str = "REML") -> MultilevelPool:
    """Fit ``rma.mv(yi, vcalc(vi, study, es_id, rho), random = ~ 1 | study/es_id)`` and its CR2 robust
    inference (see the module docstring).  ``level`` is a fraction (0.95); ``method`` "REML" or "ML"."""
    from .. import _dist as sps

    y = np.asarray(yi, dtype=float)
    v = np.asarray(vi, dtype=float)
    st = tuple(str(s) for s in study)
    es = tuple(str(e) for e in es_id)
    V = vcalc(v, st, obs=es, rho=rho)
    fit = multilevel(y, v, st, es, V=V, method=method, test="t", level=level * 100,  # type: ignore[arg-type]
                     profile_ci=False)
    rob = robust(fit, st, vcov="CR2", level=level * 100)
    est, se, df = float(rob.beta[0]), float(rob.se[0]), float(rob.df[0])
    s2 = (float(fit.sigma2[0]), float(fit.sigma2[1]))
    crit = float(sps.t.isf((1 - level) / 2, df))
    half = crit * math.sqrt(se * se + s2[0] + s2[1])
    W = np.linalg.inv(V)
    X = fit.X
    WX = W @ X
    P = W - WX @ np.linalg.solve(X.T @ WX, WX.T)
    typical = (fit.k - fit.p) / float(np.trace(P))
    denom = s2[0] + s2[1] + typical
    Mi = np.linalg.inv(fit.M)
    Mi1 = Mi.sum(axis=1)
    dg = np.diag(Mi)
    notes = tuple(dict.fromkeys((*fit.notes, *rob.notes)))
    return MultilevelPool(
        measure=measure, estimate=est, se=se, zval=float(rob.stat[0]), pval=float(rob.pval[0]), df=df,
        ci_low=float(rob.ci_low[0]), ci_high=float(rob.ci_high[0]), pi_low=est - half, pi_high=est + half,
        tau2=s2[0] + s2[1], sigma2=s2, i2=(s2[0] + s2[1]) / denom, i2_levels=(s2[0] / denom, s2[1] / denom),
        q=float(fit.qe), q_df=int(fit.qe_df), q_pvalue=float(fit.qe_pvalue), k=fit.k, k_studies=rob.n_clusters,
        rho=float(rho), level=level, yi=y, vi=v, study=st, es_id=es, weights=dg / float(dg.sum()), weights_rowsum=Mi1 / float(Mi1.sum()),
        converged=bool(fit.converged), notes=notes, method=fit.method, fit=fit, robust_fit=rob)
