"""Plot-ready data: one frozen description of a forest or funnel plot, built from a result.

The SVG writer (``plots.svg``) and the matplotlib functions (``plots.forest``/``plots.funnel``) draw
from the same :class:`ForestData`, so the web page and a notebook show the same numbers.  Values
here are on the *display* scale (ratios exponentiated, logits back-transformed); ``log_scale`` says
whether the axis is logarithmic.  Nothing is formatted here: numbers stay numbers.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Iterable, Literal, Mapping, Sequence

import numpy as np
from .. import _dist as _st

from .._access import finite_float as _float, get as _get
from .._format import fmt_fixed, fmt_p, fmt_pct
from .._validate import check_choice, check_level
from ..errors import InputError, SpecError
from ..effects.measures import RATIO_MEASURES
from ..results import ResultMixin, attrs_dict, jsonable_dict

__all__ = [
    "ForestRow",
    "ForestData",
    "FunnelData",
    "forest_data",
    "forest_from_rows",
    "funnel_data",
    "RATIO_MEASURES",
    "ROB_LEVELS",
    "normalise_rob",
    "measure_label",
]

# RATIO_MEASURES (stored on the log scale, displayed exponentiated on a log axis) is the measures
# registry's set, re-exported here.
#: risk-of-bias levels the traffic lights know (robvis conventions)
ROB_LEVELS = ("low", "some concerns", "high", "unknown")

_MEASURE_LABELS = {
    "MD": "Mean difference",
    "SMD": "Standardised mean difference",
    "ROM": "Ratio of means",
    "OR": "Odds ratio",
    "RR": "Risk ratio",
    "RD": "Risk difference",
    "HR": "Hazard ratio",
    "IRR": "Incidence rate ratio",
    "PETO": "Peto odds ratio",
    "PR": "Proportion",
    "PLO": "Proportion",
    "ZCOR": "Correlation (Fisher z)",
    "GEN": "Effect",
}

RowKind = Literal["study", "subgroup", "pooled", "pi", "reference"]
_ROW_KINDS = ("study", "subgroup", "pooled", "pi", "reference")


def measure_label(measure: str | None) -> str:
    """Plain name of an effect measure (``'MD'`` -> ``'Mean difference'``)."""
    if not measure:
        return "Effect"
    return _MEASURE_LABELS.get(str(measure).upper(), str(measure))


def normalise_rob(value: Any) -> str:
    """Map a risk-of-bias judgement as packs write it onto ``ROB_LEVELS``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "unknown"
    v = str(value).strip().casefold().replace("_", " ").replace("-", " ")
    if v in {"low", "low risk", "l", "+"}:
        return "low"
    if v in {"some concerns", "some", "moderate", "unclear", "some concern", "s", "?!"}:
        return "some concerns"
    if v in {"high", "high risk", "h", "serious", "critical", "x"}:
        return "high"
    return "unknown"


@dataclass(frozen=True, slots=True)
class ForestRow:
    """One drawn row: a study, a subgroup/pooled diamond, a prediction interval or a reference result."""

    kind: str
    label: str
    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    weight: float | None = None  # fraction of the analysis weight (0..1)
    rob: str | None = None  # one of ROB_LEVELS (study rows only)
    k: int | None = None  # studies behind a pooled/reference row
    source: str | None = None  # citation key for reference rows

    def to_dict(self) -> dict[str, Any]:
        return {**attrs_dict(self, "kind", "label"),
                **jsonable_dict(attrs_dict(self, "estimate", "ci_low", "ci_high", "weight")),
                **attrs_dict(self, "rob", "k", "source")}


@dataclass(frozen=True, slots=True)
class ForestData:
    """Everything a forest plot shows, on the display scale."""

    title: str
    measure: str
    rows: tuple[ForestRow, ...]
    log_scale: bool
    null_value: float
    level: float  # fraction, e.g. 0.95
    x_label: str
    favours_left: str
    favours_right: str
    heterogeneity: str | None = None
    show_rob: bool = False

    @property
    def n_study_rows(self) -> int:
        return sum(1 for r in self.rows if r.kind == "study")

    def to_dict(self) -> dict[str, Any]:
        return {**attrs_dict(self, "title", "measure"), "rows": [r.to_dict() for r in self.rows],
                **attrs_dict(self, "log_scale", "null_value", "level", "x_label", "favours_left", "favours_right",
                             "heterogeneity", "show_rob")}


@dataclass(frozen=True, slots=True)
class FunnelData(ResultMixin):
    """A funnel plot: effect (analysis scale) against its standard error."""

    title: str
    measure: str
    study: tuple[str, ...]
    yi: tuple[float, ...]
    sei: tuple[float, ...]
    estimate: float
    level: float
    log_scale: bool
    x_label: str


# --------------------------------------------------------------------------------------------
# reading MetaResult-like inputs (the object or its to_dict())


def _study_arrays(result: Any) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray | None]:
    """(labels, yi, vi, weights) from a MetaResult, its to_dict(), or a mapping with arrays."""
    studies = _get(result, "studies")
    if isinstance(studies, Sequence) and studies and isinstance(studies[0], Mapping):
        labels = [str(s.get("study", f"Study {i + 1}")) for i, s in enumerate(studies)]
        yi = np.array([np.nan if s.get("yi") is None else s["yi"] for s in studies], dtype=float)
        vi = np.array([np.nan if s.get("vi") is None else s["vi"] for s in studies], dtype=float)
        w = [s.get("weight") for s in studies]
        weights = None if all(x is None for x in w) else np.array([np.nan if x is None else x for x in w], float)
        return labels, yi, vi, weights
    yi_raw = _get(result, "yi")
    vi_raw = _get(result, "vi")
    if yi_raw is None or vi_raw is None:
        raise InputError(
            "the result has no per-study effects (yi, vi) to plot",
            fix="pass a MetaResult (or its to_dict()) from evigrade.stats.meta_analysis",
        )
    yi = np.asarray(yi_raw, dtype=float)
    vi = np.asarray(vi_raw, dtype=float)
    lab = _get(result, "study")
    labels = [str(x) for x in lab] if lab is not None else [f"Study {i + 1}" for i in range(len(yi))]
    w_raw = _get(result, "weights")
    weights = None if w_raw is None else np.asarray(w_raw, dtype=float)
    return labels, yi, vi, weights


def _transform(measure: str) -> tuple[Any, bool, float]:
    """(back-transform, log axis?, null value on display scale) for a measure."""
    m = measure.upper()
    if m in RATIO_MEASURES:
        return np.exp, True, 1.0
    if m == "PLO":
        return (lambda x: 1.0 / (1.0 + np.exp(-np.asarray(x, float)))), False, math.nan
    if m in {"PFT"}:
        raise SpecError(
            "measure='PFT' cannot be drawn on the proportion scale without each study's n; "
            "plot the PLO or PR analysis instead"
        )
    if m == "ZCOR":
        return np.tanh, False, 0.0
    if m == "PR":
        return (lambda x: np.asarray(x, float)), False, math.nan
    return (lambda x: np.asarray(x, float)), False, 0.0


def _favours(benefit: str | None, intervention: str, comparator: str, log_scale: bool) -> tuple[str, str]:
    """Labels under the axis.  ``benefit`` is the direction of benefit of the *outcome*:
    "lower" (e.g. pain) puts the intervention on the left."""
    if benefit is None:
        return "", ""
    b = check_choice("benefit", benefit, ("lower", "higher"))
    left, right = f"Favours {intervention}", f"Favours {comparator}"
    return (left, right) if b == "lower" else (right, left)


def _study_rows(result: Any, back: Any, z: float, rob: dict[str, Any]) -> list[ForestRow]:
    """One row per study: ``yi +/- z * sqrt(vi)`` back-transformed, with its weight and RoB."""
    labels, yi, vi, weights = _study_arrays(result)
    if len(yi) != len(vi) or len(labels) != len(yi):
        raise InputError(
            "per-study arrays differ in length",
            value=f"{len(labels)} labels, {len(yi)} yi, {len(vi)} vi",
            fix="pass an untouched MetaResult",
        )
    if weights is not None:
        if len(weights) != len(yi):
            raise InputError("weights and yi differ in length", value=len(weights), fix="pass an untouched MetaResult")
        s = float(np.nansum(weights))
        if s > 1.5:  # given in percent
            weights = weights / 100.0
    rows: list[ForestRow] = []
    for i, lab in enumerate(labels):
        if not math.isfinite(yi[i]) or not math.isfinite(vi[i]) or vi[i] < 0:
            raise InputError(
                "a study effect or variance is missing or invalid, so its row cannot be drawn",
                label=lab,
                column="yi/vi",
                value=f"yi={yi[i]}, vi={vi[i]}",
                fix="exclude the study before pooling (the exclusion is then noted) or supply its variance",
            )
        se = math.sqrt(vi[i])
        est, lo, hi = (float(v) for v in back(np.array([yi[i], yi[i] - z * se, yi[i] + z * se])))
        rows.append(
            ForestRow(
                kind="study",
                label=lab,
                estimate=est,
                ci_low=lo,
                ci_high=hi,
                weight=None if weights is None else _float(weights[i]),
                rob=normalise_rob(rob.get(lab)) if rob else None,
            )
        )
    return rows


def _pooled_rows(result: Any, back: Any, n_studies: int, pooled_label: str | None) -> list[ForestRow]:
    """The pooled diamond and, from k >= 3, the prediction interval (display scale)."""
    rows: list[ForestRow] = []
    est = _float(_get(result, "estimate"))
    lo = _float(_get(result, "ci_low"))
    hi = _float(_get(result, "ci_high"))
    k = _get(result, "k", n_studies)
    if est is not None and lo is not None and hi is not None:
        e2, l2, h2 = (float(v) for v in back(np.array([est, lo, hi])))
        method = _get(result, "method")
        lab = pooled_label or ("Pooled" + (f" ({method})" if method else ""))
        rows.append(ForestRow(kind="pooled", label=lab, estimate=e2, ci_low=l2, ci_high=h2, k=k))
        pl, ph = _float(_get(result, "pi_low")), _float(_get(result, "pi_high"))
        if pl is not None and ph is not None and k is not None and int(k) >= 3:
            p2l, p2h = (float(v) for v in back(np.array([pl, ph])))
            rows.append(ForestRow(kind="pi", label="Prediction interval", estimate=e2, ci_low=p2l, ci_high=p2h))
    return rows


def _given_row(kind: str, given: Mapping[str, Any], default_label: str, source: str | None = None) -> ForestRow:
    """A subgroup or reference row given as a mapping (label, estimate, ci_low, ci_high, k) already on the display scale."""
    return ForestRow(kind=kind, label=str(given.get("label", default_label)), estimate=_float(given.get("estimate")),
                     ci_low=_float(given.get("ci_low")), ci_high=_float(given.get("ci_high")), k=given.get("k"),
                     source=source)


def forest_data(
    result: Any,
    *,
    title: str = "Forest plot",
    measure: str | None = None,
    rob: Mapping[str, Any] | None = None,
    references: Iterable[Mapping[str, Any]] = (),
    subgroups: Iterable[Mapping[str, Any]] = (),
    benefit: str | None = None,
    intervention: str = "intervention",
    comparator: str = "control",
    units: str | None = None,
    pooled_label: str | None = None,
) -> ForestData:
    """Build :class:`ForestData` from a MetaResult (or its ``to_dict()``).

    Study CIs are ``yi +/- z * sqrt(vi)`` at the result's level (as metafor's ``forest()``), then
    back-transformed.  ``references`` are published reviews' pooled results
    (``label, estimate, ci_low, ci_high`` already on the display scale, optional ``k``, ``source``);
    ``subgroups`` are subgroup diamonds (``label, estimate, ci_low, ci_high``, display scale, ``k``).
    ``rob`` maps study label -> judgement (low / some concerns / high).
    """
    m = str(measure or _get(result, "measure") or "GEN").upper()
    back, log_scale, null = _transform(m)
    level_raw = _get(result, "level", 95)
    level = check_level(95 if level_raw is None else level_raw)
    z = float(_st.norm.ppf(1 - (1 - level) / 2))

    rows = _study_rows(result, back, z, dict(rob or {}))
    n_studies = len(rows)
    rows.extend(_given_row("subgroup", sg, "Subgroup") for sg in subgroups)
    rows.extend(_pooled_rows(result, back, n_studies, pooled_label))
    rows.extend(_given_row("reference", ref, "Published review", source=ref.get("source")) for ref in references)
    fl, fr = _favours(benefit, intervention, comparator, log_scale)
    x_label = measure_label(m) + (f" ({units})" if units else "")
    return ForestData(
        title=title,
        measure=m,
        rows=tuple(rows),
        log_scale=log_scale,
        null_value=null,
        level=level,
        x_label=x_label,
        favours_left=fl,
        favours_right=fr,
        heterogeneity=heterogeneity_text(result),
        show_rob=bool(rob),
    )


def heterogeneity_text(result: Any) -> str | None:
    """metafor/RevMan style line: ``Heterogeneity: tau² = 0.12; I² = 45.1%; Q = 9.10 (df = 5, p = 0.105)``."""
    tau2 = _float(_get(result, "tau2"))
    i2 = _float(_get(result, "i2"))
    q = _float(_get(result, "q"))
    qdf = _get(result, "q_df")
    k = _get(result, "k")
    if qdf is None and k is not None:
        qdf = int(k) - 1
    qp = _float(_get(result, "q_pvalue"))
    parts = []
    if tau2 is not None:
        parts.append(f"tau\u00b2 = {fmt_fixed(tau2, 4)}")
    if i2 is not None:
        parts.append(f"I\u00b2 = {fmt_pct(i2, 1)}")
    if q is not None:
        ptxt = "" if qp is None else ", " + fmt_p(qp)
        parts.append(f"Q = {fmt_fixed(q, 2)} (df = {qdf}{ptxt})")
    return ("Heterogeneity: " + "; ".join(parts)) if parts else None


def funnel_data(result: Any, *, title: str = "Funnel plot", measure: str | None = None, units: str | None = None) -> FunnelData:
    """Funnel plot data from a MetaResult (or its to_dict()): effects against standard errors."""
    m = str(measure or _get(result, "measure") or "GEN").upper()
    labels, yi, vi, _ = _study_arrays(result)
    est = _float(_get(result, "estimate"))
    if est is None:
        raise InputError("the result has no pooled estimate; a funnel plot needs one", fix="pass a fitted MetaResult")
    if np.any(~np.isfinite(yi)) or np.any(~np.isfinite(vi)) or np.any(vi <= 0):
        raise InputError("a study effect or variance is missing or not positive", column="yi/vi", fix="exclude it before pooling")
    level_raw = _get(result, "level", 95)
    return FunnelData(
        title=title,
        measure=m,
        study=tuple(labels),
        yi=tuple(float(v) for v in yi),
        sei=tuple(float(v) for v in np.sqrt(vi)),
        estimate=est,
        level=check_level(95 if level_raw is None else level_raw),
        log_scale=m in RATIO_MEASURES,
        x_label=(f"Log {measure_label(m).lower()}" if m in RATIO_MEASURES else measure_label(m))
        + (f" ({units})" if units else ""),
    )


def forest_from_rows(
    studies: Iterable[Mapping[str, Any]],
    *,
    title: str = "Forest plot",
    measure: str = "GEN",
    references: Iterable[Mapping[str, Any]] = (),
    level: float = 95,
    benefit: str | None = None,
    intervention: str = "intervention",
    comparator: str = "control",
    units: str | None = None,
) -> ForestData:
    """Forest plot data from effects already on the display scale (e.g. single trials reported
    with a CI, and published reviews' pooled results as reference rows); no pooled diamond."""
    m = str(measure or "GEN").upper()
    rows: list[ForestRow] = []
    show_rob = False
    for s in studies:
        est, lo, hi = _float(s.get("estimate")), _float(s.get("ci_low")), _float(s.get("ci_high"))
        if est is None:
            continue
        rob = s.get("rob", "__absent__")
        if rob != "__absent__":
            show_rob = True
        rows.append(ForestRow(kind="study", label=str(s.get("label", "Study")), estimate=est, ci_low=lo, ci_high=hi,
                              weight=_float(s.get("weight")), rob=None if rob == "__absent__" else normalise_rob(rob)))
    for ref in references:
        rows.append(ForestRow(kind="reference", label=str(ref.get("label", "Published review")),
                              estimate=_float(ref.get("estimate")), ci_low=_float(ref.get("ci_low")),
                              ci_high=_float(ref.get("ci_high")), k=ref.get("k"), source=ref.get("source")))
    log_scale = m in RATIO_MEASURES
    if log_scale:
        for r in rows:
            if any(v is not None and v <= 0 for v in (r.estimate, r.ci_low, r.ci_high)):
                raise InputError(f"a ratio ({m}) must be positive on its natural scale", label=r.label,
                                 column="estimate", value=r.estimate, fix="store ratios on their natural scale")
    fl, fr = _favours(benefit, intervention, comparator, log_scale)
    return ForestData(
        title=title, measure=m, rows=tuple(rows), log_scale=log_scale,
        null_value=1.0 if log_scale else (math.nan if m in ("PR", "PLO") else 0.0),
        level=check_level(level), x_label=measure_label(m) + (f" ({units})" if units else ""),
        favours_left=fl, favours_right=fr, heterogeneity=None, show_rob=show_rob,
    )
