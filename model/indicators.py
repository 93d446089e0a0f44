"""Price indicators: a commune's market quarter by quarter, and the prices around a point."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from model.comparables import PROPERTY_TYPES
from model.mapped import Columns, SortedKeys, TextColumn
from model.sales import SaleColumns

NEIGHBOURHOOD_RADIUS_M = 500.0
# Sales nearby count when they are this recent (days before the data's end).
RECENT_DAYS = 365
# The commune's recent prices: its last quarters, weighted by their sales.
RECENT_QUARTERS = 4


@dataclass(frozen=True)
class QuarterPrices:
    """One quarter of a commune's market."""

    quarter: str  # "YYYY-Qn"
    median_price_per_m2: float
    sales: int


@dataclass(frozen=True)
class Prices:
    """A median €/m² and the sales behind it (None when there are none)."""

    median_price_per_m2: float | None
    sales: int


@dataclass(frozen=True)
class Neighbourhood:
    """Price indicators and tranquillity around a point."""

    code_commune: str | None
    commune_name: str | None
    departement: str | None
    covered: bool  # the model was trained on this département
    radius_m: float
    period: tuple[str, str]  # first and last days (ISO) of the sales nearby
    prices_nearby: dict[str, Prices]  # by property type
    prices_commune_last_4_quarters: dict[str, Prices]  # by property type, and "all"
    tranquillity: dict | None
    data_until: str  # ISO


class MarketHistory:
    """Median €/m² and sales per quarter of each commune × property type (or "all").

    Rows sorted by commune, type and quarter (memory-mapped when opened from a bundle's
    columns); a commune × type is one slice of them, found by binary search and turned
    into answers when asked for: nothing per commune is built at load.
    """

    def __init__(self, quarter, median, sales, groups: SortedKeys, starts: np.ndarray):
        self._quarter, self._median, self._sales = quarter, median, sales
        self._groups = groups  # "<code_commune>\t<property_type>" of each slice
        self._starts = starts  # first row of each slice, then the number of rows

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> MarketHistory:
        """From the bundle's commune history table."""
        frame = frame.assign(
            code_commune=frame["code_commune"].astype(str),
            property_type=frame["property_type"].astype(str),
            quarter=frame["quarter"].astype(str),
        ).sort_values(["code_commune", "property_type", "quarter"], kind="stable")
        key = (frame["code_commune"] + "\t" + frame["property_type"]).to_numpy(dtype=object)
        first = np.flatnonzero(np.r_[True, key[1:] != key[:-1]]) if len(key) else np.zeros(0)
        return cls(
            TextColumn.of(frame["quarter"]),
            frame["median_price_per_m2"].to_numpy(dtype="float64"),
            frame["sales"].to_numpy(dtype="int64"),
            SortedKeys.of(pd.Index(key[first.astype("int64")], dtype=object)),
            np.r_[first, len(key)].astype("int64"),
        )

    def store(self, prefix: str, columns: Columns) -> None:
        """Add the table to `columns` as `<prefix>.<name>`."""
        columns.arrays |= {
            f"{prefix}.quarter": self._quarter,
            f"{prefix}.median": self._median,
            f"{prefix}.sales": self._sales,
            f"{prefix}.groups": self._groups.keys,
            f"{prefix}.positions": self._groups.positions,
            f"{prefix}.starts": self._starts,
        }

    @classmethod
    def open(cls, prefix: str, columns: Columns) -> MarketHistory:
        """The table `store` added."""
        return cls(
            columns[f"{prefix}.quarter"],
            columns[f"{prefix}.median"],
            columns[f"{prefix}.sales"],
            SortedKeys(columns[f"{prefix}.groups"], columns[f"{prefix}.positions"]),
            columns[f"{prefix}.starts"],
        )

    def of(self, code_commune: str, property_type: str | None = None) -> list[QuarterPrices]:
        """The commune's quarters, oldest first (all types if None)."""
        group = self._groups.get_indexer([f"{code_commune}\t{property_type or 'all'}"])[0]
        if group < 0:
            return []
        rows = np.arange(self._starts[group], self._starts[group + 1])
        return [
            QuarterPrices(str(q), round(float(m), 0), int(n))
            for q, m, n in zip(
                self._quarter[rows].tolist(),
                self._median[rows].tolist(),
                self._sales[rows].tolist(),
                strict=True,
            )
        ]

    def recent(self, code_commune: str | None) -> dict[str, Prices]:
        """The last quarters' median €/m² (weighted by sales) per type and for "all"."""
        out = {}
        for kind in (*PROPERTY_TYPES, None):
            quarters = self.of(code_commune, kind)[-RECENT_QUARTERS:] if code_commune else []
            total = sum(q.sales for q in quarters)
            median = (
                round(sum(q.median_price_per_m2 * q.sales for q in quarters) / total, 0)
                if total
                else None
            )
            out[kind or "all"] = Prices(median, total)
        return out


def recent_since(data_until: date) -> np.datetime64:
    """The last day before the recent sales (RECENT_DAYS before the data's end)."""
    return np.datetime64(data_until, "D") - np.timedelta64(RECENT_DAYS, "D")


def recent_period(data_until: date) -> tuple[str, str]:
    """First and last days (ISO) of the recent sales."""
    return (str(recent_since(data_until) + np.timedelta64(1, "D")), data_until.isoformat())


def prices_nearby(sales: SaleColumns, rows: np.ndarray, data_until: date) -> dict[str, Prices]:
    """Median €/m² of the recent sales at `rows`, per property type."""
    recent = rows[sales.date[rows] > recent_since(data_until)]
    out = {}
    for kind in PROPERTY_TYPES:
        mine = recent[sales.property_type[recent] == kind]
        median = round(float(np.median(sales.price_per_m2[mine])), 0) if len(mine) else None
        out[kind] = Prices(median, int(len(mine)))
    return out
