"""The one low-level CSV reader behind every evigrade table (studies CSVs and evidence-pack tables).

``read_csv_rows(path)`` reads the bytes, refuses what is not CSV text with one ``InputError``
(missing, a folder, empty, binary, not UTF-8 with the row of the first bad byte), accepts a UTF-8
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
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except FileNotFoundError:
        raise InputError("file not found", file=name, fix="check the path and the file name") from None
    except IsADirectoryError:
        raise InputError(f"is a folder, not a {what}", file=name, fix=f"give the path of the {what}") from None
    except PermissionError:
        raise InputError("cannot be read (permission denied)", file=name, fix="check the file's permissions") from None
    except OSError as exc:
        raise InputError(f"cannot be read ({exc.strerror or exc})", file=name, fix="check the path") from None
    return name, check_text_bytes(data, name=name, kind=kind, empty_fix=empty_fix)


def check_text_bytes(data: bytes, *, name: str, kind: str = "CSV",
                     empty_fix: str = "add a header row and one row per study") -> str:
    """The checks of ``read_csv_text`` on bytes already read (the whole file, or the head of a file that is
    read in blocks, cut at a line end): the decoded text, or one InputError saying how to fix it."""
    if not data.strip():
        raise InputError("file is empty", file=name, fix=empty_fix)
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise InputError("is UTF-16 text (e.g. Excel's 'Unicode Text'), not UTF-8", file=name,
                         fix="save the file as 'CSV UTF-8' (e.g. Excel: Save As > CSV UTF-8)" if kind == "CSV"
                         else "save the file as UTF-8")
    if b"\x00" in data[:65536]:
        raise InputError(f"is a binary file (e.g. a spreadsheet workbook), not {kind} text", file=name,
                         fix="export the table as CSV (comma-separated text, UTF-8)" if kind == "CSV"
                         else f"save the file as {kind} text in UTF-8")
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


def read_csv_rows(path: str | os.PathLike, *, name: str | None = None,
                  empty_fix: str = "add a header row and one row per study") -> CsvText:
    """Read and split a CSV file (see the module docstring); raise InputError on broken quoting."""
    name, text = read_csv_text(path, name=name, empty_fix=empty_fix)
    delim = _delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim, strict=True)
    header: tuple[str, ...] | None = None
    rows: list[tuple[int, list[str]]] = []
    blank: list[int] = []
    rownum = 0
    try:
        for cells in reader:
            rownum += 1
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
        if "end of data" in str(exc):
            raise InputError("a quoted cell is never closed (a \" without its closing \")", file=name, row=bad,
                             fix="add the closing double quote or remove the stray one") from None
        raise InputError(f"is not valid CSV ({exc})", file=name, row=bad,
                         fix="check the double quotes on this row (write a quote inside a quoted cell as \"\")") from None
    if header is None:  # e.g. only a byte-order mark, or only delimiters
        raise InputError("file is empty", file=name, fix=empty_fix)
    return CsvText(name=name, header=header, rows=tuple(rows), delimiter=delim, blank_rows=tuple(blank))
