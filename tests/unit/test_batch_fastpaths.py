"""The fast paths of the batch engine (issue 7 speed work) give exactly what the slow paths give.

* ``_run_starts``: run starts of the analysis ids via pyarrow equal pandas' ``ne(shift())``;
* the largest weight 1/(min v + tau2) equals the maximum of 1/(v + tau2) over the rows, bit for bit;
* the output frame is built without copying (pandas >= 3), so no two columns may share memory;
* empty ids ("") are found from the run starts with the row of the first one.
"""
from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from evigrade import batch
from evigrade.batch import core
from evigrade.errors import InputError


def _slow_run_starts(ids: pd.Series) -> np.ndarray:
    first = np.array(ids.ne(ids.shift()).to_numpy(dtype=bool, na_value=True))
    first[0] = True
    return first


@pytest.mark.parametrize("kind", ["arrow", "chunked", "object", "int"])
def test_run_starts_match_pandas(kind):
    rng = np.random.default_rng(7)
    codes = np.repeat(rng.integers(0, 50, size=400), rng.integers(1, 6, size=400))
    if kind == "int":
        ids = pd.Series(codes)
    elif kind == "object":
        ids = pd.Series([f"A{c}" for c in codes], dtype=object)
    elif kind == "arrow":
        ids = pd.Series(pd.array([f"A{c}" for c in codes], dtype="string[pyarrow]"))
    else:
        half = len(codes) // 2
        ca = pa.chunked_array([pa.array([f"A{c}" for c in codes[:half]]),
                               pa.array([f"A{c}" for c in codes[half:]])])
        ids = pd.Series(pd.arrays.ArrowStringArray(ca))
    got = core._run_starts(ids)
    assert got.dtype == bool
    np.testing.assert_array_equal(got, _slow_run_starts(ids))


def test_largest_weight_from_smallest_variance_is_bit_identical():
    rng = np.random.default_rng(11)
    k = rng.integers(1, 40, size=3000)
    starts = np.concatenate(([0], np.cumsum(k)[:-1]))
    v = np.exp(rng.uniform(-14, 3, size=int(k.sum())))
    tau2 = np.where(rng.random(len(k)) < 0.3, 0.0, np.exp(rng.uniform(-12, 4, size=len(k))))
    w = 1.0 / (v + np.repeat(tau2, k))
    expected = np.maximum.reduceat(w, starts)
    vmin = np.minimum.reduceat(v, starts)
    np.testing.assert_array_equal(1.0 / (vmin + tau2), expected)
    np.testing.assert_array_equal(1.0 / vmin, np.maximum.reduceat(1.0 / v, starts))


@pytest.mark.parametrize("method", ["FE", "DL", "REML"])
@pytest.mark.parametrize("pi", [True, False])
def test_output_columns_do_not_share_memory(method, pi):
    rng = np.random.default_rng(3)
    k = rng.integers(1, 6, size=40)
    ids = np.repeat([f"s{i}" for i in range(len(k))], k)
    res = batch.fit_arrays(ids, rng.normal(size=len(ids)), rng.uniform(0.01, 0.2, size=len(ids)),
                           method=method, pi=pi)
    t = res.table
    arrays = {c: t[c].to_numpy() for c in t.columns if t[c].dtype.kind in "fiub"}
    for a, b in itertools.combinations(arrays, 2):
        assert not np.shares_memory(arrays[a], arrays[b]), (a, b)
    before = t["pi_high"].copy()
    t.loc[0, "pi_low"] = 123.0  # writing one column leaves the others alone
    pd.testing.assert_series_equal(t["pi_high"], before)


@pytest.mark.parametrize("ids, row", [(["a", "", "", "b"], 3), (["a", "a", ""], 4), (["", "a"], 2),
                                      (["a", None, "", "b"], 3)])
@pytest.mark.parametrize("dtype", ["str", object])
def test_empty_id_reports_first_empty_row(ids, row, dtype):
    df = pd.DataFrame({"analysis_id": pd.Series(ids, dtype=dtype), "yi": 0.1, "vi": 0.1})
    with pytest.raises(InputError) as exc:
        core.prepare(df)
    assert exc.value.row == row
    assert "analysis id is missing" in str(exc.value)
