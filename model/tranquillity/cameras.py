"""Camera points and coverage areas: counts within radii and the nearest camera, at a date.

Only communes with a complete published list are covered; elsewhere the counts are
unknown (NaN), never 0. A camera put in service after the date did not exist then; one
without a date is counted as in service, and flagged.
"""

from __future__ import annotations

import math
from functools import lru_cache, partial

import numpy as np
import pandas as pd
from sklearn.neighbors import BallTree

from model.comparables import EARTH_RADIUS_M
from model.tranquillity.grid import CameraGrid, haversine_m, to_radians

RADII_M = (100, 250, 500)
# Undated cameras are counted within this radius (one of RADII_M).
UNDATED_RADIUS_M = 250
# Distances to the nearest camera are measured up to this radius; beyond, this value.
NEAREST_CAP_M = 1000.0
# The camera features, in the order `Cameras.count_one` gives them.
CAMERA_FEATURES = (
    *(f"tq_cameras_{radius}m" for radius in RADII_M),
    f"tq_cameras_{UNDATED_RADIUS_M}m_undated",
    "tq_camera_nearest_m",
)
# Camera queries reach a little beyond the cap (radians): what they find is then kept by
# its distance in metres from `haversine_m`, the one distance both paths use.
QUERY_RADIUS = NEAREST_CAP_M / EARTH_RADIUS_M * (1 + 1e-6)
# One-point counts kept per process: a home's features and its summary ask for the same
# point and day (the second look-up then costs ≈ 1 µs instead of ≈ 50).
ONE_POINT_CACHE = 1024


class Cameras:
    """Camera points (radians, days in service since 1970) and the communes they cover."""

    def __init__(self, cameras: pd.DataFrame, coverage: pd.DataFrame):
        self.covered = frozenset(coverage["code"].astype(str))
        # Dates in service as days since 1970; NaT (unknown) counted as in service, flagged.
        days = pd.to_datetime(cameras["in_service"]).to_numpy().astype("datetime64[D]")
        self.undated = np.isnat(days)
        self.days = np.where(self.undated, 0, days.astype("int64"))
        coordinates = to_radians(
            cameras["longitude"].to_numpy(float), cameras["latitude"].to_numpy(float)
        )
        self.lat = np.ascontiguousarray(coordinates[:, 0])
        self.lon = np.ascontiguousarray(coordinates[:, 1])
        self.cos_lat = np.cos(self.lat)
        # A tree answers many points at once; the grid answers one point without its overhead.
        self._tree = self._grid = None
        if len(cameras):
            self._tree = BallTree(coordinates, metric="haversine")
            self._grid = CameraGrid(
                self.lat, self.lon, self.cos_lat, self.days, self.undated, QUERY_RADIUS
            )
        self.count = len(cameras)
        # Over the grid, not `self`: no reference cycle, freed with the bundle that had it.
        self.count_one = lru_cache(maxsize=ONE_POINT_CACHE)(
            partial(_count_one, self._grid, self.covered)
        )

    def count_many(self, longitude, latitude, dates, codes) -> dict[str, np.ndarray]:
        """The camera features of points (degrees) at dates (datetime64[D]) in communes."""
        n = len(longitude)
        usable = (
            np.isfinite(longitude)
            & np.isfinite(latitude)
            & ~np.isnat(dates)
            & np.fromiter((c in self.covered for c in codes), dtype=bool, count=n)
        )
        where = np.flatnonzero(usable)
        out = {name: np.full(n, np.nan) for name in CAMERA_FEATURES}
        if not len(where):
            return out
        # Inside the coverage, no camera found means 0 cameras and the capped distance.
        found = {name: np.zeros(len(where)) for name in CAMERA_FEATURES}
        found["tq_camera_nearest_m"][:] = NEAREST_CAP_M
        if self._tree is not None:
            points = to_radians(longitude[where], latitude[where])
            self._tally(points, dates[where].astype("int64"), found)
        for name, values in found.items():
            out[name][where] = values
        return out

    def _tally(self, points: np.ndarray, days: np.ndarray, out: dict[str, np.ndarray]) -> None:
        """Fill `out` (one row per point) with the cameras in service within the cap."""
        found = self._tree.query_radius(points, r=QUERY_RADIUS)
        lengths = np.fromiter((len(f) for f in found), dtype="int64", count=len(found))
        if not lengths.sum():
            return
        camera = np.concatenate(found)
        owner = np.repeat(np.arange(len(points)), lengths)
        metres = haversine_m(
            points[owner, 0],
            points[owner, 1],
            np.cos(points[:, 0])[owner],
            self.lat[camera],
            self.lon[camera],
            self.cos_lat[camera],
        )
        is_undated = self.undated[camera]
        in_service = (metres <= NEAREST_CAP_M) & (is_undated | (self.days[camera] <= days[owner]))
        owner, metres, is_undated = owner[in_service], metres[in_service], is_undated[in_service]
        n = len(points)
        for r in RADII_M:
            out[f"tq_cameras_{r}m"] = np.bincount(owner, weights=metres <= r, minlength=n)
        out[CAMERA_FEATURES[len(RADII_M)]] = np.bincount(
            owner, weights=is_undated & (metres <= UNDATED_RADIUS_M), minlength=n
        )
        np.minimum.at(out["tq_camera_nearest_m"], owner, metres)


def _count_one(
    grid: CameraGrid | None, covered: frozenset, longitude, latitude, day: int | None, code: str
) -> tuple[float, ...]:
    """`Cameras.count_many` of one point (day since 1970, None if unknown), in
    CAMERA_FEATURES order; served as `Cameras.count_one`, which keeps the last points'."""
    if (
        day is None
        or not (math.isfinite(longitude) and math.isfinite(latitude))
        or code not in covered
    ):
        return (math.nan,) * len(CAMERA_FEATURES)
    if grid is None:
        return (0.0,) * (len(RADII_M) + 1) + (NEAREST_CAP_M,)
    lat, lon = np.radians(latitude), np.radians(longitude)
    cam_lat, cam_lon, cam_cos_lat, cam_day, cam_undated = grid.near(
        float(lat), float(lon), QUERY_RADIUS
    )
    metres = haversine_m(lat, lon, np.cos(lat), cam_lat, cam_lon, cam_cos_lat)
    in_service = (metres <= NEAREST_CAP_M) & (cam_undated | (cam_day <= day))
    metres, undated = metres[in_service], cam_undated[in_service]
    counts = [float(np.count_nonzero(metres <= r)) for r in RADII_M]
    counts.append(float(np.count_nonzero(undated & (metres <= UNDATED_RADIUS_M))))
    nearest = min(NEAREST_CAP_M, float(metres.min())) if len(metres) else NEAREST_CAP_M
    return (*counts, nearest)
