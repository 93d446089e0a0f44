"""What features may look at: earlier sales, their market-relative prices, parcel and
home histories, commune context."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from model.comparables import SalesPool, day_number
from model.market import MarketIndex, month_number

_DAY_KEY = 100_000  # day numbers stay below this until the year 2243
# Up to this many keys, look them up one by one (see `_positions`).
_FEW_KEYS = 16


def home_key(parcel_id, property_type, living_area_m2, rooms) -> np.ndarray:
    """Identity of a home across its sales: parcel, type, surface to the m², rooms."""
    parcel = object_keys(parcel_id)
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


def object_keys(values) -> np.ndarray:
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
        keys = object_keys(keys)
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
        # Summed within each key (not a running total minus the key's start, whose rounding
        # would depend on the other keys' sales: a partition's history must give France's).
        cum_rel = pd.Series(s_rel, dtype="float64").groupby(s_code).cumsum().to_numpy()
        return cls(codes, s_code * _DAY_KEY + s_days, s_code, s_days, s_rel, cum_count, cum_rel)

    def last_before(self, keys, days: np.ndarray) -> np.ndarray:
        """Row (in sorted order) of the last sale with the same key strictly before the day; -1."""
        keys = object_keys(keys)
        code = np.full(len(keys), -1, dtype="int64")
        present = keys != None  # noqa: E711 (element-wise)
        if present.any():
            code[present] = _positions(self.codes, keys[present])
        pos = np.searchsorted(self.sorted_key, code * _DAY_KEY + days, side="left") - 1
        ok = (code >= 0) & (pos >= 0)
        ok[ok] &= self.sorted_code[pos[ok]] == code[ok]
        return np.where(ok, pos, -1)

    def take(self, values: np.ndarray, pos: np.ndarray, fill: float = np.nan) -> np.ndarray:
        """A sorted column (`cum_count`, `sorted_rel`…) at rows `pos` from `last_before`,
        `fill` where there is none: an empty history (no parcel ids) is never indexed."""
        out = np.full(len(pos), fill, dtype="float64")
        found = pos >= 0
        out[found] = values[pos[found]]
        return out


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
        keys = object_keys(codes)
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
