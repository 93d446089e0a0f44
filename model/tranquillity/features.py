"""The `tq_*` features: one definition, vectorised for a sales table, fast for one point.

Both paths read the same tables with the same rules (no look-ahead: a sale in year Y
uses the figures of Y − 1 at the latest; unknown is NaN, never 0), and give float32.
"""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pandas as pd

from model.geography import statistics_commune
from model.tranquillity.cameras import CAMERA_FEATURES, Cameras
from model.tranquillity.tables import GROUPS, YearTable

FEATURES = (
    *(f"tq_{group}_rate" for group in GROUPS),
    # Years between the date and the figures used: 1 normally, more when a later year
    # was not published (the flag of the fallback).
    *(f"tq_{group}_age" for group in GROUPS),
    *CAMERA_FEATURES,
)
FEATURE_COLUMNS = pd.Index(FEATURES)
# Points per camera query of the vectorised path: bounds its memory on a whole sales table.
CHUNK = 50_000
# Up to this many points, each is read by the one-point path: the vectorised path's fixed
# cost exceeds their look-ups (4 points: 135 µs one by one, 360 µs vectorised; 16: 510
# against 450).
FEW_POINTS = 12
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


def day_and_year(dates) -> tuple[int | None, int]:
    """Day (since 1970, None when unknown) and year of the one date of `dates`."""
    value = next(iter(dates))
    # Plain dates skip pandas (tens of µs); anything else goes the way `features` reads many.
    if value is not pd.NaT and isinstance(value, date) and 1678 < value.year < 2262:
        if getattr(value, "tzinfo", None) is None:
            return value.toordinal() - _EPOCH_ORDINAL, value.year
    if not isinstance(value, np.datetime64):
        value = np.asarray(pd.to_datetime(np.asarray(dates)), dtype="datetime64[D]")[0]
    day = value.astype("datetime64[D]")
    if np.isnat(day):
        return None, -1
    return int(day.astype("int64")), int(day.astype("datetime64[Y]").astype("int64")) + 1970


def point_count(longitude, latitude, dates, codes) -> int | None:
    """How many points the inputs hold; None when they are not sequences of one length."""
    try:
        lengths = {len(longitude), len(latitude), len(dates), len(codes)}
    except TypeError:
        return None
    return lengths.pop() if len(lengths) == 1 else None


def matrix_many(
    communes: YearTable, cameras: Cameras, longitude, latitude, dates, code_commune_stats
) -> np.ndarray:
    """The `tq_*` features of points at dates: float32, one row per point, `FEATURES` in order."""
    longitude = np.asarray(longitude, dtype="float64")
    latitude = np.asarray(latitude, dtype="float64")
    dates = as_days(dates)
    codes = [statistics_commune(c) for c in code_commune_stats]
    lengths = {len(longitude), len(latitude), len(dates), len(codes)}
    if len(lengths) != 1:
        raise ValueError(f"longitude, latitude, dates and codes differ in length: {lengths}")
    columns = rate_features(communes, codes, dates)
    columns |= {name: np.full(len(longitude), np.nan) for name in CAMERA_FEATURES}
    for start in range(0, len(longitude), CHUNK):
        part = slice(start, start + CHUNK)
        for name, values in cameras.count_many(
            longitude[part], latitude[part], dates[part], codes[part]
        ).items():
            columns[name][part] = values
    matrix = np.empty((len(longitude), len(FEATURES)), dtype="float32")
    for k, name in enumerate(FEATURES):
        matrix[:, k] = columns[name]
    return matrix


def as_days(dates) -> np.ndarray:
    """Dates as datetime64[D] (NaT when unknown); numpy dates skip pandas' parsing."""
    values = np.asarray(dates)
    if values.dtype.kind == "M":
        return values.astype("datetime64[D]")
    return np.asarray(pd.to_datetime(values), dtype="datetime64[D]")


def rate_features(communes: YearTable, codes: list[str], dates: np.ndarray) -> dict:
    """`tq_<group>_rate` and `tq_<group>_age` of communes (statistics codes) at dates."""
    rows = communes.rows(codes)
    known_date = ~np.isnat(dates)
    # No look-ahead: a sale in year Y uses the figures of Y − 1 at the latest.
    years = np.where(known_date, dates.astype("datetime64[Y]").astype("int64") + 1970 - 1, -1)
    rows = np.where(known_date, rows, -1)
    out = {}
    for group in GROUPS:
        value, used = communes.latest(f"{group}_rate", rows, years)
        out[f"tq_{group}_rate"] = value
        out[f"tq_{group}_age"] = np.where(used >= 0, years + 1 - used, np.nan)
    return out


def matrix_one(
    communes: YearTable, cameras: Cameras, longitude, latitude, dates, code_commune_stats
) -> np.ndarray:
    """`matrix_many` of one point, without the per-call overhead of the vectorised path."""
    day, year = day_and_year(dates)
    code = statistics_commune(next(iter(code_commune_stats)))
    row = communes.row(code) if day is not None else -1
    rates, ages = [], []
    for group in GROUPS:
        # No look-ahead: the figures of the year before, at the latest.
        value, used = communes.latest_one(f"{group}_rate", row, year - 1)
        rates.append(value)
        ages.append(year - used if used >= 0 else math.nan)
    point = cameras.count_one(
        np.asarray(longitude, dtype="float64")[0],
        np.asarray(latitude, dtype="float64")[0],
        day,
        code,
    )
    return np.array([[*rates, *ages, *point]], dtype="float32")


def matrix_each(
    communes: YearTable, cameras: Cameras, longitude, latitude, dates, code_commune_stats
) -> np.ndarray:
    """`matrix_many` of a few points (at most `FEW_POINTS`), each read by `matrix_one`."""
    longitude = np.asarray(longitude, dtype="float64")
    latitude = np.asarray(latitude, dtype="float64")
    dates, codes = as_days(dates), list(code_commune_stats)
    return np.concatenate(
        [
            matrix_one(communes, cameras, longitude[k : k + 1], latitude[k : k + 1],
                       dates[k : k + 1], codes[k : k + 1])
            for k in range(len(codes))
        ]
    )  # fmt: skip
