"""Effect sizes exactly as R metafor's ``escalc()`` (version 3.8-1) computes them.

Supported measures: MD, SMD (Hedges' g), ROM (log ratio of means), OR, RR (log scale), RD,
PR, PLO (logit), PFT (Freeman-Tukey double arcsine), ZCOR (Fisher's z) and GEN (effects given
directly as ``yi`` with ``vi``, ``sei`` or a confidence interval).

Zero cells (OR, RR, RD, PR, PLO): like metafor, ``add=1/2`` is added to every cell of a study
with a zero cell (``to="only0"``); for PFT metafor's default is ``add=0``.  evigrade departs from
metafor in one documented way: double-zero studies (no events, or only events, in both arms) are
dropped for OR and RR by default (``drop00=None`` means True for OR/RR, False otherwise; metafor's
default is ``drop00=FALSE``).  Every correction and exclusion is stored as a ``Note``.

Where metafor returns NA (e.g. a negative SD, ``ni <= 3`` for ZCOR) evigrade raises a one-line
``InputError`` naming the row, study, column and value, because an NA effect would silently
disappear from the analysis.
"""
from __future__ import annotations

from typing import Any, Iterable, Mapping, Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray
from .._dist import norm

from .._format import fmt_fixed, fmt_sig
from .._special import ufuncs as _special  # scipy.special's ufuncs without its import-time cost
from .._validate import check_choice, check_level
from ..errors import InputError, SpecError
from ..notes import NoteCode
from ..results import Note
from .measures import TWO_BY_TWO_MEASURES, is_ratio
from .table import EffectTable
from .transforms import FloatOrArray

_lgamma = _special.gammaln

__all__ = ["escalc", "compute", "MEASURES", "MEASURE_COLUMNS", "RAW_COLUMNS", "GENERIC_COLUMNS", "cmicalc"]

MEASURES = ("MD", "SMD", "ROM", "OR", "RR", "RD", "IRR", "PR", "PLO", "PFT", "COR", "ZCOR", "MC", "SMCC", "SMCR",
            "GEN")

#: The metafor column names each measure reads (alternatives separated by "|").
MEASURE_COLUMNS: dict[str, tuple[str, ...]] = {
    "MD": ("m1i", "sd1i", "n1i", "m2i", "sd2i", "n2i"),
    "SMD": ("m1i", "sd1i", "n1i", "m2i", "sd2i", "n2i"),
    "ROM": ("m1i", "sd1i", "n1i", "m2i", "sd2i", "n2i"),
    "OR": ("ai", "bi|n1i", "ci", "di|n2i"),
    "RR": ("ai", "bi|n1i", "ci", "di|n2i"),
    "RD": ("ai", "bi|n1i", "ci", "di|n2i"),
    "PR": ("xi", "ni"),
    "PLO": ("xi", "ni"),
    "PFT": ("xi", "ni"),
    "ZCOR": ("ri", "ni"),
    "COR": ("ri", "ni"),
    "IRR": ("x1i", "t1i", "x2i", "t2i"),
    "MC": ("m1i", "m2i", "sd1i", "sd2i", "ni", "ri"),
    "SMCC": ("m1i", "m2i", "sd1i", "sd2i", "ni", "ri"),
    "SMCR": ("m1i", "m2i", "sd1i", "ni", "ri"),
    "GEN": ("yi", "vi|sei|ci_low+ci_high"),
}

_VTYPES: dict[str, tuple[str, ...]] = {
    "MD": ("LS", "UB", "HO"),
    "SMD": ("LS", "UB", "LS2", "AV"),
    "ROM": ("LS", "HO", "AV", "AVHO"),
    "RD": ("LS", "UB", "AV"),
    "PR": ("LS", "UB", "AV"),
    "PLO": ("LS", "AV"),
    "COR": ("LS", "AV"),
    "SMCC": ("LS", "LS2"),
    "SMCR": ("LS", "LS2"),
}

#: The columns each measure's raw-data path reads (metafor names): MEASURE_COLUMNS' first choices, then
#: the alternatives (2x2: ai, bi, ci, di, n1i, n2i); GEN has no raw-data path.
RAW_COLUMNS: dict[str, tuple[str, ...]] = {
    m: () if m == "GEN" else tuple([c.split("|")[0] for c in cols] + [a for c in cols for a in c.split("|")[1:]])
    for m, cols in MEASURE_COLUMNS.items()
}
#: The columns of effects given directly (yi with vi, sei or a CI; ni optional).
GENERIC_COLUMNS = ("yi", "vi", "sei", "ci_low", "ci_high", "ni")

#: A data column as callers give it: numbers (None or NaN where missing), one per study.
ColumnIn = ArrayLike | Sequence[float | None]
#: One validated data column (one float per study).
_Col = NDArray[np.float64]


def _has_raw(measure: str, names: Iterable[str]) -> bool:
    """Are the raw-data columns of ``measure`` all present (2x2: ai, ci and bi|n1i, di|n2i)?"""
    present = set(names)
    if measure in TWO_BY_TWO_MEASURES:
        return {"ai", "ci"} <= present and bool({"bi", "n1i"} & present) and bool({"di", "n2i"} & present)
    return bool(RAW_COLUMNS.get(measure)) and set(RAW_COLUMNS[measure]) <= present


_TO = ("only0", "all", "if0all", "none")
_ALL_COLUMNS = (
    "m1i", "sd1i", "n1i", "m2i", "sd2i", "n2i", "ai", "bi", "ci", "di",
    "xi", "ni", "ri", "x1i", "t1i", "x2i", "t2i", "yi", "vi", "sei", "ci_low", "ci_high",
)


def cmicalc(mi: ArrayLike) -> FloatOrArray:
    """metafor's exact small-sample correction: exp(lgamma(m/2) - log(sqrt(m/2)) - lgamma((m-1)/2))."""
    m = np.asarray(mi, dtype=float)
    with np.errstate(invalid="ignore"):
        out = np.where(m <= 1, np.nan, np.exp(_lgamma(m / 2) - np.log(np.sqrt(m / 2)) - _lgamma((m - 1) / 2)))
    return out if out.ndim else float(out)


def _wmean(x: _Col, w: _Col) -> float:
    ok = ~(np.isnan(x) | np.isnan(w))
    return float(np.sum(x[ok] * w[ok]) / np.sum(w[ok]))


class _Ctx:
    """Where the data came from, so that every error names file, row, study and column."""

    def __init__(self, file: str | None, rows: Sequence[int] | None, labels: Sequence[str],
                 raw: Mapping[str, Sequence[str]] | None = None,
                 show_labels: bool = True):
        self.show_labels = show_labels or rows is None
        self.file = file
        self.rows = list(rows) if rows is not None else None
        self.labels = list(labels)
        self.raw = raw  # optional {column: [raw cell strings]} for messages

    def error(self, i: int, column: str | None, problem: str, value: Any = None, fix: str | None = None,
              has_value: bool | None = None) -> InputError:
        if self.raw is not None and column is not None and column in self.raw and value is not None:
            value = self.raw[column][i]
        elif isinstance(value, (float, np.floating)) and float(value).is_integer():
            value = int(value)
        elif isinstance(value, np.floating):
            value = float(value)
        return InputError(
            problem,
            file=self.file,
            row=self.rows[i] if self.rows is not None else None,
            label=self.labels[i] if (self.labels and self.show_labels) else None,
            column=column,
            value=value,
            fix=fix,
            has_value=has_value,
        )


def _as_array(name: str, values: Any, ctx_file: str | None, rows: Sequence[int] | None = None) -> np.ndarray:
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        i, bad = _first_non_number(values)  # (robust, issue 19: name the row and the value)
        raise InputError(
            "must contain numbers only", file=ctx_file, column=name,
            row=rows[i] if (rows is not None and i is not None and i < len(rows)) else None,
            value=bad, has_value=i is not None, fix=f"give {name} as numbers (one per study)",
        ) from None
    return np.atleast_1d(arr).reshape(-1)


def _first_non_number(values: Any) -> tuple[int | None, Any]:
    """The position and value of the first entry that is not a number (None, None if not found)."""
    try:
        items = list(values)
    except TypeError:
        return None, None
    for i, v in enumerate(items):
        try:
            float(v)
        except (TypeError, ValueError):
            return i, v
    return None, None


def _first(mask: np.ndarray) -> int | None:
    idx = np.flatnonzero(mask)
    return int(idx[0]) if idx.size else None


def _check_finite(ctx: _Ctx, name: str, x: np.ndarray, fix: str | None = None) -> None:
    i = _first(~np.isfinite(x))
    if i is None:
        return
    v = x[i]
    if np.isnan(v):
        raise ctx.error(i, name, "is missing", "" if ctx.raw is not None else v,
                        fix or f"enter a value for {name} or remove the study", has_value=True)
    raise ctx.error(i, name, "must be a finite number", v, fix or f"enter a finite value for {name}")


def _check_whole(ctx: _Ctx, name: str, x: np.ndarray, what: str) -> None:
    i = _first(x != np.floor(x))
    if i is not None:
        raise ctx.error(i, name, f"must be a whole number ({what})", x[i],
                        f"enter the number of {what} as a whole number")


def _check_min(ctx: _Ctx, name: str, x: np.ndarray, lo: float, strict: bool, fix: str, what: str = "") -> None:
    i = _first(x <= lo if strict else x < lo)
    if i is not None:
        op = ">" if strict else ">="
        lo_txt = int(lo) if float(lo).is_integer() else lo
        raise ctx.error(i, name, f"must be {op} {lo_txt}{what}", x[i], fix)


def compute(
    measure: str,
    data: Mapping[str, Any],
    *,
    study: Sequence[Any] | None = None,
    add: float | None = None,
    to: str = "only0",
    drop00: bool | None = None,
    vtype: str = "LS",
    ci_level: float = 95,
    scale: str = "analysis",
    file: str | None = None,
    rows: Sequence[int] | None = None,
    raw: Mapping[str, Sequence[str]] | None = None,
) -> EffectTable:
    """Compute effect sizes from a mapping of metafor-named columns (dict or DataFrame).

    ``file``/``rows`` (spreadsheet row numbers, header = row 1) only label error messages.
    """
    measure = check_choice("measure", measure, MEASURES)
    to = check_choice("to", to, _TO)
    allowed_vt = _VTYPES.get(measure, ("LS",))
    vtype = check_choice("vtype", vtype, allowed_vt)
    level = check_level(ci_level)
    scale = check_choice("scale", scale, ("analysis", "ratio"))
    if scale == "ratio" and not (is_ratio(measure) or measure == "GEN"):
        raise SpecError(f"scale='ratio' applies to ratio measures (OR, RR, ROM, GEN), not measure={measure!r}")
    if drop00 is not None and not isinstance(drop00, (bool, np.bool_)):
        raise SpecError(f"drop00={drop00!r} must be True, False or None")
    if add is not None:
        try:
            add = float(add)
        except (TypeError, ValueError):
            raise SpecError(f"add={add!r} must be a number >= 0") from None
        if not np.isfinite(add) or add < 0:
            raise SpecError(f"add={add!r} must be a number >= 0")

    given = {name for name in _ALL_COLUMNS if name in data and data[name] is not None}
    use_generic = measure == "GEN" or ("yi" in given and not _has_raw(measure, given))
    relevant = GENERIC_COLUMNS if use_generic else RAW_COLUMNS[measure]
    cols: dict[str, np.ndarray] = {}
    for name in relevant:
        if name in given:
            cols[name] = _as_array(name, data[name], file, rows)
    if not cols:
        raise InputError(
            f"no data columns given for measure {measure}", file=file,
            fix="give the columns " + ", ".join(MEASURE_COLUMNS[measure]),
        )
    lengths = {len(v) for v in cols.values()}
    if len(lengths) != 1:
        detail = ", ".join(f"{k}={len(v)}" for k, v in cols.items())
        raise InputError(f"data columns have different lengths ({detail})", file=file,
                         fix="give one value per study in every column")
    k = lengths.pop()
    if k == 0:
        raise InputError("no studies (0 data rows)", file=file, fix="add at least one study")
    if study is None:
        labels = [f"Study {i + 1}" for i in range(k)]
    else:
        labels = ["" if s is None else str(s) for s in study]
        if len(labels) != k:
            raise InputError(f"{len(labels)} study labels for {k} studies", file=file,
                             fix="give one study label per row")
    if rows is not None and len(rows) != k:
        raise SpecError("rows must have one entry per study")
    ctx = _Ctx(file, rows, labels, raw, show_labels=study is not None)
    seen: dict[str, int] = {}
    for i, lab in enumerate(labels):
        if lab.strip() == "" and study is not None:
            raise ctx.error(i, "study", "study label is empty", lab, "give every study a unique label")
        if lab in seen:
            first = seen[lab]
            where = f"row {rows[first]}" if rows is not None else f"position {first + 1}"
            raise ctx.error(i, "study", f"duplicated study label (also at {where})", lab,
                            "give every study a unique label, e.g. add the year or a/b")
        seen[lab] = i

    for name, x in ({} if use_generic else cols).items():  # arm-level cells whose squares would overflow (issue 19)
        with np.errstate(invalid="ignore"):
            huge = np.flatnonzero(np.isfinite(x) & (np.abs(x) > MAX_MAGNITUDE))
        if len(huge):
            raise ctx.error(int(huge[0]), name, f"is too large to compute with (more than {MAX_MAGNITUDE:.0e} in "
                            "size; its square would overflow)", x[huge[0]],
                            "check the value (a unit, decimal-point or copy error?)")
    if use_generic:
        return _generic(measure, cols, ctx, level, scale)
    if measure in ("MD", "SMD", "ROM"):
        return _continuous(measure, cols, ctx, vtype)
    if measure in TWO_BY_TWO_MEASURES:
        return _binary(measure, cols, ctx, add, to, drop00, vtype)
    if measure in ("PR", "PLO", "PFT"):
        return _proportion(measure, cols, ctx, add, to, vtype)
    if measure == "IRR":
        return _rates(cols, ctx, add, to, drop00)
    if measure in ("MC", "SMCC", "SMCR"):
        return _change(measure, cols, ctx, vtype)
    if measure == "COR":
        return _raw_correlation(cols, ctx, vtype)
    return _correlation(cols, ctx)


#: Inputs larger than this in absolute value are refused: their squares and products (SD^2,
#: a*d, y^2 in a variance) would overflow to infinity and give a wrong effect without a word.
MAX_MAGNITUDE = 1e100


def escalc(
    measure: str,
    *,
    m1i: ColumnIn | None = None, sd1i: ColumnIn | None = None, n1i: ColumnIn | None = None,
    m2i: ColumnIn | None = None, sd2i: ColumnIn | None = None, n2i: ColumnIn | None = None,
    ai: ColumnIn | None = None, bi: ColumnIn | None = None, ci: ColumnIn | None = None, di: ColumnIn | None = None,
    xi: ColumnIn | None = None, ni: ColumnIn | None = None, ri: ColumnIn | None = None,
    x1i: ColumnIn | None = None, t1i: ColumnIn | None = None, x2i: ColumnIn | None = None,
    t2i: ColumnIn | None = None,
    yi: ColumnIn | None = None, vi: ColumnIn | None = None, sei: ColumnIn | None = None,
    ci_low: ColumnIn | None = None, ci_high: ColumnIn | None = None, ci_level: float = 95, scale: str = "analysis",
    slab: Sequence[Any] | None = None,
    add: float | None = None,
    to: str = "only0",
    drop00: bool | None = None,
    vtype: str = "LS",
) -> EffectTable:
    """Effect sizes with metafor's argument names and formulas (``escalc`` in metafor 3.8-1).

    ``add=None`` means metafor's default for the measure (1/2, but 0 for PFT).  ``drop00=None``
    means evigrade's default (True for OR and RR, False otherwise).  ``yi`` with ``vi``, ``sei`` or
    ``ci_low``/``ci_high`` (a ``ci_level`` % normal CI on the analysis scale, i.e. log scale for
    ratios) gives effects directly, for ``measure="GEN"`` or any other measure label.
    ``scale="ratio"``: ``yi``, ``ci_low`` and ``ci_high`` are ratios as papers print them (e.g. OR 0.5,
    95% CI 0.3 to 0.8) and are log-transformed; ``vi``/``sei`` are always on the log scale.
    """
    data = {
        "m1i": m1i, "sd1i": sd1i, "n1i": n1i, "m2i": m2i, "sd2i": sd2i, "n2i": n2i,
        "ai": ai, "bi": bi, "ci": ci, "di": di, "xi": xi, "ni": ni, "ri": ri,
        "x1i": x1i, "t1i": t1i, "x2i": x2i, "t2i": t2i,
        "yi": yi, "vi": vi, "sei": sei, "ci_low": ci_low, "ci_high": ci_high,
    }
    return compute(measure, data, study=slab, add=add, to=to, drop00=drop00, vtype=vtype, ci_level=ci_level,
                   scale=scale)


def _need(cols: Mapping[str, _Col], ctx: _Ctx, measure: str, *names: str) -> list[np.ndarray]:
    out = []
    for n in names:
        if n not in cols:
            raise InputError(f"measure {measure} needs column {n!r}", file=ctx.file, column=n,
                             fix="add the column " + n + " (metafor's name)")
        out.append(cols[n])
    return out


# --------------------------------------------------------------------------------------------
# MD, SMD, ROM
# --------------------------------------------------------------------------------------------
def _continuous(measure: str, cols: Mapping[str, _Col], ctx: _Ctx, vtype: str) -> EffectTable:
    m1i, sd1i, n1i, m2i, sd2i, n2i = _need(cols, ctx, measure, "m1i", "sd1i", "n1i", "m2i", "sd2i", "n2i")
    for name, x in (("m1i", m1i), ("sd1i", sd1i), ("n1i", n1i), ("m2i", m2i), ("sd2i", sd2i), ("n2i", n2i)):
        _check_finite(ctx, name, x)
    for name, x in (("sd1i", sd1i), ("sd2i", sd2i)):
        _check_min(ctx, name, x, 0, True, "a standard deviation must be positive; check the value "
                   "(an SE or a CI may have to be converted to an SD)")
    for name, x in (("n1i", n1i), ("n2i", n2i)):
        _check_whole(ctx, name, x, "participants")
        _check_min(ctx, name, x, 2, False, f"{measure} needs at least 2 participants per group; "
                   "enter the group size or remove the study")
    if measure == "ROM":
        for name, x in (("m1i", m1i), ("m2i", m2i)):
            _check_min(ctx, name, x, 0, True, "the ratio of means (ROM) needs positive means; "
                       "use MD or SMD for outcomes that can be 0 or negative")
    ni = n1i + n2i
    mi = ni - 2
    sdpi = np.sqrt(((n1i - 1) * sd1i**2 + (n2i - 1) * sd2i**2) / mi)
    if measure == "MD":
        yi = m1i - m2i
        if vtype == "HO":
            vi = sdpi**2 * (1 / n1i + 1 / n2i)
        else:  # LS and UB are the same for MD
            vi = sd1i**2 / n1i + sd2i**2 / n2i
    elif measure == "SMD":
        di = (m1i - m2i) / sdpi
        cmi = cmicalc(mi)
        yi = cmi * di
        if vtype == "UB":
            vi = 1 / n1i + 1 / n2i + (1 - (mi - 2) / (mi * cmi**2)) * yi**2
        elif vtype == "LS2":
            vi = cmi**2 * (1 / n1i + 1 / n2i + di**2 / (2 * ni))
        elif vtype == "AV":
            vi = 1 / n1i + 1 / n2i + _wmean(yi, ni) ** 2 / (2 * ni)
        else:
            vi = 1 / n1i + 1 / n2i + yi**2 / (2 * ni)
    else:  # ROM
        yi = np.log(m1i / m2i)
        if vtype == "HO":
            vi = sdpi**2 / (n1i * m1i**2) + sdpi**2 / (n2i * m2i**2)
        elif vtype == "AV":
            vi = _wmean(sd1i / m1i, n1i) ** 2 / n1i + _wmean(sd2i / m2i, n2i) ** 2 / n2i
        elif vtype == "AVHO":
            cv = (np.sum(n1i * sd1i / m1i) + np.sum(n2i * sd2i / m2i)) / np.sum(n1i + n2i)
            vi = cv**2 * (1 / n1i + 1 / n2i)
        else:
            vi = sd1i**2 / (n1i * m1i**2) + sd2i**2 / (n2i * m2i**2)
    inputs = {"m1i": m1i, "sd1i": sd1i, "n1i": n1i, "m2i": m2i, "sd2i": sd2i, "n2i": n2i}
    return EffectTable(measure, np.asarray(yi, float), np.asarray(vi, float), tuple(ctx.labels),
                       n=ni.astype(float), ni1=n1i.astype(float), ni2=n2i.astype(float), inputs=inputs)


# --------------------------------------------------------------------------------------------
# OR, RR, RD
# --------------------------------------------------------------------------------------------
# The fix of the "every study is double-zero" error, in the library's words.  A caller with other
# words for the same choice (the CLI's --keep-double-zero) recognises the error by this exact text.
DROP00_FIX = "use measure RD (risk difference), or pass drop00=False to keep double-zero studies"


def _corrected(id0: np.ndarray, add: float, to: str) -> np.ndarray:
    """Which studies get the continuity correction ``add`` (metafor's ``to``: all, only0, if0all, none)."""
    corrected = np.zeros(len(id0), dtype=bool)
    if add > 0:
        if to == "all":
            corrected[:] = True
        elif to == "only0":
            corrected = id0
        elif to == "if0all" and id0.any():
            corrected[:] = True
    return corrected


def _binary_arms(measure: str, cols: Mapping[str, _Col], ctx: _Ctx, ai: np.ndarray,
                 ci: np.ndarray) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """(events, non-events, group size) of each arm, checked; either non-events or the size may be given."""
    arms = []
    for ev, non, tot, ev_name, non_name, tot_name in (
        (ai, cols.get("bi"), cols.get("n1i"), "ai", "bi", "n1i"),
        (ci, cols.get("di"), cols.get("n2i"), "ci", "di", "n2i"),
    ):
        _check_whole(ctx, ev_name, ev, "events")
        _check_min(ctx, ev_name, ev, 0, False, "event counts cannot be negative")
        if non is None and tot is None:
            raise InputError(f"measure {measure} needs column {non_name!r} (non-events) or {tot_name!r} (group size)",
                             file=ctx.file, column=tot_name, fix=f"add the column {tot_name} or {non_name}")
        if tot is not None:
            _check_finite(ctx, tot_name, tot)
            _check_whole(ctx, tot_name, tot, "participants")
            _check_min(ctx, tot_name, tot, 0, True, "the group size must be at least 1")
            i = _first(ev > tot)
            if i is not None:
                raise ctx.error(i, ev_name, f"events exceed the group size {tot_name}={int(tot[i])}", ev[i],
                                f"check {ev_name} and {tot_name}; events must be between 0 and the group size")
        if non is not None:
            _check_finite(ctx, non_name, non)
            _check_whole(ctx, non_name, non, "participants without the event")
            _check_min(ctx, non_name, non, 0, False, "counts cannot be negative")
            if tot is not None:
                i = _first(ev + non != tot)
                if i is not None:
                    raise ctx.error(i, tot_name, f"{tot_name} must equal {ev_name} + {non_name} "
                                    f"= {int(ev[i] + non[i])}", tot[i], f"correct {tot_name}, {ev_name} or {non_name}")
            else:
                tot = ev + non
                i = _first(tot <= 0)
                if i is not None:
                    raise ctx.error(i, non_name, "the group is empty (events + non-events = 0)", non[i],
                                    "enter the group's counts or remove the study")
        else:
            assert tot is not None  # neither non-events nor the group size was refused above
            non = tot - ev
        arms.append((ev, non, tot))
    return arms


def _double_zero(measure: str, ctx: _Ctx, labels: list[str], ai: np.ndarray, bi: np.ndarray, ci: np.ndarray,
                 di: np.ndarray, drop00: bool | None) -> tuple[np.ndarray, list[Note], list[str]]:
    """The studies kept (drop00: double-zero studies excluded), with a Note for each excluded or kept one."""
    notes: list[Note] = []
    excluded: list[str] = []
    if drop00 is None:
        drop00 = measure in ("OR", "RR", "IRR")
    keep = np.ones(len(ai), dtype=bool)
    if drop00:
        id00 = ((ai == 0) & (ci == 0)) | ((bi == 0) & (di == 0))
        for j in np.flatnonzero(id00):
            what = "no events" if ai[j] == 0 else "only events"
            notes.append(Note(NoteCode.DOUBLE_ZERO_EXCLUDED,
                              f"Study {labels[j]} excluded from the {measure}: {what} in both groups "
                              f"(double-zero study carries no information on the {measure}; drop00=True)",
                              study=labels[j]))
            excluded.append(labels[j])
        keep = ~id00
        if not keep.any():
            raise InputError(
                f"no studies left for {measure}: every study has zero events (or only events) in both groups",
                file=ctx.file, fix=DROP00_FIX,
            )
    elif measure in ("OR", "RR", "IRR"):
        for j in np.flatnonzero(((ai == 0) & (ci == 0)) | ((bi == 0) & (di == 0))):
            what = "no events" if ai[j] == 0 else "only events"
            notes.append(Note(NoteCode.DOUBLE_ZERO_KEPT,
                              f"Study {labels[j]} kept although it has {what} in both groups (drop00=False, "
                              f"metafor's default); with the zero-cell correction its {measure} is near 1 and "
                              f"pulls the estimate towards no effect", study=labels[j]))
    return keep, notes, excluded


def _binary(measure: str, cols: Mapping[str, _Col], ctx: _Ctx, add: float | None, to: str, drop00: bool | None,
            vtype: str) -> EffectTable:
    ai, ci = _need(cols, ctx, measure, "ai", "ci")
    _check_finite(ctx, "ai", ai)
    _check_finite(ctx, "ci", ci)
    (ai, bi, n1i), (ci, di, n2i) = _binary_arms(measure, cols, ctx, ai, ci)
    labels = list(ctx.labels)
    keep, notes, excluded = _double_zero(measure, ctx, labels, ai, bi, ci, di, drop00)
    ai, bi, ci, di, n1i, n2i = (x[keep] for x in (ai, bi, ci, di, n1i, n2i))
    labels = [lab for lab, kp in zip(labels, keep) if kp]
    if add is None:
        add = 0.5
    a, b, c, d = ai.copy(), bi.copy(), ci.copy(), di.copy()
    id0 = (a == 0) | (b == 0) | (c == 0) | (d == 0)
    corrected = _corrected(id0, add, to)
    a, b, c, d = (np.where(corrected, x + add, x) for x in (a, b, c, d))
    if corrected.any():
        for j in np.flatnonzero(corrected):
            why = "a zero cell" if id0[j] else f"to='{to}'"
            notes.append(Note(NoteCode.ZERO_CELL_CORRECTION,
                              f"Added {fmt_sig(add)} to each cell of study {labels[j]}'s 2x2 table ({why}; metafor add={fmt_sig(add)}, to='{to}')",
                              study=labels[j]))
    m1, m2 = a + b, c + d
    p1, p2 = a / m1, c / m2
    with np.errstate(divide="ignore", invalid="ignore"):
        if measure == "RR":
            yi = np.log(p1) - np.log(p2)
            vi = 1 / a - 1 / m1 + 1 / c - 1 / m2
        elif measure == "OR":
            yi = np.log(p1 / (1 - p1)) - np.log(p2 / (1 - p2))
            vi = 1 / a + 1 / b + 1 / c + 1 / d
        else:
            yi = p1 - p2
            if vtype == "UB":
                vi = p1 * (1 - p1) / (m1 - 1) + p2 * (1 - p2) / (m2 - 1)
            elif vtype == "AV":
                w1, w2 = _wmean(p1, m1), _wmean(p2, m2)
                vi = w1 * (1 - w1) / m1 + w2 * (1 - w2) / m2
            else:
                vi = p1 * (1 - p1) / m1 + p2 * (1 - p2) / m2
    i = _first(~(np.isfinite(yi) & np.isfinite(vi) & (vi > 0)))
    if i is not None:
        raise InputError(
            f"the {measure} cannot be computed for this study (zero cells without a continuity correction)",
            file=ctx.file, label=labels[i] if ctx.show_labels else None,
            row=(np.asarray(ctx.rows)[keep][i] if ctx.rows is not None else None),
            fix="use add=0.5 with to='only0' (the default), or remove the study",
        )
    inputs = {"ai": ai, "bi": bi, "ci": ci, "di": di, "n1i": n1i, "n2i": n2i}
    return EffectTable(measure, yi, vi, tuple(labels), n=(n1i + n2i).astype(float), ni1=n1i.astype(float),
                       ni2=n2i.astype(float), excluded=tuple(excluded), notes=tuple(notes), inputs=inputs)


# --------------------------------------------------------------------------------------------
# PR, PLO, PFT
# --------------------------------------------------------------------------------------------
def _proportion(measure: str, cols: Mapping[str, _Col], ctx: _Ctx, add: float | None, to: str,
                vtype: str) -> EffectTable:
    xi, ni = _need(cols, ctx, measure, "xi", "ni")
    _check_finite(ctx, "xi", xi)
    _check_finite(ctx, "ni", ni)
    _check_whole(ctx, "ni", ni, "participants")
    _check_min(ctx, "ni", ni, 0, True, "the sample size must be at least 1")
    _check_whole(ctx, "xi", xi, "events")
    _check_min(ctx, "xi", xi, 0, False, "event counts cannot be negative")
    i = _first(xi > ni)
    if i is not None:
        raise ctx.error(i, "xi", f"events exceed the sample size ni={int(ni[i])}", xi[i],
                        "check xi and ni; events must be between 0 and ni")
    labels = list(ctx.labels)
    if add is None:
        add = 0.0 if measure == "PFT" else 0.5
    x, m = xi.copy(), ni - xi
    id0 = (x == 0) | (m == 0)
    corrected = _corrected(id0, add, to)
    x = np.where(corrected, x + add, x)
    m = np.where(corrected, m + add, m)
    notes = [
        Note(NoteCode.ZERO_CELL_CORRECTION,
             f"Added {fmt_sig(add)} to the events and non-events of study {labels[i]} "
             f"({'0 or all events' if id0[i] else f'to={to!r}'}; metafor add={fmt_sig(add)}, to='{to}')", study=labels[i])
        for i in np.flatnonzero(corrected)
    ]
    n = x + m
    p = x / n
    with np.errstate(divide="ignore", invalid="ignore"):
        if measure == "PR":
            yi = p
            if vtype == "UB":
                vi = p * (1 - p) / (n - 1)
            elif vtype == "AV":
                w = _wmean(p, n)
                vi = w * (1 - w) / n
            else:
                vi = p * (1 - p) / n
        elif measure == "PLO":
            yi = np.log(p / (1 - p))
            if vtype == "AV":
                w = _wmean(p, n)
                vi = 1 / (w * n) + 1 / ((1 - w) * n)
            else:
                vi = 1 / x + 1 / m
        else:
            yi = 0.5 * (np.arcsin(np.sqrt(x / (n + 1))) + np.arcsin(np.sqrt((x + 1) / (n + 1))))
            vi = 1 / (4 * n + 2)
    i = _first(~(np.isfinite(yi) & np.isfinite(vi) & (vi > 0)))
    if i is not None:
        raise ctx.error(i, "xi", f"the {measure} cannot be computed for this study "
                        "(0 or all events without a continuity correction)", xi[i],
                        "use add=0.5 with to='only0', measure PFT, or remove the study")
    return EffectTable(measure, yi, vi, tuple(labels), n=ni.astype(float), excluded=(), notes=tuple(notes),
                       inputs={"xi": xi, "ni": ni})


# --------------------------------------------------------------------------------------------
# ZCOR
# --------------------------------------------------------------------------------------------
def _correlation(cols: Mapping[str, _Col], ctx: _Ctx) -> EffectTable:
    ri, ni = _need(cols, ctx, "ZCOR", "ri", "ni")
    _check_finite(ctx, "ri", ri)
    _check_finite(ctx, "ni", ni)
    i = _first(np.abs(ri) >= 1)
    if i is not None:
        raise ctx.error(i, "ri", "a correlation must be strictly between -1 and 1", ri[i],
                        "check the value (Fisher's z is infinite at |r| = 1)")
    _check_whole(ctx, "ni", ni, "participants")
    _check_min(ctx, "ni", ni, 4, False, "Fisher's z needs at least 4 participants (its variance is 1/(ni-3))")
    yi = 0.5 * np.log((1 + ri) / (1 - ri))
    vi = 1 / (ni - 3)
    return EffectTable("ZCOR", yi, vi, tuple(ctx.labels), n=ni.astype(float), inputs={"ri": ri, "ni": ni})


# --------------------------------------------------------------------------------------------
# COR (raw correlation)
# --------------------------------------------------------------------------------------------
def _raw_correlation(cols: Mapping[str, _Col], ctx: _Ctx, vtype: str) -> EffectTable:
    """metafor ``measure="COR"``: yi = ri, vi = (1 - ri^2)^2 / (ni - 1) (vtype AV: the ni-weighted mean ri)."""
    ri, ni = _need(cols, ctx, "COR", "ri", "ni")
    _check_finite(ctx, "ri", ri)
    _check_finite(ctx, "ni", ni)
    i = _first(np.abs(ri) > 1)
    if i is not None:
        raise ctx.error(i, "ri", "a correlation must be between -1 and 1", ri[i], "check the value")
    _check_whole(ctx, "ni", ni, "participants")
    _check_min(ctx, "ni", ni, 1, True, "a correlation's variance (1 - r^2)^2 / (ni - 1) needs at least 2 participants")
    yi = ri.copy()
    r = _wmean(yi, ni) if vtype == "AV" else yi
    vi = (1 - r**2) ** 2 / (ni - 1)
    i = _first(~(vi > 0))
    if i is not None:
        raise ctx.error(i, "ri", "a correlation of exactly -1 or 1 has sampling variance 0", ri[i],
                        "check the value, or use vtype='AV'")
    return EffectTable("COR", yi, np.asarray(vi, float), tuple(ctx.labels), n=ni.astype(float),
                       inputs={"ri": ri, "ni": ni})


# --------------------------------------------------------------------------------------------
# IRR (incidence rate ratio from event counts and person-time)
# --------------------------------------------------------------------------------------------
def _rates(cols: Mapping[str, _Col], ctx: _Ctx, add: float | None, to: str, drop00: bool | None) -> EffectTable:
    """metafor ``measure="IRR"``: yi = log(x1i/t1i) - log(x2i/t2i), vi = 1/x1i + 1/x2i, with ``add`` to
    both counts of a study with a zero count (``to``); double-zero studies dropped by default (drop00)."""
    x1i, t1i, x2i, t2i = _need(cols, ctx, "IRR", "x1i", "t1i", "x2i", "t2i")
    for name, x in (("x1i", x1i), ("t1i", t1i), ("x2i", x2i), ("t2i", t2i)):
        _check_finite(ctx, name, x)
    for name, x in (("x1i", x1i), ("x2i", x2i)):
        _check_whole(ctx, name, x, "events")
        _check_min(ctx, name, x, 0, False, "event counts cannot be negative")
    for name, x in (("t1i", t1i), ("t2i", t2i)):
        _check_min(ctx, name, x, 0, True, "person-time must be positive (e.g. person-years at risk)")
    labels = list(ctx.labels)
    ones = np.ones_like(x1i)
    keep, notes, excluded = _double_zero("IRR", ctx, labels, x1i, ones, x2i, ones, drop00)
    x1i, t1i, x2i, t2i = (x[keep] for x in (x1i, t1i, x2i, t2i))
    labels = [lab for lab, kp in zip(labels, keep) if kp]
    if add is None:
        add = 0.5
    id0 = (x1i == 0) | (x2i == 0)
    corrected = _corrected(id0, add, to)
    a = np.where(corrected, x1i + add, x1i)
    c = np.where(corrected, x2i + add, x2i)
    for j in np.flatnonzero(corrected):
        why = "a zero count" if id0[j] else f"to='{to}'"
        notes.append(Note(NoteCode.ZERO_CELL_CORRECTION,
                          f"Added {fmt_sig(add)} to both event counts of study {labels[j]} ({why}; metafor "
                          f"add={fmt_sig(add)}, to='{to}')", study=labels[j]))
    with np.errstate(divide="ignore", invalid="ignore"):
        yi = np.log(a / t1i) - np.log(c / t2i)
        vi = 1 / a + 1 / c
    i = _first(~(np.isfinite(yi) & np.isfinite(vi)))
    if i is not None:
        raise InputError("the IRR cannot be computed for this study (a zero count without a continuity correction)",
                         file=ctx.file, label=labels[i] if ctx.show_labels else None,
                         row=(np.asarray(ctx.rows)[keep][i] if ctx.rows is not None else None),
                         fix="use add=0.5 with to='only0' (the default), or remove the study")
    return EffectTable("IRR", yi, vi, tuple(labels), excluded=tuple(excluded), notes=tuple(notes),
                       inputs={"x1i": x1i, "t1i": t1i, "x2i": x2i, "t2i": t2i})


# --------------------------------------------------------------------------------------------
# MC, SMCC, SMCR (mean change in one group: m1i after, m2i before, ri their correlation)
# --------------------------------------------------------------------------------------------
def _change(measure: str, cols: Mapping[str, _Col], ctx: _Ctx, vtype: str) -> EffectTable:
    """metafor's single-group change measures: MC (raw mean change), SMCC (standardised by the SD of the
    change scores) and SMCR (standardised by the SD at the first time point, ``sd1i``)."""
    names = MEASURE_COLUMNS[measure]
    got = dict(zip(names, _need(cols, ctx, measure, *names)))
    for name, x in got.items():
        _check_finite(ctx, name, x)
    m1i, m2i, sd1i, ni, ri = got["m1i"], got["m2i"], got["sd1i"], got["ni"], got["ri"]
    sd2i = got.get("sd2i")
    for name in ("sd1i", "sd2i"):
        if name in got:
            _check_min(ctx, name, got[name], 0, False, "a standard deviation cannot be negative")
    i = _first(np.abs(ri) > 1)
    if i is not None:
        raise ctx.error(i, "ri", "a correlation must be between -1 and 1", ri[i],
                        "check the pre-post correlation")
    _check_whole(ctx, "ni", ni, "participants")
    _check_min(ctx, "ni", ni, 2, False, f"{measure} needs at least 2 participants")
    with np.errstate(divide="ignore", invalid="ignore"):
        if measure == "SMCR":
            cmi = cmicalc(ni - 1)
            di = (m1i - m2i) / sd1i
            yi = cmi * di
            base = 2 * (1 - ri) / ni
        else:
            assert sd2i is not None  # MC and SMCC read sd2i (MEASURE_COLUMNS)
            var_d = sd1i**2 + sd2i**2 - 2 * ri * sd1i * sd2i
            if measure == "MC":
                yi = m1i - m2i
                vi = var_d / ni
            else:
                cmi = cmicalc(ni - 1)
                di = (m1i - m2i) / np.sqrt(var_d)
                yi = cmi * di
                base = 1 / ni
        if measure != "MC":
            vi = cmi**2 * (base + di**2 / (2 * ni)) if vtype == "LS2" else base + yi**2 / (2 * ni)
    i = _first(~(np.isfinite(yi) & np.isfinite(vi) & (vi > 0)))
    if i is not None:
        raise ctx.error(i, "sd1i", f"the {measure} cannot be computed for this study (the standard deviation "
                        "of the change is 0)", got["sd1i"][i], "check the SDs and the correlation ri")
    return EffectTable(measure, np.asarray(yi, float), np.asarray(vi, float), tuple(ctx.labels),
                       n=ni.astype(float), inputs=got)


# --------------------------------------------------------------------------------------------
# GEN (and any measure given as yi with vi / sei / CI)
# --------------------------------------------------------------------------------------------
def _generic(measure: str, cols: Mapping[str, _Col], ctx: _Ctx, level: float, scale: str = "analysis") -> EffectTable:
    k = len(ctx.labels)
    nan = np.full(k, np.nan)
    yi = cols.get("yi", nan).copy()
    vi_in, sei_in = cols.get("vi", nan), cols.get("sei", nan)
    lo, hi = cols.get("ci_low", nan), cols.get("ci_high", nan)
    if "yi" not in cols and "ci_low" not in cols:
        raise InputError(f"measure {measure} given as effects needs column 'yi'", file=ctx.file, column="yi",
                         fix="add the column yi (effect on the analysis scale) with vi, sei or ci_low/ci_high")
    if not ({"vi", "sei"} & cols.keys()) and not {"ci_low", "ci_high"} <= cols.keys():
        raise InputError("effects need a variance: column 'vi', 'sei' or both 'ci_low' and 'ci_high'",
                         file=ctx.file, column="vi", fix="add the column vi, sei, or ci_low and ci_high")
    z = float(norm.ppf(0.5 + level / 2))
    for name, x in (("yi", yi), ("vi", vi_in), ("sei", sei_in), ("ci_low", lo), ("ci_high", hi)):
        i = _first(np.isinf(x))
        if i is not None:
            raise ctx.error(i, name, "must be a finite number", x[i], f"enter a finite value for {name}")
    if scale == "ratio":
        for name, x in (("yi", yi), ("ci_low", lo), ("ci_high", hi)):
            i = _first(x <= 0)
            if i is not None:
                raise ctx.error(i, name, "a ratio must be > 0", x[i],
                                "give the ratio as printed (e.g. 0.75), or use the log scale without scale='ratio'")
        with np.errstate(invalid="ignore"):
            yi, lo, hi = np.log(yi), np.log(lo), np.log(hi)
    has_vi = ~np.isnan(vi_in)
    has_se = ~has_vi & ~np.isnan(sei_in)
    both_ci = ~np.isnan(lo) & ~np.isnan(hi)
    has_ci = ~has_vi & ~has_se & both_ci
    i = _first(has_vi & (vi_in <= 0))
    if i is not None:
        raise ctx.error(i, "vi", "a sampling variance must be > 0", vi_in[i],
                        "check the value (vi is the squared standard error)")
    i = _first(has_se & (sei_in <= 0))
    if i is not None:
        raise ctx.error(i, "sei", "a standard error must be > 0", sei_in[i], "check the value")
    i = _first(both_ci & (lo >= hi))
    if i is not None:
        raise ctx.error(i, "ci_low", f"the lower CI bound must be below the upper bound ci_high={fmt_sig(hi[i])}",
                        lo[i], "swap or correct the bounds")
    i = _first(~(has_vi | has_se | has_ci))
    if i is not None:
        raise ctx.error(i, "vi", "has no variance: vi, sei and ci_low/ci_high are all missing", "",
                        "enter vi, sei, or both CI bounds", has_value=False)
    vi = np.where(has_vi, vi_in, np.where(has_se, sei_in**2, ((hi - lo) / (2 * z)) ** 2))
    mid = has_ci & np.isnan(yi)
    yi = np.where(mid, (lo + hi) / 2, yi)
    i = _first(np.isnan(yi))
    if i is not None:
        raise ctx.error(i, "yi", "is missing", "", "enter the effect size yi or remove the study", has_value=True)
    notes: list[Note] = []
    base = f"vi from the {fmt_sig(level * 100)}% CI: ((ci_high - ci_low) / (2 x {fmt_fixed(z, 6)}))^2"
    for j in np.flatnonzero(has_ci):
        notes.append(Note(NoteCode.SE_FROM_CI, base + ("; yi = CI midpoint" if mid[j] else ""), study=ctx.labels[j]))
    n = cols.get("ni")
    if n is not None:
        i = _first(np.isfinite(n) & (n <= 0))
        if i is not None:
            raise ctx.error(i, "ni", "a sample size must be > 0", n[i], "enter the study's total sample size")
    inputs = {kk: cols[kk] for kk in ("yi", "vi", "sei", "ci_low", "ci_high", "ni") if kk in cols}
    if scale == "ratio":
        notes.insert(0, Note(NoteCode.RATIO_SCALE, "yi and CI bounds were given as ratios and analysed on the log scale"))
    return EffectTable(measure, yi, vi, tuple(ctx.labels), n=None if n is None else n.astype(float),
                       notes=tuple(notes), inputs=inputs)
