"""The Dask runner gives the in-process result, on a local cluster and via a scheduler address.

Agreement: with the compiled kernel (numba, in the test extra) every analysis is fitted from its own
rows only, so partitioning changes nothing and the tables are equal bit for bit.  The numpy engine
(without numba) sums across the analyses of a partition in cache-sized blocks and, from 256
analyses on, in bands of similar k (engine._Banded), so partitions change the order of additions,
and the Q-profile root finder (which stops at a relative step of 1e-13) can stop one rounding-level
step apart.  Measured on 100,000 analyses (REML + knha + Q-profile CI, 2 worker processes, 8
partitions): kernel 0 differences; numpy engine 632 analyses differ, by at most 5.7e-14 relative
(1.1e-13 absolute, in values of ~2) over every numeric column.  Checked at rtol 1e-13 (the root
finder's tolerance) and atol 1e-14 -- not pandas' default 1e-5.
"""
from __future__ import annotations

import pandas as pd
import pytest

from evigrade import batch
from evigrade.batch import _kernel, engine
from evigrade.batch.workload import make_workload
from evigrade.errors import SpecError

distributed = pytest.importorskip("distributed")

#: numpy engine, in-process vs Dask (see the module docstring)
NUMPY_RTOL = 1e-13
NUMPY_ATOL = 1e-14


def _assert_same(res: pd.DataFrame, local: pd.DataFrame, exact: bool) -> None:
    if exact:
        pd.testing.assert_frame_equal(res, local, check_exact=True)
    else:
        pd.testing.assert_frame_equal(res, local, check_exact=False, rtol=NUMPY_RTOL, atol=NUMPY_ATOL)


@pytest.fixture(scope="module")
def cluster():
    # two workers, threads in this process: starts in well under a second
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=":0") as c:
        yield c


def test_scheduler_address_matches_in_process(cluster):
    df = make_workload(300, seed=21)
    local = batch.run(df, "REML", "knha", tau2_ci=True).table
    seen = []
    res = batch.run_dask(df, "REML", "knha", tau2_ci=True, scheduler=cluster.scheduler_address,
                         npartitions=7, progress=lambda d, t: seen.append((d, t)))
    _assert_same(res.table, local, _kernel.compiled())  # the same engine, the same order
    assert seen[-1] == (300, 300) and len(seen) == 7
    assert res.n_rows == len(df)


def test_existing_client_and_partitions_by_analysis(cluster):
    df = make_workload(50, seed=22).sample(frac=1.0, random_state=3)  # interleaved rows
    with distributed.Client(cluster) as client:
        res = batch.run_dask(df, "DL", "z", scheduler=client, npartitions=50)
    local = batch.run(df, "DL", "z").table
    _assert_same(res.table, local, _kernel.compiled())
    assert res.table.analysis_id.is_unique


def test_local_cluster_two_workers():
    df = make_workload(40, seed=23)
    res = batch.run_dask(df, "PM", "knha", workers=2, processes=False)
    _assert_same(res.table, batch.run(df, "PM", "knha").table, _kernel.compiled())


def test_numpy_engine_on_dask_agrees_to_a_few_ulps(cluster, monkeypatch):
    """The numpy engine (users without numba): 600 analyses (banded path in-process, not in the
    partitions of ~86), REML + knha + Q-profile, at NUMPY_RTOL (threads: the engine choice is shared)."""
    monkeypatch.setattr(engine, "DEFAULT_ENGINE", "numpy")
    df = make_workload(600, seed=24)
    local = batch.run(df, "REML", "knha", tau2_ci=True).table
    res = batch.run_dask(df, "REML", "knha", tau2_ci=True, scheduler=cluster.scheduler_address, npartitions=7)
    _assert_same(res.table, local, exact=False)


def test_dask_options_validated():
    df = make_workload(3)
    with pytest.raises(SpecError, match="scheduler"):
        batch.run_dask(df)
    with pytest.raises(SpecError, match="workers"):
        batch.run_dask(df, workers=0)
    with pytest.raises(SpecError, match="method"):
        batch.run_dask(df, "XX", workers=1)
