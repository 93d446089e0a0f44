"""Every sale's features, one département at a time: memory follows the largest département.

A département's subjects look for their neighbours only within
`MAX_NEIGHBOUR_DISTANCE_M` (see `model.features.names`), so the history a partition
needs is the pool sales within that distance of its subjects: its own and a halo
across its borders. The halo is taken by cells of a 3-D grid over the sphere whose side
is the chord of that distance, so two sales that close always sit in the same or in
adjacent cells: each partition's features are exactly those of one national
computation (a test checks it), and a partition holds its département and the halo,
never France. A sale's parcel and home histories are on its own point, in its cell.

Partitions run here one after the other, or as one task each on a Dask cluster
(`training.dask_training`); either way the results land in one float32 matrix, in a
memory-mapped file for the whole sales table.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from model import features as feats
from model.comparables import metres_to_chord, to_xyz
from model.market import MarketIndex

# Subjects computed at once in a partition: bounds the (subjects × K_NEIGHBOURS)
# intermediate arrays of `features.compute` (≈ 0.4 GB for 100,000 subjects).
CHUNK_ROWS = 100_000
# Columns `features.compute` and `History.build` read (the tq_* columns are added).
INPUT_COLUMNS = tuple(dict.fromkeys(feats.SUBJECT_INPUTS + feats.HISTORY_INPUTS))
_CELL_BASE = 1 << 20  # cell indices per axis stay within ±2^19 for any radius ≥ 25 m


@dataclass
class FeatureMatrix:
    """Features of a sales table in its row order."""

    matrix: np.ndarray  # float32 (n, len(names)); a memory-mapped file for large tables
    names: tuple[str, ...]
    level: np.ndarray  # float64: log €/m² market level at each sale's date

    def column(self, name: str) -> np.ndarray:
        return self.matrix[:, self.names.index(name)]

    def __len__(self) -> int:
        return len(self.level)


@dataclass(frozen=True)
class Partition:
    """One département's subjects and the pool rows their features may look at."""

    departement: str
    subjects: np.ndarray  # row positions in the subjects table, ascending
    pool: np.ndarray  # row positions in the pool table, ascending (so still by date)


@dataclass(frozen=True)
class PartitionInput:
    """What one partition's task needs: its rows of both tables and the shared context."""

    departement: str
    subjects: pd.DataFrame
    pool: pd.DataFrame
    market: MarketIndex
    communes: feats.Communes
    tranquillity: tuple[str, ...]

    @property
    def size(self) -> int:
        return len(self.subjects) + len(self.pool)


def cell_keys(latitude, longitude, radius_m: float) -> np.ndarray:
    """A grid cell per point, cells a chord of `radius_m` wide: points within `radius_m` of
    each other are in the same or adjacent cells."""
    side = metres_to_chord(radius_m)
    cells = np.floor(to_xyz(latitude, longitude) / side).astype("int64") + _CELL_BASE // 2
    return (cells[:, 0] * _CELL_BASE + cells[:, 1]) * _CELL_BASE + cells[:, 2]


def _with_adjacent(keys: np.ndarray) -> np.ndarray:
    """The cells and their 26 neighbours."""
    steps = np.array([-1, 0, 1], dtype="int64")
    offsets = (
        steps[:, None, None] * _CELL_BASE * _CELL_BASE
        + steps[None, :, None] * _CELL_BASE
        + steps[None, None, :]
    ).ravel()
    return np.unique(keys[:, None] + offsets[None, :])


def plan_partitions(
    subjects: pd.DataFrame, pool: pd.DataFrame, radius_m: float = feats.MAX_NEIGHBOUR_DISTANCE_M
) -> list[Partition]:
    """One partition per département of the subjects, with the pool rows within reach."""
    subject_cells = cell_keys(subjects["latitude"], subjects["longitude"], radius_m)
    pool_cells = cell_keys(pool["latitude"], pool["longitude"], radius_m)
    # Cells as small integers, so that each partition's halo is one gather over the pool.
    known, pool_cell = np.unique(pool_cells, return_inverse=True)
    departements = subjects["departement"].astype(str).to_numpy()
    partitions = []
    for dep in sorted(set(departements)):
        rows = np.flatnonzero(departements == dep)
        reach = _with_adjacent(np.unique(subject_cells[rows]))
        wanted = np.zeros(len(known), dtype=bool)
        at = np.searchsorted(known, reach).clip(max=max(len(known) - 1, 0))
        if len(known):
            wanted[at[known[at] == reach]] = True
        partitions.append(Partition(dep, rows, np.flatnonzero(wanted[pool_cell])))
    return partitions


def partition_inputs(
    subjects: pd.DataFrame,
    pool: pd.DataFrame,
    market: MarketIndex,
    communes: feats.Communes,
    tranquillity: Sequence[str],
) -> Iterator[tuple[Partition, PartitionInput]]:
    """Each partition with its task's input (only the columns the features read), largest
    first: they set the wall time on a cluster."""
    columns = [*INPUT_COLUMNS, *tranquillity]
    subjects, pool = subjects.loc[:, columns], pool.loc[:, columns]
    plan = sorted(plan_partitions(subjects, pool), key=lambda p: -(len(p.subjects) + len(p.pool)))
    for part in plan:
        yield (
            part,
            PartitionInput(
                part.departement,
                subjects.iloc[part.subjects].reset_index(drop=True),
                pool.iloc[part.pool].reset_index(drop=True),
                market,
                communes,
                tuple(tranquillity),
            ),
        )


def partition_features(unit: PartitionInput) -> tuple[np.ndarray, np.ndarray]:
    """The task of one partition: its subjects' feature matrix (float32) and market level."""
    history = feats.History.build(unit.pool, unit.market, unit.communes)
    names = feats.feature_names(unit.tranquillity)
    matrix = np.empty((len(unit.subjects), len(names)), dtype="float32")
    level = np.empty(len(unit.subjects), dtype="float64")
    for start in range(0, len(unit.subjects), CHUNK_ROWS):
        chunk = unit.subjects.iloc[start : start + CHUNK_ROWS]
        batch = feats.compute(chunk, history, unit.tranquillity)
        matrix[start : start + len(chunk)] = batch.matrix
        level[start : start + len(chunk)] = batch.level
    return matrix, level


# Runs the tasks and yields (partition, result) as each finishes, in any order.
Runner = Callable[
    [Iterable[tuple[Partition, PartitionInput]]],
    Iterator[tuple[Partition, tuple[np.ndarray, np.ndarray]]],
]


def run_here(units):
    """One partition after the other in this process, each released before the next."""
    for part, unit in units:
        yield part, partition_features(unit)


def features_by_departement(
    subjects: pd.DataFrame,
    pool: pd.DataFrame,
    market: MarketIndex,
    communes: feats.Communes,
    tranquillity: Sequence[str] = (),
    *,
    path: Path | None = None,
    runner: Runner = run_here,
    log: Callable[[str], None] = lambda message: None,
) -> FeatureMatrix:
    """Features of `subjects` from the `pool` sales strictly before each one (both sorted
    by date), one département at a time; in a memory-mapped file at `path` if given."""
    names = feats.feature_names(tranquillity)
    shape = (len(subjects), len(names))
    if path is None:
        matrix = np.full(shape, np.nan, dtype="float32")
    else:
        matrix = np.lib.format.open_memmap(path, mode="w+", dtype="float32", shape=shape)
    level = np.full(len(subjects), np.nan)
    units = partition_inputs(subjects, pool, market, communes, tranquillity)
    for done, (part, (values, levels)) in enumerate(runner(units), start=1):
        matrix[part.subjects] = values
        level[part.subjects] = levels
        log(
            f"features of {part.departement}: {len(part.subjects)} sales from a history "
            f"of {len(part.pool)} ({done} départements done)"
        )
    if path is not None:
        matrix.flush()
    return FeatureMatrix(matrix, names, level)
