"""Ranges of homes placed less exactly than their parcel: fitted on out-of-time errors of
the sales a geocoder would place that way, placed as it would place them.

The backtest's sales carry DVF's coordinates (their parcel's centroid) and their parcel: the
errors behind the main range table are those of homes placed exactly. A user's address is
placed less exactly when the address index lacks it, and an index lacks the *new*
addresses (outside the BAN départements it is made of earlier sales' addresses): homes
that differ from the rest (new builds, first sales of a lot), and are harder to price
wherever they are placed. So each class is fitted on its own population, out of time:

- `interpolated`: the period's sales at an address with no earlier sale, at their point
  (an interpolated point is tens of metres off; the as-user benchmark measured no loss),
  without their parcel (serving gives a new address none);
- `street`: the same sales at their street's centre (the median point of the street ×
  commune's sales), without their parcel (no same-parcel history);
- `municipality`: the period's sales on a street with no earlier sale, at their commune's
  centre (`communes.parquet`), without their parcel.

Their features are computed again from the earlier sales, the model that did not train on
them prices them, and a `RangeTable` is fitted on the errors of each class
(`model.ranges.PrecisionRanges`, shipped in the bundle).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import lightgbm as lgb
import numpy as np
import pandas as pd

from model.equity import EquityCalibration
from model.ranges import PrecisionRanges, RangeTable
from training import evaluate as ev
from training.calibration import add_range, estimate_from

if TYPE_CHECKING:  # types only: train imports this module
    from training.train import Prepared

_POINT = ["latitude", "longitude"]
_ADDRESS = ["code_commune", "street", "address_number", "address_suffix"]
_FRAME = ["departement", "property_type", "price", "code_commune"]


def street_centres(sales: pd.DataFrame) -> pd.DataFrame:
    """Median point of each street × commune's sales (what the index holds for a DVF street;
    BAN streets are the median of their addresses, the same places)."""
    keys = ["code_commune", "street"]
    known = sales.loc[sales["street"].notna() & sales["latitude"].notna(), [*keys, *_POINT]]
    known = known.assign(**{k: known[k].astype(str) for k in keys})
    return known.groupby(keys, observed=True)[_POINT].median()


def first_sales(sales: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Per sale (sorted by date): no earlier sale at its address (with a number), and none
    on its street (the addresses and streets an index of earlier sales lacks)."""
    text = pd.DataFrame({k: sales[k].fillna("").astype(str).str.strip() for k in _ADDRESS})
    numbered = (text["address_number"] != "").to_numpy()
    new_address = ~text.duplicated(_ADDRESS, keep="first").to_numpy() & numbered
    named = (text["street"] != "").to_numpy()
    new_street = ~text.duplicated(["code_commune", "street"], keep="first").to_numpy() & named
    return new_address, new_street


def degraded(
    sales: pd.DataFrame, kind: str, centres: pd.DataFrame, streets: pd.DataFrame | None = None
) -> tuple[pd.DataFrame, np.ndarray]:
    """The sales placed at their point (`interpolated`), their street's centre (`street`) or
    their commune's (`municipality`), without their parcel; and the mask of `sales` that
    could be placed so (rows kept)."""
    if kind == "interpolated":  # its own point (tens of metres off at worst)
        point = sales.loc[:, _POINT]
    elif kind == "street":
        keys = pd.MultiIndex.from_arrays(
            [sales["code_commune"].astype(str), sales["street"].astype(str)]
        )
        point = (streets if streets is not None else street_centres(sales)).reindex(keys)
    elif kind == "municipality":
        table = centres.drop_duplicates("code_commune").set_index("code_commune")[_POINT]
        point = table.reindex(sales["code_commune"].astype(str))
    else:
        raise ValueError(f"no degraded placement {kind!r}")
    lat, lon = point["latitude"].to_numpy(), point["longitude"].to_numpy()
    ok = np.isfinite(lat) & np.isfinite(lon)
    moved = sales.loc[ok].copy()
    moved["latitude"], moved["longitude"] = lat[ok], lon[ok]
    moved["parcel_id"] = None
    return moved.reset_index(drop=True), ok


def precision_ranges(
    prep: Prepared,
    period: np.ndarray,
    booster: lgb.Booster,
    centres: pd.DataFrame,
    log: Callable[[str], None] = lambda message: None,
    equity: EquityCalibration | None = None,
) -> tuple[PrecisionRanges, dict[str, dict]]:
    """The range table of each less exact class, fitted on `booster`'s errors on the
    `period` sales (a period it did not train on) of that class's population, placed that
    way, after the `equity` calibration serving applies first; and those errors' statistics."""
    new_address, new_street = (mask[period] for mask in first_sales(prep.sales))
    sales = prep.sales.loc[period].reset_index(drop=True)
    streets = street_centres(prep.sales)
    tables, results = {}, {}
    for kind, chosen in (
        ("interpolated", new_address),
        ("street", new_address),
        ("municipality", new_street),
    ):
        if not chosen.any():
            continue
        moved, _ = degraded(sales.loc[chosen].reset_index(drop=True), kind, centres, streets)
        if moved.empty:
            continue
        batch = prep.features_of(moved, prep.sales)
        matrix, level, spread = batch.matrix, batch.level, batch.column("knn_rel_spread")
        log(f"ranges at {kind} precision: {len(moved)} sales placed there")
        frame = moved.loc[:, _FRAME]
        frame["estimate"] = estimate_from(booster.predict(matrix), level, moved["living_area_m2"])
        if equity is not None:  # serving calibrates the estimate by its level, then ranges it
            frame["estimate"] = equity.apply(
                frame["departement"], frame["property_type"], frame["estimate"]
            )
        ok = np.isfinite(frame["estimate"].to_numpy())
        frame, spread = frame.loc[ok], np.asarray(spread)[ok]
        table = RangeTable.fit(
            np.log(frame["price"] / frame["estimate"]),
            frame["departement"].to_numpy(),
            frame["property_type"].to_numpy(),
            spread,
        )
        tables[kind] = table
        # Coverage here is in-sample (the table is fitted on these errors): only the error
        # and the width are reported; `benchmarks/accuracy.py --as-user` measures coverage.
        ranged = add_range(frame.copy(), table, spread)
        stats = ev.ratio_metrics(ranged["estimate"], ranged["price"], ranged["low"], ranged["high"])
        results[kind] = {k: v for k, v in stats.items() if k != "coverage"}
    return PrecisionRanges(tables), results
