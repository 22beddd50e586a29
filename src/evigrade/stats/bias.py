"""Small-study effects: Egger's regression test (metafor ``regtest``), the rank-correlation test
(metafor ``ranktest``, Begg & Mazumdar), Peters' test, trim-and-fill (metafor ``trimfill``) and the
PET-PEESE limit estimate.

Every mixed-effects model is fitted by the statistics core's ``fit_rma``.

* ``regtest(..., model="rma")`` adds the predictor (``sei``, ``vi``, ``ni``, ``ninv``, ``sqrtninv``)
  as a moderator of a random/mixed-effects model; ``model="lm"`` is the classical weighted
  regression (weights 1/vi, multiplicative dispersion, t-test with k - 2 df), i.e. Egger et al.
  (1997).  With ``sei``/``vi``/``ninv``/``sqrtninv`` the intercept is the "limit estimate" (the
  effect of an infinitely large study).
* ``peters_test``: Peters et al. (JAMA 2006;295:676-80) regress the log odds ratio on 1/n.  By
  default (``weights="metafor"``) this is metafor's ``regtest(model="lm", predictor="ninv")``, which
  weights by 1/vi; ``weights="peters2006"`` uses the weights of the paper,
  ``1 / (1/(events) + 1/(non-events))`` with events/non-events pooled over both arms.
* ``ranktest``: Kendall's tau between the standardised deviates ``(yi - theta_FE)/sqrt(vi - 1/sum w)``
  and ``vi``; the p-value is exact (the permutation distribution of Kendall's statistic, as R's
  ``cor.test(exact=TRUE)``) when there are no ties, else the normal approximation with R's tie
  correction.
* ``trimfill``: Duval & Tweedie's L0 or R0 estimator, missing side chosen as metafor (sign of the
  Egger slope of a ``yi ~ sei`` model fitted with the same estimator) unless given.
* ``pet_peese``: PET = WLS of yi on sei, PEESE = WLS of yi on vi (both ``lm``, weights 1/vi).  The
  conditional rule of Stanley & Doucouliagos (2014): report PEESE when PET's intercept differs
  from 0 (two-sided p < ``alpha``, default 0.10, i.e. one-sided 0.05), else PET.

GRADE (and Cochrane Handbook 13.3.5.4) advises these tests only with at least 10 studies; below
that every result carries a ``k_small`` Note, and ``small_study_summary`` reports "not assessable".
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Sequence

import numpy as np
from numpy.typing import NDArray
from .. import _dist as sps

from .._format import fmt_sig
from .._validate import check_choice, check_level
from ..errors import EstimationError, InputError, SpecError
from ..notes import NoteCode
from ..results import Note, ResultMixin, json_keys
from .fit import fit_rma
from .regression import FitSummary, _resolve, coerce_effects

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "RegTestResult",
    "RankTestResult",
    "TrimFillResult",
    "PetPeeseResult",
    "SmallStudySummary",
    "regtest",
    "egger_test",
    "peters_test",
    "ranktest",
    "trimfill",
    "pet_peese",
    "small_study_summary",
    "kendall_exact_cdf",
    "MIN_K_SMALL_STUDY",
]

PREDICTORS = ("sei", "vi", "ni", "ninv", "sqrtni", "sqrtninv")
MODELS = ("rma", "lm")
#: GRADE / Cochrane Handbook 13.3.5.4: tests for funnel-plot asymmetry only with at least 10 studies.
MIN_K_SMALL_STUDY = 10


def _k_notes(k: int, what: str) -> list[Note]:
    if k < MIN_K_SMALL_STUDY:
        return [Note(NoteCode.K_SMALL, f"{what} with only {k} studies (fewer than {MIN_K_SMALL_STUDY}) has too little "
                                "power to rule out small-study effects; Cochrane advises against relying on it.")]
    return []


# ------------------------------------------------------------------------------------------ regtest


@json_keys("model", "predictor", "method", "test_statistic=test", "k", "stat", "pval", "df", "coef", "se", "tau2",
           "limit_estimate", "limit_ci_low", "limit_ci_high", "level", "weights", "notes", test="regtest")
@dataclass(frozen=True, slots=True)
class RegTestResult(ResultMixin):
    """A regression test for funnel-plot asymmetry (metafor ``regtest``).

    ``stat``/``pval`` test the predictor's coefficient (z for ``model="rma"`` with ``test="z"``,
    else t with ``df``).  ``limit_estimate`` (with its CI) is the intercept when the predictor
    vanishes for an infinitely large study (sei, vi, ninv, sqrtninv); else NaN.
    """

    model: str
    predictor: str
    method: str | None
    test: str
    k: int
    stat: float
    pval: float
    df: int | None
    coef: np.ndarray
    se: np.ndarray
    tau2: float
    limit_estimate: float
    limit_ci_low: float
    limit_ci_high: float
    level: float
    weights: str = "inverse_variance"
    notes: tuple[Note, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame({"coefficient": ["intrcpt", self.predictor], "estimate": self.coef, "se": self.se})


def _predictor(name: str, vi: NDArray[np.float64], ni: NDArray[np.float64] | None) -> NDArray[np.float64]:
    if name == "sei":
        return np.sqrt(vi)
    if name == "vi":
        return vi.copy()
    if ni is None:
        raise InputError(f"predictor '{name}' needs the total sample size of each study", column="ni",
                         has_value=False, fix="pass ni (or an EffectTable with n), or use predictor='sei'")
    if np.any(~np.isfinite(ni)) or np.any(ni <= 0):
        i = int(np.flatnonzero(~np.isfinite(ni) | (ni <= 0))[0])
        raise InputError("sample size must be a positive number", row=None, column="ni",
                         value=float(ni[i]), fix=f"give study {i + 1} its total sample size")
    return {"ni": ni, "ninv": 1.0 / ni, "sqrtni": np.sqrt(ni), "sqrtninv": 1.0 / np.sqrt(ni)}[name]


def _wls(y: np.ndarray, X: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]:
    """R's ``lm(y ~ X - 1, weights=w)``: coefficients, se, t, p, df."""
    k: int
    p: int
    k, p = X.shape
    WX = X * w[:, None]
    XtWX_inv = np.linalg.inv(X.T @ WX)
    b = XtWX_inv @ (WX.T @ y)
    r = y - X @ b
    df = k - p
    s2 = float(np.sum(w * r**2)) / df
    se = np.sqrt(np.diag(XtWX_inv) * s2)
    t = b / se
    pv = 2 * sps.t.sf(np.abs(t), df)
    return b, se, t, pv, df


def regtest(
    effects: Any,
    vi: Any = None,
    *,
    model: Literal["rma", "lm"] = "rma",
    predictor: Literal["sei", "vi", "ni", "ninv", "sqrtni", "sqrtninv"] = "sei",
    ni: Any = None,
    method: str | None = None,
    test: str | None = None,
    level: float = 95,
    control: Any = None,
    study: Sequence[str] | None = None,
    weights: Any = None,
) -> RegTestResult:
    """metafor ``regtest()`` on an intercept-only model.

    ``method``/``test`` (for ``model="rma"``) default to the MetaResult's own, else REML and z
    (metafor's defaults).  ``weights`` (``model="lm"`` only) replaces the 1/vi weights of the
    classical test (used by ``peters_test(weights="peters2006")``).
    """
    model = check_choice("model", model, MODELS)
    predictor = check_choice("predictor", predictor, PREDICTORS)
    eff = coerce_effects(effects, vi, study=study, ni=ni)
    method, test = _resolve(method, test, eff, "REML", "z")
    lvl = check_level(level)
    y, v = eff.yi, eff.vi
    k = len(y)
    if k < 3:
        raise InputError(f"a regression test needs at least 3 studies, got k = {k}", has_value=False,
                         fix="small-study effects cannot be assessed with so few studies")
    x = _predictor(predictor, v, eff.ni)
    X = np.column_stack([np.ones(k), x])
    if np.ptp(x) == 0:
        raise InputError(f"the predictor '{predictor}' is the same for every study, so the test is undefined",
                         column=predictor, value=float(x[0]), fix="use another predictor (e.g. 'sei')")
    notes = _k_notes(k, "The regression test")
    has_limit = predictor in ("sei", "vi", "ninv", "sqrtninv")
    if model == "rma":
        if weights is not None:
            raise SpecError("weights are only used with model='lm'")
        fit = fit_rma(y, v, X, method=method, test=test, level=lvl, control=control, study=eff.study)
        notes.extend(fit.notes)
        stat, pval, df = float(fit.zval[1]), float(fit.pval[1]), fit.df
        coef, se, tau2 = fit.beta.copy(), fit.se.copy(), float(fit.tau2)
        lim = (float(fit.beta[0]), float(fit.ci_low[0]), float(fit.ci_high[0])) if has_limit else (math.nan,) * 3
        test_used, meth, wname = fit.test, method, "inverse_variance"
    else:
        if weights is None:
            w = 1.0 / v
            wname = "inverse_variance"
        else:
            w = np.asarray(weights, dtype=float).reshape(-1)
            if len(w) != k or np.any(~np.isfinite(w)) or np.any(w <= 0):
                raise InputError("regression weights must be positive numbers, one per study", column="weights",
                                 has_value=False, fix="check the event counts used for the weights")
            wname = "custom"
        coef, se, t, pv, df = _wls(y, X, w)
        stat, pval = float(t[1]), float(pv[1])
        crit = float(sps.t.isf((1 - lvl) / 2, df))
        lim = (float(coef[0]), float(coef[0] - crit * se[0]), float(coef[0] + crit * se[0])) if has_limit \
            else (math.nan,) * 3
        tau2, test_used, meth = math.nan, "t", None
    return RegTestResult(
        model=model, predictor=predictor, method=meth, test=test_used, k=k, stat=stat, pval=pval, df=df,
        coef=np.asarray(coef), se=np.asarray(se), tau2=tau2, limit_estimate=lim[0], limit_ci_low=lim[1],
        limit_ci_high=lim[2], level=lvl, weights=wname, notes=tuple(notes),
    )


def egger_test(effects: Any, vi: Any = None, *, model: Literal["rma", "lm"] = "lm", **kw: Any) -> RegTestResult:
    """Egger's test: ``regtest(predictor="sei")``; ``model="lm"`` (default) is Egger et al. 1997's
    classical weighted regression, ``model="rma"`` metafor's mixed-effects version."""
    return regtest(effects, vi, model=model, predictor="sei", **kw)


def peters_test(
    effects: Any, vi: Any = None, *, ni: Any = None, weights: Literal["metafor", "peters2006"] = "metafor",
    events: Any = None, nonevents: Any = None, **kw: Any,
) -> RegTestResult:
    """Peters' test for binary outcomes: WLS of the log odds ratio on 1/n (see the module doc).

    ``weights="peters2006"`` needs ``events`` (ai + ci) and ``nonevents`` (bi + di) per study.
    """
    weights = check_choice("weights", weights, ("metafor", "peters2006"))
    if weights == "metafor":
        return regtest(effects, vi, model="lm", predictor="ninv", ni=ni, **kw)
    if events is None or nonevents is None:
        raise InputError("Peters' weights need the number of events and non-events of each study",
                         column="events", has_value=False, fix="pass events=ai+ci and nonevents=bi+di")
    ev = np.asarray(events, dtype=float).reshape(-1)
    nev = np.asarray(nonevents, dtype=float).reshape(-1)
    if np.any(ev <= 0) or np.any(nev <= 0):
        raise InputError("Peters' weights need at least one event and one non-event per study",
                         column="events", has_value=False, fix="use weights='metafor' for studies without events")
    w = 1.0 / (1.0 / ev + 1.0 / nev)
    res = regtest(effects, vi, model="lm", predictor="ninv", ni=ni, weights=w, **kw)
    return RegTestResult(**{**{f: getattr(res, f) for f in RegTestResult.__dataclass_fields__}, "weights": "peters2006"})


# ------------------------------------------------------------------------------------------ ranktest


def kendall_exact_cdf(n: int) -> np.ndarray:
    """P(T <= q) for q = 0..n(n-1)/2, T = number of concordant pairs of a random permutation of n."""
    dist = np.array([1.0])
    for i in range(2, n + 1):
        new = np.zeros(len(dist) + i - 1)
        c = np.concatenate([[0.0], np.cumsum(dist)])
        m = len(new)
        hi = np.minimum(np.arange(m) + 1, len(dist))
        lo = np.maximum(np.arange(m) - i + 1, 0)
        new = (c[hi] - c[lo]) / i
        dist = new
    return np.cumsum(dist)


def _kendall(x: np.ndarray, y: np.ndarray, exact: bool) -> tuple[float, float, bool]:
    n = len(x)
    dx = np.sign(x[:, None] - x[None, :])
    dy = np.sign(y[:, None] - y[None, :])
    iu = np.triu_indices(n, 1)
    S = float(np.sum(dx[iu] * dy[iu]))
    _, cx = np.unique(x, return_counts=True)
    _, cy = np.unique(y, return_counts=True)
    T0 = n * (n - 1) / 2
    T1 = float(np.sum(cx * (cx - 1))) / 2
    T2 = float(np.sum(cy * (cy - 1))) / 2
    denom = math.sqrt((T0 - T1) * (T0 - T2))
    if denom == 0:
        return math.nan, math.nan, False
    tau = S / denom
    ties = bool(np.any(cx > 1) or np.any(cy > 1))
    if exact and not ties:
        q = round((tau + 1) * n * (n - 1) / 4)
        cdf = kendall_exact_cdf(n)
        if q > n * (n - 1) / 4:
            p = 1 - (cdf[q - 1] if q - 1 >= 0 else 0.0)
        else:
            p = cdf[q]
        return tau, float(min(2 * p, 1.0)), True
    tx = cx[cx > 1].astype(float)
    ty = cy[cy > 1].astype(float)
    v0 = n * (n - 1) * (2 * n + 5)
    vt = float(np.sum(tx * (tx - 1) * (2 * tx + 5)))
    vu = float(np.sum(ty * (ty - 1) * (2 * ty + 5)))
    v1 = float(np.sum(tx * (tx - 1))) * float(np.sum(ty * (ty - 1)))
    v2 = float(np.sum(tx * (tx - 1) * (tx - 2))) * float(np.sum(ty * (ty - 1) * (ty - 2)))
    var_s = (v0 - vt - vu) / 18 + v1 / (2 * n * (n - 1)) + (v2 / (9 * n * (n - 1) * (n - 2)) if n > 2 else 0.0)
    z = (tau * denom) / math.sqrt(var_s)
    p = 2 * min(sps.norm.cdf(z), sps.norm.sf(z))
    return tau, float(p), False


@json_keys("k", "tau", "pval", "exact", "notes", test="ranktest")
@dataclass(frozen=True, slots=True)
class RankTestResult(ResultMixin):
    """Begg & Mazumdar's rank-correlation test (metafor ``ranktest``): Kendall's tau and its p-value."""

    k: int
    tau: float
    pval: float
    exact: bool
    notes: tuple[Note, ...] = ()


def ranktest(effects: Any, vi: Any = None, *, exact: bool = True, study: Sequence[str] | None = None) -> RankTestResult:
    """Rank-correlation test for funnel-plot asymmetry (metafor ``ranktest(yi, vi)``)."""
    eff = coerce_effects(effects, vi, study=study)
    y, v = eff.yi, eff.vi
    k = len(y)
    if k < 3:
        raise InputError(f"the rank-correlation test needs at least 3 studies, got k = {k}", has_value=False,
                         fix="small-study effects cannot be assessed with so few studies")
    w = 1.0 / v
    theta = float(np.sum(w * y) / np.sum(w))
    vstar = v - 1.0 / np.sum(w)
    ystar = (y - theta) / np.sqrt(vstar)
    tau, p, was_exact = _kendall(ystar, v, bool(exact))
    notes = _k_notes(k, "The rank-correlation test")
    if math.isnan(tau):
        notes.append(Note(NoteCode.UNDEFINED, "Kendall's tau is undefined (all standardised effects or all variances are "
                                       "equal), so the rank-correlation test has no result."))
    elif exact and not was_exact:
        notes.append(Note(NoteCode.TIES, "Tied values: the p-value uses the normal approximation with a tie correction "
                                  "instead of the exact distribution (as R's cor.test)."))
    return RankTestResult(k=k, tau=tau, pval=p, exact=was_exact, notes=tuple(notes))


# ------------------------------------------------------------------------------------------ trimfill


@json_keys("estimator", "side", "k0", "se_k0", "p_k0", "fill_yi", "fill_vi", "original", "adjusted", "method",
           "test_statistic=test", "iterations", "notes", test="trimfill")
@dataclass(frozen=True, slots=True)
class TrimFillResult(ResultMixin):
    """Trim-and-fill (metafor ``trimfill``).

    ``k0`` studies were estimated missing on ``side``; ``fill_yi``/``fill_vi`` are the imputed
    studies; ``adjusted`` pools observed + filled studies (equal to ``original`` when k0 = 0);
    ``p_k0`` is the R0 test of k0 = 0 (NaN for L0).
    """

    estimator: str
    side: str
    k0: int
    se_k0: float
    p_k0: float
    fill_yi: np.ndarray
    fill_vi: np.ndarray
    original: FitSummary
    adjusted: FitSummary
    method: str
    test: str
    iterations: int
    notes: tuple[Note, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame({"yi": self.fill_yi, "vi": self.fill_vi, "filled": True})


def _rank_first(a: np.ndarray) -> np.ndarray:
    """R's ``rank(a, ties.method="first")`` (1-based)."""
    order = np.argsort(a, kind="stable")
    r = np.empty(len(a), dtype=float)
    r[order] = np.arange(1, len(a) + 1)
    return r


def trimfill(
    effects: Any,
    vi: Any = None,
    *,
    estimator: Literal["L0", "R0"] = "L0",
    side: Literal["auto", "left", "right"] = "auto",
    method: str | None = None,
    test: str | None = None,
    level: float = 95,
    maxiter: int = 100,
    control: Any = None,
    study: Sequence[str] | None = None,
) -> TrimFillResult:
    """Duval & Tweedie's trim-and-fill as metafor's ``trimfill(rma(yi, vi, method=method))``.

    ``method`` defaults to the MetaResult's own, else REML; ``test`` (default: the MetaResult's own,
    else "z") applies to the original fit.  As metafor, the filled data are refitted with a Wald
    z-test whatever the original test (metafor's ``trimfill()`` calls ``rma.uni`` without ``test=``);
    a Note says so when the original fit was t-based.
    """
    estimator = check_choice("estimator", estimator, ("L0", "R0"))
    side = check_choice("side", side, ("auto", "left", "right"))
    eff = coerce_effects(effects, vi, study=study)
    method, test = _resolve(method, test, eff, "REML", "z")
    yi0, vi0 = eff.yi, eff.vi
    k = len(yi0)
    if k < 3:
        raise InputError(f"trim-and-fill needs at least 3 studies, got k = {k}", has_value=False,
                         fix="small-study effects cannot be assessed with so few studies")
    notes = _k_notes(k, "Trim-and-fill")
    orig = fit_rma(yi0, vi0, None, method=method, test=test, level=level, control=control, study=eff.study)
    if side == "auto":
        sfit = fit_rma(yi0, vi0, np.column_stack([np.ones(k), np.sqrt(vi0)]), method=method, test="z",
                       control=control)
        side_used = "right" if sfit.beta[1] < 0 else "left"
    else:
        side_used = side
    y = -yi0 if side_used == "right" else yi0.copy()
    ix = np.argsort(y, kind="stable")
    y, v = y[ix], vi0[ix]
    k0_sav, k0, it = -1, 0, 0
    se_k0 = math.nan
    beta = math.nan
    yc = y.copy()
    while abs(k0 - k0_sav) > 0:
        k0_sav = k0
        it += 1
        if it > maxiter:
            notes.append(Note(NoteCode.NO_CONVERGENCE, f"Trim-and-fill did not converge in {maxiter} iterations; "
                                                "the last estimate of k0 is used."))
            break
        f = fit_rma(y[: k - k0], v[: k - k0], None, method=method, test="z", control=control)
        beta = float(f.beta[0])
        yc = y - beta
        r = _rank_first(np.abs(yc)) * np.sign(yc)
        if estimator == "R0":
            neg = -r[r < 0]
            k0f = (k - (neg.max() if len(neg) else 0.0)) - 1
            se_k0 = math.sqrt(2 * max(0.0, k0f) + 2)
        else:
            Sr = float(np.sum(r[r > 0]))
            k0f = (4 * Sr - k * (k + 1)) / (2 * k - 1)
            var_sr = (k * (k + 1) * (2 * k + 1) + 10 * k0f**3 + 27 * k0f**2 + 17 * k0f - 18 * k * k0f**2
                      - 18 * k * k0f + 6 * k**2 * k0f) / 24
            se_k0 = 4 * math.sqrt(var_sr) / (2 * k - 1) if var_sr >= 0 else math.nan
        k0 = int(max(0, round(k0f)))
        if not math.isnan(se_k0):
            se_k0 = max(0.0, se_k0)
        if k0 >= k:
            k0 = k - 1
    p_k0 = 0.5 ** (k0 + 1) if estimator == "R0" else math.nan
    if k0 > 0:
        ycf = -(yc - beta) if side_used == "right" else yc - beta
        fill_y = -ycf[k - k0:]
        fill_v = v[k - k0:].copy()
        adj = fit_rma(np.concatenate([yi0, fill_y]), np.concatenate([vi0, fill_v]), None, method=method,
                      test="z", level=level, control=control)
        if orig.test != "z":
            notes.append(Note(NoteCode.TRIMFILL_WALD, "As in metafor, the filled data were refitted with a Wald z-test "
                                               f"(the original fit used test={orig.test!r})."))
        adjusted = FitSummary.from_fit(adj)
        notes.append(Note(NoteCode.TRIMFILL_FILLED, f"Trim-and-fill ({estimator}) estimated {k0} missing "
                                             f"stud{'y' if k0 == 1 else 'ies'} on the {side_used} side; the adjusted "
                                             "estimate is a sensitivity analysis, not a corrected effect."))
    else:
        fill_y = np.array([])
        fill_v = np.array([])
        adjusted = FitSummary.from_fit(orig)
    return TrimFillResult(
        estimator=estimator, side=side_used, k0=k0, se_k0=se_k0, p_k0=p_k0, fill_yi=fill_y, fill_vi=fill_v,
        original=FitSummary.from_fit(orig), adjusted=adjusted, method=method, test=orig.test, iterations=it,
        notes=tuple(notes),
    )


# ------------------------------------------------------------------------------------------ PET-PEESE


@json_keys("chosen", "estimate", "ci_low", "ci_high", "alpha", "pet_intercept_pval", "peese_intercept_pval", "pet",
           "peese", "notes", test="pet_peese")
@dataclass(frozen=True, slots=True)
class PetPeeseResult(ResultMixin):
    """PET and PEESE limit estimates and the conditional choice between them."""

    pet: RegTestResult
    peese: RegTestResult
    pet_intercept_pval: float
    peese_intercept_pval: float
    chosen: str
    estimate: float
    ci_low: float
    ci_high: float
    alpha: float
    notes: tuple[Note, ...] = ()


def _intercept_p(r: RegTestResult) -> float:
    t = r.coef[0] / r.se[0]
    return float(2 * sps.t.sf(abs(t), r.df))


def pet_peese(effects: Any, vi: Any = None, *, alpha: float = 0.10, level: float = 95,
              study: Sequence[str] | None = None) -> PetPeeseResult:
    """PET-PEESE (Stanley & Doucouliagos 2014) with weighted least squares (weights 1/vi)."""
    a = float(alpha)
    if not 0 < a < 1:
        raise SpecError(f"alpha={alpha!r} must be between 0 and 1 (e.g. 0.10)")
    pet = regtest(effects, vi, model="lm", predictor="sei", level=level, study=study)
    peese = regtest(effects, vi, model="lm", predictor="vi", level=level, study=study)
    p_pet = _intercept_p(pet)
    p_peese = _intercept_p(peese)
    use = peese if p_pet < a else pet
    chosen = "PEESE" if p_pet < a else "PET"
    notes = list(pet.notes)
    notes.append(Note(NoteCode.PET_PEESE_RULE, f"PET's intercept p = {fmt_sig(p_pet, 3)} {'<' if p_pet < a else '>='} {fmt_sig(a)}, so "
                                        f"the {chosen} limit estimate is reported (Stanley & Doucouliagos 2014)."))
    return PetPeeseResult(pet=pet, peese=peese, pet_intercept_pval=p_pet, peese_intercept_pval=p_peese,
                          chosen=chosen, estimate=use.limit_estimate, ci_low=use.limit_ci_low,
                          ci_high=use.limit_ci_high, alpha=a, notes=tuple(notes))


# ------------------------------------------------------------------------------------------ summary for GRADE


@json_keys("k", "assessable", "min_k", "pval", "egger", "egger_rma", "ranktest=rank", "trimfill", "notes")
@dataclass(frozen=True, slots=True)
class SmallStudySummary(ResultMixin):
    """What GRADE's publication-bias domain and the report need, in one result.

    ``assessable`` is False when k < ``min_k`` (then the tests are not run and a Note says why).
    ``egger`` is the classical Egger test (metafor ``regtest(x, model="lm")``); ``egger_rma`` is
    metafor's default ``regtest(x)``: the mixed-effects meta-regression on the standard error with
    the fit's own tau² estimator and test.
    """

    k: int
    assessable: bool
    egger: RegTestResult | None
    rank: RankTestResult | None
    trimfill: TrimFillResult | None
    min_k: int
    notes: tuple[Note, ...] = ()
    egger_rma: RegTestResult | None = None

    @property
    def pval(self) -> float | None:
        """Egger's p-value (None when not assessable)."""
        return None if self.egger is None else self.egger.pval


def small_study_summary(effects: Any, vi: Any = None, *, min_k: int = MIN_K_SMALL_STUDY, method: str | None = None,
                        control: Any = None, study: Sequence[str] | None = None) -> SmallStudySummary:
    """Egger's test (classical, ``lm``), the rank test and trim-and-fill when k >= ``min_k``."""
    eff = coerce_effects(effects, vi, study=study)
    k = len(eff.yi)
    if k < min_k:
        return SmallStudySummary(k=k, assessable=False, egger=None, rank=None, trimfill=None, min_k=min_k, notes=(
            Note(NoteCode.NOT_ASSESSABLE, f"Small-study effects were not assessed: only {k} studies (tests need at least "
                                   f"{min_k})."),))
    m, t = _resolve(method, None, eff, "REML", "z")
    eg = regtest(eff.yi, eff.vi, model="lm", predictor="sei", study=eff.study)
    try:  # metafor's default regtest(x): model="rma" with the fit's method and test
        egr = regtest(eff.yi, eff.vi, model="rma", predictor="sei", method=m, test=t, control=control, study=eff.study)
        egr_notes = egr.notes
    except (InputError, EstimationError) as exc:
        egr = None
        egr_notes = (Note(NoteCode.REFIT_FAILED, f"The mixed-effects Egger test (metafor's default regtest) could not be "
                                          f"fitted: {exc}"),)
    rk = ranktest(eff.yi, eff.vi, study=eff.study)
    tf = trimfill(eff.yi, eff.vi, method=m, control=control, study=eff.study)
    return SmallStudySummary(k=k, assessable=True, egger=eg, rank=rk, trimfill=tf, min_k=min_k,
                             notes=eg.notes + egr_notes + rk.notes + tf.notes, egger_rma=egr)
