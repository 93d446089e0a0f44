"""`Surroundings`: stations, coast, commune centres, incomes and equipment, behind `features`.

`load` reads `reference/surroundings/` (and the commune centres of
`reference/communes.parquet`); `features` gives the `sr_*` features of points at dates,
the whole sales table at training or one home at serving.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from model.comparables import chord_to_metres, to_xyz
from model.features.names import SURROUNDINGS
from model.geography import departement_of
from model.mapped import open_columns
from model.surroundings.areas import AreaValues, IrisShapes
from model.surroundings.stations import Network

REFERENCE_DIR = "surroundings"
STATIONS_DIR = "points"
NETWORKS = ("rail", "urban", "coast")
# The urban network (IDFM metro, RER, tram) is only described in Île-de-France.
ILE_DE_FRANCE = frozenset({"75", "77", "78", "91", "92", "93", "94", "95"})
# Area values (the `name` of `areas.parquet` rows) and where each is looked up.
COMMUNE_VALUES = (
    "sr_income_commune",
    "sr_schools_per_1000",
    "sr_shops_per_1000",
    "sr_health_per_1000",
)
IRIS_VALUES = ("sr_income_iris", "sr_schools_iris", "sr_shops_iris", "sr_health_iris")
FEATURE_COLUMNS = pd.Index(SURROUNDINGS)


def _days(dates) -> np.ndarray:
    """Dates as datetime64[D] (NaT when unknown), without pandas when they already are."""
    if isinstance(dates, np.ndarray) and dates.dtype.kind == "M":
        return dates.astype("datetime64[D]")
    return np.asarray(pd.to_datetime(np.asarray(dates)), dtype="datetime64[D]")


class Surroundings:
    """The reference tables of `reference/surroundings/`, loaded."""

    def __init__(
        self,
        networks: dict[str, Network],
        areas: AreaValues,
        iris: IrisShapes | None,
        centres: pd.DataFrame,
        sources: dict | None = None,
    ):
        self.networks = networks
        self.areas = areas
        self.iris = iris
        codes = centres["code_commune"].astype(str).to_numpy()
        self._centre = dict(zip(codes, range(len(codes)), strict=True))
        self._centre_xyz = to_xyz(centres["latitude"], centres["longitude"])
        self.sources = sources or {}

    @classmethod
    def load(cls, reference_dir: str | Path) -> Surroundings:
        """From `reference/` (its `surroundings/` folder and `communes.parquet`)."""
        reference = Path(reference_dir)
        folder = reference / REFERENCE_DIR
        columns = open_columns(folder / STATIONS_DIR)
        networks = {name: Network.open(name, columns) for name in NETWORKS}
        areas = AreaValues(pd.read_parquet(folder / "areas.parquet"))
        shapes = pd.read_parquet(folder / "iris.parquet")
        iris = IrisShapes(shapes["code"], shapes["wkb"]) if len(shapes) else None
        centres = pd.read_parquet(
            reference / "communes.parquet", columns=["code_commune", "latitude", "longitude"]
        )
        sources = json.loads((folder / "sources.json").read_text(encoding="utf-8"))
        return cls(networks, areas, iris, centres, sources)

    def features(self, longitude, latitude, dates, code_commune) -> pd.DataFrame:
        """The `sr_*` features (float32, NaN = unknown) of points at dates, one row per point."""
        lon = np.asarray(longitude, dtype="float64")
        lat = np.asarray(latitude, dtype="float64")
        days = _days(dates)
        codes = [None if c is None or c != c else str(c) for c in code_commune]
        if not len(lon) == len(lat) == len(days) == len(codes):
            raise ValueError("longitude, latitude, dates and codes differ in length")
        xyz = to_xyz(lat, lon)
        known = np.isfinite(xyz).all(axis=1)
        xyz = np.where(known[:, None], xyz, 0.0)
        unknown_day = np.isnat(days)
        day = np.where(unknown_day, np.iinfo("int64").min, days.astype("int64"))
        year = np.where(unknown_day, -1, days.astype("datetime64[Y]").astype("int64") + 1970)
        in_idf = np.array([c is not None and departement_of(c) in ILE_DE_FRANCE for c in codes])
        out = {
            "sr_rail_station_m": self.networks["rail"].nearest_m(xyz, day),
            "sr_urban_station_m": np.where(
                in_idf, self.networks["urban"].nearest_m(xyz, day), np.nan
            ),
            "sr_sea_m": self.networks["coast"].nearest_m(xyz, day),
            "sr_centre_m": self._centre_m(xyz, codes),
        }
        for name in out:
            out[name] = np.where(known, out[name], np.nan)
        for name in COMMUNE_VALUES:
            out[name] = self.areas.lookup(name, codes, year)
        iris = self.iris.locate(lon, lat) if self.iris is not None else [None] * len(codes)
        for name in IRIS_VALUES:
            out[name] = self.areas.lookup(name, iris, year)
        # One float32 block: a frame of one array, not one per column (≈ 10 µs, not 300).
        matrix = np.column_stack([out[name] for name in SURROUNDINGS]).astype("float32")
        return pd.DataFrame(matrix, columns=FEATURE_COLUMNS, copy=False)

    def _centre_m(self, xyz: np.ndarray, codes: list) -> np.ndarray:
        if not len(self._centre_xyz):
            return np.full(len(codes), np.nan)
        rows = np.array([self._centre.get(c, -1) if c else -1 for c in codes], dtype="int64")
        found = rows >= 0
        chord = np.linalg.norm(xyz - self._centre_xyz[np.where(found, rows, 0)], axis=1)
        return np.where(found, chord_to_metres(chord), np.nan)
