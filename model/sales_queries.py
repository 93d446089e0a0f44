"""Read-only questions the site asks of a loaded `Estimator`: similar recent sales around a
point, their €/m² brought to the latest market month, prices far from their neighbours',
a commune's population. Nothing here loads or changes the bundle.
"""

from __future__ import annotations

import calendar
import dataclasses
import math
from dataclasses import dataclass
from datetime import date

import numpy as np

from model.geography import departement_of
from model.market import month_label, month_number
from model.sales import Comparable

# Similar: the same type, a living area within this share of the home's, sold within
# RECENT_MONTHS of the data's end; the radius widens until MIN_FOUND sales are found.
AREA_TOLERANCE = 0.3
RECENT_MONTHS = 24
RADII_M = (300.0, 600.0, 1200.0, 2500.0)
MIN_FOUND = 10
# A sale whose €/m² (at today's market) is below half or above twice the median of the
# others shown is flagged: a family sale, a life annuity, a ruin, a typo…
OUTLIER_FACTOR = 2.0
MIN_FOR_OUTLIERS = 4


@dataclass(frozen=True)
class SimilarSales:
    """Sales like the home around it, nearest first, and how they were chosen."""

    sales: list[Comparable]
    today_price_per_m2: list[float | None]  # each sale's €/m² at the market of `market_month`
    atypical: list[bool]  # far from the others' €/m² (see OUTLIER_FACTOR)
    radius_m: float
    since: date
    area_range: tuple[float, float] | None
    market_month: str  # "YYYY-MM"

    def part(self, start: int, stop: int) -> SimilarSales:
        """The same choice, sales `start` to `stop` only (as a list slice)."""
        return dataclasses.replace(
            self,
            sales=self.sales[start:stop],
            today_price_per_m2=self.today_price_per_m2[start:stop],
            atypical=self.atypical[start:stop],
        )

    def first(self, n: int) -> SimilarSales:
        """The same choice, nearest `n` sales only."""
        return self.part(0, n)


def market_month(estimator) -> str:
    """The latest month of the market index (`YYYY-MM`)."""
    return month_label(estimator.market.last_month)


def today_factors(estimator, comparables) -> list[float | None]:
    """Per sale, the ratio of the latest market level to the level of its month (its
    département × type); None when the market of either month is unknown."""
    if not comparables:
        return []
    market = estimator.market
    deps = [departement_of(c.code_commune) or "" for c in comparables]
    kinds = [c.property_type for c in comparables]
    # `level_before(m + 1)` is the level as of month m: the sale's own month.
    months = month_number([np.datetime64(c.date, "D") for c in comparables]) + 1
    then = market.level_before(deps, kinds, months)
    now = market.level_before(deps, kinds, np.full(len(deps), market.last_month + 1))
    ratio = np.exp(now - then)
    return [float(r) if math.isfinite(r) else None for r in ratio.tolist()]


def atypical_prices(values: list[float | None]) -> list[bool]:
    """Which €/m² are below 1/OUTLIER_FACTOR or above OUTLIER_FACTOR times the median of
    the known ones (none flagged with fewer than MIN_FOR_OUTLIERS known values)."""
    known = [v for v in values if v is not None and v > 0]
    if len(known) < MIN_FOR_OUTLIERS:
        return [False] * len(values)
    median = float(np.median(known))
    return [
        v is not None and (v <= 0 or v < median / OUTLIER_FACTOR or v > median * OUTLIER_FACTOR)
        for v in values
    ]


def recent_since(data_until: date, months: int = RECENT_MONTHS) -> date:
    """The first day of the recent sales: `months` before the data's end."""
    year, month = divmod(data_until.year * 12 + data_until.month - 1 - months, 12)
    last_day = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(data_until.day, last_day))


def similar_sales(
    estimator,
    latitude: float,
    longitude: float,
    property_type: str,
    living_area_m2: float | None,
    *,
    limit: int,
    radii_m: tuple[float, ...] = RADII_M,
) -> SimilarSales:
    """The nearest `limit` sales like the home, the radius widening until MIN_FOUND (or
    `limit`, if smaller) are found."""
    since = recent_since(estimator.data_until)
    area_range = None
    if living_area_m2:
        area_range = (
            living_area_m2 * (1 - AREA_TOLERANCE),
            living_area_m2 * (1 + AREA_TOLERANCE),
        )
    found: list[Comparable] = []
    radius = radii_m[-1]
    for radius in radii_m:
        found = estimator.comparables(
            latitude,
            longitude,
            radius_m=radius,
            limit=limit,
            property_type=property_type,
            living_area_range=area_range,
            date_from=since,
        )
        if len(found) >= min(MIN_FOUND, limit):
            break
    factors = today_factors(estimator, found)
    today = [
        round(c.price_per_m2 * f, 0) if f is not None else None
        for c, f in zip(found, factors, strict=True)
    ]
    return SimilarSales(
        sales=found,
        today_price_per_m2=today,
        atypical=atypical_prices(today),
        radius_m=radius,
        since=since,
        area_range=area_range,
        market_month=market_month(estimator),
    )


def commune_population(estimator, code_commune: str | None) -> float | None:
    """The commune's population from the bundle's reference table, None when unknown."""
    if not code_commune:
        return None
    population_log, _ = estimator.history.communes.lookup([str(code_commune)])
    value = float(np.expm1(population_log[0]))
    return value if math.isfinite(value) else None


def commune_name(estimator, code_commune: str | None) -> str | None:
    """The commune's name, None when unknown."""
    return estimator.places.commune_name(code_commune) if code_commune else None


def commune_recent(estimator, code_commune: str | None, property_type: str):
    """The commune's median €/m² of its last quarters for a type (`indicators.Prices`)."""
    if not code_commune:
        return None
    return estimator.commune_history.recent(code_commune).get(property_type)
