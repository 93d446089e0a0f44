"""Commune location, parcel snapping and radius searches over sales, addresses and centres."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from model.comparables import to_xyz
from model.places import LOCATE_SALE_M, PARCEL_SNAP_M, Nearest, Places, Points

DEGREE_M = 111_195.0  # metres per degree of latitude on the model's sphere
SALES = pd.DataFrame(
    {
        "latitude": [48.8600, 48.8700, 48.8600],
        "longitude": [2.3600, 2.3600, 2.3610],
        "code_commune": ["75103", "75110", "75103"],
        "parcel_id": ["P1", None, "P3"],
    }
)
COMMUNES = pd.DataFrame(
    {
        "code_commune": ["75103", "93066", "99999"],
        "name": ["Paris 3e", "Saint-Denis", "Nowhere"],
        "population": [33_000, 110_000, 0],
        "area_km2": [1.17, 12.4, 1.0],
        "latitude": [48.8630, 48.9362, np.nan],
        "longitude": [2.3600, 2.3574, np.nan],
    }
)


@pytest.fixture()
def places() -> Places:
    addresses = Points.of(
        pd.DataFrame({"latitude": [48.8650], "longitude": [2.3600], "code_commune": ["75104"]})
    )
    return Places(
        to_xyz(SALES["latitude"], SALES["longitude"]),
        SALES["code_commune"].to_numpy(dtype=object),
        SALES["parcel_id"].to_numpy(dtype=object),
        COMMUNES,
        addresses,
    )


def _north(metres: float, latitude: float = 48.8600, longitude: float = 2.3600) -> np.ndarray:
    return to_xyz([latitude + metres / DEGREE_M], [longitude])


def test_nearest_sale_in_metres(places):
    metres, rows = places.nearest_sales(_north(100))
    assert rows.tolist() == [0] and metres[0] == pytest.approx(100, abs=0.5)
    metres, rows = places.nearest_sales(np.zeros((0, 3)))
    assert len(metres) == len(rows) == 0


def test_commune_from_the_nearest_sale_or_address_else_a_centre(places):
    assert places.locate(_north(0)) == ["75103"]
    # 500 m north: the address (56 m away) is nearer than the sales (500 m).
    assert places.locate(_north(500)) == ["75104"]
    # 8.5 km north: no sale nor address within LOCATE_SALE_M; Saint-Denis' centre is 200 m away.
    assert LOCATE_SALE_M < 9_000 and places.locate(_north(8_500)) == ["93066"]
    assert places.locate(_north(100_000)) == [None]
    assert places.locate_commune(48.8600, 2.3600) == "75103"
    assert places.commune_name("93066") == "Saint-Denis" and places.commune_name("1") is None


def test_parcels_given_else_snapped_to_a_sale_within_the_snap_distance(places):
    xyz = np.vstack([_north(0), _north(PARCEL_SNAP_M - 2), _north(PARCEL_SNAP_M + 5), _north(0)])
    nearest = Nearest(places, xyz)
    found = places.parcels(xyz, [None, " ", "nan", " G4 "], lambda: nearest.of(slice(None)))
    assert found.tolist() == ["P1", "P1", None, "G4"]
    assert places.parcels(xyz[:1], None, lambda: nearest.of([0])).tolist() == ["P1"]


def test_nearest_is_queried_once_per_batch(places):
    calls = []
    nearest_sales = places.nearest_sales

    def counting(xyz):
        calls.append(len(xyz))
        return nearest_sales(xyz)

    places.nearest_sales = counting
    xyz = np.vstack([_north(0), _north(500), _north(1)])
    nearest = Nearest(places, xyz)
    assert places.locate(xyz[[0, 1]], lambda: nearest.of([0, 1])) == ["75103", "75104"]
    assert places.parcels(xyz[[2]], None, lambda: nearest.of([2])).tolist() == ["P1"]
    assert calls == [3]


def test_sales_within_a_radius_nearest_first(places):
    rows, metres = places.sales_within(48.8600 + 10 / DEGREE_M, 2.3600, 1_200)
    assert rows.tolist() == [0, 2, 1]
    assert metres.tolist() == sorted(metres.tolist()) and metres[0] == pytest.approx(10, abs=0.5)
    rows, _ = places.sales_within(48.8600, 2.3600, 50)
    assert rows.tolist() == [0]
