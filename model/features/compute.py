"""Subjects (a sales table's columns at training, one home at serving) → the feature
matrix, every look-up strictly earlier than the subject's date."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from model.comparables import day_number, nearest_earlier, to_xyz, type_codes
from model.features.history import History, home_key, object_keys
from model.features.names import (
    AREA_SIMILARITY,
    DISTANCE_SOFTENING_M,
    K_CLOSE,
    K_MID,
    K_NEIGHBOURS,
    MAX_NEIGHBOUR_DISTANCE_M,
    RECENCY_DAYS,
    feature_names,
)
from model.market import month_number


@dataclass
class FeatureBatch:
    """Feature matrix of subjects plus what serving reuses (market level, neighbours)."""

    matrix: np.ndarray  # float32 (n, len(names))
    names: tuple[str, ...]
    level: np.ndarray  # log €/m² market level at each subject's date
    neighbours: np.ndarray  # pool rows (n, K_NEIGHBOURS), -1 padded, nearest first
    distances: np.ndarray  # metres, inf padded

    def column(self, name: str) -> np.ndarray:
        return self.matrix[:, self.names.index(name)]


def _column(subjects, name, default=np.nan, dtype="float64") -> np.ndarray:
    n = len(subjects["latitude"])
    if name not in subjects or subjects[name] is None:
        return np.full(n, default, dtype=dtype)
    values = subjects[name]
    if isinstance(values, pd.Series):
        values = values.astype("float64") if dtype == "float64" else values
        return (
            values.to_numpy(dtype=dtype, na_value=default)
            if dtype == "float64"
            else values.to_numpy(dtype=dtype)
        )
    return np.asarray(values, dtype=dtype)


def compute(
    subjects: Mapping,
    history: History,
    tranquillity: Sequence[str] = (),
    surroundings: Sequence[str] = (),
) -> FeatureBatch:
    """Features of subjects (arrays: date, property_type, living_area_m2, rooms,
    land_area_m2, outbuildings, latitude, longitude, departement, code_commune, optional
    is_vefa, parcel_id, tq_* and sr_* columns) from the sales strictly before each one's date."""
    lat = _column(subjects, "latitude")
    lon = _column(subjects, "longitude")
    n = len(lat)
    days = day_number(np.asarray(subjects["date"]))
    types = np.asarray(subjects["property_type"], dtype=object).astype(str)
    kinds = type_codes(types)
    area = _column(subjects, "living_area_m2")
    rooms = _column(subjects, "rooms")
    level = history.market.level_before(
        np.asarray(subjects["departement"], dtype=object),
        types,
        month_number(days.astype("datetime64[D]")),
    )

    columns: dict[str, np.ndarray] = {}
    columns["is_house"] = (kinds == 1).astype("float64")
    columns["living_area_m2"] = area
    columns["rooms"] = rooms
    with np.errstate(divide="ignore", invalid="ignore"):
        columns["area_per_room"] = np.where(rooms > 0, area / rooms, np.nan)
    columns["land_area_m2"] = _column(subjects, "land_area_m2", 0.0)
    columns["outbuildings"] = _column(subjects, "outbuildings", 0.0)
    columns["is_vefa"] = _column(subjects, "is_vefa", 0.0)
    columns["latitude"], columns["longitude"] = lat, lon

    rows, dist = nearest_earlier(
        history.pool, to_xyz(lat, lon), days, kinds, K_NEIGHBOURS, MAX_NEIGHBOUR_DISTANCE_M
    )
    columns.update(_neighbourhood(rows, dist, days, area, history))
    columns.update(_building(subjects, days, types, area, rooms, history))
    codes = subjects["code_commune"] if "code_commune" in subjects else np.full(n, None)
    pop, dens = history.communes.lookup(codes)
    columns["commune_population_log"], columns["commune_density_log"] = pop, dens
    # Place-level look-ups (`model.tranquillity`, `model.surroundings`) come with the subjects.
    for name in (*tranquillity, *surroundings):
        columns[name] = _column(subjects, name)

    names = feature_names(tranquillity, surroundings)
    matrix = np.empty((n, len(names)), dtype="float32")
    for i, name in enumerate(names):
        matrix[:, i] = columns[name]
    return FeatureBatch(matrix, names, level, rows, dist)


def _neighbourhood(rows, dist, days, area, history: History) -> dict[str, np.ndarray]:
    """Market-relative prices of the nearest earlier sales of the same type, and how far."""
    # Missing neighbours (-1) are NaN in every column and weigh nothing. Assigning them
    # only when there are some keeps one estimate free of a dozen masking passes.
    invalid = rows < 0
    missing = bool(invalid.any())
    safe = np.where(invalid, 0, rows) if missing else rows

    def gather(values: np.ndarray, fill: float = np.nan) -> np.ndarray:
        out = np.asarray(values, dtype="float64")
        if missing:
            out = out.copy() if out is values else out  # never edit the caller's array
            out[invalid] = fill
        return out

    rel = gather(history.rel[safe])
    log_area = gather(history.log_area[safe])
    log_land = gather(history.log_land[safe])
    rooms = gather(history.rooms[safe])
    age = gather(days[:, None] - history.pool.days[safe])
    d = gather(dist)
    weight = gather(1.0 / (gather(dist, 0.0) + DISTANCE_SOFTENING_M), 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        spread_low, median, spread_high = _nanpercentiles(rel, (25, 50, 75))
        subject_log_area = np.log(area)[:, None]
        similar = gather(
            weight * np.exp(-np.abs(_nan_to_num(log_area) - subject_log_area) / AREA_SIMILARITY),
            0.0,
        )
        recent = weight * np.exp(-_nan_to_num(age) / RECENCY_DAYS)
        rel_or_zero = _nan_to_num(rel)
        out = {
            "knn_rel_close": _nanmedian(rel[:, :K_CLOSE]),
            "knn_rel_mid": _nanmedian(rel[:, :K_MID]),
            "knn_rel_median": median,
            "knn_rel_recent": (recent * rel_or_zero).sum(1) / recent.sum(1),
            "knn_rel_weighted": (weight * rel_or_zero).sum(1) / weight.sum(1),
            "knn_rel_similar": (similar * rel_or_zero).sum(1) / similar.sum(1),
            "knn_rel_spread": spread_high - spread_low,
            "knn_dist_nearest": np.log1p(d[:, 0]),
            "knn_dist_close": np.log1p(d[:, K_CLOSE - 1]),
            "knn_dist_mid": np.log1p(d[:, K_MID - 1]),
            "knn_dist_far": np.log1p(d[:, -1]),
            "knn_age_days": _nanmedian(age),
            "knn_log_area": _nanmedian(log_area[:, :K_MID]),
            "knn_log_land": _nanmedian(log_land[:, :K_MID]),
            "knn_rooms": _nanmedian(rooms[:, :K_MID]),
        }
    return out


def _nan_to_num(values: np.ndarray) -> np.ndarray:
    """`np.nan_to_num`, skipped (same values) when everything is finite: 5 µs per call."""
    return values if np.isfinite(values).all() else np.nan_to_num(values)


def _nanmedian(values: np.ndarray) -> np.ndarray:
    return _nanpercentiles(values, (50,))[0]


def _nanpercentiles(values: np.ndarray, qs: Sequence[float]) -> list[np.ndarray]:
    """Row-wise percentiles ignoring NaN (linear interpolation), NaN for empty rows; the
    rows are sorted once for all of them."""
    # np.nanpercentile loops in Python over rows; sorting puts NaN last, then interpolate.
    values = np.asarray(values, dtype="float64")
    ordered = np.sort(values, axis=1)
    width = ordered.shape[1]
    if width and not np.isnan(ordered[:, -1]).any():
        # No NaN (the usual case at serving): the same arithmetic with scalar positions.
        out = []
        for q in qs:
            position = (width - 1) * (q / 100.0)
            lo = math.floor(position)
            hi = min(lo + 1, width - 1)
            frac = position - lo
            out.append(ordered[:, lo] * (1 - frac) + ordered[:, hi] * frac)
        return out
    count = (~np.isnan(values)).sum(axis=1)
    last = (count - 1).clip(min=0)
    rows = np.arange(values.shape[0])
    out = []
    for q in qs:
        position = last * (q / 100.0)
        lo = np.floor(position).astype("int64")
        hi = np.minimum(lo + 1, last)
        frac = position - lo
        value = ordered[rows, lo] * (1 - frac) + ordered[rows, hi] * frac
        out.append(np.where(count > 0, value, np.nan))
    return out


def _building(subjects, days, types, area, rooms, history: History) -> dict[str, np.ndarray]:
    """Earlier sales on the same parcel (the building), and the home's previous sale."""
    parcel = subjects["parcel_id"] if "parcel_id" in subjects else None
    n = len(days)
    if parcel is None:
        parcel = np.full(n, None, dtype=object)
    parcel = object_keys(parcel)
    parcels = history.parcels
    pos = parcels.last_before(parcel, days)
    count = parcels.take(parcels.cum_count, pos, fill=0)
    out = {
        "parcel_sales": count,
        "parcel_rel_mean": parcels.take(parcels.cum_rel, pos) / np.maximum(count, 1),
        "parcel_rel_last": parcels.take(parcels.sorted_rel, pos),
        "parcel_days_since": days - parcels.take(parcels.sorted_days, pos),
    }
    homes = history.homes
    pos = homes.last_before(home_key(parcel, types, area, rooms), days)
    out["home_rel_last"] = homes.take(homes.sorted_rel, pos)
    out["home_days_since"] = days - homes.take(homes.sorted_days, pos)
    return out
