"""Workloads shared by the batch-engine tests (test_batch_engine.py, test_batch_banded.py,
test_batch_golden.py)."""
from __future__ import annotations

import numpy as np
import pandas as pd


def fuzz_analyses(n: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """k = 2..5; sampling variances over 6 orders of magnitude, a single near-exact study (vi ~ 1e-6)
    next to ordinary ones, near-equal variances; tau from 0 to 30 (PM beyond its default interval)."""
    rng = np.random.default_rng(seed)
    out = []
    for a in range(n):
        k = int(rng.integers(2, 6))
        kind = a % 5
        if kind == 0:
            vi = 10 ** rng.uniform(-4, 2, k)
        elif kind == 1:
            vi = 10 ** rng.uniform(-2, -0.5, k)
        elif kind == 2:
            vi = 10 ** rng.uniform(-1, 0, k)
            vi[0] = 10 ** rng.uniform(-6, -3)
        elif kind == 3:
            vi = np.full(k, 10 ** rng.uniform(-3, 0)) * rng.uniform(0.9, 1.1, k)
        else:
            vi = 10 ** rng.uniform(-3, 1, k)
        tau = (0.0, 0.1, 0.5, 3.0, 30.0)[int(rng.integers(0, 5))]
        yi = rng.normal(0, 1, k) * np.sqrt(vi + tau**2) + rng.normal(0, 0.5)
        out.append((yi, vi))
    return out


def fuzz_table(n: int, seed: int) -> pd.DataFrame:
    """``fuzz_analyses`` as a long table (analysis_id "f0", "f1", ..., yi, vi)."""
    rows = [(f"f{a}", y, v) for a, (yi, vi) in enumerate(fuzz_analyses(n, seed)) for y, v in zip(yi, vi)]
    return pd.DataFrame(rows, columns=["analysis_id", "yi", "vi"])


def golden_table(analyses: list[dict]) -> pd.DataFrame:
    """The analyses of test_batch_metafor_golden.json (id, yi, vi; scalars for k = 1) as a long table."""
    rows = []
    for a in analyses:
        y = np.atleast_1d(np.asarray(a["yi"], dtype=float))
        v = np.atleast_1d(np.asarray(a["vi"], dtype=float))
        rows.append(pd.DataFrame({"analysis_id": a["id"], "yi": y, "vi": v}))
    return pd.concat(rows, ignore_index=True)
