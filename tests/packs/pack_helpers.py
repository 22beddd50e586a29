"""Helpers for the pack tests (fixtures live in conftest.py)."""
from __future__ import annotations

import csv
from pathlib import Path

DATA = Path(__file__).parent / "data"
NORMAND = DATA / "normand1999"


def set_cell(path: Path, row: int, column: str, value: str) -> None:
    """Set a CSV cell; ``row`` counts like a spreadsheet (header = 1, first data row = 2)."""
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    j = rows[0].index(column)
    rows[row - 1][j] = value
    with open(path, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}
