"""`immoval train` on a `dask.distributed` cluster (`--scheduler`, IMMOVAL_DASK_SCHEDULER).

Features: one task per département partition (`training.feature_partitions`), a bounded
number in flight, each result written into the client's matrix as it arrives. Boosters:
`lightgbm.dask.DaskLGBMRegressor` on the matrix split by rows across the workers
(LightGBM's data-parallel learner; each worker uses its Dask threads). The evaluation
and the bundle stay on the client, as on one machine.
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Iterator

import lightgbm as lgb
import numpy as np

from training.feature_partitions import partition_features

# Partitions submitted ahead of the results, per worker: enough to keep every worker
# busy, few enough that the client never holds France's inputs at once.
IN_FLIGHT_PER_WORKER = 2


def worker_count(client) -> int:
    return max(1, len(client.scheduler_info()["workers"]))


def runner_on(client):
    """A `feature_partitions.Runner` whose tasks run on the cluster of `client`."""

    def run(units) -> Iterator:
        from dask.distributed import as_completed

        units = iter(units)
        parts = {}
        done = as_completed()

        def submit(part, unit) -> None:
            # Scattered, not inlined in the task graph: the inputs are tens of MB.
            future = client.submit(partition_features, client.scatter(unit, hash=False))
            parts[future.key] = part
            done.add(future)

        for part, unit in itertools.islice(units, IN_FLIGHT_PER_WORKER * worker_count(client)):
            submit(part, unit)
        for future in done:
            part = parts.pop(future.key)
            result = future.result()
            future.release()
            following = next(units, None)
            if following is not None:
                submit(*following)
            yield part, result

    return run


def fit_on_cluster(
    client, matrix: np.ndarray, target: np.ndarray, names, params: dict, n_estimators: int
) -> lgb.Booster:
    """A booster fitted by `DaskLGBMRegressor` on rows spread over the workers."""
    from lightgbm.dask import DaskLGBMRegressor

    rows = max(1, math.ceil(len(target) / worker_count(client)))
    features = _scattered(client, matrix, rows)
    label = _scattered(client, np.asarray(target, dtype="float64"), rows)
    # Threads are the workers' own (LightGBM's Dask interface ignores num_threads).
    params = {key: value for key, value in params.items() if key != "num_threads"}
    model = DaskLGBMRegressor(client=client, n_estimators=n_estimators, **params)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Parameter n_jobs will be ignored")
        model.fit(features, label, feature_name=list(names))
    return model.booster_


def _scattered(client, values: np.ndarray, rows: int):
    """A dask array of `values` in blocks of `rows`, each block sent to a worker once.

    Block by block: the client holds one contiguous copy of a block at a time, never a
    second copy of the whole (a view of the memory-mapped matrix, for most boosters)."""
    import dask.array as da

    parts = []
    for start in range(0, len(values), rows):
        block = np.ascontiguousarray(values[start : start + rows])
        future = client.scatter(block, hash=False)
        parts.append(da.from_delayed(future, shape=block.shape, dtype=block.dtype))
        del block
    return da.concatenate(parts)
