"""Neighbour queries without scikit-learn's second look at points that are already valid.

`KDTree.query` and `BallTree.query` pass their points to `check_array` on every call,
which (scikit-learn 1.9) also asks narwhals whether they are a dataframe of some other
library: ≈ 210 µs of a 260 µs one-point query on a 400,000-point tree, paid 3–4 times
per estimate (`benchmarks/request_cost.py --profile plain` lists the calls). Points that
are already exactly what `check_array` would return (a plain, finite, C-ordered float64
2-D ndarray with at least one row and one column) are returned as they are; anything
else goes through scikit-learn's own check, its conversions and its errors included.

    install()  # idempotent; the Estimator calls it when it loads a bundle
"""

from __future__ import annotations

import numpy as np
from sklearn.neighbors import _ball_tree, _kd_tree

# The compiled tree modules look `check_array` up in their globals at each call.
_TREE_MODULES = (_kd_tree, _ball_tree)


def _as_checked(check_array):
    def points_as_checked(array, *args, dtype=None, order=None, **kwargs):
        if (
            type(array) is np.ndarray
            and not args
            and not kwargs
            and dtype is np.float64
            and order == "C"
            and array.dtype == np.float64
            and array.ndim == 2
            and array.shape[0] > 0
            and array.shape[1] > 0
            and array.flags.c_contiguous
            and np.isfinite(array).all()
        ):
            return array
        return check_array(array, *args, dtype=dtype, order=order, **kwargs)

    points_as_checked.checks = check_array
    return points_as_checked


def install() -> bool:
    """Route the trees' point checks through the shortcut; False when this scikit-learn's
    trees do not look like the ones measured (they then keep their own check)."""
    installed = True
    for module in _TREE_MODULES:
        current = getattr(module, "check_array", None)
        if current is None:
            installed = False
        elif getattr(current, "checks", None) is None:
            module.check_array = _as_checked(current)
    return installed
