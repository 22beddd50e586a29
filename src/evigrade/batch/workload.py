"""Seeded synthetic workloads of many meta-analyses (for tests, benchmarks and demos).

Each analysis has k studies (uniform on ``k_min..k_max``), a true effect on the SMD scale, a
between-study variance tau2 drawn so that about a quarter of analyses are homogeneous (tau2 = 0)
and the rest spread over 0.005..0.5 (log-uniform), and per-study sampling variances of a
two-arm SMD with arm sizes 10..200 (v = 1/n1 + 1/n2 + d^2 / (2 (n1 + n2))).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["make_workload"]


def make_workload(n_analyses: int, *, k_min: int = 3, k_max: int = 40, seed: int = 20261125) -> pd.DataFrame:
    """A long table (analysis_id, study, yi, vi) with ``n_analyses`` analyses."""
    rng = np.random.default_rng(seed)
    k = rng.integers(k_min, k_max + 1, size=n_analyses)
    mu = rng.normal(0.3, 0.3, size=n_analyses)
    tau2 = np.where(rng.random(n_analyses) < 0.25, 0.0, np.exp(rng.uniform(np.log(0.005), np.log(0.5), n_analyses)))
    g = np.repeat(np.arange(n_analyses), k)
    n = len(g)
    n1 = rng.integers(10, 201, size=n)
    n2 = rng.integers(10, 201, size=n)
    theta = mu[g] + rng.normal(size=n) * np.sqrt(tau2[g])
    vi = 1.0 / n1 + 1.0 / n2 + theta ** 2 / (2.0 * (n1 + n2))
    yi = theta + rng.normal(size=n) * np.sqrt(vi)
    starts = np.concatenate(([0], np.cumsum(k)[:-1]))
    study = np.arange(n) - np.repeat(starts, k) + 1
    return pd.DataFrame({
        "analysis_id": np.char.add("A", (g + 1).astype(str)),
        "study": study,
        "yi": yi,
        "vi": vi,
    })
