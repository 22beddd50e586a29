"""Run the batch engine on a Dask cluster: partition by analysis, map the engine per partition.

The table is read and validated once on the client (so errors name the file and row), split into
partitions of whole analyses, scattered to the workers, fitted there with the same engine as
``evigrade.batch.run`` (the compiled kernel when numba is installed; it is compiled or loaded from
its on-disk cache on the client first, so that the workers load it instead of compiling it), and
gathered back in input order.  With the kernel every analysis is fitted on its own rows only, so
the results are bit-for-bit those of ``evigrade.batch.run``; the numpy engine sums across the
analyses of a partition in blocks and bands, so there they agree to rounding (measured on 100,000
analyses: at most 5.7e-14 relative; tests/unit/test_batch_dask.py checks 1e-13).

Point it at an existing cluster with ``scheduler="tcp://host:8786"`` (any address
``distributed.Client`` accepts); or give ``workers=N`` for a temporary local cluster.
"""
from __future__ import annotations

import os
from typing import Any, Callable

import numpy as np
import pandas as pd

from ..errors import EvigradeError, SpecError
from ._spec import check_control, check_spec
from .core import BatchResult, Prepared, _fit_prepared, prepare

__all__ = ["run_dask"]


def _fit_partition(prep: Prepared, method: str, test: str, level: float, tau2_ci: bool, pi: bool,
                   threshold: float, maxiter: int) -> pd.DataFrame:
    return _fit_prepared(prep, method, test, level, tau2_ci, pi, threshold, maxiter)


def _check_reachable(address: str) -> None:
    """Fail fast (one line) when a tcp:// scheduler address refuses connections."""
    import socket
    from urllib.parse import urlsplit

    if not address.startswith("tcp://"):
        return
    parts = urlsplit(address)
    try:
        with socket.create_connection((parts.hostname, parts.port or 8786), timeout=5):
            pass
    except (OSError, ValueError) as exc:
        raise EvigradeError(f"cannot connect to the Dask scheduler {address!r}: {exc}; "
                            "check the address (dask scheduler prints it as tcp://HOST:PORT)") from None


def run_dask(
    table: pd.DataFrame | str | os.PathLike,
    method: str = "REML",
    test: str = "knha",
    level: float = 95,
    tau2_ci: bool = False,
    pi: bool = True,
    *,
    scheduler: str | Any | None = None,
    workers: int | None = None,
    processes: bool = True,
    npartitions: int | None = None,
    measure: str | None = None,
    id_col: str = "analysis_id",
    control: dict[str, Any] | None = None,
    progress: Callable[[int, int], None] | None = None,
    escalc_options: dict[str, Any] | None = None,
) -> BatchResult:
    """Fit many analyses on a Dask cluster.

    ``scheduler``: an address (``"tcp://10.0.0.5:8786"``) or an existing ``distributed.Client``;
    otherwise ``workers`` (>= 1) starts a ``LocalCluster`` for the duration of the call
    (``processes=False`` uses threads in this process).  ``npartitions`` defaults to 4 per worker.
    """
    method, test, lev = check_spec(method, test, level, tau2_ci, pi)
    threshold, maxiter = check_control(control)
    if scheduler is None and workers is None:
        raise SpecError("run_dask needs scheduler=ADDRESS (an existing cluster) or workers=N (a local cluster)")
    if workers is not None and (not isinstance(workers, (int, np.integer)) or isinstance(workers, bool) or workers < 1):
        raise SpecError(f"workers={workers!r} must be a whole number >= 1")
    if npartitions is not None and (not isinstance(npartitions, (int, np.integer)) or npartitions < 1):
        raise SpecError(f"npartitions={npartitions!r} must be a whole number >= 1")
    try:
        from distributed import Client, LocalCluster, as_completed
    except ImportError:  # pragma: no cover - dependency is in the [batch] extra
        raise SpecError("Dask is not installed; pip install 'evigrade[batch]'") from None

    prep = prepare(table, measure=measure, id_col=id_col, escalc_options=escalc_options)
    from . import _kernel

    _kernel.warm()  # (numba installed: compiled here, or loaded from the cache, before the workers need it)

    cluster = None
    own_client = False
    if scheduler is not None and not isinstance(scheduler, str):
        client = scheduler
    else:
        try:
            if scheduler is not None:
                _check_reachable(scheduler)
                client = Client(scheduler, timeout="10s")
            else:
                assert workers is not None  # scheduler and workers both None was refused above
                cluster = LocalCluster(n_workers=int(workers), threads_per_worker=1, processes=processes,
                                       dashboard_address=":0")
                client = Client(cluster)
        except (OSError, TimeoutError) as exc:
            raise EvigradeError(f"cannot connect to the Dask scheduler {scheduler!r}: {exc}") from None
        own_client = True
    try:
        n_workers = max(1, len(client.scheduler_info().get("workers", {})) or (workers or 1))
        nparts = npartitions or 4 * n_workers
        nparts = max(1, min(nparts, len(prep)))
        bounds = np.linspace(0, len(prep), nparts + 1).astype(int)
        blocks = [prep.block(int(a), int(b)) for a, b in zip(bounds[:-1], bounds[1:]) if b > a]
        futures = [
            client.submit(_fit_partition, blk, method, test, lev, tau2_ci, pi, threshold, maxiter,
                          pure=False)
            for blk in blocks
        ]
        index = {f.key: i for i, f in enumerate(futures)}
        frames: list[pd.DataFrame | None] = [None] * len(futures)
        done = 0
        for fut in as_completed(futures):
            i = index[fut.key]
            frames[i] = fut.result()
            done += len(blocks[i])
            if progress is not None:
                progress(done, len(prep))
            fut.release()
    finally:
        if own_client:
            client.close()
        if cluster is not None:
            cluster.close()
    table_out = pd.concat(frames, ignore_index=True)
    return BatchResult(table_out, method, test, lev, tau2_ci, pi, prep.n_rows, prep.notes)
