"""The one definition of every model feature, for a whole sales table or a single home.

`History` holds what features may look at: earlier clean sales (as a `SalesPool`), their
market-relative log €/m², parcel and home histories, the market index and commune
context. `compute` turns subjects (arrays of equal length: a DataFrame's columns at
training, one row at serving) into the feature matrix. Every look-up is strictly
earlier than the subject's date, so a sale's features never depend on itself or on
anything after it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from model.comparables import SalesPool, day_number, nearest_earlier, to_xyz, type_codes
from model.market import MarketIndex, month_number

K_NEIGHBOURS = 40
K_CLOSE = 5
K_MID = 15
# Recency scale (days) of the neighbours' weights in knn_rel_recent.
RECENCY_DAYS = 365.0
# Neighbour weights: inverse distance, softened so that a sale on the same parcel (0 m)
# does not take all the weight.
DISTANCE_SOFTENING_M = 50.0
# Neighbours of a similar surface count more (scale of the log surface ratio).
AREA_SIMILARITY = 0.35
_DAY_KEY = 100_000  # day numbers stay below this until the year 2243
# Up to this many keys, look them up one by one (see `_positions`).
_FEW_KEYS = 16

ATTRIBUTES = (
    "is_house",
    "living_area_m2",
    "rooms",
    "area_per_room",
    "land_area_m2",
    "outbuildings",
    "is_vefa",
    "latitude",
    "longitude",
)
NEIGHBOURHOOD = (
    "knn_rel_close",
    "knn_rel_mid",
    "knn_rel_median",
    "knn_rel_recent",
    "knn_rel_weighted",
    "knn_rel_similar",
    "knn_rel_spread",
    "knn_dist_nearest",
    "knn_dist_close",
    "knn_dist_mid",
    "knn_dist_far",
    "knn_age_days",
    "knn_log_area",
    "knn_log_land",
    "knn_rooms",
)
BUILDING = ("parcel_sales", "parcel_rel_mean", "parcel_rel_last", "parcel_days_since")
REPEAT = ("home_rel_last", "home_days_since")
COMMUNE = ("commune_population_log", "commune_density_log")
BASE_FEATURES = ATTRIBUTES + NEIGHBOURHOOD + BUILDING + REPEAT + COMMUNE
# The baseline "LightGBM on attributes and coordinates only".
ATTRIBUTE_FEATURES = ATTRIBUTES

# Groups shown to users, each feature in one.
FEATURE_GROUPS = {
    **{name: "neighbourhood" for name in NEIGHBOURHOOD},
    **{name: "building" for name in BUILDING},
    **{name: "repeat" for name in REPEAT},
    **{name: "commune" for name in COMMUNE},
    "latitude": "location",
    "longitude": "location",
    "living_area_m2": "surface",
    "area_per_room": "rooms",
    "rooms": "rooms",
    "land_area_m2": "land",
    "outbuildings": "outbuildings",
    "is_house": "type",
    "is_vefa": "new_build",
}


def feature_names(tranquillity: Sequence[str] = ()) -> tuple[str, ...]:
    """All model features: the base ones, then the tranquillity ones (if any)."""
    return BASE_FEATURES + tuple(tranquillity)


def home_key(parcel_id, property_type, living_area_m2, rooms) -> np.ndarray:
    """Identity of a home across its sales: parcel, type, surface to the m², rooms."""
    parcel = _object_keys(parcel_id)
    kind = np.asarray(property_type, dtype=object).astype(str).astype(object)
    area = np.round(np.asarray(living_area_m2, dtype="float64"))
    rooms = _floats(rooms)
    out = np.empty(len(parcel), dtype=object)
    for i, p in enumerate(parcel):
        if p is None:
            out[i] = None
        else:
            a = "" if area[i] != area[i] else str(int(area[i]))
            r = "" if rooms[i] != rooms[i] else str(int(rooms[i]))
            out[i] = f"{p}|{kind[i]}|{a}|{r}"
    return out


def _floats(values) -> np.ndarray:
    """Numbers as float64, NaN for missing (nullable integers included)."""
    if isinstance(values, np.ndarray) and values.dtype.kind == "f":
        return values.astype("float64")  # pandas' round trip costs ~50 µs per estimate
    return pd.array(values, dtype="Float64").to_numpy(dtype="float64", na_value=np.nan)


def _positions(index: pd.Index, keys: np.ndarray) -> np.ndarray:
    """Position of each key (None excluded by the caller) in a unique index, -1 if absent."""
    if len(keys) > _FEW_KEYS:
        return index.get_indexer(keys)
    # A few keys (serving): one hash look-up each instead of get_indexer's ~50 µs set-up.
    out = np.full(len(keys), -1, dtype="int64")
    for i, key in enumerate(keys):
        try:
            out[i] = index.get_loc(key)
        except KeyError:
            pass
    return out


def _object_keys(values) -> np.ndarray:
    """Text keys as an object array, None for missing or empty ones."""
    if isinstance(values, pd.Series | pd.Index):
        values = values.astype(object).to_numpy(dtype=object)
    values = np.asarray(values, dtype=object)
    out = np.empty(len(values), dtype=object)
    for i, v in enumerate(values):
        out[i] = (
            None
            if v is None or v is pd.NA or (isinstance(v, float) and v != v) or v == ""
            else str(v)
        )
    return out


@dataclass
class _GroupHistory:
    """Sales grouped by a key (parcel or home), sorted by (key, day), with running sums."""

    codes: pd.Index
    sorted_key: np.ndarray
    sorted_code: np.ndarray
    sorted_days: np.ndarray
    sorted_rel: np.ndarray
    cum_count: np.ndarray
    cum_rel: np.ndarray

    @classmethod
    def build(cls, keys: np.ndarray, days: np.ndarray, rel: np.ndarray) -> _GroupHistory:
        keys = _object_keys(keys)
        present = keys != None  # noqa: E711 (element-wise)
        # An object-dtype index keeps one hash table: Arrow-backed strings rebuild theirs
        # on every look-up, which costs milliseconds per estimate.
        codes = pd.Index(pd.unique(keys[present]), dtype=object)
        code = np.full(len(keys), -1, dtype="int64")
        code[present] = codes.get_indexer(keys[present])
        order = np.lexsort((days, code))
        order = order[code[order] >= 0]
        s_code, s_days, s_rel = code[order], days[order], rel[order]
        # Running count and sum of rel within each key (inclusive of the row).
        starts = np.r_[True, s_code[1:] != s_code[:-1]] if len(s_code) else np.zeros(0, bool)
        group_start = np.maximum.accumulate(np.where(starts, np.arange(len(s_code)), 0))
        cum_count = np.arange(len(s_code)) - group_start + 1
        total = np.cumsum(s_rel)
        before_group = np.where(group_start > 0, total[group_start - 1], 0.0)
        cum_rel = total - before_group
        return cls(codes, s_code * _DAY_KEY + s_days, s_code, s_days, s_rel, cum_count, cum_rel)

    def last_before(self, keys, days: np.ndarray) -> np.ndarray:
        """Row (in sorted order) of the last sale with the same key strictly before the day; -1."""
        keys = _object_keys(keys)
        code = np.full(len(keys), -1, dtype="int64")
        present = keys != None  # noqa: E711 (element-wise)
        if present.any():
            code[present] = _positions(self.codes, keys[present])
        pos = np.searchsorted(self.sorted_key, code * _DAY_KEY + days, side="left") - 1
        ok = (code >= 0) & (pos >= 0)
        ok[ok] &= self.sorted_code[pos[ok]] == code[ok]
        return np.where(ok, pos, -1)


@dataclass
class Communes:
    """Population and density by INSEE code."""

    codes: pd.Index
    population_log: np.ndarray
    density_log: np.ndarray

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> Communes:
        frame = frame.drop_duplicates("code_commune")
        population = frame["population"].astype("float64").to_numpy()
        area = frame["area_km2"].astype("float64").to_numpy()
        with np.errstate(divide="ignore", invalid="ignore"):
            density = np.where(area > 0, population / area, np.nan)
            return cls(
                pd.Index(frame["code_commune"].astype(str).to_numpy(dtype=object), dtype=object),
                np.log1p(population),
                np.log1p(density),
            )

    def lookup(self, codes) -> tuple[np.ndarray, np.ndarray]:
        keys = _object_keys(codes)
        rows = _positions(self.codes, np.where(keys == None, "", keys))  # noqa: E711
        ok = rows >= 0
        pop = np.full(len(rows), np.nan)
        dens = np.full(len(rows), np.nan)
        pop[ok], dens[ok] = self.population_log[rows[ok]], self.density_log[rows[ok]]
        return pop, dens


@dataclass
class History:
    """What a feature may look at: earlier clean sales, the market index, communes."""

    pool: SalesPool
    rel: np.ndarray  # market-relative log €/m² of each pool sale
    log_area: np.ndarray
    log_land: np.ndarray
    rooms: np.ndarray
    parcels: _GroupHistory
    homes: _GroupHistory
    market: MarketIndex
    communes: Communes

    @classmethod
    def build(cls, sales: pd.DataFrame, market: MarketIndex, communes: Communes) -> History:
        """From clean sales with coordinates, sorted by date."""
        days = day_number(sales["date"].to_numpy())
        rel = relative_price(sales, market)
        keep = np.isfinite(rel)
        if not keep.all():
            raise ValueError("pool sales need a market level (date after the index start)")
        pool = SalesPool.build(
            sales["latitude"].to_numpy(),
            sales["longitude"].to_numpy(),
            sales["date"].to_numpy(),
            sales["property_type"].to_numpy(),
        )
        homes = home_key(
            sales["parcel_id"], sales["property_type"], sales["living_area_m2"], sales["rooms"]
        )
        return cls(
            pool=pool,
            rel=rel,
            log_area=np.log(sales["living_area_m2"].to_numpy(dtype="float64")),
            log_land=np.log1p(sales["land_area_m2"].astype("float64").fillna(0).to_numpy()),
            rooms=_floats(sales["rooms"]),
            parcels=_GroupHistory.build(sales["parcel_id"].to_numpy(dtype=object), days, rel),
            homes=_GroupHistory.build(homes, days, rel),
            market=market,
            communes=communes,
        )


def relative_price(sales: pd.DataFrame | Mapping, market: MarketIndex) -> np.ndarray:
    """Log €/m² minus the market level known before the sale's month: the model's target."""
    level = market.level_before(
        np.asarray(sales["departement"], dtype=object),
        np.asarray(sales["property_type"], dtype=object),
        month_number(np.asarray(sales["date"])),
    )
    return np.log(np.asarray(sales["price_per_m2"], dtype="float64")) - level


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


def compute(subjects: Mapping, history: History, tranquillity: Sequence[str] = ()) -> FeatureBatch:
    """Features of subjects (arrays: date, property_type, living_area_m2, rooms,
    land_area_m2, outbuildings, latitude, longitude, departement, code_commune, optional
    is_vefa, parcel_id and tq_* columns) from the sales strictly before each one's date."""
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

    rows, dist = nearest_earlier(history.pool, to_xyz(lat, lon), days, kinds, K_NEIGHBOURS)
    columns.update(_neighbourhood(rows, dist, days, area, history))
    columns.update(_building(subjects, days, types, area, rooms, history))
    codes = subjects["code_commune"] if "code_commune" in subjects else np.full(n, None)
    pop, dens = history.communes.lookup(codes)
    columns["commune_population_log"], columns["commune_density_log"] = pop, dens
    for name in tranquillity:
        columns[name] = _column(subjects, name)

    names = feature_names(tranquillity)
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
    parcel = _object_keys(parcel)
    parcels = history.parcels
    pos = parcels.last_before(parcel, days)
    ok = pos >= 0
    p = np.where(ok, pos, 0)
    out = {
        "parcel_sales": np.where(ok, parcels.cum_count[p], 0).astype("float64"),
        "parcel_rel_mean": np.where(
            ok, parcels.cum_rel[p] / np.maximum(parcels.cum_count[p], 1), np.nan
        ),
        "parcel_rel_last": np.where(ok, parcels.sorted_rel[p], np.nan),
        "parcel_days_since": np.where(ok, days - parcels.sorted_days[p], np.nan),
    }
    homes = history.homes
    pos = homes.last_before(home_key(parcel, types, area, rooms), days)
    ok = pos >= 0
    p = np.where(ok, pos, 0)
    out["home_rel_last"] = np.where(ok, homes.sorted_rel[p], np.nan)
    out["home_days_since"] = np.where(ok, days - homes.sorted_days[p], np.nan)
    return out
