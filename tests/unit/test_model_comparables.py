"""The k nearest earlier sales: exact, same type, strictly before, never the sale itself."""

from __future__ import annotations

import numpy as np

from model.comparables import (
    SalesPool,
    chord_to_metres,
    metres_to_chord,
    nearest_earlier,
    to_xyz,
    type_codes,
)


def _pool(n=3000, seed=1):
    rng = np.random.default_rng(seed)
    days = np.sort(rng.integers(0, 400, n)) + np.datetime64("2023-01-01").astype("int64")
    lat = 48.85 + rng.normal(0, 0.02, n)
    lon = 2.35 + rng.normal(0, 0.03, n)
    types = rng.choice(["apartment", "house"], n, p=[0.7, 0.3])
    dates = days.astype("datetime64[D]")
    return SalesPool.build(lat, lon, dates, types), lat, lon, dates, types


def _haversine(lat1, lon1, lat2, lon2):
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dphi, dl = p2 - p1, np.radians(lon2 - lon1)
    a = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * 6_371_008.8 * np.arcsin(np.sqrt(a))


def test_matches_brute_force_on_every_sale():
    pool, lat, lon, dates, types = _pool()
    k = 7
    rows, dist = nearest_earlier(
        pool, to_xyz(lat, lon), dates.astype("int64"), type_codes(types), k
    )
    for i in range(0, len(lat), 37):
        earlier = np.flatnonzero((dates < dates[i]) & (types == types[i]))
        d = _haversine(lat[i], lon[i], lat[earlier], lon[earlier])
        expected = np.sort(d)[:k]
        found = dist[i][np.isfinite(dist[i])]
        np.testing.assert_allclose(found, expected, rtol=1e-6, atol=1e-3)
        valid = rows[i][rows[i] >= 0]
        assert i not in valid
        assert (dates[valid] < dates[i]).all()
        assert (types[valid] == types[i]).all()


def test_first_day_sales_have_no_neighbours():
    pool, lat, lon, dates, types = _pool()
    rows, dist = nearest_earlier(
        pool, to_xyz(lat, lon), dates.astype("int64"), type_codes(types), 5
    )
    first = dates == dates.min()
    assert (rows[first] == -1).all() and np.isinf(dist[first]).all()


def test_queries_after_the_data_see_every_sale():
    pool, lat, lon, dates, types = _pool()
    later = np.array([np.datetime64("2030-01-01")]).astype("datetime64[D]").astype("int64")
    rows, dist = nearest_earlier(pool, to_xyz([48.85], [2.35]), later, type_codes(["house"]), 3)
    houses = np.flatnonzero(types == "house")
    d = _haversine(48.85, 2.35, lat[houses], lon[houses])
    np.testing.assert_allclose(dist[0], np.sort(d)[:3], rtol=1e-6)


def test_chord_conversion_round_trips():
    for metres in (1.0, 250.0, 12_345.0, 800_000.0):
        assert abs(chord_to_metres(metres_to_chord(metres)) - metres) < 1e-6 * metres
