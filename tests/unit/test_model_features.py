"""Building and repeat-sale features: strictly earlier sales of the same parcel / home."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from model import features as feats
from model.market import MarketIndex


def _sales():
    rows = [
        # date, parcel, area, rooms, €/m²
        ("2023-01-10", "P1", 50, 2, 10_000),
        ("2023-02-10", "P1", 70, 3, 11_000),
        ("2023-02-10", "P1", 30, 1, 12_000),  # same day as the previous one
        ("2023-06-01", "P1", 50, 2, 12_500),  # the first flat again
        ("2023-06-02", "P2", 50, 2, 9_000),
    ]
    frame = pd.DataFrame(
        rows, columns=["date", "parcel_id", "living_area_m2", "rooms", "price_per_m2"]
    )
    frame["date"] = pd.to_datetime(frame["date"])
    frame["property_type"] = "apartment"
    frame["departement"] = "75"
    frame["code_commune"] = "75103"
    frame["latitude"] = [48.86, 48.86, 48.86, 48.86, 48.87]
    frame["longitude"] = 2.36
    frame["rooms"] = frame["rooms"].astype("Int16")
    frame["land_area_m2"] = 0.0
    frame["outbuildings"] = 0
    return frame


@pytest.fixture()
def history():
    sales = _sales()
    # A flat market index starting before the sales, so that every sale has a level.
    market = MarketIndex(
        first_month=600,
        last_month=700,
        levels={("75", "apartment"): np.full(101, np.log(10_000))},
        counts={("75", "apartment"): np.full(101, 1000)},
    )
    communes = feats.Communes.from_frame(
        pd.DataFrame({"code_commune": ["75103"], "population": [33_000], "area_km2": [1.17]})
    )
    return sales, feats.History.build(sales, market, communes)


def test_parcel_and_previous_sale(history):
    sales, hist = history
    batch = feats.compute(sales, hist)
    parcel_sales = batch.column("parcel_sales")
    assert parcel_sales.tolist() == [0, 1, 1, 3, 0]  # same-day sales do not see each other
    rel = np.log(sales["price_per_m2"].to_numpy() / 10_000)
    assert batch.column("parcel_rel_last")[1] == pytest.approx(rel[0], abs=1e-6)
    assert batch.column("parcel_rel_mean")[3] == pytest.approx(rel[:3].mean(), abs=1e-6)
    home = batch.column("home_rel_last")
    assert np.isnan(home[[0, 1, 2, 4]]).all()
    assert home[3] == pytest.approx(rel[0], abs=1e-6)
    assert batch.column("home_days_since")[3] == 142
    assert batch.column("commune_population_log")[0] == pytest.approx(np.log1p(33_000), rel=1e-6)


def test_one_row_at_serving_equals_the_table_row(history):
    sales, hist = history
    table = feats.compute(sales, hist).matrix
    for i in range(len(sales)):
        row = {column: sales[column].to_numpy()[i : i + 1] for column in sales.columns}
        one = feats.compute(row, hist).matrix
        np.testing.assert_array_equal(one[0], table[i])


def test_unknown_parcel_has_no_history(history):
    sales, hist = history
    row = {column: sales[column].to_numpy()[3:4] for column in sales.columns}
    row["parcel_id"] = np.array([None], dtype=object)
    batch = feats.compute(row, hist)
    assert batch.column("parcel_sales")[0] == 0 and np.isnan(batch.column("home_rel_last")[0])
