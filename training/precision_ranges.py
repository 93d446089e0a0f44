"""Ranges of homes placed less exactly than their parcel: fitted on out-of-time errors of
sales placed as a geocoder would place them when it finds only the street or the commune.

The backtest's sales carry DVF's coordinates (their parcel's centroid) and their parcel: the
errors behind the main range table are those of homes placed exactly. A user's address
may be found only at its street (the point: the centre of the street's known points) or
at its commune (the commune's centre); the home then has no parcel of its own, so no
same-parcel history, and its neighbours are those of another point. Here the sales of an
out-of-time period are moved that way (`degraded`), their features computed again from
the earlier sales, priced by the model that did not train on them, and the quantiles of
those errors fitted per class (`model.ranges.PrecisionRanges`, shipped in the bundle).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import lightgbm as lgb
import numpy as np
import pandas as pd

from model.ranges import PrecisionRanges, RangeTable
from training import evaluate as ev
from training.calibration import add_range, estimate_from

if TYPE_CHECKING:  # types only: train imports this module
    from training.train import Prepared

DEGRADED = ("street", "municipality")


def street_centres(sales: pd.DataFrame) -> pd.DataFrame:
    """Median point of each street × commune's sales (what the index holds for a DVF street;
    BAN streets are the median of their addresses, the same places)."""
    keys = ["code_commune", "street"]
    known = sales.loc[sales["street"].notna() & sales["latitude"].notna(), [*keys, *_POINT]]
    known = known.assign(**{k: known[k].astype(str) for k in keys})
    return known.groupby(keys, observed=True)[_POINT].median()


_POINT = ["latitude", "longitude"]


def degraded(
    sales: pd.DataFrame, kind: str, centres: pd.DataFrame, streets: pd.DataFrame | None = None
) -> tuple[pd.DataFrame, np.ndarray]:
    """The sales placed at their street's centre (`street`) or their commune's (`municipality`),
    without their parcel; and the mask of `sales` that could be placed so (rows kept)."""
    if kind == "street":
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
) -> tuple[PrecisionRanges, dict[str, dict]]:
    """The range table of each degraded class, fitted on `booster`'s errors on the `period`
    sales (a period it did not train on) placed that way; and those errors' statistics."""
    sales = prep.sales.loc[period].reset_index(drop=True)
    streets = street_centres(prep.sales)
    tables, results = {}, {}
    for kind in DEGRADED:
        moved, _ = degraded(sales, kind, centres, streets)
        if moved.empty:
            continue
        log(f"ranges at {kind} precision: {len(moved)} sales placed there")
        batch = prep.features_of(moved, prep.sales)
        frame = moved.loc[:, ["departement", "property_type", "price", "code_commune"]]
        frame["estimate"] = estimate_from(
            booster.predict(batch.matrix), batch.level, moved["living_area_m2"]
        )
        frame = frame.loc[np.isfinite(frame["estimate"].to_numpy())]
        spread = batch.column("knn_rel_spread")[frame.index.to_numpy()]
        table = RangeTable.fit(
            np.log(frame["price"] / frame["estimate"]),
            frame["departement"].to_numpy(),
            frame["property_type"].to_numpy(),
            spread,
        )
        tables[kind] = table
        # Coverage here is in-sample (the table is fitted on these errors): only the error
        # and the width are reported; `benchmarks/accuracy.py --as-user` measures coverage.
        stats = ev.ratio_metrics(**_range_of(frame, table, spread))
        results[kind] = {k: v for k, v in stats.items() if k != "coverage"}
    return PrecisionRanges(tables), results


def _range_of(frame: pd.DataFrame, table: RangeTable, spread) -> dict:
    ranged = add_range(frame.copy(), table, spread)
    return {k: ranged[k] for k in ("estimate", "price", "low", "high")}
