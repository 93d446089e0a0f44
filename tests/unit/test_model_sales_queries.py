"""Pure parts of the site's read-only sales questions."""

from __future__ import annotations

from datetime import date

from model.sales_queries import atypical_prices, recent_since


def test_prices_far_from_the_median_are_flagged():
    values = [10_000.0, 9_500.0, 11_000.0, 1_430.0, 10_200.0, 25_000.0, None]
    assert atypical_prices(values) == [False, False, False, True, False, True, False]
    # Too few to say what is typical: nothing flagged.
    assert atypical_prices([10_000.0, 1_000.0, 9_000.0]) == [False] * 3


def test_recent_since_counts_whole_months_back():
    assert recent_since(date(2024, 12, 31), 24) == date(2022, 12, 31)
    assert recent_since(date(2024, 12, 31), 10) == date(2024, 2, 29)
    assert recent_since(date(2024, 3, 15), 3) == date(2023, 12, 15)
