"""Outlier flags for training: robust bounds on log €/m² within area × type × period.

Flags, never deletions: evaluation chooses whether to use flagged sales.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from model.property import LIVING_AREA_RANGE

# Below this a price is symbolic (family transfer, one-euro sale, viager bouquet of nothing).
SYMBOLIC_PRICE = 1_000.0
# Median ± K robust standard deviations (1.4826 × MAD) of log €/m².
K = 3.5
# Homogeneous areas would get bounds too tight to be a typo test: a floor on the spread.
MIN_SIGMA = 0.20
# An area × type × period cell needs this many sales to give its own bounds.
MIN_SALES = 30
# Area levels from finest to coarsest; each thin cell falls back to the next.
AREA_LEVELS = ("code_commune", "departement")


def _robust_stats(log_ppm2: pd.Series, keys: list[pd.Series]) -> pd.DataFrame:
    """Median, robust sigma and count of log €/m² per cell, aligned on each sale."""
    grouped = log_ppm2.groupby(keys, observed=True, sort=False, dropna=False)
    median = grouped.transform("median")
    mad = (log_ppm2 - median).abs().groupby(keys, observed=True, sort=False, dropna=False)
    sigma = 1.4826 * mad.transform("median")
    count = grouped.transform("count")
    return pd.DataFrame({"median": median, "sigma": sigma, "count": count})


def flag_outliers(sales: pd.DataFrame) -> pd.DataFrame:
    """The sales with `is_outlier` and `outlier_reason` filled in (first reason wins)."""
    price = sales["price"].astype("float64")
    area = sales["living_area_m2"].astype("float64")
    log_ppm2 = np.log(price / area).where((price > 0) & (area > 0))
    # A cell is a whole calendar year, later sales included: acceptable because a flag only
    # decides which sales train and serve as history, it is never a feature of a sale.
    period = sales["date"].dt.year
    # Compare within the sale's period and type; fall back to coarser areas when thin.
    median = pd.Series(np.nan, index=sales.index)
    sigma = pd.Series(np.nan, index=sales.index)
    for level in AREA_LEVELS:
        stats = _robust_stats(log_ppm2, [sales[level], sales["property_type"], period])
        usable = median.isna() & (stats["count"] >= MIN_SALES)
        median[usable] = stats.loc[usable, "median"]
        sigma[usable] = stats.loc[usable, "sigma"]
    sigma = sigma.clip(lower=MIN_SIGMA)
    reason = pd.Series("", index=sales.index, dtype="str")
    checks = [
        ("symbolic_price", price < SYMBOLIC_PRICE),
        # The surfaces a user may ask about (below 9 m² a home is not legally habitable):
        # sales outside them would teach the model about homes it never values.
        ("implausible_area", (area < LIVING_AREA_RANGE[0]) | (area > LIVING_AREA_RANGE[1])),
        ("price_per_m2_low", log_ppm2 < median - K * sigma),
        ("price_per_m2_high", log_ppm2 > median + K * sigma),
    ]
    for name, applies in checks:
        reason[applies.fillna(False) & (reason == "")] = name
    return sales.assign(is_outlier=(reason != "").to_numpy(), outlier_reason=reason.to_numpy())
