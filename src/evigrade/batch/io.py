"""Writing batch results with pyarrow: CSV and Parquet, whole or chunk by chunk.

pandas' CSV writer formats every float in Python (about 4 s for 100,000 analyses); pyarrow's
takes about a tenth of that.  The CSV keeps the format of ``DataFrame.to_csv``: an unquoted header,
text quoted only where it must be (a delimiter, quote or line break inside), missing values as
empty cells, ``converged`` as ``True``/``False``.  Floats are written in the shortest form that
reads back to the same double (``0.1``, ``4.1447695986687708e-7`` -> ``4.144769598668771e-7``), as
exact as ``%.17g`` and shorter.  Parquet keeps every column's type (and pandas' metadata, so that
``pandas.read_parquet`` gives back the same frame).
"""
from __future__ import annotations

import os
import pathlib
from typing import TYPE_CHECKING, Any

from .._io import write_atomic
from ..errors import InputError

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

    from .engine import FitArrays

__all__ = ["write_table", "ResultWriter", "output_format", "fit_table"]


def output_format(path: str | os.PathLike) -> str:
    """'parquet' for .parquet / .pq, else 'csv'."""
    return "parquet" if pathlib.Path(path).suffix.lower() in (".parquet", ".pq") else "csv"


def fit_table(ids: "pa.Array", method: str, test: str, fit: "FitArrays") -> "pa.Table":
    """The engine's arrays as the result table of ``batch.run`` (the columns and values of its frame,
    ``OUTPUT_COLUMNS`` after ``analysis_id``), built in Arrow without pandas (for CSV output: the file
    is byte for byte the one ``write_table(batch.run(...).table, ...)`` writes)."""
    import numpy as np
    import pyarrow as pa

    from . import _arrow
    from ._spec import OUTPUT_COLUMNS

    first = _arrow.array(np.zeros(len(ids), dtype=np.int64))
    cols: list[Any] = [ids]
    for name in OUTPUT_COLUMNS:
        if name in ("method", "test"):
            cols.append(_arrow.take(_arrow.strings([method if name == "method" else test]), first))
        else:
            cols.append(_arrow.array(fit.notes if name == "notes" else fit.columns[name]))
    return pa.Table.from_arrays(cols, names=["analysis_id", *OUTPUT_COLUMNS])


def _to_arrow(frame: "pd.DataFrame | pa.Table", fmt: str) -> "pa.Table":
    """The result frame (or a ``fit_table``) as an Arrow table (NaN -> null; for CSV, booleans as
    pandas writes them)."""
    import pyarrow as pa

    from . import _arrow

    table = frame if isinstance(frame, pa.Table) else pa.Table.from_pandas(frame, preserve_index=False)
    if fmt == "csv":
        for i, field in enumerate(table.schema):
            if pa.types.is_boolean(field.type):  # (a take, not pc.if_else: its Python scalars load pandas)
                col = _arrow.take(_arrow.strings(["False", "True"]), _arrow.cast(table.column(i), pa.int8()))
                table = table.set_column(i, field.name, col)
    return table


def _needs_quotes(table: "pa.Table") -> bool:
    """Does any text cell hold a delimiter, a quote or a line break (so that it must be quoted)?"""
    import pyarrow as pa

    from . import _arrow

    for col in table.columns:
        if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
            if _arrow.has_bytes(col, b',"\r\n'):
                return True
    return False


def _write_csv(table: "pa.Table", sink: Any, header: bool) -> None:
    import pyarrow.csv as pacsv

    # quoting "none" writes text as pandas does (no quotes); where a cell needs quotes, "needed"
    # quotes every text cell (valid CSV that reads back the same).  The header is quoted only if a
    # column name needs it.
    style = "needed" if _needs_quotes(table) else "none"
    plain_names = not any(ch in name for name in table.column_names for ch in ',"\r\n')
    opts = pacsv.WriteOptions(include_header=header, quoting_style=style,
                              quoting_header="none" if plain_names else "needed")
    pacsv.write_csv(table, sink, write_options=opts)


class ResultWriter:
    """Append result frames (one chunk of analyses at a time) to one CSV or Parquet file."""

    def __init__(self, path: str | os.PathLike, fmt: str) -> None:
        self.path, self.fmt = os.fspath(path), fmt
        self._sink: Any = None
        self._pq: Any = None
        self._schema: Any = None
        self.rows = 0

    def write(self, frame: "pd.DataFrame | pa.Table") -> None:
        table = _to_arrow(frame, self.fmt)
        if self._schema is None:
            self._schema = table.schema
        elif table.schema != self._schema:
            table = table.cast(self._schema)
        if self.fmt == "parquet":
            import pyarrow.parquet as pq

            if self._pq is None:
                self._pq = pq.ParquetWriter(self.path, self._schema)
            self._pq.write_table(table)
        else:
            import pyarrow as pa

            if self._sink is None:
                self._sink = pa.OSFile(self.path, "wb")
            _write_csv(table, self._sink, header=self.rows == 0)
        self.rows += table.num_rows

    def close(self) -> None:
        if self._pq is not None:
            self._pq.close()
            self._pq = None
        if self._sink is not None:
            self._sink.close()
            self._sink = None


def write_table(frame: "pd.DataFrame", path: str | os.PathLike) -> pathlib.Path:
    """Write CSV or Parquet (by extension) atomically: a temp file in the same folder, then os.replace."""
    p = pathlib.Path(path)
    if not p.parent.exists():
        raise InputError("output folder does not exist", file=str(p), fix="create the folder first")
    fmt = output_format(p)

    def write(tmp: str) -> None:
        writer = ResultWriter(tmp, fmt)
        try:
            writer.write(frame)
        finally:
            writer.close()

    return write_atomic(p, write)
