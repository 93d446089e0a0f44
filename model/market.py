"""Market index: the typical log €/m² per département × property type × month.

The level "as of month m" is the median log €/m² of clean sales in a trailing window
ending with m (widened until it holds enough sales), so it never looks ahead. A sale in
month m is compared with the level as of m − 1: only months strictly before its own.
Past the data's end the level is held at its last value rather than extrapolated, and
`market_period` names the month that level reflects.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

WINDOW_MONTHS = 3
MAX_WINDOW_MONTHS = 12
# Fewer sales than this make a monthly median too noisy: the window widens instead.
MIN_SALES = 100


def month_number(dates) -> np.ndarray:
    """Months since 1970-01 (int64) of datetime64 values or `date`s."""
    values = np.asarray(dates, dtype="datetime64[M]")
    return values.astype("int64")


def month_label(month: int) -> str:
    """`YYYY-MM` of a month number."""
    return str(np.datetime64(int(month), "M"))


def trailing_levels(months: np.ndarray, log_ppm2: np.ndarray, first: int, last: int):
    """Level and sales count as of each month in [first, last] from one market's sales."""
    span = last - first + 1
    offset = months - first
    order = np.argsort(offset, kind="stable")
    offset, values = offset[order], log_ppm2[order]
    starts = np.searchsorted(offset, np.arange(span + 1))
    counts = np.diff(starts)
    cumulative = np.concatenate([[0], np.cumsum(counts)])
    levels = np.full(span, np.nan)
    used = np.zeros(span, dtype="int64")
    for m in range(span):
        window = WINDOW_MONTHS
        while True:
            lo = max(0, m - window + 1)
            n = cumulative[m + 1] - cumulative[lo]
            if n >= MIN_SALES or window >= MAX_WINDOW_MONTHS or lo == 0:
                break
            window += 1
        if n:
            levels[m] = np.median(values[starts[lo] : starts[m + 1]])
            used[m] = n
    # Empty months hold the previous level; months before the market's first sale stay
    # NaN (filling them backwards would look ahead).
    known = np.flatnonzero(~np.isnan(levels))
    if len(known):
        for i in range(known[0] + 1, span):
            if np.isnan(levels[i]):
                levels[i] = levels[i - 1]
    return levels, used


@dataclass(frozen=True)
class MarketIndex:
    """Levels per (département, property type), month by month, up to `last_month`."""

    first_month: int
    last_month: int
    levels: dict[tuple[str, str], np.ndarray]
    counts: dict[tuple[str, str], np.ndarray]

    @classmethod
    def fit(cls, departement, property_type, dates, price_per_m2) -> MarketIndex:
        """Build the index from clean sales (arrays of equal length)."""
        months = month_number(dates)
        logs = np.log(np.asarray(price_per_m2, dtype="float64"))
        deps = np.asarray(departement, dtype=object).astype(str)
        types = np.asarray(property_type, dtype=object).astype(str)
        first, last = int(months.min()), int(months.max())
        levels, counts = {}, {}
        keys = pd.MultiIndex.from_arrays([deps, types])
        for key in keys.unique():
            mask = (deps == key[0]) & (types == key[1])
            levels[key], counts[key] = trailing_levels(months[mask], logs[mask], first, last)
        return cls(first, last, levels, counts)

    def reference_month(self, months: np.ndarray) -> np.ndarray:
        """The month whose level applies at months `months`: m − 1, held at the data's end."""
        months = np.asarray(months, dtype="int64")
        return np.minimum(months - 1, self.last_month)

    def level_before(self, departement, property_type, months) -> np.ndarray:
        """Log €/m² level known at the start of each month (NaN for an unknown market)."""
        deps = np.asarray(departement, dtype=object).astype(str)
        types = np.asarray(property_type, dtype=object).astype(str)
        index = self.reference_month(months) - self.first_month
        out = np.full(len(deps), np.nan)
        # Before the index starts there is no level: NaN, never a later one.
        known = index >= 0
        for key, series in self.levels.items():
            mask = known & (deps == key[0]) & (types == key[1])
            if mask.any():
                out[mask] = series[index[mask]]
        return out

    def level_one(self, departement: str, property_type: str, on: date) -> tuple[float, str]:
        """Level and market period (`YYYY-MM`) for one valuation date; fast path for serving."""
        series = self.levels.get((departement, property_type))
        month = int(self.reference_month(np.array([month_number(np.datetime64(on, "D"))]))[0])
        if series is None or month < self.first_month:
            return float("nan"), month_label(month)
        return float(series[month - self.first_month]), month_label(month)

    def until(self, month: int) -> MarketIndex:
        """The index as it was when the data ended with `month` (levels only look back)."""
        last = min(int(month), self.last_month)
        keep = last - self.first_month + 1
        return MarketIndex(
            self.first_month,
            last,
            {k: v[:keep] for k, v in self.levels.items()},
            {k: v[:keep] for k, v in self.counts.items()},
        )

    def to_frame(self) -> pd.DataFrame:
        """One row per market × month (for the bundle)."""
        rows = []
        months = np.arange(self.first_month, self.last_month + 1)
        for (dep, kind), series in sorted(self.levels.items()):
            rows.append(
                pd.DataFrame(
                    {
                        "departement": dep,
                        "property_type": kind,
                        "month": months,
                        "level": series,
                        "sales": self.counts[(dep, kind)],
                    }
                )
            )
        return pd.concat(rows, ignore_index=True)

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> MarketIndex:
        """Inverse of `to_frame`."""
        first, last = int(frame["month"].min()), int(frame["month"].max())
        levels, counts = {}, {}
        for (dep, kind), part in frame.groupby(["departement", "property_type"], sort=True):
            part = part.sort_values("month")
            levels[(str(dep), str(kind))] = part["level"].to_numpy(dtype="float64")
            counts[(str(dep), str(kind))] = part["sales"].to_numpy(dtype="int64")
        return cls(first, last, levels, counts)
