"""KD-trees stored as arrays and opened around memory-mapped ones, never rebuilt at load.

A scikit-learn `KDTree` is its points, a permutation of them and its nodes; its pickled
state is exactly these arrays and a few counts. Stored as columns, a tree opens in
microseconds and its pages are shared by every process. A tree stored by another
scikit-learn version is rebuilt from its points instead (same points, same tree).
"""

from __future__ import annotations

import numpy as np
import sklearn
from sklearn.neighbors import KDTree

from model.mapped import Columns

LEAF_SIZE = 40
_ARRAYS = ("data", "idx_array", "node_data", "node_bounds")
_COUNTS = ("leaf_size", "n_levels", "n_nodes", "n_trims", "n_leaves", "n_splits", "n_calls")


def build_tree(points: np.ndarray) -> KDTree:
    """The tree over (n, 3) points that serving searches."""
    return KDTree(points, leaf_size=LEAF_SIZE)


def store_tree(tree: KDTree, name: str, columns: Columns, data: str | None = None) -> None:
    """Add a tree's arrays to `columns` as `<name>.<array>`; `data`: the column already
    holding its points (not stored twice)."""
    state = tree.__getstate__()
    for key, value in zip(_ARRAYS, state[:4], strict=True):
        if key == "data" and data is not None:
            continue
        columns.arrays[f"{name}.{key}"] = np.asarray(value)
    columns.meta[name] = {
        "sklearn": sklearn.__version__,
        "data": data or f"{name}.data",
        **dict(zip(_COUNTS, (int(v) for v in state[4:11]), strict=True)),
    }


def open_tree(columns: Columns, name: str) -> KDTree:
    """The tree `store_tree` stored, around the columns' arrays."""
    meta = columns.meta[name]
    points = columns[meta["data"]]
    if meta["sklearn"] != sklearn.__version__:
        return KDTree(np.asarray(points), leaf_size=meta["leaf_size"])
    metric = build_tree(np.zeros((1, 3))).__getstate__()[11]
    arrays = [points, *(columns[f"{name}.{key}"] for key in _ARRAYS[1:])]
    tree = KDTree.__new__(KDTree)
    tree.__setstate__((*arrays, *(meta[key] for key in _COUNTS), metric, None))
    return tree
