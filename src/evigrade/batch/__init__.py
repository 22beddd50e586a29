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

The names are loaded on first use (PEP 562): ``evigrade batch`` on a plain ``analysis_id, yi, vi``
CSV streams it through ``batch.stream`` without importing pandas (about a quarter of a second).
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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
    from .dask_runner import run_dask
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

#: where each public name lives (Dask is imported only when ``run_dask`` is asked for)
_HOME = {**{name: "core" for name in __all__}, "run_dask": "dask_runner", "METHODS": "engine", "TESTS": "engine"}


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module 'evigrade.batch' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
