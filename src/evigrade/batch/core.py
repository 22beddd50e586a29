"""``evigrade.batch.run``: read a long table of many analyses, fit them all, one row per analysis."""
from __future__ import annotations

import io
import os
import pathlib
from dataclasses import dataclass, field
from typing import Any, Callable, Literal, NoReturn, Sequence

import numpy as np
import pandas as pd

from ..errors import InputError, SpecError
from ..notes import NoteCode
from ..results import Note, attrs_dict, jsonable
from ._spec import NOTE_MESSAGES, NUMBER_COLUMNS, OUTPUT_COLUMNS, header_names
from ._spec import check_control as _control
from ._spec import check_spec as _check_spec
from .engine import FitArrays, Segments, fit_segments

__all__ = [
    "BatchResult",
    "run",
    "fit_arrays",
    "read_table",
    "write_table",
    "prepare",
    "Prepared",
    "NOTE_MESSAGES",
    "OUTPUT_COLUMNS",
]

Method = Literal["FE", "CE", "EE", "common", "fixed", "DL", "PM", "ML", "REML", "EB"]
Test = Literal["z", "knha", "hksj", "wald"]

#: pandas 3 always copies on write, so a frame built without copying cannot alias-modify its sources.
_COPY_ON_WRITE = int(pd.__version__.split(".")[0]) >= 3


@dataclass(frozen=True, slots=True)
class BatchResult:
    """Many fitted analyses: ``table`` has one row per analysis (columns ``OUTPUT_COLUMNS``).

    ``i2`` is a fraction (0..1) like ``MetaResult.i2``; ``stat`` is z (test="z") or t
    (test="knha"); ``notes`` holds per-analysis note codes (see ``NOTE_MESSAGES``); ``run_notes``
    are notes about the input as a whole (e.g. rows excluded by escalc).
    """

    table: pd.DataFrame = field(repr=False)
    method: str
    test: str
    level: float
    tau2_ci: bool
    pi: bool
    n_rows: int
    run_notes: tuple[Note, ...] = ()

    def __len__(self) -> int:
        return len(self.table)

    @property
    def n_analyses(self) -> int:
        return len(self.table)

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def to_dict(self) -> dict[str, Any]:
        return {
            **attrs_dict(self, "method", "test", "level", "tau2_ci", "pi", "n_rows", "n_analyses"),
            "run_notes": [n.to_dict() for n in self.run_notes],
            "note_codes": dict(NOTE_MESSAGES),
            "analyses": jsonable(self.table.to_dict(orient="records")),
        }

    def summary_counts(self) -> dict[str, int]:
        """How many analyses carry each note code."""
        counts: dict[str, int] = {}
        for cell in self.table["notes"]:
            if cell:
                for code in cell.split("; "):
                    counts[code] = counts.get(code, 0) + 1
        return counts


@dataclass(frozen=True, slots=True)
class Prepared:
    """A validated long table, sorted so that each analysis is one contiguous segment."""

    ids: pd.Index  # analysis ids (the input's dtype), in order of first appearance
    k: np.ndarray
    yi: np.ndarray
    vi: np.ndarray
    n_rows: int
    notes: tuple[Note, ...] = ()

    def __len__(self) -> int:
        return len(self.ids)

    def block(self, start: int, stop: int) -> "Prepared":
        """Analyses ``start:stop`` (used to chunk work for progress and Dask partitions)."""
        offs = np.concatenate(([0], np.cumsum(self.k)))
        a, b = int(offs[start]), int(offs[stop])
        return Prepared(self.ids[start:stop], self.k[start:stop], self.yi[a:b], self.vi[a:b], b - a)


# ----------------------------------------------------------------------------------------------
# reading and validating


#: DataFrame.attrs keys set by ``read_table`` for CSV input: spreadsheet row numbers of the data rows
#: (header = row 1; only when they differ from position + 2) and notes about how the file was read.
_ROWS_ATTR = "evigrade_rows"
_NOTES_ATTR = "evigrade_notes"


class _SharedRows(np.ndarray):
    """The row numbers in ``DataFrame.attrs``, read-only and shared rather than copied: pandas deep-copies
    ``attrs`` after every operation on a frame (``__finalize__``), which copied a chunk's row numbers
    (8 MB per million rows) about 30 times per chunk in ``prepare`` (~0.5 s for 100,000 analyses)."""

    def __deepcopy__(self, memo: Any) -> "_SharedRows":
        return self


def shared_rows(rows: np.ndarray) -> np.ndarray:
    """``rows`` (int64) as a read-only array that pandas' copies of ``attrs`` share."""
    out = np.asarray(rows, dtype=np.int64).view(_SharedRows)
    out.flags.writeable = False
    return out


def read_table(path: str | os.PathLike) -> pd.DataFrame:
    """Read a CSV or Parquet long table (by extension: .parquet/.pq, else CSV).

    CSV text goes through the shared checks of ``evigrade._csvtext`` (UTF-8 with or without a
    byte-order mark; Latin-1 / UTF-16 / binary files refused with the row of the first bad byte;
    comma, semicolon or tab delimiter detected from the header row) and is then parsed by pandas'
    C parser, so large files stay fast.  Rows are numbered as a spreadsheet counts them (header =
    row 1); wholly empty rows are skipped with a note.
    """
    p = pathlib.Path(path)
    if p.suffix.lower() in (".parquet", ".pq"):
        if not p.exists():
            raise InputError("file not found", file=str(p), fix="check the path and the file name")
        if p.is_dir():
            raise InputError("is a folder, not a table", file=str(p), fix="give a .csv or .parquet file")
        from .._io import check_input_size

        check_input_size(p)
        try:
            return pd.read_parquet(p)
        except (ValueError, OSError) as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise InputError(f"cannot be read as a Parquet table ({first})", file=str(p),
                             fix="write the file with pandas/pyarrow, or save it as a UTF-8 CSV") from None
    return _read_csv(p)


def _read_csv(p: pathlib.Path) -> pd.DataFrame:
    from .._csvtext import _DELIMITER_NAMES, _delimiter, read_csv_text

    name, text = read_csv_text(p, name=str(p),
                               empty_fix="add a header row (analysis_id, yi, vi or arm-level columns) and one row "
                                         "per study")
    delim = _delimiter(text)
    n_lines = text.count("\n") + (0 if text.endswith("\n") else 1)
    na_values = _na_values(text, delim, name)
    del text  # the bytes are known to be UTF-8 now; pandas' C parser reads the file itself (fast path)
    try:
        df = pd.read_csv(p, sep=delim, encoding="utf-8-sig", dtype={"analysis_id": str, "study": str},
                         keep_default_na=False, na_values=na_values, skip_blank_lines=True)
    except pd.errors.EmptyDataError:
        raise InputError("file is empty", file=name, fix="add a header row and one row per study") from None
    except (ValueError, pd.errors.ParserError) as exc:
        _refuse_malformed(p, name, delim, exc)
    if not isinstance(df.index, pd.RangeIndex):
        # every row has one cell more than the header: pandas would silently take the first column as
        # the index and shift every value one column to the left (robust, issue 19)
        _refuse_malformed(p, name, delim, None)
    notes: list[Note] = []
    if delim != ",":
        notes.append(Note(NoteCode.CSV_DELIMITER, f"{name} was read as {_DELIMITER_NAMES[delim]}-delimited text."))
    rows = None
    if n_lines != len(df) + 1:  # blank lines or cells spanning lines: count rows as a spreadsheet does
        rows = _row_numbers(read_csv_text(p, name=name)[1], delim)
        if len(rows) != len(df):  # cannot happen for well-formed text; fall back to positions
            rows = None
    empty = df.isna().all(axis=1).to_numpy() if len(df.columns) > 0 else np.zeros(len(df), bool)
    if empty.any():
        if rows is None:
            rows = np.arange(2, len(df) + 2, dtype=np.int64)
        skipped = rows[empty]
        shown = ", ".join(map(str, skipped[:10])) + (f" and {len(skipped) - 10} more" if len(skipped) > 10 else "")
        notes.append(Note(NoteCode.BLANK_ROWS_SKIPPED,
                          f"{name}: blank row{'s' if len(skipped) > 1 else ''} {shown} skipped (no data)."))
        df = df.loc[~empty].reset_index(drop=True)
        rows = rows[~empty]
    if rows is not None:
        df.attrs[_ROWS_ATTR] = shared_rows(rows)
    df.attrs[_NOTES_ATTR] = tuple(notes)
    return df


def _refuse_malformed(p: pathlib.Path, name: str, delim: str, exc: Exception | None) -> NoReturn:
    """Find the row with the exact reader (quoting errors are raised there with their row)."""
    from .._csvtext import _DELIMITER_NAMES, read_csv_rows

    parsed = read_csv_rows(p, name=name)
    width = len(parsed.header)
    for r, cells in parsed.rows:
        if len(cells) > width:
            raise InputError(f"has {len(cells)} cells but the header has {width} columns", file=name, row=r,
                             fix="remove the extra cells or add a column name (quote text that contains "
                                 f"a {_DELIMITER_NAMES.get(delim, repr(delim))})") from None
    first = str(exc).strip().splitlines()[0] if exc is not None and str(exc).strip() else type(exc).__name__
    raise InputError(f"cannot be read as a table ({first})", file=name,
                     fix="save it as a UTF-8 CSV with a header row, or as Parquet") from None


def _na_values(text: str, delim: str, name: str) -> dict[str, list[str]]:
    """pandas' missing-value spellings (NA, N/A, null, nan, ...) for the number columns only: ids,
    study labels and other text keep ``NA``, ``null`` or ``None`` as written (an analysis may be
    called NA).  A column name that appears twice is refused, naming both columns."""
    from pandas._libs.parsers import STR_NA_VALUES

    names = header_names(text, delim, name)
    na = sorted(STR_NA_VALUES)
    return {h: (na if h.lower() in NUMBER_COLUMNS else [""]) for h in names}


def _row_numbers(text: str, delim: str) -> np.ndarray:
    """Spreadsheet row numbers of the records pandas keeps (it skips empty / whitespace-only lines)."""
    import csv

    out = []
    rownum = 0
    seen_header = False
    for cells in csv.reader(io.StringIO(text, newline=""), delimiter=delim):
        rownum += 1
        if not cells or (len(cells) == 1 and not cells[0].strip()):
            continue
        if not seen_header:
            seen_header, rownum = True, 1
            continue
        out.append(rownum)
    return np.asarray(out, dtype=np.int64)


def _row_of(df: pd.DataFrame) -> Callable[[int], int]:
    """Map a 0-based data position to its spreadsheet row (header = row 1)."""
    rows = df.attrs.get(_ROWS_ATTR)
    if rows is None or len(rows) != len(df):
        return lambda i: int(i) + 2
    return lambda i: int(rows[i])


def _numeric(df: pd.DataFrame, col: str, file: str | None, ids: pd.Series) -> np.ndarray:
    s = df[col]
    if s.dtype == np.float64:
        # fast path (the usual input): already float64; one vectorised check that all are finite
        arr = s.to_numpy()
        if np.isfinite(arr).all():
            return arr
    row = _row_of(df)
    if pd.api.types.is_bool_dtype(s):
        bad = 0
        raise InputError("must be a number", file=file, row=row(bad), column=col, value=s.iloc[bad],
                         fix=f"enter {col} as a number")
    num = pd.to_numeric(s, errors="coerce")
    if num.dtype == np.float64:
        arr = num.to_numpy()  # (no copy; missing values are NaN already)
    else:
        arr = num.to_numpy(dtype=float, na_value=np.nan)
    nonfinite = ~np.isfinite(arr)
    if nonfinite.any():
        i = int(np.flatnonzero(nonfinite)[0])
        raw = s.iloc[i]
        label = f"analysis {ids.iloc[i]}" if ids is not None else None
        if pd.isna(raw):
            raise InputError("is missing", file=file, row=row(i), label=label, column=col, value="",
                             has_value=True, fix=f"enter a value for {col} or remove the row")
        if np.isnan(arr[i]):
            raise InputError("must be a number", file=file, row=row(i), label=label, column=col, value=raw,
                             fix=f"enter {col} as a number (decimal point '.')")
        raise InputError("must be a finite number", file=file, row=row(i), label=label, column=col,
                         value=raw, fix=f"enter a finite value for {col}")
    return arr


def _run_starts(ids: pd.Series) -> np.ndarray:
    """True where a row's id differs from the previous row's (and at row 0); ids have no missing values."""
    first = np.empty(len(ids), dtype=bool)
    first[0] = True
    if len(ids) > 1 and isinstance(ids.array, pd.arrays.ArrowStringArray):
        # pyarrow strings: compare the shifted arrays with pyarrow directly (pandas' ne/shift on
        # them costs ~3x more)
        import pyarrow as pa
        import pyarrow.compute as pc

        a = pa.array(ids.array)
        ne = pc.not_equal(a.slice(1), a.slice(0, len(a) - 1))
        if ne.null_count == 0:
            first[1:] = ne.to_numpy(zero_copy_only=False)
            return first
    first[:] = ids.ne(ids.shift()).to_numpy(dtype=bool, na_value=True)
    first[0] = True
    return first


def _check_ids(df: pd.DataFrame, id_col: str, file: str | None, row: Callable[[int], int]) -> tuple[np.ndarray | None, pd.Series | None]:
    """Refuse a missing or empty analysis id; return the run starts and their ids when found on the way."""
    n = len(df)
    ids = df[id_col]
    missing = ids.isna().to_numpy()
    id_starts = id_runs = None  # where a run of equal ids starts (computed here when it saves a pass)
    if not (pd.api.types.is_numeric_dtype(ids) or pd.api.types.is_bool_dtype(ids)):
        if missing.any():
            missing = missing | np.asarray(ids.eq("").to_numpy(dtype=bool, na_value=False))  # an empty cell read as ""
        else:
            # the first row with an empty id ("") starts a run of equal ids: checking the run starts
            # finds it (and the run starts are needed for the grouping below anyway)
            id_starts = np.flatnonzero(_run_starts(ids.reset_index(drop=True)))
            sidx = id_starts
            id_runs = ids.iloc[sidx]
            empty = np.asarray(id_runs.eq("").to_numpy(dtype=bool, na_value=False))
            if empty.any():
                missing = np.zeros(n, dtype=bool)
                missing[sidx[empty]] = True
    if missing.any():
        i = int(np.flatnonzero(missing)[0])
        raise InputError("analysis id is missing", file=file, row=row(i), column=id_col, value="",
                         has_value=True, fix="give every row the id of its analysis")
    return id_starts, id_runs


def _given_effects(df: pd.DataFrame, ids: pd.Series, file: str | None, row: Callable[[int], int]) -> tuple[np.ndarray, np.ndarray]:
    """yi and vi (or sei, squared) as given per row; a non-positive variance is refused."""
    yi = _numeric(df, "yi", file, ids)
    if "vi" in df.columns and "sei" in df.columns:  # both: they must agree (else an error naming both)
        from ..effects.io import vi_sei_check

        vi = _numeric(df, "vi", file, ids)
        i_bad, _ = vi_sei_check(vi, _numeric(df, "sei", file, ids))
        if i_bad is not None:
            raise InputError(f"columns vi and sei disagree: vi = {df['vi'].iloc[i_bad]} means sei = "
                             f"{float(np.sqrt(vi[i_bad])):.6g}", file=file, row=row(i_bad),
                             label=f"analysis {ids.iloc[i_bad]}", column="sei", value=df["sei"].iloc[i_bad],
                             fix="give only one of vi and sei, or correct the value (vi must equal sei squared)")
        vcol = "vi"
    elif "vi" in df.columns:
        vi = _numeric(df, "vi", file, ids)
        vcol = "vi"
    elif "sei" in df.columns:
        vi = _numeric(df, "sei", file, ids)
        vi = np.where(vi > 0, vi * vi, vi)  # a non-positive SE is reported below as it was given
        vcol = "sei"
    else:
        raise InputError("column 'vi' is missing", file=file, column="vi",
                         fix="give the sampling variance vi (or the standard error sei) per row")
    bad = vi <= 0
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError("must be > 0", file=file, row=row(i), label=f"analysis {ids.iloc[i]}",
                         column=vcol, value=df[vcol].iloc[i],
                         fix=("standard errors" if vcol == "sei" else "sampling variances")
                         + " must be positive; check the value or drop the row")
    return yi, vi


def _escalc_effects(
    df: pd.DataFrame, ids: pd.Series, measure: str, file: str | None, row: Callable[[int], int],
    escalc_options: dict[str, Any] | None, notes: list[Note],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """yi and vi computed from arm-level columns with escalc, and the rows kept (escalc's notes go to ``notes``)."""
    from ..effects import compute

    n = len(df)
    opts = dict(escalc_options or {})
    if "study" in df.columns:
        labels = [f"analysis {a}, study {s}" for a, s in zip(ids.astype(str), df["study"].astype(str))]
    else:
        labels = [f"analysis {a} #{row(r)}" for r, a in enumerate(ids.astype(str))]
    try:
        eff = compute(measure, df, study=labels, file=file, rows=[row(i) for i in range(n)], **opts)
    except TypeError as exc:
        raise SpecError(f"escalc option not understood: {exc}") from None
    pos = {lab: i for i, lab in enumerate(labels)}
    row_index = np.fromiter((pos[s] for s in eff.study), dtype=np.int64, count=len(eff.study))
    yi = np.asarray(eff.yi, dtype=float)
    vi = np.asarray(eff.vi, dtype=float)
    notes.extend(eff.notes)
    bad = ~np.isfinite(vi) | (vi <= 0) | ~np.isfinite(yi)
    if bad.any():
        j = int(np.flatnonzero(bad)[0])
        i = int(row_index[j])
        raise InputError("effect size has a non-positive or undefined sampling variance",
                         file=file, row=row(i), label=labels[i], column="vi", value=float(vi[j]),
                         fix="check the arm-level numbers of this row")
    return yi, vi, row_index


def prepare(
    table: pd.DataFrame | str | os.PathLike,
    *,
    measure: str | None = None,
    id_col: str = "analysis_id",
    file: str | None = None,
    escalc_options: dict[str, Any] | None = None,
) -> Prepared:
    """Validate a long table and group its rows by analysis (in order of first appearance).

    Either ``yi`` with ``vi`` (or ``sei``) per row, or arm-level columns with metafor names plus
    ``measure`` (computed with ``evigrade.effects`` escalc).  ``file`` names the source in errors.
    """
    if isinstance(table, (str, os.PathLike)):
        file = file or str(table)
        table = read_table(table)
    if not isinstance(table, pd.DataFrame):
        raise SpecError(f"table must be a pandas DataFrame or a path, got {type(table).__name__}")
    df = table
    n = len(df)
    row = _row_of(df)
    if id_col not in df.columns:
        raise InputError(f"column {id_col!r} is missing", file=file, column=id_col,
                         fix=f"add a column {id_col} naming the analysis each row belongs to "
                             f"(columns found: {', '.join(map(str, df.columns[:12]))})")
    if n == 0:
        raise InputError("no data rows", file=file, fix="add at least one row")
    ids = df[id_col]
    id_starts, id_runs = _check_ids(df, id_col, file, row)
    notes: list[Note] = list(df.attrs.get(_NOTES_ATTR, ()))
    row_index = None  # rows kept, when escalc excludes some (None: all, in order)
    if measure is None and "yi" not in df.columns:
        arm_cols = [c for c in ("m1i", "ai", "xi", "ri") if c in df.columns]
        hint = f"; or give --measure for the arm-level columns ({', '.join(arm_cols)})" if arm_cols else ""
        raise InputError("column 'yi' is missing", file=file, column="yi",
                         fix="give yi with vi (or sei) per row" + hint)
    if measure is None or (("yi" in df.columns) and measure in (None, "GEN")):
        yi, vi = _given_effects(df, ids, file, row)
        if "vi" in df.columns and "sei" in df.columns:
            notes.append(Note(NoteCode.COLUMNS_NOT_USED, f"{file or 'the table'}: both vi and sei were given; they "
                                                         "agree on every row (within 1% on the standard-error "
                                                         "scale) and vi was used."))
    else:
        yi, vi, row_index = _escalc_effects(df, ids, measure, file, row, escalc_options, notes)
    if row_index is not None and len(row_index) == n:
        row_index = None
    kept = ids.iloc[row_index].reset_index(drop=True) if row_index is not None else ids.reset_index(drop=True)
    # fast path: rows already grouped by analysis (the usual layout) -> segment starts directly
    if row_index is None and id_starts is not None and id_runs is not None:  # (found above)
        starts, uniq = id_starts, id_runs
    else:
        starts = np.flatnonzero(_run_starts(kept))
        uniq = kept.iloc[starts]
    if uniq.is_unique:
        k = np.diff(np.append(starts, len(kept))).astype(np.int64)
        order: slice | np.ndarray = slice(None)
        uniq = pd.Index(uniq, name=None)
    else:  # interleaved rows: group them, keeping the order of first appearance
        codes, uniq = pd.factorize(kept, sort=False)
        k = np.bincount(codes, minlength=len(uniq)).astype(np.int64)
        order = np.argsort(codes, kind="stable")
    if row_index is not None:
        # analyses whose rows were all excluded by escalc disappear: say so
        present = set(uniq)
        lost = [a for a in pd.unique(ids) if a not in present]
        for a in lost:
            notes.append(Note(NoteCode.ANALYSIS_EMPTY, f"analysis {a}: every row was excluded by escalc", None))
    return Prepared(pd.Index(uniq, name=None), k, yi[order], vi[order], n, tuple(notes))


# ----------------------------------------------------------------------------------------------
# fitting


def _fit_prepared(prep: Prepared, method: str, test: str, level: float, tau2_ci: bool, pi: bool,
                  threshold: float, maxiter: int) -> pd.DataFrame:
    return _frame(prep.ids, method, test, _fit_block(prep, method, test, level, tau2_ci, pi, threshold, maxiter))


def _fit_block(prep: Prepared, method: str, test: str, level: float, tau2_ci: bool, pi: bool,
               threshold: float, maxiter: int) -> FitArrays:
    seg = Segments.from_sizes(prep.yi, prep.vi, prep.k)
    return fit_segments(seg, method=method, test=test, level=level, tau2_ci=tau2_ci, pi=pi,
                        threshold=threshold, maxiter=maxiter)


def _frame(ids: pd.Index, method: str, test: str, out: FitArrays) -> pd.DataFrame:
    """The output table (``analysis_id`` then ``OUTPUT_COLUMNS``) around the result arrays."""
    cols = out.columns
    n = len(ids)

    def text(values: np.ndarray) -> pd.Series:
        # explicit object dtype: pandas would otherwise convert every string (slow for 100k rows)
        return pd.Series(values, dtype=object, copy=False)

    def same(value: str) -> pd.Series:
        arr = np.empty(n, dtype=object)
        arr.fill(value)  # (np.full would make a new str object per entry: 20x slower)
        return text(arr)

    data: dict[str, Any] = {"analysis_id": ids}
    for name in OUTPUT_COLUMNS:
        if name == "method":
            data[name] = same(method)
        elif name == "test":
            data[name] = same(test)
        elif name in ("notes", "method_used"):
            data[name] = text(out.notes if name == "notes" else cols[name])
        else:
            data[name] = cols[name]
    # pandas >= 3 (copy-on-write): the frame can take the result arrays without copying them into
    # one consolidated block (~10% of the batch time saved here); older pandas copies, as before
    return pd.DataFrame(data, copy=False) if _COPY_ON_WRITE else pd.DataFrame(data)


def run(
    table: pd.DataFrame | str | os.PathLike,
    method: Method = "REML",
    test: Test = "knha",
    level: float = 95,
    tau2_ci: bool = False,
    pi: bool = True,
    *,
    measure: str | None = None,
    id_col: str = "analysis_id",
    control: dict[str, Any] | None = None,
    chunk_size: int = 50_000,
    progress: Callable[[int, int], None] | None = None,
    escalc_options: dict[str, Any] | None = None,
) -> BatchResult:
    """Fit many independent meta-analyses at once (vectorised across analyses).

    ``table``: a DataFrame or a CSV/Parquet path with ``analysis_id`` and ``yi`` + ``vi`` (or
    ``sei``) per study row, or arm-level metafor columns with ``measure``.  ``method`` in FE, DL, PM,
    ML, REML, EB; ``test`` "z" (Wald) or "knha" (Hartung-Knapp-Sidik-Jonkman, alias "hksj");
    ``tau2_ci`` adds Q-profile CIs for tau2, I2 and H2; ``pi`` the prediction interval.
    ``control``: ``threshold`` (Fisher scoring stopping rule, default 1e-12) and ``maxiter`` (1000),
    the defaults of ``evigrade.stats.meta_analysis``, with its meaning: the most ML/REML/EB updates
    and PM root-finding iterations before the fallback chain (PM, then DL) is used.
    ``progress(done, total)`` is called after each chunk of ``chunk_size`` analyses.
    """
    method, test, lev = _check_spec(method, test, level, tau2_ci, pi)
    threshold, maxiter = _control(control)
    if not isinstance(chunk_size, (int, np.integer)) or chunk_size < 1:
        raise SpecError(f"chunk_size={chunk_size!r} must be a whole number >= 1")
    prep = prepare(table, measure=measure, id_col=id_col, escalc_options=escalc_options)
    return run_prepared(prep, method, test, lev, tau2_ci, pi, threshold=threshold, maxiter=maxiter,
                        chunk_size=chunk_size, progress=progress)


def run_prepared(prep: Prepared, method: str, test: str, level: float, tau2_ci: bool, pi: bool, *,
                 threshold: float = 1e-12, maxiter: int = 1000, chunk_size: int = 50_000,
                 progress: Callable[[int, int], None] | None = None) -> BatchResult:
    """Fit an already validated table (``level`` as a fraction)."""
    total = len(prep)
    parts = []
    for start in range(0, total, chunk_size):
        stop = min(total, start + chunk_size)
        part = prep if (start == 0 and stop == total) else prep.block(start, stop)
        parts.append(_fit_block(part, method, test, level, tau2_ci, pi, threshold, maxiter))
        if progress is not None:
            progress(stop, total)
    # one table around the joined arrays (cheaper than a table per chunk and pd.concat)
    table = _frame(prep.ids, method, test, FitArrays.concat(parts))
    return BatchResult(table, method, test, level, tau2_ci, pi, prep.n_rows, prep.notes)


def fit_arrays(
    analysis_id: Sequence[Any] | np.ndarray,
    yi: Sequence[float] | np.ndarray,
    vi: Sequence[float] | np.ndarray,
    method: Method = "REML",
    test: Test = "knha",
    level: float = 95,
    tau2_ci: bool = False,
    pi: bool = True,
    *,
    control: dict[str, Any] | None = None,
) -> BatchResult:
    """``run`` for three parallel arrays (one entry per study row)."""
    df = pd.DataFrame({"analysis_id": analysis_id, "yi": yi, "vi": vi})
    return run(df, method, test, level, tau2_ci, pi, control=control)


# ----------------------------------------------------------------------------------------------
# writing


def write_table(frame: pd.DataFrame, path: str | os.PathLike) -> pathlib.Path:
    """Write CSV or Parquet (by extension) atomically, with pyarrow (see ``evigrade.batch.io``)."""
    from .io import write_table as _write

    return _write(frame, path)
