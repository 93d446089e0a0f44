"""A commune's market quarter by quarter, and the recent prices around a point."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from model.indicators import MarketHistory, Prices, QuarterPrices, prices_nearby, recent_period
from model.sales import SaleColumns

HISTORY = pd.DataFrame(
    {
        "code_commune": ["75103"] * 6 + ["75104"],
        "property_type": ["apartment"] * 5 + ["all", "apartment"],
        "quarter": ["2024-Q2", "2023-Q4", "2024-Q1", "2024-Q3", "2024-Q4", "2024-Q4", "2024-Q4"],
        "median_price_per_m2": [11_000.4, 9_000.0, 10_000.0, 12_000.0, 13_000.0, 12_500.0, 1.0],
        "sales": [10, 99, 30, 20, 40, 60, 5],
    }
)


def test_quarters_oldest_first_rounded_per_commune_and_type():
    history = MarketHistory.from_frame(HISTORY)
    quarters = history.of("75103", "apartment")
    assert [q.quarter for q in quarters] == ["2023-Q4", "2024-Q1", "2024-Q2", "2024-Q3", "2024-Q4"]
    assert quarters[2] == QuarterPrices("2024-Q2", 11_000.0, 10)
    assert history.of("75103") == [QuarterPrices("2024-Q4", 12_500.0, 60)]
    assert history.of("75103", "house") == [] and history.of("00000") == []
    # A copy: callers cannot change the table.
    history.of("75103", "apartment").clear()
    assert len(history.of("75103", "apartment")) == 5


def test_recent_prices_weigh_the_last_four_quarters_by_their_sales():
    recent = MarketHistory.from_frame(HISTORY).recent("75103")
    weighted = (10_000 * 30 + 11_000 * 10 + 12_000 * 20 + 13_000 * 40) / 100  # 2023-Q4 left out
    assert recent == {
        "apartment": Prices(round(weighted), 100),
        "house": Prices(None, 0),
        "all": Prices(12_500.0, 60),
    }
    assert MarketHistory.from_frame(HISTORY).recent(None)["all"] == Prices(None, 0)


def test_prices_nearby_count_the_last_year_per_type():
    days = ["2023-12-31", "2024-01-01", "2024-06-01", "2024-12-31", "2024-12-31"]
    sales = SaleColumns.from_frame(
        pd.DataFrame(
            {
                "mutation_id": list("abcde"),
                "date": pd.to_datetime(days),
                "property_type": ["apartment", "apartment", "apartment", "house", "apartment"],
                "living_area_m2": 50.0,
                "rooms": 2,
                "land_area_m2": 0.0,
                "price": 500_000.0,
                "price_per_m2": [1.0, 9_000.0, 10_000.0, 4_000.0, 12_000.0],
                "latitude": 48.86,
                "longitude": 2.36,
                "code_commune": "75103",
            }
        )
    )
    until = date(2024, 12, 31)
    assert recent_period(until) == ("2024-01-02", "2024-12-31")
    # 2024-01-01 is 365 days before the end: no longer recent (2024 is a leap year).
    assert prices_nearby(sales, np.arange(5), until) == {
        "apartment": Prices(11_000.0, 2),
        "house": Prices(4_000.0, 1),
    }
    assert prices_nearby(sales, np.array([0], dtype="int64"), until)["apartment"] == Prices(None, 0)
