"""The département partitions of the features: halos wide enough, and nothing more."""

from __future__ import annotations

import numpy as np
import pandas as pd

from model.comparables import EARTH_RADIUS_M
from training.calibration import rows_of
from training.feature_partitions import cell_keys, plan_partitions

RADIUS = 30_000.0


def _metres_north(metres: float) -> float:
    return np.degrees(metres / EARTH_RADIUS_M)


def _table(points, departements):
    lat = [point[0] for point in points]
    lon = [point[1] for point in points]
    return pd.DataFrame(
        {"latitude": lat, "longitude": lon, "departement": departements}, dtype=object
    ).astype({"latitude": "float64", "longitude": "float64"})


def test_the_halo_holds_the_pool_sales_within_reach_of_the_subjects_only():
    subjects = _table([(48.0, 2.0), (48.0, 2.01)], ["28", "28"])
    pool = _table(
        [
            (48.0, 2.0),  # the département's own
            (48.0 + _metres_north(29_000), 2.0),  # across the border, within reach
            (48.0 + _metres_north(95_000), 2.0),  # more than 3 cells away
            (43.6, 3.9),  # another département, far away
        ],
        ["28", "78", "78", "34"],
    )
    (part,) = plan_partitions(subjects, pool, RADIUS)
    assert part.departement == "28"
    np.testing.assert_array_equal(part.subjects, [0, 1])
    np.testing.assert_array_equal(part.pool, [0, 1])


def test_one_partition_per_departement_of_the_subjects_in_row_order():
    subjects = _table([(43.6, 3.9), (48.0, 2.0), (43.61, 3.9)], ["34", "28", "34"])
    plan = plan_partitions(subjects, _table([], []), RADIUS)
    assert [(p.departement, p.subjects.tolist(), p.pool.tolist()) for p in plan] == [
        ("28", [1], []),
        ("34", [0, 2], []),
    ]


def test_points_within_the_radius_are_always_in_the_same_or_adjacent_cells():
    rng = np.random.default_rng(3)
    lat = rng.uniform(-60, 60, 2000)
    lon = rng.uniform(-180, 180, 2000)
    bearing = rng.uniform(0, 2 * np.pi, 2000)
    step = rng.uniform(0, RADIUS, 2000) / EARTH_RADIUS_M
    # A second point `step` away along the bearing (spherical destination formula).
    la, lo = np.radians(lat), np.radians(lon)
    la2 = np.arcsin(np.sin(la) * np.cos(step) + np.cos(la) * np.sin(step) * np.cos(bearing))
    lo2 = lo + np.arctan2(
        np.sin(bearing) * np.sin(step) * np.cos(la), np.cos(step) - np.sin(la) * np.sin(la2)
    )
    a = cell_keys(lat, lon, RADIUS)
    b = cell_keys(np.degrees(la2), np.degrees(lo2), RADIUS)
    base = 1 << 20
    cells = [np.stack([k // base // base, k // base % base, k % base], axis=1) for k in (a, b)]
    assert np.abs(cells[0] - cells[1]).max() <= 1
    assert (a != b).any()  # the check has teeth: some pairs straddle a cell border


def test_a_period_of_sorted_sales_is_a_view_of_the_features_not_a_copy():
    matrix = np.arange(20, dtype="float32").reshape(10, 2)
    prefix = np.arange(10) < 6
    assert np.shares_memory(rows_of(matrix, prefix), matrix)
    np.testing.assert_array_equal(rows_of(matrix, prefix), matrix[prefix])
    scattered = np.isin(np.arange(10), [1, 4, 5])
    np.testing.assert_array_equal(rows_of(matrix, scattered), matrix[scattered])
    assert rows_of(matrix, np.zeros(10, dtype=bool)).shape == (0, 2)


def test_local_training_imports_no_dask():
    import subprocess
    import sys

    code = (
        "import sys\n"
        "import training.train, training.commands.train, training.feature_partitions\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
