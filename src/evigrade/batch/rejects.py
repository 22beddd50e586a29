"""Keep going past bad analyses (``evigrade batch --on-error skip``).

``screen(table)`` finds the rows that ``batch.prepare`` would refuse, drops every analysis that
has one (an analysis is fitted from all its rows or not at all) and returns the clean table with
one ``Reject`` per bad row: analysis id, spreadsheet row, column, value and the reason (the
one-line error the strict mode would have stopped at).  ``write_rejects`` writes them as
``<output>.rejects.csv`` (columns ``REJECT_COLUMNS``).  Problems of the whole file (a missing
column, a file that is not a table) are not row problems: they still stop the run.

The common problems of given effects (a missing or non-numeric ``yi``/``vi``/``sei``, a
non-positive variance, ``vi`` and ``sei`` that disagree, a missing analysis id) are found in one
vectorised pass; anything else ``prepare`` refuses (e.g. escalc's checks of arm-level columns) is
found by running ``prepare`` and dropping the analysis of each refused row in turn.
"""
from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError

__all__ = ["Reject", "REJECT_COLUMNS", "screen", "write_rejects", "rejects_path"]

REJECT_COLUMNS = ("analysis_id", "row", "column", "value", "reason")


@dataclass(frozen=True, slots=True)
class Reject:
    """One refused row; its whole analysis was left out of the fit."""

    analysis_id: str
    row: int | None
    column: str | None
    value: str
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"analysis_id": self.analysis_id, "row": self.row, "column": self.column, "value": self.value,
                "reason": self.reason}


def rejects_path(output: str | os.PathLike[str]) -> str:
    """``<output>.rejects.csv`` beside the output."""
    return os.fspath(output) + ".rejects.csv"


def _rows(df: pd.DataFrame) -> np.ndarray:
    from .core import _ROWS_ATTR

    rows = df.attrs.get(_ROWS_ATTR)
    if rows is None or len(rows) != len(df):
        return np.arange(2, len(df) + 2, dtype=np.int64)
    return np.asarray(rows, dtype=np.int64)


def _text(v: Any) -> str:
    if v is None:
        return ""
    try:
        if pd.isna(v):
            return ""
    except (TypeError, ValueError):
        pass
    return str(v)


def _prescreen(df: pd.DataFrame, id_col: str, rows: np.ndarray) -> list[tuple[int, str, str, str]]:
    """(position, column, value, reason) of rows with an obvious problem of given effects."""
    found: dict[int, tuple[int, str, str, str]] = {}
    ids = df[id_col]
    missing_id = ids.isna().to_numpy() | ids.astype(str).str.strip().eq("").to_numpy()
    for i in np.flatnonzero(missing_id):
        found[int(i)] = (int(i), id_col, "", "analysis id is missing; fix: give every row the id of its analysis")
    num: dict[str, np.ndarray] = {}
    for col in ("yi", "vi", "sei"):
        if col not in df.columns:
            continue
        s = df[col]
        arr = pd.to_numeric(s, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        num[col] = arr
        for i in np.flatnonzero(~np.isfinite(arr)):
            if int(i) in found:
                continue
            raw = s.iloc[int(i)]
            # the reasons (and fixes) of the strict mode (batch.core), so a reject reads as its error would
            if pd.isna(raw) or _text(raw).strip() == "":
                why = f"is missing; fix: enter a value for {col} or remove the row"
            elif np.isnan(arr[i]):
                why = f"must be a number; fix: enter {col} as a number (decimal point '.')"
            else:
                why = f"must be a finite number; fix: enter a finite value for {col}"
            found[int(i)] = (int(i), col, _text(raw), why)
        if col in ("vi", "sei"):
            with np.errstate(invalid="ignore"):
                bad = np.isfinite(arr) & (arr <= 0)
            for i in np.flatnonzero(bad):
                if int(i) not in found:
                    what = "standard errors" if col == "sei" else "sampling variances"
                    found[int(i)] = (int(i), col, _text(s.iloc[int(i)]),
                                     f"must be > 0; fix: {what} must be positive; check the value or drop the row")
    if "vi" in num and "sei" in num:
        from ..effects.io import VI_SEI_RTOL

        vi, se = num["vi"], num["sei"]
        with np.errstate(invalid="ignore"):
            ok = np.abs(np.sqrt(np.where(vi > 0, vi, np.nan)) - se) <= VI_SEI_RTOL * se
            bad = (vi > 0) & (se > 0) & ~ok
        for i in np.flatnonzero(bad):
            if int(i) not in found:
                found[int(i)] = (int(i), "sei", _text(df["sei"].iloc[int(i)]),
                                 f"columns vi and sei disagree (vi = {_text(df['vi'].iloc[int(i)])}); fix: give "
                                 "only one of vi and sei, or correct the value (vi must equal sei squared)")
    return [found[i] for i in sorted(found)]


def screen(
    table: pd.DataFrame,
    *,
    measure: str | None = None,
    id_col: str = "analysis_id",
    file: str | None = None,
    escalc_options: dict[str, Any] | None = None,
) -> tuple[pd.DataFrame, tuple[Reject, ...]]:
    """The table without the analyses that have a bad row, and one Reject per bad row found."""
    from .core import _NOTES_ATTR, _ROWS_ATTR, prepare, shared_rows

    if id_col not in table.columns:
        prepare(table, measure=measure, id_col=id_col, file=file, escalc_options=escalc_options)  # raises
    df = table.reset_index(drop=True)
    notes = table.attrs.get(_NOTES_ATTR, ())
    rows = _rows(table)
    rejects: list[Reject] = []
    ids = df[id_col]
    codes, _ = pd.factorize(ids, sort=False)  # -1 for a missing id
    blank = codes < 0
    if not blank.all() and not (pd.api.types.is_numeric_dtype(ids) or pd.api.types.is_bool_dtype(ids)):
        blank |= ids.astype(str).str.strip().eq("").to_numpy() & ids.notna().to_numpy()
    bad_codes: set[int] = set()
    drop = np.zeros(len(df), dtype=bool)

    def reject(pos: int, column: str | None, value: str, reason: str) -> None:
        rejects.append(Reject(_text(ids.iloc[pos]), int(rows[pos]), column, value, reason))
        if blank[pos]:
            drop[pos] = True  # a row without an analysis: only that row
        else:
            bad_codes.add(int(codes[pos]))

    def update() -> None:
        if bad_codes:
            drop[np.isin(codes, np.fromiter(bad_codes, dtype=codes.dtype))] = True

    if measure is None or (measure == "GEN" and "yi" in df.columns):
        for pos, col, val, why in _prescreen(df, id_col, rows):
            reject(pos, col, val, why)
        update()
    while True:
        keep = ~drop
        if not keep.any():
            break
        cur = df.loc[keep].reset_index(drop=True)
        cur.attrs[_ROWS_ATTR] = shared_rows(rows[keep])
        cur.attrs[_NOTES_ATTR] = notes
        try:
            prepare(cur, measure=measure, id_col=id_col, file=file, escalc_options=escalc_options)
        except InputError as exc:
            if exc.row is None:
                raise  # a problem of the whole table, not of one analysis
            hit = np.flatnonzero((rows == exc.row) & keep)
            if len(hit) == 0:
                raise
            pos = int(hit[0])
            reason = exc.problem + (f"; fix: {exc.fix}" if exc.fix else "")
            reject(pos, exc.column, _text(exc.value) if exc.has_value else "", reason)
            update()
            continue
        break
    keep = ~drop
    out = df.loc[keep].reset_index(drop=True)
    out.attrs[_ROWS_ATTR] = shared_rows(rows[keep])
    out.attrs[_NOTES_ATTR] = notes
    return out, tuple(rejects)


def write_rejects(rejects: tuple[Reject, ...] | list[Reject], path: str | os.PathLike[str]) -> None:
    """Write the rejects as CSV (header ``REJECT_COLUMNS``; written even when there are none, so an
    old rejects file never outlives the run that replaced its output)."""
    from .._io import write_text_atomic

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(REJECT_COLUMNS)
    for r in rejects:
        w.writerow([r.analysis_id, "" if r.row is None else r.row, r.column or "", r.value, r.reason])
    write_text_atomic(path, buf.getvalue())
