"""The nearest station of a network that was open at a date, in metres.

Stations with no known opening (or opened before the data) are always open and sit in a
KD-tree; the few with a known opening date within the data's years are compared one by
one, so that a sale before a line's extension never sees its new stations. The points are
stored as memory-mapped columns; the trees (a few thousand points, the coast's ~50,000)
are built at load in milliseconds: SciPy's tree answers one point in microseconds, where
each scikit-learn query first spends ~100 µs validating its input.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from model.comparables import chord_to_metres, to_xyz
from model.mapped import Columns

# `opened` of a station open since before any date the model sees.
ALWAYS = np.iinfo("int64").min
# Points per block of the dated comparison: bounds its memory on a whole sales table.
CHUNK = 20_000


@dataclass(frozen=True, eq=False)
class Network:
    """One network's stations: a tree over those always open, and the dated ones."""

    always_xyz: np.ndarray  # (n, 3)
    dated_xyz: np.ndarray  # (m, 3)
    dated_day: np.ndarray  # (m,) day since 1970 of each dated station's opening

    def __post_init__(self):
        tree = cKDTree(np.asarray(self.always_xyz)) if len(self.always_xyz) else None
        object.__setattr__(self, "_tree", tree)

    @classmethod
    def build(cls, latitude, longitude, opened_day) -> Network:
        """From station coordinates and opening days (`ALWAYS` when open all along)."""
        xyz = to_xyz(latitude, longitude).reshape(-1, 3)
        opened = np.asarray(opened_day, dtype="int64")
        fixed = opened == ALWAYS
        return cls(
            np.ascontiguousarray(xyz[fixed]), np.ascontiguousarray(xyz[~fixed]), opened[~fixed]
        )

    def store(self, name: str, columns: Columns) -> None:
        """Add this network's arrays to `columns` under `name`."""
        columns.arrays[f"{name}.always_xyz"] = self.always_xyz
        columns.arrays[f"{name}.dated_xyz"] = self.dated_xyz
        columns.arrays[f"{name}.dated_day"] = self.dated_day

    @classmethod
    def open(cls, name: str, columns: Columns) -> Network:
        """The network `store` wrote."""
        parts = ("always_xyz", "dated_xyz", "dated_day")
        return cls(*(columns[f"{name}.{part}"] for part in parts))

    def nearest_m(self, xyz: np.ndarray, days: np.ndarray) -> np.ndarray:
        """Metres from each point to the nearest station open on its day (NaN: none)."""
        best = np.full(len(xyz), np.inf)
        if self._tree is not None and len(xyz):
            best, _ = self._tree.query(xyz, k=1)
        if len(self.dated_day):
            best = np.array(best, dtype="float64")
            for start in range(0, len(xyz), CHUNK):
                part = slice(start, start + CHUNK)
                chord = np.linalg.norm(xyz[part, None, :] - self.dated_xyz[None], axis=2)
                # A station counts from its opening day; an unknown date sees none of them.
                chord[days[part, None] < self.dated_day[None]] = np.inf
                best[part] = np.minimum(best[part], chord.min(axis=1))
        known = np.isfinite(best)
        return np.where(known, chord_to_metres(np.where(known, best, 0.0)), np.nan)
