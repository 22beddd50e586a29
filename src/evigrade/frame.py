"""pandas in, pandas out: metafor's calling conventions on DataFrames.

    from evigrade.frame import escalc, meta_analysis
    es = escalc("SMD", data=df, m1i="mean_t", sd1i="sd_t", n1i="n_t", m2i="mean_c", sd2i="sd_c", n2i="n_c",
                slab="author")                        # an EffectTable (es.to_frame() is a DataFrame)
    res = meta_analysis(es)                           # or meta_analysis(df) with columns yi and vi (or sei),
    res = meta_analysis(yi=df.yi, vi=df.vi)           # or meta_analysis(data=df, yi="g", vi="var_g")
    print(res.summary())                              # as metafor's print(rma(...)); Jupyter shows it too
    res.to_frame()                                    # per-study yi, vi, sei, weight

Thin wrappers over :func:`evigrade.effects.escalc` and :func:`evigrade.stats.meta_analysis`: a
string names a column of ``data``; anything else is used as given.  Missing cells are refused with
one line naming the row and column (nothing is dropped silently).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .errors import InputError, SpecError

__all__ = ["escalc", "meta_analysis"]

_STUDY_COLUMNS = ("study", "slab")


def _column(data: Any, name: str, arg: str) -> Any:
    if data is None:
        raise SpecError(f"{arg}={name!r} names a column, but no data= DataFrame was given")
    if name not in data.columns:
        cols = ", ".join(map(str, data.columns))
        raise InputError(f"no column {name!r} for {arg}", column=name, fix=f"use one of the columns: {cols}")
    return data[name].to_numpy()


def _resolve(data: Any, arg: str, value: Any) -> Any:
    return _column(data, value, arg) if isinstance(value, str) else value


def _labels(data: Any, slab: Any) -> Any:
    """Study labels: ``slab`` (a column name or values), else a study/slab column, else a non-default index."""
    if slab is not None:
        vals = _resolve(data, "slab", slab)
        return [str(v) for v in vals]
    if data is None:
        return None
    for c in _STUDY_COLUMNS:
        if c in data.columns:
            return [str(v) for v in data[c]]
    import pandas as pd

    if not isinstance(data.index, pd.RangeIndex):
        return [str(v) for v in data.index]
    return None


def escalc(measure: str, data: Any = None, *, slab: Any = None, **columns: Any) -> Any:
    """metafor's ``escalc(measure, data=df, m1i="col", ...)``: an :class:`~evigrade.effects.EffectTable`.

    Each of ``m1i, sd1i, n1i, m2i, sd2i, n2i, ai, bi, ci, di, xi, ni, ri, yi, vi, sei, ci_low,
    ci_high`` is a column name of ``data`` or an array; other keywords (``add``, ``to``, ``drop00``,
    ``vtype``, ``scale``, ``ci_level``) pass through.  ``slab``: labels (a column name or values);
    by default the ``study``/``slab`` column or a non-default index.
    """
    from .effects import escalc as _escalc

    data_cols = {"m1i", "sd1i", "n1i", "m2i", "sd2i", "n2i", "ai", "bi", "ci", "di", "xi", "ni", "ri",
                 "yi", "vi", "sei", "ci_low", "ci_high"}
    kw = {k: (_resolve(data, k, v) if k in data_cols else v) for k, v in columns.items()}
    return _escalc(measure, slab=_labels(data, slab), **kw)


def _missing(arr: np.ndarray, column: str, labels: Any) -> None:
    bad = np.flatnonzero(~np.isfinite(arr))
    if bad.size:
        i = int(bad[0])
        who = labels[i] if labels is not None else None
        raise InputError(f"{column} is missing or not a number", row=i + 2, label=who, column=column,
                         value=str(arr[i]), fix="fill the cell or leave the study out before pooling")


def meta_analysis(data: Any = None, *, yi: Any = None, vi: Any = None, sei: Any = None, slab: Any = None,
                  measure: str | None = None, **kwargs: Any) -> Any:
    """metafor's ``rma(yi, vi, data=df)``: a :class:`~evigrade.stats.MetaResult`.

    ``data`` is an EffectTable (pooled as is), or a DataFrame whose ``yi`` and ``vi`` (or ``sei``)
    columns are used unless ``yi=``/``vi=``/``sei=`` name other columns; or give ``yi=`` and ``vi=``
    (or ``sei=``) as arrays or Series without ``data``.  Other keywords (``method``, ``test``,
    ``level``, ...) are those of :func:`evigrade.stats.meta_analysis`.  Row numbers in errors count
    the header as row 1, as a spreadsheet does.
    """
    from .stats import meta_analysis as _meta

    if data is not None and hasattr(data, "yi") and hasattr(data, "measure") and not hasattr(data, "columns"):
        if yi is not None or vi is not None or sei is not None:
            raise SpecError("give either an EffectTable or yi=/vi=, not both")
        return _meta(data, **kwargs)
    if data is not None and not hasattr(data, "columns"):
        raise SpecError(f"data must be a pandas DataFrame or an EffectTable, got {type(data).__name__}")
    if data is not None:
        yi = "yi" if yi is None else yi
        if vi is None and sei is None:
            if "vi" in data.columns:
                vi = "vi"
            elif "sei" in data.columns:
                sei = "sei"
            else:
                raise InputError("no column vi or sei", column="vi",
                                 fix="add the sampling variances as vi (or standard errors as sei), or pass vi=")
    if yi is None or (vi is None and sei is None):
        raise SpecError("give yi= with vi= or sei= (arrays or column names of data=)")
    if vi is not None and sei is not None:
        raise SpecError("give vi= or sei=, not both")
    labels = _labels(data, slab)
    y = np.asarray(_resolve(data, "yi", yi), dtype=float)
    _missing(y, yi if isinstance(yi, str) else "yi", labels)
    if vi is not None:
        v = np.asarray(_resolve(data, "vi", vi), dtype=float)
        _missing(v, vi if isinstance(vi, str) else "vi", labels)
    else:
        s = np.asarray(_resolve(data, "sei", sei), dtype=float)
        _missing(s, sei if isinstance(sei, str) else "sei", labels)
        v = s ** 2
    if measure is None and data is not None:
        measure = data.attrs.get("measure")
    return _meta(y, v, study=labels, measure=measure, **kwargs)
