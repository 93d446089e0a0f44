"""Distances on the sphere, and a grid finding the few cameras near one point without a tree.

Coordinates are in radians; distances in metres come from `haversine_m`, the one formula
both the vectorised and the one-point camera look-ups use.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right

import numpy as np

from model.comparables import EARTH_RADIUS_M


def to_radians(longitude: np.ndarray, latitude: np.ndarray) -> np.ndarray:
    """(latitude, longitude) rows in radians, the layout of scikit-learn's haversine."""
    return np.radians(np.column_stack([latitude, longitude]))


def haversine_m(lat1, lon1, cos_lat1, lat2, lon2, cos_lat2):
    """Great-circle distance in metres between points in radians (scikit-learn's formula);
    the cosines of the latitudes come precomputed: once per point and per camera."""
    sin_lat = np.sin(0.5 * (lat1 - lat2))
    sin_lon = np.sin(0.5 * (lon1 - lon2))
    a = sin_lat * sin_lat + cos_lat1 * cos_lat2 * sin_lon * sin_lon
    return 2 * np.arcsin(np.sqrt(a)) * EARTH_RADIUS_M


def longitude_reach(latitude: float, distance: float) -> float:
    """Largest longitude difference (radians) of the points within `distance` of a latitude."""
    farthest = abs(latitude) + distance
    if farthest >= math.pi / 2:
        return math.pi
    # On the sphere sin(d/2)² ≥ cos φ1 · cos φ2 · sin(Δλ/2)², and cos φ2 ≥ cos(|φ1| + d).
    ratio = math.sin(distance / 2) / math.sqrt(math.cos(latitude) * math.cos(farthest))
    return math.pi if ratio >= 1 else 2 * math.asin(ratio) * 1.001


def longitude_spans(longitude: float, width: float) -> list[tuple[float, float]]:
    """Intervals of longitude within `width` of `longitude`, split at the antimeridian."""
    if width >= math.pi:
        return [(-math.inf, math.inf)]
    spans = [(longitude - width, longitude + width)]
    if longitude - width < -math.pi:
        spans.append((longitude - width + 2 * math.pi, math.inf))
    if longitude + width > math.pi:
        spans.append((-math.inf, longitude + width - 2 * math.pi))
    return spans


class CameraGrid:
    """Cameras in bands of latitude sorted by longitude: the few near one point, without a tree."""

    def __init__(self, latitude, longitude, cos_latitude, days, undated, height: float):
        band = np.floor(latitude / height).astype("int64")
        order = np.lexsort((longitude, band))
        self.height = height
        self.columns = tuple(
            np.ascontiguousarray(c[order])
            for c in (latitude, longitude, cos_latitude, days, undated)
        )
        band, sorted_longitude = band[order], self.columns[1]
        starts = np.flatnonzero(np.r_[True, band[1:] != band[:-1]])
        stops = np.r_[starts[1:], len(band)]
        # Python lists: `bisect` on them is several times faster than np.searchsorted for one value.
        self._bands = {
            int(band[start]): (int(start), sorted_longitude[start:stop].tolist())
            for start, stop in zip(starts, stops, strict=True)
        }

    def near(self, latitude: float, longitude: float, distance: float) -> tuple[np.ndarray, ...]:
        """Latitude, longitude, its cosine, day in service and undated flag of the cameras that
        may lie within `distance` (radians) of the point: a superset, to filter by distance."""
        reach = distance * 1.001
        spans = longitude_spans(longitude, longitude_reach(latitude, reach))
        pieces = []
        first = math.floor((latitude - reach) / self.height)
        for band in range(first, math.floor((latitude + reach) / self.height) + 1):
            entry = self._bands.get(band)
            if entry is None:
                continue
            start, longitudes = entry
            for low, high in spans:
                i, j = bisect_left(longitudes, low), bisect_right(longitudes, high)
                if i < j:
                    pieces.append((start + i, start + j))
        if len(pieces) == 1:
            start, stop = pieces[0]
            return tuple(c[start:stop] for c in self.columns)
        index = (
            np.concatenate([np.arange(a, b) for a, b in pieces]) if pieces else np.empty(0, "int64")
        )
        return tuple(c[index] for c in self.columns)
