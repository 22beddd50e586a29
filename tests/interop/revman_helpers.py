"""Shared paths and loaders for the RevMan import tests (real review files in tests/data/revman/)."""
from __future__ import annotations

import gzip
import pathlib

DATA = pathlib.Path(__file__).resolve().parents[1] / "data" / "revman"

#: Real RevMan 5 files (see tests/data/revman/README.md for origin and licence).  The Cochrane "data only"
#: files are stored gzip-compressed; ``real_file`` unpacks one into a temporary folder.
COCHRANE = ("CD003188", "CD004976", "CD007419", "CD007868", "CD008625", "CD013437")
RM5_FILES = tuple(f"{c}StatsDataOnly.rm5" for c in COCHRANE) + ("Fleiss1993.rm5",)
CSV_FILES = ("Fleiss1993_CR.csv",)


def real_file(name: str, tmp: pathlib.Path) -> pathlib.Path:
    """Path of a real example file (unpacked into ``tmp`` when stored as .gz)."""
    plain = DATA / name
    if plain.is_file():
        return plain
    out = tmp / name
    if not out.is_file():
        out.write_bytes(gzip.decompress((DATA / f"{name}.gz").read_bytes()))
    return out
