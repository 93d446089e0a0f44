"""The sales explorer's questions, read-only: the bundle's sales around a point or in a
commune, filtered, each with its €/m² brought to the latest market month."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from model import commune_sales
from model.sales_queries import SimilarSales, atypical_prices, market_month, today_factors

# At most this many sales are read for one question (nearest, or latest, first).
MAX_SALES = 5000


@dataclass(frozen=True)
class Found:
    """The sales of a question, and whether MAX_SALES cut the list."""

    sales: SimilarSales
    truncated: bool


def _found(estimator, comparables, radius_m: float, filters: dict, cut: bool) -> Found:
    factors = today_factors(estimator, comparables)
    today = [
        round(c.price_per_m2 * k, 0) if k is not None else None
        for c, k in zip(comparables, factors, strict=True)
    ]
    similar = SimilarSales(
        sales=comparables,
        today_price_per_m2=today,
        atypical=atypical_prices(today),
        radius_m=radius_m,
        since=filters.get("date_from") or date.min,
        area_range=None,
        market_month=market_month(estimator),
    )
    return Found(similar, cut)


def around(estimator, latitude: float, longitude: float, radius_m: float, filters: dict):
    """The sales within `radius_m` of a point passing `filters` (the keyword filters of
    `Estimator.comparables`), nearest first."""
    found = estimator.comparables(
        latitude, longitude, radius_m=radius_m, limit=MAX_SALES + 1, **filters
    )
    return _found(estimator, found[:MAX_SALES], radius_m, filters, len(found) > MAX_SALES)


def in_commune(estimator, code: str, filters: dict) -> Found:
    """The commune's sales passing `filters`, latest first (distance 0: not about a point)."""
    rows = commune_sales.commune_index(estimator).rows(code)
    rows = rows[estimator.sales.matching(rows, **filters)]
    kept = rows[:MAX_SALES]
    found = estimator.sales.comparables_at(kept, np.zeros(len(kept)))
    return _found(estimator, found, 0.0, filters, len(rows) > MAX_SALES)
