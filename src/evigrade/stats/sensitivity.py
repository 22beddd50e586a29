"""Sensitivity analyses as metafor's ``leave1out()``, ``cumul()`` and ``influence()``, and the
result without a flagged set of studies (e.g. those at high risk of bias).

All refits use the statistics core's ``fit_rma`` with the same estimator, test and level as the
full analysis (metafor refits the same way).  A refit that cannot be made (e.g. a fallback chain
that fails) leaves NaN in that row and a Note; nothing is dropped silently.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Sequence

import numpy as np
from .. import _dist as sps

from ..errors import EstimationError, InputError, SpecError
from ..notes import NoteCode
from ..results import Note, ResultMixin, json_keys, jsonable_dict
from .fit import MethodName, TestName, fit_rma
from .regression import FitSummary, _resolve, coerce_effects
from .results import RmaFit

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "LeaveOneOutResult",
    "CumulativeResult",
    "InfluenceResult",
    "SubsetResult",
    "leave_one_out",
    "cumulative",
    "influence",
    "exclude_studies",
]

_NAN_ROW = dict(estimate=math.nan, se=math.nan, stat=math.nan, pval=math.nan, ci_low=math.nan,
                ci_high=math.nan, tau2=math.nan, q=math.nan, q_pvalue=math.nan, i2=math.nan, h2=math.nan)


def _rows_dict(rows: Sequence[FitSummary], key: str) -> np.ndarray:
    return np.array([getattr(r, key) if r is not None else math.nan for r in rows], dtype=float)


def _try_fit(y: np.ndarray, v: np.ndarray, X: np.ndarray | None, *, method: MethodName, test: TestName, level: float,
             control: Any, study: tuple[str, ...]) -> tuple[RmaFit, None] | tuple[None, str]:
    try:
        return fit_rma(y, v, X, method=method, test=test, level=level, control=control, study=study), None
    except (EstimationError, InputError, np.linalg.LinAlgError) as exc:
        return None, str(exc)


class _TableMixin(ResultMixin):
    """One refit a row (``study``, ``rows``): the table as a DataFrame, one column as an array, the rows as JSON."""

    __slots__ = ()
    #: the key naming each row's study in the JSON rows ("study" left out, "added")
    _ROW_LABEL: ClassVar[str]

    @property
    def _json_rows(self) -> list[dict[str, Any]]:
        return _rows_json(self._ROW_LABEL, self.study, self.rows)  # type: ignore[attr-defined]

    def _frame_dict(self) -> dict[str, Any]:
        rows = self.rows  # type: ignore[attr-defined]
        d: dict[str, Any] = {"study": list(self.study)}  # type: ignore[attr-defined]
        for key in ("k", "estimate", "se", "stat", "pval", "ci_low", "ci_high", "tau2", "q", "q_pvalue", "i2", "h2"):
            d[key] = [getattr(r, key) if r is not None else math.nan for r in rows]
        return d

    def to_frame(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame(self._frame_dict())

    def column(self, key: str) -> np.ndarray:
        """One statistic across the rows as a float array (NaN where a refit failed)."""
        return _rows_dict(self.rows, key)  # type: ignore[attr-defined]


def _rows_json(label: str, study: tuple[str, ...], rows: tuple[FitSummary | None, ...]) -> list[dict[str, Any]]:
    """One dict a row: ``{label: study}`` then the row's fit without its notes (the result lists those once)."""
    return [{label: s, **({} if r is None else {k: v for k, v in r.to_dict().items() if k != "notes"})}
            for s, r in zip(study, rows)]


@json_keys("method", "test", "level", "full", "omitted=_json_rows", "notes")
@dataclass(frozen=True, slots=True)
class LeaveOneOutResult(_TableMixin):
    """metafor ``leave1out()``: row i is the analysis without ``study[i]``."""

    _ROW_LABEL = "study"

    study: tuple[str, ...]
    rows: tuple[FitSummary | None, ...]
    full: FitSummary
    method: str
    test: str
    level: float
    notes: tuple[Note, ...] = ()


def leave_one_out(
    effects: Any, vi: Any = None, *, method: str | None = None, test: str | None = None, level: float = 95,
    control: Any = None, study: Sequence[str] | None = None,
) -> LeaveOneOutResult:
    """Refit the analysis k times, each time without one study (metafor ``leave1out``)."""
    eff = coerce_effects(effects, vi, study=study)
    method, test = _resolve(method, test, eff, "REML", "knha")
    k = len(eff.yi)
    if k < 2:
        raise InputError(f"leave-one-out needs at least 2 studies, got k = {k}", has_value=False,
                         fix="add studies; with one study there is nothing to leave out")
    full, err = _try_fit(eff.yi, eff.vi, None, method=method, test=test, level=level, control=control, study=eff.study)
    if full is None:
        raise EstimationError(f"the full analysis could not be fitted: {err}")
    rows: list[FitSummary | None] = []
    notes: list[Note] = []
    for i in range(k):
        keep = np.arange(k) != i
        f, err = _try_fit(eff.yi[keep], eff.vi[keep], None, method=method, test=test, level=level,
                          control=control, study=tuple(np.array(eff.study)[keep]))
        if f is None:
            rows.append(None)
            notes.append(Note(NoteCode.REFIT_FAILED, f"Without {eff.study[i]} the model could not be fitted: {err}",
                              study=eff.study[i]))
        else:
            rows.append(FitSummary.from_fit(f))
    if k == 2:
        notes.append(Note(NoteCode.K_SMALL, "With k = 2 each leave-one-out result is a single study's own estimate."))
    return LeaveOneOutResult(study=eff.study, rows=tuple(rows), full=FitSummary.from_fit(full), method=method,
                             test=full.test, level=full.level, notes=tuple(notes))


@json_keys("method", "test", "level", "order_by", "steps=_json_rows", "notes")
@dataclass(frozen=True, slots=True)
class CumulativeResult(_TableMixin):
    """metafor ``cumul()``: row i pools the first i+1 studies in ``study`` order (already sorted)."""

    _ROW_LABEL = "added"

    study: tuple[str, ...]
    order: np.ndarray  # indices into the original study order
    order_by: str
    rows: tuple[FitSummary | None, ...]
    method: str
    test: str
    level: float
    notes: tuple[Note, ...] = ()


def cumulative(
    effects: Any, vi: Any = None, *, order: Any = "given", descending: bool = False,
    method: str | None = None, test: str | None = None, level: float = 95, control: Any = None,
    study: Sequence[str] | None = None,
) -> CumulativeResult:
    """Cumulative meta-analysis (metafor ``cumul(x, order=)``).

    ``order``: ``"given"`` (input order; the default, as metafor's ``cumul()``), ``"precision"``
    (most precise study first, i.e. increasing vi), or one value per study (e.g. publication years), sorted increasingly (stable for ties,
    as R's ``order()``) unless ``descending=True``.
    """
    eff = coerce_effects(effects, vi, study=study)
    method, test = _resolve(method, test, eff, "REML", "knha")
    k = len(eff.yi)
    if isinstance(order, str):
        if order == "precision":
            key = eff.vi
        elif order == "given":
            key = np.arange(k, dtype=float)
        else:
            raise SpecError(f"order={order!r} is not one of 'precision', 'given' (or one value per study)")
        order_by = order
    else:
        key = np.asarray(order, dtype=float).reshape(-1)
        if len(key) != k:
            raise InputError(f"order has {len(key)} values but there are {k} studies", column="order",
                             has_value=False, fix="give one ordering value (e.g. year) per study")
        bad = np.flatnonzero(~np.isfinite(key))
        if len(bad):
            i = int(bad[0])
            raise InputError("ordering value is missing", label=eff.study[i], column="order", value=None,
                             has_value=True, fix="give every study an ordering value (e.g. its year)")
        order_by = "values"
    idx = np.argsort(-key if descending else key, kind="stable")
    y, v = eff.yi[idx], eff.vi[idx]
    labels = tuple(eff.study[i] for i in idx)
    rows: list[FitSummary | None] = []
    notes: list[Note] = []
    for i in range(1, k + 1):
        f, err = _try_fit(y[:i], v[:i], None, method=method, test=test, level=level, control=control,
                          study=labels[:i])
        if f is None:
            rows.append(None)
            notes.append(Note(NoteCode.REFIT_FAILED, f"The cumulative analysis up to {labels[i - 1]} could not be "
                                              f"fitted: {err}", study=labels[i - 1]))
        else:
            rows.append(FitSummary.from_fit(f))
    notes.append(Note(NoteCode.K_SMALL, "The first cumulative step is a single study; its heterogeneity statistics "
                                 "are undefined."))
    return CumulativeResult(study=labels, order=idx, order_by=order_by, rows=tuple(rows), method=method,
                            test=test, level=_level(level), notes=tuple(notes))


def _level(level: float) -> float:
    from .._validate import check_level

    return check_level(level)


# ------------------------------------------------------------------------------------------ influence


@dataclass(frozen=True, slots=True)
class InfluenceResult:
    """metafor ``influence.rma.uni``: case-deletion diagnostics, one entry per study.

    ``rstudent``: externally standardised residual; ``dffits``; ``cook_d``: Cook's distance;
    ``cov_r``: covariance ratio; ``tau2_del``/``qe_del``: tau² and Q without the study; ``hat``:
    leverage; ``weight``: the study's weight (fraction); ``dfbs``: DFBETAS (k x p);
    ``influential``: metafor's rule (|DFFITS| > 3 sqrt(p/(k-p)), or P(chi²_p <= Cook's d) > 0.5, or
    hat > 3p/k, or any |DFBETAS| > 1).
    """

    study: tuple[str, ...]
    coef_names: tuple[str, ...]
    rstudent: np.ndarray
    dffits: np.ndarray
    cook_d: np.ndarray
    cov_r: np.ndarray
    tau2_del: np.ndarray
    qe_del: np.ndarray
    hat: np.ndarray
    weight: np.ndarray
    dfbs: np.ndarray
    influential: np.ndarray
    method: str
    test: str
    notes: tuple[Note, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        import pandas as pd

        d: dict[str, Any] = {"study": list(self.study), "rstudent": self.rstudent, "dffits": self.dffits,
                             "cook_d": self.cook_d, "cov_r": self.cov_r, "tau2_del": self.tau2_del,
                             "qe_del": self.qe_del, "hat": self.hat, "weight": self.weight}
        for j, n in enumerate(self.coef_names):
            d[f"dfbs_{n}"] = self.dfbs[:, j]
        d["influential"] = self.influential
        return pd.DataFrame(d)

    def to_dict(self) -> dict[str, Any]:
        return jsonable_dict({
            "method": self.method, "test": self.test, "coef_names": list(self.coef_names),
            "studies": [
                {"study": s, "rstudent": self.rstudent[i], "dffits": self.dffits[i], "cook_d": self.cook_d[i],
                 "cov_r": self.cov_r[i], "tau2_del": self.tau2_del[i], "qe_del": self.qe_del[i],
                 "hat": self.hat[i], "weight": self.weight[i], "dfbs": self.dfbs[i],
                 "influential": bool(self.influential[i])}
                for i, s in enumerate(self.study)
            ],
            "notes": [n.to_dict() for n in self.notes],
        })


def influence(
    effects: Any, vi: Any = None, *, X: Any = None, coef_names: Sequence[str] | None = None,
    method: str | None = None, test: str | None = None, level: float = 95, control: Any = None,
    study: Sequence[str] | None = None,
) -> InfluenceResult:
    """Case-deletion influence diagnostics exactly as metafor's ``influence(rma(...))``.

    ``X``: optional design matrix (default intercept only), so meta-regression models can be checked.
    """
    eff = coerce_effects(effects, vi, study=study)
    method, test = _resolve(method, test, eff, "REML", "knha")
    y, v = eff.yi, eff.vi
    k = len(y)
    Xm = np.ones((k, 1)) if X is None else np.asarray(X, dtype=float)
    if Xm.ndim == 1:
        Xm = Xm[:, None]
    p = Xm.shape[1]
    if k - 1 <= p and method != "FE" or k < 2:
        raise InputError(f"influence diagnostics need more studies than coefficients + 1 (k = {k}, p = {p})",
                         has_value=False, fix="add studies or use fewer moderators")
    names = tuple(coef_names) if coef_names is not None else (
        ("intrcpt",) + tuple(f"x{j}" for j in range(1, p)))
    full = fit_rma(y, v, Xm, method=method, test=test, level=level, control=control, study=eff.study)
    notes: list[Note] = list(full.notes)
    tau2 = full.tau2
    w = 1.0 / (v + tau2)
    WX = Xm * w[:, None]
    stXWX = np.linalg.inv(Xm.T @ WX)
    H = Xm @ stXWX @ WX.T
    hat = np.diag(H).copy()
    pred_full = Xm @ full.beta
    svb = np.linalg.inv(full.vb)
    det_full = np.linalg.det(full.vb)
    tau2_del = np.full(k, np.nan)
    qe_del = np.full(k, np.nan)
    delpred = np.full(k, np.nan)
    vdelpred = np.full(k, np.nan)
    s2w_del = np.full(k, np.nan)
    dffits = np.full(k, np.nan)
    dfbs = np.full((k, p), np.nan)
    cook = np.full(k, np.nan)
    covr = np.full(k, np.nan)
    for i in range(k):
        keep = np.arange(k) != i
        f, err = _try_fit(y[keep], v[keep], Xm[keep], method=method, test=test, level=level, control=control,
                          study=tuple(np.array(eff.study)[keep]))
        if f is None:
            notes.append(Note(NoteCode.REFIT_FAILED, f"Without {eff.study[i]} the model could not be fitted: {err}",
                              study=eff.study[i]))
            continue
        tau2_del[i] = f.tau2
        qe_del[i] = f.q
        xi = Xm[i]
        delpred[i] = float(xi @ f.beta)
        vdelpred[i] = float(xi @ f.vb @ xi)
        s2 = f.diagnostics.knha_scale if f.test == "knha" else 1.0
        s2w_del[i] = s2
        dffits[i] = (pred_full[i] - delpred[i]) / math.sqrt(s2 * hat[i] * (tau2_del[i] + v[i]))
        vb_del = np.linalg.inv(Xm.T @ (Xm / (v + tau2_del[i])[:, None]))
        dfb = full.beta - f.beta
        dfbs[i] = dfb / np.sqrt(s2 * np.diag(vb_del))
        cook[i] = float(dfb @ svb @ dfb)
        covr[i] = np.linalg.det(f.vb) / det_full
    resid = y - delpred
    resid[np.abs(resid) < 100 * np.finfo(float).eps] = 0.0
    seresid = np.sqrt(v * s2w_del + vdelpred + tau2_del * s2w_del)
    with np.errstate(invalid="ignore", divide="ignore"):
        rstudent = resid / seresid
        infl = ((np.abs(dffits) > 3 * math.sqrt(p / (k - p)))
                | (sps.chi2.cdf(cook, df=p) > 0.5)
                | (hat > 3 * p / k)
                | np.any(np.abs(dfbs) > 1, axis=1))
    infl = infl & ~np.isnan(dffits)
    for j_infl in np.flatnonzero(infl):
        notes.append(Note(NoteCode.INFLUENTIAL, f"{eff.study[j_infl]} is influential by metafor's criteria "
                                         "(DFFITS, Cook's distance, hat value or DFBETAS).", study=eff.study[j_infl]))
    return InfluenceResult(
        study=eff.study, coef_names=names, rstudent=rstudent, dffits=dffits, cook_d=cook, cov_r=covr,
        tau2_del=tau2_del, qe_del=qe_del, hat=hat, weight=full.weights.copy(), dfbs=dfbs,
        influential=np.asarray(infl, dtype=bool), method=method, test=full.test, notes=tuple(notes),
    )


# ------------------------------------------------------------------------------------------ subset


@json_keys("label", "method", "test", "full", "reduced", "change", "excluded", "kept", "notes")
@dataclass(frozen=True, slots=True)
class SubsetResult(ResultMixin):
    """The analysis without the studies flagged in a mask (e.g. high risk of bias), next to the full one."""

    label: str
    full: FitSummary
    reduced: FitSummary | None
    excluded: tuple[str, ...]
    kept: tuple[str, ...]
    method: str
    test: str
    notes: tuple[Note, ...] = ()

    @property
    def change(self) -> float:
        """Reduced minus full estimate (NaN when nothing is left)."""
        return math.nan if self.reduced is None else self.reduced.estimate - self.full.estimate

    def to_frame(self) -> pd.DataFrame:
        import pandas as pd

        rows = [dict(analysis="all studies", **{k: v for k, v in self.full.to_dict().items() if k != "notes"})]
        if self.reduced is not None:
            rows.append(dict(analysis=self.label, **{k: v for k, v in self.reduced.to_dict().items() if k != "notes"}))
        return pd.DataFrame(rows)


def exclude_studies(
    effects: Any, vi: Any = None, *, exclude: Any, label: str = "excluding flagged studies",
    reason: str = "flagged", method: str | None = None, test: str | None = None, level: float = 95,
    control: Any = None, study: Sequence[str] | None = None,
) -> SubsetResult:
    """The analysis without the studies where ``exclude`` (booleans, one per study) is True.

    Typical use: ``exclude=rob == "high", label="excluding high risk of bias", reason="high risk of
    bias"``.  Every excluded study gets a Note; if no study or every study is excluded, the reduced
    result is None with a Note instead of an error.
    """
    eff = coerce_effects(effects, vi, study=study)
    method, test = _resolve(method, test, eff, "REML", "knha")
    k = len(eff.yi)
    mask_raw = np.asarray(exclude, dtype=object).reshape(-1)
    if len(mask_raw) != k:
        raise InputError(f"exclude has {len(mask_raw)} values but there are {k} studies", column="exclude",
                         has_value=False, fix="give one True/False per study")
    mask = np.zeros(k, dtype=bool)
    for i, m in enumerate(mask_raw):
        if isinstance(m, (bool, np.bool_)) or (isinstance(m, (int, np.integer)) and m in (0, 1)):
            mask[i] = bool(m)
        else:
            raise InputError("exclusion flag must be True or False", label=eff.study[i], column="exclude",
                             value=m, fix="give one True/False per study")
    full = fit_rma(eff.yi, eff.vi, None, method=method, test=test, level=level, control=control, study=eff.study)
    excluded = tuple(s for s, m in zip(eff.study, mask) if m)
    kept = tuple(s for s, m in zip(eff.study, mask) if not m)
    notes = [Note(NoteCode.EXCLUDED, f"{s} was excluded from this sensitivity analysis ({reason}).", study=s)
             for s in excluded]
    reduced = None
    if not excluded:
        notes.append(Note(NoteCode.NOTHING_EXCLUDED, f"No study is {reason}; the sensitivity analysis equals the main one."))
        reduced = FitSummary.from_fit(full)
    elif not kept:
        notes.append(Note(NoteCode.NOTHING_LEFT, f"Every study is {reason}; no analysis remains after excluding them."))
    else:
        f, err = _try_fit(eff.yi[~mask], eff.vi[~mask], None, method=method, test=test, level=level,
                          control=control, study=kept)
        if f is None:
            notes.append(Note(NoteCode.REFIT_FAILED, f"The analysis without the excluded studies failed: {err}"))
        else:
            reduced = FitSummary.from_fit(f)
            notes.extend(f.notes)
    return SubsetResult(label=label, full=FitSummary.from_fit(full), reduced=reduced, excluded=excluded,
                        kept=kept, method=method, test=full.test, notes=tuple(notes))
