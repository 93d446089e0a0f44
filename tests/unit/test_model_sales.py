"""The bundle's sales as columns, comparables read from them, and the search filters."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from model.sales import Comparable, SaleColumns


@pytest.fixture()
def sales() -> SaleColumns:
    frame = pd.DataFrame(
        {
            "mutation_id": ["2024-1", "2024-2", "2024-3"],
            "date": pd.to_datetime(["2024-01-15", "2024-03-01", "2024-07-20"]),
            "property_type": ["apartment", "house", "apartment"],
            "living_area_m2": [45.0, 120.0, 70.0],
            "rooms": pd.array([2, None, 3], dtype="Int16"),
            "land_area_m2": [None, 400.0, None],
            "price": [450_000.0, 600_000.0, 700_000.0],
            "price_per_m2": [10_000.4, 5_000.0, 10_000.0],
            "latitude": [48.86, 48.87, 48.88],
            "longitude": [2.36, 2.37, 2.38],
            "street": ["RUE DE BRETAGNE", None, ""],
            "code_commune": ["75103", "75110", "75103"],
            "commune_name": ["Paris 3e", None, "Paris 3e"],
            "parcel_id": ["75103000AB0001", None, float("nan")],
        }
    )
    return SaleColumns.from_frame(frame)


def test_columns_with_missing_values(sales):
    assert len(sales) == 3
    assert np.isnan(sales.rooms[1]) and sales.land_area_m2.tolist() == [0.0, 400.0, 0.0]
    assert sales.parcel_id.tolist() == ["75103000AB0001", None, None]
    assert sales.street.tolist() == ["RUE DE BRETAGNE", None, ""]
    assert sales.date.dtype == np.dtype("datetime64[D]")


def test_comparables_read_at_rows_with_their_distance(sales):
    first, second = sales.comparables_at(np.array([0, 1]), [12.4, 250.6])
    assert first == Comparable(
        mutation_id="2024-1",
        date=date(2024, 1, 15),
        property_type="apartment",
        living_area_m2=45.0,
        rooms=2,
        land_area_m2=0.0,
        price=450_000.0,
        price_per_m2=10_000.0,
        distance_m=12.0,
        latitude=48.86,
        longitude=2.36,
        street="RUE DE BRETAGNE",
        code_commune="75103",
        commune_name="Paris 3e",
    )
    assert second.rooms is None and second.street is None and second.commune_name is None
    assert second.distance_m == 251.0
    assert sales.comparables_at(np.array([2]), [1.0])[0].street is None  # empty street


def test_a_homes_neighbours_stop_at_the_padding(sales):
    rows = np.array([2, 0, -1, -1])
    distances = np.array([5.0, 9.0, np.inf, np.inf])
    assert [c.mutation_id for c in sales.comparables_of(rows, distances, 10)] == [
        "2024-3",
        "2024-1",
    ]
    assert [c.mutation_id for c in sales.comparables_of(rows, distances, 1)] == ["2024-3"]


def test_filters_with_open_ranges(sales):
    rows = np.array([0, 1, 2])
    assert sales.matching(rows).tolist() == [True, True, True]
    assert sales.matching(rows, property_type="apartment").tolist() == [True, False, True]
    assert sales.matching(rows, living_area_range=(50, None)).tolist() == [False, True, True]
    assert sales.matching(rows, rooms_range=(None, 2)).tolist() == [True, False, False]
    assert sales.matching(rows, date_from=date(2024, 3, 1), date_to=date(2024, 7, 19)).tolist() == [
        False,
        True,
        False,
    ]
    assert sales.matching(rows[::-1], property_type="house").tolist() == [False, True, False]


def test_homes_read_together_get_each_their_own_neighbours(sales):
    rows = np.array([[2, 0, -1], [-1, -1, -1], [1, 2, 0]])
    distances = np.array([[5.0, 9.0, np.inf], [np.inf] * 3, [3.0, 4.0, 8.0]])
    each = sales.comparables_each(rows, distances, 2)
    assert [[c.mutation_id for c in home] for home in each] == [
        ["2024-3", "2024-1"],
        [],
        ["2024-2", "2024-3"],
    ]
    assert [c.distance_m for c in each[2]] == [3.0, 4.0]
    for line in range(3):  # the same as each home read alone
        assert each[line] == sales.comparables_of(rows[line], distances[line], 2)
