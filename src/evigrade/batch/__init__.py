"""Living evidence at scale: fit many independent meta-analyses at once.

>>> import pandas as pd
>>> from evigrade import batch
>>> df = pd.DataFrame({"analysis_id": ["a", "a", "a", "b", "b"],
...                    "yi": [0.1, 0.3, 0.5, -0.2, 0.0], "vi": [0.04, 0.05, 0.03, 0.1, 0.2]})
>>> res = batch.run(df, method="REML", test="knha")
>>> res.table[["analysis_id", "k", "estimate"]].shape
(2, 3)

``run`` is vectorised with numpy across analyses (see ``engine``); ``run_dask`` maps the same
engine over partitions of analyses on a Dask cluster.
"""
from __future__ import annotations

from .core import (
    NOTE_MESSAGES,
    OUTPUT_COLUMNS,
    BatchResult,
    Prepared,
    fit_arrays,
    prepare,
    read_table,
    run,
    run_prepared,
    write_table,
)
from .engine import METHODS, TESTS

__all__ = [
    "run",
    "run_dask",
    "run_prepared",
    "fit_arrays",
    "prepare",
    "Prepared",
    "read_table",
    "write_table",
    "BatchResult",
    "NOTE_MESSAGES",
    "OUTPUT_COLUMNS",
    "METHODS",
    "TESTS",
]


def __getattr__(name: str):
    if name == "run_dask":  # Dask is imported only when asked for
        from .dask_runner import run_dask

        return run_dask
    raise AttributeError(f"module 'evigrade.batch' has no attribute {name!r}")
