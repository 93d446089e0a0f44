"""The result page's dates and its commune-level figure, worded from values."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

from app.web.result import commune_figure, freshness, months_between


def test_market_month_and_data_date_in_plain_words():
    fresh = freshness("2024-12", date(2024, 12, 31), today=date(2025, 3, 1))
    assert "marché de décembre 2024" in fresh["text"] and "31 décembre 2024" in fresh["text"]
    assert fresh["warning"] is None
    old = freshness("2024-12", date(2024, 12, 31), today=date(2026, 12, 1))
    assert "24 mois" in old["warning"]
    assert months_between(date(2024, 12, 31), date(2026, 12, 1)) == 24


def test_commune_figure_is_the_communes_median_times_the_surface():
    estimate = SimpleNamespace(value=800_000.0, low=600_000.0, high=1_000_000.0)
    prop = SimpleNamespace(living_area_m2=50.0)
    figure = commune_figure(estimate, prop, SimpleNamespace(median_price_per_m2=10_000, sales=80))
    assert figure["value"] == 500_000 and figure["sales"] == 80
    assert figure["low"] == 375_000 and figure["high"] == 625_000  # the model's range ratios
    assert (
        commune_figure(estimate, prop, SimpleNamespace(median_price_per_m2=None, sales=0)) is None
    )
