"""Sales at the same distance (same parcel, same point) come in pool order, alone or in a batch."""

from __future__ import annotations

import numpy as np

from model.comparables import SalesPool, nearest_earlier, to_xyz, type_codes


def _pool():
    rng = np.random.default_rng(7)
    n = 400
    days = np.sort(rng.integers(0, 120, n)) + np.datetime64("2023-01-01").astype("int64")
    lat = 48.85 + rng.normal(0, 0.01, n)
    lon = 2.35 + rng.normal(0, 0.01, n)
    # A block of flats: one point, sold over and over.
    lat[::5], lon[::5] = 48.851, 2.352
    dates = days.astype("datetime64[D]")
    types = np.array(["apartment"] * n)
    return SalesPool.build(lat, lon, dates, types), dates


def test_equidistant_neighbours_are_in_pool_order_whatever_the_batch():
    pool, dates = _pool()
    # The first of its month: alone, no sale of the month to merge; in the batch, the
    # other home's month sales are merged into every search of the month.
    day = np.datetime64("2023-03-01").astype("int64")
    here = to_xyz([48.851], [2.352])
    alone_rows, alone_dist = nearest_earlier(
        pool, here, np.array([day]), type_codes(["apartment"]), 12
    )
    # Same home next to another of its month whose search merges the month's sales.
    other = to_xyz([48.86], [2.34])
    xyz = np.vstack([here, other])
    rows, dist = nearest_earlier(
        pool, xyz, np.array([day, day + 5]), type_codes(["apartment"] * 2), 12
    )
    np.testing.assert_array_equal(rows[0], alone_rows[0])
    np.testing.assert_array_equal(dist[0], alone_dist[0])
    at_zero = alone_rows[0][alone_dist[0] == 0]
    assert len(at_zero) > 3 and (np.diff(at_zero) > 0).all()


def _building_and_far_sales(far: int):
    """Fifty sales of one building before 2023-06, then `far` sales 25 km away."""
    n = 50 + far
    days = np.arange(n) + np.datetime64("2023-01-01").astype("int64")
    lat = np.full(n, 48.851)
    lon = np.full(n, 2.352)
    lat[50:] += 0.225  # ≈ 25 km north, after the building's sales
    return SalesPool.build(lat, lon, days.astype("datetime64[D]"), np.array(["apartment"] * n))


def test_a_tie_across_the_kth_place_keeps_the_earliest_sales_whatever_else_the_pool_holds():
    here, kind = to_xyz([48.851], [2.352]), type_codes(["apartment"])
    day = np.array([np.datetime64("2024-01-01").astype("int64")])
    # Fifty sales at 0 m tie for 40 places: the earliest 40, in pool order, however the tree
    # is shaped by the other sales (a département alone, or with its neighbours).
    for far in (0, 7, 300):
        rows, dist = nearest_earlier(_building_and_far_sales(far), here, day, kind, 40)
        np.testing.assert_array_equal(rows[0], np.arange(40))
        assert (dist[0] == 0).all()


def test_sales_beyond_the_maximum_distance_are_not_neighbours():
    here, kind = to_xyz([48.851], [2.352]), type_codes(["apartment"])
    day = np.array([np.datetime64("2024-01-01").astype("int64")])
    pool = _building_and_far_sales(30)
    rows, dist = nearest_earlier(pool, here, day, kind, 60, max_metres=20_000)
    assert (rows[0][:50] >= 0).all() and (rows[0][50:] == -1).all()
    assert np.isinf(dist[0][50:]).all()
    rows, dist = nearest_earlier(pool, here, day, kind, 60, max_metres=30_000)
    assert (rows[0] >= 0).all() and 24_000 < dist[0][-1] < 26_000
