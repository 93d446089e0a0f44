"""Where a point is: the sales around it, its commune, its parcel.

Three trees on the sphere (`model.comparables.to_xyz`): every sale of the bundle (both
types), the address points of `reference/address_points/` (written by prepare with their
tree, memory-mapped here) and the commune centres of `reference/communes.parquet`.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.neighbors import KDTree

from model.comparables import chord_to_metres, metres_to_chord, to_xyz
from model.mapped import Columns, TextColumn, open_columns, write_columns
from model.trees import build_tree, open_tree, store_tree

# A point this close to a known sale is taken to be on that sale's parcel (DVF places
# sales at the parcel's centroid; an address point lies a few metres away).
PARCEL_SNAP_M = 12.0
# Commune of a point: the nearest sale or address within this distance, else the
# nearest commune centre within LOCATE_CENTROID_M.
LOCATE_SALE_M = 2_000.0
LOCATE_CENTROID_M = 30_000.0
POINTS_DIR = "address_points"
COMMUNE_COLUMNS = ["code_commune", "name", "population", "area_km2", "latitude", "longitude"]


@dataclass(frozen=True, eq=False)
class Points:
    """Points in a tree, each with the INSEE code of its commune."""

    tree: KDTree
    codes: np.ndarray | TextColumn

    @classmethod
    def of(cls, frame: pd.DataFrame) -> Points:
        """From a frame with `latitude`, `longitude` and `code_commune`."""
        return cls(
            build_tree(to_xyz(frame["latitude"], frame["longitude"])),
            frame["code_commune"].astype(str).to_numpy(dtype=object),
        )


def read_communes(reference: Path) -> pd.DataFrame:
    """The commune table (codes, names, population, area, centre); empty when absent."""
    path = reference / "communes.parquet"
    if path.is_file():
        return pd.read_parquet(path)
    return pd.DataFrame(columns=COMMUNE_COLUMNS)


def write_points(reference: Path, latitude, longitude, communes: TextColumn) -> None:
    """The address points of `reference/address_points/`, with their tree (prepare)."""
    xyz = to_xyz(latitude, longitude)
    columns = Columns({"xyz": xyz, "code_commune": communes}, {"layout": 1})
    if len(xyz):
        store_tree(build_tree(xyz), "tree", columns, data="xyz")
    folder = Path(reference) / POINTS_DIR
    partial = folder.with_name(f".{POINTS_DIR}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    write_columns(partial, columns)
    shutil.rmtree(folder, ignore_errors=True)
    partial.rename(folder)


def read_addresses(reference: Path) -> Points | None:
    """The address points with their commune (memory-mapped), None when there are none."""
    folder = reference / POINTS_DIR
    if folder.is_dir():
        columns = open_columns(folder)
        if "tree" not in columns.meta:
            return None
        return Points(open_tree(columns, "tree"), columns["code_commune"])
    path = reference / "addresses.parquet"  # a reference written before the points
    if not path.is_file():
        return None
    frame = pd.read_parquet(path, columns=["code_commune", "latitude", "longitude"]).dropna()
    return None if frame.empty else Points.of(frame)


class Places:
    """Sales, address points and commune centres, searched by distance."""

    def __init__(
        self,
        sales: np.ndarray | KDTree,
        sale_communes,
        sale_parcels,
        communes: pd.DataFrame,
        addresses: Points | None = None,
    ):
        """`sales`: their tree, or their (n, 3) points; communes and parcels by sale row
        (arrays or `model.mapped.TextColumn`s)."""
        self._sales = sales if isinstance(sales, KDTree) else build_tree(sales)
        self._sale_communes = sale_communes
        self._sale_parcels = sale_parcels
        self._addresses = addresses
        centres = communes.dropna(subset=["latitude", "longitude"])
        self._centres = Points.of(centres)
        self.commune_names = dict(
            zip(communes["code_commune"].astype(str), communes["name"].astype(str), strict=False)
        )

    def __len__(self) -> int:
        """How many sales."""
        return len(self._sale_communes)

    def commune_name(self, code) -> str | None:
        """The name of a commune, None when unknown."""
        return self.commune_names.get(str(code))

    def nearest_sales(self, xyz: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Distance (metres) and row of the nearest sale of any type to each point."""
        if not len(self) or not len(xyz):
            return np.full(len(xyz), np.inf), np.full(len(xyz), -1, dtype="int64")
        chord, rows = self._sales.query(xyz, k=1)
        return chord_to_metres(chord[:, 0]), rows[:, 0]

    def sales_within(self, latitude, longitude, radius_m: float):
        """Rows and distances (metres) of the sales within `radius_m` of a point, nearest first."""
        found, chords = self._sales.query_radius(
            to_xyz([latitude], [longitude]),
            r=metres_to_chord(float(radius_m)),
            return_distance=True,
            sort_results=True,
        )
        return found[0], chord_to_metres(chords[0])

    def rows_within(self, latitude, longitude, radius_m: float) -> np.ndarray:
        """Rows of the sales within `radius_m` of a point, in no order (no distances)."""
        point = to_xyz([latitude], [longitude])
        return self._sales.query_radius(point, r=metres_to_chord(float(radius_m)))[0]

    def parcels(self, xyz: np.ndarray, given, nearest) -> np.ndarray:
        """Parcel of each point: given, else the parcel of a sale within PARCEL_SNAP_M;
        `nearest`: a function giving the points' `nearest_sales` (shared with `locate`)."""
        out = np.full(len(xyz), None, dtype=object)
        if given is not None:
            for j, value in enumerate(given):
                if value is not None and str(value).strip() and str(value) != "nan":
                    out[j] = str(value).strip()
        todo = np.array([j for j in range(len(xyz)) if out[j] is None], dtype="int64")
        if len(todo) and len(self):
            metres, rows = nearest()
            metres, rows = metres[todo], rows[todo]
            near = metres <= PARCEL_SNAP_M
            out[todo[near]] = self._sale_parcels[rows[near]]
        return out

    def locate(self, xyz: np.ndarray, nearest=None) -> list[str | None]:
        """INSEE code of each point (None when nothing is near); `nearest` as in `parcels`."""
        out: list[str | None] = [None] * len(xyz)
        best = np.full(len(xyz), np.inf)
        if len(self):
            metres, rows = nearest() if nearest is not None else self.nearest_sales(xyz)
            for j in range(len(xyz)):
                d = float(metres[j])
                if d <= LOCATE_SALE_M:
                    out[j], best[j] = self._sale_communes[rows[j]], d
        if self._addresses is not None:
            chord, rows = self._addresses.tree.query(xyz, k=1)
            for j in range(len(xyz)):
                d = float(chord_to_metres(chord[j, 0]))
                if d <= LOCATE_SALE_M and d < best[j]:
                    out[j], best[j] = self._addresses.codes[rows[j, 0]], d
        missing = [j for j in range(len(xyz)) if out[j] is None]
        if missing and len(self._centres.codes):
            chord, rows = self._centres.tree.query(xyz[missing], k=1)
            for j, c, r in zip(missing, chord[:, 0], rows[:, 0], strict=True):
                if chord_to_metres(c) <= LOCATE_CENTROID_M:
                    out[j] = self._centres.codes[r]
        return out

    def locate_commune(self, latitude: float, longitude: float) -> str | None:
        """INSEE code of a point: nearest known sale or address, else nearest commune centre."""
        return self.locate(to_xyz([latitude], [longitude]))[0]


class Nearest:
    """`Places.nearest_sales` of a batch's points, queried once, on first need."""

    def __init__(self, places: Places, xyz: np.ndarray):
        self._places, self._xyz, self._found = places, xyz, None

    def of(self, which) -> tuple[np.ndarray, np.ndarray]:
        """(metres, rows) of the points at positions `which`."""
        if self._found is None:
            self._found = self._places.nearest_sales(self._xyz)
        metres, rows = self._found
        return metres[which], rows[which]
