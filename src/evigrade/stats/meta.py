"""``meta_analysis``: the pooled random-effects (or common-effect) meta-analysis -> ``MetaResult``.

Defaults follow Cochrane's current methods (REML, Hartung-Knapp-Sidik-Jonkman CI, prediction
interval, Q-profile CI for tau²); ``preset="revman5"`` reproduces RevMan 5 (DerSimonian-Laird, Wald
z, Mantel-Haenszel for 2x2 data with +0.5 in zero cells).
"""
from __future__ import annotations

import math
from typing import Any, Literal, cast

import numpy as np

from .._validate import check_choice, check_level
from ..effects.measures import TWO_BY_TWO_MEASURES
from ..errors import SpecError
from ..notes import NoteCode
from ..results import Note
from .fit import Control, MethodName, TestName, canonical_method, canonical_test, fit_rma, validate_yi_vi
from .heterogeneity import qprofile_ci
from .mh import study_labels
from .results import AnalysisSpec, MetaResult

__all__ = ["meta_analysis", "PRESETS"]

PRESETS: tuple[str, ...] = ("revman5", "cochrane")


def _unpack(effects_or_yi: Any, vi: Any, study: Any, measure: str | None,
            ) -> tuple[Any, Any, Any, Any, str | None, tuple[Note, ...]]:
    """(table or None, yi, vi, study, measure, the table's notes): an EffectTable's own columns, study labels,
    measure and notes (explicit ``study``/``measure`` win), or the numbers as given."""
    if hasattr(effects_or_yi, "yi") and hasattr(effects_or_yi, "vi") and hasattr(effects_or_yi, "measure"):
        table = effects_or_yi
        if vi is not None:
            raise SpecError("vi must be None when an EffectTable is given (it carries its own vi)")
        return (table, table.yi, table.vi, table.study if study is None else study,
                table.measure if measure is None else measure, tuple(getattr(table, "notes", ())))
    if vi is None:
        raise SpecError("vi is required when effect sizes are given as numbers")
    return None, effects_or_yi, vi, study, measure, ()


def meta_analysis(
    effects_or_yi: Any,
    vi: Any = None,
    *,
    method: MethodName = "REML",
    test: TestName = "knha",
    level: float = 95,
    pi: bool = True,
    tau2_ci: bool = True,
    adhoc: bool = False,
    weights: Any = None,
    study: Any = None,
    measure: str | None = None,
    preset: Literal["revman5", "cochrane"] | None = None,
    control: Any = None,
) -> MetaResult:
    """Pool effect sizes as metafor ``rma.uni(yi, vi, method=, test=)`` + ``predict`` + ``confint``.

    ``effects_or_yi`` is an ``EffectTable`` (``vi`` must then be None) or the effect sizes, with
    their sampling variances in ``vi``.  ``method``: tau² estimator (FE/CE, DL, HE, HS, HSk, SJ,
    ML, REML, EB, PM).  ``test``: ``"knha"`` (alias ``"hksj"``; t with k-1 df) or ``"z"``.
    ``adhoc=True``: HKSJ never narrower than Wald (metafor ``test="adhoc"``).  ``level``: 95 or 0.95.
    """
    table, yi_arr, vi_arr, study, measure, table_notes = _unpack(effects_or_yi, vi, study, measure)
    if preset is not None:
        preset = check_choice("preset", preset, PRESETS)
        if preset == "revman5":
            method, test, adhoc = "DL", "z", False
            inputs = getattr(table, "inputs", None) or {}
            if table is not None and measure in TWO_BY_TWO_MEASURES and all(c in inputs for c in ("ai", "bi", "ci", "di")):
                from .mh import mantel_haenszel

                # cast: `measure in TWO_BY_TWO_MEASURES` above, which is exactly ("OR", "RR", "RD")
                res = mantel_haenszel(inputs["ai"], inputs["bi"], inputs["ci"], inputs["di"],
                                      measure=cast(Literal["OR", "RR", "RD"], measure),
                                      level=level, study=table.study, add=0.5, to="only0")
                return _with_spec(res, preset, table_notes)
        else:  # cochrane: the defaults
            method, test = "REML", "knha"
    method = canonical_method(method)
    test = canonical_test(test)
    lvl = check_level(level)
    for name, val in (("pi", pi), ("tau2_ci", tau2_ci), ("adhoc", adhoc)):
        if not isinstance(val, (bool, np.bool_)):
            raise SpecError(f"{name} must be True or False, got {val!r}")
    y0 = np.asarray(yi_arr, dtype=float) if np.ndim(yi_arr) else np.asarray([yi_arr], dtype=float)
    labels = study_labels(len(y0), study, "effect sizes")
    y, v = validate_yi_vi(yi_arr, vi_arr, labels)
    con = Control.from_any(control)
    fit = fit_rma(y, v, method=method, test=test, level=lvl, adhoc=bool(adhoc), weights=weights, control=con,
                  study=labels)
    notes = list(table_notes) + list(fit.notes)
    k = fit.k
    est = float(fit.beta[0])
    se = float(fit.se[0])
    nan = float("nan")
    if k == 2:
        notes.append(Note(NoteCode.K_SMALL, "Only two studies: tau2, I2 and their intervals are very imprecise."))
    # prediction interval (metafor predict(): same critical value as the CI, sqrt(se^2 + tau2))
    if pi and method == "FE":
        pi_low = pi_high = nan
        notes.append(Note(NoteCode.UNDEFINED, "A common-effect model has no between-study variance, so no prediction "
                                       "interval is given (as metafor)."))
    elif pi:
        half = fit.crit * math.sqrt(se**2 + fit.tau2)
        pi_low, pi_high = est - half, est + half
        if k == 1:
            notes.append(Note(NoteCode.UNDEFINED, "A prediction interval needs more than one study; it equals the CI."))
    else:
        pi_low = pi_high = nan
    # Q-profile CI for tau2 (and I2, H2)
    t_lo = t_hi = i_lo = i_hi = h_lo = h_hi = nan
    if tau2_ci and method != "FE" and k >= 2:
        ci = qprofile_ci(y, v, None, tau2=fit.tau2, vt=fit.diagnostics.vt, level=lvl, tol=con.tol,
                         maxiter=max(con.maxiter, 1000))
        t_lo, t_hi, i_lo, i_hi, h_lo, h_hi = ci.tau2_low, ci.tau2_high, ci.i2_low, ci.i2_high, ci.h2_low, ci.h2_high
        notes.extend(ci.notes)
    elif tau2_ci and method == "FE":
        notes.append(Note(NoteCode.UNDEFINED, "A common-effect model assumes tau2 = 0, so no CI for tau2 is given."))
    spec = AnalysisSpec(method=method, test=test, level=lvl, adhoc=bool(adhoc), preset=preset, measure=measure,
                        pi=bool(pi), tau2_ci=bool(tau2_ci))
    return MetaResult(
        k=k, estimate=est, se=se, zval=float(fit.zval[0]), pval=float(fit.pval[0]), ci_low=float(fit.ci_low[0]),
        ci_high=float(fit.ci_high[0]), pi_low=float(pi_low), pi_high=float(pi_high), tau2=fit.tau2,
        tau2_se=fit.tau2_se, tau2_ci_low=float(t_lo), tau2_ci_high=float(t_hi), tau=fit.tau, i2=fit.i2,
        i2_ci_low=float(i_lo), i2_ci_high=float(i_hi), h2=fit.h2, h2_ci_low=float(h_lo), h2_ci_high=float(h_hi),
        q=fit.q, q_df=fit.q_df, q_pvalue=fit.q_pvalue, weights=fit.weights, yi=y, vi=v, study=labels,
        measure=measure, method=method, test=fit.test, level=lvl, df=fit.df, spec=spec,
        diagnostics=fit.diagnostics, notes=tuple(notes),
    )


def _with_spec(res: MetaResult, preset: str, extra_notes: tuple[Note, ...]) -> MetaResult:
    import dataclasses

    spec = dataclasses.replace(res.spec, preset=preset)
    return dataclasses.replace(res, spec=spec, notes=tuple(extra_notes) + res.notes)
