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
