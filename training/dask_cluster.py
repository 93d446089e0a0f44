"""Prepare on a `dask.distributed` cluster: one task per département, results streamed back.

Used only with a scheduler address (`immoval prepare --scheduler`, IMMOVAL_DASK_SCHEDULER);
dask is imported here and in `training.dask_training` only, inside functions, so the
default install does without it. Workers
read the DVF files and the tranquillity tables by path: they must see the prepare
process's home at the same path (a shared file system, as on a dask-jobqueue cluster).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path

from training.departement import DepartementInput, DepartementResult, prepare_departement
from training.errors import PipelineError

CONNECT_TIMEOUT = "30s"


def prepare_on_cluster(
    address: str, units: Iterable[DepartementInput], reference_dir: Path
) -> Iterator[DepartementResult]:
    """Each département prepared by a worker, yielded as soon as it is done."""
    from dask.distributed import as_completed

    client = connect(address)
    # The largest départements first: they set the wall time of the whole run.
    ordered = sorted(units, key=lambda unit: -unit.size)
    run = uuid.uuid4().hex[:8]
    with client:
        futures = client.map(
            prepare_departement,
            ordered,
            reference=str(reference_dir.absolute()),
            key=[f"prepare-departement-{unit.departement or 'none'}-{run}" for unit in ordered],
            pure=False,
        )
        for future in as_completed(futures):
            yield _take(future)


def connect(address: str):
    """A `dask.distributed.Client` of the scheduler at `address`; `PipelineError` if dask is
    not installed or the scheduler does not answer."""
    try:
        from dask.distributed import Client
    except ImportError as error:
        raise PipelineError(
            "a Dask scheduler was given but dask is not installed: pip install 'immoval[dask]'"
        ) from error
    try:
        return Client(address, timeout=CONNECT_TIMEOUT)
    except (OSError, TimeoutError) as error:
        raise PipelineError(f"cannot reach the Dask scheduler at {address}: {error}") from error


def _take(future):
    """The future's result; the cluster may forget it (the writer holds it now)."""
    result = future.result()
    future.release()
    return result
