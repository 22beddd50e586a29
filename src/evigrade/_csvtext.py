"""The one low-level CSV reader behind every evigrade table (studies CSVs and evidence-pack tables).

``read_csv_rows(path)`` reads the bytes, refuses what is not CSV text with one ``InputError``
(missing, a folder, empty, binary, larger than the input size limit of ``evigrade._io``, not
UTF-8 with the row of the first bad byte), accepts a UTF-8
byte-order mark and CRLF line ends, detects a semicolon- or tab-delimited file from its header row,
and returns the header and the data rows numbered as a spreadsheet user counts them (header =
row 1; a quoted cell spanning lines is still one row; blank rows are counted but skipped).
Callers decide what the cells mean.
"""
from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass

from ._escape import CONTROL_FIX, control_char, control_problem
from ._io import read_bytes_limited
from .errors import InputError

__all__ = ["CsvText", "read_csv_text", "read_csv_rows", "check_text_bytes"]

_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab"}


@dataclass(frozen=True, slots=True)
class CsvText:
    """A parsed CSV file: ``header`` as written (stripped), ``rows`` = ((row number, cells), ...)."""

    name: str
    header: tuple[str, ...]
    rows: tuple[tuple[int, list[str]], ...]
    delimiter: str
    blank_rows: tuple[int, ...]

    @property
    def delimiter_name(self) -> str:
        return _DELIMITER_NAMES.get(self.delimiter, repr(self.delimiter))


def read_csv_text(path: str | os.PathLike, *, name: str | None = None, kind: str = "CSV",
                  empty_fix: str = "add a header row and one row per study") -> tuple[str, str]:
    """Return ``(name, text)`` of a UTF-8 text file or raise one InputError saying how to fix it.

    ``name`` is how errors refer to the file (default: the path as given); ``kind`` names the format
    in messages ("CSV", "TOML").
    """
    what = f"{kind} file"
    path = os.fspath(path)
    name = path if name is None else name

    def check_start(head: bytes) -> None:  # binary data is refused on its first megabyte (/dev/zero)
        _check_encoding(head, name, kind)

    data = read_bytes_limited(path, name=name, what=what, check_start=check_start)
    return name, check_text_bytes(data, name=name, kind=kind, empty_fix=empty_fix)


def _check_encoding(data: bytes, name: str, kind: str) -> None:
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise InputError("is UTF-16 text (e.g. Excel's 'Unicode Text'), not UTF-8", file=name,
                         fix="save the file as 'CSV UTF-8' (e.g. Excel: Save As > CSV UTF-8)" if kind == "CSV"
                         else "save the file as UTF-8")
    if b"\x00" in data[:65536]:
        raise InputError(f"is a binary file (e.g. a spreadsheet workbook), not {kind} text", file=name,
                         fix="export the table as CSV (comma-separated text, UTF-8)" if kind == "CSV"
                         else f"save the file as {kind} text in UTF-8")


def check_text_bytes(data: bytes, *, name: str, kind: str = "CSV",
                     empty_fix: str = "add a header row and one row per study") -> str:
    """The checks of ``read_csv_text`` on bytes already read (the whole file, or the head of a file that is
    read in blocks, cut at a line end): the decoded text, or one InputError saying how to fix it."""
    if not data.strip():
        raise InputError("file is empty", file=name, fix=empty_fix)
    _check_encoding(data, name, kind)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        row = data[: exc.start].count(b"\n") + 1
        where = {"row": row} if kind == "CSV" else {"label": f"line {row}"}
        raise InputError(f"is not UTF-8 text (byte 0x{data[exc.start]:02x}, e.g. Latin-1 or Windows-1252)",
                         file=name, **where,
                         fix="save the file as 'CSV UTF-8' (e.g. Excel: Save As > CSV UTF-8)" if kind == "CSV"
                         else "save the file as UTF-8 (e.g. iconv -f latin1 -t utf-8)") from None
    return text


def _delimiter(text: str) -> str:
    first = next((line for line in text.splitlines() if line.strip()), "")
    if "," not in first:
        for d in (";", "\t"):
            if d in first:
                return d
    return ","


def _refuse_control(cells: list[str], header: tuple[str, ...] | None, name: str, row: int) -> None:
    for j, c in enumerate(cells):
        ch = control_char(c)
        if ch is not None:
            col = header[j] if header is not None and j < len(header) else f"column {j + 1}"
            raise InputError(control_problem(ch), file=name, row=row, column=col, value=c, fix=CONTROL_FIX)


def read_csv_rows(path: str | os.PathLike, *, name: str | None = None,
                  empty_fix: str = "add a header row and one row per study") -> CsvText:
    """Read and split a CSV file (see the module docstring); raise InputError on broken quoting."""
    name, text = read_csv_text(path, name=name, empty_fix=empty_fix)
    controls = control_char(text) is not None  # (issue 19) refused below, naming the row and column
    delim = _delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim, strict=True)
    header: tuple[str, ...] | None = None
    rows: list[tuple[int, list[str]]] = []
    blank: list[int] = []
    rownum = 0
    try:
        for cells in reader:
            rownum += 1
            if controls:
                _refuse_control(cells, header, name, 1 if header is None else rownum)
            if not any(c.strip() for c in cells):
                if header is not None:
                    blank.append(rownum)
                continue
            if header is None:
                if rownum != 1:  # blank lines above the header: count the header as row 1 anyway
                    rownum = 1
                header = tuple(c.strip() for c in cells)
                continue
            rows.append((rownum, cells))
    except csv.Error as exc:
        bad = rownum + 1
        if "field larger than field limit" in str(exc):
            raise InputError(f"has a cell longer than {csv.field_size_limit():,} characters", file=name, row=bad,
                             fix="check this row: such a cell usually comes from a missing closing quote or from "
                                 "data that is not a table") from None
        if "end of data" in str(exc):
            raise InputError("a quoted cell is never closed (a \" without its closing \")", file=name, row=bad,
                             fix="add the closing double quote or remove the stray one") from None
        raise InputError(f"is not valid CSV ({exc})", file=name, row=bad,
                         fix="check the double quotes on this row (write a quote inside a quoted cell as \"\")") from None
    if header is None:  # e.g. only a byte-order mark, or only delimiters
        raise InputError("file is empty", file=name, fix=empty_fix)
    return CsvText(name=name, header=header, rows=tuple(rows), delimiter=delim, blank_rows=tuple(blank))
