"""Read a plain CSV of studies with metafor's column names into an ``EffectTable``.

Columns (metafor names, case-insensitive, any order; other columns are not analysed and are listed
in a ``columns_not_used`` Note):

* MD, SMD, ROM: ``m1i, sd1i, n1i, m2i, sd2i, n2i``
* OR, RR, RD:   ``ai, ci`` and ``bi`` or ``n1i``, ``di`` or ``n2i``
* PR, PLO, PFT: ``xi, ni``
* ZCOR, COR:    ``ri, ni``
* IRR:          ``x1i, t1i, x2i, t2i`` (events and person-time per group)
* MC, SMCC:     ``m1i, m2i, sd1i, sd2i, ni, ri`` (one group: m1i after, m2i before, ri their correlation);
  SMCR the same without ``sd2i``
* GEN (or any measure given as effects): ``yi`` with ``vi``, ``sei`` or ``ci_low`` and ``ci_high``
  (on the analysis scale: log scale for ratios)

plus an optional ``study`` column with a unique label per row.  Every problem is reported as one
``InputError`` naming the file, the row (the header is row 1, so the first study is row 2), the
study label, the column, the value and how to fix it.  The file itself is read by
``evigrade._csvtext.read_csv_rows`` (UTF-8 with or without BOM, CRLF, comma/semicolon/tab; a
non-comma delimiter and skipped blank rows are recorded as Notes too).
"""
from __future__ import annotations

import dataclasses
import math
import os
from typing import Any, Mapping

import numpy as np

from .._csvtext import CsvText, read_csv_rows
from .._validate import check_choice
from ..errors import InputError
from ..notes import NoteCode
from ..results import Note
from .escalc import GENERIC_COLUMNS, MEASURES, RAW_COLUMNS, _has_raw, compute
from .measures import TWO_BY_TWO_MEASURES
from .table import EffectTable

__all__ = ["read_studies_csv", "read_table_csv", "NUMERIC_COLUMNS"]

NUMERIC_COLUMNS = (
    "m1i", "sd1i", "n1i", "m2i", "sd2i", "n2i", "ai", "bi", "ci", "di",
    "xi", "ni", "ri", "x1i", "t1i", "x2i", "t2i", "yi", "vi", "sei", "ci_low", "ci_high",
)
_STUDY_COLUMNS = ("study", "slab")
_MISSING = {"", "na", "nan", "n/a", "null", "none", "."}
_RAW = RAW_COLUMNS
_GENERIC = GENERIC_COLUMNS


def _parse(path: str | os.PathLike[str]) -> tuple[str, list[str], list[tuple[int, list[str]]]]:
    """Return (file name, lower-cased header, [(row number, cells)]) with blank rows skipped."""
    _, name, header, rows = _parse_full(path)
    return name, header, rows


def _parse_full(path: str | os.PathLike[str]) -> tuple[CsvText, str, list[str], list[tuple[int, list[str]]]]:
    """``_parse`` plus the parsed file (delimiter, blank rows) for the notes."""
    parsed = read_csv_rows(path, empty_fix="add a header row with metafor column names and one row per study")
    name = parsed.name
    header = [h.lower() for h in parsed.header]
    rows = list(parsed.rows)
    seen: dict[str, int] = {}
    for j, h in enumerate(header):
        if h == "":
            continue
        if h in seen:
            raise InputError(f"column name appears twice (columns {seen[h] + 1} and {j + 1})", file=name,
                             row=1, column=h, fix="give every column a unique name")
        seen[h] = j
    for r, cells in rows:
        if len(cells) > len(header) and any(c.strip() for c in cells[len(header):]):
            raise InputError(f"has {len(cells)} cells but the header has {len(header)} columns", file=name, row=r,
                             fix="remove the extra cells or add a column name (quote text that contains commas)")
    return parsed, name, header, rows


def _cell(cells: list[str], j: int) -> str:
    return cells[j].strip() if j < len(cells) else ""


def _numeric_column(name: str, col: str, header: list[str], rows: list[tuple[int, list[str]]],
                    labels: list[str] | None) -> tuple[np.ndarray, list[str]]:
    j = header.index(col)
    out = np.empty(len(rows))
    raw = []
    for i, (r, cells) in enumerate(rows):
        s = _cell(cells, j)
        raw.append(s)
        if s.lower() in _MISSING:
            out[i] = np.nan
            continue
        try:
            v = float(s.replace("\u2212", "-"))  # a minus sign pasted from a PDF or Word
        except ValueError:
            fix = "use a decimal point, not a comma" if "," in s and s.replace(",", "", 1).replace("-", "", 1).isdigit() \
                else f"enter a number (leave {col} empty only where it is optional)"
            raise InputError("is not a number", file=name, row=r, label=labels[i] if labels else None,
                             column=col, value=s, fix=fix) from None
        if not math.isfinite(v):
            raise InputError("must be a finite number", file=name, row=r, label=labels[i] if labels else None,
                             column=col, value=s, fix=f"enter a finite value for {col}")
        out[i] = v
    return out, raw


def _labels(name: str, header: list[str], rows: list[tuple[int, list[str]]]) -> list[str] | None:
    for sc in _STUDY_COLUMNS:
        if sc in header:
            j = header.index(sc)
            return [_cell(cells, j) for _, cells in rows]
    return None


_ID_COLUMNS = ("study_id", "id", "trial")


def _map_columns(name: str, header: list[str], columns: Mapping[str, str]) -> None:
    """Rename the CSV's own columns to metafor names in place (``columns``: metafor name -> CSV name).

    Refused, one line each: a name evigrade does not read, a CSV column that is not in the header, a CSV
    column mapped twice, and a metafor name the header already has (the CSV would hold it twice)."""
    known = (*NUMERIC_COLUMNS, *_STUDY_COLUMNS, *_ID_COLUMNS)
    original = list(header)
    mapped: dict[str, str] = {}
    for canon, own in columns.items():
        c, o = canon.strip().lower(), own.strip().lower()
        pair = f"{canon}={own}"
        if c not in known:
            raise InputError(f"is not a column name evigrade reads (mapped as {pair})", file=name,
                             column=canon, fix=f"map one of {', '.join(known)}, e.g. ai=tpos")
        if o not in original:
            raise InputError(f"no such column in the header (mapped as {pair})", file=name, row=1, column=own,
                             fix=f"use a column of the header: {', '.join(h for h in original if h)}")
        if o in mapped:
            raise InputError(f"is mapped twice ({mapped[o]}={own} and {pair})", file=name, row=1, column=own,
                             fix="map each column of the CSV to one name")
        if c != o and c in original:
            raise InputError(f"the header already has a column {c} (mapping {pair} would give two)", file=name,
                             row=1, column=c, fix=f"drop {pair} from the mapping, or rename or remove the CSV's own "
                                                  f"{c} column")
        mapped[o] = canon
        header[original.index(o)] = c


def study_labels(name: str, header: list[str], rows: list[tuple[int, list[str]]]) -> list[str] | None:
    """The rows' study labels (None without a study column), repeated labels told apart by an id column."""
    return _tell_apart(_labels(name, header, rows), header, rows)


def _tell_apart(labels: list[str] | None, header: list[str], rows: list[tuple[int, list[str]]]) -> list[str] | None:
    """Study labels shared by several rows get their row's id ('Rosenthal et al (trial 4)') when an id column
    (study_id, id, trial) tells them apart; otherwise they are left for escalc to refuse."""
    if labels is None or len(set(labels)) == len(labels):
        return labels
    col = next((c for c in _ID_COLUMNS if c in header), None)
    if col is None:
        return labels
    ids = [_cell(cells, header.index(col)) for _, cells in rows]
    if len(set(ids)) != len(ids) or "" in ids:
        return labels
    word = "trial " if col == "trial" else ""
    return [f"{lab} ({word}{i})" if labels.count(lab) > 1 else lab for lab, i in zip(labels, ids)]


def read_studies_csv(path: str | os.PathLike[str], measure: str, *, columns: Mapping[str, str] | None = None,
                     **options: Any) -> EffectTable:
    """Read a studies CSV (metafor column names) and compute ``measure`` for every row.

    ``columns`` maps metafor names to the CSV's own (``{"ai": "tpos"}``); study labels shared by several
    rows are told apart by an id column (study_id, id or trial) when there is one.  ``options`` are passed
    to ``escalc`` (``add``, ``to``, ``drop00``, ``vtype``, ``ci_level``, ``scale``).
    """
    measure = check_choice("measure", measure, MEASURES)
    parsed, name, header, rows = _parse_full(path)
    if columns:
        _map_columns(name, header, columns)
    if not rows:
        raise InputError("has a header but no data rows", file=name, row=2,
                         fix="add one row per study below the header")
    labels = study_labels(name, header, rows)
    present = set(header)
    raw_cols = _RAW.get(measure, ())
    use: tuple[str, ...]
    if measure == "GEN" or ("yi" in present and not _has_raw(measure, present)):
        use = _GENERIC
    else:
        use = raw_cols
    if use is _GENERIC:
        needed = ["yi"] if not ({"yi", "ci_low"} & present) else []
        if not ({"vi", "sei"} & present) and not {"ci_low", "ci_high"} <= present:
            needed.append("vi (or sei, or ci_low and ci_high)")
    else:
        needed = [c for c in raw_cols if c not in present and c not in ("bi", "di", "n1i", "n2i")]
        if measure in TWO_BY_TWO_MEASURES:
            for pair in (("bi", "n1i"), ("di", "n2i")):
                if not set(pair) & present:
                    needed.append(f"{pair[0]} (or {pair[1]})")
    if needed:
        have = ", ".join(h for h in header if h) or "none"
        alt = "" if use is _GENERIC else "; or give effects as yi with vi or sei"
        raise InputError(f"missing column{'s' if len(needed) > 1 else ''} for measure {measure}: "
                         + ", ".join(needed), file=name, row=1, column=needed[0].split(" ")[0],
                         fix=f"add the column(s) (metafor names; found: {have}){alt}")
    data: dict[str, np.ndarray] = {}
    raw: dict[str, list[str]] = {}
    for col in use:
        if col in present:
            data[col], raw[col] = _numeric_column(name, col, header, rows, labels)
    row_numbers = [r for r, _ in rows]
    table = compute(measure, data, study=labels, file=name, rows=row_numbers, raw=raw, **options)
    label_col = next((c for c in _STUDY_COLUMNS if c in present), None)
    used = set(data) if label_col is None else set(data) | {label_col}
    notes = _file_notes(name, header, used, parsed)
    return dataclasses.replace(table, notes=notes + table.notes) if notes else table


def _file_notes(name: str, header: list[str], used: set[str], parsed: CsvText) -> tuple[Note, ...]:
    """Notes on how the file was read: other delimiter, blank rows skipped, columns not used."""
    notes: list[Note] = []
    base = os.path.basename(name)
    if parsed.delimiter != ",":
        notes.append(Note(NoteCode.CSV_DELIMITER, f"{base} was read as {parsed.delimiter_name}-delimited text."))
    if parsed.blank_rows:
        rows = ", ".join(str(r) for r in parsed.blank_rows[:10]) + (" ..." if len(parsed.blank_rows) > 10 else "")
        notes.append(Note(NoteCode.BLANK_ROWS_SKIPPED, f"{base}: blank row{'s' if len(parsed.blank_rows) > 1 else ''} "
                                                f"{rows} skipped (no study data)."))
    unused = [h for h in header if h and h not in used]
    if unused:
        notes.append(Note(NoteCode.COLUMNS_NOT_USED, f"{base}: column{'s' if len(unused) > 1 else ''} not used to compute "
                                              f"the effect sizes: {', '.join(unused)}."))
    return tuple(notes)


def read_table_csv(path: str | os.PathLike[str]) -> Any:
    """Read a CSV with metafor column names into a ``pandas.DataFrame`` (numbers checked cell by cell).

    Recognised numeric columns become float columns (empty/NA cells -> NaN); the ``study`` column is
    kept as text; other columns are dropped.  Use ``read_studies_csv`` for a full per-measure check.
    """
    import pandas as pd

    name, header, rows = _parse(path)
    if not rows:
        raise InputError("has a header but no data rows", file=name, row=2, fix="add one row per study below the header")
    labels = _labels(name, header, rows)
    frame: dict[str, Any] = {}
    if labels is not None:
        frame["study"] = labels
    for col in NUMERIC_COLUMNS:
        if col in header:
            frame[col], _ = _numeric_column(name, col, header, rows, labels)
    df = pd.DataFrame(frame)
    df.index = pd.Index([r for r, _ in rows], name="row")
    return df
