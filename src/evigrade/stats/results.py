"""Frozen results of the statistics core: ``AnalysisSpec``, ``Diagnostics``, ``RmaFit``, ``MetaResult``, and the
blocks the model results share: ``CoefficientFit`` (a coefficient table), ``LikelihoodFit`` (a model fitted by
(RE)ML: ``rma.mv``, ``rma.ls``) and ``PooledEstimate`` (one pooled effect).

Numbers stay numbers (``i2`` is a fraction 0..1); ``to_dict()`` is JSON-safe (NaN -> None) and is
exactly what the CLI's ``--json`` prints.  The shared blocks are keyword-only (every result is built by
keyword); a result's JSON keeps its own key order (its ``to_dict`` or ``json_keys`` names them).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ..results import Note, ResultMixin, attrs_dict, json_keys, jsonable_dict

if TYPE_CHECKING:
    import pandas as pd

    from .fit import MethodName, TestName
    from .fitstats import FitStatistics

__all__ = ["AnalysisSpec", "Diagnostics", "CoefficientFit", "LikelihoodFit", "PooledEstimate", "RmaFit", "MetaResult"]


@dataclass(frozen=True, slots=True)
class AnalysisSpec:
    """The options an analysis was run with (validated once, recorded with the result).

    ``method`` is the requested tau² estimator (or ``"MH"``/``"PETO"``), ``test`` is ``"z"`` or
    ``"knha"`` (Hartung-Knapp-Sidik-Jonkman), ``adhoc`` is metafor's ``test="adhoc"`` (HKSJ with the
    scale factor s² truncated below at 1), ``level`` a fraction (0.95), ``preset`` e.g. ``"revman5"``.
    """

    method: str = "REML"
    test: str = "knha"
    level: float = 0.95
    adhoc: bool = False
    preset: str | None = None
    measure: str | None = None
    pi: bool = True
    tau2_ci: bool = True

    def to_dict(self) -> dict[str, Any]:
        return attrs_dict(self, "method", "test", "level", "adhoc", "preset", "measure", "pi", "tau2_ci")


@json_keys("tau2_raw", "converged", "iterations", "fallback_chain", "method_used", "knha_scale", "vt")
@dataclass(frozen=True, slots=True)
class Diagnostics(ResultMixin):
    """How the estimate was obtained.

    ``tau2_raw``: the estimator's value before truncation at 0 (NaN where not applicable).
    ``converged``/``iterations``: of the iterative estimator finally used (closed forms: True/0).
    ``fallback_chain``: every estimator tried, in order; the last one produced the result.
    ``method_used``: the estimator that produced tau² (differs from the request after a fallback).
    ``knha_scale``: the HKSJ scale factor s² (1.0 for Wald tests).
    ``vt``: metafor's "typical" within-study variance used for I² and H².
    """

    tau2_raw: float = float("nan")
    converged: bool = True
    iterations: int = 0
    fallback_chain: tuple[str, ...] = ()
    method_used: str = ""
    knha_scale: float = 1.0
    vt: float = float("nan")


@dataclass(frozen=True, slots=True, kw_only=True)
class CoefficientFit:
    """The coefficient table of a fitted model (metafor's ``beta``, ``se``, ``zval``, ``pval``, ``ci.lb``, ``ci.ub``).

    Arrays have one entry per column of the model matrix (``p`` of them, from ``k`` effects); ``vb`` is the
    coefficients' covariance matrix; ``zval`` is z for Wald tests and t (with ``df`` degrees of freedom; ``None``
    for z) otherwise; the CIs are at ``level`` (a fraction).  ``notes`` records every correction made on the way.
    """

    k: int
    p: int
    beta: np.ndarray
    vb: np.ndarray
    se: np.ndarray
    zval: np.ndarray
    pval: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    df: int | None
    level: float
    notes: tuple[Note, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class LikelihoodFit(CoefficientFit):
    """A model whose variance parameters are fitted by maximising the (restricted) likelihood (metafor ``rma.mv``,
    ``rma.ls``): the coefficient table, the residual heterogeneity test QE (``qe_df = k - p``), the omnibus test
    QM of the coefficients (chi² with ``qm_df[0]`` df, or F with ``qm_df``), the fit statistics, the data
    (``yi``, ``vi``, model matrix ``X``), the options and how the maximiser ended (``converged``, ``iterations``).
    """

    qe: float
    qe_df: int
    qe_pvalue: float
    qm: float
    qm_df: tuple[int, int | None]
    qm_pvalue: float
    fit_statistics: FitStatistics
    yi: np.ndarray
    vi: np.ndarray
    X: np.ndarray
    method: str
    test: str
    converged: bool
    iterations: int


@dataclass(frozen=True, slots=True, kw_only=True)
class PooledEstimate:
    """One pooled effect from ``k`` studies: the estimate, its test and CI (at ``level``, a fraction), and the
    between-study variance ``tau2`` it allowed for (0 for a common-effect model) with its standard error."""

    k: int
    estimate: float
    se: float
    zval: float
    pval: float
    ci_low: float
    ci_high: float
    tau2: float
    tau2_se: float
    level: float
    notes: tuple[Note, ...] = ()


@json_keys("k", "p", "beta", "se", "zval", "pval", "ci_low", "ci_high", "df", "tau2", "tau2_se", "q", "q_df",
           "q_pvalue", "i2", "h2", "method", "test", "level", "adhoc", "diagnostics", "notes")
@dataclass(frozen=True, slots=True, kw_only=True)
class RmaFit(CoefficientFit, ResultMixin):
    """A general (mixed-effects) model fit, ``y = X beta + u + e``: what ``fit_rma`` returns.

    The coefficient table (:class:`CoefficientFit`) has ``vb`` already scaled by s² for HKSJ, ``df`` ``k - p``
    for t-based tests and ``None`` for z; ``crit`` is the critical value of its CIs.
    Heterogeneity (``q``, ``q_df``, ``q_pvalue``, ``i2``, ``h2``) is the residual heterogeneity.
    """

    crit: float
    tau2: float
    tau2_se: float
    q: float
    q_df: int
    q_pvalue: float
    i2: float
    h2: float
    weights: np.ndarray
    yi: np.ndarray
    vi: np.ndarray
    X: np.ndarray
    method: MethodName
    test: TestName
    adhoc: bool
    diagnostics: Diagnostics

    @property
    def tau(self) -> float:
        return float(np.sqrt(self.tau2)) if self.tau2 >= 0 else float("nan")


@dataclass(frozen=True, slots=True, kw_only=True)
class MetaResult(PooledEstimate):
    """A pooled (intercept-only) meta-analysis: one estimate, its uncertainty and heterogeneity.

    ``zval`` is the z statistic for Wald tests and the t statistic (with ``df`` degrees of
    freedom) for HKSJ.  ``i2`` and its CI are fractions (0..1).  ``weights`` are fractions summing
    to 1.  ``extra`` holds method-specific statistics (e.g. the Cochran-Mantel-Haenszel test for
    ``method="MH"``).
    """

    pi_low: float
    pi_high: float
    tau2_ci_low: float
    tau2_ci_high: float
    tau: float
    i2: float
    i2_ci_low: float
    i2_ci_high: float
    h2: float
    h2_ci_low: float
    h2_ci_high: float
    q: float
    q_df: int
    q_pvalue: float
    weights: np.ndarray
    yi: np.ndarray
    vi: np.ndarray
    study: tuple[str, ...]
    measure: str | None
    method: str
    test: str
    df: int | None
    spec: AnalysisSpec
    diagnostics: Diagnostics
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def tval(self) -> float:
        """Alias of ``zval`` (the statistic is t-distributed when ``test == "knha"``)."""
        return self.zval

    def summary(self) -> str:
        """The result as metafor's ``print(rma(...))`` prints it (``print(res.summary())``)."""
        from .printing import summary_text

        return summary_text(self)

    def _repr_html_(self) -> str:  # Jupyter
        from .printing import summary_html

        return summary_html(self)

    def to_dict(self) -> dict[str, Any]:
        studies = [
            {"study": s, "yi": self.yi[i], "vi": self.vi[i], "weight": self.weights[i]}
            for i, s in enumerate(self.study)
        ]
        return jsonable_dict(
            {
                "k": self.k,
                "measure": self.measure,
                "method": self.method,
                "test": self.test,
                "level": self.level,
                "df": self.df,
                "estimate": self.estimate,
                "se": self.se,
                "zval": self.zval,
                "pval": self.pval,
                "ci_low": self.ci_low,
                "ci_high": self.ci_high,
                "pi_low": self.pi_low,
                "pi_high": self.pi_high,
                "tau2": self.tau2,
                "tau2_se": self.tau2_se,
                "tau2_ci_low": self.tau2_ci_low,
                "tau2_ci_high": self.tau2_ci_high,
                "tau": self.tau,
                "i2": self.i2,
                "i2_ci_low": self.i2_ci_low,
                "i2_ci_high": self.i2_ci_high,
                "h2": self.h2,
                "h2_ci_low": self.h2_ci_low,
                "h2_ci_high": self.h2_ci_high,
                "q": self.q,
                "q_df": self.q_df,
                "q_pvalue": self.q_pvalue,
                "studies": studies,
                "extra": dict(self.extra),
                "notes": [n.to_dict() for n in self.notes],
                "diagnostics": self.diagnostics.to_dict(),
                "spec": self.spec.to_dict(),
            }
        )

    def to_frame(self) -> pd.DataFrame:
        """Per-study table: study, yi, vi, sei, weight (fraction)."""
        import pandas as pd

        return pd.DataFrame(
            {
                "study": list(self.study),
                "yi": np.asarray(self.yi, dtype=float),
                "vi": np.asarray(self.vi, dtype=float),
                "sei": np.sqrt(np.asarray(self.vi, dtype=float)),
                "weight": np.asarray(self.weights, dtype=float),
            }
        )
