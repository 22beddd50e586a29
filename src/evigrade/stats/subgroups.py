"""Subgroup analysis with the test for subgroup differences, two ways (as metafor users do it):

* ``tau2="separate"`` (Cochrane's RevMan default): each subgroup is pooled on its own, with its own
  tau²; the test for subgroup differences is Cochran's Q between the subgroup estimates, i.e. a
  common-effect meta-analysis of the subgroup estimates with their standard errors
  (``rma(estimate, sei=se, method="FE")$QE``), chi² with G - 1 df.
* ``tau2="common"``: one mixed-effects model with the subgroup as a categorical moderator
  (``rma(yi, vi, mods=~factor(group))``), so one residual tau² is shared; the test is that model's
  QM (chi² with G - 1 df, or F with (G - 1, k - G) df for ``test="knha"``), and the subgroup
  estimates come from the cell-means parametrisation (``mods=~factor(group) - 1``).

Studies with a missing subgroup value are excluded with a Note each; a moderator with a single level
is an InputError; a subgroup with one study is pooled as that study's own estimate (the statistics
core's Note says so).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Sequence

import numpy as np

from .._validate import check_choice, check_level
from ..errors import InputError
from ..notes import NoteCode
from ..results import Note, ResultMixin, json_keys
from .fit import fit_rma
from .regression import _is_missing, _resolve, coerce_effects, omnibus_test

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["SubgroupEstimate", "SubgroupResult", "subgroup_analysis"]


@json_keys("level", "k", "estimate", "se", "ci_low", "ci_high", "pval", "tau2", "q", "i2", "studies=study", "notes")
@dataclass(frozen=True, slots=True)
class SubgroupEstimate(ResultMixin):
    """The pooled estimate within one subgroup."""

    level: str
    k: int
    estimate: float
    se: float
    ci_low: float
    ci_high: float
    pval: float
    tau2: float
    q: float
    i2: float
    study: tuple[str, ...]
    notes: tuple[Note, ...] = ()


@json_keys("moderator", "tau2_mode", "method", "test", "level", "groups", "q_between", "q_between_df",
           "q_between_pvalue", "distribution", "tau2_common", "excluded", "notes")
@dataclass(frozen=True, slots=True)
class SubgroupResult(ResultMixin):
    """Subgroup estimates and the test for subgroup differences.

    ``q_between`` is the test statistic (Q-between for separate tau², QM for common tau²; an F value
    when ``distribution == "F"``), with ``q_between_df`` (one df, or (df1, df2) for F) and p-value.
    """

    moderator: str
    tau2_mode: str
    groups: tuple[SubgroupEstimate, ...]
    q_between: float
    q_between_df: tuple[int, ...]
    q_between_pvalue: float
    distribution: str
    tau2_common: float
    method: str
    test: str
    level: float
    excluded: tuple[str, ...]
    notes: tuple[Note, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame([{k: v for k, v in g.to_dict().items() if k not in ("studies", "notes")}
                             for g in self.groups])


def subgroup_analysis(
    effects: Any,
    vi: Any = None,
    *,
    groups: Sequence[Any],
    moderator: str = "subgroup",
    tau2: Literal["separate", "common"] = "separate",
    method: str | None = None,
    test: str | None = None,
    level: float = 95,
    control: Any = None,
    study: Sequence[str] | None = None,
) -> SubgroupResult:
    """Pool within the levels of ``groups`` (one value per study) and test for subgroup differences.

    Levels are sorted as text (R's factor order).  ``method``/``test`` default to the MetaResult's
    own, else REML and HKSJ.
    """
    mode = check_choice("tau2", tau2, ("separate", "common"))
    eff = coerce_effects(effects, vi, study=study)
    method, test = _resolve(method, test, eff, "REML", "knha")
    k_all = len(eff.yi)
    g_raw = list(groups)
    if len(g_raw) != k_all:
        raise InputError(f"the subgroup column has {len(g_raw)} values but there are {k_all} studies",
                         column=moderator, has_value=False, fix="give one subgroup value per study")
    notes: list[Note] = []
    keep = np.array([not _is_missing(g) and str(g).strip() != "" for g in g_raw])
    for i in np.flatnonzero(~keep):
        notes.append(Note(NoteCode.MISSING_MODERATOR, f"{eff.study[i]} was excluded from the subgroup analysis: its "
                                               f"value of '{moderator}' is missing.", study=eff.study[i]))
    labels = [str(g).strip() for g, kk in zip(g_raw, keep) if kk]
    y, v = eff.yi[keep], eff.vi[keep]
    studies = tuple(s for s, kk in zip(eff.study, keep) if kk)
    excluded = tuple(s for s, kk in zip(eff.study, keep) if not kk)
    levels = sorted(set(labels))
    if len(levels) < 2:
        raise InputError(f"moderator has only one level among the {len(labels)} analysed studies, so there are "
                         "no subgroups to compare", column=moderator, value=levels[0] if levels else None,
                         fix="choose a moderator with at least two levels")
    lab = np.array(labels)
    G = len(levels)
    out: list[SubgroupEstimate] = []
    q_df: tuple[int, ...]
    if mode == "separate":
        for lv in levels:
            m = lab == lv
            f = fit_rma(y[m], v[m], None, method=method, test=test, level=level, control=control,
                        study=tuple(np.array(studies)[m]))
            out.append(SubgroupEstimate(
                level=lv, k=int(m.sum()), estimate=float(f.beta[0]), se=float(f.se[0]), ci_low=float(f.ci_low[0]),
                ci_high=float(f.ci_high[0]), pval=float(f.pval[0]), tau2=float(f.tau2), q=float(f.q),
                i2=float(f.i2), study=tuple(np.array(studies)[m]), notes=tuple(f.notes)))
            if m.sum() < 2:
                notes.append(Note(NoteCode.K_SMALL, f"Subgroup '{lv}' has a single study; its estimate is that study's own."))
        est = np.array([g.estimate for g in out])
        se = np.array([g.se for g in out])
        if np.any(~np.isfinite(se)) or np.any(se <= 0):
            raise InputError("a subgroup estimate has no usable standard error, so subgroups cannot be compared",
                             column=moderator, has_value=False, fix="merge very small subgroups")
        qb = fit_rma(est, se**2, None, method="FE", test="z")
        q_between, q_df, q_p = float(qb.q), (G - 1,), float(qb.q_pvalue)
        dist, tau2_common = "chi2", math.nan
    else:
        k = len(y)
        if k <= G:
            raise InputError(f"too few studies (k = {k}) for {G} subgroups with a common tau2", has_value=False,
                             fix="use tau2='separate' or merge subgroups")
        D = np.column_stack([(lab == lv).astype(float) for lv in levels])
        Xint = np.column_stack([np.ones(k), D[:, 1:]])
        fi = fit_rma(y, v, Xint, method=method, test=test, level=level, control=control, study=studies)
        q_between, qdf, q_p = omnibus_test(fi, range(1, G))
        q_df = tuple(d for d in qdf if d is not None)
        dist = "F" if fi.test in ("knha", "t") else "chi2"
        fc = fit_rma(y, v, D, method=method, test=test, level=level, control=control, study=studies)
        tau2_common = float(fc.tau2)
        notes.extend(fc.notes)
        for j, lv in enumerate(levels):
            m = lab == lv
            out.append(SubgroupEstimate(
                level=lv, k=int(m.sum()), estimate=float(fc.beta[j]), se=float(fc.se[j]), ci_low=float(fc.ci_low[j]),
                ci_high=float(fc.ci_high[j]), pval=float(fc.pval[j]), tau2=tau2_common, q=math.nan, i2=math.nan,
                study=tuple(np.array(studies)[m])))
    return SubgroupResult(
        moderator=moderator, tau2_mode=mode, groups=tuple(out), q_between=q_between, q_between_df=q_df,
        q_between_pvalue=q_p, distribution=dist, tau2_common=tau2_common, method=method, test=test,
        level=check_level(level), excluded=excluded, notes=tuple(notes),
    )
