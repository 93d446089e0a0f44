"""The nearest station of a network that was open at a date, in metres.

Stations with no known opening (or opened before the data) are always open and sit in a
KD-tree; the few with a known opening date within the data's years are searched one by
one, so that a sale before a line's extension never sees its new stations.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.neighbors import KDTree

from model.comparables import chord_to_metres, to_xyz
from model.mapped import Columns
from model.trees import build_tree, open_tree, store_tree

# `opened` of a station open since before any date the model sees.
ALWAYS = np.iinfo("int64").min


@dataclass(frozen=True, eq=False)
class Network:
    """One network's stations: a tree over those always open, and the dated ones."""

    always: KDTree | None
    dated_xyz: np.ndarray  # (m, 3)
    dated_day: np.ndarray  # (m,) day since 1970 of each dated station's opening

    @classmethod
    def build(cls, latitude, longitude, opened_day) -> Network:
        """From station coordinates and opening days (`ALWAYS` when open all along)."""
        xyz = to_xyz(latitude, longitude)
        opened = np.asarray(opened_day, dtype="int64")
        fixed = opened == ALWAYS
        tree = build_tree(xyz[fixed]) if fixed.any() else None
        return cls(tree, np.ascontiguousarray(xyz[~fixed]), opened[~fixed])

    def store(self, name: str, columns: Columns) -> None:
        """Add this network's arrays to `columns` under `name`."""
        if self.always is not None:
            store_tree(self.always, f"{name}.always", columns)
        columns.arrays[f"{name}.dated_xyz"] = self.dated_xyz
        columns.arrays[f"{name}.dated_day"] = self.dated_day

    @classmethod
    def open(cls, name: str, columns: Columns) -> Network:
        """The network `store` wrote."""
        tree = open_tree(columns, f"{name}.always") if f"{name}.always" in columns.meta else None
        return cls(tree, columns[f"{name}.dated_xyz"], columns[f"{name}.dated_day"])

    def nearest_m(self, xyz: np.ndarray, days: np.ndarray) -> np.ndarray:
        """Metres from each point to the nearest station open on its day (NaN: none)."""
        n = len(xyz)
        best = np.full(n, np.inf)
        if self.always is not None and n:
            chord, _ = self.always.query(xyz, k=1)
            best = chord[:, 0]
        for k in range(len(self.dated_day)):
            # A station counts from its opening day; an unknown date (NaT) sees none of them.
            open_then = days >= self.dated_day[k]
            if open_then.any():
                chord = np.sqrt(((xyz - self.dated_xyz[k]) ** 2).sum(axis=1))
                best = np.where(open_then & (chord < best), chord, best)
        metres = chord_to_metres(np.where(np.isfinite(best), best, 0.0))
        return np.where(np.isfinite(best), metres, np.nan)
