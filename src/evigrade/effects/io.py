"""Read a plain CSV of studies with metafor's column names into an ``EffectTable``.

Columns (metafor names, case-insensitive, any order; other columns are ignored):

* MD, SMD, ROM: ``m1i, sd1i, n1i, m2i, sd2i, n2i``
* OR, RR, RD:   ``ai, ci`` and ``bi`` or ``n1i``, ``di`` or ``n2i``
* PR, PLO, PFT: ``xi, ni``
* ZCOR:         ``ri, ni``
* GEN (or any measure given as effects): ``yi`` with ``vi``, ``sei`` or ``ci_low`` and ``ci_high``
  (on the analysis scale: log scale for ratios)

plus an optional ``study`` column with a unique label per row.  Every problem is reported as one
``InputError`` naming the file, the row (the header is row 1, so the first study is row 2), the
study label, the column, the value and how to fix it.
"""
from __future__ import annotations

import csv
import io
import math
import os
from typing import Any

import numpy as np

from .._validate import check_choice
from ..errors import InputError
from .escalc import GENERIC_COLUMNS, MEASURES, RAW_COLUMNS, _has_raw, compute
from .table import EffectTable

__all__ = ["read_studies_csv", "read_table_csv", "NUMERIC_COLUMNS"]

NUMERIC_COLUMNS = (
    "m1i", "sd1i", "n1i", "m2i", "sd2i", "n2i", "ai", "bi", "ci", "di",
    "xi", "ni", "ri", "yi", "vi", "sei", "ci_low", "ci_high",
)
_STUDY_COLUMNS = ("study", "slab")
_MISSING = {"", "na", "nan", "n/a", "null", "none", "."}
_RAW = RAW_COLUMNS
_GENERIC = GENERIC_COLUMNS


def _read_text(path: str | os.PathLike) -> tuple[str, str]:
    name = os.fspath(path)
    try:
        data = open(name, "rb").read()
    except FileNotFoundError:
        raise InputError("file not found", file=name, fix="check the path and the file name") from None
    except IsADirectoryError:
        raise InputError("is a folder, not a CSV file", file=name, fix="give the path of the CSV file") from None
    except PermissionError:
        raise InputError("cannot be read (permission denied)", file=name, fix="check the file's permissions") from None
    except OSError as exc:
        raise InputError(f"cannot be read ({exc.strerror or exc})", file=name, fix="check the path") from None
    if not data.strip():
        raise InputError("file is empty", file=name,
                         fix="add a header row with metafor column names and one row per study")
    if b"\x00" in data[:65536]:
        raise InputError("is a binary file, not CSV text", file=name,
                         fix="export the table as CSV (comma-separated text, UTF-8)")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        row = data[: exc.start].count(b"\n") + 1
        raise InputError(f"is not UTF-8 text (byte 0x{data[exc.start]:02x})", file=name, row=row,
                         fix="save the file as 'CSV UTF-8' (e.g. Excel: Save As > CSV UTF-8)") from None
    return name, text


def _parse(path) -> tuple[str, list[str], list[tuple[int, list[str]]]]:
    """Return (file name, lower-cased header, [(row number, cells)]) with blank lines skipped."""
    name, text = _read_text(path)
    first = text.lstrip().splitlines()[0] if text.strip() else ""
    delim = ","
    if "," not in first:
        if ";" in first:
            delim = ";"
        elif "\t" in first:
            delim = "\t"
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim)
    header: list[str] | None = None
    rows: list[tuple[int, list[str]]] = []
    try:
        for cells in reader:
            if not any(c.strip() for c in cells):
                continue
            if header is None:
                header = [c.strip().lower() for c in cells]
                header_row = reader.line_num
                continue
            rows.append((reader.line_num, cells))
    except csv.Error as exc:
        raise InputError(f"is not valid CSV ({exc})", file=name, row=reader.line_num,
                         fix="check quoting on this row") from None
    if header is None:
        raise InputError("file is empty", file=name, fix="add a header row and one row per study")
    seen: dict[str, int] = {}
    for j, h in enumerate(header):
        if h == "":
            continue
        if h in seen:
            raise InputError(f"column name appears twice (columns {seen[h] + 1} and {j + 1})", file=name,
                             row=header_row, column=h, fix="give every column a unique name")
        seen[h] = j
    for r, cells in rows:
        if len(cells) > len(header) and any(c.strip() for c in cells[len(header):]):
            raise InputError(f"has {len(cells)} cells but the header has {len(header)} columns", file=name, row=r,
                             fix="remove the extra cells or add a column name (quote text that contains commas)")
    return name, header, rows


def _cell(cells: list[str], j: int) -> str:
    return cells[j].strip() if j < len(cells) else ""


def _numeric_column(name: str, col: str, header: list[str], rows, labels) -> tuple[np.ndarray, list[str]]:
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
            v = float(s)
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


def _labels(name: str, header: list[str], rows) -> list[str] | None:
    for sc in _STUDY_COLUMNS:
        if sc in header:
            j = header.index(sc)
            return [_cell(cells, j) for _, cells in rows]
    return None


def read_studies_csv(path: str | os.PathLike, measure: str, **options: Any) -> EffectTable:
    """Read a studies CSV (metafor column names) and compute ``measure`` for every row.

    ``options`` are passed to ``escalc`` (``add``, ``to``, ``drop00``, ``vtype``, ``ci_level``, ``scale``).
    """
    measure = check_choice("measure", measure, MEASURES)
    name, header, rows = _parse(path)
    if not rows:
        raise InputError("has a header but no data rows", file=name, row=2,
                         fix="add one row per study below the header")
    labels = _labels(name, header, rows)
    present = set(header)
    raw_cols = _RAW.get(measure, ())
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
        if measure in ("OR", "RR", "RD"):
            for alt in (("bi", "n1i"), ("di", "n2i")):
                if not set(alt) & present:
                    needed.append(f"{alt[0]} (or {alt[1]})")
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
    return compute(measure, data, study=labels, file=name, rows=row_numbers, raw=raw, **options)


def read_table_csv(path: str | os.PathLike) -> "Any":
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
