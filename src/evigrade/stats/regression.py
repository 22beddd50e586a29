"""Mixed-effects meta-regression and the permutation test, as metafor's ``rma(yi, vi, mods=)`` and
``permutest()``.

Every model is fitted by the statistics core's :func:`evigrade.stats.fit.fit_rma` (one set of tau²
estimators for the whole package); this module builds the design matrix from moderators, computes
the omnibus test of the moderators (QM), the residual heterogeneity test (QE), R² as metafor
(``(tau²_RE - tau²_ME) / tau²_RE`` from the intercept-only fit with the same estimator, truncated at
0; for a common-effect model the adjusted R² of the weighted least-squares fit) and, on request, a
permutation test.

Design matrix rules (R's ``model.matrix`` with treatment contrasts):

* numeric moderators enter as they are;
* text, boolean and categorical moderators are dummy-coded against their first level in sorted order
  (R's default factor levels), named ``"name[level]"``;
* a study with a missing moderator value is excluded, with one Note per study (metafor's
  ``na.omit``); a moderator that is constant (a single level) among the analysed studies is an
  ``InputError`` naming it, because its effect cannot be estimated.

The helpers ``coerce_effects`` and ``FitSummary`` are shared with ``bias``, ``sensitivity`` and
``subgroups``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterator, Literal, Mapping, Sequence

import numpy as np
from .. import _dist as sps

from .._format import fmt_sig
from ..errors import EstimationError, InputError, SpecError
from ..notes import NoteCode
from ..results import Note, ResultMixin, json_keys, jsonable_dict
from .fit import MethodName, TestName, canonical_method, canonical_test, fit_rma, validate_yi_vi
from .results import RmaFit

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "FitSummary",
    "MetaRegressionResult",
    "PermutationResult",
    "coerce_effects",
    "design_matrix",
    "meta_regression",
    "permutation_test",
    "omnibus_test",
]

#: Tolerance used by metafor's permutest() when comparing permuted with observed statistics
#: (``.Machine$double.eps^0.5``) so that ties caused by rounding count as "at least as extreme".
PERM_COMPTOL = float(np.finfo(float).eps ** 0.5)


# ------------------------------------------------------------------------------------------ input


@dataclass(frozen=True, slots=True)
class _Effects:
    yi: np.ndarray
    vi: np.ndarray
    study: tuple[str, ...]
    ni: np.ndarray | None
    method: str | None
    test: str | None
    measure: str | None


def coerce_effects(effects: Any, vi: Any = None, *, study: Sequence[str] | None = None, ni: Any = None) -> _Effects:
    """Accept an ``EffectTable``, a ``MetaResult`` (anything with ``yi``/``vi``) or arrays.

    Returns validated float arrays, study labels (``"study 1"`` ... when none are given) and the
    sample sizes when known.  A ``MetaResult`` also contributes its ``method`` and ``test``.
    """
    method = test = measure = None
    if vi is None and hasattr(effects, "yi") and hasattr(effects, "vi"):
        yi_raw, vi_raw = effects.yi, effects.vi
        if study is None:
            study = getattr(effects, "study", None)
        if ni is None:
            ni = getattr(effects, "n", None)
        spec = getattr(effects, "spec", None)
        method = getattr(effects, "method", None)
        test = getattr(effects, "test", None)
        if spec is not None:
            method = getattr(spec, "method", method)
            test = getattr(spec, "test", test)
        measure = getattr(effects, "measure", None)
    else:
        if vi is None:
            raise InputError("sampling variances are missing", column="vi", has_value=False,
                             fix="pass vi (one sampling variance per effect size) or an EffectTable")
        yi_raw, vi_raw = effects, vi
    y0 = np.asarray(yi_raw, dtype=float).reshape(-1)
    labels = tuple(str(s) for s in study) if study is not None else tuple(f"study {i + 1}" for i in range(len(y0)))
    if len(labels) != len(y0):
        raise InputError(f"study labels ({len(labels)}) do not match the number of effect sizes ({len(y0)})",
                         column="study", has_value=False, fix="give one label per study")
    y, v = validate_yi_vi(yi_raw, vi_raw, labels)
    n_arr = None
    if ni is not None:
        n_arr = np.asarray(ni, dtype=float).reshape(-1)
        if len(n_arr) != len(y):
            raise InputError(f"sample sizes ({len(n_arr)}) do not match the number of studies ({len(y)})",
                             column="ni", has_value=False, fix="give one total sample size per study")
        if np.all(np.isnan(n_arr)):
            n_arr = None
    if method in ("MH", "PETO"):
        method = "FE"
    return _Effects(y, v, labels, n_arr, method, test, measure)


def _resolve(method: str | None, test: str | None, eff: _Effects, default_method: str,
             default_test: str) -> tuple[MethodName, TestName]:
    m = method if method is not None else (eff.method or default_method)
    t = test if test is not None else (eff.test or default_test)
    return canonical_method(m), canonical_test(t)


# ------------------------------------------------------------------------------------------ summary


@json_keys("k", "estimate", "se", "stat", "pval", "ci_low", "ci_high", "tau2", "q", "q_pvalue", "i2", "h2", "df",
           "notes")
@dataclass(frozen=True, slots=True)
class FitSummary(ResultMixin):
    """The pooled (intercept) result of one intercept-only fit, as a row of a sensitivity table."""

    k: int
    estimate: float
    se: float
    stat: float
    pval: float
    ci_low: float
    ci_high: float
    tau2: float
    q: float
    q_pvalue: float
    i2: float
    h2: float
    df: int | None
    notes: tuple[Note, ...] = ()

    @classmethod
    def from_fit(cls, fit: RmaFit) -> "FitSummary":
        return cls(
            k=fit.k, estimate=float(fit.beta[0]), se=float(fit.se[0]), stat=float(fit.zval[0]),
            pval=float(fit.pval[0]), ci_low=float(fit.ci_low[0]), ci_high=float(fit.ci_high[0]),
            tau2=float(fit.tau2), q=float(fit.q), q_pvalue=float(fit.q_pvalue), i2=float(fit.i2),
            h2=float(fit.h2), df=fit.df, notes=tuple(fit.notes),
        )


# ------------------------------------------------------------------------------------------ design


def _is_missing(x: Any) -> bool:
    """None, NaN, pandas NA/NaT or an empty string."""
    if x is None:
        return True
    if isinstance(x, str):
        return x.strip() == ""
    try:
        import pandas as pd

        r = pd.isna(x)
    except (TypeError, ValueError):
        return False
    return bool(r) if np.ndim(r) == 0 else False


def _mods_columns(mods: Any, k: int) -> list[tuple[str, list[Any]]]:
    """Normalise moderators to a list of (name, values)."""
    if mods is None:
        return []
    cols: list[tuple[str, list[Any]]] = []
    if hasattr(mods, "columns") and hasattr(mods, "__getitem__"):  # pandas DataFrame
        for c in mods.columns:
            cols.append((str(c), list(mods[c])))
    elif isinstance(mods, Mapping):
        for name, vals in mods.items():
            vv = list(np.asarray(vals, dtype=object).reshape(-1)) if not isinstance(vals, (list, tuple)) else list(vals)
            cols.append((str(name), vv))
    else:
        arr = np.asarray(mods, dtype=object)
        if arr.ndim == 1:
            arr = arr[:, None]
        if arr.ndim != 2:
            raise InputError("moderators must be a table (one row per study)", column="mods", has_value=False,
                             fix="pass a DataFrame or a dict of name -> values")
        for j in range(arr.shape[1]):
            cols.append((f"x{j + 1}", list(arr[:, j])))
    for name, vals in cols:
        if len(vals) != k:
            raise InputError(f"moderator has {len(vals)} values but there are {k} studies", column=name,
                             has_value=False, fix="give one moderator value per study")
    return cols


def _is_categorical(vals: list[Any]) -> bool:
    for x in vals:
        if _is_missing(x):
            continue
        if isinstance(x, (bool, np.bool_, str)):
            return True
        try:
            float(x)
        except (TypeError, ValueError):
            return True
    return False


def design_matrix(
    mods: Any, k: int, *, study: Sequence[str] | None = None, intercept: bool = True,
    categorical: Sequence[str] = (),
) -> tuple[np.ndarray, tuple[str, ...], np.ndarray, tuple[Note, ...]]:
    """Build ``X`` from moderators.  Returns ``(X, names, keep_mask, notes)``.

    ``categorical`` forces numeric-looking columns (e.g. coded 0/1/2) to be treated as factors.
    Rows with a missing moderator value are dropped (``keep_mask`` False) with a Note each.
    """
    labels = tuple(study) if study is not None else tuple(f"study {i + 1}" for i in range(k))
    cols = _mods_columns(mods, k)
    keep = np.ones(k, dtype=bool)
    notes: list[Note] = []
    for name, vals in cols:
        for i, x in enumerate(vals):
            if _is_missing(x) and keep[i]:
                keep[i] = False
                notes.append(Note(NoteCode.MISSING_MODERATOR,
                                  f"{labels[i]} was excluded from the moderator analysis: its value of "
                                  f"'{name}' is missing.", study=labels[i]))
    blocks: list[np.ndarray] = []
    names: list[str] = []
    if intercept:
        blocks.append(np.ones((int(keep.sum()), 1)))
        names.append("intrcpt")
    for name, vals in cols:
        kv = [vals[i] for i in range(k) if keep[i]]
        if name in categorical or _is_categorical(kv):
            levels = sorted({str(x) for x in kv})
            if len(levels) < 2:
                raise InputError(
                    f"moderator has only one level among the {len(kv)} analysed studies, so its effect "
                    "cannot be estimated", column=name, value=levels[0] if levels else None,
                    fix="drop this moderator or add studies with other values")
            sv = [str(x) for x in kv]
            use = levels[1:] if intercept or blocks else levels
            for lv in use:
                blocks.append(np.array([1.0 if s == lv else 0.0 for s in sv])[:, None])
                names.append(f"{name}[{lv}]")
        else:
            try:
                col = np.array([float(x) for x in kv])
            except (TypeError, ValueError):
                raise InputError("moderator values must be numbers or categories", column=name,
                                 has_value=False, fix="check the moderator column") from None
            if not np.all(np.isfinite(col)):
                raise InputError("moderator contains infinite values", column=name, has_value=False,
                                 fix="replace infinite values")
            if len(col) and np.ptp(col) == 0:
                raise InputError(
                    f"moderator is constant among the {len(col)} analysed studies, so its effect cannot be "
                    "estimated", column=name, value=float(col[0]), fix="drop this moderator")
            blocks.append(col[:, None])
            names.append(name)
    X = np.hstack(blocks) if blocks else np.ones((int(keep.sum()), 1))
    if not blocks:
        names = ["intrcpt"]
    return X, tuple(names), keep, tuple(notes)


def omnibus_test(fit: RmaFit, btt: Sequence[int]) -> tuple[float, tuple[int, int | None], float]:
    """metafor's QM for the coefficients ``btt`` (0-based): Wald chi² (z) or F = QM/m (knha)."""
    idx = np.asarray(list(btt), dtype=int)
    b = fit.beta[idx]
    V = fit.vb[np.ix_(idx, idx)]
    try:
        qm = float(b @ np.linalg.solve(V, b))
    except np.linalg.LinAlgError:
        return float("nan"), (len(idx), None), float("nan")
    m = len(idx)
    if fit.test in ("knha", "t"):  # metafor: F test for t-based tests
        qm = qm / m
        df2 = fit.k - fit.p
        p = float(sps.f.sf(qm, m, df2)) if df2 > 0 else float("nan")
        return qm, (m, df2), p
    return qm, (m, None), float(sps.chi2.sf(qm, m))


def _weighted_adj_r2(y: np.ndarray, X: np.ndarray, w: np.ndarray) -> float:
    """Adjusted R² of ``lm(y ~ X, weights=w)`` (X with an intercept column), as R's summary.lm."""
    sw = np.sqrt(w)
    beta, *_ = np.linalg.lstsq(X * sw[:, None], y * sw, rcond=None)
    f = X @ beta
    r = y - f
    n: int
    p: int
    n, p = X.shape
    mss = float(np.sum(w * (f - np.sum(w * f) / np.sum(w)) ** 2))
    rss = float(np.sum(w * r**2))
    r2 = mss / (mss + rss) if mss + rss > 0 else 0.0
    return 1 - (1 - r2) * ((n - 1) / (n - p))


# ------------------------------------------------------------------------------------------ result


@dataclass(frozen=True, slots=True)
class MetaRegressionResult:
    """A mixed-effects meta-regression (metafor ``rma(yi, vi, mods=...)``).

    Coefficient arrays follow ``coef_names``; ``stat`` is z (``test="z"``) or t (``"knha"``, ``df``
    = k - p).  ``qm``/``qm_df``/``qm_pvalue`` test all moderators together (chi² with m df, or F with
    (m, k - p) df); ``qe``/``qe_df``/``qe_pvalue`` test residual heterogeneity; ``tau2``, ``i2`` and
    ``h2`` are residual; ``r2`` is the proportion of tau² explained (fraction, NaN without moderators).
    """

    k: int
    coef_names: tuple[str, ...]
    coef: np.ndarray
    se: np.ndarray
    stat: np.ndarray
    pval: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    df: int | None
    qm: float
    qm_df: tuple[int, int | None]
    qm_pvalue: float
    qe: float
    qe_df: int
    qe_pvalue: float
    tau2: float
    i2: float
    h2: float
    r2: float
    method: MethodName
    test: TestName
    level: float
    study: tuple[str, ...]
    excluded: tuple[str, ...]
    yi: np.ndarray
    vi: np.ndarray
    X: np.ndarray
    btt: tuple[int, ...]
    notes: tuple[Note, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return jsonable_dict({
            "k": self.k, "method": self.method, "test": self.test, "level": self.level, "df": self.df,
            "coefficients": [
                {"name": n, "estimate": self.coef[j], "se": self.se[j], "stat": self.stat[j],
                 "pval": self.pval[j], "ci_low": self.ci_low[j], "ci_high": self.ci_high[j]}
                for j, n in enumerate(self.coef_names)
            ],
            "qm": self.qm, "qm_df": list(self.qm_df), "qm_pvalue": self.qm_pvalue,
            "qe": self.qe, "qe_df": self.qe_df, "qe_pvalue": self.qe_pvalue,
            "tau2": self.tau2, "i2": self.i2, "h2": self.h2, "r2": self.r2,
            "studies": list(self.study), "excluded": list(self.excluded),
            "notes": [n.to_dict() for n in self.notes],
        })

    def to_frame(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame({
            "coefficient": list(self.coef_names), "estimate": self.coef, "se": self.se, "stat": self.stat,
            "pval": self.pval, "ci_low": self.ci_low, "ci_high": self.ci_high,
        })


def _fit_regression(yi: np.ndarray, vi: np.ndarray, X: np.ndarray, *, method: MethodName, test: TestName, level: float,
                    control: Any, study: tuple[str, ...]) -> RmaFit:
    return fit_rma(yi, vi, X, method=method, test=test, level=level, control=control, study=study)


def meta_regression(
    effects: Any,
    vi: Any = None,
    *,
    mods: Any = None,
    X: Any = None,
    coef_names: Sequence[str] | None = None,
    categorical: Sequence[str] = (),
    intercept: bool = True,
    method: str | None = None,
    test: str | None = None,
    level: float = 95,
    control: Any = None,
    study: Sequence[str] | None = None,
) -> MetaRegressionResult:
    """Mixed-effects meta-regression of ``yi`` on moderators (metafor ``rma(yi, vi, mods=)``).

    ``mods``: a DataFrame or dict ``name -> values`` (numeric or categorical; see the module doc),
    or give a ready design matrix ``X`` (its first column the intercept when ``intercept=True``).
    ``method``/``test`` default to the MetaResult's own, else REML and HKSJ (``"knha"``).
    """
    eff = coerce_effects(effects, vi, study=study)
    method, test = _resolve(method, test, eff, "REML", "knha")
    k_all = len(eff.yi)
    notes: list[Note] = []
    if X is not None:
        Xm = np.asarray(X, dtype=float)
        if Xm.ndim == 1:
            Xm = Xm[:, None]
        if Xm.shape[0] != k_all:
            raise InputError(f"design matrix X must have one row per study ({k_all}), got {Xm.shape[0]}",
                             column="X", has_value=False, fix="build X with one row per study")
        keep = np.all(np.isfinite(Xm), axis=1)
        for i in np.flatnonzero(~keep):
            notes.append(Note(NoteCode.MISSING_MODERATOR, f"{eff.study[i]} was excluded from the moderator analysis: "
                                                   "a moderator value is missing.", study=eff.study[i]))
        Xm = Xm[keep]
        names = tuple(coef_names) if coef_names is not None else tuple(
            (["intrcpt"] if intercept else []) + [f"x{j}" for j in range(1, Xm.shape[1] + (0 if intercept else 1))])
        has_int = intercept
    else:
        Xm, names, keep, dnotes = design_matrix(mods, k_all, study=eff.study, intercept=intercept,
                                                categorical=categorical)
        notes.extend(dnotes)
        has_int = intercept
    y, v = eff.yi[keep], eff.vi[keep]
    labels = tuple(s for s, kk in zip(eff.study, keep) if kk)
    excluded = tuple(s for s, kk in zip(eff.study, keep) if not kk)
    k, p = Xm.shape
    if k <= p and not (method == "FE" and k >= p):
        raise InputError(
            f"too few studies with complete moderator data (k = {k}) for {p} coefficient(s) and tau2",
            has_value=False, fix="use fewer moderators or add studies")
    if len(names) != p:
        raise SpecError(f"coef_names has {len(names)} names but X has {p} columns")
    fit = _fit_regression(y, v, Xm, method=method, test=test, level=level, control=control, study=labels)
    notes.extend(fit.notes)
    btt = tuple(range(1, p)) if (has_int and p > 1) else tuple(range(p))
    qm, qm_df, qm_p = omnibus_test(fit, btt)
    r2 = float("nan")
    if has_int and p > 1:
        if method == "FE":
            r2 = max(0.0, _weighted_adj_r2(y, Xm, 1.0 / v)) if np.var(y) > 0 else 0.0
        else:
            fit0 = fit_rma(y, v, None, method=method, test=test, level=level, control=control, study=labels)
            t0 = fit0.tau2
            r2 = 0.0 if t0 == 0 else max(0.0, (t0 - fit.tau2) / t0)
            if t0 == 0:
                notes.append(Note(NoteCode.R2_UNDEFINED, "tau2 is 0 without moderators, so the proportion of "
                                                  "heterogeneity explained (R2) is reported as 0."))
    if k < 10:
        notes.append(Note(NoteCode.K_SMALL, f"Meta-regression with only {k} studies has little power and can "
                                     "produce spurious associations; interpret with caution."))
    return MetaRegressionResult(
        k=k, coef_names=names, coef=fit.beta, se=fit.se, stat=fit.zval, pval=fit.pval, ci_low=fit.ci_low,
        ci_high=fit.ci_high, df=fit.df, qm=qm, qm_df=qm_df, qm_pvalue=qm_p, qe=fit.q, qe_df=fit.q_df,
        qe_pvalue=fit.q_pvalue, tau2=fit.tau2, i2=fit.i2, h2=fit.h2, r2=r2, method=method, test=fit.test,
        level=fit.level, study=labels, excluded=excluded, yi=y, vi=v, X=Xm, btt=btt, notes=tuple(notes),
    )


# ------------------------------------------------------------------------------------------ permutation


@dataclass(frozen=True, slots=True)
class PermutationResult:
    """metafor ``permutest()``: permutation p-values for each coefficient and for QM.

    ``exact`` is True when every distinct permutation was used (then the p-values are exact and the
    same as metafor's); otherwise ``n_perm`` random permutations from a seeded generator were used
    (the first is the observed data, as metafor) and ``mc_se`` is the Monte Carlo standard error of
    ``qm_pvalue``.
    """

    coef_names: tuple[str, ...]
    stat: np.ndarray
    pval: np.ndarray
    qm: float
    qm_pvalue: float
    n_perm: int
    exact: bool
    seed: int | None
    n_failed: int
    mc_se: float
    notes: tuple[Note, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return jsonable_dict({
            "coefficients": [{"name": n, "stat": self.stat[j], "pval": self.pval[j]}
                             for j, n in enumerate(self.coef_names)],
            "qm": self.qm, "qm_pvalue": self.qm_pvalue, "n_perm": self.n_perm, "exact": self.exact,
            "seed": self.seed, "n_failed": self.n_failed, "mc_se": self.mc_se,
            "notes": [n.to_dict() for n in self.notes],
        })

    def to_frame(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame({"coefficient": list(self.coef_names), "stat": self.stat, "perm_pval": self.pval})


def _multiset_permutations(labels: np.ndarray) -> Iterator[np.ndarray]:
    """Yield every distinct arrangement of ``labels`` (ints), in lexicographic order."""
    a = sorted(int(x) for x in labels)
    n = len(a)
    while True:
        yield np.array(a)
        i = n - 2
        while i >= 0 and a[i] >= a[i + 1]:
            i -= 1
        if i < 0:
            return
        j = n - 1
        while a[j] <= a[i]:
            j -= 1
        a[i], a[j] = a[j], a[i]
        a[i + 1:] = reversed(a[i + 1:])


def _distinct_permutations(X: np.ndarray) -> tuple[bool, np.ndarray, int]:
    """(intercept only, each row's group of identical rows, the number of distinct permutations): 2^k sign flips for
    an intercept-only model, else the multinomial count of arrangements of the row groups (Python ints: exact even
    when k! overflows a float)."""
    k, p = X.shape
    if p == 1 and np.all(X[:, 0] == 1):
        return True, np.zeros(0, dtype=int), 2**k
    _, inv, counts = np.unique(X, axis=0, return_inverse=True, return_counts=True)
    n_exact = math.factorial(k)
    for c in counts:
        n_exact //= math.factorial(int(c))
    return False, np.asarray(inv).reshape(-1), n_exact


def permutation_test(
    model: MetaRegressionResult,
    *,
    n_perm: int = 1000,
    exact: bool | Literal["auto"] = "auto",
    seed: int | None = None,
    control: Any = None,
    max_exact: int = 100_000,
) -> PermutationResult:
    """Permutation test of a meta-regression (metafor ``permutest(x, iter=n_perm, exact=)``).

    With moderators the rows of the design matrix are permuted across studies; without moderators
    (intercept only) the signs of the effect sizes are flipped.  ``exact="auto"`` enumerates every
    distinct permutation when there are at most ``n_perm`` of them (metafor's rule); ``exact=True``
    forces it (refused above ``max_exact`` permutations).  Random permutations use
    ``numpy.random.default_rng(seed)``; the p-values are the share of permutations whose |statistic|
    (or QM) is at least the observed one (minus ``PERM_COMPTOL``), as metafor.
    """
    if not isinstance(model, MetaRegressionResult):
        raise SpecError("permutation_test needs a MetaRegressionResult (from meta_regression)")
    if exact != "auto" and not isinstance(exact, (bool, np.bool_)):
        raise SpecError(f"exact={exact!r} is not one of True, False, 'auto'")
    try:
        n_perm = int(n_perm)
    except (TypeError, ValueError):
        raise SpecError(f"n_perm must be a whole number, got {n_perm!r}") from None
    if n_perm < 2:
        raise SpecError(f"n_perm must be >= 2, got {n_perm}")
    y, v, X = model.yi, model.vi, model.X
    k = X.shape[0]
    int_only, inv, n_exact = _distinct_permutations(X)
    use_exact = bool(exact is True or (exact == "auto" and n_exact <= n_perm))
    if use_exact and n_exact > max_exact:
        raise SpecError(f"an exact permutation test needs {fmt_sig(n_exact, 3)} fits (> max_exact={max_exact}); "
                        "use exact=False with n_perm random permutations")
    btt = model.btt
    obs_stat = np.asarray(model.stat, dtype=float)
    obs_qm = model.qm

    def one(yy: np.ndarray, XX: np.ndarray) -> tuple[np.ndarray, float] | None:
        try:
            f = fit_rma(yy, v, XX, method=model.method, test=model.test, level=model.level, control=control)
        except (EstimationError, InputError, np.linalg.LinAlgError):
            return None
        qm, _, _ = omnibus_test(f, btt)
        return f.zval, qm

    stats_list: list[np.ndarray] = []
    qms: list[float] = []
    failed = 0
    if use_exact:
        if int_only:
            it = (np.array([1.0 - 2.0 * ((i >> (k - 1 - j)) & 1) for j in range(k)]) for i in range(n_exact))
            gen = ((s * y, X) for s in it)
        else:
            # rows of X grouped by identical rows; each distinct arrangement of the group labels is one permutation
            uniq = np.unique(X, axis=0)
            gen = ((y, uniq[perm]) for perm in _multiset_permutations(inv))
        for yy, XX in gen:
            r = one(yy, XX)
            if r is None:
                failed += 1
                continue
            stats_list.append(r[0])
            qms.append(r[1])
        n_used = int(n_exact)
    else:
        rng = np.random.default_rng(seed)
        stats_list.append(obs_stat)
        qms.append(obs_qm)
        while len(qms) < n_perm:
            if int_only:
                yy, XX = rng.choice(np.array([-1.0, 1.0]), size=k) * y, X
            else:
                yy, XX = y, X[rng.permutation(k)]
            r = one(yy, XX)
            if r is None:
                failed += 1
                if failed > 10 * n_perm:
                    raise EstimationError("permutation test: too many permuted fits failed")
                continue
            stats_list.append(r[0])
            qms.append(r[1])
        n_used = n_perm
    Z = np.vstack(stats_list)
    Q = np.asarray(qms)
    with np.errstate(invalid="ignore"):
        pval = np.mean(np.abs(Z) >= np.abs(obs_stat)[None, :] - PERM_COMPTOL, axis=0)
        qm_p = float(np.mean(Q >= obs_qm - PERM_COMPTOL))
    pval = np.minimum(pval, 1.0)
    notes: list[Note] = []
    if failed:
        notes.append(Note(NoteCode.PERMUTATION_FIT_FAILED, f"{failed} permuted model(s) could not be fitted and were "
                                                    "left out of the permutation distribution."))
    mc_se = 0.0 if use_exact else math.sqrt(qm_p * (1 - qm_p) / n_used)
    return PermutationResult(
        coef_names=model.coef_names, stat=obs_stat, pval=pval, qm=obs_qm, qm_pvalue=qm_p, n_perm=n_used,
        exact=use_exact, seed=None if use_exact else seed, n_failed=failed, mc_se=mc_se, notes=tuple(notes),
    )
