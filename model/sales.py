"""The bundle's sales as columns, and the comparable sales shown to users.

Rows are in pool order (`model.features.History.pool`): a row found by a neighbour or a
radius search reads its sale here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from datetime import date

import numpy as np
import pandas as pd

from model.mapped import Columns, TextColumn


@dataclass(frozen=True)
class Comparable:
    """A past sale near the home."""

    mutation_id: str
    date: date
    property_type: str
    living_area_m2: float
    rooms: int | None
    land_area_m2: float
    price: float
    price_per_m2: float
    distance_m: float
    latitude: float
    longitude: float
    street: str | None
    code_commune: str
    commune_name: str | None


@dataclass(frozen=True, eq=False)
class SaleColumns:
    """Every sale of the bundle, one numpy array per column."""

    mutation_id: TextColumn
    date: np.ndarray  # datetime64[D]
    property_type: TextColumn
    living_area_m2: np.ndarray
    rooms: np.ndarray  # float, NaN when unknown
    land_area_m2: np.ndarray  # 0 when none
    price: np.ndarray
    price_per_m2: np.ndarray
    latitude: np.ndarray
    longitude: np.ndarray
    street: TextColumn  # None when unknown
    code_commune: TextColumn
    commune_name: TextColumn  # None when unknown
    parcel_id: TextColumn  # None when unknown

    @classmethod
    def from_frame(cls, sales: pd.DataFrame) -> SaleColumns:
        """Columns of a sales table already in pool order."""
        n = len(sales)
        return cls(
            mutation_id=TextColumn.of(sales["mutation_id"].astype(str)),
            date=sales["date"].to_numpy().astype("datetime64[D]"),
            property_type=TextColumn.of(sales["property_type"].astype(str)),
            living_area_m2=sales["living_area_m2"].to_numpy(dtype="float64"),
            rooms=sales["rooms"].astype("Float64").to_numpy(dtype="float64", na_value=np.nan),
            land_area_m2=sales["land_area_m2"].astype("float64").fillna(0).to_numpy(),
            price=sales["price"].to_numpy(dtype="float64"),
            price_per_m2=sales["price_per_m2"].to_numpy(dtype="float64"),
            latitude=sales["latitude"].to_numpy(dtype="float64"),
            longitude=sales["longitude"].to_numpy(dtype="float64"),
            street=_text(sales.get("street"), n),
            code_commune=TextColumn.of(sales["code_commune"].astype(str)),
            commune_name=_text(sales.get("commune_name"), n),
            parcel_id=_text(sales.get("parcel_id"), n),
        )

    def store(self, prefix: str, columns: Columns) -> None:
        """Add every column to `columns` as `<prefix>.<name>`."""
        for f in fields(self):
            columns.arrays[f"{prefix}.{f.name}"] = getattr(self, f.name)

    @classmethod
    def open(cls, prefix: str, columns: Columns) -> SaleColumns:
        """The columns `store` added (memory-mapped when `columns` was opened from disk)."""
        return cls(**{f.name: columns[f"{prefix}.{f.name}"] for f in fields(cls)})

    def __len__(self) -> int:
        return len(self.latitude)

    def comparables_at(self, rows, distances) -> list[Comparable]:
        """Sales at `rows`, `distances` metres away."""
        rows = np.asarray(rows, dtype="int64")
        # Column by column (.tolist() gives Python numbers and dates): one conversion per
        # column rather than one per field of each sale.
        s = {name: getattr(self, name)[rows].tolist() for name in _SHOWN}
        out = []
        for k, distance in enumerate(np.asarray(distances, dtype="float64").tolist()):
            rooms = s["rooms"][k]
            out.append(
                Comparable(
                    mutation_id=str(s["mutation_id"][k]),
                    date=s["date"][k],
                    property_type=str(s["property_type"][k]),
                    living_area_m2=s["living_area_m2"][k],
                    rooms=None if not math.isfinite(rooms) else int(rooms),
                    land_area_m2=s["land_area_m2"][k],
                    price=s["price"][k],
                    price_per_m2=round(s["price_per_m2"][k], 0),
                    distance_m=round(distance, 0),
                    latitude=s["latitude"][k],
                    longitude=s["longitude"][k],
                    street=_street(s["street"][k]),
                    code_commune=str(s["code_commune"][k]),
                    commune_name=s["commune_name"][k],
                )
            )
        return out

    def comparables_of(self, rows: np.ndarray, distances: np.ndarray, limit: int):
        """The first `limit` neighbours of a home (rows -1 padded, nearest first)."""
        return self.comparables_each(rows[np.newaxis], distances[np.newaxis], limit)[0]

    def comparables_each(self, rows: np.ndarray, distances: np.ndarray, limit: int):
        """`comparables_of` each home (a line of `rows` and `distances`), read in one pass:
        the homes valued together pay one read per column, not one each."""
        rows, distances = rows[:, :limit], distances[:, :limit]
        found = rows >= 0
        flat = self.comparables_at(rows[found], distances[found])  # line by line, in order
        out, start = [], 0
        for count in found.sum(axis=1).tolist():
            out.append(flat[start : start + count])
            start += count
        return out

    def matching(
        self,
        rows: np.ndarray,
        *,
        property_type=None,
        living_area_range=None,
        rooms_range=None,
        date_from=None,
        date_to=None,
    ) -> np.ndarray:
        """Which sales at `rows` pass the filters (ranges: (low, high), None for open)."""
        keep = np.ones(len(rows), dtype=bool)
        if property_type:
            keep &= self.property_type[rows] == property_type
        if living_area_range:
            keep &= _within(self.living_area_m2[rows], living_area_range)
        if rooms_range:
            keep &= _within(self.rooms[rows], rooms_range)
        if date_from:
            keep &= self.date[rows] >= np.datetime64(date_from, "D")
        if date_to:
            keep &= self.date[rows] <= np.datetime64(date_to, "D")
        return keep


# The columns a `Comparable` is read from.
_SHOWN = tuple(f.name for f in fields(Comparable) if f.name != "distance_m")


def _within(values: np.ndarray, bounds) -> np.ndarray:
    lo, hi = bounds
    return (values >= (lo if lo is not None else -np.inf)) & (
        values <= (hi if hi is not None else np.inf)
    )


def _text(series, n: int) -> TextColumn:
    if series is None:
        return TextColumn.of([None] * n)
    values = series.astype("object").to_numpy(dtype=object)
    return TextColumn.of(
        None if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA else str(v)
        for v in values
    )


def _street(street) -> str | None:
    # The street without the house number: enough to place a comparable, while a number,
    # a date and a price would point at the seller (DVF reuse: no re-identification).
    return str(street) if street else None
