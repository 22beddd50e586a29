"""The Dask runner gives exactly the in-process result, on a local cluster and via a scheduler address."""
from __future__ import annotations

import pandas as pd
import pytest

from evigrade import batch
from evigrade.batch.workload import make_workload
from evigrade.errors import SpecError

distributed = pytest.importorskip("distributed")


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
    pd.testing.assert_frame_equal(res.table, local)  # identical: same engine, same order
    assert seen[-1] == (300, 300) and len(seen) == 7
    assert res.n_rows == len(df)


def test_existing_client_and_partitions_by_analysis(cluster):
    df = make_workload(50, seed=22).sample(frac=1.0, random_state=3)  # interleaved rows
    with distributed.Client(cluster) as client:
        res = batch.run_dask(df, "DL", "z", scheduler=client, npartitions=50)
    local = batch.run(df, "DL", "z").table
    pd.testing.assert_frame_equal(res.table, local)
    assert res.table.analysis_id.is_unique


def test_local_cluster_two_workers():
    df = make_workload(40, seed=23)
    res = batch.run_dask(df, "PM", "knha", workers=2, processes=False)
    pd.testing.assert_frame_equal(res.table, batch.run(df, "PM", "knha").table)


def test_dask_options_validated():
    df = make_workload(3)
    with pytest.raises(SpecError, match="scheduler"):
        batch.run_dask(df)
    with pytest.raises(SpecError, match="workers"):
        batch.run_dask(df, workers=0)
    with pytest.raises(SpecError, match="method"):
        batch.run_dask(df, "XX", workers=1)
