"""The batch engine's thread split (engine._fit_threads) and the counting shortcuts of the finishing
half: the results are the same bits whatever the number of threads (analyses are independent), and
the shortcuts give exactly what the sorting code they replace gave."""
from __future__ import annotations

import threading

import numpy as np
import pandas as pd
import pytest

from batch_helpers import fuzz_table
from evigrade import batch
from evigrade.batch import _kernel, engine
from evigrade.batch.workload import make_workload

pytestmark = pytest.mark.skipif(not _kernel.compiled(), reason="threads are used with the compiled kernel only")


@pytest.fixture
def threads():
    old = engine.THREADS
    yield
    engine.THREADS = old


def _table() -> pd.DataFrame:
    # ~44,000 rows (k 1..40, so k = 1 and k = 2 notes too) and the fuzz workload's extreme variances
    a = make_workload(2100, k_min=1, k_max=40, seed=11)
    b = fuzz_table(300, seed=12)
    b["analysis_id"] = "f" + b.analysis_id.astype(str)
    return pd.concat([a, b[["analysis_id", "yi", "vi"]]], ignore_index=True)


@pytest.mark.parametrize("method,test,tau2_ci", [("REML", "knha", True), ("PM", "z", True), ("ML", "knha", False)])
def test_results_do_not_depend_on_the_number_of_threads(threads, method, test, tau2_ci):
    df = _table()
    out = {}
    for n in (1, 2, 3):
        engine.THREADS = n
        out[n] = batch.run(df, method, test, tau2_ci=tau2_ci).table
    assert engine._n_threads(len(df)) >= 2  # (the split was exercised)
    for n in (2, 3):
        pd.testing.assert_frame_equal(out[1], out[n], check_exact=True)


def test_no_threads_from_a_worker_thread(threads):
    engine.THREADS = 4
    seen = []
    t = threading.Thread(target=lambda: seen.append(engine._n_threads(10**7)))
    t.start()
    t.join()
    assert seen == [1]
    assert engine._n_threads(10**7) == 4
    assert engine._n_threads(100) == 1


def test_split_cuts_whole_analyses():
    # a part ends before the first analysis that starts at or after its share of the rows (row 4 of 8)
    seg = engine.Segments.from_sizes(np.arange(8.0), np.ones(8), np.array([3, 1, 2, 2]))
    parts = seg.split(2)
    assert [p.k.tolist() for p in parts] == [[3, 1], [2, 2]]
    assert [p.y.tolist() for p in parts] == [[0.0, 1.0, 2.0, 3.0], [4.0, 5.0, 6.0, 7.0]]
    assert [p.starts.tolist() for p in parts] == [[0, 3], [0, 2]]
    assert [p.k.tolist() for p in seg.split(10)] == [[3], [1], [2], [2]]
    assert len(seg.split(1)) == 1


def test_quantiles_by_count_equal_the_sorted_path():
    rng = np.random.default_rng(3)
    fn = lambda d: d * 1.5 + np.sqrt(d)  # noqa: E731  (any elementwise function)
    df = rng.integers(0, 60, 5000).astype(float)
    uniq, inv = np.unique(df, return_inverse=True)
    assert np.array_equal(engine._crit_by_df(df, fn), fn(uniq)[inv])
    odd = df + 0.5  # not whole numbers: the sorted path
    uniq, inv = np.unique(odd, return_inverse=True)
    assert np.array_equal(engine._crit_by_df(odd, fn), fn(uniq)[inv])


@pytest.mark.parametrize("n_sites", [3, 20])
def test_note_texts_by_count_equal_the_sorted_path(n_sites):
    rng = np.random.default_rng(n_sites)
    notes = engine._Notes(1000)
    codes = [f"c{i % 7}" for i in range(n_sites)]  # (codes repeat across sites: each shown once)
    for code in codes:
        notes.add(rng.random(1000) < 0.2, code)
    got = notes.column()
    for j in range(0, 1000, 37):
        want = [c for b, c in enumerate(codes) if (int(notes.sig[j]) >> b) & 1]
        assert got[j] == "; ".join(dict.fromkeys(want))
    assert engine._Notes(5).column().tolist() == [""] * 5
